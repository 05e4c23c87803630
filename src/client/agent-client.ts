// The typed client of fc-agent's HTTP API (docs/agent-api.md). Every response body is checked
// against the API's zod schemas (src/api/schemas.ts, run as JSON Schemas: checks.ts), so a caller
// gets exactly the documented shapes.

import type { Socket } from 'node:net';
import type { AgentEvent } from '../api/events.ts';
import type { GuestExecRequest, GuestExecStreamRequest, GuestStatusResponse } from '../api/guest.ts';
import { DEFAULT_STOP_TIMEOUT_S, SNAPSHOT_TIMEOUT_MS } from '../api/limits.ts';
import type {
  CreateMicrovmRequest,
  HealthResponse,
  LogSource,
  Microvm,
  MicrovmList,
  StatsResponse,
  StopMicrovmRequest,
  StopMicrovmResponse,
  VersionResponse,
} from '../api/schemas.ts';
import type { TransferOptions } from '../guest-protocol/tree.ts';
import { checks } from './checks.ts';
import { type ConsoleConnection, openConsole } from './console.ts';
import { type EventsOptions, readEvents } from './events.ts';
import { type ExecStream, type ExecStreamHandlers, openExecStream } from './exec-stream.ts';
import { type CopyResult, type ExecBufferedResult, GuestApi } from './guest.ts';
import { AgentHttp, DEFAULT_TIMEOUT_MS } from './http.ts';
import { openPortForward } from './port-forward.ts';
import { textAnswer } from './transport.ts';

export interface AgentClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** The agent's bearer token; omitted only for an agent started with --insecure-no-auth. */
  token?: string;
  /** Time allowed for each request until its answer starts (default 30 s). */
  timeoutMs?: number;
  /** Appended to "the agent at <url> is not answering (…)": what fixes it. */
  unreachableHint?: string;
  /** Appended to a 401 message: how to get the right token. */
  authHint?: string;
  /**
   * For a baseUrl that came from a cache: called once when a request could not reach the agent at
   * all (nothing was sent); returns where the agent is now. A different URL gets the request
   * again; the same one keeps the error. Its own error (e.g. "the VM is stopped") is thrown as is.
   */
  relocate?: () => Promise<string>;
}

export interface LogsOptions {
  /** Only the last N lines. */
  tail?: number;
  source?: LogSource;
  /** Aborts a followed stream. */
  signal?: AbortSignal;
}

export interface FirecrackerResponse {
  status: number;
  /** Parsed JSON, the raw text when it is not JSON, or null when empty (204). */
  body: unknown;
}

/** setTimeout's largest delay (about 24.8 days): in effect, no limit. */
const FOLLOW_HEADERS_TIMEOUT_MS = 2_147_483_647;

