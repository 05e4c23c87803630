// A byte reader that reports positions the way serde_json does (line, and column counted in bytes
// from the start of the line), so fault messages carry the same `at line L column C` suffix.

export class SerdeError extends Error {
  readonly code = 'serde_error';
  line = 0;
  column = 0;
  constructor(readonly detail: string) {
    super(detail);
  }
  get hasPosition(): boolean {
    return this.line !== 0;
  }
  /** serde_json's Display: the message, then the position when one is known. */
  override toString(): string {
    return this.hasPosition ? `${this.detail} at line ${this.line} column ${this.column}` : this.detail;
  }
}

export class JsonReader {
  index = 0;
  constructor(readonly bytes: Buffer) {}

  positionOf(i: number): { line: number; column: number } {
    const upTo = this.bytes.subarray(0, i);
    const lastNl = upTo.lastIndexOf(0x0a);
    const startOfLine = lastNl === -1 ? 0 : lastNl + 1;
    let line = 1;
    for (let k = 0; k < startOfLine; k++) if (this.bytes[k] === 0x0a) line++;
    return { line, column: i - startOfLine };
  }

  /** An error positioned at the current index (what serde_json calls `error`). */
  error(detail: string): SerdeError {
    return this.place(new SerdeError(detail), this.index);
  }

  /** An error positioned just past the byte being peeked (serde_json's `peek_error`). */
  peekError(detail: string): SerdeError {
    return this.place(new SerdeError(detail), Math.min(this.bytes.length, this.index + 1));
  }

  /** Gives a position to an error raised by a visitor, unless it already has one. */
  fix(err: unknown): SerdeError {
    if (!(err instanceof SerdeError)) throw err;
    if (!err.hasPosition) this.place(err, this.index);
    return err;
  }

  private place(err: SerdeError, i: number): SerdeError {
    const { line, column } = this.positionOf(i);
    err.line = line;
    err.column = column;
    return err;
  }

  peek(): number | undefined {
    return this.bytes[this.index];
  }

  eat(): void {
    this.index++;
  }

  next(): number | undefined {
    const b = this.bytes[this.index];
    if (b !== undefined) this.index++;
    return b;
  }

  /** Skips whitespace and returns the next byte without consuming it. */
  skipWhitespace(): number | undefined {
    for (;;) {
      const b = this.peek();
      if (b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d) this.eat();
      else return b;
    }
  }

  /** After the first letter of true/false/null. */
  ident(rest: string): void {
    for (const ch of rest) {
      const b = this.next();
      if (b === undefined) throw this.error('EOF while parsing a value');
      if (b !== ch.charCodeAt(0)) throw this.error('expected ident');
    }
  }

  /** After the opening quote. */
  string(): string {
    const out: number[] = [];
    for (;;) {
      const b = this.next();
      if (b === undefined) throw this.error('EOF while parsing a string');
      if (b === 0x22) return Buffer.from(out).toString('utf8');
      if (b === 0x5c) {
        const e = this.next();
        if (e === undefined) throw this.error('EOF while parsing a string');
        const simple: Record<number, number> = {
          34: 0x22,
          92: 0x5c,
          47: 0x2f,
          98: 0x08,
          102: 0x0c,
          110: 0x0a,
          114: 0x0d,
          116: 0x09,
        };
        const s = simple[e];
        if (s !== undefined) out.push(s);
        else if (e === 0x75) out.push(...Buffer.from(this.unicodeEscape(), 'utf8'));
        else throw this.error('invalid escape');
      } else if (b < 0x20) {
        throw this.error('control character (\\u0000-\\u001F) found while parsing a string');
      } else out.push(b);
    }
  }

  private hex4(): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const b = this.next();
      if (b === undefined) throw this.error('EOF while parsing a string');
      const d = Number.parseInt(String.fromCharCode(b), 16);
      if (Number.isNaN(d)) throw this.error('invalid escape');
      v = v * 16 + d;
    }
    return v;
  }

  private unicodeEscape(): string {
    const hi = this.hex4();
    if (hi >= 0xd800 && hi <= 0xdbff) {
      if (this.next() !== 0x5c || this.next() !== 0x75)
        throw this.error('lone leading surrogate in hex escape');
      const lo = this.hex4();
      if (lo < 0xdc00 || lo > 0xdfff) throw this.error('lone leading surrogate in hex escape');
      return String.fromCodePoint(0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00));
    }
    return String.fromCharCode(hi);
  }

  /**
   * Parses a number starting at the current byte ('-' or a digit), like serde_json:
   * integers stay exact (bigint), anything with a fraction or exponent is a float.
   */
  number(): { kind: 'unsigned' | 'signed'; value: bigint } | { kind: 'float'; value: number } {
    const start = this.index;
    let negative = false;
    if (this.peek() === 0x2d) {
      negative = true;
      this.eat();
    }
    const first = this.next();
    if (first === undefined) throw this.error('EOF while parsing a value');
    if (first < 0x30 || first > 0x39) throw this.error('invalid number');
    if (first === 0x30) {
      const p = this.peek();
      if (p !== undefined && p >= 0x30 && p <= 0x39) throw this.peekError('invalid number');
    } else {
      while (isDigit(this.peek())) this.eat();
    }
    let isFloat = false;
    if (this.peek() === 0x2e) {
      this.eat();
      const p = this.peek();
      if (p === undefined) throw this.peekError('EOF while parsing a value');
      if (!isDigit(p)) throw this.peekError('invalid number');
      while (isDigit(this.peek())) this.eat();
      isFloat = true;
    }
    const e = this.peek();
    if (e === 0x65 || e === 0x45) {
      this.eat();
      const sign = this.peek();
      if (sign === 0x2b || sign === 0x2d) this.eat();
      const d = this.next();
      if (d === undefined) throw this.error('EOF while parsing a value');
      if (!isDigit(d)) throw this.error('invalid number');
      while (isDigit(this.peek())) this.eat();
      isFloat = true;
    }
    const text = this.bytes.subarray(start, this.index).toString('latin1');
    if (isFloat) return { kind: 'float', value: Number(text) };
    const value = BigInt(text);
    if (!negative) {
      if (value > 0xffffffffffffffffn) return { kind: 'float', value: Number(text) };
      return { kind: 'unsigned', value };
    }
    if (value < -0x8000000000000000n) return { kind: 'float', value: Number(text) };
    return { kind: 'signed', value };
  }
}

function isDigit(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}
