// What the package entry (src/client/index.ts) gives an SDK user: the agent's shapes, the client,
// its errors, and Firecracker's bodies for the passthrough under one namespace.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as sdk from '../../src/client/index.ts';
import { repoRoot } from '../support/paths.ts';

describe('SDK exports', () => {
  it('offers the client, its errors and the agent API schemas', () => {
    expect(typeof sdk.AgentClient).toBe('function');
    expect(new sdk.AgentClient({ baseUrl: 'http://127.0.0.1:1' })).toBeInstanceOf(sdk.AgentClient);
    for (const cls of [sdk.AgentApiError, sdk.AgentUnreachableError, sdk.AgentAuthError])
      expect(typeof cls).toBe('function');
  });

  it("validates passthrough bodies with Firecracker's own rules", () => {
    const { machineConfiguration, cpuTemplate } = sdk.firecrackerSchemas;
    expect(machineConfiguration.safeParse({ vcpu_count: 2, mem_size_mib: 256 }).success).toBe(true);
    // Firecracker's serde struct denies unknown fields, so the schema must too.
    expect(machineConfiguration.safeParse({ vcpu_count: 2, mem_size_mib: 256, cpus: 1 }).success).toBe(false);
    expect(cpuTemplate.safeParse('T2').success).toBe(true);
    expect(cpuTemplate.safeParse('T9').success).toBe(false);
  });

  it('the built package entry (dist/sdk.mjs) loads on its own and has the same exports', async () => {
    const built = (await import(pathToFileURL(join(repoRoot, 'dist', 'sdk.mjs')).href)) as Record<
      string,
      unknown
    >;
    expect(Object.keys(built).sort()).toEqual(Object.keys(sdk).sort());
    expect(typeof built.AgentClient).toBe('function');
  });
});
