// Bundles the CLI, the SDK and the single-file agent. The agent bundle must run on Node 18
// (Ubuntu's apt nodejs inside the Linux VM), so it targets node18, carries its dependencies and
// stays one file. The CLI is split (ESM chunks beside dist/cli.mjs, loaded by dynamic import) so
// that a command loads only what it uses: `--help` never parses zod, YAML or ws. Everything is
// minified; the chunks sit in dist/ itself so import.meta.url means the same in each of them.
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { builtinsByRequire, requireShim } from './esbuild-builtins.mjs';
import { noReactDevtools } from './esbuild-ink.mjs';
import { inlineResponseSchemas } from './esbuild-response-schemas.mjs';

// dispatch.ts's import of the quick `ls` (src/cli/commands/list-quick.ts) is the bundle built from
// it on its own, dist/cli-ls.cjs (CommonJS, so the launcher can require it): one file to load
// rather than the twenty small chunks that splitting makes of the same modules (each ESM module
// costs Node a resolve, a read and a compile). It is required, not imported: an import of a
// CommonJS file runs Node's export lexer over all of it first (≈20 ms). `require` is the banner's.
const quickLs = {
  name: 'quick-ls',
  setup(b) {
    b.onResolve({ filter: /[\\/]list-quick\.ts$/ }, (args) =>
      args.importer.endsWith('dispatch.ts') ? { path: 'cli-ls', namespace: 'quick-ls' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'quick-ls' }, () => ({
      contents: "export const quickList = (args) => require('./cli-ls.cjs').quickList(args);",
      loader: 'js',
    }));
    b.onResolve({ filter: /^\.\/cli-ls\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
};

// CommonJS bundles: import.meta is empty there, so the sources' import.meta.url (createRequire in
// client/node-http.ts) is the bundle file's own URL; builtins are required as in the ES module
// bundles (scripts/cjs-inject.js).
const cjs = {
  ...common,
  format: 'cjs',
  banner: {},
  inject: ['scripts/cjs-inject.js'],
  define: { 'import.meta.url': 'importMetaUrl' },
};

// Chunks of an earlier build would pile up (their names are content hashes); dist/guest and the
// rest stay.
await mkdir('dist', { recursive: true });
for (const f of await readdir('dist')) if (/^cli-([A-Z0-9]+|ls)\.mjs$/.test(f)) await rm(`dist/${f}`);
// The SDK's answer checks as JSON, so reading from the agent loads no zod.
const responseSchemas = await inlineResponseSchemas();
await Promise.all([
  // The dashboard's Ink and React are in their own chunks, loaded only when `dashboard` runs.
  build({
    ...common,
    entryPoints: { cli: 'src/cli/bin.ts', 'cli-dispatch': 'src/cli/dispatch.ts' },
    outdir: 'dist',
    splitting: true,
    chunkNames: 'cli-[hash]',
    outExtension: { '.js': '.mjs' },
    target: 'node20',
    plugins: [quickLs, noReactDevtools, responseSchemas, builtinsByRequire],
    // React picks its build from NODE_ENV at run time; unset (as it is for a user) means the
    // development build, several times slower per render and allocating debug stacks per element.
    define: { 'process.env.NODE_ENV': '"production"' },
  }),
  // The installed command and the quick `ls` are CommonJS: on Node 20 an ES module entry costs
  // about 10 ms before its first line runs. No ESM banner; the builtins rewrite stays, so a
  // dependency's default import of a builtin is not copied property by property (esbuild's
  // __toESM over node:process costs a few ms).
  build({
    ...cjs,
    banner: { js: '#!/usr/bin/env node' },
    entryPoints: ['src/cli/launcher.ts'],
    outfile: 'dist/cli.cjs',
    target: 'node20',
    plugins: [builtinsByRequire],
  }),
  build({
    ...cjs,
    entryPoints: ['src/cli/commands/list-quick.ts'],
    outfile: 'dist/cli-ls.cjs',
    target: 'node20',
    // Only the console and exec streams load ws, and a list opens neither: left out, it is 50 KB
    // less for Node to compile on every `ls`.
    external: ['ws'],
    plugins: [responseSchemas, builtinsByRequire],
  }),
  build({ ...common, entryPoints: ['src/agent/bin.ts'], outfile: 'dist/fc-agent.mjs', target: 'node18' }),
  build({
    ...common,
    banner: { js: requireShim },
    entryPoints: ['src/client/index.ts'],
    outfile: 'dist/sdk.mjs',
    plugins: [responseSchemas, builtinsByRequire],
    target: 'node20',
  }),
]);
await chmod('dist/cli.mjs', 0o755);
await chmod('dist/cli.cjs', 0o755);

// `fc-macos --help` prints commander's own text, taken here from the program itself, without
// loading commander (src/cli/fast-help.ts). A private temp dir: the bundle is run from there.
const helpDir = await mkdtemp(join(tmpdir(), 'fcm-help-'));
try {
  const entry = join(helpDir, 'help.mjs');
  await build({
    ...common,
    entryPoints: ['src/cli/help-cache-entry.ts'],
    outfile: entry,
    target: 'node20',
    plugins: [noReactDevtools],
  });
  await writeFile('dist/cli-help.json', execFileSync(process.execPath, [entry]));
} finally {
  await rm(helpDir, { recursive: true, force: true });
}
await chmod('dist/fc-agent.mjs', 0o755);
