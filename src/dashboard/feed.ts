// Keeps the store current: lists the microVMs, follows GET /agent/events (or, against an agent
// without it, polls the list), and reads /agent/stats and /health every interval. Only read
// routes are ever called from here: a view must never change what it looks at. When a layer is
// down it records which one and the command that fixes it, and retries with backoff.
import type { AgentEvent } from '../api/events.ts';
import type { Microvm, StatsResponse } from '../api/schemas.ts';
import type { AgentClient } from '../client/agent-client.ts';
import { AgentApiError, AgentAuthError, AgentUnreachableError } from '../client/errors.ts';
import type { HostStatus } from '../host/provider.ts';
import {
  applyEvent,
  type Outage,
  startedAt,
  withList,
  withMicrovm,
  withoutMicrovm,
  withStats,
} from './model.ts';
import type { DashboardStore } from './store.ts';

/** What the dashboard asks of the agent; AgentClient has it all. The feed only reads. */
export type DashboardClient = Pick<
  AgentClient,
  | 'baseUrl'
  | 'listMicrovms'
  | 'getMicrovm'
  | 'stats'
  | 'health'
  | 'version'
  | 'events'
  | 'stop'
  | 'kill'
  | 'pause'
  | 'resume'
  | 'deleteMicrovm'
> & {
  /** The console log's tail as text (AgentClient.logs without follow). */
  logs(idOrName: string, opts?: { tail?: number }): Promise<string>;
};
type FeedClient = DashboardClient;

export interface FeedOptions {
  /** The client to use for this attempt (re-resolved after an outage: a Tart VM's IP can change). */
  connect: () => Promise<FeedClient>;
  /** The Linux side's state, when the provider can tell; asked when the agent does not answer. */
  hostStatus?: () => Promise<HostStatus>;
  /** Stats (and the poll, without events) every this many ms. */
  intervalMs?: number;
  /** Backoff bounds after a failure. */
  minRetryMs?: number;
  maxRetryMs?: number;
}

export const DEFAULT_INTERVAL_MS = 2000;

export class Feed {
  private readonly ctrl = new AbortController();
  private current: FeedClient | null = null;
  private lastSeq: number | undefined;
  private readonly intervalMs: number;

