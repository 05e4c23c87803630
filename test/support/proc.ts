// What tests ask of processes and of this host: wait for a condition, whether a pid still runs,
// whether /dev/kvm is usable.
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Polls until fn returns something truthy; the bound only turns a hang into a clear failure. */
export async function waitUntil<T>(
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The state letter of /proc/<pid>/stat (R, S, Z, …) or null when there is no such process. */
export function procState(pid: number): string | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** Whether a process still runs (a zombie counts as gone: nothing runs). */
export function running(pid: number): boolean {
  const state = procState(pid);
  return state !== null && state !== 'Z';
}

/** Whether the process is gone within `timeoutMs` (say, after a SIGKILL). */
export async function gone(pid: number, timeoutMs = 5_000): Promise<boolean> {
  return waitUntil(() => !running(pid), `pid ${pid} to end`, timeoutMs).catch(() => false);
}

/** Why /dev/kvm cannot be used here, or null when it can. */
export function kvmProblem(): string | null {
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
    return null;
  } catch (err) {
    return `/dev/kvm is not usable (${(err as Error).message})`;
  }
}
