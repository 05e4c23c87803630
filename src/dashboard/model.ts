// The dashboard's data: what the agent said last (microVM records, stats, version), merged from
// the list, the event stream and the stats poll, plus the health of each layer. Pure functions of
// plain objects, so components and tests can build any state without an agent.
import type { AgentEvent } from '../api/events.ts';
import type { Microvm, MicrovmState, MicrovmStats, StatsResponse, VersionResponse } from '../api/schemas.ts';
import { statsIdentity } from '../api/stats-identity.ts';
import { STATE_ORDER, sortMicrovms } from '../cli/microvm-view.ts';
import type { HostStatus } from '../host/provider.ts';

export type LiveMode = 'connecting' | 'events' | 'polling';

/** The layer that is down, what went wrong and the command that fixes it. */
export interface Outage {
  layer: 'vm' | 'agent';
  message: string;
  fix: string;
  /** When the next attempt is due (ms since the epoch). */
  retryAt: number;
  attempts: number;
}

export interface AgentInfo {
  url: string;
  version: VersionResponse | null;
  /** Round trip of the last GET /health, ms. */
  rttMs: number | null;
  reachable: boolean;
  /** When the agent process started (ms since the epoch), from /agent/version's uptime_s. */
  startedAt: number | null;
}

export interface DashboardData {
  microvms: Microvm[];
  /** Per-microVM stats by id, from the last /agent/stats. */
  stats: Map<string, MicrovmStats>;
  host: StatsResponse['host'] | null;
  hostStatus: HostStatus | null;
  /** Provider name from the CLI's config ("tart", "local"), or null when unknown. */
  provider: string | null;
  agent: AgentInfo;
  live: LiveMode;
  outage: Outage | null;
  /** When the data was last refreshed (ms since the epoch). */
  updatedAt: number;
}

export function emptyData(url: string): DashboardData {
  return {
    microvms: [],
    stats: new Map(),
    host: null,
    hostStatus: null,
    provider: null,
    agent: { url, version: null, rttMs: null, reachable: false, startedAt: null },
    live: 'connecting',
    outage: null,
    updatedAt: 0,
  };
}

/** A fresh list replaces the records, in name order (rows never jump). */
export function withList(data: DashboardData, list: Microvm[]): DashboardData {
  return { ...data, microvms: sortMicrovms(list) };
}

export function withStats(data: DashboardData, stats: StatsResponse): DashboardData {
  const byId = new Map(stats.microvms.map((s) => [s.id, s]));
  return { ...data, stats: byId, host: stats.host };
}

/**
 * Applies one event. Returns 'relist' when the event says the local copy cannot be trusted
 * (reset, or a change to a microVM this copy does not know).
 */
export function applyEvent(data: DashboardData, ev: AgentEvent): DashboardData | 'relist' {
  switch (ev.type) {
    case 'reset':
      return 'relist';
    case 'microvm.created':
      return withList(data, [...data.microvms.filter((m) => m.id !== ev.id), ev.microvm]);
    case 'microvm.removed':
      return { ...data, microvms: data.microvms.filter((m) => m.id !== ev.id) };
    case 'microvm.state': {
      const cur = data.microvms.find((m) => m.id === ev.id);
      if (!cur) return 'relist';
      return withMicrovm(data, { ...cur, state: ev.to });
    }
    case 'microvm.exited': {
      const cur = data.microvms.find((m) => m.id === ev.id);
      if (!cur) return 'relist';
      const exit = { code: ev.exit_code, signal: ev.signal, reason: ev.reason, at: ev.time };
      return withMicrovm(data, { ...cur, state: 'exited', pid: null, exit });
    }
  }
}

/** Replaces one record (after an event or an action), keeping name order. */
export function withMicrovm(data: DashboardData, vm: Microvm): DashboardData {
  return withList(data, [...data.microvms.filter((m) => m.id !== vm.id), vm]);
}

export function withoutMicrovm(data: DashboardData, id: string): DashboardData {
  return { ...data, microvms: data.microvms.filter((m) => m.id !== id) };
}

export function filtered(list: Microvm[], filter: string): Microvm[] {
  if (filter === '') return list;
  const f = filter.toLowerCase();
  return list.filter((m) => m.name.toLowerCase().includes(f));
}

export function counts(list: Microvm[]): Array<[MicrovmState, number]> {
  const c = new Map<MicrovmState, number>();
  for (const m of list) c.set(m.state, (c.get(m.state) ?? 0) + 1);
  return STATE_ORDER.filter((s) => (c.get(s) ?? 0) > 0).map((s) => [s, c.get(s) ?? 0]);
}

/** What a user sees as the microVM's health: failed = exited by a crash. */
export type Health = 'running' | 'paused' | 'idle' | 'failed';

export function healthOf(vm: Pick<Microvm, 'state' | 'exit'>): Health {
  switch (vm.state) {
    case 'running':
      return 'running';
    case 'paused':
    case 'stopping':
    case 'created':
      return 'paused';
    case 'exited':
      return vm.exit?.reason === 'crashed' ? 'failed' : 'idle';
    default:
      return 'idle';
  }
}

/** Whether `d` may remove it without stopping first. */
export function isRunning(vm: Pick<Microvm, 'state'>): boolean {
  return vm.state === 'running' || vm.state === 'paused' || vm.state === 'stopping';
}

/** When the agent started, from the uptime it reported just now. */
export function startedAt(v: VersionResponse, now = Date.now()): number | null {
  return v.uptime_s === undefined ? null : now - v.uptime_s * 1000;
}

/** Seconds the agent has been up, or null when it does not say. */
export function agentUptime(a: AgentInfo, now = Date.now()): number | null {
  return a.startedAt === null ? null : Math.max(0, Math.round((now - a.startedAt) / 1000));
}

/** The data as --json prints it: plain objects, rows in display order. */
export function snapshotJson(data: DashboardData): unknown {
  return {
    at: new Date(data.updatedAt || Date.now()).toISOString(),
    provider: data.provider,
    host: data.hostStatus,
    linux: data.host,
    agent: {
      url: data.agent.url,
      reachable: data.agent.reachable,
      version: data.agent.version?.agent ?? null,
      uptime_s: agentUptime(data.agent),
      rtt_ms: data.agent.rttMs,
    },
    firecracker: data.agent.version?.firecracker ?? null,
    outage: data.outage
      ? { layer: data.outage.layer, message: data.outage.message, fix: data.outage.fix }
      : null,
    counts: Object.fromEntries(counts(data.microvms)),
    microvms: data.microvms.map((m) => {
      const s = data.stats.get(m.id);
      return {
        ...statsIdentity(m),
        cpu_percent: s?.cpu_percent ?? null,
        rss_bytes: s?.rss_bytes ?? null,
        uptime_s: s?.uptime_s ?? null,
      };
    }),
  };
}
