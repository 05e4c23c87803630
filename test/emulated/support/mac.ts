// The emulated Mac for the journey: a temp dir holding Tart's home, fc-macos's config and state, an
// asset mirror (served inside the namespace, where the Linux VM reaches it) and a bin dir with the
// emulated tart, sw_vers and sysctl first on PATH. `fcm` runs the built CLI inside the namespace as
// a Mac user would. dispose() stops the Linux VM and removes everything, on failure too, unless
// FCEMU_KEEP=1 (then it prints how to reach the VM and what to remove by hand). FCEMU_REUSE=<dir>
// attaches to such a kept run instead of making a new one (setup then finds everything in place),
// so a step can be re-run in seconds: docs/testing.md.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type RunOptions, runProcess } from '../../../src/host/process.ts';
import { ALPINE_BRANCH, ALPINE_VERSION, FIRECRACKER_VERSION } from '../../../src/provision/assets.ts';
import { cliBin, repoRoot, testBinDir } from '../../support/paths.ts';
import { readPid } from '../../support/tart-args.ts';
import { attachEmuNet, createEmuNet, type EmuNet } from './net.ts';

export const emuDir = resolve(repoRoot, '..', 'shared', 'emu');
export const emulatedTartBin = join(testBinDir, 'emulated', 'tart');
export const guestKernel = join(emuDir, 'guest', 'vmlinux-6.1-aarch64');
export const VM_NAME = 'fc-macos-linux';
const MIRROR_PORT = 8099;

