// The Linux side is this machine: no VM layer. The agent runs on 127.0.0.1, as a systemd unit when
// systemd is running and we are root, otherwise as a detached daemon with a pid file.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FcMacosPaths } from '../config/paths.ts';
import { type AgentServiceSpec, agentArgv, SystemdAgent } from './agent-service.ts';
import { HostError, KvmError } from './errors.ts';
import type { ExecOptions, ExecResult } from './exec.ts';
import { type LinuxLayout, linuxLayout, ROOT_AGENT_DIR } from './layout.ts';
import { runProcess } from './process.ts';
import type {
  AgentServiceState,
  CheckResult,
  HostProvider,
  HostStatus,
  LinuxArch,
  ProviderText,
} from './provider.ts';
import { copyInOver } from './remote-files.ts';

export type ServiceMode = 'auto' | 'systemd' | 'daemon';

export interface LocalProviderOptions {
  agentPort: number;
  paths: FcMacosPaths;
  /** Default: /var/lib/fc-agent as root, <state dir>/agent otherwise (FC_MACOS_AGENT_DIR overrides). */
  agentDir?: string;
  /** auto: systemd when /run/systemd/system exists and we are root; else a detached daemon. */
  serviceMode?: ServiceMode;
  kvmPath?: string;
  unitDir?: string;
  isRoot?: boolean;
  platform?: NodeJS.Platform;
  sleep?: (ms: number) => Promise<void>;
}

/** Tools the rootfs build and asset installs use on the Linux side, with the package that has them. */
const REQUIRED_TOOLS: Array<[string, string]> = [
  ['sh', 'dash'],
  ['tar', 'tar'],
  ['gzip', 'gzip'],
  ['sha256sum', 'coreutils'],
  ['mkfs.ext4', 'e2fsprogs'],
];

