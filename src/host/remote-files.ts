// Copying bytes to the Linux side through a provider's exec: the data goes over stdin into a temp
// file next to the destination, is checked against its sha256 there, and only then renamed into
// place. Scripts are fixed strings; paths and hashes travel as positional arguments.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ExecError, HostError } from './errors.ts';
import type { ExecFn, ExecOptions } from './exec.ts';

export type { ExecFn } from './exec.ts';

/** Exit code the copy script uses for a checksum mismatch. */
const MISMATCH = 3;

const COPY_SCRIPT = `set -eu
dst=$1; mode=$2; want=$3
dir=$(dirname "$dst")
mkdir -p "$dir"
tmp=$(mktemp "$dir/.fc-macos-copy.XXXXXX")
trap 'rm -f "$tmp"' EXIT
cat > "$tmp"
got=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "sha256 mismatch for $dst: expected $want, got $got" >&2
  exit ${MISMATCH}
fi
chmod "$mode" "$tmp"
mv -f "$tmp" "$dst"
trap - EXIT
`;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Bytes(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function copyWith(
  exec: ExecFn,
  stdin: ExecOptions['stdin'],
  sha256: string,
  remotePath: string,
  mode: number,
  root: boolean,
): Promise<void> {
  const argv = ['sh', '-c', COPY_SCRIPT, 'fc-macos-copy', remotePath, mode.toString(8), sha256];
  const res = await exec(argv, { stdin, root, timeoutMs: 10 * 60_000 });
  if (res.exitCode === MISMATCH) {
    throw new HostError(
      'copy_failed',
      `copy to ${remotePath} arrived corrupted: ${res.stderr.trim()}`,
      'run the command again; if it persists, check free disk space on the Linux side',
    );
  }
  if (res.exitCode !== 0)
    throw new ExecError(argv.slice(0, 2), res.exitCode, res.stderr, `copy to ${remotePath}`);
}

/** Copies a local file to remotePath, verified by sha256 on the Linux side. */
export async function copyFileIn(
  exec: ExecFn,
  localPath: string,
  remotePath: string,
  opts: { mode?: number; root?: boolean; streamFile?: boolean } = {},
): Promise<void> {
  const sha = await sha256File(localPath);
  await copyWith(exec, { file: localPath }, sha, remotePath, opts.mode ?? 0o644, opts.root ?? false);
}

/** A provider's copyIn (HostProvider.copyIn) over its exec: the same for every provider. */
export function copyInOver(
  exec: ExecFn,
): (localPath: string, remotePath: string, opts?: { mode?: number; root?: boolean }) => Promise<void> {
  return (localPath, remotePath, opts = {}) => copyFileIn(exec, localPath, remotePath, opts);
}

/** Writes bytes to remotePath (0600 unless told), verified by sha256 on the Linux side. */
export async function writeRemoteFile(
  exec: ExecFn,
  remotePath: string,
  data: string | Uint8Array,
  opts: { mode?: number; root?: boolean } = {},
): Promise<void> {
  await copyWith(exec, data, sha256Bytes(data), remotePath, opts.mode ?? 0o600, opts.root ?? false);
}

/** sha256 of a file on the Linux side, or null when it does not exist. */
export async function remoteSha256(exec: ExecFn, path: string, root = false): Promise<string | null> {
  const res = await exec(['sh', '-c', 'test -f "$1" && sha256sum "$1"', 'fc-macos-sha', path], { root });
  if (res.exitCode !== 0) return null;
  return res.stdout.trim().split(/\s+/)[0] ?? null;
}
