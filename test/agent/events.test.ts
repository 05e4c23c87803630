// GET /agent/events through the SDK and raw HTTP: what a dashboard relies on. Every client sees the
// same numbered events, a client resumes after the last seq it saw, an unknown seq means "list
// again", the stream needs the token, and reading it changes nothing.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AgentEvent } from '../../src/api/events.ts';
import { AgentAuthError, AgentClient, parseSse } from '../../src/client/index.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { waitUntil } from '../support/proc.ts';
import { createVm, getVm, post } from './harness.ts';

let agent: StartedAgent;
let client: AgentClient;

beforeAll(async () => {
  agent = await startAgent();
  client = new AgentClient({ baseUrl: agent.url, token: agent.token });
});
afterAll(async () => {
  await agent?.stop();
});

interface Collector {
  readonly events: AgentEvent[];
  /** Waits until an event matches, then returns the events so far. */
  until(pred: (e: AgentEvent) => boolean, what: string): Promise<AgentEvent[]>;
  stop(): Promise<void>;
  /** Resolves when the iteration ended by itself. */
  ended: Promise<void>;
}

/**
 * Reads client.events() in the background until stop(). Without a seq it asks for since=0, which
 * this agent run never had: the reset that comes first shows the subscription is live.
 */
async function collect(c: AgentClient, since = 0): Promise<Collector> {
  const ctrl = new AbortController();
  const all: AgentEvent[] = [];
  const iterable = c.events({ since, signal: ctrl.signal });
  const ended = (async () => {
    for await (const e of iterable) all.push(e);
  })();
  ended.catch(() => undefined);
  await waitUntil(() => all.length > 0, 'the first event of the stream');
  const visible = (): AgentEvent[] => (since === 0 ? all.slice(1) : all);
  return {
    get events() {
      return visible();
    },
    until: (pred, what) => waitUntil(() => visible().some(pred) && visible(), what),
    async stop() {
      ctrl.abort();
      await ended;
    },
    ended,
  };
}

const forVm = (events: AgentEvent[], name: string) =>
  events.filter((e) => 'name' in e && e.name === name).map(({ seq: _s, time: _t, ...rest }) => rest);

/** Raw SSE text of the stream, for a fixed time. */
async function rawStream(query: string, headers: Record<string, string> = {}, ms = 400): Promise<string> {
  const ctrl = new AbortController();
  const res = await agent.fetch(`/agent/events${query}`, { headers, signal: ctrl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  let text = '';
  const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => ctrl.abort(), ms);
  try {
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      text += next.value;
    }
  } catch {
    // Aborted: the time is up.
  } finally {
    clearTimeout(timer);
  }
  return text;
}

