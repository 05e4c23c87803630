// The asset manifest: sha256 of downloads that have no published checksum (the guest kernel),
// recorded on first download and required on every later use (trust on first use).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../config/config.ts';
import type { FcMacosPaths } from '../config/paths.ts';

const manifestSchema = z.object({
  version: z.literal(1),
  assets: z.record(z.string(), z.object({ sha256: z.string(), url: z.string(), recorded_at: z.string() })),
});
export type AssetManifest = z.infer<typeof manifestSchema>;

export function assetsDir(paths: FcMacosPaths): string {
  return join(paths.stateDir, 'assets');
}

export function manifestFile(paths: FcMacosPaths): string {
  return join(assetsDir(paths), 'manifest.json');
}

export async function readManifest(paths: FcMacosPaths): Promise<AssetManifest> {
  try {
    return manifestSchema.parse(JSON.parse(await readFile(manifestFile(paths), 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, assets: {} };
    throw new Error(
      `${manifestFile(paths)} is unreadable (${(err as Error).message}); delete it to record checksums again`,
    );
  }
}

export async function pinSha256(paths: FcMacosPaths, id: string, url: string, sha256: string): Promise<void> {
  const m = await readManifest(paths);
  m.assets[id] = { sha256, url, recorded_at: new Date().toISOString() };
  await writePrivateFile(manifestFile(paths), `${JSON.stringify(m, null, 2)}\n`);
}
