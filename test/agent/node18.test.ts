// dist/fc-agent.mjs must run on Node 18: Ubuntu's apt nodejs inside the Linux VM. Node 18 comes
// from the npm registry (the `node` package), as CI can fetch it; without it the test says why.
import { execFileSync } from 'node:child_process';
import { readlinkSync, realpathSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { versionResponse } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { agentBin } from '../support/paths.ts';
import { createVm, getVm, openConsole } from './harness.ts';

function node18(): string | { skip: string } {
  try {
    const out = execFileSync('npx', ['-y', 'node@18', '-p', 'process.execPath + " " + process.version'], {
      encoding: 'utf8',
      timeout: 180_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const [path, version] = out.split(' ');
    if (!path || !version?.startsWith('v18.')) return { skip: `npx node@18 printed ${JSON.stringify(out)}` };
    return path;
  } catch (err) {
    return { skip: `Node 18 cannot be fetched with npx (${(err as Error).message.split('\n')[0]})` };
  }
}

const node = node18();
if (typeof node !== 'string') console.warn(`fc-agent on Node 18 skipped: ${node.skip}`);

let agent: StartedAgent | undefined;
afterAll(async () => {
  await agent?.stop();
});

describe.skipIf(typeof node !== 'string')('fc-agent bundle on Node 18', () => {
  test('--version', () => {
    const out = execFileSync(node as string, [agentBin, '--version'], { encoding: 'utf8' });
    expect(out).toMatch(/^fc-agent \d+\.\d+\.\d+\n$/);
  });

  test('serves the API, runs a microVM and its console', async () => {
    agent = await startAgent({ node: node as string });
    expect(readlinkSync(`/proc/${agent.pid}/exe`)).toBe(realpathSync(node as string));
    const version = versionResponse.parse((await agent.json('/agent/version')).body);
    expect(version.firecracker).toBe('1.14.4');
    const vm = await createVm(agent, { name: 'on-node18' });
    expect(vm.state).toBe('running');
    const ws = await openConsole(agent, vm.name);
    try {
      await ws.waitFor('/ # ');
      ws.send('echo node18-ok\r');
      await ws.waitFor('node18-ok\r\n');
    } finally {
      await ws.close();
    }
    const stats = await agent.json<{ microvms: Array<{ name: string }> }>('/agent/stats');
    expect(stats.body.microvms.map((m) => m.name)).toEqual(['on-node18']);
    expect((await agent.fetch(`/agent/microvms/${vm.name}`, { method: 'DELETE' })).status).toBe(200);
    await expect(getVm(agent, vm.name)).rejects.toThrow(/404/);
  }, 60_000);
});
