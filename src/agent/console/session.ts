// One microVM's serial console as the agent sees it. Firecracker appends the guest's serial output
// to console.log itself (opened O_APPEND) and reads its stdin from the console.in FIFO, which it
// holds open; so the session only follows files and never owns the console, and a new agent after
// a restart re-attaches by opening a new session on the same two paths.
import {
  closeSync,
  constants,
  open as fsOpen,
  read as fsRead,
  write as fsWrite,
  ftruncateSync,
} from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONSOLE_HISTORY_BYTES } from '../../api/console.ts';
import {
  ConsoleClosedError,
  ConsoleInputBlockedError,
  ConsoleInputUnavailableError,
  ConsoleLogError,
  errnoCode,
} from './errors.ts';
import { FileFollower } from './follow.ts';
import { HistoryBuffer, splitLines } from './history.ts';

export const DEFAULT_MAX_LOG_BYTES = 8 * 1024 * 1024;
/** How long one write waits for room in a full FIFO before giving up. */
export const DEFAULT_INPUT_TIMEOUT_MS = 10_000;

export interface ConsolePaths {
  /** console.log: firecracker's stdout, the guest serial output. */
  log: string;
  /** console.in: the FIFO firecracker reads as stdin. */
  input: string;
}

export interface ConsoleSessionOptions {
  historyBytes?: number;
  /** console.log is cut back to empty once it grows past this. */
  maxLogBytes?: number;
  /** Fallback polling period of console.log (fs.watch does the fast path). */
  pollMs?: number;
  inputTimeoutMs?: number;
}

export type ConsoleCloseListener = (code: number, reason: string) => void;

/**
 * The file next to console.log holding the history as it was when console.log was last cut, so a
 * new agent seeds a full history even right after a cut.
 */
export function historySnapshotPath(logPath: string): string {
  return `${logPath}.prev`;
}

export class ConsoleSession {
  private readonly listeners = new Set<(chunk: Buffer) => void>();
  private readonly closeListeners = new Set<ConsoleCloseListener>();
  private follower: FileFollower | null = null;
  private inputFd: number | null = null;
  private writeChain: Promise<void> = Promise.resolve();
  private snapshotChain: Promise<void> = Promise.resolve();
  private closing = false;
  private closePromise: Promise<void> | null = null;
  private closedWith: { code: number; reason: string } | null = null;

  private constructor(
    readonly paths: ConsolePaths,
    private readonly hist: HistoryBuffer,
    private readonly maxLogBytes: number,
    private readonly inputTimeoutMs: number,
  ) {}

  static async open(paths: ConsolePaths, opts: ConsoleSessionOptions = {}): Promise<ConsoleSession> {
    const historyBytes = opts.historyBytes ?? CONSOLE_HISTORY_BYTES;
    const maxLogBytes = opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    if (!Number.isInteger(maxLogBytes) || maxLogBytes < 1) {
      throw new RangeError(`maxLogBytes must be a positive integer, got ${maxLogBytes}`);
    }
    const hist = new HistoryBuffer(historyBytes);
    const session = new ConsoleSession(
      paths,
      hist,
      maxLogBytes,
      opts.inputTimeoutMs ?? DEFAULT_INPUT_TIMEOUT_MS,
    );
    const follower = await FileFollower.open(paths.log, {
      from: 'end',
      writable: true,
      ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
      onData: (chunk) => session.deliver(chunk),
      afterRead: () => session.capLog(),
    });
    session.follower = follower;
    try {
      // Seed from the snapshot of the last cut plus the tail of console.log, up to where the
      // follower starts: the follower delivers everything after, so nothing is doubled or skipped.
      const prev = await readFile(historySnapshotPath(paths.log)).catch(() => Buffer.alloc(0));
      hist.append(prev);
      hist.append(await readRange(follower.fd, Math.max(0, follower.offset - historyBytes), follower.offset));
    } catch (err) {
      await follower.close();
      throw new ConsoleLogError(paths.log, errnoCode(err) ?? String(err), { cause: err });
    }
    follower.start();
    return session;
  }

  /** The last historyBytes of console output. */
  history(): Buffer {
    return this.hist.snapshot();
  }

  /** The last n lines of the history as text ("\r" stripped). */
  lastLines(n: number): string[] {
    if (n <= 0) return [];
    return splitLines(this.history()).slice(-n);
  }

