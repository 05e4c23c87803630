// The emulated tier's global setup: the fast tier's build (dist/, the test programs), plus the
// emulated tart next to them.
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import buildAll, { testBinDir } from '../../vitest.global-setup.ts';

export const emulatedTartBin = join(testBinDir, 'emulated', 'tart');

export default function setup(): void {
  buildAll();
  buildSync({
    entryPoints: [join(import.meta.dirname, 'tart', 'main.ts')],
    outfile: emulatedTartBin,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  chmodSync(emulatedTartBin, 0o755);
}
