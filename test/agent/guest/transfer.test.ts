// fc-guest's file transfer and its robustness, over the real protocol (x86_64 build, Unix socket).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuestClient } from '../../../src/agent/guest/index.ts';
import { encodeFrame, FrameType } from '../../../src/guest-protocol/frames.ts';
import { startTestGuest, type TestGuest } from '../../support/fc-guest.ts';

let guest: TestGuest;
let client: GuestClient;
let work: string;

beforeAll(async () => {
  guest = await startTestGuest();
  client = new GuestClient(guest.target);
  work = await mkdtemp(join(tmpdir(), 'fcm-guest-xfer-'));
});
afterAll(async () => {
  await guest?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function sha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const T1 = new Date('2024-02-03T04:05:06.000Z');
const T2 = new Date('2023-01-01T00:00:00.000Z');

describe('fc-guest file transfer', () => {
  it('uploads and downloads a file with its mode and mtime', async () => {
    const src = join(work, 'one.txt');
    await writeFile(src, 'hello guest\n');
    await chmod(src, 0o640);
    await utimes(src, T1, T1);
    const inGuest = join(work, 'guest-one.txt'); // "the guest" is this machine in test mode
    const up = await client.upload(src, inGuest);
    expect(up).toEqual({ files: 1, dirs: 0, bytes: 12 });
    const g = await stat(inGuest);
    expect(g.mode & 0o7777).toBe(0o640);
    expect(g.mtimeMs).toBe(T1.getTime());
    expect(await client.stat(inGuest)).toMatchObject({ exists: true, type: 'file', mode: 0o640, size: 12 });

    const back = join(work, 'back-one.txt');
    expect(await client.download(inGuest, back)).toEqual({ files: 1, dirs: 0, bytes: 12 });
    expect(await readFile(back, 'utf8')).toBe('hello guest\n');
    const b = await stat(back);
    expect(b.mode & 0o7777).toBe(0o640);
    expect(b.mtimeMs).toBe(T1.getTime());
  });

  it('copies a directory tree both ways: files, empty dirs, symlinks, modes and mtimes', async () => {
    const src = join(work, 'tree');
    await mkdir(join(src, 'sub', 'empty'), { recursive: true });
    await writeFile(join(src, 'a.sh'), '#!/bin/sh\necho a\n');
    await chmod(join(src, 'a.sh'), 0o755);
    await writeFile(join(src, 'sub', 'b.bin'), randomBytes(700_000));
    await writeFile(join(src, 'sub', 'zero'), '');
    await symlink('a.sh', join(src, 'link'));
    await chmod(join(src, 'sub'), 0o750);
    for (const p of ['a.sh', 'sub/b.bin', 'sub/zero', 'sub/empty', 'sub', '.'])
      await utimes(join(src, p), T2, T2);

    const inGuest = join(work, 'guest-tree');
    expect(await client.upload(src, inGuest)).toEqual({ files: 3, dirs: 3, bytes: 700_000 + 17 });
    const out = join(work, 'tree-back');
    expect(await client.download(inGuest, out)).toEqual({ files: 3, dirs: 3, bytes: 700_000 + 17 });
    for (const root of [inGuest, out]) {
      // Buffer.equals: a deep toEqual over 700 000 bytes takes seconds.
      expect(
        (await readFile(join(root, 'sub', 'b.bin'))).equals(await readFile(join(src, 'sub', 'b.bin'))),
      ).toBe(true);
      expect((await stat(join(root, 'a.sh'))).mode & 0o7777).toBe(0o755);
      expect((await stat(join(root, 'sub'))).mode & 0o7777).toBe(0o750);
      expect((await stat(join(root, 'sub'))).mtimeMs).toBe(T2.getTime());
      expect((await stat(join(root, 'sub', 'empty'))).isDirectory()).toBe(true);
      expect((await stat(join(root, 'sub', 'zero'))).size).toBe(0);
      expect((await lstat(join(root, 'link'))).isSymbolicLink()).toBe(true);
      expect(await readlink(join(root, 'link'))).toBe('a.sh');
      expect((await stat(root)).mtimeMs).toBe(T2.getTime());
    }
  });

  it('follows docker cp conventions: into an existing directory under the source name', async () => {
    const dir = join(work, 'dest-dir');
    await mkdir(dir);
    const src = join(work, 'conv.txt');
    await writeFile(src, 'x');
    const r = await client.copyIn(src, dir);
    expect(r.dest).toBe(join(dir, 'conv.txt'));
    expect(await readFile(join(dir, 'conv.txt'), 'utf8')).toBe('x');
    await expect(client.copyIn(src, join(work, 'missing-dir/'))).rejects.toMatchObject({ code: 'not_found' });
    const out = await client.copyOut(join(dir, 'conv.txt'), join(work, 'out-renamed.txt'));
    expect(out.dest).toBe(join(work, 'out-renamed.txt'));
  });

  it('reports a missing source and a missing destination parent with clear errors', async () => {
    await expect(client.download('/no/such/path', join(work, 'x'))).rejects.toMatchObject({
      code: 'not_found',
    });
    const src = join(work, 'lonely.txt');
    await writeFile(src, 'x');
    await expect(client.upload(src, '/no/such/dir/file')).rejects.toMatchObject({
      code: 'io_error',
      message: expect.stringContaining('/no/such/dir/file'),
    });
    expect(await client.stat('/no/such/path')).toEqual({ exists: false });
    // Refused while 32 MiB are still on their way: the ERROR arrives, not a broken pipe.
    const big = join(work, 'big-refused.bin');
    await writeFile(big, Buffer.alloc(32 * 1024 * 1024, 1));
    await expect(client.upload(big, '/no/such/dir/big')).rejects.toMatchObject({
      code: 'io_error',
      message: expect.stringContaining('/no/such/dir/big'),
    });
  });

  it('moves 100 MB both ways byte-identical (sha256)', async () => {
    const src = join(work, 'big.bin');
    const block = randomBytes(1024 * 1024);
    const parts: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      block.writeUInt32LE(i, 0); // no two MiB alike
      parts.push(Buffer.from(block));
    }
    await writeFile(src, Buffer.concat(parts));
    const want = await sha256(src);
    const inGuest = join(work, 'big-in-guest.bin');
    let progress = 0;
    const up = await client.upload(src, inGuest, {
      onProgress: (n) => {
        progress = n;
      },
    });
    expect(up.bytes).toBe(100 * 1024 * 1024);
    expect(progress).toBe(100 * 1024 * 1024);
    const guestSum = await client.execBuffered({ argv: ['sha256sum', inGuest] });
    expect(guestSum.stdout.toString().split(' ')[0]).toBe(want);
    const back = join(work, 'big-back.bin');
    await client.download(inGuest, back);
    expect(await sha256(back)).toBe(want);
    await rm(src);
    await rm(inGuest);
    await rm(back);
  }, 120_000);
});

function rawExchange(socket: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    const got: Buffer[] = [];
    s.on('data', (b) => got.push(b));
    // fc-guest closing with unread input makes a reset: that is still "closed".
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    s.on('close', () => resolve(Buffer.concat(got)));
    s.write(bytes);
  });
}

