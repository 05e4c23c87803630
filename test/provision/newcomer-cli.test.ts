// A newcomer's path through the built CLI on a Linux host (local provider), offline: setup with
// given files, a plain re-run, a wrong --provider, a bad file, doctor, uninstall. Each block is
// one point of issue 18 and asserts what the user would look at: exit codes, the lines printed,
// and which files exist or changed.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/host/process.ts';
import { PtySession } from '../cli/harness.ts';
import { firecrackerElf, freePort, makeTestAssets, serveAssets } from '../support/assets.ts';
import { haltLoopElf } from '../support/kernel.ts';
import { cliBin, doubleBin } from '../support/paths.ts';
import { makeExt4 } from './harness.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function home() {
  const dir = await mkdtemp(join(tmpdir(), 'fc-macos-newcomer-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FC_MACOS_CONFIG_DIR: join(dir, 'config'),
    FC_MACOS_STATE_DIR: join(dir, 'state'),
    FC_MACOS_AGENT_DIR: join(dir, 'agent'),
    FC_MACOS_AGENT_SERVICE: 'daemon',
    // The Firecracker double needs no KVM: an openable stand-in passes the host checks.
    FC_MACOS_KVM_DEVICE: join(dir, 'kvm'),
    // No Tart anywhere on this machine, whatever PATH holds.
    FC_MACOS_TART: join(dir, 'no-tart'),
  };
  delete env.FC_MACOS_AGENT_URL;
  delete env.FC_MACOS_TOKEN;
  const cli = (...args: string[]) =>
    runProcess(process.execPath, [cliBin, ...args], { env, timeoutMs: 120_000 });
  cleanups.push(() => cli('uninstall', '--yes'));
  const files = {
    fc: join(dir, 'firecracker'),
    kernel: join(dir, 'vmlinux'),
    rootfs: join(dir, 'rootfs.ext4'),
  };
  writeFileSync(join(dir, 'kvm'), '');
  writeFileSync(files.fc, firecrackerElf(doubleBin), { mode: 0o755 });
  writeFileSync(files.kernel, haltLoopElf());
  makeExt4(files.rootfs);
  const port = String(await freePort());
  const offline = ['--firecracker-bin', files.fc, '--kernel', files.kernel, '--rootfs', files.rootfs];
  return { dir, env, cli, files, port, offline };
}

