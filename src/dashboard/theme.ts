// Four colours at most (green, yellow, red, grey), plain ANSI ones that read on dark and light
// backgrounds; selection is shown by inverse video, not a fifth colour. With NO_COLOR or TERM=dumb
// the view is monochrome and every state is also spelled out, so nothing depends on colour.
import type { Health } from './model.ts';

export type Colour = 'green' | 'yellow' | 'red' | 'gray';

export interface Theme {
  colour: boolean;
  /** Box-drawing and block characters; off for TERM=dumb. */
  unicode: boolean;
}

export function themeFor(env: NodeJS.ProcessEnv): Theme {
  const dumb = env.TERM === 'dumb';
  const noColour = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || dumb;
  return { colour: !noColour, unicode: !dumb };
}

export const HEALTH_COLOUR: Record<Health, Colour> = {
  running: 'green',
  paused: 'yellow',
  idle: 'gray',
  failed: 'red',
};

/** The state dot; in monochrome a letter that differs per health (the state is spelled out too). */
export function dot(theme: Theme, health: Health): string {
  if (theme.colour) return theme.unicode ? '●' : '*';
  return { running: '+', paused: '~', idle: '-', failed: '!' }[health];
}

/** A bar `width` cells wide: the filled part and the rest, drawn in two colours (or two glyphs). */
export function bar(theme: Theme, fraction: number, width: number): [string, string] {
  const f = Number.isFinite(fraction) ? Math.max(0, Math.min(1, fraction)) : 0;
  const n = Math.round(f * width);
  const [full, empty] = theme.unicode ? (theme.colour ? ['█', '░'] : ['█', '·']) : ['#', '.'];
  return [full.repeat(n), empty.repeat(width - n)];
}

export const GLYPHS = {
  up: (t: Theme) => (t.unicode ? '▲' : '^'),
  down: (t: Theme) => (t.unicode ? '▼' : 'v'),
  sep: (t: Theme) => (t.unicode ? '·' : '|'),
};
