// The whole fc-macos journey on real aarch64 guests, as a Mac user drives it: the built CLI with the
// emulated tart first on PATH (test/emulated/tart: a real arm64 Linux VM in QEMU), setup from an
// asset mirror, then microVMs booted by the real aarch64 Firecracker inside that VM. One Linux VM
// for the whole file; the steps run in order and each builds on the previous (bail stops at the first
// failure). Run with `npm run test:emulated` (docs/testing.md).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtySession } from '../cli/harness.ts';
import { dashboardSteps } from './steps/dashboard.ts';
import { guestAgentSteps } from './steps/guest-agent.ts';
import { networkSteps } from './steps/network.ts';
import { BOOT_MS, getFromMac, PROMPT, sleep, statusOf, typeInConsole, waitForLogs } from './support/guest.ts';
import { EmulatedMac, emulatedProblem, guestKernel, VM_NAME } from './support/mac.ts';

const problem = emulatedProblem();
if (problem) console.warn(`emulated tier skipped: ${problem}`);

describe.skipIf(problem !== null)('fc-macos on the emulated Mac (real aarch64 guests)', () => {
  let mac: EmulatedMac;
  let mirrorUrl = '';

  beforeAll(() => {
    mac = new EmulatedMac();
    mirrorUrl = mac.serveAssets();
  });
  afterAll(async () => {
    await mac?.dispose();
  });

  it(
    '1. setup --provider tart from nothing, then doctor is all ✓',
    async () => {
      const setup = await mac.fcm(
        ['setup', '--provider', 'tart', '--assets-url', mirrorUrl, '--kernel', guestKernel],
        40 * 60_000,
      );
      if (setup.exitCode !== 0) console.log(`Linux VM console:\n${mac.consoleTail()}`);
      expect(setup.exitCode).toBe(0);
      const list = await mac.tart(['list', '--format', 'json']);
      expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ Name: VM_NAME, State: 'running' })]);
      const doctor = await mac.fcm(['doctor']);
      expect(doctor.exitCode).toBe(0);
      expect(doctor.stdout).not.toMatch(/✗/);
      expect(doctor.stdout).toMatch(/✓/);
    },
    45 * 60_000,
  );

  it('2. run in a terminal: a real aarch64 shell; Ctrl+] detaches, attaching again answers', async () => {
    const term = new PtySession(
      mac.wrapArgv(['run', '--name', 'one', '--vcpus', '2', '--memory', '256']),
      mac.env,
    );
    try {
      await term.waitFor(PROMPT, BOOT_MS);
      const from = term.text().length;
      term.write('uname -m; nproc; free -m | grep Mem; hostname; cat /proc/cmdline\r');
      const m = await term.waitFor(
        /aarch64\r*\n(\d+)\r*\nMem:\s+(\d+)[^\n]*\n(\S+)\r*\n([^\r\n]*)\r*\n/,
        60_000,
        from,
      );
      expect(m[1]).toBe('2');
      // free -m shows the memory the kernel kept for itself out of --memory 256.
      expect(Number(m[2])).toBeGreaterThan(200);
      expect(Number(m[2])).toBeLessThanOrEqual(256);
      expect(m[3]).toBe('microvm');
      expect(m[4]).toContain('console=ttyS0');
      term.write('\x1d');
      expect(await term.exited).toBe(0);
    } finally {
      await term.kill();
    }
    const list = await mac.fcm(['ls']);
    expect(list.stdout).toMatch(/one\s+.*running/);

    const again = new PtySession(mac.wrapArgv(['microvm', 'shell', 'one']), mac.env);
    try {
      // The history comes first: the commands typed before the detach.
      await again.waitFor(/uname -m/, 60_000);
      const from = again.text().length;
      again.write('echo attached-$((6*7))\r');
      await again.waitFor(/attached-42/, 60_000, from);
      again.write('\x1d');
      expect(await again.exited).toBe(0);
    } finally {
      await again.kill();
    }
  });

  it('3. reboot typed in the guest ends it cleanly; rm removes it', async () => {
    const term = new PtySession(mac.wrapArgv(['microvm', 'shell', 'one']), mac.env);
    try {
      await term.waitFor(/uname -m/, 60_000);
      term.write('\rreboot\r');
      await term.exited;
    } finally {
      await term.kill();
    }
    let status = await mac.fcm(['microvm', 'status', 'one']);
    for (let i = 0; i < 30 && /running/.test(status.stdout.split('\n')[1] ?? ''); i++) {
      await sleep(2000);
      status = await mac.fcm(['microvm', 'status', 'one']);
    }
    expect(status.stdout).toMatch(/exited|stopped/);
    expect(status.stdout).toMatch(/exit code\s*0|exit_code.*0|code 0/i);
    const rm = await mac.fcm(['microvm', 'rm', 'one']);
    expect(rm.exitCode).toBe(0);
    expect((await mac.fcm(['ls', '-q'])).stdout.split('\n')).not.toContain('one');
  });

  it('4. two microVMs in the background reach a prompt; logs shows each console', async () => {
    for (const name of ['bg1', 'bg2']) {
      const r = await mac.fcm(['run', '-b', '--name', name]);
      expect(r.exitCode).toBe(0);
    }
    for (const name of ['bg1', 'bg2']) {
      const logs = await waitForLogs(mac, name, /microvm:~# /);
      expect(logs).toMatch(/microvm:~# /);
      expect(logs).toMatch(/Linux version 6\.1/);
      // The cursor-position query BusyBox sends at each prompt is never printed as text.
      expect(logs).not.toContain('\x1b[6n');
    }
  });

  it('5. microvm stop on aarch64 says honestly what happened and does not hang', async () => {
    const r = await mac.fcm(['microvm', 'stop', 'bg1', '--timeout', '5']);
    expect(r.exitCode).toBe(0);
    // With the guest agent in the default rootfs the guest shuts itself down: powered off, clean.
    expect(r.stdout).toMatch(/stopped bg1 \(the guest agent shut the guest down\)/);
    const status = await statusOf(mac, 'bg1');
    expect(status).toMatchObject({ state: 'stopped', exit: { reason: 'stopped', code: 0, signal: null } });
    // The record's last console lines are the end of the console log, not an earlier cut.
    // The API's lines are the console's bytes (BusyBox's ESC [ 6 n included); the CLI prints them
    // readable, as `logs` does: compare the text.
    const clean = (lines: string[]) =>
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips terminal escape sequences
      lines.map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]|\r/g, '').trimEnd()).filter((l) => l !== '');
    const logs = clean((await mac.fcm(['microvm', 'logs', 'bg1'])).stdout.split('\n'));
    const last = clean(status.last_console_lines);
    expect(last.length).toBeGreaterThan(0);
    expect(logs.slice(-last.length)).toEqual(last);
    // fc-guest powers off (PSCI SYSTEM_OFF); the rootfs's /init, which also sees its shell end,
    // may get there first with `reboot -f` (reboot=k): either ends firecracker, code 0.
    expect(last.join('\n')).toMatch(/reboot: (Power down|Restarting system)/);
  });

  it('6. pause stops the console, resume brings it back', async () => {
    await typeInConsole(mac, 'bg2', 'echo before-snap > /tmp/mark; echo marked-$((1+1))\r', /marked-2/);
    expect((await mac.fcm(['actions', 'pause', 'bg2'])).exitCode).toBe(0);
    // Paused: typed input gets no answer until the resume.
    const term = new PtySession(mac.wrapArgv(['microvm', 'shell', 'bg2']), mac.env);
    try {
      await term.waitFor(/marked-2/, 60_000);
      const from = term.text().length;
      term.write('echo resumed-$((2+3))\r');
      await sleep(10_000);
      expect(term.text().slice(from)).not.toMatch(/resumed-5/);
      expect((await mac.fcm(['actions', 'resume', 'bg2'])).exitCode).toBe(0);
      await term.waitFor(/resumed-5/, 60_000, from);
      term.write('\x1d');
      await term.exited;
    } finally {
      await term.kill();
    }
  });

  it('6b. a snapshot restores into a new microVM: the file written before it is there, the shell answers', async () => {
    expect((await mac.fcm(['actions', 'pause', 'bg2'])).exitCode).toBe(0);
    const paths = ['--snapshot-path', '/var/tmp/bg2.state', '--mem-path', '/var/tmp/bg2.mem'];
    const created = await mac.fcm(['snapshots', 'create', 'bg2', ...paths], 10 * 60_000);
    expect(created.exitCode).toBe(0);
    // The disk is kept with the snapshot: the restored guest's files are the ones it had.
    expect(created.stdout).toContain('/var/tmp/bg2.state.rootfs');
    expect((await mac.fcm(['actions', 'resume', 'bg2'])).exitCode).toBe(0);
    expect((await mac.fcm(['microvm', 'create', '--bare', '--name', 'restored'])).exitCode).toBe(0);
    const loaded = await mac.fcm(['snapshots', 'load', 'restored', ...paths, '--resume'], 10 * 60_000);
    expect(loaded.exitCode).toBe(0);
    expect(loaded.stdout).toMatch(
      /restored from bg2's snapshot: its disk as it was at the snapshot, copied to .*rootfs\.ext4/,
    );
    // The source runs on and holds the address: the restored one is offline, and says so.
    expect(loaded.stdout).toMatch(/no network: .*in use \(the source runs on/);
    expect((await statusOf(mac, 'restored')).state).toBe('running');
    // The console answers (the agent paused it only once the console was quiet: docs/snapshots.md).
    await typeInConsole(
      mac,
      'restored',
      'cat /tmp/mark; echo restored-$((3+4))\r',
      /before-snap[\s\S]*restored-7/,
    );
    // Its own vsock: the guest agent answers in the restored guest, and in the source.
    expect((await mac.fcm(['exec', 'restored', '--', 'cat', '/tmp/mark'])).stdout).toBe('before-snap\n');
    expect((await mac.fcm(['exec', 'bg2', '--', 'cat', '/tmp/mark'])).stdout).toBe('before-snap\n');
    expect((await mac.fcm(['microvm', 'rm', '--force', 'restored'])).exitCode).toBe(0);
  });

  guestAgentSteps(() => mac, 'bg2');
  networkSteps(
    () => mac,
    'bg2',
    () => mirrorUrl,
  );
  dashboardSteps(() => mac, ['bg2', 'web']);

  // `systemctl kill` would signal every process in the unit's cgroup (the microVMs' firecrackers
  // too); --kill-whom=main is `kill -9` of fc-agent alone.
  it('7. the agent killed with SIGKILL comes back with its microVMs; vm stop/start reports them truthfully', async () => {
    const kill = await mac.tart([
      'exec',
      VM_NAME,
      'sudo',
      'systemctl',
      'kill',
      '--kill-whom=main',
      '-s',
      'KILL',
      'fc-agent.service',
    ]);
    expect(kill.exitCode).toBe(0);
    let ls = await mac.fcm(['ls']);
    for (let i = 0; i < 20 && ls.exitCode !== 0; i++) {
      await sleep(5000);
      ls = await mac.fcm(['ls']);
    }
    expect(ls.stdout).toMatch(/bg2\s+.*running/);
    expect(ls.stdout).toMatch(/web\s+.*running/);
    const logs = await mac.fcm(['microvm', 'logs', 'bg2']);
    expect(logs.stdout).toMatch(/before-snap/);
    // Re-adopted, not just listed: the guest agent and the published port still answer.
    expect((await mac.fcm(['exec', 'bg2', '--', 'cat', '/tmp/mark'])).stdout).toBe('before-snap\n');
    const ip = (await mac.fcm(['vm', 'ip'])).stdout.trim();
    expect(await getFromMac(mac, `http://${ip}:9080/`)).toEqual({ status: 200, body: 'hello-from-web\n' });

    expect((await mac.fcm(['vm', 'stop'], 10 * 60_000)).exitCode).toBe(0);
    expect((await mac.fcm(['vm', 'start'], 20 * 60_000)).exitCode).toBe(0);
    // They ended with the Linux VM: said so, not "crashed"; the stopped one stays as it was.
    for (const name of ['bg2', 'web']) {
      const after = await statusOf(mac, name);
      expect(after).toMatchObject({ state: 'exited', pid: null, exit: { reason: 'host_restarted' } });
    }
    expect((await statusOf(mac, 'bg1')).exit?.reason).toBe('stopped');
    expect((await mac.fcm(['microvm', 'status', 'web'])).stdout).toMatch(/ended with the Linux side/);
  });

  it('8. uninstall --yes deletes the VM and leaves nothing', async () => {
    const r = await mac.fcm(['uninstall', '--yes'], 5 * 60_000);
    expect(r.exitCode).toBe(0);
    const list = await mac.tart(['list', '--format', 'json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    const doctor = await mac.fcm(['doctor']);
    expect(doctor.stdout.split('\n')[0]).toMatch(/not set up/);
  });
});
