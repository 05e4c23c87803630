// GET .../logs: the console history, firecracker.log or the metrics file as plain text,
// optionally followed. The route has parsed the query (tail, follow, source) and authenticated the
// request.

import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LogSource } from '../../api/schemas.ts';
import { LOG_TAIL_WINDOW_BYTES } from '../constants.ts';
import { errnoCode } from './errors.ts';
import { FileFollower } from './follow.ts';
import { tailLines } from './history.ts';
import type { ConsoleSession } from './session.ts';

export interface ServeLogsOptions {
  /** Last N lines; absent: the whole console history (or the whole file). */
  tail?: number;
  follow: boolean;
  /** console: the session's history; firecracker or metrics: the file at `filePath`. */
  source: LogSource;
  /** firecracker.log for `firecracker`, the metrics file (one JSON line a flush) for `metrics`. */
  filePath: string;
  /** false once the microVM's firecracker has exited: a follow then ends. */
  isAlive: () => boolean;
}

/** How often a follow checks isAlive() (output itself is pushed as it comes). */
const ALIVE_CHECK_MS = 250;
/** A follower that queues more than this unread is cut off rather than buffered without bound. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Without tail, a file is sent from at most this far before its end. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

export function serveLogs(
  req: IncomingMessage,
  res: ServerResponse,
  session: ConsoleSession,
  opts: ServeLogsOptions,
): void {
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  // A follow may wait long for its first byte: the client learns at once that it is connected.
  if (opts.follow) res.flushHeaders();
  const run = opts.source === 'console' ? serveConsole(req, res, session, opts) : serveFile(req, res, opts);
  run.catch((err: unknown) => {
    // Headers are out; the best left is to say it in the body and end.
    if (!res.writableEnded) res.end(`\n[fc-agent: log unreadable: ${errnoCode(err) ?? String(err)}]\n`);
  });
}

async function serveConsole(
  req: IncomingMessage,
  res: ServerResponse,
  session: ConsoleSession,
  opts: ServeLogsOptions,
): Promise<void> {
  const history = session.history();
  const first = opts.tail === undefined ? history : tailLines(history, opts.tail);
  if (!opts.follow || session.closed || !opts.isAlive()) {
    res.end(first);
    return;
  }
  const stop = followUntilGone(req, res, opts);
  // Subscribe in the same tick as the snapshot: no chunk between them is lost or doubled.
  const unsubscribe = session.subscribe((chunk) => stop.push(chunk));
  const offClose = session.onClose(() => stop.end());
  stop.onEnd(() => {
    unsubscribe();
    offClose();
  });
  stop.push(first);
}

async function serveFile(req: IncomingMessage, res: ServerResponse, opts: ServeLogsOptions): Promise<void> {
  let size: number;
  let first: Buffer;
  try {
    ({ size, first } = await readTail(opts.filePath, opts.tail));
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
    // Nothing written yet: empty, and maybe follow.
    size = 0;
    first = Buffer.alloc(0);
  }
  if (!opts.follow || !opts.isAlive()) {
    res.end(first);
    return;
  }
  const stop = followUntilGone(req, res, opts);
  stop.push(first);
  let follower: FileFollower | null = null;
  stop.onEnd(() => {
    void follower?.close();
  });
  try {
    follower = await FileFollower.open(opts.filePath, {
      from: size,
      onData: (chunk) => stop.push(chunk),
    });
  } catch {
    // The log file does not exist yet: follow is then just "until the microVM exits".
    return;
  }
  if (stop.ended) {
    await follower.close();
    return;
  }
  follower.start();
}

interface FollowStream {
  readonly ended: boolean;
  push(chunk: Buffer): void;
  end(): void;
  onEnd(fn: () => void): void;
}

/** The response side of a follow: ends on client disconnect, microVM exit, or a client too slow. */
function followUntilGone(req: IncomingMessage, res: ServerResponse, opts: ServeLogsOptions): FollowStream {
  const endFns: Array<() => void> = [];
  let ended = false;
  const timer = setInterval(() => {
    if (!opts.isAlive()) stream.end();
  }, ALIVE_CHECK_MS);
  timer.unref();
  const finish = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    for (const fn of endFns) fn();
  };
  const stream: FollowStream = {
    get ended() {
      return ended;
    },
    push(chunk) {
      if (ended || chunk.length === 0) return;
      if (res.writableLength > MAX_PENDING_BYTES) {
        res.end('\n[fc-agent: client too slow, output dropped]\n');
        finish();
        return;
      }
      res.write(chunk);
    },
    end() {
      if (ended) return;
      finish();
      if (!res.writableEnded) res.end();
    },
    onEnd(fn) {
      if (ended) fn();
      else endFns.push(fn);
    },
  };
  req.on('close', () => stream.end());
  res.on('close', () => stream.end());
  return stream;
}

async function readTail(path: string, tail: number | undefined): Promise<{ size: number; first: Buffer }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (tail !== undefined && tail <= 0) return { size, first: Buffer.alloc(0) };
    // Read backwards in growing windows until enough lines are in, or the cap is reached.
    let window = tail === undefined ? MAX_FILE_BYTES : LOG_TAIL_WINDOW_BYTES;
    for (;;) {
      const start = Math.max(0, size - Math.min(window, MAX_FILE_BYTES));
      const buf = Buffer.alloc(size - start);
      const { bytesRead } = await handle.read(buf, 0, buf.length, start);
      const data = buf.subarray(0, bytesRead);
      if (tail === undefined) return { size: start + bytesRead, first: data };
      const lines = tailLines(data, tail);
      const complete = lines.length < data.length || start === 0;
      if (complete || window >= MAX_FILE_BYTES) return { size: start + bytesRead, first: lines };
      window *= 4;
    }
  } finally {
    await handle.close();
  }
}
