// fc-macos setup --provider local and a user's first microVMs, with the Firecracker double
// (test/support/local-e2e.ts; the same flow runs against real Firecracker in test/real/).
import { afterEach, describe, it } from 'vitest';
import { localE2e } from '../support/local-e2e.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe('fc-macos setup --provider local (built CLI, Firecracker double)', () => {
  it('sets up, runs and stops microVMs, and uninstalls without leaving anything behind', async () => {
    await localE2e({ guestPrints: true }, cleanups);
  }, 180_000);
});
