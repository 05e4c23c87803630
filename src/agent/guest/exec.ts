// exec over one fc-guest connection: STARTED, then STDOUT/STDERR frames until EXIT; the caller
// streams stdin, resizes the tty and forwards signals while it runs.

import { GuestProtocolError } from '../../guest-protocol/errors.ts';
import { DATA_CHUNK, FrameType, parseJson } from '../../guest-protocol/frames.ts';
import { type ConnectOptions, GuestConnection, type GuestTarget, remoteError } from './connection.ts';

export interface ExecOptions {
  argv: string[];
  /** "KEY=VALUE" entries, added to (and overriding) PATH, HOME, USER, LOGNAME and TERM (tty). */
  env?: string[];
  /** Absolute directory in the guest; default the user's home. */
  cwd?: string;
  /** Name, uid, or uid:gid / name:gid; default root. */
  user?: string;
  /** A pty of this size (stdout and stderr then arrive merged as stdout). */
  tty?: { rows: number; cols: number };
  /** Whether the command reads stdin from the caller; otherwise it reads /dev/null. */
  stdin?: boolean;
  /** Kill the command's process group after this long (the exit then says timed_out). */
  timeoutMs?: number;
}

export interface ExecExit {
  /** The exit status, or 128 + signal number when a signal ended it (as a shell reports it). */
  exitCode: number;
  signal: string | null;
  timedOut: boolean;
}

export interface ExecHandlers {
  onStdout?(data: Buffer): void;
  onStderr?(data: Buffer): void;
}

export class ExecSession {
  readonly exit: Promise<ExecExit>;

  constructor(
    private readonly conn: GuestConnection,
    readonly pid: number,
    handlers: ExecHandlers,
  ) {
    this.exit = this.pump(handlers);
    // A caller that never awaits exit still must not see an unhandled rejection.
    this.exit.catch(() => {});
  }

  private async pump(h: ExecHandlers): Promise<ExecExit> {
    try {
      for (;;) {
        const f = await this.conn.next();
        if (!f)
          throw new GuestProtocolError(`${this.conn.where}: closed before the command's exit was reported`);
        if (f.type === FrameType.STDOUT) h.onStdout?.(f.payload);
        else if (f.type === FrameType.STDERR) h.onStderr?.(f.payload);
        else if (f.type === FrameType.EXIT) {
          const e = parseJson(f, 'EXIT');
          if (typeof e.exit_code !== 'number') throw new GuestProtocolError('EXIT: exit_code is missing');
          return {
            exitCode: e.exit_code,
            signal: typeof e.signal === 'string' ? e.signal : null,
            timedOut: e.timed_out === true,
          };
        } else if (f.type === FrameType.ERROR) throw remoteError(f);
        else throw new GuestProtocolError(`${this.conn.where}: unexpected frame type ${f.type} during exec`);
      }
    } finally {
      this.conn.close();
    }
  }

  async write(data: Buffer | string): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length; off += DATA_CHUNK) {
      await this.conn.send(FrameType.STDIN, buf.subarray(off, off + DATA_CHUNK));
    }
  }

  /** Closes the command's stdin (with a tty: sends the EOF character). */
  end(): Promise<void> {
    return this.conn.send(FrameType.STDIN_EOF);
  }

  resize(rows: number, cols: number): Promise<void> {
    return this.conn.send(FrameType.RESIZE, { rows, cols });
  }

  /** Sends a signal ("TERM", "SIGINT", 9) to the command's process group. */
  signal(sig: string | number): Promise<void> {
    return this.conn.send(FrameType.SIGNAL, { signal: sig });
  }

  /** Drops the session: fc-guest kills the command's process group. */
  close(): void {
    this.conn.close();
  }
}

export async function startExec(
  target: GuestTarget,
  opts: ExecOptions,
  handlers: ExecHandlers = {},
  connect: ConnectOptions = {},
): Promise<ExecSession> {
  const conn = await GuestConnection.open(target, connect);
  try {
    await conn.send(FrameType.REQUEST, {
      op: 'exec',
      argv: opts.argv,
      env: opts.env ?? [],
      cwd: opts.cwd,
      user: opts.user,
      tty: opts.tty ?? null,
      stdin: opts.stdin ?? false,
      timeout_ms: opts.timeoutMs ?? 0,
    });
    const f = await conn.nextWithin(connect.timeoutMs ?? 10_000, 'exec');
    if (!f) throw new GuestProtocolError(`${conn.where}: closed before the command started`);
    if (f.type === FrameType.ERROR) throw remoteError(f);
    if (f.type !== FrameType.STARTED)
      throw new GuestProtocolError(`${conn.where}: expected STARTED, got ${f.type}`);
    const started = parseJson(f, 'STARTED');
    return new ExecSession(conn, Number(started.pid), handlers);
  } catch (err) {
    conn.close();
    throw err;
  }
}

export interface ExecResult extends ExecExit {
  stdout: Buffer;
  stderr: Buffer;
}

/** Runs a command to completion with optional stdin; output is collected up to maxOutputBytes each. */
export async function execBuffered(
  target: GuestTarget,
  opts: ExecOptions & { input?: Buffer | string; maxOutputBytes?: number },
  connect: ConnectOptions = {},
): Promise<ExecResult> {
  const max = opts.maxOutputBytes ?? 64 * 1024 * 1024;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  let overflow = false;
  const session = await startExec(
    target,
    { ...opts, stdin: opts.input !== undefined },
    {
      onStdout: (b) => {
        outLen += b.length;
        if (outLen <= max) out.push(b);
        else overflow = true;
      },
      onStderr: (b) => {
        errLen += b.length;
        if (errLen <= max) err.push(b);
        else overflow = true;
      },
    },
    connect,
  );
  if (opts.input !== undefined) {
    await session.write(opts.input);
    await session.end();
  }
  const exit = await session.exit;
  if (overflow) throw new GuestProtocolError(`command output exceeded ${max} bytes; use the streaming exec`);
  return { ...exit, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
}
