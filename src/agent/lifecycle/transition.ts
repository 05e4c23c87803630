// The one place a microVM's state changes: the move is checked against the table of allowed
// transitions, recorded (started_at, state.json) and announced to event subscribers.
import type { StateReason } from '../../api/events.ts';
import type { MicrovmState } from '../../api/schemas.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import type { LifecycleContext } from './context.ts';

/** Which state may follow which. stopped and exited are final: a microVM is never restarted. */
export const ALLOWED_TRANSITIONS: Readonly<Record<MicrovmState, readonly MicrovmState[]>> = {
  // running: InstanceStart; paused/running: a snapshot loaded through the passthrough.
  created: ['running', 'paused', 'stopping', 'exited'],
  running: ['paused', 'stopping', 'exited'],
  paused: ['running', 'stopping', 'exited'],
  // created/running/paused: after an agent restart, a stop that died with the previous agent is
  // forgotten and the state is what Firecracker says.
  stopping: ['stopped', 'exited', 'created', 'running', 'paused'],
  stopped: [],
  exited: [],
};

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  readonly code = 'illegal_transition';
  constructor(
    readonly microvm: string,
    readonly from: MicrovmState,
    readonly to: MicrovmState,
  ) {
    super(
      `microVM ${microvm} cannot go from ${from} to ${to} (allowed from ${from}: ${ALLOWED_TRANSITIONS[from].join(', ') || 'none'})`,
    );
  }
}

export function canTransition(from: MicrovmState, to: MicrovmState): boolean {
  return from === to || ALLOWED_TRANSITIONS[from].includes(to);
}

export interface TransitionOptions {
  /** false: the caller writes state.json itself once it has recorded more (an exit's console lines). */
  persist?: boolean;
}

/**
 * Moves a microVM to a new state. The change itself is synchronous (nothing can look in between);
 * the promise is the state.json write. Moving to the state it is in does nothing. Emits
 * `microvm.state` once the microVM is published.
 */
export function transition(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  to: MicrovmState,
  reason: StateReason,
  opts: TransitionOptions = {},
): Promise<void> {
  const vm = entry.vm;
  const from = vm.state;
  if (from === to) return Promise.resolve();
  if (!canTransition(from, to)) throw new IllegalTransitionError(vm.name, from, to);
  vm.state = to;
  if (from === 'created' && (to === 'running' || to === 'paused') && vm.started_at === null) {
    vm.started_at = new Date().toISOString();
  }
  // A microVM still being created is nobody's yet: its created event carries the state it reached.
  if (entry.phase === 'ready') {
    ctx.events.emit({ type: 'microvm.state', name: vm.name, id: vm.id, from, to, reason });
  }
  return opts.persist === false ? Promise.resolve() : entry.persist();
}
