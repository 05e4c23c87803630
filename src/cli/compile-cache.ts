// V8's compile cache (Node 22.1+: module.enableCompileCache): the CLI's code is compiled once and
// reused by later runs, most of what start-up costs once Node itself is up. It lives in fc-macos's
// own state dir (never a shared temp dir); NODE_COMPILE_CACHE set by the user wins. Older Node has
// no such cache: nothing is loaded for it, not even node:module or the paths module.
type ModuleWithCache = { enableCompileCache?: (dir: string) => unknown };

export async function enableCompileCache(): Promise<void> {
  // Node 22.1+ has process.getBuiltinModule too (20.16+).
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const enable = (builtin?.('node:module') as ModuleWithCache | undefined)?.enableCompileCache;
  if (!enable || process.env.NODE_COMPILE_CACHE) return;
  try {
    const [{ join }, { fcMacosPaths }] = await Promise.all([
      import('node:path'),
      import('../config/paths.ts'),
    ]);
    // A second call (the launcher, then the ESM entry) only reports the cache as enabled.
    enable(join(fcMacosPaths().stateDir, 'compile-cache'));
  } catch {
    // Only a cache: without it the CLI starts a little slower.
  }
}
