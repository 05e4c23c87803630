// Downloads into fc-macos's asset cache: streamed to a temp file beside the target, hashed on the
// way, renamed into place only when complete. file:// URLs (a local mirror) are copied.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ProvisionError } from './errors.ts';

export type FetchFn = typeof fetch;

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
}

async function openSource(url: string, fetchImpl: FetchFn): Promise<Readable> {
  if (url.startsWith('file:')) return createReadStream(fileURLToPath(url));
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow' });
  } catch (err) {
    throw new ProvisionError(
      'download_failed',
      `download of ${url} failed: ${(err as Error).message}`,
      'check the network (or use --assets-url with a reachable mirror, or the offline options), then re-run fc-macos setup',
    );
  }
  if (!res.ok || !res.body) {
    throw new ProvisionError(
      'download_failed',
      `download of ${url} failed: HTTP ${res.status}`,
      'check the URL or mirror (--assets-url), then re-run fc-macos setup',
    );
  }
  return Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
}

export async function downloadFile(
  url: string,
  dest: string,
  fetchImpl: FetchFn = fetch,
): Promise<DownloadResult> {
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.${process.pid}.part`;
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    const src = await openSource(url, fetchImpl);
    await pipeline(src, tap, createWriteStream(tmp, { mode: 0o600 }));
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ProvisionError) throw err;
    throw new ProvisionError(
      'download_failed',
      `download of ${url} failed: ${(err as Error).message}`,
      're-run fc-macos setup',
    );
  }
  await rename(tmp, dest);
  return { path: dest, sha256: hash.digest('hex'), bytes };
}

export async function downloadText(url: string, fetchImpl: FetchFn = fetch): Promise<string> {
  const src = await openSource(url, fetchImpl);
  const chunks: Buffer[] = [];
  for await (const c of src) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The hash for fileName in a sha256sum-style file ("<hex>  <name>" lines, `*` for binary mode);
 * a file with a single bare hash also counts.
 */
export function parseChecksumFile(text: string, fileName: string): string | null {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line);
    if (m && (m[2] === fileName || m[2]?.endsWith(`/${fileName}`))) return m[1]?.toLowerCase() ?? null;
  }
  if (lines.length === 1 && /^[0-9a-fA-F]{64}$/.test(lines[0] ?? '')) return lines[0]?.toLowerCase() ?? null;
  return null;
}
