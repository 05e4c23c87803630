// Deserializes a request body the way Firecracker's serde-derived Rust types do, so that every
// rejection carries serde_json's exact wording and position. A `RustType` describes the Rust side.
import { JsonReader, SerdeError } from './json-reader.ts';

export type IntKind = 'u8' | 'u16' | 'u32' | 'u64' | 'usize' | 'i64';

export interface RustField {
  name: string;
  type: RustType;
  /** `#[serde(default)]`: absent means the default, also in the array form of a struct. */
  serdeDefault?: boolean;
}

export type RustType =
  | { kind: 'int'; int: IntKind }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'path' }
  | { kind: 'option'; inner: RustType }
  | { kind: 'vec'; inner: RustType }
  | { kind: 'enum'; variants: string[] }
  | { kind: 'struct'; name: string; fields: RustField[]; denyUnknown: boolean }
  | { kind: 'value' }
  /** A type deserialized from a string and then checked by its own code, failing with `message`. */
  | { kind: 'parsed'; check: (s: string) => string | undefined; inVisitor?: boolean };

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const INT_RANGE: Record<IntKind, [bigint, bigint]> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  usize: [0n, 18446744073709551615n],
  i64: [-9223372036854775808n, 9223372036854775807n],
};

/** serde_json::from_slice: the whole body is one value of `type`, with nothing after it. */
export function fromSlice(body: Buffer, type: RustType): Json {
  const r = new JsonReader(body);
  const value = deserialize(r, type);
  if (r.skipWhitespace() !== undefined) throw r.peekError('trailing characters');
  return value;
}

function expecting(type: RustType): string {
  switch (type.kind) {
    case 'int':
      return type.int;
    case 'bool':
      return 'a boolean';
    case 'string':
    case 'parsed':
      return 'a string';
    case 'path':
      return 'path string';
    case 'option':
      return expecting(type.inner);
    case 'vec':
      return 'a sequence';
    case 'struct':
      return `struct ${type.name}`;
    case 'enum':
      return 'variant identifier';
    case 'value':
      return 'any valid JSON value';
  }
}

function rustDebugStr(s: string): string {
  // Rust's `{:?}` for str: quotes, backslash escapes, \u{..} for other control characters.
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 0) out += '\\0';
    else if (c < 0x20 || c === 0x7f) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

export function rustFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'inf' : '-inf';
  let s = Math.abs(x) < 1e21 && Math.abs(x) >= 1e-6 ? String(x) : x.toFixed(20).replace(/0+$/, '');
  if (Math.abs(x) >= 1e21) s = BigInt(Math.trunc(x)).toString();
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function invalidType(unexpected: string, type: RustType): SerdeError {
  return new SerdeError(`invalid type: ${unexpected}, expected ${expecting(type)}`);
}

/** serde_json's peek_invalid_type: consumes the offending scalar to describe it. */
function peekInvalidType(r: JsonReader, type: RustType): SerdeError {
  const b = r.skipWhitespace();
  let err: SerdeError;
  if (b === 0x6e) {
    r.eat();
    r.ident('ull');
    err = invalidType('null', type);
  } else if (b === 0x74) {
    r.eat();
    r.ident('rue');
    err = invalidType('boolean `true`', type);
  } else if (b === 0x66) {
    r.eat();
    r.ident('alse');
    err = invalidType('boolean `false`', type);
  } else if (b === 0x2d || (b !== undefined && b >= 0x30 && b <= 0x39)) {
    const n = r.number();
    err = invalidType(
      n.kind === 'float' ? `floating point \`${rustFloat(n.value)}\`` : `integer \`${n.value}\``,
      type,
    );
  } else if (b === 0x22) {
    r.eat();
    err = invalidType(`string ${rustDebugStr(r.string())}`, type);
  } else if (b === 0x5b) err = invalidType('sequence', type);
  else if (b === 0x7b) err = invalidType('map', type);
  else return r.peekError('expected value');
  return r.fix(err);
}

function eofCheck(r: JsonReader): number {
  const b = r.skipWhitespace();
  if (b === undefined) throw r.peekError('EOF while parsing a value');
  return b;
}

