// The only code that speaks Firecracker's API: HTTP/1.1 over its Unix socket.
// One connection per request (no keep-alive agent): Firecracker's micro_http drops every pending
// request on a protocol error, a CLI must not be held open by an idle socket, and requests to a
// single VMM are few. Node's parser does not need the reason phrase (Firecracker sends
// `HTTP/1.1 204 ` with none).
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import { SNAPSHOT_TIMEOUT_MS } from '../api/limits.ts';
import {
  FirecrackerApiError,
  FirecrackerConnectionError,
  FirecrackerConnectionRefusedError,
  FirecrackerRequestInvalidError,
  FirecrackerResponseError,
  FirecrackerSocketMissingError,
  FirecrackerTimeoutError,
} from './errors.ts';
import * as s from './schemas.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FirecrackerClientOptions {
  /** Per request, from connecting to the last byte of the answer. Default 10 s. */
  timeoutMs?: number;
  /** For snapshot create/load, which copy guest memory. Default 5 min. */
  snapshotTimeoutMs?: number;
}

export interface RequestOptions {
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_FAULT_CHARS = 2_000;

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * The human-readable reason in an error answer. Firecracker answers `{"fault_message": "..."}`;
 * micro_http's own errors (unsupported method, bad request line) answer
 * `{ "error": "..." }` with raw newlines inside the string, which is not valid JSON.
 */
export function faultMessageOf(body: Buffer): string {
  const text = body.toString('utf8').trim();
  if (text === '') return '(empty body)';
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      if (typeof record.fault_message === 'string') return record.fault_message;
      if (typeof record.error === 'string') return record.error.replace(/\s*\n\s*/g, ' ');
    }
  } catch {
    const match = /^\{\s*"error"\s*:\s*"([\s\S]*)"\s*\}$/.exec(text);
    if (match?.[1] !== undefined) return match[1].replace(/\s*\n\s*/g, ' ');
  }
  return text.length > MAX_FAULT_CHARS ? `${text.slice(0, MAX_FAULT_CHARS)}…` : text;
}

/** The answer itself when 2xx, else a FirecrackerApiError describing it (for callers of `request`). */
export function assertOk(method: string, path: string, res: RawResponse): RawResponse {
  if (res.status >= 200 && res.status <= 299) return res;
  throw apiErrorFrom(method.toUpperCase(), path, res);
}

function apiErrorFrom(method: string, path: string, res: RawResponse): FirecrackerApiError {
  let fault = faultMessageOf(res.body);
  if (/Invalid HTTP Method/i.test(fault)) {
    fault = `${fault} (Firecracker's API has no ${method} endpoints: it accepts GET, PUT and PATCH only)`;
  }
  return new FirecrackerApiError(method, path, res.status, fault);
}

function issuesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join('.') : '(body)';
    return `${where}: ${issue.message}`;
  });
}

function segment(id: string): string {
  return encodeURIComponent(id);
}

export class FirecrackerClient {
  private readonly timeoutMs: number;
  private readonly snapshotTimeoutMs: number;

  constructor(
    readonly socketPath: string,
    opts: FirecrackerClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.snapshotTimeoutMs = opts.snapshotTimeoutMs ?? SNAPSHOT_TIMEOUT_MS;
  }

