// Downloads an asset into the cache and proves it: against its published .sha256 file, or against
// the sha256 pinned in the asset manifest on first download. A mismatch deletes the download.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FcMacosPaths } from '../config/paths.ts';
import { sha256File } from '../host/remote-files.ts';
import type { AssetSpec } from './assets.ts';
import { downloadFile, downloadText, type FetchFn, parseChecksumFile } from './download.ts';
import { ChecksumMismatchError, ProvisionError } from './errors.ts';
import { assetsDir } from './manifest.ts';
import { downloadProgress } from './reporter.ts';
import type { Progress } from './runner.ts';

export function cachePath(paths: FcMacosPaths, spec: AssetSpec): string {
  return join(assetsDir(paths), spec.id);
}

/** Downloads (or reuses the cached copy of) spec and returns its verified local path. */
export async function fetchVerified(
  paths: FcMacosPaths,
  spec: AssetSpec,
  fetchImpl: FetchFn,
  progress: Progress,
): Promise<string> {
  let expected: string;
  if (spec.sha256) {
    expected = spec.sha256;
  } else if (spec.sha256Url) {
    progress(`fetching ${spec.sha256Url}`);
    const text = await downloadText(spec.sha256Url, fetchImpl);
    const sum = parseChecksumFile(text, spec.fileName);
    if (!sum) {
      throw new ProvisionError(
        'asset_invalid',
        `${spec.sha256Url} has no sha256 for ${spec.fileName}`,
        'check the mirror given to --assets-url (layout in docs/setup.md)',
      );
    }
    expected = sum;
  } else {
    throw new Error(`${spec.id} has neither a pinned sha256 nor a checksum file`);
  }
  const dest = cachePath(paths, spec);
  if (existsSync(dest) && (await sha256File(dest)) === expected) return dest;
  const dl = await downloadFile(spec.url, dest, fetchImpl, (p) => progress(downloadProgress(spec.url, p)));
  if (dl.sha256 !== expected) {
    await rm(dest, { force: true });
    throw new ChecksumMismatchError(
      spec.url,
      expected,
      dl.sha256,
      spec.sha256
        ? 'this is not the kernel fc-macos pins (its published sha256): check the mirror given to --assets-url, or give a kernel file with `fc-macos setup --kernel FILE`'
        : 'the download is corrupted or was tampered with: run `fc-macos setup` again, or use another mirror (`fc-macos setup --assets-url URL`)',
    );
  }
  return dest;
}
