// `fc-macos --help` is printed from a text the build took from commander (src/cli/fast-help.ts):
// it must be exactly what commander prints, and only where commander would print that.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedHelp, type HelpCache, helpCacheFor } from '../../src/cli/fast-help.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { repoRoot } from '../support/paths.ts';
import { type CliEnv, cliEnv } from './harness.ts';

/** What commander itself prints for the program's --help at this width. */
function commanderHelp(width: number): string {
  const program = buildProgram();
  program.configureOutput({ getOutHelpWidth: () => width, getOutHasColors: () => false });
  return program.helpInformation();
}

let cli: CliEnv;
let cache: HelpCache;
beforeAll(async () => {
  cli = await cliEnv();
  cache = JSON.parse(await readFile(join(repoRoot, 'dist', 'cli-help.json'), 'utf8')) as HelpCache;
});
afterAll(async () => {
  await cli?.cleanup();
});

describe('fc-macos --help from the build', () => {
  it.each([['--help'], ['-h']])('%s prints exactly what commander prints (piped: width 80)', async (flag) => {
    const r = await cli.run([flag]);
    expect(r).toEqual({ code: 0, stdout: commanderHelp(80), stderr: '' });
  });

  it('the built text is the current program help, not a stale one', () => {
    expect(cache).toEqual(helpCacheFor(buildProgram()));
  });

  it('is used only at widths where commander prints the same text', () => {
    for (let width = 1; width <= 400; width++) {
      const text = cachedHelp(['--help'], width, cache);
      if (text !== undefined) expect(text).toBe(commanderHelp(width));
    }
    // 100 columns wraps the long descriptions: commander's path, not the cached text.
    expect(commanderHelp(100)).not.toBe(cache.text);
    expect(cachedHelp(['--help'], 100, cache)).toBeUndefined();
    expect(cachedHelp(['--help'], 401, cache)).toBeUndefined();
  });

  it('applies to the top-level help alone', () => {
    for (const args of [['--help', '--json'], ['ls', '--help'], ['help'], [], ['--helpx']])
      expect(cachedHelp(args, 80, cache)).toBeUndefined();
  });
});
