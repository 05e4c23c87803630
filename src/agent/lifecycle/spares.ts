// Files made ahead of time, so a create only renames one into place instead of spawning a process
// on its critical path (a fork blocks the agent for tens of ms on a busy host, about 90 ms under
// emulation). One spare of each kind waits in <state-dir>/<kind's dir>; a create takes it and a new
// one is made after the create answered. When none is ready (concurrent creates, a stale one), the
// create makes its own as before.
//
// - Console FIFOs (Node cannot make a FIFO itself: mkfifo).
// - Copies of the agent's default rootfs (cp --sparse): a spare is stamped with the source's
//   identity (device, inode, size, mtime) when made, and one whose source changed since (setup
//   rebuilt it) is thrown away, never used.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { copySparse, fileIdentity } from '../files.ts';
import type { Logger } from '../log.ts';

const execFileP = promisify(execFile);

export const SPARE_FIFOS_DIR = 'spare-fifos';
export const SPARE_ROOTFS_DIR = 'spare-rootfs';

export function mkfifo(path: string): Promise<unknown> {
  return execFileP('mkfifo', ['-m', '600', '--', path]);
}

/** What a kind of spare is and how one is made. */
export interface SpareKind {
  /** Directory under the state dir, owner-only, emptied at each agent start. */
  readonly dir: string;
  /** For logs: "console FIFO", "rootfs copy". */
  readonly what: string;
  readonly suffix: string;
  /**
   * Too slow to hold up the agent's start (a copy of an image): the first one is made in the
   * background, after the agent listens. Otherwise it is ready before the first request.
   */
  readonly slow?: boolean;
  /** Makes one at path; resolves to its stamp (see stamp), null for kinds that never go stale. */
  make(path: string): Promise<string | null>;
  /** The stamp a spare must still carry to be used; absent for kinds that never go stale. */
  stamp?(): Promise<string | null>;
}

export class Spares {
  private readonly dir: string;
  private readonly ready: Array<{ path: string; stamp: string | null }> = [];
  private refilling = false;
  private enabled = false;

  constructor(
    stateDir: string,
    private readonly kind: SpareKind,
    private readonly log: Logger,
  ) {
    this.dir = join(stateDir, kind.dir);
  }

  /** Starts afresh (spares of an earlier run are removed) and makes the first spare. */
  async prepare(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(this.dir, { mode: 0o700 });
    await chmod(this.dir, 0o700);
    this.enabled = true;
    if (this.kind.slow) this.refillSoon();
    else await this.refillNow();
  }

  /** Moves a ready spare to dest; false when none is ready or usable (the caller makes its own). */
  async take(dest: string): Promise<boolean> {
    const spare = this.ready.pop();
    if (spare === undefined) return false;
    if (this.kind.stamp) {
      const now = await this.kind.stamp().catch(() => null);
      if (now === null || now !== spare.stamp) {
        this.log.info(`spare ${this.kind.what} is stale (its source changed), making one`, {
          spare: spare.path,
        });
        await rm(spare.path, { force: true });
        return false;
      }
    }
    try {
      await rename(spare.path, dest);
      return true;
    } catch (err) {
      this.log.warn(`spare ${this.kind.what} unusable, making one`, { spare: spare.path, error: err });
      return false;
    }
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

  // Made under a .partial name and renamed when complete: the directory shows a spare under its
  // own name only once it can be taken (tests wait on that; a half-made copy never looks ready).
  private async refillNow(): Promise<void> {
    const path = join(this.dir, `${randomBytes(8).toString('hex')}${this.kind.suffix}`);
    const partial = `${path}.partial`;
    try {
      const stamp = await this.kind.make(partial);
      await rename(partial, path);
      this.ready.push({ path, stamp });
    } catch (err) {
      await rm(partial, { force: true }).catch(() => undefined);
      // No source yet (an agent started before setup made its rootfs) is no problem: creates then
      // fail on the missing rootfs themselves, with the fix.
      const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      this.log[missing ? 'debug' : 'warn'](`cannot make a spare ${this.kind.what}`, { path, error: err });
    }
  }
}

export const fifoSpare: SpareKind = {
  dir: SPARE_FIFOS_DIR,
  what: 'console FIFO',
  suffix: '.fifo',
  async make(path) {
    await mkfifo(path);
    return null;
  },
};

const identity = async (path: string): Promise<string> => fileIdentity(await stat(path, { bigint: true }));

/** Copies of the default rootfs at `source` (the agent's --rootfs). */
export function rootfsSpare(source: string): SpareKind {
  return {
    dir: SPARE_ROOTFS_DIR,
    what: 'rootfs copy',
    suffix: '.ext4',
    slow: true,
    async make(path) {
      const before = await identity(source);
      await copySparse(source, path);
      // Rewritten while it was copied: the copy may be torn. Stamped so take() refuses it.
      return (await identity(source)) === before ? before : 'torn';
    },
    stamp: () => identity(source),
  };
}
