// The user's path on a Linux host with KVM, through the built CLI and the local provider: setup
// (from a loopback asset mirror, or with the offline options), vm status, doctor, microVMs
// (run --background, list, logs, stop), then uninstall leaving no process and no file behind.
// test/provision/local-e2e runs it with the Firecracker double, test/real/setup-local with real
// Firecracker.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runProcess } from '../../src/host/process.ts';
import { freePort, makeTestAssets, serveAssets } from './assets.ts';
import { cliBin, doubleBin } from './paths.ts';
import { gone, running } from './proc.ts';

export { kvmProblem } from './proc.ts';

export interface LocalE2eOptions {
  /** `setup --firecracker-bin`; without it the mirror's tarball (whose firecracker is the double). */
  firecrackerBin?: string;
  /** `setup --kernel`; without it the mirror's kernel file (given with --kernel too). */
  kernel?: string;
  /** Whether the guest prints on its console (the double does; real Firecracker here does not). */
  guestPrints: boolean;
}

/** Runs the flow; `cleanups` (run by the caller's afterEach) undo it whatever happens. */
export async function localE2e(
  opts: LocalE2eOptions,
  cleanups: Array<() => Promise<unknown>>,
): Promise<void> {
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
    // The double needs no KVM: an openable stand-in passes the host checks. Real Firecracker
    // gets the real /dev/kvm.
    ...(opts.firecrackerBin ? {} : { FC_MACOS_KVM_DEVICE: join(dir, 'kvm') }),
  };
  if (!opts.firecrackerBin) writeFileSync(join(dir, 'kvm'), '');
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
    ...(opts.firecrackerBin ? ['--firecracker-bin', opts.firecrackerBin] : []),
    // The mirror's kernel is generated, not the one setup pins: it is given as a file.
    '--kernel',
    opts.kernel ?? assets.paths.kernel,
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

  if (opts.guestPrints) {
    // The guest console (boot lines, then a prompt) reached the agent's log of it.
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('/ # '); i++) {
      logs = (await cli('microvm', 'logs', 'e2e')).stdout;
      if (!logs.includes('/ # ')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(logs).toContain('/ # ');
  }

  // A short timeout: with real Firecracker here no guest answers Ctrl+Alt+Del, so the stop ends in a kill.
  const stop = await cli('--json', 'microvm', 'stop', 'e2e', '--timeout', '2');
  expect(stop.exitCode).toBe(0);
  expect(JSON.stringify(JSON.parse(stop.stdout))).toContain('"state":"stopped"');
  expect(await gone(vm.pid)).toBe(true);
  const afterStop = JSON.parse((await cli('--json', 'microvm', 'status', 'e2e')).stdout);
  expect(afterStop).toMatchObject({ name: 'e2e', state: 'stopped', exit: { reason: 'stopped' } });

  // Without a TTY and without --yes, uninstall refuses and explains.
  const refused = await cli('uninstall');
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toContain('--yes');
  const refusedJson = await cli('--json', 'uninstall');
  expect(refusedJson.exitCode).toBe(2);
  expect(JSON.parse(refusedJson.stdout)).toEqual({
    error: {
      code: 'usage',
      message: 'uninstall needs confirmation: pass --yes to remove everything setup made',
    },
  });
  expect(existsSync(agentDir)).toBe(true);

  const un = await cli('--json', 'uninstall', '--yes');
  expect(JSON.parse(un.stdout)).toMatchObject({ ok: true, provider: 'local' });
  expect(existsSync(agentDir)).toBe(false);
  // No directory setup made is left, not even an empty one.
  expect(existsSync(join(dir, 'config'))).toBe(false);
  expect(existsSync(join(dir, 'state'))).toBe(false);
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
}
