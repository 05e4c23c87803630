// Downloads into fc-macos's asset cache: streamed to a temp file beside the target, hashed on the
// way, renamed into place only when complete. file:// URLs (a local mirror) are copied.
import { createHash } from 'node:crypto';
import { constants, createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { describeNetworkError } from '../client/errors.ts';
import { ProvisionError } from './errors.ts';

export type FetchFn = typeof fetch;

export interface DownloadProgress {
  bytes: number;
  /** From Content-Length (or the file's size); null when unknown. */
  total: number | null;
  bytesPerSecond: number;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
}

const NETWORK_FIX =
  'check the network or the mirror, then run `fc-macos setup` again (offline: `fc-macos setup --firecracker-bin FILE --kernel FILE --rootfs FILE`, layout of a mirror for --assets-url in docs/setup.md)';

/** A file:// mirror: a missing file says which one, not a raw ENOENT. */
interface Source {
  stream: Readable;
  total: number | null;
}

async function openFile(url: string): Promise<Source> {
  const path = fileURLToPath(url);
  try {
    await access(path, constants.R_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ProvisionError(
      'download_failed',
      `the mirror has no ${path} (${why})`,
      'copy the upstream files into the mirror as docs/setup.md lays out, or leave out --assets-url to download from upstream',
    );
  }
  return { stream: createReadStream(path), total: (await stat(path)).size };
}

async function openSource(url: string, fetchImpl: FetchFn): Promise<Source> {
  if (url.startsWith('file:')) return openFile(url);
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow' });
  } catch (err) {
    // fetch says only "fetch failed"; the cause says why (refused, DNS, certificate, …).
    throw new ProvisionError(
      'download_failed',
      `download of ${url} failed: ${describeNetworkError(err)} (${new URL(url).host})`,
      NETWORK_FIX,
    );
  }
  if (!res.ok || !res.body) {
    throw new ProvisionError(
      'download_failed',
      `download of ${url} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
      res.status === 404
        ? 'the mirror lacks this file: lay it out as docs/setup.md says (or leave out --assets-url), then run `fc-macos setup` again'
        : NETWORK_FIX,
    );
  }
  const length = Number(res.headers.get('content-length'));
  return {
    stream: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
    total: Number.isFinite(length) && length > 0 ? length : null,
  };
}

export async function downloadFile(
  url: string,
  dest: string,
  fetchImpl: FetchFn = fetch,
  onProgress?: (p: DownloadProgress) => void,
): Promise<DownloadResult> {
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  const tmp = `${dest}.${process.pid}.part`;
  const hash = createHash('sha256');
  let bytes = 0;
  let total: number | null = null;
  const started = performance.now();
  let lastReport = 0;
  const report = () => {
    const secs = (performance.now() - started) / 1000;
    onProgress?.({ bytes, total, bytesPerSecond: secs > 0 ? bytes / secs : 0 });
  };
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      // A few updates a second are enough for a person; every chunk would flood the terminal.
      if (performance.now() - lastReport > 200) {
        lastReport = performance.now();
        report();
      }
      cb(null, chunk);
    },
  });
  try {
    const src = await openSource(url, fetchImpl);
    total = src.total;
    report();
    await pipeline(src.stream, tap, createWriteStream(tmp, { mode: 0o600 }));
    report();
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ProvisionError) throw err;
    throw new ProvisionError(
      'download_failed',
      `download of ${url} failed: ${describeNetworkError(err)}`,
      NETWORK_FIX,
    );
  }
  await rename(tmp, dest);
  return { path: dest, sha256: hash.digest('hex'), bytes };
}

export async function downloadText(url: string, fetchImpl: FetchFn = fetch): Promise<string> {
  const src = await openSource(url, fetchImpl);
  const chunks: Buffer[] = [];
  for await (const c of src.stream) chunks.push(c as Buffer);
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
