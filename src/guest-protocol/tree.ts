// A file or directory tree as fc-guest's frames (docs/guest-protocol.md): ENTRY (relative path,
// type, mode, mtime, size), each file's bytes in DATA frames, then END. Shared by the agent (to and
// from fc-guest) and the SDK (to and from the agent's file routes). Entry paths that arrive are
// checked before anything is written: a guest cannot write outside the destination.

import type { Stats } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { GuestProtocolError, GuestRemoteError } from './errors.ts';
import { DATA_CHUNK, encodeFrame, type Frame, FrameType, parseJson } from './frames.ts';

/**
 * fs/promises on first use: the SDK's client carries this module, and loading fs/promises costs
 * every command a few ms, also `fc-macos ls`, which never copies a file.
 */
const fsp = (): typeof fs.promises => fs.promises;

export interface TransferOptions {
  /** Called with the total bytes of file content moved so far. */
  onProgress?(bytes: number): void;
}

export interface TransferSummary {
  files: number;
  dirs: number;
  bytes: number;
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

export function errorFromFrame(frame: Frame): GuestRemoteError {
  const e = parseJson(frame, 'ERROR');
  return new GuestRemoteError(String(e.code ?? 'error'), String(e.message ?? 'fc-guest reported an error'));
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

/** The encoded frames of the local file or directory `local`, END included. */
export async function* treeFrames(local: string, opts: TransferOptions = {}): AsyncGenerator<Buffer> {
  let moved = 0;
  async function* walk(path: string, rel: string, root: boolean): AsyncGenerator<Buffer> {
    const st = root ? await fsp().stat(path) : await fsp().lstat(path);
    if (st.isSymbolicLink()) {
      yield encodeFrame(FrameType.ENTRY, entryOf(rel, st, 'symlink', await fsp().readlink(path)));
    } else if (st.isDirectory()) {
      yield encodeFrame(FrameType.ENTRY, entryOf(rel, st, 'dir'));
      for (const name of (await fsp().readdir(path)).sort())
        yield* walk(join(path, name), rel ? `${rel}/${name}` : name, false);
    } else if (st.isFile()) {
      yield encodeFrame(FrameType.ENTRY, entryOf(rel, st, 'file'));
      let sent = 0;
      const stream =
        st.size > 0 ? fs.createReadStream(path, { highWaterMark: DATA_CHUNK, end: st.size - 1 }) : [];
      for await (const chunk of stream) {
        const buf = (chunk as Buffer).subarray(0, st.size - sent);
        if (buf.length === 0) break;
        sent += buf.length;
        moved += buf.length;
        yield encodeFrame(FrameType.DATA, buf);
        opts.onProgress?.(moved);
      }
      if (sent !== st.size) throw new GuestProtocolError(`${path} shrank while it was being copied`);
    } else if (root) {
      throw new GuestProtocolError(`${path}: not a file, directory or symlink`);
    }
  }
  yield* walk(local, '', true);
  yield encodeFrame(FrameType.END);
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
    throw new GuestProtocolError(`malformed ENTRY: ${JSON.stringify(raw).slice(0, 200)}`);
  }
  if (!safeRel(path)) throw new GuestProtocolError(`unsafe entry path: ${JSON.stringify(path)}`);
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

/** Writes a received tree to exactly `local`; feed it frames, it returns the summary at END. */
export class TreeWriter {
  private readonly dirs: Array<{ path: string; mode: number; time: number }> = [];
  private readonly symlinks = new Set<string>();
  private moved = 0;
  private first = true;
  private file: {
    fh: import('node:fs/promises').FileHandle;
    left: number;
    entry: Entry;
    time: number;
  } | null = null;

  constructor(
    private readonly local: string,
    private readonly opts: TransferOptions = {},
  ) {}

  /** Handles one frame; the summary once END arrived, else null. Throws on an ERROR frame. */
  async write(f: Frame): Promise<TransferSummary | null> {
    if (f.type === FrameType.ERROR) {
      await this.abort();
      throw errorFromFrame(f);
    }
    if (this.file) {
      const file = this.file;
      if (f.type !== FrameType.DATA || f.payload.length > file.left) {
        await this.abort();
        throw new GuestProtocolError(`expected ${file.left} more bytes of ${file.entry.path || this.local}`);
      }
      await file.fh.write(f.payload);
      file.left -= f.payload.length;
      this.moved += f.payload.length;
      this.opts.onProgress?.(this.moved);
      if (file.left === 0) await this.finishFile();
      return null;
    }
    if (f.type === FrameType.END) {
      if (this.first) throw new GuestProtocolError('the transfer had no entries');
      for (const d of [...this.dirs].reverse()) {
        await fsp().chmod(d.path, d.mode);
        await fsp().utimes(d.path, d.time, d.time);
      }
      const r = f.payload.length > 0 ? parseJson(f, 'END') : {};
      return {
        files: Number(r.files ?? 0),
        dirs: Number(r.dirs ?? this.dirs.length),
        bytes: Number(r.bytes ?? this.moved),
      };
    }
    if (f.type !== FrameType.ENTRY) throw new GuestProtocolError(`expected ENTRY, got frame type ${f.type}`);
    const e = parseEntry(parseJson(f, 'ENTRY'));
    if (this.first !== (e.path === ''))
      throw new GuestProtocolError('entries out of order (the root comes first, once)');
    this.first = false;
    // Never write through a symlink this transfer created (the sender could point one anywhere).
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      if (this.symlinks.has(parts.slice(0, i).join('/')))
        throw new GuestProtocolError(`${e.path} is inside a symlink`);
    }
    const dest = e.path ? join(this.local, e.path) : this.local;
    const time = e.mtime + e.mtime_nsec / 1e9;
    if (e.type === 'dir') {
      await fsp()
        .mkdir(dest, { mode: 0o700 })
        .catch(async (err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST' || !(await fsp().lstat(dest)).isDirectory()) throw err;
        });
      this.dirs.push({ path: dest, mode: e.mode, time });
    } else if (e.type === 'symlink') {
      await fsp()
        .unlink(dest)
        .catch(() => {});
      await fsp().symlink(e.target ?? '', dest);
      this.symlinks.add(e.path);
    } else {
      const flags =
        fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW;
      this.file = { fh: await fsp().open(dest, flags, 0o600), left: e.size, entry: e, time };
      if (e.size === 0) await this.finishFile();
    }
    return null;
  }

  private async finishFile(): Promise<void> {
    const file = this.file;
    if (!file) return;
    this.file = null;
    try {
      await file.fh.chmod(file.entry.mode);
      await file.fh.utimes(file.time, file.time);
    } finally {
      await file.fh.close();
    }
  }

  /** Closes a half-written file (it stays, truncated: the caller reports the failure). */
  async abort(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.fh.close().catch(() => {});
  }
}