  constructor(
    private readonly store: DashboardStore,
    private readonly opts: FeedOptions,
  ) {
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  /** The client of the last successful connection (for actions), or null while down. */
  client(): FeedClient | null {
    return this.current;
  }

  start(): void {
    void this.main();
    void this.statsLoop();
  }

  stop(): void {
    this.ctrl.abort();
  }

  private get stopped(): boolean {
    return this.ctrl.signal.aborted;
  }

  private async main(): Promise<void> {
    let attempts = 0;
    while (!this.stopped) {
      try {
        const client = await this.opts.connect();
        await this.refreshList(client);
        const version = await client.version();
        this.current = client;
        attempts = 0;
        this.store.update((d) => ({
          ...d,
          outage: null,
          agent: { ...d.agent, url: client.baseUrl, version, reachable: true, startedAt: startedAt(version) },
        }));
        await this.follow(client);
      } catch (err) {
        if (this.stopped) return;
        attempts++;
        this.current = null;
        const min = this.opts.minRetryMs ?? 1000;
        const delay = Math.min(min * 2 ** (attempts - 1), this.opts.maxRetryMs ?? 15_000);
        const outage = await this.outageFor(err, attempts, Date.now() + delay);
        const url = err instanceof AgentUnreachableError ? err.url : undefined;
        this.store.update((d) => ({
          ...d,
          outage,
          agent: { ...d.agent, url: url ?? d.agent.url, reachable: false, rttMs: null },
        }));
        await this.sleep(delay);
      }
    }
  }

  /** Returns when the event stream ends (agent shutdown: reconnect); throws when it breaks. */
  private async follow(client: FeedClient): Promise<void> {
    try {
      this.store.update((d) => ({ ...d, live: 'events' }));
      for await (const ev of client.events({ since: this.lastSeq, signal: this.ctrl.signal })) {
        this.lastSeq = ev.seq;
        await this.onEvent(client, ev);
      }
    } catch (err) {
      // An agent from before the event stream: poll the list instead.
      if (err instanceof AgentApiError && err.status === 404) return this.poll(client);
      throw err;
    }
  }

  private async poll(client: FeedClient): Promise<void> {
    this.store.update((d) => ({ ...d, live: 'polling' }));
    while (!this.stopped) {
      await this.sleep(this.intervalMs);
      if (this.stopped) return;
      await this.refreshList(client);
    }
  }

  private async onEvent(client: FeedClient, ev: AgentEvent): Promise<void> {
    const next = applyEvent(this.store.get(), ev);
    if (next === 'relist') return this.refreshList(client);
    this.store.update(() => next);
    // A state change moves pid, started_at and exit too: read the whole record.
    if (ev.type === 'microvm.state' || ev.type === 'microvm.exited') {
      try {
        const vm = await client.getMicrovm(ev.id);
        this.store.update((d) => withMicrovm(d, vm));
      } catch (err) {
        if (err instanceof AgentApiError && err.status === 404) {
          this.store.update((d) => withoutMicrovm(d, ev.id));
        } else throw err;
      }
    }
  }

  private async refreshList(client: FeedClient): Promise<void> {
    const list: Microvm[] = await client.listMicrovms();
    this.store.update((d) => withList(d, list));
  }

  /** Stats every interval, the round trip (GET /health) every fifth, while the agent answers. */
  private async statsLoop(): Promise<void> {
    let cycle = 0;
    while (!this.stopped) {
      const client = this.current;
      if (client) {
        try {
          if (cycle++ % 5 === 0) {
            const t0 = performance.now();
            await client.health();
            const rttMs = performance.now() - t0;
            this.store.update((d) => ({ ...d, agent: { ...d.agent, rttMs } }));
          }
          const stats: StatsResponse = await client.stats();
          this.store.update((d) => withStats(d, stats));
          // The stats list every microVM too: one that the local copy does not match means an
          // event was missed (e.g. between the first list and the stream opening).
          if (this.current === client && differs(this.store.get().microvms, stats)) {
            await this.refreshList(client);
          }
        } catch {
          // The main loop notices the outage through its own stream or poll.
        }
      } else cycle = 0;
      await this.sleep(this.intervalMs);
    }
  }

  /** Which layer is down, per the error and (when the agent does not answer) the provider. */
  async outageFor(err: unknown, attempts: number, retryAt: number): Promise<Outage> {
    if (err instanceof AgentUnreachableError) {
      const host = await this.hostState();
      this.store.update((d) => ({ ...d, hostStatus: host }));
      if (host && host.state !== 'running') {
        return {
          layer: 'vm',
          message: `${host.label} is ${host.state}`,
          fix: host.state === 'missing' ? 'fc-macos setup' : 'fc-macos vm start',
          retryAt,
          attempts,
        };
      }
      return {
        layer: 'agent',
        message: `the agent at ${err.url} is not answering (${err.reason})`,
        fix: err.hint ?? 'run `fc-macos vm start`',
        retryAt,
        attempts,
      };
    }
    if (err instanceof AgentAuthError) {
      return { layer: 'agent', message: err.message, fix: err.hint, retryAt, attempts };
    }
    const e = err as { code?: unknown; message?: unknown; fix?: unknown };
    // HostError (the provider could not say where the agent is) carries its own fix.
    const layer = e.code === 'host_down' || e.code === 'tart_missing' ? 'vm' : 'agent';
    return {
      layer,
      message: typeof e.message === 'string' ? e.message : String(err),
      fix: typeof e.fix === 'string' ? e.fix : 'run `fc-macos doctor`',
      retryAt,
      attempts,
    };
  }

  private async hostState(): Promise<HostStatus | null> {
    if (!this.opts.hostStatus) return null;
    try {
      return await this.opts.hostStatus();
    } catch {
      return null;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        this.ctrl.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.ctrl.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function differs(list: Microvm[], stats: StatsResponse): boolean {
  if (list.length !== stats.microvms.length) return true;
  const byId = new Map(list.map((m) => [m.id, m.state]));
  return stats.microvms.some((s) => byId.get(s.id) !== s.state);
}
