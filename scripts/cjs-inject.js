// Injected into the CommonJS bundles (scripts/build.mjs): import.meta.url there is the bundle
// file's own URL, as it is in the ES module bundles, and __nodeRequire (the builtins rewrite,
// esbuild-builtins.mjs) is the same as the ES module banner's: no esbuild __toESM copy of every
// property of node:process, node:os and node:path for a dependency's default import.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
export const __nodeRequire = (id) => process.getBuiltinModule?.(id) ?? require(id);
