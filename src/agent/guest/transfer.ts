// File transfer with fc-guest over one connection each: upload sends a tree (src/guest-protocol/
// tree.ts) after the request, download receives one.

import { GuestProtocolError } from '../../guest-protocol/errors.ts';
import { FrameType, parseJson } from '../../guest-protocol/frames.ts';
import {
  errorFromFrame,
  type TransferOptions,
  type TransferSummary,
  TreeWriter,
  treeFrames,
} from '../../guest-protocol/tree.ts';
import { type ConnectOptions, GuestConnection, type GuestTarget } from './connection.ts';

export type { TransferOptions, TransferSummary };

export interface GuestStat {
  exists: boolean;
  type?: 'file' | 'dir' | 'symlink' | 'other';
  mode?: number;
  size?: number;
  mtimeMs?: number;
}

export function parseStat(r: Record<string, unknown>): GuestStat {
  if (r.exists !== true) return { exists: false };
  return {
    exists: true,
    type: r.type as GuestStat['type'],
    mode: Number(r.mode),
    size: Number(r.size),
    mtimeMs: Number(r.mtime) * 1000 + Math.floor(Number(r.mtime_nsec) / 1e6),
  };
}

export async function statGuest(
  target: GuestTarget,
  path: string,
  connect: ConnectOptions = {},
): Promise<GuestStat> {
  const conn = await GuestConnection.open(target, connect);
  try {
    return parseStat(await conn.request({ op: 'stat', path }));
  } finally {
    conn.close();
  }
}

/**
 * Sends the already-encoded frames of a tree (END included) as an upload to `remote` and returns
 * fc-guest's summary. An ERROR from fc-guest ends the sending at once and is what gets thrown.
 */
export async function uploadFrames(
  target: GuestTarget,
  remote: string,
  frames: AsyncIterable<Buffer>,
  connect: ConnectOptions = {},
): Promise<TransferSummary> {
  const conn = await GuestConnection.open(target, connect);
  let early: Error | null = null;
  const answer = conn.next().then(
    (f) => {
      if (f?.type === FrameType.ERROR) early = errorFromFrame(f);
      return f;
    },
    (err: Error) => {
      early = err;
      return null;
    },
  );
  try {
    await conn.send(FrameType.REQUEST, { op: 'upload', path: remote });
    for await (const frame of frames) {
      if (early) throw early;
      await conn.sendRaw(frame);
    }
    const f = await answer;
    if (!f) throw new GuestProtocolError(`${conn.where}: closed before confirming the upload`);
    if (f.type === FrameType.ERROR) throw errorFromFrame(f);
    if (f.type !== FrameType.RESULT)
      throw new GuestProtocolError(`${conn.where}: expected RESULT, got ${f.type}`);
    const r = parseJson(f, 'RESULT');
    return { files: Number(r.files), dirs: Number(r.dirs), bytes: Number(r.bytes) };
  } catch (err) {
    // A send that failed because fc-guest hung up after an ERROR reports that ERROR.
    await Promise.race([answer, new Promise((r) => setTimeout(r, 200))]);
    throw early ?? err;
  } finally {
    conn.close();
  }
}

/** Copies the local file or directory `local` to exactly `remote` (an absolute guest path). */
export function upload(
  target: GuestTarget,
  local: string,
  remote: string,
  opts: TransferOptions = {},
  connect: ConnectOptions = {},
): Promise<TransferSummary> {
  return uploadFrames(target, remote, treeFrames(local, opts), connect);
}

/** Opens a download of `remote`; yields fc-guest's frames (the tree, then END) as they come. */
export async function* downloadFrames(
  target: GuestTarget,
  remote: string,
  connect: ConnectOptions = {},
): AsyncGenerator<import('../../guest-protocol/frames.ts').Frame> {
  const conn = await GuestConnection.open(target, connect);
  try {
    await conn.send(FrameType.REQUEST, { op: 'download', path: remote });
    for (;;) {
      const f = await conn.next();
      if (!f) throw new GuestProtocolError(`${conn.where}: closed in the middle of the download`);
      yield f;
      if (f.type === FrameType.END || f.type === FrameType.ERROR) return;
    }
  } finally {
    conn.close();
  }
}

/** Copies the guest's `remote` file or directory to exactly `local`. */
export async function download(
  target: GuestTarget,
  remote: string,
  local: string,
  opts: TransferOptions = {},
  connect: ConnectOptions = {},
): Promise<TransferSummary> {
  const writer = new TreeWriter(local, opts);
  for await (const f of downloadFrames(target, remote, connect)) {
    const done = await writer.write(f);
    if (done) return done;
  }
  throw new GuestProtocolError(`the download of ${remote} ended without END`);
}
