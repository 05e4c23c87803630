// Follows a file another process appends to (firecracker's console.log or firecracker.log):
// reads from the last offset when it changes, and on a slow timer as a fallback (inotify can be
// missing or miss events on some filesystems). One read runs at a time.
//
// Firecracker writes the serial console a byte at a time, so a booting kernel makes tens of
// thousands of writes, each an inotify event: reading on every event kept the agent on half a core
// during a boot on the emulated Mac, slowing the guest it watched. So fs.watch only wakes the
// follower from a quiet spell (the first byte, a typed key's echo, is read at once); the watch is
// then dropped and the file polled, every BURST_POLL_MS at first and less often (up to
// MAX_BURST_POLL_MS) while output keeps coming, until QUIET_POLLS polls in a row find nothing, when
// the watch is set again (and the file read once more, for what came in between). Each pass costs
// the agent the same whatever it reads (and sends a WebSocket frame per attached client), so a
// flood is read in few large chunks; a poll that finds nothing brings the period back down.
import { constants, type FSWatcher, fstatSync, readSync, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { ConsoleLogError, errnoCode } from './errors.ts';

const READ_CHUNK = 256 * 1024;
export const DEFAULT_POLL_MS = 500;
/** The fallback timer's period while fs.watch works: it only covers events inotify missed. */
const WATCHED_POLL_MS = 2000;
/** How often a file that is being written is read, at first (then at most that far behind). */
export const BURST_POLL_MS = 25;
/** The longest period while output keeps coming. */
export const MAX_BURST_POLL_MS = 100;
/** Empty polls in a row that end a burst: the watch is set again. */
const QUIET_POLLS = 4;

export interface FollowOptions {
  /** Where to start reading: a byte offset or the current end of the file. */
  from: number | 'end';
  /** Open read-write (needed to truncate the file); creates the file when missing. */
  writable?: boolean;
  pollMs?: number;
  onData: (chunk: Buffer) => void;
  /** Runs after every read pass, inside it (no other read runs meanwhile). */
  afterRead?: () => void;
}

export class FileFollower {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  /** Set while polling a burst of writes (no watch meanwhile). */
  private burst: NodeJS.Timeout | null = null;
  private quietPolls = 0;
  private pollMs = BURST_POLL_MS;
  /** Bytes delivered so far: a poll that moved it was not quiet. */
  private delivered = 0;
  private closed = false;
  private readonly buf = Buffer.allocUnsafe(READ_CHUNK);

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Byte offset of the next read. */
    public offset: number,
    private readonly opts: FollowOptions,
  ) {}

  static async open(path: string, opts: FollowOptions): Promise<FileFollower> {
    let handle: FileHandle;
    try {
      handle = opts.writable
        ? await open(path, constants.O_RDWR | constants.O_CREAT, 0o600)
        : await open(path, constants.O_RDONLY);
    } catch (err) {
      throw new ConsoleLogError(path, errnoCode(err) ?? String(err), { cause: err });
    }
    const size = (await handle.stat()).size;
    const offset = opts.from === 'end' ? size : Math.min(opts.from, size);
    return new FileFollower(path, handle, offset, opts);
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** Starts watching; reads once at once so nothing written before start() is missed. */
  start(): void {
    if (this.closed || this.timer) return;
    const pollMs = this.opts.pollMs ?? DEFAULT_POLL_MS;
    this.startTimer(this.arm() ? Math.max(pollMs, WATCHED_POLL_MS) : pollMs);
    void this.read();
  }

  /** Sets the watch; false when the file cannot be watched (the timer is then in charge). */
  private arm(): boolean {
    try {
      this.watcher = watch(this.path, { persistent: false }, () => this.changed());
      // A watch error (file removed, fs without inotify) leaves the timer in charge.
      this.watcher.on('error', () => {
        this.disarm();
        if (!this.closed) this.startTimer(this.opts.pollMs ?? DEFAULT_POLL_MS);
      });
      return true;
    } catch {
      this.watcher = null;
      return false;
    }
  }

  private disarm(): void {
    this.watcher?.close();
    this.watcher = null;
  }

  private startTimer(ms: number): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => {
      if (!this.burst) void this.read();
    }, ms);
    this.timer.unref();
  }

  /** The file changed after a quiet spell: read now, then poll the burst instead of watching. */
  private changed(): void {
    if (this.closed || this.burst) return;
    this.disarm();
    this.quietPolls = 0;
    this.pollMs = BURST_POLL_MS;
    this.burst = setTimeout(() => void this.poll(), 0);
    this.burst.unref();
  }

  private async poll(): Promise<void> {
    const before = this.delivered;
    await this.read();
    if (this.closed) return;
    const quiet = this.delivered === before;
    this.quietPolls = quiet ? this.quietPolls + 1 : 0;
    this.pollMs = quiet ? BURST_POLL_MS : Math.min(this.pollMs * 2, MAX_BURST_POLL_MS);
    if (this.quietPolls < QUIET_POLLS) {
      this.burst = setTimeout(() => void this.poll(), this.pollMs);
      this.burst.unref();
      return;
    }
    this.burst = null;
    // Writes between the last poll and the new watch raise no event: read once more after it.
    if (this.arm()) void this.read();
  }

  /** Reads everything appended since the last read. Concurrent calls share one pass plus one more. */
  read(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    // A pass that finds no more than one buffer runs synchronously, finally included: `running`
    // is only set when the pass is still under way after this call.
    let finished = false;
    const pass = (async () => {
      try {
        do {
          this.again = false;
          // A full buffer means more is waiting: read on after a turn of the event loop, so the
          // sockets of attached clients drain between chunks (a burst of megabytes read in one
          // go would pile up in every client's send buffer and drop fast clients as too slow).
          if (this.readPass()) {
            await new Promise((r) => setImmediate(r));
            this.again = true;
          }
        } while (this.again && !this.closed);
      } catch {
        // A transient read error must not kill the agent; the next event or tick retries.
      } finally {
        finished = true;
        this.running = null;
      }
    })();
    if (!finished) this.running = pass;
    return pass;
  }

  /** Reads what is there, at most one buffer; true when the buffer came back full. */
  private readPass(): boolean {
    // Synchronous reads: the file is in the page cache (firecracker just wrote it), so a read is a
    // few microseconds, where a FileHandle read through the thread pool cost milliseconds of the
    // agent's time per pass under emulation. Only a pass that finds nothing at all checks the
    // size, for a file someone truncated under us (what is there now is new output).
    const fd = this.handle.fd;
    let n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
    if (n === 0 && fstatSync(fd).size < this.offset) {
      this.offset = 0;
      n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
    }
    if (n > 0) {
      this.offset += n;
      this.delivered += n;
      this.opts.onData(Buffer.from(this.buf.subarray(0, n)));
    }
    if (!this.closed) this.opts.afterRead?.();
    return n === this.buf.length;
  }

  /**
   * Reads to the end synchronously, with no await, so the caller can act on the file right after
   * (truncate) with the smallest possible window for a concurrent writer.
   */
  readToEndSync(): void {
    const fd = this.handle.fd;
    if (fstatSync(fd).size < this.offset) this.offset = 0;
    for (;;) {
      const n = readSync(fd, this.buf, 0, this.buf.length, this.offset);
      if (n === 0) return;
      this.offset += n;
      this.opts.onData(Buffer.from(this.buf.subarray(0, n)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // One last pass so output written just before the close is delivered.
    await this.read();
    this.closed = true;
    this.disarm();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.burst) clearTimeout(this.burst);
    this.burst = null;
    await this.running;
    await this.handle.close().catch(() => undefined);
  }
}
