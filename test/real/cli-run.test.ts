// The CLI against an fc-agent that drives the real Firecracker: run --background, status, the
// Firecracker API commands, stop, rm. The generated test kernel boots on this host's KVM but runs
// no guest (no console output, and a graceful stop times out and kills). The console flow runs
// only with FC_TEST_KERNEL and FC_TEST_ROOTFS (a guest that boots and prints) on a host whose KVM
// can run it.
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Microvm } from '../../src/api/schemas.ts';
import { type CliEnv, cliEnv, PtySession } from '../cli/harness.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { testKernel } from '../support/kernel.ts';
import { cliBin, realFirecracker } from '../support/paths.ts';

const real = realFirecracker();
const kernel = await testKernel();
const skip = 'skip' in real ? real.skip : typeof kernel !== 'string' ? kernel.skip : undefined;
if (skip) console.warn(`test/real/cli-run skipped: ${skip}`);

describe.skipIf(skip !== undefined)('fc-macos CLI with real Firecracker', () => {
  let agent: StartedAgent;
  let cli: CliEnv;
  beforeAll(async () => {
    agent = await startAgent({
      firecracker: 'path' in real ? real.path : '',
      kernel: typeof kernel === 'string' ? kernel : '',
    });
    cli = await cliEnv(agent);
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await cli?.cleanup();
  });

  it('version shows the real Firecracker', async () => {
    const r = await cli.run(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Firecracker:\s+1\.\d+\.\d+/m);
  });

  it('run --background, status, machine info, stop, rm', async () => {
    const run = await cli.json<Microvm>(['run', '--background', '--name', 'real1', '--memory', '64']);
    expect(run.code).toBe(0);
    expect(run.body).toMatchObject({ name: 'real1', state: 'running', memory_mib: 64 });
    const status = await cli.run(['microvm', 'status', 'real1']);
    expect(status.stdout).toMatch(/^State:\s+running$/m);
    const info = await cli.json<{ instance_info: { state: string } }>(['machine', 'info', 'real1']);
    expect(info.body.instance_info.state).toBe('Running');
    const version = await cli.run(['machine', 'version', 'real1']);
    expect(version.stdout).toMatch(/^Firecracker 1\.\d+\.\d+\n$/);
    // Real Firecracker's refusal of a pre-boot call, with the CLI's hint.
    const late = await cli.run(['machine', 'config', 'real1', '--vcpus', '2']);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(
      /not supported after starting the microVM \(this is only possible before boot/,
    );
    // No guest to act on Ctrl+Alt+Del: the stop waits --timeout, then kills, and says so.
    const stop = await cli.run(['microvm', 'stop', 'real1', '--timeout', '1']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/^stopped real1 \(killed after 1s: the guest did not shut down\): /);
    expect((await cli.json<Microvm>(['microvm', 'status', 'real1'])).body.state).toBe('stopped');
    const rm = await cli.run(['microvm', 'rm', 'real1']);
    expect(rm.code).toBe(0);
  });

  it('create, configure, actions start, pause, snapshot, stop --all', async () => {
    expect((await cli.run(['microvm', 'create', '--name', 'real2', '--memory', '64'])).code).toBe(0);
    expect((await cli.run(['machine', 'config', 'real2', '--vcpus', '2', '--memory', '96'])).code).toBe(0);
    expect((await cli.run(['actions', 'start', 'real2'])).code).toBe(0);
    expect((await cli.json<Microvm>(['microvm', 'status', 'real2'])).body).toMatchObject({
      state: 'running',
      vcpus: 2,
      memory_mib: 96,
    });
    expect((await cli.run(['actions', 'pause', 'real2'])).code).toBe(0);
    const snap = `${agent.root}/real2.snap`;
    const mem = `${agent.root}/real2.mem`;
    const r = await cli.run(['snapshots', 'create', 'real2', '--snapshot-path', snap, '--mem-path', mem]);
    expect(r.stderr).toBe('');
    expect(existsSync(snap) && existsSync(mem)).toBe(true);
    const all = await cli.json<{ stopped: Array<{ method: string }> }>(['microvm', 'stop', '--all']);
    expect(all.code).toBe(0);
    // A paused guest cannot react to Ctrl+Alt+Del: killed at once.
    expect(all.body.stopped.map((s) => s.method)).toEqual(['kill']);
  });
});

const consoleKernel = process.env.FC_TEST_KERNEL;
const consoleRootfs = process.env.FC_TEST_ROOTFS;
const consoleSkip =
  skip ??
  (!consoleKernel || !consoleRootfs
    ? 'FC_TEST_KERNEL and FC_TEST_ROOTFS are not both set (a guest must boot and print to test the console)'
    : existsSync('/sys/module/kvm_pvm')
      ? "this host's /dev/kvm is kvm_pvm, which runs no stock guest kernel (no console output ever)"
      : undefined);
if (consoleSkip) console.warn(`test/real/cli-run console flow skipped: ${consoleSkip}`);

describe.skipIf(consoleSkip !== undefined)('fc-macos run: a real guest on the console', () => {
  let agent: StartedAgent;
  let cli: CliEnv;
  let session: PtySession | null = null;
  beforeAll(async () => {
    agent = await startAgent({
      firecracker: 'path' in real ? real.path : '',
      kernel: consoleKernel,
      rootfs: consoleRootfs,
    });
    cli = await cliEnv(agent);
  }, 60_000);
  afterEach(async () => {
    await session?.kill();
    session = null;
  });
  afterAll(async () => {
    await agent?.stop();
    await cli?.cleanup();
  });

  it('run attaches and shows the boot; Ctrl+] detaches and the microVM keeps running', async () => {
    session = new PtySession([process.execPath, cliBin, 'run', '--name', 'guest'], cli.env);
    await session.waitFor(/Linux version/, 90_000);
    session.write('\x1d');
    expect(await session.exited).toBe(0);
    expect((await cli.json<Microvm>(['microvm', 'status', 'guest'])).body.state).toBe('running');
  }, 120_000);
});
