// Imports a TypeScript module from a build script: Node 20 cannot import .ts, so the module is
// bundled with esbuild into a private temp dir, imported from there, and the dir removed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export async function importTs(entry) {
  const dir = await mkdtemp(join(tmpdir(), 'fcm-ts-'));
  try {
    const outfile = join(dir, 'module.mjs');
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