export function localAgentDir(
  paths: FcMacosPaths,
  isRoot: boolean,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (env.FC_MACOS_AGENT_DIR) return env.FC_MACOS_AGENT_DIR;
  return isRoot ? ROOT_AGENT_DIR : join(paths.stateDir, 'agent');
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class LocalProvider implements HostProvider {
  readonly name = 'local' as const;
  readonly layout: LinuxLayout;
  readonly agentDirNeedsRoot = false;
  private readonly isRoot: boolean;
  private readonly mode: 'systemd' | 'daemon';
  private readonly systemd: SystemdAgent;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: LocalProviderOptions) {
    this.isRoot = opts.isRoot ?? process.getuid?.() === 0;
    this.layout = linuxLayout(opts.agentDir ?? localAgentDir(opts.paths, this.isRoot), opts.unitDir);
    const wanted = opts.serviceMode ?? 'auto';
    this.mode =
      wanted === 'auto' ? (this.isRoot && existsSync('/run/systemd/system') ? 'systemd' : 'daemon') : wanted;
    this.systemd = new SystemdAgent((argv, o) => this.exec(argv, o), this.layout);
    this.sleep = opts.sleep ?? defaultSleep;
  }

  get text(): ProviderText {
    return {
      hostStep: 'Linux host checks',
      hostStarting: 'checking',
      // The agent daemon stopped, unless this host was never set up.
      agentDownFix: 'run `fc-macos vm start` to start it (or `fc-macos setup` if this host was never set up)',
      stopped: 'fc-agent stopped (microVMs keep running)',
      uninstallRemoves: `stop the agent and remove ${this.layout.agentDir}`,
    };
  }

  readonly vm = null;

  async inspectHost(): Promise<CheckResult> {
    // ensureRunning only checks here (Linux, KVM, tools); it starts nothing.
    await this.ensureRunning();
    return { ok: true, detail: 'Linux with the tools setup needs', fix: '' };
  }

  async startWithAgent(): Promise<void> {
    await this.startAgent();
  }

  /** /dev/kvm on this host is the admin's: checkKvm says what to do when it is not usable. */
  async prepareKvm(): Promise<void> {}

  get serviceMode(): 'systemd' | 'daemon' {
    return this.mode;
  }

  async status(): Promise<HostStatus> {
    const agent = await this.agentService();
    return {
      provider: 'local',
      name: hostname(),
      label: `the host ${hostname()}`,
      state: 'running',
      ip: '127.0.0.1',
      detail: `no VM layer (this machine); fc-agent ${agent.running ? 'running' : agent.installed ? 'stopped' : 'not installed'} (${agent.mode})`,
    };
  }

  /** Host checks: Linux, a usable /dev/kvm, the tools setup uses. */
  async ensureRunning(): Promise<void> {
    const platform = this.opts.platform ?? process.platform;
    if (platform !== 'linux') {
      throw new HostError(
        'preflight_failed',
        `the local provider needs Linux with KVM; this is ${platform}`,
        platform === 'darwin' ? 'use the Tart provider: fc-macos setup --provider tart' : undefined,
      );
    }
    const kvm = await this.checkKvm();
    if (!kvm.ok) throw new KvmError(kvm.detail, kvm.fix);
    for (const [tool, pkg] of REQUIRED_TOOLS) {
      const res = await runProcess('sh', ['-c', 'command -v "$1"', 'sh', tool]);
      if (res.exitCode !== 0) {
        throw new HostError(
          'command_not_found',
          `${tool} is not installed`,
          `sudo apt-get install -y ${pkg}`,
        );
      }
    }
  }

  async agentUrl(): Promise<string> {
    return `http://127.0.0.1:${this.opts.agentPort}`;
  }

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const cmd = opts.root && !this.isRoot ? ['sudo', '-n', ...argv] : argv;
    const [file, ...args] = cmd;
    if (!file) throw new HostError('exec_failed', 'empty command');
    return runProcess(file, args, { stdin: opts.stdin, timeoutMs: opts.timeoutMs });
  }

  readonly copyIn = copyInOver((argv, o) => this.exec(argv, o));

  async shell(): Promise<number> {
    process.stderr.write(
      'fc-macos: the local provider has no VM: this machine is the Linux side. Use your own shell; ' +
        `the agent's files are in ${this.layout.agentDir}.\n`,
    );
    return 2;
  }

  async logs(opts: { lines?: number } = {}): Promise<string> {
    const lines = opts.lines ?? 200;
    if (this.mode === 'systemd') return this.systemd.logs(lines);
    try {
      return readFileSync(this.layout.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return `no agent log at ${this.layout.logFile}`;
    }
  }

  stop(): Promise<void> {
    return this.stopAgent();
  }

  async delete(): Promise<void> {
    await this.removeAgent();
    rmSync(this.layout.agentDir, { recursive: true, force: true });
  }

  async arch(): Promise<LinuxArch> {
    if (process.arch === 'x64') return 'x86_64';
    if (process.arch === 'arm64') return 'aarch64';
    throw new HostError(
      'preflight_failed',
      `unsupported architecture ${process.arch}: Firecracker runs on x86_64 and aarch64`,
    );
  }

  async checkKvm(): Promise<CheckResult> {
    const path = this.opts.kvmPath ?? '/dev/kvm';
    try {
      closeSync(openSync(path, 'r+'));
      return { ok: true, detail: `${path} is usable`, fix: '' };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return {
          ok: false,
          detail: `${path} does not exist: KVM is not available on this machine`,
          fix: 'enable virtualization (VT-x/AMD-V) in the firmware and load the module (`sudo modprobe kvm_intel` or `sudo modprobe kvm_amd`); on a cloud VM pick an instance type with nested virtualization',
        };
      }
      if (code === 'EACCES' || code === 'EPERM') {
        return {
          ok: false,
          detail: `${path} is not readable and writable by this user`,
          fix: 'add yourself to the kvm group with `sudo usermod -aG kvm "$USER"`, then log out and back in',
        };
      }
      return {
        ok: false,
        detail: `${path}: ${(err as Error).message}`,
        fix: 'check the device with `ls -l /dev/kvm`',
      };
    }
  }

  /** The agent runs on the Node that runs this CLI (>= 20). */
  async findNode(): Promise<{ path: string; version: string } | null> {
    return { path: process.execPath, version: process.versions.node };
  }

  async installNode(): Promise<void> {
    // Unreachable in practice: findNode always answers with the CLI's own Node.
  }

  agentListen(): string {
    return `127.0.0.1:${this.opts.agentPort}`;
  }

  async installAgent(spec: AgentServiceSpec): Promise<void> {
    if (this.mode === 'systemd') return this.systemd.install(spec);
    await this.stopDaemon();
    writeFileSync(join(this.layout.agentDir, 'fc-agent.argv.json'), JSON.stringify(agentArgv(spec)), {
      mode: 0o600,
    });
    await this.startDaemon();
  }

  private readDaemonPid(): number | null {
    try {
      const pid = Number.parseInt(readFileSync(this.layout.pidFile, 'utf8'), 10);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** The daemon's pid when it is alive and really is our agent (not a recycled pid). */
  private daemonPid(): number | null {
    const pid = this.readDaemonPid();
    if (pid === null) return null;
    try {
      process.kill(pid, 0);
    } catch {
      return null;
    }
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes(this.layout.agentBundle) ? pid : null;
    } catch {
      return pid;
    }
  }

  private async startDaemon(): Promise<void> {
    if (this.daemonPid() !== null) return;
    let argv: string[];
    try {
      argv = JSON.parse(readFileSync(join(this.layout.agentDir, 'fc-agent.argv.json'), 'utf8')) as string[];
    } catch {
      throw new HostError(
        'host_down',
        `fc-agent is not installed in ${this.layout.agentDir}`,
        'fc-macos setup',
      );
    }
    const [node, ...args] = argv;
    if (!node) throw new HostError('host_down', 'fc-agent argv is empty', 'fc-macos setup --force');
    mkdirSync(this.layout.agentDir, { recursive: true, mode: 0o700 });
    const fd = openSync(this.layout.logFile, 'a', 0o600);
    try {
      // detached: a new session (setsid), so the agent outlives this CLI and its terminal.
      const child = spawn(node, args, { detached: true, stdio: ['ignore', fd, fd] });
      child.on('error', () => {});
      child.unref();
      if (child.pid === undefined) throw new HostError('host_down', `could not start ${node}`);
      writeFileSync(this.layout.pidFile, `${child.pid}\n`, { mode: 0o600 });
    } finally {
      closeSync(fd);
    }
  }

  private async stopDaemon(): Promise<void> {
    const pid = this.daemonPid();
    if (pid !== null) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && this.daemonPid() !== null; i++) await this.sleep(100);
      if (this.daemonPid() !== null) process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 50 && this.daemonPid() !== null; i++) await this.sleep(100);
    }
    rmSync(this.layout.pidFile, { force: true });
  }

  async agentService(): Promise<AgentServiceState> {
    if (this.mode === 'systemd') {
      const installed = await this.systemd.installed();
      const running = installed && (await this.systemd.active());
      return { mode: 'systemd', installed, running, detail: this.layout.unitFile };
    }
    const installed = existsSync(join(this.layout.agentDir, 'fc-agent.argv.json'));
    const pid = this.daemonPid();
    return {
      mode: 'daemon',
      installed,
      running: pid !== null,
      detail:
        pid !== null ? `pid ${pid}, log ${this.layout.logFile}` : `not running (log ${this.layout.logFile})`,
    };
  }

  startAgent(): Promise<void> {
    return this.mode === 'systemd' ? this.systemd.start() : this.startDaemon();
  }

  stopAgent(): Promise<void> {
    return this.mode === 'systemd' ? this.systemd.stop() : this.stopDaemon();
  }

  async removeAgent(): Promise<void> {
    if (this.mode === 'systemd') return this.systemd.remove();
    await this.stopDaemon();
    rmSync(join(this.layout.agentDir, 'fc-agent.argv.json'), { force: true });
  }
}
