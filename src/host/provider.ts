// The seam between the CLI and the place the agent runs. TartProvider (macOS: a Linux VM under
// Tart) and LocalProvider (Linux with /dev/kvm: no VM layer) implement it; src/provision drives it.
import type { ProviderName } from '../config/config.ts';

export interface ExecOptions {
  /** Bytes sent to the command's stdin (Tart: `tart exec -i`). */
  stdin?: string | Uint8Array;
  /** Run as root (sudo inside the Tart VM; as-is locally when already root). */
  root?: boolean;
  timeoutMs?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type HostState = 'missing' | 'stopped' | 'running';

export interface HostStatus {
  provider: ProviderName;
  /** The VM's name for Tart; the hostname locally. */
  name: string;
  state: HostState;
  /** The address the agent is reached on from this machine, when running. */
  ip: string | null;
  detail: string;
}

export interface HostProvider {
  readonly name: ProviderName;
  status(): Promise<HostStatus>;
  /** Creates (if needed) and starts the Linux side; resolves once commands can run in it. */
  ensureRunning(): Promise<void>;
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
}
