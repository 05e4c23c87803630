// The built CLI end to end with the local provider, as a user on a Linux host with KVM: setup from a
// local asset mirror (Firecracker = a script delegating to the double), status, doctor, microVMs
// (run --background, list, logs, stop), then uninstall leaving no process and no file behind.
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/host/process.ts';
import { freePort, makeTestAssets, serveAssets } from '../support/assets.ts';
import { cliBin, doubleBin } from '../support/paths.ts';

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

/** Whether a process is still there (a zombie counts as gone: nothing runs). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && running(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !running(pid);
}

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

    // microVMs through the agent that setup installed, with the kernel and rootfs it installed.
    const run = await cli('--json', 'run', '--background', '--name', 'e2e');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const vm = JSON.parse(run.stdout);
    expect(vm).toMatchObject({ name: 'e2e', state: 'running', kernel: join(agentDir, 'images', 'vmlinux') });
    expect(running(vm.pid)).toBe(true);
    const second = JSON.parse((await cli('--json', 'run', '--background', '--name', 'left-running')).stdout);

    const list = await cli('--json', 'microvm', 'list');
    expect(list.exitCode).toBe(0);
    const listed = JSON.parse(list.stdout) as { microvms: Array<{ name: string; state: string }> };
    expect(listed.microvms.map((m) => [m.name, m.state])).toEqual([
      ['e2e', 'running'],
      ['left-running', 'running'],
    ]);
    const human = await cli('microvm', 'list');
    expect(human.stdout).toMatch(/^NAME\s+ID\s+STATE/m);
    expect(human.stdout).toMatch(/^e2e\s+[0-9a-f]{8}\s+running/m);

    // The guest console (the double's boot lines) reached the agent's log of it.
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('/ # '); i++) {
      logs = (await cli('microvm', 'logs', 'e2e')).stdout;
      if (!logs.includes('/ # ')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toContain('/ # ');

    const stop = await cli('--json', 'microvm', 'stop', 'e2e');
    expect(stop.exitCode).toBe(0);
    expect(JSON.stringify(JSON.parse(stop.stdout))).toContain('"state":"stopped"');
    expect(await gone(vm.pid)).toBe(true);
    const afterStop = JSON.parse((await cli('--json', 'microvm', 'status', 'e2e')).stdout);
    expect(afterStop).toMatchObject({ name: 'e2e', state: 'stopped', exit: { reason: 'stopped' } });

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
    // The agent and the microVM it still ran are gone with it.
    expect(await gone(pid)).toBe(true);
    expect(await gone(second.pid)).toBe(true);

    // doctor now points at setup.
    const after = await cli('--json', 'doctor');
    expect(after.exitCode).toBe(1);
    expect(JSON.parse(after.stdout).find((c: { check: string }) => c.check === 'firecracker')).toMatchObject({
      ok: false,
      fix: 'fc-macos setup',
    });
  });
});
