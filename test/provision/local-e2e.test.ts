// The built CLI end to end with the local provider: setup from a local asset mirror (Firecracker
// = a script delegating to the double), status, doctor, then uninstall leaving nothing behind.
// microVM commands (run/microvm/stop) join once the CLI has them.
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/host/process.ts';
import { freePort, makeTestAssets, serveAssets, writeStubAgent } from '../support/assets.ts';
import { agentBin, cliBin, doubleBin } from '../support/paths.ts';

function kvmProblem(): string | null {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return null;
  } catch (err) {
    return `/dev/kvm is not usable (${(err as Error).message})`;
  }
}
const noKvm = kvmProblem();
if (noKvm) console.warn(`local e2e skipped: ${noKvm}`);
const realAgent = existsSync(agentBin) && !readFileSync(agentBin, 'utf8').includes('not built yet');
if (!realAgent)
  console.warn('local e2e: dist/fc-agent.mjs is still the placeholder; using the stand-in agent');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

describe.skipIf(noKvm !== null)('fc-macos setup --provider local (built CLI)', () => {
  it('sets up, reports healthy, and uninstalls without leaving anything behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-macos-e2e-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const assets = makeTestAssets(join(dir, 'mirror'), undefined, doubleBin);
    const server = await serveAssets(assets.root);
    cleanups.push(() => server.close());
    const port = await freePort();
    const agentDir = join(dir, 'agent');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FC_MACOS_CONFIG_DIR: join(dir, 'config'),
      FC_MACOS_STATE_DIR: join(dir, 'state'),
      FC_MACOS_AGENT_DIR: agentDir,
      FC_MACOS_AGENT_SERVICE: 'daemon',
      ...(realAgent ? {} : { FC_MACOS_AGENT_BUNDLE: writeStubAgent(dir) }),
    };
    const cli = (...args: string[]) =>
      runProcess(process.execPath, [cliBin, ...args], { env, timeoutMs: 120_000 });
    // However the test ends, no agent is left running.
    cleanups.push(() => cli('uninstall', '--yes'));

    const setup = await cli(
      '--json',
      'setup',
      '--provider',
      'local',
      '--assets-url',
      server.url,
      '--agent-port',
      String(port),
    );
    expect(setup.stderr).toBe('');
    const result = JSON.parse(setup.stdout);
    expect(result).toMatchObject({
      ok: true,
      provider: 'local',
      agent_url: `http://127.0.0.1:${port}`,
      agent_dir: agentDir,
    });
    expect(setup.exitCode).toBe(0);

    const status = JSON.parse((await cli('--json', 'vm', 'status')).stdout);
    expect(status.agent).toMatchObject({ mode: 'daemon', installed: true, running: true });
    const pid = Number(readFileSync(join(agentDir, 'fc-agent.pid'), 'utf8'));

    const doctor = await cli('--json', 'doctor');
    const checks = JSON.parse(doctor.stdout) as Array<{ check: string; ok: boolean; detail: string }>;
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(checks.map((c) => c.check)).toEqual([
      'host',
      'kvm',
      'node',
      'firecracker',
      'kernel',
      'rootfs',
      'agent',
      'token',
    ]);
    expect(doctor.exitCode).toBe(0);

    // Without a TTY and without --yes, uninstall refuses and explains.
    const refused = await cli('uninstall');
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(existsSync(agentDir)).toBe(true);

    const un = await cli('--json', 'uninstall', '--yes');
    expect(JSON.parse(un.stdout)).toMatchObject({ ok: true, provider: 'local' });
    expect(existsSync(agentDir)).toBe(false);
    expect(readdirSync(join(dir, 'config'))).toEqual([]);
    expect(readdirSync(join(dir, 'state'))).toEqual([]);
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        alive = !/^\d+ \(.*\) Z/.test(stat);
      } catch {
        alive = false;
      }
      if (alive) await new Promise((r) => setTimeout(r, 100));
    }
    expect(alive).toBe(false);

    // doctor now points at setup.
    const after = await cli('--json', 'doctor');
    expect(after.exitCode).toBe(1);
    expect(JSON.parse(after.stdout).find((c: { check: string }) => c.check === 'firecracker')).toMatchObject({
      ok: false,
      fix: 'fc-macos setup',
    });
  });
});
