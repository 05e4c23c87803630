// A client of the console WebSocket (docs/console-protocol.md). Output that arrives before anyone
// listens (the history frame can come with the upgrade itself) is kept and handed to the first
// listener, so attaching never loses the start of the console.
import type WebSocket from 'ws';
import {
  CLOSE_AGENT_SHUTDOWN,
  CLOSE_CLIENT_TOO_SLOW,
  CLOSE_MICROVM_DELETED,
  CLOSE_MICROVM_EXITED,
} from '../api/console.ts';
import { type AgentUnreachableError, describeNetworkError, errorFromAnswer } from './errors.ts';

export type ConsoleEndKind =
  /** This side closed (a detach). */
  | 'detached'
  /** The microVM's firecracker exited; `reason` says how. */
  | 'exited'
  | 'deleted'
  | 'agent_shutdown'
  | 'too_slow'
  /** The connection dropped without a close frame, or closed with another code. */
  | 'lost';

export interface ConsoleEnd {
  kind: ConsoleEndKind;
  code: number;
  reason: string;
}

type DataListener = (chunk: Buffer) => void;
type EndListener = (end: ConsoleEnd) => void;

function endKind(code: number, byUs: boolean): ConsoleEndKind {
  if (code === CLOSE_MICROVM_EXITED) return 'exited';
  if (code === CLOSE_MICROVM_DELETED) return 'deleted';
  if (code === CLOSE_AGENT_SHUTDOWN) return 'agent_shutdown';
  if (code === CLOSE_CLIENT_TOO_SLOW) return 'too_slow';
  if (byUs) return 'detached';
  return 'lost';
}

export class ConsoleConnection {
  private readonly pending: Buffer[] = [];
  private readonly dataListeners = new Set<DataListener>();
  private readonly endListeners = new Set<EndListener>();
  private closingByUs = false;
  private endInfo: ConsoleEnd | null = null;
  /** Resolves once the connection is over, however it ended. */
  readonly ended: Promise<ConsoleEnd>;

  /** @internal Use AgentClient.attachConsole. */
  constructor(private readonly ws: WebSocket) {
    let resolveEnded: (e: ConsoleEnd) => void = () => undefined;
    this.ended = new Promise((r) => {
      resolveEnded = r;
    });
    ws.on('message', (data: WebSocket.RawData) => this.deliver(toBuffer(data)));
    ws.on('close', (code: number, reason: Buffer) => {
      const end = { kind: endKind(code, this.closingByUs), code, reason: reason.toString('utf8') };
      this.endInfo = end;
      for (const l of this.endListeners) l(end);
      resolveEnded(end);
    });
    // After open, errors always end in 'close'; the listener keeps them from being thrown.
    ws.on('error', () => undefined);
  }

  private deliver(chunk: Buffer): void {
    if (this.dataListeners.size === 0) {
      this.pending.push(chunk);
      return;
    }
    for (const l of this.dataListeners) l(chunk);
  }

  /** Output bytes. The first listener also receives everything that arrived before it. */
  on(event: 'data', listener: DataListener): () => void;
  /** The end of the connection (called at once when it is already over). */
  on(event: 'end', listener: EndListener): () => void;
  on(event: 'data' | 'end', listener: DataListener | EndListener): () => void {
    if (event === 'data') {
      const l = listener as DataListener;
      this.dataListeners.add(l);
      if (this.pending.length > 0) for (const chunk of this.pending.splice(0)) l(chunk);
      return () => this.dataListeners.delete(l);
    }
    const l = listener as EndListener;
    if (this.endInfo) l(this.endInfo);
    else this.endListeners.add(l);
    return () => this.endListeners.delete(l);
  }

  get isOpen(): boolean {
    return this.ws.readyState === OPEN;
  }

  /** Sends bytes to the guest's serial input (strings as UTF-8). Ignored once the connection is over. */
  write(data: Uint8Array | string): void {
    if (this.ws.readyState !== OPEN) return;
    this.ws.send(typeof data === 'string' ? Buffer.from(data, 'utf8') : data, { binary: true });
  }

  /** Detaches: the microVM keeps running. Resolves when the connection is closed. */
  close(): Promise<ConsoleEnd> {
    if (!this.endInfo) {
      this.closingByUs = true;
      if (this.ws.readyState === CONNECTING || this.ws.readyState === OPEN) {
        this.ws.close(1000, 'detached');
        // A peer that never answers the close handshake must not keep us waiting.
        const t = setTimeout(() => this.ws.terminate(), 2000);
        t.unref();
      }
    }
    return this.ended;
  }

  /** Output chunks until the connection ends. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, ConsoleEnd, undefined> {
    const queue: Buffer[] = [];
    let wake: (() => void) | null = null;
    const offData = this.on('data', (c) => {
      queue.push(c);
      wake?.();
    });
    const offEnd = this.on('end', () => wake?.());
    try {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.endInfo) return this.endInfo;
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = null;
      }
    } finally {
      offData();
      offEnd();
    }
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export interface OpenConsoleOptions {
  wsUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  baseUrl: string;
  unreachable: (reason: string) => AgentUnreachableError;
  authHint?: string;
}

// WebSocket readyState values (the standard's numbers; ws uses them too).
const CONNECTING = 0;
const OPEN = 1;

/** Opens the WebSocket; rejects with the agent's typed error when the upgrade is refused. */
export async function openConsole(opts: OpenConsoleOptions): Promise<ConsoleConnection> {
  // ws loads with the first console: listing or stopping microVMs never needs it.
  const { default: WebSocketClass } = await import('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocketClass(opts.wsUrl, { headers: opts.headers, handshakeTimeout: opts.timeoutMs });
    // Built before 'open' so that no frame can arrive without a listener.
    const conn = new ConsoleConnection(ws);
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      ws.terminate();
      reject(err);
    };
    ws.once('open', () => {
      settled = true;
      resolve(conn);
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('end', () => {
        fail(
          errorFromAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), {
            baseUrl: opts.baseUrl,
            what: 'the console WebSocket upgrade',
            authHint: opts.authHint,
          }),
        );
      });
    });
    ws.once('error', (err) => {
      if (settled) return;
      const timedOut = /timed out/i.test(err.message);
      fail(
        opts.unreachable(
          timedOut ? `no answer within ${Math.round(opts.timeoutMs / 1000)}s` : describeNetworkError(err),
        ),
      );
    });
  });
}
