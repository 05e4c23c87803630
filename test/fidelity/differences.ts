// Every known way the double answers differently from the real firecracker, with why. Only what
// needs a running guest may be here: the real binary on these hosts never runs one (PVM /dev/kvm,
// stub kernel), while the double plays a guest that booted with a balloon driver.
export interface KnownDifference {
  case: string;
  /** Index of the step whose answer differs. */
  step: number;
  reason: string;
}

export const knownDifferences: KnownDifference[] = [
  {
    case: 'balloon after start: PATCH amount (needs the guest driver)',
    step: 3,
    reason:
      'Firecracker answers "Balloon: Device not activated yet." until a guest driver activates the balloon; the double plays a guest that did.',
  },
  {
    case: 'balloon after start: PATCH amount (needs the guest driver)',
    step: 4,
    reason:
      'Balloon statistics come from the guest driver; without a running guest the real one has none to report.',
  },
];
