#!/usr/bin/env node
// `npm run bench` (after `npm run build`): bundles bench/main.ts with esbuild and runs it.
//
// How to read the output: every benchmark measures the agent path and a baseline in the same run,
// on the same machine, right after each other, and prints the ratio agent / baseline. Only the
// ratios mean something from one machine to another; absolute milliseconds depend on the host
// (and on whatever else runs on it). A ratio near 1x means the agent adds little; the tables say
// which baseline each line is compared with.
//
// Options: --only create,passthrough,rss,console,net,dashboard,cli (a subset), --quick (fewer iterations).
// FC_BENCH_FIRECRACKER=<path> picks the real firecracker (default: ../shared/bin/...-x86_64 when
// present and /dev/kvm exists); without one the real-binary lines are skipped with the reason.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, buildSync } from 'esbuild';
import { noReactDevtools } from '../scripts/esbuild-ink.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache', 'fc-macos-bench');
const testBinDir = join(root, 'node_modules', '.cache', 'fc-macos-test', 'bin');
const requireShim =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

mkdirSync(cacheDir, { recursive: true });
mkdirSync(testBinDir, { recursive: true });

// The Firecracker double, built the same way as the tests' global setup does.
const doubleEntry = join(root, 'test', 'support', 'fc-double', 'main.ts');
const doubleBin = join(testBinDir, 'fc-double');
if (existsSync(doubleEntry)) {
  buildSync({
    entryPoints: [doubleEntry],
    outfile: doubleBin,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
    logLevel: 'warning',
  });
  chmodSync(doubleBin, 0o755);
}

if (!existsSync(join(root, 'dist', 'fc-agent.mjs'))) {
  console.error('dist/fc-agent.mjs is missing: run `npm run build` first (npm run bench does).');
  process.exit(1);
}

// --emulated: the figures of real guests on the emulated Mac (bench/emulated.ts), with the
// emulated tart built as the emulated tier's global setup builds it.
const emulated = process.argv.includes('--emulated');
if (emulated) {
  spawnSync(process.execPath, [join(root, 'scripts', 'build-emulated-tart.mjs')], { stdio: 'inherit' });
}

const outfile = join(cacheDir, emulated ? 'emulated.mjs' : 'main.mjs');
// Async build: plugins (the dashboard bench bundles Ink) need it.
await build({
  plugins: [noReactDevtools],
  // The same React build as dist/cli.mjs (scripts/build.mjs), so the dashboard bench measures it.
  define: { 'process.env.NODE_ENV': '"production"' },
  entryPoints: [join(root, 'bench', emulated ? 'emulated.ts' : 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: requireShim },
  logLevel: 'warning',
});

const result = spawnSync(process.execPath, [outfile, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, FC_BENCH_ROOT: root },
});
process.exit(result.status ?? 1);
