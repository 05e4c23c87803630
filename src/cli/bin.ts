// The fc-macos executable. Kept tiny: on Node 22.1+ it first turns on V8's compile cache, so the
// CLI's code is compiled once and reused by later runs (most of what start-up costs once Node
// itself is up); older Node has no such cache and just runs. The cache lives in fc-macos's own
// state dir (never a shared temp dir). Then the CLI itself loads (start.ts).
import module from 'node:module';
import { join } from 'node:path';
import { fcMacosPaths } from '../config/paths.ts';
import { printCachedHelp } from './fast-help.ts';

const cache = (module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
if (cache && !process.env.NODE_COMPILE_CACHE) {
  try {
    cache(join(fcMacosPaths().stateDir, 'compile-cache'));
  } catch {
    // Only a cache: without it the CLI starts a little slower.
  }
}

// `fc-macos --help` from the text the build took from commander (fast-help.ts); else the CLI.
if (!printCachedHelp(new URL('./cli-help.json', import.meta.url))) await import('./start.ts');
