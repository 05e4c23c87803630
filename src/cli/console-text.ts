// Console output made fit for reading (`logs`, status's last console lines), as opposed to the live
// attach, which passes every byte to the terminal untouched. A guest's console carries terminal
// controls: BusyBox's shell sends `ESC [ 6 n` (a cursor-position query) at every prompt. Printed
// by `logs`, such a query makes the user's terminal type its answer (`ESC [ 24 ; 1 R`) into their
// shell, and in a file it shows as garbage. So only colours (SGR, `ESC [ … m`), newlines, carriage
// returns, tabs and backspaces pass; every other escape sequence and control character is dropped.

const ESC = 0x1b;

/** Streaming filter: a sequence split across chunks is held back until it is complete. */
export class ReadableConsoleText {
  private pending = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** The readable part of this chunk (bytes or text). */
  push(chunk: Uint8Array | string): string {
    const text =
      this.pending + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
    const { out, rest } = filter(text);
    this.pending = rest;
    return out;
  }

  /** What is left at the end (an unfinished sequence is dropped). */
  end(): string {
    const { out } = filter(this.pending + this.decoder.decode());
    this.pending = '';
    return out;
  }
}

/** The whole text at once; keepColour false drops colours too (single-line fields). */
export function readableConsoleText(text: string, keepColour = true): string {
  return filter(text, keepColour).out;
}

function filter(text: string, keepColour = true): { out: string; rest: string } {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === ESC) {
      const end = sequenceEnd(text, i);
      if (end === null) return { out, rest: text.slice(i) };
      const seq = text.slice(i, end);
      if (keepColour && seq.endsWith('m') && /^\[[0-9;]*m$/.test(seq.slice(1))) out += seq;
      i = end;
      continue;
    }
    if (
      (c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x08) ||
      c === 0x7f ||
      (c >= 0x80 && c < 0xa0)
    ) {
      i++;
      continue;
    }
    out += text[i];
    i++;
  }
  return { out, rest: '' };
}

/** Index just past the escape sequence starting at i, or null when the text ends inside it. */
function sequenceEnd(text: string, i: number): number | null {
  const next = text[i + 1];
  if (next === undefined) return null;
  if (next === '[') {
    // CSI: parameter and intermediate bytes, then one final byte 0x40-0x7e.
    for (let j = i + 2; j < text.length; j++) {
      const b = text.charCodeAt(j);
      if (b >= 0x40 && b <= 0x7e) return j + 1;
      if (b < 0x20 || b > 0x3f) return j; // malformed: drop what came so far
    }
    return null;
  }
  if (next === ']' || next === 'P' || next === '_' || next === '^' || next === 'X') {
    // OSC/DCS/APC/PM/SOS: up to BEL or ESC \.
    for (let j = i + 2; j < text.length; j++) {
      if (text.charCodeAt(j) === 0x07) return j + 1;
      if (text.charCodeAt(j) === ESC) {
        if (j + 1 >= text.length) return null;
        if (text[j + 1] === '\\') return j + 2;
      }
    }
    return null;
  }
  // Two-byte sequences (ESC 7, ESC c, ESC ( B needs one more).
  if (next === '(' || next === ')' || next === '#' || next === '%')
    return i + 3 <= text.length ? i + 3 : null;
  return i + 2;
}
