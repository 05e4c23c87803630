// The guest agent through fc-agent: the double stands in for Firecracker and relays the microVM's
// vsock socket to a real fc-guest (x86_64 build, test mode) on this machine.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GUEST_TREE_CONTENT_TYPE, guestExecResponse, guestStatusResponse } from '../../src/api/guest.ts';
import { FrameDecoder } from '../../src/guest-protocol/frames.ts';
import { TreeWriter, treeFrames } from '../../src/guest-protocol/tree.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { startTestGuest, type TestGuest } from '../support/fc-guest.ts';
import { waitUntil } from '../support/proc.ts';
import { asError, createVm, post } from './harness.ts';

let agent: StartedAgent;
let guest: TestGuest;
let work: string;

beforeAll(async () => {
  guest = await startTestGuest();
  agent = await startAgent({ env: { ...process.env, FC_DOUBLE_GUEST_SOCKET: guest.socket } });
  work = await mkdtemp(join(tmpdir(), 'fcm-guest-routes-'));
});
afterAll(async () => {
  await agent?.stop();
  await guest?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('guest agent routes', () => {
  test('a default-rootfs microVM gets a vsock device in its own dir and answers as ready', async () => {
    const vm = await createVm(agent, { name: 'g1' });
    const vsock = join(agent.stateDir, 'microvms', vm.id, 'vsock.sock');
    expect((await stat(vsock)).isSocket()).toBe(true);
    const res = await agent.json('/agent/microvms/g1/guest');
    expect(res.status).toBe(200);
    expect(guestStatusResponse.parse(res.body)).toMatchObject({ ready: true, agent: 'fc-guest', proto: 1 });
    expect((await agent.fetch('/agent/microvms/g1/guest', { auth: false })).status).toBe(401);
  });

  test('buffered exec: exit code, separate output, stdin, env, cwd, user', async () => {
    const r = await post(agent, '/agent/microvms/g1/exec', {
      argv: ['sh', '-c', 'cat; echo "$X $(pwd) $(id -un)"; echo oops >&2; exit 3'],
      env: ['X=42'],
      cwd: '/tmp',
      user: 'nobody',
      stdin_base64: Buffer.from('from stdin\n').toString('base64'),
    });
    expect(r.status).toBe(200);
    const body = guestExecResponse.parse(r.body);
    expect(body.exit_code).toBe(3);
    expect(Buffer.from(body.stdout_base64, 'base64').toString()).toBe('from stdin\n42 /tmp nobody\n');
    expect(Buffer.from(body.stderr_base64, 'base64').toString()).toBe('oops\n');
    const bad = await post(agent, '/agent/microvms/g1/exec', { argv: [] });
    expect(bad.status).toBe(400);
    const missing = await post(agent, '/agent/microvms/g1/exec', { argv: ['/no/such/cmd'] });
    expect(missing.status).toBe(404);
    expect(asError(missing.body)).toMatchObject({
      code: 'guest_error',
      details: { guest_code: 'not_found' },
    });
  });

  test('files: a directory up and down through the agent, byte-identical with modes', async () => {
    const src = join(work, 'src');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'd', 'f.txt'), 'content\n', { mode: 0o600 });
    const chunks: Buffer[] = [];
    for await (const b of treeFrames(src)) chunks.push(b);
    const dest = join(work, 'in-guest');
    const up = await agent.fetch(`/agent/microvms/g1/files?path=${encodeURIComponent(dest)}`, {
      method: 'PUT',
      headers: { 'content-type': GUEST_TREE_CONTENT_TYPE },
      body: Buffer.concat(chunks),
    });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ files: 1, dirs: 2, bytes: 8 });
    expect(await readFile(join(dest, 'd', 'f.txt'), 'utf8')).toBe('content\n');

    const down = await agent.fetch(`/agent/microvms/g1/files?path=${encodeURIComponent(dest)}`);
    expect(down.status).toBe(200);
    expect(down.headers.get('content-type')).toBe(GUEST_TREE_CONTENT_TYPE);
    const back = join(work, 'back');
    const writer = new TreeWriter(back);
    const dec = new FrameDecoder();
    let summary = null;
    for (const f of dec.push(Buffer.from(await down.arrayBuffer())))
      summary = (await writer.write(f)) ?? summary;
    expect(summary).toEqual({ files: 1, dirs: 2, bytes: 8 });
    expect((await stat(join(back, 'd', 'f.txt'))).mode & 0o777).toBe(0o600);

    const none = await agent.fetch('/agent/microvms/g1/files?path=/no/such/file');
    expect(none.status).toBe(404);
  });

  test('a custom rootfs has no guest agent, and says so', async () => {
    const custom = join(work, 'custom.ext4');
    await writeFile(custom, Buffer.alloc(64 * 1024));
    await createVm(agent, { name: 'plain', rootfs: custom });
    const res = await agent.json('/agent/microvms/plain/exec', {
      method: 'POST',
      body: JSON.stringify({ argv: ['true'] }),
    });
    expect(res.status).toBe(503);
    expect(asError(res.body)).toMatchObject({
      code: 'guest_unavailable',
      message: expect.stringContaining('no guest agent in this rootfs'),
    });
  });

  test('stop asks fc-guest to shut down first', async () => {
    // In test mode fc-guest "powers off" by ending itself; the double keeps running, so the stop
    // then falls back to Ctrl+Alt+Del, and the message says both.
    const g2 = await startTestGuest();
    const a2 = await startAgent({ env: { ...process.env, FC_DOUBLE_GUEST_SOCKET: g2.socket } });
    try {
      await createVm(a2, { name: 's1' });
      const r = await post(a2, '/agent/microvms/s1/stop', { timeout_s: 1 });
      expect(r.status).toBe(200);
      const body = r.body as { stop: { method: string; message: string } };
      expect(body.stop.message).toMatch(/did not power off within 1s of fc-guest's shutdown; then /);
      await waitUntil(() => g2.proc.exitCode !== null, 'fc-guest to end');
      expect(g2.proc.exitCode).toBe(0);
    } finally {
      await a2.stop();
      await g2.stop();
    }
  });
});

