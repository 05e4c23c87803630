// FC_MACOS_WAIT_SCALE: one factor for every wait on the Linux side's start-up (the VM's IP, `tart
// exec` answering, the agent's /health after a start or restart). 1 on a real Mac; a slow host (the
// emulated Mac of docs/testing.md, where Node takes 12-18 s to start) raises it instead of each
// wait being tuned on its own.
import { ConfigError } from './errors.ts';

export const WAIT_SCALE_ENV = 'FC_MACOS_WAIT_SCALE';

/** The factor (1 to 100, default 1); a bad value is an error naming the variable. */
export function waitScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[WAIT_SCALE_ENV];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > 100) {
    throw new ConfigError(`${WAIT_SCALE_ENV}=${raw}: must be a number from 1 to 100`, WAIT_SCALE_ENV);
  }
  return n;
}

/** ms scaled by FC_MACOS_WAIT_SCALE, rounded to whole ms. */
export const scaledWait = (ms: number, env: NodeJS.ProcessEnv = process.env): number =>
  Math.round(ms * waitScale(env));
