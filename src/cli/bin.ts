// The fc-macos executable. Kept tiny. `fc-macos --help` is printed from the text the build took
// from commander (fast-help.ts) and nothing else loads. Otherwise, on Node 22.1+ it first turns on
// V8's compile cache, so the CLI's code is compiled once and reused by later runs (most of what
// start-up costs once Node itself is up); older Node has no such cache and just runs, without
// even loading the paths module. The cache lives in fc-macos's own state dir (never a shared
// temp dir). Then `fc-macos ls` and its other spellings run from their own one-file bundle when
// the agent's address is known (commands/list-quick.ts, built as dist/cli-ls.mjs), else without
// commander (commands/list.ts); everything else loads the CLI itself (start.ts).
import module from 'node:module';
import { printCachedHelp } from './fast-help.ts';

if (!printCachedHelp(new URL('./cli-help.json', import.meta.url))) {
  const cache = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (cache && !process.env.NODE_COMPILE_CACHE) {
    try {
      const [{ join }, { fcMacosPaths }] = await Promise.all([
        import('node:path'),
        import('../config/paths.ts'),
      ]);
      cache(join(fcMacosPaths().stateDir, 'compile-cache'));
    } catch {
      // Only a cache: without it the CLI starts a little slower.
    }
  }
  const first = process.argv[2];
  let done = false;
  if (first === 'ls' || first === 'ps' || first === 'microvm' || first === 'microvms' || first === '--json') {
    const args = process.argv.slice(2);
    done =
      (await (await import('./commands/list-quick.ts')).quickList(args)) ||
      (await (await import('./commands/list.ts')).fastList(args));
  }
  if (!done) await import('./start.ts');
}
