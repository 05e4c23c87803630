// The last N bytes of console output, kept as a list of chunks so appending never copies the whole
// window; history() joins them once per call (attach, logs), which is rare compared with appends.

export class HistoryBuffer {
  private chunks: Buffer[] = [];
  private total = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) {
      throw new RangeError(`history capacity must be a non-negative integer, got ${capacity}`);
    }
  }

  get length(): number {
    return this.total;
  }

  append(chunk: Uint8Array): void {
    if (chunk.length === 0 || this.capacity === 0) return;
    // Copy: callers reuse their read buffers.
    let copy = Buffer.from(chunk);
    if (copy.length >= this.capacity) {
      copy = copy.subarray(copy.length - this.capacity);
      this.chunks = [copy];
      this.total = copy.length;
      return;
    }
    this.chunks.push(copy);
    this.total += copy.length;
    while (this.total > this.capacity) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const excess = this.total - this.capacity;
      if (first.length <= excess) {
        this.chunks.shift();
        this.total -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.total -= excess;
      }
    }
  }

  snapshot(): Buffer {
    if (this.chunks.length === 1 && this.chunks[0] !== undefined) return Buffer.from(this.chunks[0]);
    const joined = Buffer.concat(this.chunks, this.total);
    // Keep one chunk from now on: the next snapshot is then a plain copy.
    this.chunks = [joined];
    return Buffer.from(joined);
  }
}

/** The bytes of the last `n` lines of `buf` (a final line without "\n" counts as a line). */
export function tailLines(buf: Buffer, n: number): Buffer {
  if (n <= 0 || buf.length === 0) return Buffer.alloc(0);
  let end = buf.length;
  if (buf[end - 1] === 0x0a) end -= 1;
  let found = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a) {
      found += 1;
      if (found === n) return buf.subarray(i + 1);
    }
  }
  return buf;
}

/** Text lines of console bytes: "\r\n" and "\n" end a line; a trailing empty line is dropped. */
export function splitLines(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
