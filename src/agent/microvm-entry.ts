// One microVM as the agent holds it: the public record (src/api Microvm), where its files are,
// how to reach and signal its firecracker, its console session, and a lock for lifecycle calls.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { ExitReason, Microvm } from '../api/schemas.ts';
import { FirecrackerClient } from '../firecracker/index.ts';
import type { ConsoleSession } from './console/session.ts';
import { Mutex } from './mutex.ts';
import { readProcStat } from './proc.ts';
import { type StoredRecord, writeRecord } from './store.ts';

export interface MicrovmPaths {
  dir: string;
  socket: string;
  consoleLog: string;
  consoleIn: string;
  firecrackerLog: string;
  /** firecracker's stderr (normally empty: it logs to --log-path). */
  firecrackerStderr: string;
  metrics: string;
  /** Where the default rootfs is copied to. */
  rootfsCopy: string;
}

/**
 * The names firecracker is given for the files the agent owns in a microVM's directory: relative,
 * resolved against its working directory (the microVM's directory), so a snapshot, which records
 * them as given, resolves them in whichever microVM's directory it is loaded into.
 */
export const ROOTFS_COPY_NAME = 'rootfs.ext4';

export function pathsFor(microvmsDir: string, id: string): MicrovmPaths {
  const dir = join(microvmsDir, id);
  return {
    dir,
    socket: join(dir, 'firecracker.sock'),
    consoleLog: join(dir, 'console.log'),
    consoleIn: join(dir, 'console.in'),
    firecrackerLog: join(dir, 'firecracker.log'),
    firecrackerStderr: join(dir, 'firecracker.stderr'),
    metrics: join(dir, 'metrics.json'),
    rootfsCopy: join(dir, ROOTFS_COPY_NAME),
  };
}

export type Intent = 'stop' | 'kill' | null;

/** How the end of a firecracker is told: what the agent was doing first, then how it ended. */
export function exitReasonFor(intent: Intent, code: number | null, signal: string | null): ExitReason {
  if (intent === 'kill') return 'killed';
  if (intent === 'stop') return 'stopped';
  // reboot=k: a guest reboot or poweroff makes firecracker exit by itself with code 0.
  if (signal === null && code === 0) return 'guest_reboot';
  return 'crashed';
}

export class MicrovmEntry {
  readonly lock = new Mutex();
  readonly client: FirecrackerClient;
  session: ConsoleSession | null = null;
  intent: Intent = null;
  /** Set once the files are being removed: nothing may write state.json again. */
  removed = false;
  /** Our own child (spawned by this agent): signalled directly, its exit event is authoritative. */
  child: ChildProcess | null = null;
  /** Polls /proc for a firecracker adopted after a restart (not our child). */
  watcher: NodeJS.Timeout | null = null;
  /**
   * Whether the console was quiet when the agent last paused this microVM (null: not paused by
   * this agent run). A snapshot records it: a busy console may not print after a restore.
   */
  consoleQuietAtPause: boolean | null = null;
  /**
   * Settles when the tap, rules and address of an exited microVM are gone: released after the exit
   * is recorded (and answered), so a stop does not wait for them; rm waits.
   */
  released: Promise<void> = Promise.resolve();
  private writes: Promise<void> = Promise.resolve();
  private goneResolve: () => void = () => undefined;
  /** Resolves once the exit has been fully recorded (state, console lines, state.json). */
  readonly gone: Promise<void>;

  constructor(
    public vm: Microvm,
    readonly paths: MicrovmPaths,
    public pidStart: number | null,
    public rootfsCopied: boolean,
    public phase: 'creating' | 'ready',
  ) {
    this.client = new FirecrackerClient(paths.socket);
    this.gone = new Promise((resolve) => {
      this.goneResolve = resolve;
    });
    if (vm.exit !== null) this.goneResolve();
  }

  /** Its firecracker is (as far as we know) running. */
  get alive(): boolean {
    return this.vm.exit === null && this.vm.pid !== null;
  }

  markGone(): void {
    this.goneResolve();
  }

  record(): StoredRecord {
    return {
      format: 1,
      phase: this.phase,
      microvm: this.vm,
      pid_starttime: this.pidStart,
      rootfs_copied: this.rootfsCopied,
      intent: this.intent,
    };
  }

  /** Writes state.json; writes are queued so an older record never lands after a newer one. */
  persist(): Promise<void> {
    const next = this.writes.then(async () => {
      if (this.removed) return;
      await writeRecord(this.paths.dir, this.record());
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Waits for queued state.json writes (before removing the directory). */
  flushed(): Promise<void> {
    return this.writes;
  }

  /**
   * Sends a signal to this microVM's firecracker and nothing else: our child directly, an adopted
   * process only while its start time still matches (the pid may have been reused).
   */
  async signal(sig: NodeJS.Signals): Promise<boolean> {
    const pid = this.vm.pid;
    if (pid === null || this.vm.exit !== null) return false;
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      return this.child.kill(sig);
    }
    const st = await readProcStat(pid);
    if (!st || st.state === 'Z' || (this.pidStart !== null && st.starttime !== this.pidStart)) return false;
    try {
      process.kill(pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}