/** Why the tier cannot run here, or null. */
export function emulatedProblem(): string | null {
  if (!existsSync(join(emuDir, 'linux-vm', 'rootfs.qcow2'))) return `${emuDir} is missing`;
  if (process.getuid?.() !== 0) return 'not root (the tier needs a network namespace, a bridge and taps)';
  for (const tool of ['qemu-system-aarch64', 'qemu-img', 'dnsmasq', 'ssh', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}

export interface CmdResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class EmulatedMac {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly net: EmuNet;
  /** Attached to a run kept earlier (FCEMU_REUSE): its VM is up and set up already. */
  readonly reused: boolean;
  /** Print only failing commands (the bench sets it; the tests print every command). */
  quiet = false;
  private disposed = false;

  constructor() {
    const reuse = process.env.FCEMU_REUSE;
    this.reused = Boolean(reuse);
    let bin: string;
    if (reuse) {
      if (!existsSync(join(reuse, 'emu-net.json')))
        throw new Error(`FCEMU_REUSE=${reuse}: not a run kept with FCEMU_KEEP=1 (no emu-net.json there)`);
      this.dir = resolve(reuse);
      this.net = attachEmuNet(this.dir);
      bin = join(this.dir, 'bin');
    } else {
      this.dir = mkdtempSync(join(tmpdir(), 'fce-'));
      try {
        this.net = createEmuNet(this.dir);
      } catch (err) {
        rmSync(this.dir, { recursive: true, force: true });
        throw err;
      }
      bin = join(this.dir, 'bin');
      mkdirSync(bin);
      writeFileSync(join(bin, 'tart'), `#!/bin/sh\nexec ${JSON.stringify(emulatedTartBin)} "$@"\n`, {
        mode: 0o755,
      });
      writeFileSync(join(bin, 'sw_vers'), '#!/bin/sh\necho 15.1\n', { mode: 0o755 });
      writeFileSync(join(bin, 'sysctl'), '#!/bin/sh\necho "Apple M3 Pro"\n', { mode: 0o755 });
      mkdirSync(join(this.dir, 'home'));
    }
    const onSignal = (sig: NodeJS.Signals) => {
      if (process.env.FCEMU_KEEP !== '1') this.disposeSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('exit', () => process.env.FCEMU_KEEP !== '1' && this.disposeSync());
    this.env = {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: join(this.dir, 'home'),
      LANG: 'C.UTF-8',
      TERM: 'xterm',
      TART_HOME: join(this.dir, 'tart'),
      FCEMU_DIR: emuDir,
      FCEMU_BRIDGE: this.net.bridge,
      FCEMU_LEASES: this.net.leases,
      FC_MACOS_CONFIG_DIR: join(this.dir, 'config'),
      FC_MACOS_STATE_DIR: join(this.dir, 'state'),
      // Emulation (TCG, under load) is slow: every start-up wait of fc-macos gets this factor.
      FC_MACOS_WAIT_SCALE: process.env.FC_MACOS_WAIT_SCALE ?? '6',
      NODE_OPTIONS: `--import=${join(repoRoot, 'test', 'emulated', 'support', 'as-mac.mjs')}`,
    };
  }

  /** Serves firecracker/ and the minirootfs at the layout --assets-url expects; returns the URL. */
  serveAssets(): string {
    const url = `http://192.168.64.1:${MIRROR_PORT}`;
    const pidFile = join(this.dir, 'mirror.pid');
    if (this.reused && readPid(pidFile) !== null) return url;
    const root = join(this.dir, 'mirror');
    const fcDir = join(root, 'firecracker', FIRECRACKER_VERSION);
    mkdirSync(fcDir, { recursive: true });
    for (const f of readdirSync(join(emuDir, 'firecracker')))
      copyFileSync(join(emuDir, 'firecracker', f), join(fcDir, f));
    const alpineDir = join(root, 'alpine', ALPINE_BRANCH, 'aarch64');
    mkdirSync(alpineDir, { recursive: true });
    const name = `alpine-minirootfs-${ALPINE_VERSION}-aarch64.tar.gz`;
    const data = readFileSync(join(emuDir, 'guest', 'minirootfs-aarch64.tar.gz'));
    writeFileSync(join(alpineDir, name), data);
    writeFileSync(
      join(alpineDir, `${name}.sha256`),
      `${createHash('sha256').update(data).digest('hex')}  ${name}\n`,
    );
    const [file, args] = this.net.wrap('python3', [
      ...['-m', 'http.server', '--bind', '192.168.64.1', '--directory', root, String(MIRROR_PORT)],
    ]);
    // Its pid file is how this run, or a later one attached with FCEMU_REUSE, stops it.
    writeFileSync(pidFile, String(spawn(file, args, { stdio: 'ignore' }).pid));
    return url;
  }

  /** fc-macos (dist/cli.cjs) inside the namespace. Prints the output of every failing command. */
  async fcm(args: string[], timeoutMs = 5 * 60_000, stdin?: RunOptions['stdin']): Promise<CmdResult> {
    const [file, argv] = this.net.wrap(process.execPath, [cliBin, ...args]);
    const started = Date.now();
    const r = await runProcess(file, argv, { env: this.env, timeoutMs, ...(stdin ? { stdin } : {}) });
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (!this.quiet || r.exitCode !== 0)
      console.log(`$ fc-macos ${args.join(' ')}  (exit ${r.exitCode}, ${secs}s)\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** argv for a command inside the namespace with the Mac's environment (for a pty). */
  wrapArgv(args: string[]): string[] {
    const [file, argv] = this.net.wrap(process.execPath, [cliBin, ...args]);
    return [file, ...argv];
  }

  tart(args: string[], timeoutMs = 120_000): Promise<CmdResult> {
    const [file, argv] = this.net.wrap(emulatedTartBin, args);
    return runProcess(file, argv, { env: this.env, timeoutMs });
  }

  /** The Linux VM's serial console so far (for failure messages). */
  consoleTail(lines = 30): string {
    const f = join(this.dir, 'tart', 'vms', VM_NAME, 'console.log');
    return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '(no console log)';
  }

  async dispose(): Promise<void> {
    if (process.env.FCEMU_KEEP === '1') {
      console.log(
        `FCEMU_KEEP=1: the Linux VM stays up. Reach it with:\n  sudo ip netns exec ${this.net.netns} env TART_HOME=${this.env.TART_HOME} FCEMU_LEASES=${this.net.leases} ${emulatedTartBin} exec -i -t ${VM_NAME} bash\n` +
          `Run steps again on it (setup finds it set up): FCEMU_REUSE=${this.dir} FCEMU_KEEP=1 npm run test:emulated -- -t '<step>'\n` +
          `Clean up with: FCEMU_REUSE=${this.dir} npm run test:emulated -- -t '1\\. setup' (or by hand: kill $(cat ${this.env.TART_HOME}/vms/*/run.pid) $(cat ${this.dir}/mirror.pid) $(cat ${this.dir}/dnsmasq.pid); ip netns del ${this.net.netns}; rm -rf ${this.dir})`,
      );
      return;
    }
    this.disposeSync();
  }

  /** Synchronous, so it also runs from a signal handler or at exit (the runner stopped with ^C). */
  disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    const vms = join(this.dir, 'tart', 'vms');
    for (const name of existsSync(vms) ? readdirSync(vms) : []) {
      const pidFile = join(vms, name, 'run.pid');
      if (!existsSync(pidFile)) continue;
      const pid = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(pid, 'SIGTERM'); // tart run stops QEMU, removes its tap, then exits
      } catch {}
      for (let i = 0; i < 100 && existsSync(pidFile); i++) spawnSync('sleep', ['0.1']);
    }
    const mirror = readPid(join(this.dir, 'mirror.pid'));
    try {
      if (mirror !== null) process.kill(mirror, 'SIGTERM');
    } catch {} // ended between the two calls
    this.net.remove();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
