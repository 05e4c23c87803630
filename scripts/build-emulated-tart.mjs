#!/usr/bin/env node
// Bundles the emulated tart (test/emulated/tart: Tart's CLI backed by QEMU) next to the other test
// programs, for the emulated tier (its global setup) and `npm run bench:emulated`.
import { chmodSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'node_modules', '.cache', 'fc-macos-test', 'bin', 'emulated', 'tart');
mkdirSync(dirname(outfile), { recursive: true });
buildSync({
  entryPoints: [join(root, 'test', 'emulated', 'tart', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
