// The interactive exec: a WebSocket per command (src/api/guest.ts guestExecStreamRequest for the
// message shapes), bridged to one fc-guest exec session.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import {
  EXEC_STDERR,
  EXEC_STDOUT,
  type GuestExecEvent,
  guestExecControl,
  guestExecStreamRequest,
} from '../../api/guest.ts';
import { GuestError, GuestRemoteError, GuestUnavailableError } from '../../guest-protocol/errors.ts';
import type { Logger } from '../log.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import { GuestClient } from './client.ts';
import type { ExecSession } from './exec.ts';
import { guestTargetOf } from './vsock.ts';

/** Stdin chunks and control messages are small; a paste of more arrives as several. */
const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Output waiting for a slow WebSocket client beyond this pauses nothing but is a sign to stop: drop it. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: MAX_MESSAGE_BYTES,
  perMessageDeflate: false,
  clientTracking: false,
});

function send(ws: WebSocket, ev: GuestExecEvent): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(ev));
}

function errorEvent(err: unknown): GuestExecEvent {
  if (err instanceof GuestUnavailableError)
    return { type: 'error', code: 'guest_unavailable', message: err.message };
  if (err instanceof GuestRemoteError)
    return { type: 'error', code: 'guest_error', message: err.message, guest_code: err.code };
  if (err instanceof GuestError)
    return { type: 'error', code: 'guest_error', message: err.message, guest_code: err.code };
  return { type: 'error', code: 'internal', message: err instanceof Error ? err.message : String(err) };
}

export function handleExecUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  entry: MicrovmEntry,
  log: Logger,
): void {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => serve(ws, entry, log));
}

function serve(ws: WebSocket, entry: MicrovmEntry, log: Logger): void {
  let session: ExecSession | null = null;
  let closed = false;
  ws.on('close', () => {
    closed = true;
    session?.close();
  });
  ws.on('error', () => ws.terminate());
  const fail = (ev: GuestExecEvent): void => {
    send(ws, ev);
    ws.close(1011, ev.type === 'error' ? ev.code : 'error');
  };
  const output = (kind: number) => (data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      fail({ type: 'error', code: 'internal', message: 'the client does not read the output fast enough' });
      return;
    }
    ws.send(Buffer.concat([Buffer.from([kind]), data]));
  };

  ws.once('message', async (first: RawData, isBinary: boolean) => {
    let req: ReturnType<typeof guestExecStreamRequest.parse>;
    try {
      if (isBinary) throw new Error('the first message must be the exec request as JSON text');
      const parsed = guestExecStreamRequest.safeParse(JSON.parse(first.toString()));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new Error(`exec request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      req = parsed.data;
    } catch (err) {
      fail({ type: 'error', code: 'bad_request', message: (err as Error).message });
      return;
    }
    // Messages that arrive while the command starts are held, then handled in order.
    const early: Array<[RawData, boolean]> = [];
    const hold = (d: RawData, b: boolean): void => {
      early.push([d, b]);
    };
    ws.on('message', hold);
    try {
      const s = await new GuestClient(guestTargetOf(entry)).exec(
        {
          argv: req.argv,
          env: req.env,
          ...(req.cwd ? { cwd: req.cwd } : {}),
          ...(req.user ? { user: req.user } : {}),
          ...(req.tty ? { tty: req.tty } : {}),
          stdin: req.stdin,
          timeoutMs: req.timeout_ms,
        },
        { onStdout: output(EXEC_STDOUT), onStderr: output(EXEC_STDERR) },
      );
      session = s;
      if (closed) {
        s.close();
        return;
      }
      send(ws, { type: 'started', pid: s.pid });
      ws.off('message', hold);
      const onMessage = (data: RawData, isBin: boolean): void => {
        void handle(s, data, isBin).catch((err: unknown) => fail(errorEvent(err)));
      };
      ws.on('message', onMessage);
      for (const [d, b] of early) onMessage(d, b);
      const exit = await s.exit;
      send(ws, { type: 'exit', exit_code: exit.exitCode, signal: exit.signal, timed_out: exit.timedOut });
      ws.close(1000, 'exited');
    } catch (err) {
      if (!closed) {
        log.debug('exec failed', { microvm: entry.vm.name, error: err });
        fail(errorEvent(err));
      }
    }
  });

  async function handle(s: ExecSession, data: RawData, isBinary: boolean): Promise<void> {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) {
      await s.write(buf);
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(buf.toString());
    } catch {
      msg = null;
    }
    const c = guestExecControl.safeParse(msg);
    if (!c.success)
      throw new GuestError('bad_request', 'control messages are {"type":"eof"|"resize"|"signal",...}');
    if (c.data.type === 'eof') await s.end();
    else if (c.data.type === 'resize') await s.resize(c.data.rows, c.data.cols);
    else await s.signal(c.data.signal);
  }
}