  /**
   * Sends one request and returns the answer whatever its status. Throws only when there is no
   * answer: socket missing, connection refused, timeout, connection broken.
   */
  request(
    method: string,
    path: string,
    body?: string | Uint8Array,
    headers: Record<string, string> = {},
    opts: RequestOptions = {},
  ): Promise<RawResponse> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const outHeaders: Record<string, string> = { Host: 'localhost', Accept: 'application/json' };
    for (const [name, value] of Object.entries(headers)) {
      // The length is ours to compute, and micro_http has no chunked encoding.
      if (/^(content-length|transfer-encoding|host)$/i.test(name)) continue;
      outHeaders[name] = value;
    }
    const hasBody = body !== undefined;
    const upper = method.toUpperCase();
    // micro_http has no chunked encoding: always say how long the body is.
    if (hasBody || (upper !== 'GET' && upper !== 'HEAD')) {
      const length =
        body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
      outHeaders['Content-Length'] = String(length);
      if (hasBody && !Object.keys(outHeaders).some((h) => h.toLowerCase() === 'content-type')) {
        outHeaders['Content-Type'] = 'application/json';
      }
    }

    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, res?: RawResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          req.destroy();
          reject(err);
        } else if (res) {
          resolve(res);
        }
      };
      const call = { socketPath: this.socketPath, method: upper, path };
      const req = httpRequest({ ...call, headers: outHeaders, agent: false });
      const timer = setTimeout(() => {
        finish(new FirecrackerTimeoutError(call, timeoutMs));
      }, timeoutMs);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') finish(new FirecrackerSocketMissingError(this.socketPath));
        else if (err.code === 'ECONNREFUSED') finish(new FirecrackerConnectionRefusedError(this.socketPath));
        else finish(new FirecrackerConnectionError(call, err));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => finish(new FirecrackerConnectionError(call, err)));
        res.on('aborted', () =>
          finish(
            new FirecrackerConnectionError(
              call,
              new Error('connection closed before the answer was complete'),
            ),
          ),
        );
        res.on('end', () => {
          finish(null, {
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res.headers),
            body: Buffer.concat(chunks),
          });
        });
      });
      req.end(body);
    });
  }

  // ---------- plumbing of the typed methods ----------

  private encode<T extends z.ZodType>(method: string, path: string, schema: T, body: unknown): string {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new FirecrackerRequestInvalidError(method, path, issuesOf(parsed.error));
    return JSON.stringify(parsed.data);
  }

  private async send(
    method: 'PUT' | 'PATCH',
    path: string,
    schema: z.ZodType,
    body: unknown,
    opts: RequestOptions = {},
  ): Promise<void> {
    const encoded = this.encode(method, path, schema, body);
    assertOk(method, path, await this.request(method, path, encoded, {}, opts));
  }

  private async get<T extends z.ZodType>(path: string, schema: T): Promise<z.infer<T>> {
    const res = assertOk('GET', path, await this.request('GET', path));
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new FirecrackerResponseError(
        'GET',
        path,
        `body is not JSON: ${res.body.toString('utf8').slice(0, 200)}`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new FirecrackerResponseError('GET', path, issuesOf(parsed.error).join('; '));
    return parsed.data;
  }

  private action(actionType: s.InstanceActionInfo['action_type']): Promise<void> {
    return this.send('PUT', '/actions', s.instanceActionInfo, { action_type: actionType });
  }

  // ---------- instance ----------

  /** GET / */
  describeInstance(): Promise<s.InstanceInfo> {
    return this.get('/', s.instanceInfo);
  }

  /** GET /version */
  getVersion(): Promise<s.FirecrackerVersion> {
    return this.get('/version', s.firecrackerVersion);
  }

  /** GET /vm/config: the only way to read drives, network interfaces and the boot source back. */
  getVmConfig(): Promise<s.FullVmConfiguration> {
    return this.get('/vm/config', s.fullVmConfiguration);
  }

  getMachineConfig(): Promise<s.MachineConfigurationResponse> {
    return this.get('/machine-config', s.machineConfigurationResponse);
  }

  putMachineConfig(body: s.MachineConfiguration): Promise<void> {
    return this.send('PUT', '/machine-config', s.machineConfiguration, body);
  }

  patchMachineConfig(body: s.MachineConfigurationUpdate): Promise<void> {
    return this.send('PATCH', '/machine-config', s.machineConfigurationUpdate, body);
  }

  putBootSource(body: s.BootSource): Promise<void> {
    return this.send('PUT', '/boot-source', s.bootSource, body);
  }

  // ---------- devices ----------

  putDrive(id: string, body: s.Drive): Promise<void> {
    return this.send('PUT', `/drives/${segment(id)}`, s.drive, body);
  }

  patchDrive(id: string, body: s.PartialDrive): Promise<void> {
    return this.send('PATCH', `/drives/${segment(id)}`, s.partialDrive, body);
  }

  putNetworkInterface(id: string, body: s.NetworkInterface): Promise<void> {
    return this.send('PUT', `/network-interfaces/${segment(id)}`, s.networkInterface, body);
  }

  patchNetworkInterface(id: string, body: s.PartialNetworkInterface): Promise<void> {
    return this.send('PATCH', `/network-interfaces/${segment(id)}`, s.partialNetworkInterface, body);
  }

  putVsock(body: s.Vsock): Promise<void> {
    return this.send('PUT', '/vsock', s.vsock, body);
  }

  putEntropy(body: s.EntropyDevice): Promise<void> {
    return this.send('PUT', '/entropy', s.entropyDevice, body);
  }

  putSerial(body: s.SerialDevice): Promise<void> {
    return this.send('PUT', '/serial', s.serialDevice, body);
  }

  // ---------- actions and state ----------

  instanceStart(): Promise<void> {
    return this.action('InstanceStart');
  }

  sendCtrlAltDel(): Promise<void> {
    return this.action('SendCtrlAltDel');
  }

  flushMetrics(): Promise<void> {
    return this.action('FlushMetrics');
  }

  pause(): Promise<void> {
    return this.send('PATCH', '/vm', s.vm, { state: 'Paused' });
  }

  resume(): Promise<void> {
    return this.send('PATCH', '/vm', s.vm, { state: 'Resumed' });
  }

  // ---------- snapshots ----------

  createSnapshot(body: s.SnapshotCreateParams): Promise<void> {
    return this.send('PUT', '/snapshot/create', s.snapshotCreateParams, body, {
      timeoutMs: this.snapshotTimeoutMs,
    });
  }

  /**
   * Firecracker answers a failed load with 400 and then exits (code 1): the fault message in the
   * thrown FirecrackerApiError is the only account of what went wrong, the socket is dead after.
   */
  loadSnapshot(body: s.SnapshotLoadParams): Promise<void> {
    return this.send('PUT', '/snapshot/load', s.snapshotLoadParams, body, {
      timeoutMs: this.snapshotTimeoutMs,
    });
  }

  // ---------- balloon ----------

  getBalloon(): Promise<s.BalloonResponse> {
    return this.get('/balloon', s.balloonResponse);
  }

  putBalloon(body: s.Balloon): Promise<void> {
    return this.send('PUT', '/balloon', s.balloon, body);
  }

  patchBalloon(body: s.BalloonUpdate): Promise<void> {
    return this.send('PATCH', '/balloon', s.balloonUpdate, body);
  }

  getBalloonStats(): Promise<s.BalloonStats> {
    return this.get('/balloon/statistics', s.balloonStats);
  }

  patchBalloonStats(body: s.BalloonStatsUpdate): Promise<void> {
    return this.send('PATCH', '/balloon/statistics', s.balloonStatsUpdate, body);
  }

  // ---------- observability ----------

  putMetrics(body: s.Metrics): Promise<void> {
    return this.send('PUT', '/metrics', s.metrics, body);
  }

  putLogger(body: s.Logger): Promise<void> {
    return this.send('PUT', '/logger', s.logger, body);
  }

  // ---------- MMDS ----------

  getMmds(): Promise<s.MmdsContents> {
    return this.get('/mmds', s.mmdsContents);
  }

  putMmds(body: s.MmdsContents): Promise<void> {
    return this.send('PUT', '/mmds', s.mmdsContents, body);
  }

  patchMmds(body: s.MmdsContents): Promise<void> {
    return this.send('PATCH', '/mmds', s.mmdsContents, body);
  }

  putMmdsConfig(body: s.MmdsConfig): Promise<void> {
    return this.send('PUT', '/mmds/config', s.mmdsConfig, body);
  }
}
