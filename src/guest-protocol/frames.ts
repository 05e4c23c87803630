// fc-guest's framing (docs/guest-protocol.md): u32 big-endian payload length, u8 type, payload.
import { GuestProtocolError } from './errors.ts';

export const PROTO_VERSION = 1;
/** The vsock port fc-guest listens on inside every microVM. */
export const GUEST_PORT = 1024;
export const FRAME_MAX = 1 << 20;
export const DATA_CHUNK = 256 * 1024;

export const FrameType = {
  HELLO: 0x01,
  REQUEST: 0x02,
  RESULT: 0x03,
  STARTED: 0x04,
  ERROR: 0x05,
  EXIT: 0x06,
  STDIN: 0x10,
  STDIN_EOF: 0x11,
  STDOUT: 0x12,
  STDERR: 0x13,
  RESIZE: 0x14,
  SIGNAL: 0x15,
  ENTRY: 0x20,
  DATA: 0x21,
  END: 0x22,
} as const;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: number, payload: Buffer | string | object = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload)
    ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  if (body.length > FRAME_MAX)
    throw new RangeError(`frame payload of ${body.length} bytes exceeds ${FRAME_MAX}`);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(type, 4);
  return Buffer.concat([header, body]);
}

/** Splits a byte stream into frames; throws GuestProtocolError on an oversized frame. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Frame[] = [];
    for (;;) {
      if (this.buffered < 5) break;
      const head = this.peek(5);
      const len = head.readUInt32BE(0);
      if (len > FRAME_MAX)
        throw new GuestProtocolError(`frame of ${len} bytes exceeds the ${FRAME_MAX}-byte limit`);
      if (this.buffered < 5 + len) break;
      const all = this.take(5 + len);
      frames.push({ type: all.readUInt8(4), payload: all.subarray(5) });
    }
    return frames;
  }

  get pending(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0] && this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    return all.subarray(0, n);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const all = Buffer.concat(this.chunks);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.buffered -= n;
    return all.subarray(0, n);
  }
}

export function parseJson(frame: Frame, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(frame.payload.toString('utf8'));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new GuestProtocolError(`${what}: payload is not a JSON object`);
}
