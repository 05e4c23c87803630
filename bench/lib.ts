// Shared pieces of the benchmarks: cleanup that always runs, process groups, timing and tables.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { haltLoopElf } from '../test/support/kernel.ts';
import { running, waitUntil } from '../test/support/proc.ts';

// The bundle runs from node_modules/.cache/fc-macos-bench; FC_BENCH_ROOT is set by bench/run.mjs.
export const repoRoot = process.env.FC_BENCH_ROOT ?? resolve(import.meta.dirname, '..');
export const benchCacheDir = join(repoRoot, 'node_modules', '.cache', 'fc-macos-bench');
export const doubleBin = join(repoRoot, 'node_modules', '.cache', 'fc-macos-test', 'bin', 'fc-double');
export const agentBin = join(repoRoot, 'dist', 'fc-agent.mjs');
export const realFirecrackerBin =
  process.env.FC_BENCH_FIRECRACKER ?? resolve(repoRoot, '..', 'shared', 'bin', 'firecracker-v1.14.4-x86_64');

/** Undo steps run last-in first-out, also when a benchmark throws. */
export class Cleanup {
  private readonly steps: Array<() => unknown> = [];
  add(step: () => unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop();
      try {
        await step?.();
      } catch (err) {
        console.error(`cleanup step failed: ${String(err)}`);
      }
    }
  }
}

export async function tempDir(cleanup: Cleanup, prefix: string): Promise<string> {
  // mkdtemp (a random, owner-only name) under the system temp dir: firecracker sockets live below
  // it, and Unix socket paths are limited to 108 bytes, which a deep checkout path would exceed.
  const dir = await mkdtemp(join(tmpdir(), `fcm-bench-${prefix}`));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A halt-loop kernel and an empty rootfs file: enough for InstanceStart on real firecracker. */
export async function bootFiles(dir: string): Promise<{ kernel: string; rootfs: string }> {
  const kernel = join(dir, 'vmlinux');
  const rootfs = join(dir, 'rootfs.ext4');
  await writeFile(kernel, haltLoopElf());
  await writeFile(rootfs, Buffer.alloc(1024 * 1024));
  return { kernel, rootfs };
}

/** Kills a whole process group (detached children lead their own) and waits for the leader. */
export async function killGroup(
  child: ChildProcess | { pid: number },
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<void> {
  const pid = child.pid;
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
  }
  await waitUntil(() => !running(pid), `pid ${pid} to exit`, 10_000);
}

export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m?.[1] ? Number(m[1]) * 1024 : 0;
}

export function now(): number {
  return performance.now();
}

export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}

export interface Row {
  [column: string]: string | number;
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n## ${title}`);
  if (rows.length === 0) {
    console.log('(nothing measured)');
    return;
  }
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: string | number | undefined): string =>
    v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : v;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => `| ${vals.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(columns));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(columns.map((c) => cell(r[c]))));
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a';
}

export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

export function skipReason(): string | null {
  if (!existsSync(doubleBin)) return `${doubleBin} missing (run the tests once, or bench/run.mjs builds it)`;
  return null;
}
