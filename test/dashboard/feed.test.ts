// The dashboard's feed against a fake agent: events update the store, an agent without the event
// stream is polled, only read routes are ever called, and an outage names the layer and recovers.
import { describe, expect, it, vi } from 'vitest';
import { AgentUnreachableError } from '../../src/client/errors.ts';
import { Feed } from '../../src/dashboard/feed.ts';
import { DashboardStore } from '../../src/dashboard/store.ts';
import { FakeClient, vm } from './fixtures.ts';

const READS = /^(list|get|stats|health|version|events|logs)\b/;
const eventually = (fn: () => void) => vi.waitFor(fn, { timeout: 5000, interval: 10 });

function names(store: DashboardStore): string {
  return store
    .get()
    .microvms.map((m) => `${m.name}:${m.state}`)
    .join(' ');
}

describe('dashboard feed', () => {
  it('follows the event stream and reads the whole record on a state change', async () => {
    const web = vm('web');
    const client = new FakeClient([web]);
    const store = new DashboardStore(client.baseUrl, 0);
    const feed = new Feed(store, { connect: async () => client, intervalMs: 50 });
    feed.start();
    try {
      await eventually(() => expect(store.get().live).toBe('events'));
      await eventually(() => expect(names(store)).toBe('web:running'));
      const app = vm('app');
      client.list = [...client.list, app];
      client.push({ seq: 1, time: 't', type: 'microvm.created', name: 'app', id: app.id, microvm: app });
      await eventually(() => expect(names(store)).toBe('app:running web:running'));
      client.list = client.list.map((m) => (m.id === web.id ? { ...m, state: 'paused' } : m));
      client.push({
        seq: 2,
        time: 't',
        type: 'microvm.state',
        name: 'web',
        id: web.id,
        from: 'running',
        to: 'paused',
        reason: 'pause',
      });
      await eventually(() => expect(names(store)).toBe('app:running web:paused'));
      expect(client.calls).toContain(`get ${web.id}`);
      client.list = client.list.filter((m) => m.id !== app.id);
      client.push({ seq: 3, time: 't', type: 'microvm.removed', name: 'app', id: app.id });
      await eventually(() => expect(names(store)).toBe('web:paused'));
      await eventually(() => expect(store.get().stats.get(web.id)).toBeDefined());
      expect(store.get().agent.rttMs).not.toBeNull();
    } finally {
      feed.stop();
    }
    expect(client.calls.filter((c) => !READS.test(c))).toEqual([]);
  });

  it('polls the list when the agent has no event stream (404), and only reads', async () => {
    const client = new FakeClient([vm('a', 'stopped'), vm('b')]);
    client.eventQueue = null;
    const store = new DashboardStore(client.baseUrl, 0);
    const feed = new Feed(store, { connect: async () => client, intervalMs: 30 });
    feed.start();
    try {
      await eventually(() => expect(store.get().live).toBe('polling'));
      await eventually(() => expect(client.calls.filter((c) => c === 'list').length).toBeGreaterThan(4));
      client.list = [...client.list, vm('c')];
      await eventually(() => expect(names(store)).toBe('a:stopped b:running c:running'));
      // The stopped microVM stays stopped: nothing the feed calls can start it.
      expect(names(store)).toContain('a:stopped');
    } finally {
      feed.stop();
    }
    expect(client.calls.filter((c) => !READS.test(c))).toEqual([]);
  });

  it('names the layer that is down with its fix, retries with backoff and recovers', async () => {
    const client = new FakeClient([vm('web')]);
    const store = new DashboardStore(client.baseUrl, 0);
    let down = true;
    const attempts: number[] = [];
    const feed = new Feed(store, {
      connect: async () => {
        attempts.push(Date.now());
        if (down) {
          throw new AgentUnreachableError(client.baseUrl, 'connection refused', 'run `fc-macos vm start`');
        }
        return client;
      },
      hostStatus: async () => ({
        provider: 'tart',
        name: 'fc-macos',
        label: 'the Linux VM fc-macos',
        state: 'running',
        ip: '1.2.3.4',
        detail: '',
      }),
      minRetryMs: 20,
      maxRetryMs: 80,
    });
    feed.start();
    try {
      await eventually(() => expect(store.get().outage?.attempts).toBeGreaterThanOrEqual(3));
      const o = store.get().outage;
      expect(o?.layer).toBe('agent');
      expect(o?.message).toBe('the agent at http://agent.test:8080 is not answering (connection refused)');
      expect(o?.fix).toBe('run `fc-macos vm start`');
      // Backoff: the gaps grow.
      const gaps = attempts.slice(1).map((t, i) => t - (attempts[i] ?? t));
      expect(gaps[1] ?? 0).toBeGreaterThanOrEqual(gaps[0] ?? 0);
      down = false;
      await eventually(() => expect(store.get().outage).toBeNull());
      await eventually(() => expect(names(store)).toBe('web:running'));
      expect(store.get().agent.reachable).toBe(true);
    } finally {
      feed.stop();
    }
  });

  it('says the Linux VM is the layer that is down when the provider says so', async () => {
    const store = new DashboardStore('http://192.168.64.5:8080', 0);
    const feed = new Feed(store, {
      connect: async () => {
        throw new AgentUnreachableError(
          'http://192.168.64.5:8080',
          'no route to host',
          'run `fc-macos vm start`',
        );
      },
      hostStatus: async () => ({
        provider: 'tart',
        name: 'fc-macos',
        label: 'the Linux VM fc-macos',
        state: 'stopped',
        ip: null,
        detail: '',
      }),
      minRetryMs: 1000,
    });
    feed.start();
    try {
      await eventually(() => expect(store.get().outage).not.toBeNull());
      expect(store.get().outage).toMatchObject({
        layer: 'vm',
        message: 'the Linux VM fc-macos is stopped',
        fix: 'fc-macos vm start',
      });
    } finally {
      feed.stop();
    }
  });
});
