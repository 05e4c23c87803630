// The Linux side as a Tart VM on macOS: cloned from Cirrus Labs' Ubuntu image, run headless with
// nested virtualization, driven with `tart exec` (the Tart Guest Agent in the image; commands run
// as the `admin` user, root through `sudo -n`).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FcMacosPaths } from '../config/paths.ts';
import { waitScale } from '../config/wait-scale.ts';
import { type AgentServiceSpec, SystemdAgent } from './agent-service.ts';
import { HostDownError, HostError, TartError } from './errors.ts';
import { type LinuxLayout, linuxLayout, ROOT_AGENT_DIR } from './layout.ts';
import type {
  AgentServiceState,
  CheckResult,
  ExecOptions,
  ExecResult,
  HostProvider,
  HostStatus,
  LinuxArch,
  ProviderText,
} from './provider.ts';
import { copyInOver } from './remote-files.ts';
import { TartCli, tartArgv } from './tart-cli.ts';
import { type PreflightInputs, systemPreflightInputs, tartPreflight } from './tart-preflight.ts';

export const DEFAULT_TART_IMAGE = 'ghcr.io/cirruslabs/ubuntu:latest';
const IP_WAIT_S = 120;
const EXEC_READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_S = 30;

export interface TartProviderOptions {
  vmName: string;
  cpus: number;
  memoryMib: number;
  diskGb: number;
  agentPort: number;
  paths: FcMacosPaths;
  image?: string;
  /** Linux-side agent dir (default /var/lib/fc-agent) and unit dir (default /etc/systemd/system). */
  agentDir?: string;
  unitDir?: string;
  /** Address the agent binds inside the VM; 0.0.0.0 so the Mac reaches it on the VM's IP. */
  listenHost?: string;
  preflight?: PreflightInputs;
  /** Environment for tart (tests point FAKE_TART_HOME here). */
  env?: NodeJS.ProcessEnv;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class TartProvider implements HostProvider {
  readonly name = 'tart' as const;
  readonly layout: LinuxLayout;
  readonly agentDirNeedsRoot = true;
  private readonly preflightInputs: PreflightInputs;
  private cli: TartCli | null = null;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly systemd: SystemdAgent;
  /** Settles when the `tart run` this process started exits (a VM that failed to boot). */
  private runExit: Promise<void> | null = null;

  constructor(private readonly opts: TartProviderOptions) {
    this.layout = linuxLayout(opts.agentDir ?? ROOT_AGENT_DIR, opts.unitDir);
    this.preflightInputs = opts.preflight ?? systemPreflightInputs();
    this.sleep = opts.sleep ?? defaultSleep;
    this.systemd = new SystemdAgent((argv, o) => this.exec(argv, o), this.layout);
  }

  get vmName(): string {
    return this.opts.vmName;
  }

  /** Files of the `tart run` process on the Mac: its log and pid. */
  get runFiles(): { dir: string; log: string; pid: string } {
    const dir = join(this.opts.paths.stateDir, 'tart');
    return { dir, log: join(dir, `${this.opts.vmName}.log`), pid: join(dir, `${this.opts.vmName}.pid`) };
  }

  get text(): ProviderText {
    return {
      hostStep: 'Linux VM (Tart)',
      hostStarting: 'creating and starting the VM (the first clone downloads ~2 GB)',
      // The VM (and with it the agent) is usually just stopped.
      agentDownFix: 'run `fc-macos vm start`',
      stopped: 'VM stopped',
      uninstallRemoves: `delete the Tart VM ${this.opts.vmName}`,
    };
  }

  get vm(): { name: string } {
    return { name: this.opts.vmName };
  }

  async inspectHost(): Promise<CheckResult> {
    const st = await this.status();
    if (st.state !== 'running') {
      return {
        ok: false,
        detail: `the VM ${st.name} is ${st.state}: ${st.detail}`,
        fix: st.state === 'missing' ? 'fc-macos setup' : 'fc-macos vm start',
      };
    }
    const res = await this.exec(['true']);
    if (res.exitCode !== 0)
      return {
        ok: false,
        detail: `the VM ${st.name} runs but does not run commands`,
        fix: 'fc-macos vm start',
      };
    return { ok: true, detail: `${st.name}: ${st.detail}`, fix: '' };
  }

  async startWithAgent(): Promise<void> {
    await this.ensureRunning();
    await this.startAgent();
  }

  async prepareKvm(progress: (message: string) => void): Promise<void> {
    progress('loading the kvm module');
    await this.exec(['modprobe', 'kvm'], { root: true });
  }

  /** Checks the Mac (macOS, chip, Tart) and remembers the tart binary. */
  async preflight(): Promise<TartCli> {
    const report = await tartPreflight(this.preflightInputs);
    this.cli = new TartCli(report.tart, this.opts.env ?? this.preflightInputs.env);
    return this.cli;
  }

  private async tart(): Promise<TartCli> {
    return this.cli ?? (await this.preflight());
  }

  async status(): Promise<HostStatus> {
    const cli = await this.tart();
    const vm = await cli.find(this.opts.vmName);
    const base = {
      provider: 'tart' as const,
      name: this.opts.vmName,
      label: `the Linux VM ${this.opts.vmName}`,
    };
    if (!vm) return { ...base, state: 'missing', ip: null, detail: `no Tart VM named ${this.opts.vmName}` };
    if (vm.State !== 'running') return { ...base, state: 'stopped', ip: null, detail: `VM is ${vm.State}` };
    const ip = await cli.run(tartArgv.ip(this.opts.vmName));
    const addr = ip.exitCode === 0 ? ip.stdout.trim() : null;
    return {
      ...base,
      state: 'running',
      ip: addr,
      detail: addr ? `running at ${addr}` : `running, no IP yet (${ip.stderr.trim()})`,
    };
  }

  async ensureRunning(): Promise<void> {
    const cli = await this.preflight();
    const name = this.opts.vmName;
    let vm = await cli.find(name);
    if (!vm) {
      await cli.must(
        tartArgv.clone(this.opts.image ?? DEFAULT_TART_IMAGE, name),
        { timeoutMs: 60 * 60_000 },
        'check the network and free disk space (~20 GB), then run `fc-macos setup` again',
      );
      await cli.must(
        tartArgv.set(name, {
          cpu: this.opts.cpus,
          memoryMib: this.opts.memoryMib,
          diskGb: this.opts.diskGb,
        }),
      );
      vm = await cli.find(name);
      if (!vm) throw new TartError(tartArgv.list(), 0, `VM ${name} missing right after tart clone`);
    }
    if (vm.State !== 'running') await this.startDetached(cli);
    await this.waitReady(cli);
  }

  /** `tart run` lives as long as the VM: detached, in its own session, output to a log file. */
  private async startDetached(cli: TartCli): Promise<void> {
    const files = this.runFiles;
    mkdirSync(files.dir, { recursive: true, mode: 0o700 });
    const fd = openSync(files.log, 'a', 0o600);
    try {
      const child = spawn(cli.bin, tartArgv.run(this.opts.vmName), {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: this.opts.env ?? this.preflightInputs.env,
      });
      child.on('error', () => {});
      this.runExit = new Promise((resolve) => child.on('exit', () => resolve()));
      child.unref();
      if (child.pid === undefined) throw new HostError('tart_failed', `could not start ${cli.bin} run`);
      writeFileSync(files.pid, `${child.pid}\n`, { mode: 0o600 });
    } finally {
      closeSync(fd);
    }
  }

  private runLogTail(lines = 15): string {
    try {
      return readFileSync(this.runFiles.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Waits for an IP (tart ip --wait) and for `tart exec` to answer; a dead `tart run` fails fast. */
  private async waitReady(cli: TartCli): Promise<void> {
    const name = this.opts.vmName;
    const scale = waitScale(this.opts.env ?? process.env);
    const ipWaitS = Math.round(IP_WAIT_S * scale);
    const execReadyMs = EXEC_READY_TIMEOUT_MS * scale;
    const abort = new AbortController();
    const exited = 'exited' as const;
    const ip = await Promise.race([
      cli.run(tartArgv.ip(name, ipWaitS), { timeoutMs: (ipWaitS + 30) * 1000, signal: abort.signal }),
      ...(this.runExit ? [this.runExit.then((): typeof exited => exited)] : []),
    ]);
    if (typeof ip === 'string') {
      abort.abort();
      // Give the log a moment to be flushed by the exiting process.
      await this.sleep(100);
      throw new HostError(
        'host_down',
        `tart run ${name} exited while the VM was starting:\n${this.runLogTail()}`,
        `look at ${this.runFiles.log}; nested virtualization needs an M3 or later and macOS 15+`,
      );
    }
    if (ip.exitCode !== 0) {
      throw new HostError(
        'host_down',
        `the VM ${name} got no IP address: ${ip.stderr.trim()}\n${this.runLogTail()}`,
        `look at ${this.runFiles.log}, then: fc-macos vm stop && fc-macos setup`,
      );
    }
    const deadline = Date.now() + execReadyMs;
    let last = '';
    while (Date.now() < deadline) {
      const res = await cli.run(tartArgv.exec(name, ['true']), { timeoutMs: 30_000 });
      if (res.exitCode === 0) return;
      last = res.stderr.trim();
      const vm = await cli.find(name);
      if (vm?.State !== 'running') {
        throw new HostError(
          'host_down',
          `the VM ${name} stopped while booting\n${this.runLogTail()}`,
          `look at ${this.runFiles.log}`,
        );
      }
      await this.sleep(1000);
    }
    throw new HostError(
      'host_down',
      `tart exec does not answer in ${name} after ${execReadyMs / 1000}s: ${last}`,
      'the image needs the Tart Guest Agent (Cirrus Labs images have it); try: fc-macos vm stop && fc-macos vm start',
    );
  }

  async agentUrl(): Promise<string> {
    const st = await this.status();
    if (st.state !== 'running' || !st.ip) {
      throw new HostDownError(
        `the Linux VM ${this.opts.vmName} is ${st.state === 'running' ? 'running without an IP' : st.state}`,
      );
    }
    return `http://${st.ip}:${this.opts.agentPort}`;
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const cli = await this.tart();
    const cmd = opts.root ? ['sudo', '-n', ...argv] : argv;
    return cli.run(tartArgv.exec(this.opts.vmName, cmd, { interactive: opts.stdin !== undefined }), {
      stdin: opts.stdin,
      timeoutMs: opts.timeoutMs,
    });
  }

  readonly copyIn = copyInOver((argv, o) => this.exec(argv, o));

  async shell(): Promise<number> {
    const cli = await this.tart();
    const tty = Boolean(process.stdin.isTTY);
    const args = tartArgv.exec(this.opts.vmName, ['bash', '-l'], { interactive: true, tty });
    return new Promise((resolve, reject) => {
      const child = spawn(cli.bin, args, {
        stdio: 'inherit',
        env: this.opts.env ?? this.preflightInputs.env,
      });
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
    });
  }

  async logs(opts: { lines?: number } = {}): Promise<string> {
    const lines = opts.lines ?? 200;
    const st = await this.status();
    const parts: string[] = [];
    if (st.state === 'running') parts.push(`== fc-agent (journal) ==\n${await this.systemd.logs(lines)}`);
    const vmLog = this.runLogTail(lines);
    if (vmLog) parts.push(`== tart run (${this.runFiles.log}) ==\n${vmLog}`);
    return parts.join('\n') || `no logs: the VM ${this.opts.vmName} is ${st.state}`;
  }

  async stop(): Promise<void> {
    const cli = await this.tart();
    const vm = await cli.find(this.opts.vmName);
    if (vm?.State === 'running') {
      await cli.must(tartArgv.stop(this.opts.vmName, STOP_TIMEOUT_S), {
        timeoutMs: (STOP_TIMEOUT_S + 30) * 1000,
      });
    }
    rmSync(this.runFiles.pid, { force: true });
  }

  async delete(): Promise<void> {
    const cli = await this.tart();
    const vm = await cli.find(this.opts.vmName);
    if (!vm) return;
    await this.stop();
    await cli.must(tartArgv.delete(this.opts.vmName));
    rmSync(this.runFiles.log, { force: true });
  }

  async arch(): Promise<LinuxArch> {
    const res = await this.exec(['uname', '-m']);
    const m = res.stdout.trim();
    if (m === 'aarch64' || m === 'arm64') return 'aarch64';
    if (m === 'x86_64') return 'x86_64';
    throw new HostError('exec_failed', `unsupported architecture in the VM: ${m || res.stderr.trim()}`);
  }

  async checkKvm(): Promise<CheckResult> {
    // The agent runs as root (systemd unit), so that is whose access counts.
    const res = await this.exec(['sh', '-c', KVM_CHECK_SCRIPT], { root: true });
    return res.exitCode === 0
      ? { ok: true, detail: '/dev/kvm is usable in the VM', fix: '' }
      : {
          ok: false,
          detail: `/dev/kvm in the VM: ${res.stdout.trim() || res.stderr.trim()}`,
          fix: `the VM must run with nested virtualization (tart run --nested, M3 or later, macOS 15+): fc-macos vm stop && fc-macos vm start`,
        };
  }

  async findNode(): Promise<{ path: string; version: string } | null> {
    const res = await this.exec(['sh', '-c', 'command -v node && node --version']);
    if (res.exitCode !== 0) return null;
    const [path, version] = res.stdout.trim().split('\n');
    return path && version ? { path: path.trim(), version: version.trim().replace(/^v/, '') } : null;
  }

  async installNode(): Promise<void> {
    for (const argv of [
      ['apt-get', 'update', '-q'],
      ['env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', 'nodejs'],
    ]) {
      const res = await this.exec(argv, { root: true, timeoutMs: 15 * 60_000 });
      if (res.exitCode !== 0) {
        throw new HostError(
          'exec_failed',
          `${argv.join(' ')} failed in the VM (exit ${res.exitCode}): ${res.stderr.trim().split('\n').slice(-3).join('\n')}`,
          `check the VM's network: fc-macos vm shell, then sudo apt-get install -y nodejs`,
        );
      }
    }
  }

  agentListen(): string {
    return `${this.opts.listenHost ?? '0.0.0.0'}:${this.opts.agentPort}`;
  }

  installAgent(spec: AgentServiceSpec): Promise<void> {
    return this.systemd.install(spec);
  }

  async agentService(): Promise<AgentServiceState> {
    const installed = await this.systemd.installed();
    const running = installed && (await this.systemd.active());
    return {
      mode: 'systemd',
      installed,
      running,
      detail: installed
        ? `${this.layout.unitFile} (${running ? 'active' : 'inactive'})`
        : 'no unit installed',
    };
  }

  startAgent(): Promise<void> {
    return this.systemd.start();
  }

  stopAgent(): Promise<void> {
    return this.systemd.stop();
  }

  removeAgent(): Promise<void> {
    return this.systemd.remove();
  }
}

/** Prints what is wrong with /dev/kvm, exits non-zero; silent success. */
export const KVM_CHECK_SCRIPT = `if [ ! -e /dev/kvm ]; then echo "/dev/kvm does not exist"; exit 1; fi
if [ ! -c /dev/kvm ]; then echo "/dev/kvm is not a character device"; exit 1; fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then echo "/dev/kvm is not readable and writable by $(id -un)"; exit 1; fi
`;