  /**
   * Calls fn with each new chunk of output. history() then subscribe() in the same tick gives every
   * byte exactly once: chunks reach the history and the subscribers in one synchronous step.
   */
  subscribe(fn: (chunk: Buffer) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Calls fn once when the session closes (at once if it already has). */
  onClose(fn: ConsoleCloseListener): () => void {
    if (this.closedWith) {
      fn(this.closedWith.code, this.closedWith.reason);
      return () => undefined;
    }
    this.closeListeners.add(fn);
    return () => {
      this.closeListeners.delete(fn);
    };
  }

  /** The close code and reason once closed, else null. */
  get closed(): { code: number; reason: string } | null {
    return this.closedWith;
  }

  /** Sends bytes to the guest's serial input. Writes from all clients are applied in call order. */
  write(data: Uint8Array): Promise<void> {
    const buf = Buffer.from(data);
    const result = this.writeChain.then(() => this.writeNow(buf));
    this.writeChain = result.catch(() => undefined);
    return result;
  }

  /** Reads what is left of console.log, ends every client with code/reason and stops following. */
  close(code: number, reason: string): Promise<void> {
    this.closePromise ??= this.doClose(code, reason);
    return this.closePromise;
  }

  private async doClose(code: number, reason: string): Promise<void> {
    this.closing = true;
    await this.follower?.close();
    await this.writeChain;
    await this.snapshotChain;
    this.closeInput();
    this.closedWith = { code, reason };
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    this.listeners.clear();
    for (const fn of listeners) {
      try {
        fn(code, reason);
      } catch {
        // One failing client must not keep the others attached.
      }
    }
  }

  private deliver(chunk: Buffer): void {
    this.hist.append(chunk);
    for (const fn of this.listeners) {
      try {
        fn(chunk);
      } catch {
        // A subscriber's failure is its own; the others and the history carry on.
      }
    }
  }

  /**
   * Cuts console.log back to empty once it passes maxLogBytes. The final read and the ftruncate run
   * synchronously back to back, so only bytes firecracker writes within those few microseconds
   * could be lost; firecracker opened the file O_APPEND, so its next write lands at the new end.
   * The history (in memory, and in the .prev snapshot for the next agent) keeps everything read.
   */
  private capLog(): void {
    const follower = this.follower;
    if (!follower || follower.offset <= this.maxLogBytes) return;
    follower.readToEndSync();
    ftruncateSync(follower.fd, 0);
    follower.offset = 0;
    const snapshot = this.hist.snapshot();
    const target = historySnapshotPath(this.paths.log);
    this.snapshotChain = this.snapshotChain.then(async () => {
      const tmp = `${target}.tmp`;
      try {
        await writeFile(tmp, snapshot, { mode: 0o600 });
        await rename(tmp, target);
      } catch {
        // Only a later agent's seed history suffers; the live session still has everything.
      }
    });
  }

  private async writeNow(buf: Buffer): Promise<void> {
    if (this.closing) throw new ConsoleClosedError(this.closedWith?.reason ?? 'closing');
    const fd = await this.inputFdOpen();
    const started = Date.now();
    let off = 0;
    let delay = 1;
    while (off < buf.length) {
      try {
        off += await writeFd(fd, buf, off);
        delay = 1;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
          // The pipe is full; wait for firecracker to read, bounded.
          if (this.closing) throw new ConsoleClosedError('closing');
          const waited = Date.now() - started;
          if (waited >= this.inputTimeoutMs) throw new ConsoleInputBlockedError(this.paths.input, waited);
          await sleep(delay);
          delay = Math.min(delay * 2, 50);
          continue;
        }
        this.closeInput();
        if (code === 'EPIPE') {
          throw new ConsoleInputUnavailableError(this.paths.input, 'EPIPE', { cause: err });
        }
        throw err;
      }
    }
  }

  private async inputFdOpen(): Promise<number> {
    if (this.inputFd !== null) return this.inputFd;
    try {
      // Non-blocking: a FIFO without a reader answers ENXIO at once instead of hanging the open.
      // A raw fd, not a FileHandle: a FileHandle gets closed when garbage-collected.
      this.inputFd = await openFd(this.paths.input, constants.O_WRONLY | constants.O_NONBLOCK);
      return this.inputFd;
    } catch (err) {
      const code = errnoCode(err);
      const detail =
        code === 'ENXIO'
          ? 'ENXIO: no process has it open for reading'
          : code === 'ENOENT'
            ? 'ENOENT: the FIFO does not exist'
            : (code ?? String(err));
      throw new ConsoleInputUnavailableError(this.paths.input, detail, { cause: err });
    }
  }

  private closeInput(): void {
    if (this.inputFd === null) return;
    try {
      closeSync(this.inputFd);
    } catch {
      // Already gone.
    }
    this.inputFd = null;
  }
}

function writeFd(fd: number, buf: Buffer, offset: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsWrite(fd, buf, offset, buf.length - offset, null, (err, written) =>
      err ? reject(err) : resolve(written),
    );
  });
}

function openFd(path: string, flags: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fsOpen(path, flags, (err, fd) => (err ? reject(err) : resolve(fd)));
  });
}

function readRange(fd: number, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Promise.resolve(Buffer.alloc(0));
  const buf = Buffer.alloc(end - start);
  return new Promise((resolve, reject) => {
    fsRead(fd, buf, 0, buf.length, start, (err, n) => (err ? reject(err) : resolve(buf.subarray(0, n))));
  });
}