const HTTP_METHODS = new Set(['GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'HEAD', 'OPTIONS']);

export class AgentClient {
  private readonly http: AgentHttp;
  private readonly authHint: string | undefined;

  constructor(opts: AgentClientOptions) {
    this.authHint = opts.authHint;
    this.http = new AgentHttp({
      baseUrl: opts.baseUrl,
      token: opts.token,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      unreachableHint: opts.unreachableHint,
      authHint: opts.authHint,
      relocate: opts.relocate,
    });
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  private get guestApi(): GuestApi {
    return new GuestApi(this.http, (id, suffix) => this.vmPath(id, suffix));
  }

  /** Whether the guest agent (fc-guest) answers: the microVM is ready for exec and cp. */
  guestStatus(idOrName: string): Promise<GuestStatusResponse> {
    return this.guestApi.status(idOrName);
  }

  /** Resolves once fc-guest answers (boot finished); throws at once for a rootfs without it. */
  waitReady(idOrName: string, timeoutMs?: number): Promise<GuestStatusResponse> {
    return this.guestApi.waitReady(idOrName, timeoutMs);
  }

  /** Runs a command in the microVM to completion (buffered; stdin given whole). */
  exec(idOrName: string, req: GuestExecRequest & { stdin?: Buffer | string }): Promise<ExecBufferedResult> {
    return this.guestApi.exec(idOrName, req);
  }

  /** Starts a command with streamed stdin/stdout/stderr, optional tty, resize and signals (WebSocket). */
  execStream(
    idOrName: string,
    req: GuestExecStreamRequest,
    handlers?: ExecStreamHandlers,
  ): Promise<ExecStream> {
    return openExecStream(this.http, this.vmPath(idOrName, '/exec'), req, handlers);
  }

  /** Copies a local file or directory into the microVM (`docker cp` rules). */
  copyIn(idOrName: string, local: string, remote: string, opts?: TransferOptions): Promise<CopyResult> {
    return this.guestApi.copyIn(idOrName, local, remote, opts);
  }

  /** Copies a file or directory out of the microVM (`docker cp` rules). */
  copyOut(idOrName: string, remote: string, local: string, opts?: TransferOptions): Promise<CopyResult> {
    return this.guestApi.copyOut(idOrName, remote, local, opts);
  }

  private vmPath(idOrName: string, suffix = ''): string {
    if (idOrName === '') throw new TypeError('a microVM id or name is required');
    return `/agent/microvms/${encodeURIComponent(idOrName)}${suffix}`;
  }

  health(): Promise<HealthResponse> {
    return this.http.json('GET', '/health', checks.healthResponse);
  }

  version(): Promise<VersionResponse> {
    return this.http.json('GET', '/agent/version', checks.versionResponse);
  }

  stats(): Promise<StatsResponse> {
    return this.http.json('GET', '/agent/stats', checks.statsResponse);
  }

  async listMicrovms(): Promise<Microvm[]> {
    const list: MicrovmList = await this.http.json('GET', '/agent/microvms', checks.microvmList);
    return list.microvms;
  }

  /** Creates a microVM; with `start: false` firecracker runs configured but not booted. */
  createMicrovm(req: CreateMicrovmRequest): Promise<Microvm> {
    // Creating includes launching firecracker and booting: allow more than a plain request.
    return this.http.json('POST', '/agent/microvms', checks.microvm, {
      json: req,
      timeoutMs: this.http.timeoutMs * 2,
    });
  }

  getMicrovm(idOrName: string): Promise<Microvm> {
    return this.http.json('GET', this.vmPath(idOrName), checks.microvm);
  }

  /** Kills a live firecracker and removes every file of the microVM. */
  async deleteMicrovm(idOrName: string): Promise<Microvm | null> {
    const path = this.vmPath(idOrName);
    const res = await this.http.send('DELETE', path);
    if (!res.ok) return this.http.fail('DELETE', path, res);
    const text = await res.text();
    if (text.trim() === '') return null;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return null;
    }
    const parsed = checks.deleteMicrovmResponse.safeParse(json);
    if (!parsed.success) return null;
    return 'microvm' in parsed.data ? parsed.data.microvm : parsed.data;
  }

  /** Boots a microVM in state `created` (InstanceStart). */
  start(idOrName: string): Promise<Microvm> {
    return this.http.json('POST', this.vmPath(idOrName, '/start'), checks.microvm, { json: {} });
  }

  stop(idOrName: string, req: StopMicrovmRequest = {}): Promise<StopMicrovmResponse> {
    const graceS = req.force ? 0 : (req.timeout_s ?? DEFAULT_STOP_TIMEOUT_S);
    return this.http.json('POST', this.vmPath(idOrName, '/stop'), checks.stopMicrovmResponse, {
      json: req,
      timeoutMs: graceS * 1000 + this.http.timeoutMs,
    });
  }

  kill(idOrName: string): Promise<Microvm> {
    return this.http.json('POST', this.vmPath(idOrName, '/kill'), checks.microvm, { json: {} });
  }

  pause(idOrName: string): Promise<Microvm> {
    return this.http.json('POST', this.vmPath(idOrName, '/pause'), checks.microvm, { json: {} });
  }

  resume(idOrName: string): Promise<Microvm> {
    return this.http.json('POST', this.vmPath(idOrName, '/resume'), checks.microvm, { json: {} });
  }

  /**
   * Sends a request to the microVM's Firecracker API unchanged (`path` as in Firecracker's API,
   * e.g. "/machine-config"). Firecracker's answer comes back as is, errors included; only the
   * agent's own failures (unknown microVM, firecracker not running, …) throw.
   */
  async firecracker(
    idOrName: string,
    method: string,
    path: string,
    body?: unknown,
    opts: { timeoutMs?: number } = {},
  ): Promise<FirecrackerResponse> {
    const m = method.toUpperCase();
    if (!HTTP_METHODS.has(m)) throw new TypeError(`unsupported HTTP method ${method}`);
    if (!path.startsWith('/')) throw new TypeError(`Firecracker API path must start with "/": ${path}`);
    const full = this.vmPath(idOrName, `/firecracker${path}`);
    const res = await this.http.send(m, full, {
      json: body,
      timeoutMs: opts.timeoutMs ?? (path.startsWith('/snapshot/') ? SNAPSHOT_TIMEOUT_MS : undefined),
    });
    const text = await res.text();
    let parsed: unknown = null;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    // The agent's own refusals carry its error shape; Firecracker's carry fault_message.
    if (!res.ok && isAgentError(parsed)) {
      return this.http.fail(m, full, textAnswer(res.status, text));
    }
    if (res.status === 401) return this.http.fail(m, full, textAnswer(401, text));
    return { status: res.status, body: parsed };
  }

  /**
   * The agent's microVM events (GET /agent/events) as they happen; with `since`, first those after
   * that seq (or a `reset` event when the agent no longer knows it: list again). Ends when the
   * agent ends the stream or `signal` aborts.
   */
  events(opts: EventsOptions = {}): AsyncIterable<AgentEvent> {
    const http = this.http;
    return { [Symbol.asyncIterator]: () => readEvents(http, opts) };
  }

  /** The console over a WebSocket: history first, then live output; write() sends input. */
  attachConsole(idOrName: string): Promise<ConsoleConnection> {
    const wsUrl = this.http.url(this.vmPath(idOrName, '/console')).replace(/^http/, 'ws');
    return openConsole({
      wsUrl,
      headers: this.http.headers(),
      timeoutMs: this.http.timeoutMs,
      baseUrl: this.http.baseUrl,
      unreachable: (reason) => this.http.unreachable(reason),
    });
  }

  /**
   * One TCP connection to `port` in the guest, carried through the agent (an HTTP upgrade on the
   * agent's port): works wherever the agent is reachable, even without a route to the microVM.
   */
  portForward(idOrName: string, port: number): Promise<Socket> {
    return openPortForward(
      {
        baseUrl: this.http.baseUrl,
        headers: this.http.headers(),
        ...(this.authHint === undefined ? {} : { authHint: this.authHint }),
        unreachable: (reason) => this.http.unreachable(reason),
      },
      idOrName,
      port,
    );
  }

  /** The console history (or firecracker.log / the metrics file) as text. */
  logs(idOrName: string, opts?: LogsOptions & { follow?: false }): Promise<string>;
  /** Followed: chunks as they are written, until the microVM exits or `signal` aborts. */
  logs(idOrName: string, opts: LogsOptions & { follow: true }): Promise<AsyncIterable<Uint8Array>>;
  async logs(
    idOrName: string,
    opts: LogsOptions & { follow?: boolean } = {},
  ): Promise<string | AsyncIterable<Uint8Array>> {
    const path = this.vmPath(idOrName, '/logs');
    const query = {
      tail: opts.tail,
      source: opts.source,
      follow: opts.follow ? 'true' : undefined,
    };
    if (opts.follow) {
      // A followed response may send its headers only with the first output, which can be
      // minutes away; so reachability, the token and the name are checked first with the usual
      // timeout, and the follow itself waits for as long as it takes.
      await this.getMicrovm(idOrName);
    }
    const res = await this.http.send('GET', path, {
      query,
      signal: opts.signal,
      timeoutMs: opts.follow ? FOLLOW_HEADERS_TIMEOUT_MS : undefined,
    });
    if (!res.ok) return this.http.fail('GET', path, res);
    if (!opts.follow) return res.text();
    const body = res.body;
    const http = this.http;
    return {
      async *[Symbol.asyncIterator]() {
        const reader = body.getReader();
        try {
          for (;;) {
            let next: { done: boolean; value?: Uint8Array };
            try {
              next = await reader.read();
            } catch (err) {
              if (opts.signal?.aborted) return;
              throw http.unreachable(
                `the log stream broke: ${err instanceof Error ? err.message : String(err)}`,
              );
            }
            if (next.done || !next.value) return;
            yield next.value;
          }
        } finally {
          await reader.cancel().catch(() => undefined);
        }
      },
    };
  }
}

function isAgentError(body: unknown): boolean {
  if (!body || typeof body !== 'object') return false;
  const e = (body as { error?: unknown }).error;
  return !!e && typeof e === 'object' && typeof (e as { code?: unknown }).code === 'string';
}