describe('fc-guest robustness', () => {
  it('closes only the connection that sent malformed frames and keeps serving', async () => {
    const hello = encodeFrame(FrameType.HELLO, { proto: 1 });
    const cases: Buffer[] = [
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]), // oversized
      encodeFrame(FrameType.HELLO, '{not json'),
      encodeFrame(FrameType.REQUEST, { op: 'exec' }), // no handshake
      Buffer.concat([hello, encodeFrame(FrameType.REQUEST, { op: 'exec', argv: 'sh' })]),
      Buffer.concat([
        hello,
        encodeFrame(FrameType.REQUEST, { op: 'upload', path: '/tmp/x' }),
        encodeFrame(FrameType.ENTRY, { path: '../escape', type: 'file', mode: 420, mtime: 0, size: 0 }),
      ]),
      Buffer.concat([hello, encodeFrame(FrameType.REQUEST, '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]')]),
      Buffer.concat([hello, encodeFrame(FrameType.REQUEST, { op: 'format-disk' })]),
      randomBytes(4096),
      encodeFrame(FrameType.HELLO, { proto: 99 }),
    ];
    const codes: string[] = [];
    for (const c of cases) {
      const reply = await rawExchange(guest.socket, c);
      const m = /"code":"([a-z_]+)"/.exec(reply.toString('latin1'));
      codes.push(m?.[1] ?? 'closed');
    }
    expect(codes).toEqual([
      'closed',
      'bad_handshake',
      'bad_handshake',
      'bad_request',
      'bad_request',
      'bad_request',
      'unknown_op',
      expect.stringMatching(/^(closed|bad_handshake)$/),
      'unsupported_protocol',
    ]);
    expect(guest.proc.exitCode).toBeNull();
    const ping = await client.ping();
    expect(ping.hello).toMatchObject({ agent: 'fc-guest', proto: 1, arch: 'x86_64' });
  });

  it('answers ping with its boot time and uptime', async () => {
    const p = await client.ping();
    const uptimeS = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
    expect(Math.abs(p.uptimeMs / 1000 - uptimeS)).toBeLessThan(5);
    expect(Math.abs(p.bootTimeMs - (Date.now() - uptimeS * 1000))).toBeLessThan(5000);
  });
});
