// Console FIFOs made ahead of time. Node cannot make a FIFO itself, and spawning mkfifo costs a
// fork on the create's critical path (tens of ms on a busy host); so one FIFO waits ready in
// <state-dir>/spare-fifos and a create renames it into place, then a new one is made after the
// create answered. When none is ready (concurrent creates), the create makes its own.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../log.ts';

const execFileP = promisify(execFile);

export const SPARE_FIFOS_DIR = 'spare-fifos';

export function mkfifo(path: string): Promise<unknown> {
  return execFileP('mkfifo', ['-m', '600', '--', path]);
}

export class FifoSpares {
  private readonly dir: string;
  private readonly ready: string[] = [];
  private refilling = false;
  private enabled = false;

  constructor(
    stateDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(stateDir, SPARE_FIFOS_DIR);
  }

  /** Starts afresh (spares of an earlier run are removed) and makes the first spare. */
  async prepare(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { mode: 0o700 });
    await chmod(this.dir, 0o700);
    this.enabled = true;
    await this.refillNow();
  }

  /** Puts a FIFO (mode 0600) at dest: a spare when one is ready, else a new one. */
  async take(dest: string): Promise<void> {
    const spare = this.ready.pop();
    if (spare !== undefined) {
      try {
        await rename(spare, dest);
        return;
      } catch (err) {
        this.log.warn('spare console FIFO unusable, making one', { spare, error: err });
      }
    }
    await mkfifo(dest);
  }

  /** Makes a new spare soon, off the path of the request that used the last one. */
  refillSoon(): void {
    if (!this.enabled || this.refilling || this.ready.length > 0) return;
    this.refilling = true;
    setImmediate(() => {
      void this.refillNow().finally(() => {
        this.refilling = false;
      });
    });
  }

  private async refillNow(): Promise<void> {
    const path = join(this.dir, `${randomBytes(8).toString('hex')}.fifo`);
    try {
      await mkfifo(path);
      this.ready.push(path);
    } catch (err) {
      this.log.warn('cannot make a spare console FIFO', { path, error: err });
    }
  }
}
