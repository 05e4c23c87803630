// One HTTP exchange with the agent over node:http (node:https for an https URL). Not the global
// fetch: on Node 20 the first fetch loads undici and compiles its WebAssembly parser, which costs
// a short CLI command more than everything else it does (see bench/, "CLI start-up").
import type { IncomingMessage, RequestOptions } from 'node:http';
import { Readable } from 'node:stream';
import { requestFor } from './node-http.ts';

/** What the client needs of an answer: its status, then its body as text or as a stream. */
export interface AgentResponse {
  readonly status: number;
  /** 2xx. */
  readonly ok: boolean;
  /** The whole body as UTF-8 (read once). */
  text(): Promise<string>;
  /** The body as a stream (for followed logs and the event stream). */
  readonly body: ReadableStream<Uint8Array>;
}

export interface ExchangeOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Until the answer's headers are in; then the request is destroyed with ExchangeTimeout. */
  timeoutMs: number;
  /** Ends the request (streams follow until the caller aborts). */
  signal?: AbortSignal;
}

/** No answer within ExchangeOptions.timeoutMs. */
export class ExchangeTimeout extends Error {}

function answer(res: IncomingMessage): AgentResponse {
  const status = res.statusCode ?? 0;
  return {
    status,
    ok: status >= 200 && status < 300,
    // Events, not an async iterator: that machinery is a few ms to load in a short command.
    text() {
      return new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.once('error', reject);
        res.once('close', () => {
          if (!res.complete) reject(new Error('the connection closed before the whole answer came'));
        });
      });
    },
    get body() {
      return Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
    },
  };
}

/** A ready-made answer (a body already read), for code that hands an answer on. */
export function textAnswer(status: number, text: string): AgentResponse {
  return {
    status,
    ok: status >= 200 && status < 300,
    text: async () => text,
    get body() {
      return Readable.toWeb(Readable.from([Buffer.from(text)])) as unknown as ReadableStream<Uint8Array>;
    },
  };
}

/** Sends the request; resolves once the answer's headers are in. Rejects with node's own error. */
export async function exchange(url: string, opts: ExchangeOptions): Promise<AgentResponse> {
  const u = new URL(url);
  const request = requestFor(u);
  const headers = { ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  // A connection per request: a kept-alive socket would hold a short CLI process open until the
  // agent's idle timeout closes it. The timeout is a timer, not an AbortSignal: a short command
  // then never loads EventTarget.
  const init: RequestOptions = {
    method: opts.method,
    headers,
    agent: false,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = request(u, init, (res) => {
      clearTimeout(timer);
      resolve(answer(res));
    });
    const timer = setTimeout(() => req.destroy(new ExchangeTimeout()), opts.timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}