describe('GET /agent/events', () => {
  let lastSeq = 0;
  let createdSeq = 0;

  test('two clients see the same events: created, state changes, an exit from outside, removed', async () => {
    const a = await collect(client);
    const b = await collect(client);
    try {
      const vm = await createVm(agent, { name: 'ev1' });
      expect((await post(agent, '/agent/microvms/ev1/pause')).status).toBe(200);
      process.kill(vm.pid ?? -1, 'SIGKILL');
      await waitUntil(async () => (await getVm(agent, 'ev1')).state === 'exited', 'ev1 exited');
      expect((await agent.fetch('/agent/microvms/ev1', { method: 'DELETE' })).status).toBe(200);
      const seen = await a.until((e) => e.type === 'microvm.removed', 'a: microvm.removed');
      await b.until((e) => e.type === 'microvm.removed', 'b: microvm.removed');

      expect(forVm(seen, 'ev1')).toEqual([
        {
          type: 'microvm.created',
          name: 'ev1',
          id: vm.id,
          microvm: expect.objectContaining({ state: 'running' }),
        },
        { type: 'microvm.state', name: 'ev1', id: vm.id, from: 'running', to: 'paused', reason: 'pause' },
        { type: 'microvm.state', name: 'ev1', id: vm.id, from: 'paused', to: 'exited', reason: 'crashed' },
        {
          type: 'microvm.exited',
          name: 'ev1',
          id: vm.id,
          exit_code: null,
          signal: 'SIGKILL',
          reason: 'crashed',
        },
        { type: 'microvm.removed', name: 'ev1', id: vm.id },
      ]);
      // Same events, same numbers, one apart each.
      expect(b.events).toEqual(a.events);
      const seqs = a.events.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
      createdSeq = a.events[0]?.seq ?? 0;
      lastSeq = seqs[seqs.length - 1] ?? 0;
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('since=SEQ resumes after SEQ; so does the Last-Event-ID header', async () => {
    const resumed = await collect(client, createdSeq);
    try {
      await resumed.until((e) => e.type === 'microvm.removed', 'replayed microvm.removed');
      expect(resumed.events.map((e) => e.type)).toEqual([
        'microvm.state',
        'microvm.state',
        'microvm.exited',
        'microvm.removed',
      ]);
      expect(resumed.events[0]?.seq).toBe(createdSeq + 1);
    } finally {
      await resumed.stop();
    }
    const text = await rawStream('', { 'last-event-id': String(lastSeq - 1) });
    const got: Array<{ event: string; data: string }> = [];
    parseSse(text, (m) => got.push(m));
    expect(got.map((m) => m.event)).toEqual(['microvm.removed']);
    expect(text).toContain(`id: ${lastSeq}\nevent: microvm.removed\ndata: {"seq":${lastSeq},`);
    // Nothing new since the last one: an empty replay, not a reset.
    expect(await rawStream(`?since=${lastSeq}`)).not.toContain('event:');
  });

  test('an unknown seq (too old, another agent run, the future) gets a reset first', async () => {
    for (const since of [0, createdSeq - 1_000_000, lastSeq + 5]) {
      const text = await rawStream(`?since=${since}`);
      const got: Array<{ event: string; data: string }> = [];
      parseSse(text, (m) => got.push(m));
      expect(got.map((m) => m.event)).toEqual(['reset']);
      expect(JSON.parse(got[0]?.data ?? '{}')).toMatchObject({ type: 'reset', seq: lastSeq });
    }
    const c = await collect(client, 1);
    try {
      expect(c.events[0]).toMatchObject({ type: 'reset', seq: lastSeq });
    } finally {
      await c.stop();
    }
  });

  test('a bad since or Last-Event-ID is refused naming the field', async () => {
    for (const [query, headers, field] of [
      ['?since=abc', {}, 'since'],
      ['?since=-1', {}, 'since'],
      ['?from=1', {}, 'from'],
      ['', { 'last-event-id': 'x' }, 'Last-Event-ID'],
    ] as const) {
      const res = await agent.json<{ error: { message: string; details?: { field?: string } } }>(
        `/agent/events${query}`,
        { headers },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.details?.field).toBe(field);
    }
  });

  test('the stream needs the token like every route', async () => {
    expect((await agent.fetch('/agent/events', { auth: false })).status).toBe(401);
    expect((await agent.fetch('/agent/events', { auth: 'wrong' })).status).toBe(401);
    const wrong = new AgentClient({ baseUrl: agent.url, token: 'wrong' });
    await expect(collectFirst(wrong)).rejects.toBeInstanceOf(AgentAuthError);
  });

  test('reading the stream changes nothing: same list, same state.json bytes and times', async () => {
    const vm = await createVm(agent, { name: 'ev-read', start: false });
    const file = join(agent.stateDir, 'microvms', vm.id, 'state.json');
    const before = {
      list: await agent.json('/agent/microvms'),
      text: readFileSync(file, 'utf8'),
      at: statSync(file).mtimeMs,
    };
    const c = await collect(client, 1);
    await rawStream(`?since=${lastSeq}`);
    await c.stop();
    expect(await agent.json('/agent/microvms')).toEqual(before.list);
    expect(readFileSync(file, 'utf8')).toBe(before.text);
    expect(statSync(file).mtimeMs).toBe(before.at);
  });

  test('an agent shutdown ends open streams cleanly (not cut when the shutdown grace runs out)', async () => {
    const c = await collect(client);
    expect(await agent.terminate()).toBe(0);
    // Ended by the agent: the iteration finishes. A stream cut with the connection instead would
    // make the SDK throw "the event stream broke".
    await expect(c.ended).resolves.toBeUndefined();
    await agent.restart();
  });
});

async function collectFirst(c: AgentClient): Promise<AgentEvent | undefined> {
  for await (const e of c.events({})) return e;
  return undefined;
}
