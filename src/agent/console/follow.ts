// Follows a file another process appends to (firecracker's console.log or firecracker.log):
// reads from the last offset whenever fs.watch reports a change, and on a timer as a fallback
// (inotify can be missing or miss events on some filesystems). One read runs at a time.
import { constants, type FSWatcher, fstatSync, readSync, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { ConsoleLogError, errnoCode } from './errors.ts';

const READ_CHUNK = 256 * 1024;
export const DEFAULT_POLL_MS = 500;

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
    try {
      this.watcher = watch(this.path, { persistent: false }, () => void this.read());
      // A watch error (file removed, fs without inotify) leaves the timer in charge.
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null;
    }
    this.timer = setInterval(() => void this.read(), this.opts.pollMs ?? DEFAULT_POLL_MS);
    this.timer.unref();
    void this.read();
  }

  /** Reads everything appended since the last read. Concurrent calls share one pass plus one more. */
  read(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.readPass();
        } while (this.again && !this.closed);
      } catch {
        // A transient read error must not kill the agent; the next event or tick retries.
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async readPass(): Promise<void> {
    const { size } = await this.handle.stat();
    // Someone truncated the file under us: what is there now is new output.
    if (size < this.offset) this.offset = 0;
    while (!this.closed) {
      const { bytesRead } = await this.handle.read(this.buf, 0, this.buf.length, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      this.opts.onData(Buffer.from(this.buf.subarray(0, bytesRead)));
    }
    if (!this.closed) this.opts.afterRead?.();
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
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.handle.close().catch(() => undefined);
  }
}
