// One connection to fc-guest: through Firecracker's vsock Unix socket (`CONNECT <port>\n`, then
// `OK <host port>\n`) or straight to a Unix socket (fc-guest --listen-unix, for tests), then the
// versioned handshake. One operation per connection, as fc-guest serves them.
import { createConnection, type Socket } from 'node:net';
import { GuestProtocolError, GuestUnavailableError } from '../../guest-protocol/errors.ts';
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  GUEST_PORT,
  PROTO_VERSION,
  parseJson,
} from '../../guest-protocol/frames.ts';
import { errorFromFrame } from '../../guest-protocol/tree.ts';

export type GuestTarget =
  /** Firecracker's vsock device: its `uds_path` on the host, and fc-guest's port in the guest. */
  | { kind: 'vsock'; udsPath: string; port?: number }
  /** fc-guest's test mode (`--listen-unix PATH`). */
  | { kind: 'unix'; path: string };

export interface GuestHello {
  proto: number;
  agent: string;
  version: string;
  arch: string;
}

export interface ConnectOptions {
  /** Connect + handshake deadline (default 5000 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

function describe(target: GuestTarget): string {
  return target.kind === 'vsock'
    ? `vsock port ${target.port ?? GUEST_PORT} via ${target.udsPath}`
    : `unix socket ${target.path}`;
}

export class GuestConnection {
  private readonly decoder = new FrameDecoder();
  private readonly queue: Frame[] = [];
  private waiter: { resolve: (f: Frame | null) => void; reject: (e: Error) => void } | null = null;
  private ended = false;
  private failure: Error | null = null;
  hello!: GuestHello;

  private constructor(
    readonly socket: Socket,
    readonly where: string,
  ) {
    socket.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
        return;
      }
      for (const f of frames) this.deliver(f);
    });
    socket.on('end', () => this.finish());
    socket.on('close', () => this.finish());
    socket.on('error', (err) => this.fail(new GuestProtocolError(`${where}: ${err.message}`)));
  }

  static async open(target: GuestTarget, opts: ConnectOptions = {}): Promise<GuestConnection> {
    const where = describe(target);
    const timeoutMs = opts.timeoutMs ?? 5000;
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(target.kind === 'vsock' ? target.udsPath : target.path);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new GuestUnavailableError(`${where}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new GuestUnavailableError(`${where}: ${err.code ?? err.message}`));
      });
    });
    try {
      let leftover: Buffer = Buffer.alloc(0);
      if (target.kind === 'vsock')
        leftover = await vsockConnect(socket, target.port ?? GUEST_PORT, where, timeoutMs);
      const conn = new GuestConnection(socket, where);
      if (leftover.length > 0) socket.unshift(leftover);
      socket.resume();
      conn.hello = await conn.handshake(timeoutMs);
      return conn;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  private async handshake(timeoutMs: number): Promise<GuestHello> {
    this.send(FrameType.HELLO, { proto: PROTO_VERSION });
    const frame = await this.nextWithin(timeoutMs, 'handshake');
    if (!frame) throw new GuestUnavailableError(`${this.where}: closed during the handshake`);
    if (frame.type === FrameType.ERROR) throw errorFromFrame(frame);
    if (frame.type !== FrameType.HELLO) {
      throw new GuestProtocolError(`${this.where}: expected HELLO, got frame type ${frame.type}`);
    }
    const h = parseJson(frame, 'HELLO');
    if (h.proto !== PROTO_VERSION) {
      throw new GuestProtocolError(
        `${this.where}: fc-guest speaks protocol ${String(h.proto)}, not ${PROTO_VERSION}`,
      );
    }
    return { proto: h.proto, agent: String(h.agent), version: String(h.version), arch: String(h.arch) };
  }

  private deliver(f: Frame): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(f);
    } else {
      this.queue.push(f);
    }
  }

  private finish(): void {
    this.ended = true;
    if (this.waiter && this.queue.length === 0) {
      const w = this.waiter;
      this.waiter = null;
      if (this.failure) w.reject(this.failure);
      else w.resolve(null);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.ended = true;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.reject(err);
    }
  }

  /** The next frame, or null once fc-guest closed the connection. */
  next(): Promise<Frame | null> {
    const f = this.queue.shift();
    if (f) return Promise.resolve(f);
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  async nextWithin(ms: number, what: string): Promise<Frame | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.socket.destroy();
        reject(new GuestUnavailableError(`${this.where}: no ${what} answer within ${ms} ms`));
      }, ms);
    });
    try {
      return await Promise.race([this.next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends a frame; resolves once the socket can take more (backpressure). */
  send(type: number, payload?: Buffer | string | object): Promise<void> {
    return this.write(encodeFrame(type, payload));
  }

  /** Writes already-encoded frames (a relayed stream), with backpressure. */
  sendRaw(bytes: Buffer): Promise<void> {
    return this.write(bytes);
  }

  /** Resolves once the bytes are handed to the socket, waiting for 'drain' when it pushes back. */
  private write(bytes: Buffer): Promise<void> {
    if (this.socket.destroyed)
      return Promise.reject(new GuestProtocolError(`${this.where}: connection closed`));
    if (this.socket.write(bytes)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        reject(new GuestProtocolError(`${this.where}: connection closed while sending`));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends one REQUEST and expects one RESULT (ping, stat, shutdown). */
  async request(req: Record<string, unknown>, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    await this.send(FrameType.REQUEST, req);
    const frame = await this.nextWithin(timeoutMs, String(req.op));
    if (!frame) throw new GuestProtocolError(`${this.where}: closed before answering ${String(req.op)}`);
    if (frame.type === FrameType.ERROR) throw errorFromFrame(frame);
    if (frame.type !== FrameType.RESULT) {
      throw new GuestProtocolError(`${this.where}: expected RESULT, got frame type ${frame.type}`);
    }
    return parseJson(frame, 'RESULT');
  }
}

/** Firecracker's host-initiated vsock handshake; returns bytes that arrived after the OK line. */
function vsockConnect(socket: Socket, port: number, where: string, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(
      () => done(new GuestUnavailableError(`${where}: no OK within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer): void => {
      got = Buffer.concat([got, chunk]);
      const nl = got.indexOf(0x0a);
      if (nl < 0) {
        if (got.length > 64) done(new GuestProtocolError(`${where}: unexpected answer to CONNECT`));
        return;
      }
      const line = got.subarray(0, nl).toString('latin1');
      if (!/^OK \d+$/.test(line)) {
        done(
          new GuestProtocolError(
            `${where}: unexpected answer to CONNECT: ${JSON.stringify(line.slice(0, 40))}`,
          ),
        );
        return;
      }
      done(null, got.subarray(nl + 1));
    };
    // Firecracker closes the connection when nothing listens on the port in the guest.
    const onClose = (): void =>
      done(
        new GuestUnavailableError(
          `${where}: nothing is listening in the guest (not booted yet, or no fc-guest)`,
        ),
      );
    const onError = (err: Error): void => done(new GuestUnavailableError(`${where}: ${err.message}`));
    function done(err: Error | null, rest?: Buffer): void {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      if (err) reject(err);
      else {
        socket.pause();
        resolve(rest ?? Buffer.alloc(0));
      }
    }
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
    socket.write(`CONNECT ${port}\n`);
  });
}

/** fc-guest's ERROR frame as an error to throw. */
export const remoteError = errorFromFrame;
