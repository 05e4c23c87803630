// File transfer with fc-guest: a file or a directory tree as ENTRY frames (relative path, type,
// mode, mtime, size), each file's bytes in DATA frames, then END. Entry paths from the guest are
// checked before anything is written on this side: a guest cannot write outside the destination.
import { constants, createReadStream, type Stats } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  stat,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import { join } from 'node:path';
import { type ConnectOptions, GuestConnection, type GuestTarget, remoteError } from './connection.ts';
import { GuestProtocolError } from './errors.ts';
import { DATA_CHUNK, FrameType, parseJson } from './frames.ts';

export interface TransferOptions {
  /** Called with the total bytes of file content moved so far. */
  onProgress?(bytes: number): void;
}

export interface TransferSummary {
  files: number;
  dirs: number;
  bytes: number;
}

export interface GuestStat {
  exists: boolean;
  type?: 'file' | 'dir' | 'symlink' | 'other';
  mode?: number;
  size?: number;
  mtimeMs?: number;
}

interface Entry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtime: number;
  mtime_nsec: number;
  size: number;
  target?: string;
}

export async function statGuest(
  target: GuestTarget,
  path: string,
  connect: ConnectOptions = {},
): Promise<GuestStat> {
  const conn = await GuestConnection.open(target, connect);
  try {
    const r = await conn.request({ op: 'stat', path });
    if (r.exists !== true) return { exists: false };
    return {
      exists: true,
      type: r.type as GuestStat['type'],
      mode: Number(r.mode),
      size: Number(r.size),
      mtimeMs: Number(r.mtime) * 1000 + Math.floor(Number(r.mtime_nsec) / 1e6),
    };
  } finally {
    conn.close();
  }
}

function entryOf(rel: string, st: Stats, type: Entry['type'], target?: string): Entry {
  const ns = BigInt(Math.round(st.mtimeMs * 1e6));
  return {
    path: rel,
    type,
    mode: st.mode & 0o7777,
    mtime: Number(ns / 1_000_000_000n),
    mtime_nsec: Number(ns % 1_000_000_000n),
    size: type === 'file' ? st.size : 0,
    ...(target !== undefined ? { target } : {}),
  };
}

/** Copies the local file or directory `local` to exactly `remote` (an absolute guest path). */
export async function upload(
  target: GuestTarget,
  local: string,
  remote: string,
  opts: TransferOptions = {},
  connect: ConnectOptions = {},
): Promise<TransferSummary> {
  const conn = await GuestConnection.open(target, connect);
  let moved = 0;
  // fc-guest answers with ERROR as soon as something fails; watch for it while sending.
  let remoteFailure: Error | null = null;
  const answer = conn.next().then(
    (f) => {
      if (f?.type === FrameType.ERROR) remoteFailure = remoteError(f);
      return f;
    },
    (err: Error) => {
      remoteFailure = err;
      return null;
    },
  );
  const check = (): void => {
    if (remoteFailure) throw remoteFailure;
  };
  async function send(path: string, rel: string, root: boolean): Promise<void> {
    check();
    const st = root ? await stat(path) : await lstat(path);
    if (st.isSymbolicLink()) {
      await conn.send(FrameType.ENTRY, entryOf(rel, st, 'symlink', await readlink(path)));
    } else if (st.isDirectory()) {
      await conn.send(FrameType.ENTRY, entryOf(rel, st, 'dir'));
      const names = (await readdir(path)).sort();
      for (const name of names) await send(join(path, name), rel ? `${rel}/${name}` : name, false);
    } else if (st.isFile()) {
      await conn.send(FrameType.ENTRY, entryOf(rel, st, 'file'));
      let sent = 0;
      const stream =
        st.size > 0 ? createReadStream(path, { highWaterMark: DATA_CHUNK, end: st.size - 1 }) : [];
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        const take = buf.subarray(0, Math.min(buf.length, st.size - sent));
        if (take.length === 0) break;
        check();
        await conn.send(FrameType.DATA, take);
        sent += take.length;
        moved += take.length;
        opts.onProgress?.(moved);
      }
      if (sent !== st.size) throw new GuestProtocolError(`${path} shrank while it was being copied`);
    } else if (root) {
      throw new GuestProtocolError(`${path}: not a file, directory or symlink`);
    }
  }
  try {
    await conn.send(FrameType.REQUEST, { op: 'upload', path: remote });
    await send(local, '', true);
    check();
    await conn.send(FrameType.END);
    const f = await answer;
    if (!f) throw new GuestProtocolError(`${conn.where}: closed before confirming the upload`);
    if (f.type === FrameType.ERROR) throw remoteError(f);
    if (f.type !== FrameType.RESULT)
      throw new GuestProtocolError(`${conn.where}: expected RESULT, got ${f.type}`);
    const r = parseJson(f, 'RESULT');
    return { files: Number(r.files), dirs: Number(r.dirs), bytes: Number(r.bytes) };
  } catch (err) {
    // A send that failed because fc-guest hung up after an ERROR reports that ERROR.
    await Promise.race([answer, new Promise((r) => setTimeout(r, 200))]);
    throw remoteFailure ?? err;
  } finally {
    conn.close();
  }
}

