// GET /agent/events: microVM events as Server-Sent Events, for any number of clients. `?since=SEQ`
// or `Last-Event-ID: SEQ` resumes after SEQ; an unknown SEQ gets a `reset` event first (list again).
// Reading the stream changes nothing.
import type { ServerResponse } from 'node:http';
import { type AgentEvent, eventsQuery } from '../../api/events.ts';
import { EVENTS_KEEPALIVE_MS, EVENTS_MAX_BUFFERED_BYTES } from '../constants.ts';
import { badRequest } from '../errors.ts';
import type { EventLog } from '../events/event-log.ts';
import { validate } from '../http/body.ts';
import type { RouteContext, Router } from '../http/router.ts';
import { checkQuery, type RouteDeps } from './context.ts';

export function formatSse(e: AgentEvent): string {
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

/** The seq to resume after: the query wins over the header; undefined for "from now on". */
function resumePoint(ctx: RouteContext): number | undefined {
  checkQuery(ctx, ['since']);
  const q = ctx.query.get('since');
  if (q !== null) return validate(eventsQuery, { since: q }, 'events query').since;
  const raw = ctx.req.headers['last-event-id'];
  const header = Array.isArray(raw) ? raw.join(',') : raw;
  if (header === undefined || header === '') return undefined;
  if (!/^\d{1,16}$/.test(header)) {
    throw badRequest(
      `Last-Event-ID: must be a whole number (the seq of the last event received), got "${header.slice(0, 40)}"`,
      { field: 'Last-Event-ID' },
    );
  }
  return Number(header);
}

export interface EventStreamOptions {
  keepaliveMs?: number;
}

/** Streams the log's events to one response until the client goes or the agent stops. */
export function streamEvents(
  res: ServerResponse,
  log: EventLog,
  since: number | undefined,
  opts: EventStreamOptions = {},
): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  // Backlog and subscription in one tick: no event falls between them.
  const backlog = since === undefined ? [] : log.after(since);
  res.write(backlog === null ? formatSse(log.reset()) : ': fc-agent events\n\n');
  for (const e of backlog ?? []) res.write(formatSse(e));
  return new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(keepalive);
      resolve();
    };
    const unsubscribe = log.subscribe({
      event(e) {
        // A client that stopped reading is cut rather than held in memory; it resumes by seq.
        if (res.writableLength > EVENTS_MAX_BUFFERED_BYTES) {
          res.destroy();
          finish();
          return;
        }
        res.write(formatSse(e));
      },
      end() {
        res.end();
        finish();
      },
    });
    const keepalive = setInterval(
      () => res.write(': keepalive\n\n'),
      opts.keepaliveMs ?? EVENTS_KEEPALIVE_MS,
    );
    keepalive.unref();
    res.on('close', finish);
  });
}

export function eventRoutes(router: Router, deps: RouteDeps): void {
  router.add('GET', '/agent/events', async (ctx) => {
    const since = resumePoint(ctx);
    await streamEvents(ctx.res, deps.manager.events, since);
  });
}
