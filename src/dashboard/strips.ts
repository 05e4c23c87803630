// How the microVM rows reach Ink cheaply. Ink re-measures every Text node on every frame, and
// string-width takes its slow path (grapheme segmentation, emoji and East Asian width tables) for
// a whole string as soon as it holds one character outside printable ASCII: one "●" or bar cell
// in a row made the whole row slow, and one Text node per row made 50 nodes to lay out. So the
// visible rows are cut into vertical strips at the columns where ASCII and non-ASCII cells meet
// (the dot and the two bars), and each strip is one Text node holding that strip of every row: a
// handful of nodes per frame, and only the dot and bar cells take the slow path. The screen shows
// exactly the same characters.
import { Box, Text } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import type { Line } from './lines.ts';
import type { Theme } from './theme.ts';

const SGR: Record<string, [string, string]> = {
  green: ['\x1b[32m', '\x1b[39m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  red: ['\x1b[31m', '\x1b[39m'],
  gray: ['\x1b[90m', '\x1b[39m'],
  bold: ['\x1b[1m', '\x1b[22m'],
  inverse: ['\x1b[7m', '\x1b[27m'],
};

/** A line as one string with its styles as escapes (text already sanitized by lines.ts). */
export function styled(line: Line, theme: Theme): string {
  let out = '';
  for (const s of line) {
    let t = s.t;
    if (theme.colour && s.c) t = SGR[s.c]?.[0] + t + SGR[s.c]?.[1];
    if (s.bold) t = `${SGR.bold?.[0]}${t}${SGR.bold?.[1]}`;
    if (s.inverse) t = `${SGR.inverse?.[0]}${t}${SGR.inverse?.[1]}`;
    out += t;
  }
  return out;
}

/**
 * The column ranges [from, to) covering `width`: runs of columns where every line has printable
 * ASCII (or nothing) alternate with runs where some line has another character. Every character
 * of a row is one cell wide (names are ASCII, the glyphs are narrow), so columns are code points.
 */
export function strips(lines: Line[], width: number): Array<[number, number]> {
  const other = new Uint8Array(Math.max(0, width));
  for (const l of lines) {
    let x = 0;
    for (const s of l) {
      for (const ch of s.t) {
        if (x >= width) break;
        if (ch < ' ' || ch > '~') other[x] = 1;
        x++;
      }
    }
  }
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let x = 1; x <= width; x++) {
    if (x === width || other[x] !== other[from]) {
      out.push([from, x]);
      from = x;
    }
  }
  return out;
}

/** The columns [from, to) of a line, styles kept. */
export function sliceLine(line: Line, from: number, to: number): Line {
  const out: Line = [];
  let pos = 0;
  for (const s of line) {
    if (pos >= to) break;
    const chars = [...s.t];
    const a = Math.max(from, pos);
    const b = Math.min(to, pos + chars.length);
    if (a < b) out.push({ ...s, t: chars.slice(a - pos, b - pos).join('') });
    pos += chars.length;
  }
  return out;
}

// Past this many strips (odd content everywhere) one Text node for all rows is cheaper.
const MAX_STRIPS = 9;

/** The rows as a few Text nodes, `width` wide, each row already cut to that width. */
export function rowsElement(lines: Line[], width: number, theme: Theme): ReactElement {
  const ranges = strips(lines, width);
  if (ranges.length > MAX_STRIPS) {
    return h(Text, { wrap: 'truncate-end' }, lines.map((l) => styled(l, theme)).join('\n'));
  }
  return h(
    Box,
    { flexDirection: 'row', width, height: lines.length },
    ...ranges.map(([a, b]) =>
      h(
        Box,
        { key: a, width: b - a, flexShrink: 0 },
        h(Text, { wrap: 'truncate-end' }, lines.map((l) => styled(sliceLine(l, a, b), theme)).join('\n')),
      ),
    ),
  );
}