export function deserialize(r: JsonReader, type: RustType): Json {
  switch (type.kind) {
    case 'option': {
      if (eofCheck(r) === 0x6e) {
        r.eat();
        r.ident('ull');
        return null;
      }
      return deserialize(r, type.inner);
    }
    case 'bool': {
      const b = eofCheck(r);
      if (b === 0x74 || b === 0x66) {
        r.eat();
        r.ident(b === 0x74 ? 'rue' : 'alse');
        return b === 0x74;
      }
      throw peekInvalidType(r, type);
    }
    case 'int': {
      const b = eofCheck(r);
      if (b !== 0x2d && (b < 0x30 || b > 0x39)) throw peekInvalidType(r, type);
      const n = r.number();
      if (n.kind === 'float') throw r.fix(invalidType(`floating point \`${rustFloat(n.value)}\``, type));
      const [lo, hi] = INT_RANGE[type.int];
      if (n.value < lo || n.value > hi)
        throw r.fix(new SerdeError(`invalid value: integer \`${n.value}\`, expected ${expecting(type)}`));
      return Number(n.value);
    }
    case 'string':
    case 'path':
    case 'parsed': {
      const b = eofCheck(r);
      if (b !== 0x22) throw peekInvalidType(r, type);
      r.eat();
      const s = r.string();
      if (type.kind === 'parsed') {
        const problem = type.check(s);
        // Raised inside the string visitor (positioned here) or after String::deserialize
        // returned (positioned by the enclosing struct).
        if (problem !== undefined)
          throw type.inVisitor ? r.fix(new SerdeError(problem)) : new SerdeError(problem);
      }
      return s;
    }
    case 'enum': {
      const b = eofCheck(r);
      if (b !== 0x22) throw r.peekError('expected value');
      r.eat();
      const s = r.string();
      if (!type.variants.includes(s)) throw r.fix(new SerdeError(unknownVariant(s, type.variants)));
      return s;
    }
    case 'vec': {
      const b = eofCheck(r);
      if (b !== 0x5b) throw peekInvalidType(r, type);
      r.eat();
      const out: Json[] = [];
      let ret: SerdeError | undefined;
      try {
        let first = true;
        while (nextElement(r, first)) {
          first = false;
          out.push(deserialize(r, type.inner));
        }
      } catch (e) {
        if (!(e instanceof SerdeError)) throw e;
        ret = e;
      }
      const end = endSeq(r);
      const err = ret ?? end;
      if (err) throw r.fix(err);
      return out;
    }
    case 'value':
      return anyValue(r);
    case 'struct':
      return deserializeStruct(r, type);
  }
}

function unknownVariant(s: string, variants: string[]): string {
  return `unknown variant \`${s}\`, ${expectedList(variants, 'variants')}`;
}

