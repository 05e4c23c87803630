// The seam between the CLI and the place the agent runs. TartProvider (macOS: a Linux VM under
// Tart) and LocalProvider (Linux with /dev/kvm: no VM layer) implement it; src/provision drives it.
import type { ProviderName } from '../config/config.ts';
import type { AgentServiceSpec } from './agent-service.ts';
import type { ExecOptions, ExecResult } from './exec.ts';
import type { LinuxLayout } from './layout.ts';

export type { ExecFn, ExecOptions, ExecResult } from './exec.ts';

export type HostState = 'missing' | 'stopped' | 'running';

export interface HostStatus {
  provider: ProviderName;
  /** The VM's name for Tart; the hostname locally. */
  name: string;
  /** How messages name this layer, e.g. "the Linux VM fc-macos-linux" or "the host h1". */
  label: string;
  state: HostState;
  /** The address the agent is reached on from this machine, when running. */
  ip: string | null;
  detail: string;
}

export type LinuxArch = 'x86_64' | 'aarch64';

export interface AgentServiceState {
  /** systemd unit, or a detached daemon with a pid file (no systemd). */
  mode: 'systemd' | 'daemon';
  installed: boolean;
  running: boolean;
  detail: string;
}

export interface CheckResult {
  ok: boolean;
  detail: string;
  fix: string;
}

/** What the CLI and setup say about a provider, so that no caller branches on its name. */
export interface ProviderText {
  /** Title of setup's first step, e.g. "Linux VM (Tart)". */
  hostStep: string;
  /** setup's progress line while that step runs. */
  hostStarting: string;
  /** What fixes an agent that does not answer. */
  agentDownFix: string;
  /** What `fc-macos vm stop` did. */
  stopped: string;
  /** What uninstall removes first, for its question ("delete the Tart VM x"). */
  uninstallRemoves: string;
}

export interface HostProvider {
  readonly name: ProviderName;
  readonly text: ProviderText;
  /**
   * The Linux VM this provider runs the agent in (Tart), or null when the agent runs on this host.
   * Deleting the VM ends everything in it.
   */
  readonly vm: { name: string } | null;
  /** Paths on the Linux side. */
  readonly layout: LinuxLayout;
  /** Whether files under layout.agentDir need root to write (Tart VM, local root install). */
  readonly agentDirNeedsRoot: boolean;
  status(): Promise<HostStatus>;
  /** Creates (if needed) and starts the Linux side; resolves once commands can run in it. */
  ensureRunning(): Promise<void>;
  /** `fc-macos vm start`: the Linux side where there is one to start (Tart: the VM), then the agent. */
  startWithAgent(): Promise<void>;
  /**
   * Whether the Linux side is up and runs commands (setup's host step, doctor's "host" line), with
   * the fix when it is not. Throws a HostError with the fix when this machine cannot run it at all.
   */
  inspectHost(): Promise<CheckResult>;
  /** Base URL of the agent, e.g. http://192.168.64.5:8080. Throws HostDownError when not running. */
  agentUrl(): Promise<string>;
  /** Runs argv (never a shell string) on the Linux side. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Copies a local file to the Linux side and verifies its sha256 there. */
  copyIn(localPath: string, remotePath: string, opts?: { mode?: number; root?: boolean }): Promise<void>;
  /** An interactive shell on the Linux side, attached to this terminal; resolves to its exit code. */
  shell(): Promise<number>;
  /** The agent's journal (or the VM's log for Tart), as text. */
  logs(opts?: { lines?: number }): Promise<string>;
  stop(): Promise<void>;
  delete(): Promise<void>;

  /** Machine architecture of the Linux side. */
  arch(): Promise<LinuxArch>;
  /** Whether /dev/kvm exists and can be opened read-write by the agent's user on the Linux side. */
  checkKvm(): Promise<CheckResult>;
  /**
   * Does what this provider may to make /dev/kvm usable (Tart: loads the kvm module in the VM;
   * on a local host that is the admin's choice), reporting what it does through progress.
   */
  prepareKvm(progress: (message: string) => void): Promise<void>;
  /** Node.js for the agent on the Linux side, or null when missing. */
  findNode(): Promise<{ path: string; version: string } | null>;
  /** Installs Node.js on the Linux side (apt in the Tart VM); throws with the fix when it cannot. */
  installNode(): Promise<void>;
  /** host:port the agent listens on. */
  agentListen(): string;
  /** Installs the agent as a service (or daemon) and (re)starts it. */
  installAgent(spec: AgentServiceSpec): Promise<void>;
  agentService(): Promise<AgentServiceState>;
  startAgent(): Promise<void>;
  stopAgent(): Promise<void>;
  /** Stops the agent and removes its unit or pid file. */
  removeAgent(): Promise<void>;
}
