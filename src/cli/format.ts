// Pure formatting for human output: aligned tables, relative times, short ids, optional colour.
// Kept free of process state so tests can call it with fixed inputs.

export const SHORT_ID_LENGTH = 8;

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** "just now", "42s ago", "3m ago", "5h ago", "2d ago"; "in 3m" for a clock that runs ahead. */
export function relativeTime(iso: string | null, now: Date = new Date()): string {
  if (!iso) return '-';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '-';
  const s = Math.round((now.getTime() - t) / 1000);
  const abs = Math.abs(s);
  let text: string;
  if (abs < 5) return 'just now';
  if (abs < 60) text = `${abs}s`;
  else if (abs < 3600) text = `${Math.floor(abs / 60)}m`;
  else if (abs < 86_400) text = `${Math.floor(abs / 3600)}h`;
  else text = `${Math.floor(abs / 86_400)}d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

/** "45s", "3m 12s", "2h 5m", "3d 4h". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

export function mib(n: number): string {
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024} GiB` : `${n} MiB`;
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
const ANSI = /\x1b\[[0-9;]*m/g;

// C0 controls but newline and tab, DEL, and C1 controls (U+0080-U+009F: some terminals act on them
// like ESC sequences).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: our own colour codes, kept when asked
const CONTROL_OR_SGR = /\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

const escapeControl = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;

/**
 * Text safe for a terminal: every control character (but newline and tab) is shown escaped, as
 * `\x1b`, so nothing printed can move the cursor, retitle the window or clear the screen. The one
 * place every human output of the CLI goes through (Output.line/note/error, commander's errors);
 * only the console itself (attach, `microvm logs`) passes the guest's bytes raw, on purpose.
 * keepColour keeps plain SGR colour codes (`ESC [ digits m`): for lines the CLI painted itself;
 * untrusted fields are escaped whole before painting (safeField).
 */
export function terminalSafe(text: string, keepColour = false): string {
  if (!keepColour) return text.replace(CONTROL, escapeControl);
  return text.replace(CONTROL_OR_SGR, (m) => (m.length > 1 ? m : escapeControl(m)));
}

/** An untrusted single-line field (a name, a path, a console line): every control escaped, \n and \t too. */
export function safeField(text: string): string {
  return terminalSafe(text).replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t'));
}

export function visibleWidth(s: string): number {
  return [...s.replace(ANSI, '')].length;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, c) => Math.max(...all.map((r) => visibleWidth(r[c] ?? ''))));
  return all
    .map((r) =>
      r
        .map((cell, c) =>
          c === r.length - 1 ? cell : cell + ' '.repeat((widths[c] ?? 0) - visibleWidth(cell)),
        )
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** "key: value" lines with the keys padded to one width. */
export function keyValues(pairs: Array<[string, string]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w)} ${v}`).join('\n');
}

export type Colour = 'green' | 'yellow' | 'red' | 'cyan' | 'dim' | 'bold';

const CODES: Record<Colour, [number, number]> = {
  green: [32, 39],
  yellow: [33, 39],
  red: [31, 39],
  cyan: [36, 39],
  dim: [2, 22],
  bold: [1, 22],
};

export type Paint = (colour: Colour, text: string) => string;

export const noPaint: Paint = (_c, text) => text;
export const ansiPaint: Paint = (c, text) => `\x1b[${CODES[c][0]}m${text}\x1b[${CODES[c][1]}m`;

/** Colours only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function colourWanted(isTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTty;
}

export function stateColour(state: string): Colour {
  switch (state) {
    case 'running':
      return 'green';
    case 'paused':
    case 'stopping':
      return 'yellow';
    case 'created':
      return 'cyan';
    case 'exited':
      return 'red';
    default:
      return 'dim';
  }
}
