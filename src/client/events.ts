// The agent's event stream (GET /agent/events, Server-Sent Events) as an async iterable of parsed
// events. It ends when the agent ends the stream (shutdown) or the caller aborts; to go on after
// that, ask again with `since` set to the last seq seen.
import type { AgentEvent } from '../api/events.ts';
import { agentEventTypes, checks } from './checks.ts';
import { AgentProtocolError } from './errors.ts';
import type { AgentHttp } from './http.ts';

export interface EventsOptions {
  /** Resume after this seq (the last event received); without it, only events from now on. */
  since?: number;
  /** Ends the iteration (no error) and closes the connection. */
  signal?: AbortSignal;
}

const KNOWN_TYPES = new Set(agentEventTypes());

interface SseMessage {
  event: string;
  data: string;
}

/** Splits SSE text (the agent ends lines with \n) into messages; returns an unfinished rest. */
export function parseSse(buffer: string, emit: (m: SseMessage) => void): string {
  let rest = buffer;
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    let event = 'message';
    const data: string[] = [];
    for (const raw of block.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) emit({ event, data: data.join('\n') });
  }
  return rest;
}

export async function* readEvents(http: AgentHttp, opts: EventsOptions): AsyncGenerator<AgentEvent> {
  const path = '/agent/events';
  const res = await http.send('GET', path, {
    query: { since: opts.since },
    signal: opts.signal,
    // The agent answers at once (it writes a comment first), so the usual timeout holds for the
    // headers; the body is read without one.
  });
  if (!res.ok) await http.fail('GET', path, res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = (): void => void reader.cancel().catch(() => undefined);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let buffer = '';
  try {
    for (;;) {
      let next: { done: boolean; value?: string };
      try {
        next = await reader.read();
      } catch (err) {
        if (opts.signal?.aborted) return;
        throw http.unreachable(`the event stream broke: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (next.done || next.value === undefined || opts.signal?.aborted) return;
      const batch: AgentEvent[] = [];
      buffer = parseSse(buffer + next.value, (m) => {
        // Types a newer agent may add are skipped, not fatal.
        if (!KNOWN_TYPES.has(m.event)) return;
        batch.push(parseEvent(http, m));
      });
      for (const e of batch) yield e;
    }
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await reader.cancel().catch(() => undefined);
  }
}

function parseEvent(http: AgentHttp, m: SseMessage): AgentEvent {
  let json: unknown;
  try {
    json = JSON.parse(m.data);
  } catch {
    throw new AgentProtocolError(http.baseUrl, `GET /agent/events with a ${m.event} event that is not JSON`);
  }
  const parsed = checks.agentEvent.safeParse(json);
  if (!parsed.success) {
    const { path, message } = parsed.error;
    throw new AgentProtocolError(
      http.baseUrl,
      `GET /agent/events with an unexpected ${m.event} event (${path || 'the event'}: ${message})`,
    );
  }
  return parsed.data;
}
