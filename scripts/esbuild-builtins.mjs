// Node's builtins through require() in the CLI and SDK bundles, instead of ESM imports. An ESM
// import of a builtin builds a namespace of all its exports and so runs their lazy getters:
// `import 'node:fs'` loads fs/promises and readline, `import 'node:process'` the diagnostic
// report, `import 'node:http'` on Node 22 undici. Measured on 2 cores: importing the seven
// builtins `fc-macos ls` uses costs about 12 ms over an empty ESM script, requiring them about 5.
//
// Two parts, both calling the banner's __nodeRequire (below), which esbuild leaves alone (its own
// helper for require() lives in a shared chunk, one more module to load):
// - in our own sources, `import { a, b as c } from 'node:x'` becomes
//   `const { a, b: c } = require('node:x')` in place (no module of its own, so no extra chunk);
// - an ESM dependency's `node:x` import resolves to a small module that requires it and exports
//   its plain data properties by name. Accessors are not exported, so their getters never run
//   (importing one by name fails the build, not a run).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The banner of every CLI and SDK bundle file. ws, commander and yaml are CommonJS: inside an ESM
 * bundle their require() calls need a real require, made on first use (most chunks never call it,
 * and createRequire is not free). __nodeRequire is for builtins only: process.getBuiltinModule
 * (Node 20.16+) where there is one.
 */
export const requireShim = [
  "import { createRequire as __cr } from 'node:module';",
  'let __rq;',
  'const require = (id) => (__rq ??= __cr(import.meta.url))(id);',
  'const __nodeRequire = (id) => process.getBuiltinModule?.(id) ?? require(id);',
].join(' ');
const identifier = /^[A-Za-z_$][\w$]*$/;
// biome formats every import one way: `import CLAUSE from 'node:x';`, the clause on one or more
// lines. `import type` is left to esbuild, which drops it.
const valueImport = /^import\s+(?!type\s)([^;]*?)\s+from\s+'(node:[\w/]+)';$/gm;

/** `const …` for one import clause: default, namespace, named (inline `type` names dropped). */
function requireFor(clause, id) {
  const req = `__nodeRequire(${JSON.stringify(id)})`;
  const named = /\{([^}]*)\}/.exec(clause);
  const head = clause
    .replace(/\{[^}]*\}/, '')
    .replace(/,\s*$/, '')
    .trim();
  const out = [];
  let source = req;
  if (head !== '') {
    const local = head.replace(/^\*\s+as\s+/, '');
    out.push(`const ${local} = ${req};`);
    source = local;
  }
  if (named) {
    const parts = named[1]
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '' && !p.startsWith('type '))
      .map((p) => p.replace(/\s+as\s+/, ': '));
    if (parts.length > 0) out.push(`const { ${parts.join(', ')} } = ${source};`);
  }
  return out.join(' ');
}

function dependencyWrapper(id) {
  const m = require(id);
  const names = Object.keys(m).filter((k) => {
    const d = Object.getOwnPropertyDescriptor(m, k);
    return identifier.test(k) && k !== 'default' && d && !d.get && !d.set;
  });
  return [
    `const m = __nodeRequire(${JSON.stringify(id)});`,
    'export default m;',
    // Marked pure, so esbuild drops the names nothing imports instead of reading every one.
    ...names.map((k) => `export const ${k} = /* @__PURE__ */ (() => m.${k})();`),
  ].join('\n');
}

export const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.tsx?$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return {
        contents: text.replace(valueImport, (_, clause, id) => requireFor(clause, id)),
        loader: args.path.endsWith('x') ? 'tsx' : 'ts',
      };
    });
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path, namespace: 'builtin-by-require' }
        : { path: args.path, external: true },
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({
      contents: dependencyWrapper(args.path),
      loader: 'js',
    }));
  },
};
