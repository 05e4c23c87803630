// The SDK's streaming exec: one WebSocket per command (GET .../exec; message shapes in
// src/api/guest.ts). Output arrives through the handlers as it is produced.
import type WebSocket from 'ws';
import type { GuestExecControl, GuestExecStreamRequest } from '../api/guest.ts';
import { EXEC_STDERR, EXEC_STDOUT } from '../api/wire.ts';
import { checks } from './checks.ts';
import { AgentApiError, AgentProtocolError, describeNetworkError, errorFromAnswer } from './errors.ts';
import type { AgentHttp } from './http.ts';

export interface ExecStreamHandlers {
  onStdout?(data: Buffer): void;
  onStderr?(data: Buffer): void;
}

export interface ExecExitStatus {
  /** The exit status, or 128 + the signal number when a signal ended the command. */
  exitCode: number;
  signal: string | null;
  timedOut: boolean;
}

/** A running command in a microVM. */
export class ExecStream {
  readonly exit: Promise<ExecExitStatus>;
  pid = 0;

  constructor(
    private readonly ws: WebSocket,
    exit: Promise<ExecExitStatus>,
  ) {
    this.exit = exit;
    this.exit.catch(() => undefined);
  }

  private sendControl(c: GuestExecControl): void {
    if (this.ws.readyState === WS_OPEN) this.ws.send(JSON.stringify(c));
  }

  /** Bytes for the command's stdin (needs `stdin: true`). */
  write(data: Buffer | string): void {
    if (this.ws.readyState === WS_OPEN)
      this.ws.send(typeof data === 'string' ? Buffer.from(data) : data, { binary: true });
  }

  /** Closes the command's stdin (with a tty: the EOF character). */
  end(): void {
    this.sendControl({ type: 'eof' });
  }

  resize(rows: number, cols: number): void {
    this.sendControl({ type: 'resize', rows, cols });
  }

  /** A signal ("INT", "TERM", 9) for the command's process group. */
  signal(signal: string | number): void {
    this.sendControl({ type: 'signal', signal });
  }

  /** Ends the session: the command is killed. */
  close(): void {
    this.ws.close(1000, 'client closed');
  }
}

/** WebSocket's OPEN readyState (the standard's number; ws uses it too). */
const WS_OPEN = 1;

/** Starts a command; resolves once it runs, rejects with the agent's error when it cannot start. */
export async function openExecStream(
  http: AgentHttp,
  path: string,
  req: GuestExecStreamRequest,
  handlers: ExecStreamHandlers = {},
): Promise<ExecStream> {
  const wsUrl = http.url(path).replace(/^http/, 'ws');
  // ws loads with the first exec stream, not with the client.
  const { default: WebSocketClass } = await import('ws');
  return new Promise((resolve, reject) => {
    const ws = new WebSocketClass(wsUrl, { headers: http.headers(), handshakeTimeout: http.timeoutMs });
    let started = false;
    let settle: { resolve: (e: ExecExitStatus) => void; reject: (e: Error) => void } | null = null;
    const exit = new Promise<ExecExitStatus>((res, rej) => {
      settle = { resolve: res, reject: rej };
    });
    const stream = new ExecStream(ws, exit);
    let finished = false;
    const fail = (err: Error): void => {
      if (finished) return;
      finished = true;
      if (started) settle?.reject(err);
      else reject(err);
      ws.terminate();
    };
    ws.once('open', () => ws.send(JSON.stringify(req)));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const kind = data[0];
        const body = data.subarray(1);
        if (kind === EXEC_STDOUT) handlers.onStdout?.(body);
        else if (kind === EXEC_STDERR) handlers.onStderr?.(body);
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(data.toString());
      } catch {
        json = undefined;
      }
      const parsed = checks.guestExecEvent.safeParse(json);
      if (!parsed.success) {
        fail(
          new AgentProtocolError(http.baseUrl, `exec: unexpected message ${data.toString().slice(0, 80)}`),
        );
        return;
      }
      const ev = parsed.data;
      if (ev.type === 'started') {
        started = true;
        stream.pid = ev.pid;
        resolve(stream);
      } else if (ev.type === 'exit') {
        finished = true;
        settle?.resolve({ exitCode: ev.exit_code, signal: ev.signal, timedOut: ev.timed_out });
      } else {
        const status = ev.code === 'guest_unavailable' ? 503 : ev.guest_code === 'not_found' ? 404 : 400;
        fail(
          new AgentApiError(
            status,
            ev.code,
            ev.message,
            ev.guest_code ? { guest_code: ev.guest_code } : undefined,
          ),
        );
      }
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('end', () =>
        fail(
          errorFromAnswer(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), {
            baseUrl: http.baseUrl,
            what: 'the exec WebSocket upgrade',
          }),
        ),
      );
    });
    ws.on('error', (err) => fail(http.unreachable(describeNetworkError(err))));
    ws.on('close', () => fail(http.unreachable('the exec connection closed before the command exited')));
  });
}
