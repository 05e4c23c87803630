// The console WebSocket (docs/console-protocol.md). The route has authenticated the request and
// found the microVM; this takes over the upgraded socket. Clients only ever talk to the session:
// detaching, a dropped connection or a slow client never touches the microVM.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { CLOSE_CLIENT_TOO_SLOW } from '../../api/console.ts';
import type { ConsoleSession } from './session.ts';

export interface AttachOptions {
  /** Output queued to one client beyond which it is dropped. */
  maxBufferedBytes?: number;
  /** Largest input frame accepted (bigger ones close the socket with 1009). */
  maxInputFrameBytes?: number;
  /** Keep-alive ping period; a client that misses a whole period is terminated. */
  pingIntervalMs?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_INPUT_FRAME_BYTES = 64 * 1024;
const DEFAULT_PING_INTERVAL_MS = 30_000;
/** After a close frame, how long a client gets to answer before the socket is cut. */
const CLOSE_GRACE_MS = 5_000;

const servers = new Map<number, WebSocketServer>();

function serverFor(maxPayload: number): WebSocketServer {
  let wss = servers.get(maxPayload);
  if (!wss) {
    // noServer: the agent's HTTP server owns the 'upgrade' event and routes it here.
    wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
    servers.set(maxPayload, wss);
  }
  return wss;
}

export function handleConsoleUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  session: ConsoleSession,
  opts: AttachOptions = {},
): void {
  const wss = serverFor(opts.maxInputFrameBytes ?? DEFAULT_MAX_INPUT_FRAME_BYTES);
  // A socket error before the handshake completes must not become an uncaught exception.
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => attachClient(ws, session, opts));
}

function attachClient(ws: WebSocket, session: ConsoleSession, opts: AttachOptions): void {
  const maxBuffered = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  let unsubscribe: () => void = () => undefined;
  let offClose: () => void = () => undefined;
  let graceTimer: NodeJS.Timeout | null = null;
  let pingTimer: NodeJS.Timeout | null = null;

  const end = (code: number, reason: string): void => {
    unsubscribe();
    offClose();
    if (ws.readyState === ws.OPEN) ws.close(code, truncateReason(reason));
    if (!graceTimer) {
      graceTimer = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      graceTimer.unref();
    }
  };

  ws.on('error', () => ws.terminate());
  ws.on('close', () => {
    unsubscribe();
    offClose();
    if (graceTimer) clearTimeout(graceTimer);
    if (pingTimer) clearInterval(pingTimer);
  });

  const send = (chunk: Buffer): void => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > maxBuffered) {
      end(CLOSE_CLIENT_TOO_SLOW, `client too slow: more than ${maxBuffered} bytes of output unread`);
      return;
    }
    ws.send(chunk, { binary: true });
  };

  // Snapshot and subscribe in one synchronous step: no chunk can land between them.
  const history = session.history();
  unsubscribe = session.subscribe(send);
  ws.send(history, { binary: true });

  const closed = session.closed;
  if (closed) {
    end(closed.code, closed.reason);
    return;
  }
  offClose = session.onClose((code, reason) => end(code, reason));

  ws.on('message', (data: RawData) => {
    const bytes = rawToBuffer(data);
    if (bytes.length === 0) return;
    // Stop reading this client until its input is in the FIFO: backpressure to the sender
    // instead of an unbounded queue in the agent.
    ws.pause();
    session
      .write(bytes)
      .catch(() => {
        // The guest cannot take input (firecracker gone or not reading). Output and the session's
        // close tell the client what happened; the input is dropped like a dead serial line would.
      })
      .finally(() => {
        if (ws.readyState === ws.OPEN) ws.resume();
      });
  });

  let alive = true;
  ws.on('pong', () => {
    alive = true;
  });
  pingTimer = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    if (ws.readyState === ws.OPEN) ws.ping();
  }, opts.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
  pingTimer.unref();
}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Close reasons are limited to 123 bytes of UTF-8. */
function truncateReason(reason: string): string {
  const buf = Buffer.from(reason, 'utf8');
  if (buf.length <= 123) return reason;
  return buf
    .subarray(0, 120)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
