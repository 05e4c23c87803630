// What /proc says about a pid. A pid alone can be reused after a process dies; the start time
// (field 22 of /proc/<pid>/stat, clock ticks since boot) tells "our" firecracker from a newcomer.
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  /** R, S, D, Z, T, … */
  state: string;
  /** CPU time in user and kernel mode so far, in clock ticks (fields 14 and 15). */
  utime: number;
  stime: number;
  starttime: number;
}

export async function readProcStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(text);
}

/** Fields after the command name, which is in parentheses and may itself hold spaces or ")". */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state): utime (14) is fields[11], stime (15) fields[12], starttime (22)
  // fields[19].
  const state = fields[0];
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const starttime = Number(fields[19]);
  if (state === undefined || ![utime, stime, starttime].every(Number.isFinite)) return null;
  return { state, utime, stime, starttime };
}

/** True while the process with this pid and start time exists and is not a zombie. */
export async function isSameProcessAlive(pid: number, starttime: number | null): Promise<boolean> {
  const st = await readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return starttime === null || st.starttime === starttime;
}

/** When this machine booted (ms since the epoch, from /proc/stat's btime); null if unknown. */
export async function bootTime(): Promise<number | null> {
  try {
    const m = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    return m?.[1] ? Number(m[1]) * 1000 : null;
  } catch {
    return null;
  }
}
