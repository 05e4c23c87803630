// One place that sends a request to the agent and turns every failure into a typed error.
import type { Check } from '../api/json-check.ts';
import {
  AgentProtocolError,
  AgentUnreachableError,
  describeNetworkError,
  errorFromAnswer,
  notSent,
  snippet,
} from './errors.ts';
import { type AgentResponse, ExchangeTimeout, exchange } from './transport.ts';

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface HttpOptions {
  baseUrl: string;
  token?: string;
  timeoutMs: number;
  unreachableHint?: string;
  authHint?: string;
  /** See AgentClientOptions.relocate. */
  relocate?: () => Promise<string>;
}

export interface SendOptions {
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON-encoded as the request body. */
  json?: unknown;
  /** Time until the response headers; the body of a streamed response is not limited. */
  timeoutMs?: number;
  /** Aborts the request (and a streamed body) from outside. */
  signal?: AbortSignal;
}

/** An answer whose body is still to read (ours, or a fetch Response). */
type Answered = Pick<AgentResponse, 'status' | 'text'>;

export class AgentHttp {
  #baseUrl: string;
  #relocated = false;

  constructor(private readonly opts: HttpOptions) {
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '');
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  get token(): string | undefined {
    return this.opts.token;
  }

  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }

  url(path: string, query?: SendOptions['query']): string {
    const u = new URL(`${this.baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.opts.token ? { authorization: `Bearer ${this.opts.token}`, ...extra } : extra;
  }

  unreachable(reason: string): AgentUnreachableError {
    return new AgentUnreachableError(this.baseUrl, reason, this.opts.unreachableHint);
  }

  /**
   * Sends a request; resolves with the response once its headers are in, whatever its status.
   * Throws AgentUnreachableError when there is no response.
   */
  async send(method: string, path: string, opts: SendOptions = {}): Promise<AgentResponse> {
    try {
      return await this.sendOnce(method, path, opts);
    } catch (err) {
      if (!this.opts.relocate || this.#relocated || !(err instanceof AgentUnreachableError) || !err.notSent)
        throw err;
      // The address came from a cache and nothing reached the agent: ask where it is now (this
      // may throw the host layer's own error, e.g. the VM is stopped), and try once more there.
      this.#relocated = true;
      const next = (await this.opts.relocate()).replace(/\/+$/, '');
      if (next === this.#baseUrl) throw err;
      this.#baseUrl = next;
      return this.sendOnce(method, path, opts);
    }
  }

  private async sendOnce(method: string, path: string, opts: SendOptions): Promise<AgentResponse> {
    const timeoutMs = opts.timeoutMs ?? this.opts.timeoutMs;
    const headers = this.headers(opts.json === undefined ? {} : { 'content-type': 'application/json' });
    try {
      return await exchange(this.url(path, opts.query), {
        method,
        headers,
        body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
        timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (err instanceof ExchangeTimeout) {
        throw this.unreachable(`no answer within ${Math.round(timeoutMs / 1000)}s`);
      }
      if (opts.signal?.aborted) throw err;
      const e = this.unreachable(describeNetworkError(err));
      e.notSent = notSent(err);
      throw e;
    }
  }

  /** Reads the body of a failed response and throws the matching typed error. */
  async fail(method: string, path: string, res: Answered): Promise<never> {
    const text = await readText(res, this);
    throw errorFromAnswer(res.status, text, {
      baseUrl: this.baseUrl,
      what: `${method} ${path}`,
      authHint: this.opts.authHint,
    });
  }

  /** A JSON request whose 2xx body is checked (and completed, as zod would) by `check`. */
  async json<T>(method: string, path: string, check: Check<T>, opts: SendOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    if (!res.ok) return this.fail(method, path, res);
    return this.body(method, path, res, check);
  }

  /** Reads a 2xx answer's JSON body and checks it; AgentProtocolError when it is not that shape. */
  async body<T>(method: string, path: string, res: Answered, check: Check<T>): Promise<T> {
    const text = await readText(res, this);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AgentProtocolError(
        this.baseUrl,
        `${method} ${path} with a body that is not JSON (${snippet(text)})`,
      );
    }
    const result = check.safeParse(parsed);
    if (!result.success) {
      const { path: where, message } = result.error;
      throw new AgentProtocolError(
        this.baseUrl,
        `${method} ${path} with an unexpected shape (${where || 'the body'}: ${message})`,
      );
    }
    return result.data;
  }
}

async function readText(res: Answered, http: AgentHttp): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    throw http.unreachable(`the connection broke while reading the answer: ${describeNetworkError(err)}`);
  }
}
