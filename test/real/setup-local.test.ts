// setup --provider local with real Firecracker and the test kernel given as files (the offline
// options), then the same user flow as test/provision/local-e2e: run --background, list, stop,
// uninstall leaving nothing behind. The guest never prints here (no guest kernel runs on these
// machines), so the console check is left to the double's run.
import { afterEach, describe, expect, it } from 'vitest';
import { makeEnv } from '../provision/harness.ts';
import { testKernel } from '../support/kernel.ts';
import { kvmProblem, localE2e } from '../support/local-e2e.ts';
import { realFirecracker } from '../support/paths.ts';

const fc = realFirecracker();
const kernel = await testKernel();
const skip = 'skip' in fc ? fc.skip : typeof kernel !== 'string' ? kernel.skip : kvmProblem();
if (skip) console.warn(`real setup skipped: ${skip}`);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe.skipIf(skip !== null)('setup with real Firecracker', () => {
  it('installs the real firecracker and kernel as given, builds the rootfs, starts the agent', async () => {
    if ('skip' in fc || typeof kernel !== 'string') return;
    const env = await makeEnv();
    const r = await env.setup({ firecrackerBin: fc.path, kernel });
    expect(r.error).toBeNull();
    const ver = await env.provider.exec([env.provider.layout.firecrackerBin, '--version']);
    expect(ver.stdout).toContain('Firecracker v1.14.4');
  });

  it('the built CLI: setup, run --background, list, stop, uninstall leave nothing behind', async () => {
    if ('skip' in fc || typeof kernel !== 'string') return;
    await localE2e({ firecrackerBin: fc.path, kernel, guestPrints: false }, cleanups);
  });
});
