// MicroVM records and a recording fake client for the dashboard's component and feed tests.
import type { AgentEvent } from '../../src/api/events.ts';
import type { Microvm, MicrovmState, StatsResponse, VersionResponse } from '../../src/api/schemas.ts';
import { AgentApiError } from '../../src/client/errors.ts';
import type { DashboardClient } from '../../src/dashboard/feed.ts';

let n = 0;

export function vm(name: string, state: MicrovmState = 'running', extra: Partial<Microvm> = {}): Microvm {
  n++;
  const id = `${name.replace(/[^a-z0-9]/g, '')}${String(n).padStart(4, '0')}abcdef`.slice(0, 16);
  return {
    id,
    name,
    state,
    vcpus: 2,
    memory_mib: 256,
    kernel: '/var/lib/fc/vmlinux',
    rootfs: `/var/lib/fc/microvms/${id}/rootfs.ext4`,
    boot_args: 'console=ttyS0 reboot=k panic=1 pci=off',
    initrd: null,
    drives: [],
    read_only_rootfs: false,
    track_dirty_pages: false,
    smt: false,
    balloon: null,
    pid: state === 'running' || state === 'paused' ? 1000 + n : null,
    socket_path: `/var/lib/fc/microvms/${id}/firecracker.sock`,
    created_at: '2026-12-04T10:00:00.000Z',
    started_at: '2026-12-04T10:00:01.000Z',
    exit: null,
    last_console_lines: [],
    network: null,
    ...extra,
  };
}

export function statsFor(list: Microvm[], cpu = 50, rssMiB = 100): StatsResponse {
  return {
    at: '2026-12-04T10:05:00.000Z',
    interval_s: 2,
    host: {
      cpus: 4,
      load: [0.5, 0.4, 0.3],
      memory_total_bytes: 8 * 2 ** 30,
      memory_used_bytes: 2 * 2 ** 30,
      disk_free_bytes: 50 * 2 ** 30,
      disk_total_bytes: 100 * 2 ** 30,
    },
    microvms: list.map((m) => ({
      id: m.id,
      name: m.name,
      state: m.state,
      vcpus: m.vcpus,
      memory_mib: m.memory_mib,
      pid: m.pid,
      cpu_percent: m.state === 'running' ? cpu : 0,
      rss_bytes: m.state === 'running' ? rssMiB * 2 ** 20 : 0,
      uptime_s: m.state === 'running' ? 125 : null,
    })),
  };
}

export const version: VersionResponse = {
  agent: '0.1.0',
  firecracker: '1.14.4',
  firecracker_path: '/usr/local/bin/firecracker',
  arch: 'x86_64',
  kvm: { usable: true, detail: 'ok' },
};

/** A fake agent: a list it serves, events it streams, and every call recorded. */
export class FakeClient implements DashboardClient {
  readonly baseUrl = 'http://agent.test:8080';
  calls: string[] = [];
  list: Microvm[];
  /** null: the agent has no /agent/events (404). */
  eventQueue: AgentEvent[] | null = [];
  private wake: (() => void) | null = null;
  fail: Partial<Record<string, Error>> = {};

  constructor(list: Microvm[]) {
    this.list = list;
  }

  private record(call: string): void {
    this.calls.push(call);
    const err = this.fail[call.split(' ')[0] ?? ''];
    if (err) throw err;
  }

  push(ev: AgentEvent): void {
    this.eventQueue?.push(ev);
    this.wake?.();
  }

  async listMicrovms(): Promise<Microvm[]> {
    this.record('list');
    return this.list;
  }
  async getMicrovm(id: string): Promise<Microvm> {
    this.record(`get ${id}`);
    const m = this.list.find((x) => x.id === id || x.name === id);
    if (!m) throw new AgentApiError(404, 'not_found', `no microVM ${id}`);
    return m;
  }
  async stats(): Promise<StatsResponse> {
    this.record('stats');
    return statsFor(this.list);
  }
  async health(): Promise<{ status: 'ok'; version: string }> {
    this.record('health');
    return { status: 'ok', version: '0.1.0' };
  }
  async version(): Promise<VersionResponse> {
    this.record('version');
    return version;
  }
  events(opts: { since?: number; signal?: AbortSignal } = {}): AsyncIterable<AgentEvent> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        self.record('events');
        if (self.eventQueue === null) throw new AgentApiError(404, 'not_found', 'no route GET /agent/events');
        while (!opts.signal?.aborted) {
          const ev = self.eventQueue.shift();
          if (ev) {
            yield ev;
            continue;
          }
          await new Promise<void>((r) => {
            self.wake = r;
            opts.signal?.addEventListener('abort', () => r(), { once: true });
          });
        }
      },
    };
  }
  async logs(id: string): Promise<string> {
    this.record(`logs ${id}`);
    return 'line one\r\nevil \x1b[2J\x1b]0;title\x07 line\n';
  }
  async stop(id: string) {
    this.record(`stop ${id}`);
    const m = this.setState(id, 'stopped');
    return { microvm: m, stop: { graceful: true, method: 'ctrl_alt_del' as const, message: 'ok' } };
  }
  async kill(id: string): Promise<Microvm> {
    this.record(`kill ${id}`);
    return this.setState(id, 'exited');
  }
  async pause(id: string): Promise<Microvm> {
    this.record(`pause ${id}`);
    return this.setState(id, 'paused');
  }
  async resume(id: string): Promise<Microvm> {
    this.record(`resume ${id}`);
    return this.setState(id, 'running');
  }
  async deleteMicrovm(id: string): Promise<Microvm | null> {
    this.record(`delete ${id}`);
    this.list = this.list.filter((m) => m.id !== id);
    return null;
  }
  private setState(id: string, state: MicrovmState): Microvm {
    const m = this.list.find((x) => x.id === id);
    if (!m) throw new AgentApiError(404, 'not_found', `no microVM ${id}`);
    const next = { ...m, state };
    this.list = this.list.map((x) => (x.id === id ? next : x));
    return next;
  }
}
