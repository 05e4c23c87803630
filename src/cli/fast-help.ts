// `fc-macos --help` without loading commander and every command module (most of what the CLI
// costs at start-up). The build asks commander itself for the program's help text
// (scripts/build-help.mjs → dist/cli-help.json) together with the terminal widths at which
// commander prints exactly that text; any other width, argument or a missing file takes the
// normal path, so what the user sees is always commander's output.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

export interface HelpCache {
  text: string;
  /** Inclusive [from, to] ranges of help widths for which commander prints `text`. */
  widths: [number, number][];
}

/** Widths up to this are checked at build time; wider terminals take the normal path. */
export const MAX_CHECKED_WIDTH = 400;

/** The help width commander uses for stdout (its default getOutHelpWidth, then 80). */
export function stdoutHelpWidth(): number {
  return (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
}

/** The cached text when `args` (argv after the script) asks only for the top-level help. */
export function cachedHelp(args: string[], width: number, cache: HelpCache): string | undefined {
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return undefined;
  return cache.widths.some(([from, to]) => width >= from && width <= to) ? cache.text : undefined;
}

/** Prints the cached help if it applies; false when the normal path must run. */
export function printCachedHelp(cacheFile: string | URL): boolean {
  const args = process.argv.slice(2);
  // Only `--help` and `-h` read the file: `fc-macos ls` has one argument too.
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return false;
  let cache: HelpCache;
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as HelpCache;
  } catch {
    return false; // not built (running from source) or unreadable: commander prints it
  }
  const text = cachedHelp(args, stdoutHelpWidth(), cache);
  if (text === undefined) return false;
  process.stdout.write(text);
  return true;
}

/** Build time: commander's help text and the widths at which it prints exactly that. */
export function helpCacheFor(program: Command): HelpCache {
  const at = (width: number) => {
    program.configureOutput({ getOutHelpWidth: () => width, getOutHasColors: () => false });
    return program.helpInformation();
  };
  const text = at(80);
  const widths: [number, number][] = [];
  for (let w = 1; w <= MAX_CHECKED_WIDTH; w++) {
    if (at(w) !== text) continue;
    const last = widths[widths.length - 1];
    if (last && last[1] === w - 1) last[1] = w;
    else widths.push([w, w]);
  }
  return { text, widths };
}
