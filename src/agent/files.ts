// Small file reads the lifecycle needs: the tail of a log as lines, Firecracker's exit code from
// its own log (for processes that are not our children), and host-path checks for create.
import { open, stat } from 'node:fs/promises';
import { ApiError } from './errors.ts';

async function readTail(path: string, bytes: number): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, bytes);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, size - length);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

/** The last n lines of a text file ("\r" dropped), [] when it cannot be read. */
export async function tailLinesOfFile(path: string, n: number): Promise<string[]> {
  try {
    const text = await readTail(path, 64 * 1024);
    const lines = text.replace(/\r/g, '').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

/**
 * Firecracker logs "exiting successfully. exit_code=0" / "exiting with error. exit_code=N" as it
 * ends; for a process we did not spawn this is the only account of how it ended.
 */
export async function exitCodeFromLog(path: string): Promise<number | null> {
  try {
    const text = await readTail(path, 64 * 1024);
    const matches = [...text.matchAll(/exit_code=(\d+)/g)];
    const last = matches[matches.length - 1]?.[1];
    return last === undefined ? null : Number(last);
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
