// setup --provider local with real Firecracker and the test kernel as the given files: the
// installed binary is the real VMM (answers --version) and the agent comes up healthy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeEnv } from '../provision/harness.ts';
import { testKernel } from '../support/kernel.ts';
import { realFirecracker } from '../support/paths.ts';

const fc = realFirecracker();
const kernel = await testKernel();
const skip = 'skip' in fc ? fc.skip : typeof kernel !== 'string' ? kernel.skip : null;
if (skip) console.warn(`real setup skipped: ${skip}`);

describe.skipIf(skip !== null)('setup with real Firecracker', () => {
  it('installs the real firecracker and kernel, builds the rootfs, starts the agent', async () => {
    if ('skip' in fc || typeof kernel !== 'string') return;
    const env = await makeEnv();
    const r = await env.setup({ firecrackerBin: fc.path, kernel });
    expect(r.error).toBeNull();
    const ver = await env.provider.exec([env.provider.layout.firecrackerBin, '--version']);
    expect(ver.stdout).toContain('Firecracker v1.14.4');
    expect(readFileSync(env.provider.layout.kernel).equals(readFileSync(kernel))).toBe(true);
  });
});