function safeRel(p: string): boolean {
  if (p === '') return true;
  if (p.startsWith('/')) return false;
  return p.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

function parseEntry(raw: Record<string, unknown>): Entry {
  const { path, type, mode, mtime, mtime_nsec, size, target } = raw;
  if (
    typeof path !== 'string' ||
    !['file', 'dir', 'symlink'].includes(String(type)) ||
    typeof mode !== 'number' ||
    typeof mtime !== 'number' ||
    typeof size !== 'number' ||
    size < 0 ||
    (type === 'symlink' && typeof target !== 'string')
  ) {
    throw new GuestProtocolError(`malformed ENTRY from the guest: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  if (!safeRel(path))
    throw new GuestProtocolError(`the guest sent an unsafe entry path: ${JSON.stringify(path)}`);
  return {
    path,
    type: type as Entry['type'],
    mode: mode & 0o7777,
    mtime,
    mtime_nsec: typeof mtime_nsec === 'number' ? mtime_nsec : 0,
    size,
    ...(typeof target === 'string' ? { target } : {}),
  };
}

/** Copies the guest's `remote` file or directory to exactly `local`. */
export async function download(
  target: GuestTarget,
  remote: string,
  local: string,
  opts: TransferOptions = {},
  connect: ConnectOptions = {},
): Promise<TransferSummary> {
  const conn = await GuestConnection.open(target, connect);
  const dirs: Array<{ path: string; mode: number; time: number }> = [];
  const symlinks = new Set<string>();
  let moved = 0;
  let first = true;
  const next = async () => {
    const f = await conn.next();
    if (!f) throw new GuestProtocolError(`${conn.where}: closed in the middle of the download`);
    if (f.type === FrameType.ERROR) throw remoteError(f);
    return f;
  };
  try {
    await conn.send(FrameType.REQUEST, { op: 'download', path: remote });
    for (;;) {
      const f = await next();
      if (f.type === FrameType.END) {
        if (first) throw new GuestProtocolError(`${conn.where}: the download had no entries`);
        for (const d of dirs.reverse()) {
          await chmod(d.path, d.mode);
          await utimes(d.path, d.time, d.time);
        }
        const r = parseJson(f, 'END');
        return { files: Number(r.files), dirs: Number(r.dirs), bytes: Number(r.bytes) };
      }
      if (f.type !== FrameType.ENTRY)
        throw new GuestProtocolError(`${conn.where}: expected ENTRY, got ${f.type}`);
      const e = parseEntry(parseJson(f, 'ENTRY'));
      if (first !== (e.path === '')) throw new GuestProtocolError('the guest sent entries out of order');
      first = false;
      // Never write through a symlink this download created (a guest could point one anywhere).
      const parts = e.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        if (symlinks.has(parts.slice(0, i).join('/'))) {
          throw new GuestProtocolError(`the guest sent ${e.path} inside a symlink`);
        }
      }
      const dest = e.path ? join(local, e.path) : local;
      const time = e.mtime + e.mtime_nsec / 1e9;
      if (e.type === 'dir') {
        await mkdir(dest, { mode: 0o700 }).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST' || !(await lstat(dest)).isDirectory()) throw err;
        });
        dirs.push({ path: dest, mode: e.mode, time });
      } else if (e.type === 'symlink') {
        await unlink(dest).catch(() => {});
        await symlink(e.target ?? '', dest);
        symlinks.add(e.path);
      } else {
        const fh = await open(
          dest,
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
          0o600,
        );
        try {
          let left = e.size;
          while (left > 0) {
            const d = await next();
            if (d.type !== FrameType.DATA || d.payload.length > left) {
              throw new GuestProtocolError(
                `${conn.where}: expected ${left} more bytes of ${e.path || remote}`,
              );
            }
            await fh.write(d.payload);
            left -= d.payload.length;
            moved += d.payload.length;
            opts.onProgress?.(moved);
          }
          await fh.chmod(e.mode);
          await fh.utimes(time, time);
        } finally {
          await fh.close();
        }
      }
    }
  } finally {
    conn.close();
  }
}