function expectedList(names: string[], what: 'fields' | 'variants'): string {
  if (names.length === 0) return `there are no ${what}`;
  if (names.length === 1) return `expected \`${names[0]}\``;
  if (names.length === 2) return `expected \`${names[0]}\` or \`${names[1]}\``;
  return `expected one of ${names.map((n) => `\`${n}\``).join(', ')}`;
}

/** Moves to the next array element; false at the closing bracket. */
function nextElement(r: JsonReader, first: boolean): boolean {
  let b = r.skipWhitespace();
  if (b === 0x5d) return false;
  if (b === undefined) throw r.peekError('EOF while parsing a list');
  if (!first) {
    if (b !== 0x2c) throw r.peekError('expected `,` or `]`');
    r.eat();
    b = r.skipWhitespace();
  }
  if (b === 0x5d) throw r.peekError('trailing comma');
  if (b === undefined) throw r.peekError('EOF while parsing a value');
  return true;
}

function endSeq(r: JsonReader): SerdeError | undefined {
  const b = r.skipWhitespace();
  if (b === 0x5d) {
    r.eat();
    return undefined;
  }
  if (b === 0x2c) {
    r.eat();
    return r.skipWhitespace() === 0x5d ? r.peekError('trailing comma') : r.peekError('trailing characters');
  }
  if (b === undefined) return r.peekError('EOF while parsing a list');
  return r.peekError('trailing characters');
}

function endMap(r: JsonReader): SerdeError | undefined {
  const b = r.skipWhitespace();
  if (b === 0x7d) {
    r.eat();
    return undefined;
  }
  if (b === 0x2c) return r.peekError('trailing comma');
  if (b === undefined) return r.peekError('EOF while parsing an object');
  return r.peekError('trailing characters');
}

/** Reads the next object key; undefined at the closing brace. */
function nextKey(r: JsonReader, first: boolean): string | undefined {
  let b = r.skipWhitespace();
  if (b === 0x7d) return undefined;
  if (b === undefined) throw r.peekError('EOF while parsing an object');
  if (!first) {
    if (b !== 0x2c) throw r.peekError('expected `,` or `}`');
    r.eat();
    b = r.skipWhitespace();
  }
  if (b === 0x22) {
    r.eat();
    return r.string();
  }
  if (b === 0x7d) throw r.peekError('trailing comma');
  if (b === undefined) throw r.peekError('EOF while parsing a value');
  throw r.peekError('key must be a string');
}

function colon(r: JsonReader): void {
  const b = r.skipWhitespace();
  if (b === 0x3a) {
    r.eat();
    return;
  }
  if (b === undefined) throw r.peekError('EOF while parsing an object');
  throw r.peekError('expected `:`');
}

function deserializeStruct(
  r: JsonReader,
  type: Extract<RustType, { kind: 'struct' }>,
): { [k: string]: Json } {
  const b = eofCheck(r);
  const out: { [k: string]: Json } = {};
  if (b === 0x7b) {
    r.eat();
    let ret: SerdeError | undefined;
    try {
      let first = true;
      for (;;) {
        const key = nextKey(r, first);
        if (key === undefined) break;
        first = false;
        const field = type.fields.find((f) => f.name === key);
        if (!field) {
          if (type.denyUnknown)
            throw new SerdeError(
              `unknown field \`${key}\`, ${expectedList(
                type.fields.map((f) => f.name),
                'fields',
              )}`,
            );
          colon(r);
          anyValue(r);
          continue;
        }
        if (Object.hasOwn(out, key)) throw new SerdeError(`duplicate field \`${key}\``);
        colon(r);
        out[key] = deserialize(r, field.type);
      }
      for (const f of type.fields) {
        if (Object.hasOwn(out, f.name)) continue;
        if (f.serdeDefault || f.type.kind === 'option') continue;
        throw new SerdeError(`missing field \`${f.name}\``);
      }
    } catch (e) {
      if (!(e instanceof SerdeError)) throw e;
      ret = e;
    }
    const end = endMap(r);
    const err = ret ?? end;
    if (err) throw r.fix(err);
    return out;
  }
  if (b === 0x5b) {
    r.eat();
    let ret: SerdeError | undefined;
    try {
      let first = true;
      for (const [i, f] of type.fields.entries()) {
        if (!nextElement(r, first)) {
          if (f.serdeDefault) continue;
          throw new SerdeError(
            `invalid length ${i}, expected struct ${type.name} with ${type.fields.length} element${
              type.fields.length === 1 ? '' : 's'
            }`,
          );
        }
        first = false;
        out[f.name] = deserialize(r, f.type);
      }
    } catch (e) {
      if (!(e instanceof SerdeError)) throw e;
      ret = e;
    }
    const end = endSeq(r);
    const err = ret ?? end;
    if (err) throw r.fix(err);
    return out;
  }
  throw peekInvalidType(r, type);
}

/** serde_json::Value (or IgnoredAny): any well-formed JSON. */
function anyValue(r: JsonReader): Json {
  const b = eofCheck(r);
  if (b === 0x6e || b === 0x74 || b === 0x66) {
    r.eat();
    r.ident(b === 0x6e ? 'ull' : b === 0x74 ? 'rue' : 'alse');
    return b === 0x6e ? null : b === 0x74;
  }
  if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
    const n = r.number();
    return Number(n.value);
  }
  if (b === 0x22) {
    r.eat();
    return r.string();
  }
  if (b === 0x5b) {
    r.eat();
    const out: Json[] = [];
    let ret: SerdeError | undefined;
    try {
      let first = true;
      while (nextElement(r, first)) {
        first = false;
        out.push(anyValue(r));
      }
    } catch (e) {
      if (!(e instanceof SerdeError)) throw e;
      ret = e;
    }
    const err = ret ?? endSeq(r);
    if (err) throw r.fix(err);
    return out;
  }
  if (b === 0x7b) {
    r.eat();
    const out: { [k: string]: Json } = {};
    let ret: SerdeError | undefined;
    try {
      let first = true;
      for (;;) {
        const key = nextKey(r, first);
        if (key === undefined) break;
        first = false;
        colon(r);
        out[key] = anyValue(r);
      }
    } catch (e) {
      if (!(e instanceof SerdeError)) throw e;
      ret = e;
    }
    const err = ret ?? endMap(r);
    if (err) throw r.fix(err);
    return out;
  }
  throw r.peekError('expected value');
}
