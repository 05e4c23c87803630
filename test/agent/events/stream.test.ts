// The SSE writer on its own (no agent): keepalive comments while nothing happens, events in the
// wire format of docs/agent-api.md, and the subscription dropped when the client goes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { EventLog } from '../../../src/agent/events/event-log.ts';
import { streamEvents } from '../../../src/agent/routes/events.ts';
import { waitUntil } from '../../support/proc.ts';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = null;
});

async function serve(log: EventLog, keepaliveMs: number): Promise<string> {
  server = createServer((_req, res) => void streamEvents(res, log, undefined, { keepaliveMs }));
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('streamEvents', () => {
  test('keepalive comments while quiet, then an event in SSE form; a client that goes is unsubscribed', async () => {
    const log = new EventLog({ base: 100 });
    const url = await serve(log, 30);
    const ctrl = new AbortController();
    const res = await fetch(url, { signal: ctrl.signal });
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const pump = (async () => {
      for (;;) {
        const next = await reader?.read().catch(() => null);
        if (!next || next.done) return;
        text += next.value;
      }
    })();
    await waitUntil(() => text.split(': keepalive\n\n').length > 2, 'two keepalive comments');
    expect(log.subscriberCount).toBe(1);
    log.emit({ type: 'microvm.removed', name: 'a', id: 'b' });
    await waitUntil(() => text.includes('event: microvm.removed'), 'the event');
    expect(text).toMatch(
      /id: 101\nevent: microvm\.removed\ndata: \{"seq":101,"time":"[^"]+","type":"microvm\.removed","name":"a","id":"b"\}\n\n/,
    );
    ctrl.abort();
    await pump;
    await waitUntil(() => log.subscriberCount === 0, 'the subscription to end');
  });
});