/** Every file under dir with its mtime and size: "changes no file" means this stays equal. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !p.endsWith('.log')) {
        const st = statSync(p);
        out[p] = `${st.mtimeMs}:${st.size}`;
      }
    }
  };
  walk(dir);
  return out;
}

describe('a newcomer with the built CLI (local provider, offline)', () => {
  it('point 5: on a terminal each step shows progress, downloads with bytes and rate', async () => {
    const h = await home();
    const assets = makeTestAssets(join(h.dir, 'mirror'), undefined, doubleBin);
    const server = await serveAssets(assets.root);
    cleanups.push(() => server.close());
    const tty = new PtySession(
      [
        process.execPath,
        cliBin,
        'setup',
        '--provider',
        'local',
        '--agent-port',
        h.port,
        '--assets-url',
        server.url,
        '--kernel',
        assets.paths.kernel,
      ],
      h.env,
    );
    try {
      expect(await tty.exited).toBe(0);
      const out = tty.text();
      // Each progress line is cut to the terminal's width; the numbers come first.
      expect(out).toMatch(
        /\[4\/7\] Firecracker v1\.14\.4 — downloading \d+ KiB of \d+ KiB, \d+(\.\d)? (KiB|MiB)\/s/,
      );
      expect(out).toMatch(/\[6\/7\] default rootfs \(Alpine 3\.24\.1\) — downloading \d+ KiB of \d+ KiB/);
      expect(out).toContain('building the ext4 image');
      expect(out).toMatch(/waiting for http:\/\/127\.0\.0\.1:\d+\/health/);
      expect(out).toContain('✓ [4/7] Firecracker v1.14.4: done');
      expect(out).toContain('✓ [2/7] /dev/kvm on the Linux side: in place');
      expect(out).not.toContain('already done');
    } finally {
      await tty.kill();
    }
  }, 180_000);

  it('point 1 and 5: a plain re-run after an offline setup reuses its flags, downloads nothing, changes no file', async () => {
    const h = await home();
    const first = await h.cli('setup', '--provider', 'local', '--agent-port', h.port, ...h.offline);
    expect(first.exitCode).toBe(0);
    // Without a TTY: one line per step, and none "already done" on the first setup.
    const lines = first.stderr.trim().split('\n');
    expect(lines.slice(0, 7)).toEqual([
      '[1/7] Linux host checks ... in place',
      '[2/7] /dev/kvm on the Linux side ... in place',
      '[3/7] Node.js >= 18 for the agent ... in place',
      '[4/7] Firecracker (given binary) ... done',
      '[5/7] guest kernel (given file) ... done',
      '[6/7] rootfs (given file) ... done',
      '[7/7] fc-agent ... done',
    ]);
    expect(first.stderr).not.toContain('already done');

    const config = join(h.dir, 'config');
    const state = join(h.dir, 'state');
    const before = { ...snapshot(config), ...snapshot(state) };
    const again = await h.cli('setup');
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(
      /^fc-macos is already set up: Firecracker v1\.14\.4, given file vmlinux, given file rootfs\.ext4, fc-agent \S+; fc-agent at http:\/\/127\.0\.0\.1:\d+$/m,
    );
    expect({ ...snapshot(config), ...snapshot(state) }).toEqual(before);

    // The remembered files may go away; nothing needs them until a reinstall.
    await rm(h.files.kernel);
    expect((await h.cli('setup')).exitCode).toBe(0);
    // Flags given again replace the remembered ones.
    const newKernel = join(h.dir, 'vmlinux-2');
    writeFileSync(newKernel, Buffer.concat([haltLoopElf(), Buffer.from([0])]));
    const replaced = await h.cli('--json', 'setup', '--kernel', newKernel);
    expect(JSON.parse(replaced.stdout).steps.find((s: { id: string }) => s.id === 'kernel').status).toBe(
      'done',
    );
    const saved = JSON.parse(readFileSync(join(state, 'setup-state.json'), 'utf8'));
    expect(saved.options).toEqual({ firecracker_bin: h.files.fc, kernel: newKernel, rootfs: h.files.rootfs });
  }, 180_000);

  it('point 2: a bad --firecracker-bin, --kernel or --rootfs is refused (exit 2) and the installation stays as it was', async () => {
    const h = await home();
    expect((await h.cli('setup', '--provider', 'local', '--agent-port', h.port, ...h.offline)).exitCode).toBe(
      0,
    );
    const agentDir = join(h.dir, 'agent');
    const installed = snapshot(agentDir);
    const script = join(h.dir, 'not-elf');
    writeFileSync(script, '#!/bin/sh\necho Firecracker v1.14.4\n', { mode: 0o755 });
    const gz = join(h.dir, 'bzImage');
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    const cases: Array<[string[], RegExp]> = [
      [
        ['--firecracker-bin', script],
        /--firecracker-bin .*not-elf is not an ELF executable \(it is a script\)/,
      ],
      [
        ['--firecracker-bin', h.files.kernel],
        /--firecracker-bin .*vmlinux does not run on the Linux side|is an ELF/,
      ],
      [['--kernel', gz], /--kernel .*bzImage is not an uncompressed ELF vmlinux \(it is gzip-compressed\)/],
      [['--rootfs', h.files.kernel], /--rootfs .*vmlinux is not an ext4 image/],
    ];
    for (const [flags, message] of cases) {
      const r = await h.cli('setup', ...flags);
      expect({ flags, code: r.exitCode }).toEqual({ flags, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('nothing was installed');
      expect(snapshot(agentDir)).toEqual(installed);
    }
    // A firecracker that runs but is too old.
    const old = join(h.dir, 'old-firecracker');
    writeFileSync(old, firecrackerElf(undefined, 'v1.13.1'), { mode: 0o755 });
    const r = await h.cli('setup', '--firecracker-bin', old);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/is Firecracker v1\.13\.1; fc-macos needs 1\.14 or newer/);
    // doctor still finds everything fine: the bad files never replaced the good ones.
    const doctor = await h.cli('doctor');
    expect(doctor.exitCode).toBe(0);
  }, 180_000);

  it('point 3, 4 and 6: a failed setup --provider tart breaks nothing; doctor; uninstall leaves nothing', async () => {
    const h = await home();
    expect((await h.cli('setup', '--provider', 'local', '--agent-port', h.port, ...h.offline)).exitCode).toBe(
      0,
    );
    const config = join(h.dir, 'config');
    const state = join(h.dir, 'state');
    const before = { ...snapshot(config), ...snapshot(state) };
    const tart = await h.cli('setup', '--provider', 'tart');
    expect(tart.exitCode).toBe(1);
    expect(tart.stderr).toContain('setup stopped at "host"');
    expect({ ...snapshot(config), ...snapshot(state) }).toEqual(before);

    // doctor: the same checks as setup, with versions, all fine.
    const doctor = await h.cli('doctor');
    expect(doctor.exitCode).toBe(0);
    expect(doctor.stdout).toMatch(/^✓ firecracker {2}Firecracker v1\.14\.4 \(/m);
    expect(doctor.stdout).toMatch(/^✓ kernel {7}given file vmlinux \(/m);
    expect(doctor.stdout).not.toContain('file:');
    // A broken binary in place (what a bad copy used to leave) is found, with the fix.
    writeFileSync(join(h.dir, 'agent', 'bin', 'firecracker'), '#!/bin/sh\nexit 0\n');
    const broken = await h.cli('doctor');
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout).toMatch(/^✗ firecracker .*is not an ELF executable/m);
    expect(broken.stdout).toMatch(/fix: run `fc-macos setup --force`/);

    // point 10: vm start on a running agent says so; vm status never repeats itself.
    const start = await h.cli('vm', 'start');
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toMatch(/and fc-agent were already running\n$/);
    expect((await h.cli('vm', 'status')).stdout).toMatch(/^fc-agent \(daemon\): running/m);
    expect((await h.cli('vm', 'stop')).exitCode).toBe(0);
    const stopped = await h.cli('vm', 'status');
    expect(stopped.stdout).toMatch(/^fc-agent \(daemon\): not running/m);
    expect(stopped.stdout).not.toMatch(/not running — not running/);
    const restarted = await h.cli('vm', 'start');
    expect(restarted.stdout).toMatch(/^fc-agent started/);

    const un = await h.cli('uninstall', '--yes');
    expect(un.exitCode).toBe(0);
    expect(existsSync(config)).toBe(false);
    expect(existsSync(state)).toBe(false);
    expect(existsSync(join(h.dir, 'agent'))).toBe(false);
    for (const line of un.stderr.trim().split('\n').slice(1)) expect(existsSync(line.trim())).toBe(false);
    expect(un.stderr).toContain(join(h.dir, 'agent'));

    const after = await h.cli('doctor');
    expect(after.exitCode).toBe(1);
    expect(after.stdout.split('\n')[0]).toBe('not set up: run `fc-macos setup`');
    // Nothing left to remove.
    const again = await h.cli('uninstall', '--yes');
    expect(again.stderr).toContain('nothing to remove');
    expect(existsSync(config)).toBe(false);
  }, 180_000);
});
