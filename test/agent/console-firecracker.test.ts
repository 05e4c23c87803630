// The cut of console.log against the real firecracker: its stdout is console.log opened O_APPEND
// (as the launcher does), so after the agent truncates the file the next write lands at offset 0.
// Without --log-path firecracker logs to stdout, which gives a writer without a guest kernel.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ConsoleSession } from '../../src/agent/console/session.ts';
import { CLOSE_MICROVM_EXITED } from '../../src/api/console.ts';
import { realFirecracker } from '../support/paths.ts';
import { waitFor } from './console-support.ts';

const fc = realFirecracker();
if ('skip' in fc) console.warn(`console cut with the real firecracker skipped: ${fc.skip}`);

let dir = '';
let child: ChildProcess | null = null;
let session: ConsoleSession | null = null;

afterEach(async () => {
  await session?.close(CLOSE_MICROVM_EXITED, 'test over');
  session = null;
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    process.kill(-child.pid, 'SIGKILL');
    await exited;
  }
  child = null;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = '';
});

function get(socketPath: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf('skip' in fc)('console.log cut with the real firecracker', () => {
  it('keeps every line in the history and firecracker keeps writing at the start of the cut file', async () => {
    if (!('path' in fc)) return;
    dir = await mkdtemp(join(tmpdir(), 'fc-console-real-'));
    const log = join(dir, 'console.log');
    const input = join(dir, 'console.in');
    const sock = join(dir, 'fc.sock');
    await promisify(execFile)('mkfifo', ['-m', '600', input]);
    const fifo = openSync(input, constants.O_RDWR | constants.O_NONBLOCK);
    const out = openSync(log, 'a', 0o600);
    try {
      child = spawn(fc.path, ['--api-sock', sock, '--id', 'cut', '--level', 'Info'], {
        stdio: [fifo, out, out],
        detached: true,
      });
    } finally {
      closeSync(fifo);
      closeSync(out);
    }
    await waitFor('the API socket', () => existsSync(sock));
    session = await ConsoleSession.open({ log, input }, { maxLogBytes: 400, historyBytes: 64 * 1024 });
    const s = session;
    for (let i = 1; i <= 8; i++) {
      await get(sock, `/nope${i}`);
      await waitFor(`log line ${i}`, () => s.history().toString().includes(`Get request on "/nope${i}"`));
      await waitFor('console.log under the cap', async () => (await stat(log)).size <= 400);
    }
    const history = s.history().toString();
    for (let i = 1; i <= 8; i++) {
      expect(history.split(`Get request on "/nope${i}"`).length).toBe(2);
    }
    expect(history).toContain('Running Firecracker v1.14.4');
    const file = await readFile(log);
    expect(file.includes(0)).toBe(false);
    expect(history.endsWith(file.toString())).toBe(true);
  });
});
