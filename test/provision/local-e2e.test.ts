// fc-macos setup --provider local and a user's first microVMs, with the Firecracker double
// (test/support/local-e2e.ts; the same flow runs against real Firecracker in test/real/).
import { afterEach, describe, it } from 'vitest';
import { kvmProblem, localE2e } from '../support/local-e2e.ts';

const noKvm = kvmProblem();
if (noKvm) console.warn(`local e2e skipped: ${noKvm}`);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe.skipIf(noKvm !== null)('fc-macos setup --provider local (built CLI, Firecracker double)', () => {
  it('sets up, runs and stops microVMs, and uninstalls without leaving anything behind', async () => {
    await localE2e({ guestPrints: true }, cleanups);
  });
});
