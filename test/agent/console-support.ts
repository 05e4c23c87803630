// Test rig for the console modules: a per-test dir with console.log and the console.in FIFO, and a
// small process standing in for firecracker: its stdin is the FIFO (opened O_RDWR like the agent
// does), its stdout is console.log opened O_APPEND. It echoes what it reads, like a tty, and runs
// two commands: `echo TEXT` prints TEXT, `spam N` prints N numbered lines.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { type AttachOptions, handleConsoleUpgrade } from '../../src/agent/console/attach.ts';
import { serveLogs } from '../../src/agent/console/logs.ts';
import type { ConsoleSession } from '../../src/agent/console/session.ts';
import { waitUntil } from '../support/proc.ts';

const WRITER = String.raw`
const fs = require('node:fs');
let pending = '';
const out = (s) => fs.writeSync(1, s);
process.stdin.on('data', (buf) => {
  out(buf);
  pending += buf.toString('utf8');
  let i;
  while ((i = pending.search(/[\r\n]/)) >= 0) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    let m;
    if ((m = /^echo (.*)$/.exec(line))) out(m[1] + '\r\n');
    else if ((m = /^spam (\d+)$/.exec(line))) {
      const n = Number(m[1]);
      let s = '';
      for (let k = 1; k <= n; k++) s += spamLine(k);
      out(s);
    }
  }
});
function spamLine(k) { return 'line ' + String(k).padStart(6, '0') + ' ' + 'x'.repeat(40) + '\n'; }
`;

/** What `spam n` prints, to compare with. */
export function spamOutput(n: number): string {
  let s = '';
  for (let k = 1; k <= n; k++) s += `line ${String(k).padStart(6, '0')} ${'x'.repeat(40)}\n`;
  return s;
}

export interface ConsoleRig {
  dir: string;
  log: string;
  input: string;
  firecrackerLog: string;
  writer: ChildProcess | null;
  /** Starts the stand-in firecracker (again). */
  startWriter(): Promise<void>;
  stopWriter(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function makeRig(): Promise<ConsoleRig> {
  const dir = await mkdtemp(join(tmpdir(), 'fc-console-test-'));
  const log = join(dir, 'console.log');
  const input = join(dir, 'console.in');
  const firecrackerLog = join(dir, 'firecracker.log');
  await promisify(execFile)('mkfifo', ['-m', '600', input]);
  await writeFile(log, '', { mode: 0o600 });
  const rig: ConsoleRig = {
    dir,
    log,
    input,
    firecrackerLog,
    writer: null,
    async startWriter() {
      const fifo = openSync(input, constants.O_RDWR | constants.O_NONBLOCK);
      const out = openSync(log, 'a');
      try {
        const child = spawn(process.execPath, ['-e', WRITER], {
          stdio: [fifo, out, 'ignore'],
          detached: true,
        });
        rig.writer = child;
        await new Promise<void>((resolve, reject) => {
          child.once('spawn', () => resolve());
          child.once('error', reject);
        });
      } finally {
        // Like the agent: only the child holds the FIFO, so its death leaves no reader.
        closeSync(fifo);
        closeSync(out);
      }
    },
    async stopWriter() {
      const child = rig.writer;
      rig.writer = null;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }
      await exited;
    },
    async cleanup() {
      await rig.stopWriter();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return rig;
}

/** waitUntil with the description first, as these tests read best. */
export function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  return waitUntil(check, what, timeoutMs);
}

/** An HTTP server routing like the agent does: upgrade → console, GET /logs → serveLogs. */
export interface TestServer {
  url: string;
  wsUrl: string;
  alive: boolean;
  close(): Promise<void>;
}

export async function startServer(
  getSession: () => ConsoleSession,
  opts: { attach?: AttachOptions; firecrackerLog?: string } = {},
): Promise<TestServer> {
  const state = { alive: true };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const tail = url.searchParams.get('tail');
    serveLogs(req, res, getSession(), {
      ...(tail === null ? {} : { tail: Number(tail) }),
      follow: url.searchParams.get('follow') === '1',
      source: url.searchParams.get('source') === 'firecracker' ? 'firecracker' : 'console',
      filePath: opts.firecrackerLog ?? '/nonexistent',
      isAlive: () => state.alive,
    });
  });
  server.on('upgrade', (req, socket, head) =>
    handleConsoleUpgrade(req, socket, head, getSession(), opts.attach),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result: TestServer = {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/console`,
    get alive() {
      return state.alive;
    },
    set alive(v: boolean) {
      state.alive = v;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return result;
}

/** A console client that records every frame and the close. */
export interface Client {
  ws: WebSocket;
  frames: Buffer[];
  /** All bytes received so far. */
  received(): Buffer;
  closed: Promise<{ code: number; reason: string }>;
}

export async function connect(wsUrl: string): Promise<Client> {
  const ws = new WebSocket(wsUrl);
  const frames: Buffer[] = [];
  ws.on('message', (data: Buffer) => {
    frames.push(Buffer.from(data));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // The first frame is always the history, possibly empty.
  await waitFor('the history frame', () => frames.length > 0);
  return { ws, frames, received: () => Buffer.concat(frames), closed };
}
