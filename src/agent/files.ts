// Small file reads the lifecycle needs: the tail of a log as lines, Firecracker's exit code from
// its own log (for processes that are not our children), and host-path checks for create.
import { execFile } from 'node:child_process';
import type { BigIntStats } from 'node:fs';
import { chmod, open, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { splitLines } from './console/history.ts';
import { CONSOLE_TAIL_WINDOW_BYTES, LOG_TAIL_WINDOW_BYTES } from './constants.ts';
import { ApiError } from './errors.ts';

/** A file's identity as it is now (device, inode, size, mtime): changes when it is rewritten or replaced. */
export const fileIdentity = (st: BigIntStats): string => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;

async function readTail(path: string, bytes: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, bytes);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, size - length);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * The last n lines of a file, split like the console session's lastLines() (its history), so a
 * microVM's last console lines read the same whether this agent spawned it or adopted it.
 * [] when the file cannot be read.
 */
export async function tailLinesOfFile(path: string, n: number): Promise<string[]> {
  if (n <= 0) return [];
  try {
    return splitLines(await readTail(path, LOG_TAIL_WINDOW_BYTES)).slice(-n);
  } catch {
    return [];
  }
}

/**
 * How a firecracker we did not spawn ended (its exit status went to whoever reaped it), from what it
 * left behind. Firecracker runs at `--level Warning`, so its log has the error line
 * "exiting with error. exit_code=N" but not the info line of a clean exit. A clean exit under
 * `reboot=k` follows the guest's reboot or power-off, and the guest kernel always prints
 * "reboot: Restarting system" / "reboot: Power down" on its console (KERN_EMERG passes `quiet`).
 * Neither found: unknown (null), e.g. it was killed while no agent watched.
 */
export async function exitCodeFromFiles(firecrackerLog: string, consoleLog: string): Promise<number | null> {
  try {
    const matches = [
      ...(await readTail(firecrackerLog, LOG_TAIL_WINDOW_BYTES))
        .toString('utf8')
        .matchAll(/exit_code=(\d+)/g),
    ];
    const last = matches[matches.length - 1]?.[1];
    if (last !== undefined) return Number(last);
  } catch {
    // No log: look at the console.
  }
  try {
    const consoleTail = (await readTail(consoleLog, CONSOLE_TAIL_WINDOW_BYTES)).toString('utf8');
    return /reboot: (Restarting system|Power down|System halted)/.test(consoleTail) ? 0 : null;
  } catch {
    return null;
  }
}

/** A path a create refers to must exist on the agent's host and be a file (or block device). */
export async function checkHostFile(path: string, field: string, hint = ''): Promise<void> {
  try {
    const st = await stat(path);
    if (st.isFile() || st.isBlockDevice()) return;
    throw new ApiError(
      400,
      'validation_failed',
      `${field}: ${path} on the agent's host is not a regular file or block device${hint}`,
      { field, path },
    );
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ApiError(
      400,
      'validation_failed',
      code === 'ENOENT'
        ? `${field}: ${path} does not exist on the agent's host (paths are on the machine fc-agent runs on, not on the client)${hint}`
        : `${field}: ${path} on the agent's host cannot be used: ${code ?? String(err)}${hint}`,
      { field, path },
    );
  }
}

const execFileP = promisify(execFile);

/**
 * Copies an image keeping it sparse, readable by the owner only. A rootfs built by
 * `mkfs.ext4 -d` is mostly holes (a 512 MiB image holds ~20 MiB): Node's copyFile writes every
 * hole out as zeros (512 MiB of disk and I/O per microVM), `cp --sparse=always` keeps them, and
 * `--reflink=auto` shares the blocks outright where the filesystem can (btrfs, xfs).
 */
export async function copySparse(from: string, to: string): Promise<void> {
  await execFileP('cp', ['--sparse=always', '--reflink=auto', '--', from, to]);
  await chmod(to, 0o600);
}
