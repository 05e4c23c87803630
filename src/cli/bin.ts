// The fc-macos executable. Kept tiny. `fc-macos --help` is printed from the text the build took
// from commander (fast-help.ts) and nothing else loads. Otherwise, on Node 22.1+ it first turns on
// V8's compile cache, so the CLI's code is compiled once and reused by later runs (most of what
// start-up costs once Node itself is up); older Node has no such cache and just runs, without
// even loading the paths module. The cache lives in fc-macos's own state dir (never a shared
// temp dir). Then the CLI itself loads (start.ts).
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
  await import('./start.ts');
}
