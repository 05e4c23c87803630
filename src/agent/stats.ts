// Host and per-microVM resource use for GET /agent/stats. Read-only: it looks at /proc and the
// state dir's filesystem, never at firecracker's API, so asking for stats never changes a microVM.
import { execFile } from 'node:child_process';
import * as fsPromises from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Microvm, MicrovmStats, StatsResponse } from '../api/schemas.ts';
import { statsIdentity } from '../api/stats-identity.ts';
import { readProcStat } from './proc.ts';

/** Shortest window a CPU figure is measured over. */
export const DEFAULT_STATS_INTERVAL_MS = 200;

interface CpuSample {
  /** utime + stime, clock ticks. */
  ticks: number;
  /** Process start time (clock ticks since boot): tells a reused pid from the same process. */
  starttime: number;
  atMs: number;
}

export interface StatsCollectorOptions {
  /** The agent's state dir: its filesystem's free/total space is reported. */
  stateDir: string;
  /**
   * A CPU figure covers the time since the previous stats() call for that process; when there is
   * none (first call, new microVM) or it is more recent than this, the call waits until this much
   * time has passed since the first sample, so every figure spans at least intervalMs (default 200).
   */
  intervalMs?: number;
}

export class StatsCollector {
  private readonly stateDir: string;
  private readonly intervalMs: number;
  private readonly samples = new Map<number, CpuSample>();
  private clockTicks: Promise<number> | null = null;

  constructor(opts: StatsCollectorOptions) {
    this.stateDir = opts.stateDir;
    this.intervalMs = opts.intervalMs ?? DEFAULT_STATS_INTERVAL_MS;
  }

  async stats(microvms: Microvm[]): Promise<StatsResponse> {
    const hz = await this.ticksPerSecond();
    const withPid = microvms.filter((m): m is Microvm & { pid: number } => m.pid !== null);

    // One wait for all processes that lack a usable previous sample.
    const fresh = new Map<number, CpuSample>();
    // The wait is set by the most recent baseline, so every figure spans at least intervalMs.
    let newest = 0;
    for (const m of withPid) {
      const prev = this.samples.get(m.pid);
      const cur = await readCpuSample(m.pid);
      if (!cur) continue;
      if (prev && prev.starttime === cur.starttime) {
        fresh.set(m.pid, prev);
        newest = Math.max(newest, prev.atMs);
      } else {
        fresh.set(m.pid, cur);
        newest = Math.max(newest, cur.atMs);
      }
    }
    const wait = fresh.size > 0 ? this.intervalMs - (Date.now() - newest) : 0;
    if (wait > 0) await sleep(wait);

    const perVm: MicrovmStats[] = [];
    const seen = new Set<number>();
    let intervalS = 0;
    for (const m of microvms) {
      let cpuPercent = 0;
      let rss = 0;
      if (m.pid !== null) {
        const before = fresh.get(m.pid);
        const after = await readCpuSample(m.pid);
        if (before && after && after.starttime === before.starttime) {
          const wallS = (after.atMs - before.atMs) / 1000;
          if (wallS > 0) {
            cpuPercent = round1((((after.ticks - before.ticks) / hz) * 100) / wallS);
            intervalS = Math.max(intervalS, wallS);
          }
          this.samples.set(m.pid, after);
          seen.add(m.pid);
        }
        if (after) rss = await readRssBytes(m.pid);
      }
      perVm.push({
        ...statsIdentity(m),
        cpu_percent: Math.max(0, cpuPercent),
        rss_bytes: rss,
        uptime_s: uptimeSeconds(m),
      });
    }
    // Forget processes no longer asked about, so the map does not grow with every microVM ever run.
    for (const pid of this.samples.keys()) if (!seen.has(pid)) this.samples.delete(pid);

    const [memory, disk] = await Promise.all([hostMemory(), diskSpace(this.stateDir)]);
    const [l1, l5, l15] = loadavg();
    return {
      at: new Date().toISOString(),
      interval_s: round3(intervalS > 0 ? intervalS : this.intervalMs / 1000),
      host: {
        cpus: cpus().length,
        load: [l1 ?? 0, l5 ?? 0, l15 ?? 0],
        memory_total_bytes: memory.total,
        memory_used_bytes: memory.used,
        disk_free_bytes: disk.free,
        disk_total_bytes: disk.total,
      },
      microvms: perVm,
    };
  }

  private ticksPerSecond(): Promise<number> {
    this.clockTicks ??= new Promise((resolve) => {
      execFile('getconf', ['CLK_TCK'], { timeout: 2000 }, (err, stdout) => {
        const n = Number.parseInt(String(stdout).trim(), 10);
        // 100 is USER_HZ on every Linux architecture the agent runs on.
        resolve(!err && Number.isFinite(n) && n > 0 ? n : 100);
      });
    });
    return this.clockTicks;
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function uptimeSeconds(m: Microvm): number | null {
  if (m.started_at === null || m.pid === null) return null;
  if (m.state !== 'running' && m.state !== 'paused' && m.state !== 'stopping') return null;
  const started = Date.parse(m.started_at);
  if (Number.isNaN(started)) return null;
  return Math.max(0, Math.round((Date.now() - started) / 1000));
}

/** utime+stime and start time from /proc/<pid>/stat; null when the process is gone. */
export async function readCpuSample(pid: number): Promise<CpuSample | null> {
  const st = await readProcStat(pid);
  // A zombie has exited: it uses no CPU and its figures are final.
  if (st === null || st.state === 'Z') return null;
  return { ticks: st.utime + st.stime, starttime: st.starttime, atMs: Date.now() };
}

export async function readRssBytes(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m?.[1] ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function hostMemory(): Promise<{ total: number; used: number }> {
  try {
    const info = await readFile('/proc/meminfo', 'utf8');
    const total = meminfoBytes(info, 'MemTotal');
    const available = meminfoBytes(info, 'MemAvailable');
    if (total !== null && available !== null) return { total, used: Math.max(0, total - available) };
  } catch {
    // Not Linux: the os module's view below.
  }
  return { total: totalmem(), used: totalmem() - freemem() };
}

function meminfoBytes(info: string, key: string): number | null {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s+kB`, 'm').exec(info);
  return m?.[1] ? Number(m[1]) * 1024 : null;
}

async function diskSpace(dir: string): Promise<{ free: number; total: number }> {
  // fs.statfs came in Node 18.15; the agent supports any Node 18, so `df` stands in before that.
  // Looked up on the namespace: a named import of a missing export fails the whole module on load.
  const statfs = (fsPromises as Partial<typeof fsPromises>).statfs;
  if (typeof statfs === 'function') {
    try {
      const s = await statfs(dir);
      return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
    } catch {
      return { free: 0, total: 0 };
    }
  }
  return dfSpace(dir);
}

export function dfSpace(dir: string): Promise<{ free: number; total: number }> {
  return new Promise((resolve) => {
    execFile('df', ['-Pk', '--', dir], { timeout: 5000 }, (err, stdout) => {
      // Filesystem 1024-blocks Used Available Capacity Mounted-on
      const fields = err ? [] : (String(stdout).trim().split('\n')[1]?.split(/\s+/) ?? []);
      const total = Number(fields[1]);
      const free = Number(fields[3]);
      resolve(
        Number.isFinite(total) && Number.isFinite(free)
          ? { free: free * 1024, total: total * 1024 }
          : { free: 0, total: 0 },
      );
    });
  });
}