describe('SDK: AgentClient guest methods', () => {
  test('waitReady, exec, copyIn and copyOut (docker cp rules), byte-identical', async () => {
    const { AgentClient } = await import('../../src/client/index.ts');
    const client = new AgentClient({ baseUrl: agent.url, token: agent.token });
    await createVm(agent, { name: 'sdk' });
    expect(await client.waitReady('sdk', 10_000)).toMatchObject({ ready: true });
    const r = await client.exec('sdk', { argv: ['sh', '-c', 'cat; exit 1'], stdin: 'abc' });
    expect(r).toMatchObject({ exitCode: 1, signal: null, timedOut: false });
    expect(r.stdout.toString()).toBe('abc');

    const src = join(work, 'sdk-src.bin');
    const bytes = (await import('node:crypto')).randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(src, bytes, { mode: 0o751 });
    const guestDir = join(work, 'sdk-guest-dir');
    await mkdir(guestDir);
    const up = await client.copyIn('sdk', src, guestDir);
    expect(up).toMatchObject({ files: 1, bytes: bytes.length, dest: join(guestDir, 'sdk-src.bin') });
    const outDir = join(work, 'sdk-out');
    await mkdir(outDir);
    const down = await client.copyOut('sdk', join(guestDir, 'sdk-src.bin'), outDir);
    expect(down.dest).toBe(join(outDir, 'sdk-src.bin'));
    expect((await readFile(down.dest)).equals(bytes)).toBe(true);
    expect((await stat(down.dest)).mode & 0o777).toBe(0o751);
    await expect(client.copyOut('sdk', '/no/such', outDir)).rejects.toMatchObject({
      code: 'guest_error',
      status: 404,
    });
  });
});

describe('SDK: streaming exec over WebSocket', () => {
  beforeAll(async () => {
    await createVm(agent, { name: 'ws' });
  });

  test('stdin with EOF, separate stdout/stderr, exit code', async () => {
    const { AgentClient } = await import('../../src/client/index.ts');
    const client = new AgentClient({ baseUrl: agent.url, token: agent.token });
    await client.waitReady('ws', 10_000);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const s = await client.execStream(
      'ws',
      { argv: ['sh', '-c', 'tr a-z A-Z; echo e >&2; exit 5'], stdin: true },
      { onStdout: (b) => out.push(b), onStderr: (b) => err.push(b) },
    );
    s.write('hello\n');
    s.end();
    expect(await s.exit).toEqual({ exitCode: 5, signal: null, timedOut: false });
    expect(Buffer.concat(out).toString()).toBe('HELLO\n');
    expect(Buffer.concat(err).toString()).toBe('e\n');
  });

  test('a tty with resize, and a signal reaches the command', async () => {
    const { AgentClient } = await import('../../src/client/index.ts');
    const client = new AgentClient({ baseUrl: agent.url, token: agent.token });
    const out: Buffer[] = [];
    const s = await client.execStream(
      'ws',
      {
        argv: ['sh', '-c', 'stty size; read x; stty size; sleep 30'],
        stdin: true,
        tty: { rows: 11, cols: 22 },
      },
      { onStdout: (b) => out.push(b) },
    );
    await waitUntil(() => Buffer.concat(out).toString().includes('11 22'), 'the first size');
    s.resize(33, 44);
    s.write('\r');
    await waitUntil(() => Buffer.concat(out).toString().includes('33 44'), 'the new size');
    s.signal('INT');
    expect(await s.exit).toMatchObject({ exitCode: 130, signal: 'INT' });
  });

  test('a missing command is an error before any output; a bad request too', async () => {
    const { AgentClient } = await import('../../src/client/index.ts');
    const client = new AgentClient({ baseUrl: agent.url, token: agent.token });
    await expect(client.execStream('ws', { argv: ['/no/such/cmd'] })).rejects.toMatchObject({
      code: 'guest_error',
      details: { guest_code: 'not_found' },
    });
    await expect(client.execStream('ws', { argv: [] })).rejects.toMatchObject({ code: 'bad_request' });
    await expect(client.execStream('nope', { argv: ['true'] })).rejects.toMatchObject({ code: 'not_found' });
  });
});
