// What a caller sees when things go wrong: Firecracker's 400s (against each target), micro_http's
// non-JSON errors, bodies refused before sending, and the transport failures (no socket, nobody
// listening, nobody answering, connection dropped) as distinct typed errors.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertOk, FirecrackerClient, faultMessageOf } from '../../src/firecracker/client.ts';
import {
  FirecrackerApiError,
  FirecrackerConnectionError,
  FirecrackerConnectionRefusedError,
  FirecrackerRequestInvalidError,
  FirecrackerSocketMissingError,
  FirecrackerTimeoutError,
} from '../../src/firecracker/errors.ts';
import { killGroup, targets, useVmms } from './harness.ts';

const UNSUPPORTED_METHOD_BODY =
  '{ "error": "Invalid HTTP Method: Unsupported HTTP method.\nAll previous unanswered requests will be dropped." }';

describe.each(targets)('Firecracker error answers from $name', (target) => {
  const { start } = useVmms();

  it('an unknown path is a 400 with the path in the fault message', async () => {
    const { client } = await start(target.binary);
    const res = await client.request('GET', '/nope');
    expect(res.status).toBe(400);
    expect(faultMessageOf(res.body)).toBe('Invalid request method and/or path: GET nope.');
    expect(() => assertOk('GET', '/nope', res)).toThrow('GET /nope: 400 Invalid request method and/or path');
  });

  it('DELETE is answered with a non-JSON body that becomes a clear FirecrackerApiError', async () => {
    const { client } = await start(target.binary);
    const res = await client.request('DELETE', '/drives/rootfs');
    expect(res.status).toBe(400);
    expect(res.body.toString()).toBe(UNSUPPORTED_METHOD_BODY);
    let err: unknown;
    try {
      assertOk('DELETE', '/drives/rootfs', res);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FirecrackerApiError);
    expect(err).toMatchObject({ method: 'DELETE', path: '/drives/rootfs', status: 400 });
    expect((err as Error).message).toBe(
      "DELETE /drives/rootfs: 400 Invalid HTTP Method: Unsupported HTTP method. All previous unanswered requests will be dropped. (Firecracker's API has no DELETE endpoints: it accepts GET, PUT and PATCH only)",
    );
    // The next request on a new connection works.
    expect((await client.describeInstance()).state).toBe('Not started');
  });

  it('raw request passes non-2xx answers and headers through without throwing', async () => {
    const { client } = await start(target.binary);
    const invalid = await client.request('PUT', '/mmds', '{nope');
    expect(invalid.status).toBe(400);
    expect(faultMessageOf(invalid.body)).toMatch(/^An error occurred when deserializing the json body/);
    const empty = await client.request('PUT', '/vm');
    expect(faultMessageOf(empty.body)).toBe('Empty PUT request.');
    const deprecated = await client.request(
      'PUT',
      '/machine-config',
      JSON.stringify({ vcpu_count: 1, mem_size_mib: 64, cpu_template: 'None' }),
    );
    expect(deprecated.status).toBe(204);
    expect(deprecated.headers.deprecation).toBe('true');
    expect(deprecated.body.length).toBe(0);
  });

  it('an unknown field is refused by Firecracker too (deny_unknown_fields)', async () => {
    const { client } = await start(target.binary);
    const res = await client.request(
      'PUT',
      '/machine-config',
      JSON.stringify({ vcpu_count: 1, mem_size_mib: 64, x: 1 }),
    );
    expect(res.status).toBe(400);
    expect(faultMessageOf(res.body)).toMatch(/unknown field `x`/);
  });
});

describe('request bodies are checked before anything is sent', () => {
  // No socket at all: a transport error would show if anything were sent.
  const client = new FirecrackerClient('/nonexistent/fc.sock');

  it.each([
    [
      'vcpu_count above 32',
      () => client.putMachineConfig({ vcpu_count: 33, mem_size_mib: 128 }),
      'vcpu_count',
    ],
    [
      'an unknown field',
      () => client.putBootSource({ kernel_image_path: '/k', kernel: '/k' } as never),
      'Unrecognized key',
    ],
    [
      'a wrong enum value',
      () =>
        client.createSnapshot({
          snapshot_path: '/s',
          mem_file_path: '/m',
          snapshot_type: 'Partial' as never,
        }),
      'snapshot_type',
    ],
    [
      'both mem_backend and mem_file_path',
      () =>
        client.loadSnapshot({
          snapshot_path: '/s',
          mem_file_path: '/m',
          mem_backend: { backend_type: 'File', backend_path: '/m' },
        }),
      'exactly one of mem_backend and mem_file_path',
    ],
    ['a guest CID below 3', () => client.putVsock({ guest_cid: 2, uds_path: '/v' }), 'guest_cid'],
  ])('%s', async (_name, call, mention) => {
    const err = await call().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerRequestInvalidError);
    expect((err as Error).message).toContain(mention);
  });
});

describe('faultMessageOf', () => {
  it.each([
    ['{"fault_message":"boom"}', 'boom'],
    [
      UNSUPPORTED_METHOD_BODY,
      'Invalid HTTP Method: Unsupported HTTP method. All previous unanswered requests will be dropped.',
    ],
    ['{"error":"plain"}', 'plain'],
    ['', '(empty body)'],
    ['not json at all', 'not json at all'],
  ])('%j → %j', (body, expected) => {
    expect(faultMessageOf(Buffer.from(body))).toBe(expected);
  });
});

describe('transport failures are distinct typed errors', () => {
  let dir: string | undefined;
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const pids: number[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    for (const pid of pids.splice(0)) killGroup(pid);
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const tempDir = async () => {
    dir = await mkdtemp(join(tmpdir(), 'fc-err-'));
    return dir;
  };
  const serve = async (path: string, onConnection: (s: Socket) => void): Promise<void> => {
    const server = createServer((s) => {
      sockets.push(s);
      onConnection(s);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
  };

  it('socket missing: says firecracker is not running', async () => {
    const path = join(await tempDir(), 'fc.sock');
    const err = await new FirecrackerClient(path).describeInstance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerSocketMissingError);
    expect(err).toMatchObject({ code: 'firecracker_socket_missing', socketPath: path });
    expect((err as Error).message).toContain("the microVM's firecracker process is not running");
  });

  it('connection refused (socket file left by a killed process): says firecracker is not running', async () => {
    const path = join(await tempDir(), 'fc.sock');
    // A process killed with SIGKILL cannot remove its socket file, exactly like a dead firecracker.
    const child = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(path)})`],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    if (child.pid === undefined) throw new Error('no pid');
    pids.push(child.pid);
    for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 25));
    const exited = new Promise((r) => child.once('exit', r));
    killGroup(child.pid);
    await exited;
    expect(existsSync(path)).toBe(true);
    const err = await new FirecrackerClient(path).getVersion().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerConnectionRefusedError);
    expect(err).toMatchObject({ code: 'firecracker_connection_refused' });
    expect((err as Error).message).toContain('not running');
  });

  it('a socket that accepts but never answers times out', async () => {
    const path = join(await tempDir(), 'fc.sock');
    await serve(path, () => {});
    const err = await new FirecrackerClient(path, { timeoutMs: 300 })
      .describeInstance()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerTimeoutError);
    expect(err).toMatchObject({ code: 'firecracker_timeout', method: 'GET', path: '/', timeoutMs: 300 });
    expect((err as Error).message).toContain('not answering');
  });

  it('a per-request timeout overrides the client default', async () => {
    const path = join(await tempDir(), 'fc.sock');
    await serve(path, () => {});
    const err = await new FirecrackerClient(path, { timeoutMs: 60_000 })
      .request('GET', '/', undefined, {}, { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'firecracker_timeout', timeoutMs: 200 });
  });

  it('a connection dropped mid-answer is a connection error, not a parse crash', async () => {
    const path = join(await tempDir(), 'fc.sock');
    await serve(path, (s) => {
      s.once('data', () => {
        s.write('HTTP/1.1 200 \r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"id":');
        s.destroy();
      });
    });
    const err = await new FirecrackerClient(path).describeInstance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirecrackerConnectionError);
    expect(err).toMatchObject({ code: 'firecracker_connection_failed' });
  });

  it('passes caller headers through but computes Content-Length itself', async () => {
    const path = join(await tempDir(), 'fc.sock');
    let requestText = '';
    await serve(path, (s) => {
      s.on('data', (d: Buffer) => {
        requestText += d.toString();
        if (requestText.endsWith('{"a":1}')) s.end('HTTP/1.1 204 \r\n\r\n');
      });
    });
    const res = await new FirecrackerClient(path).request('PUT', '/mmds', '{"a":1}', {
      'content-length': '999',
      'X-Trace': 'abc',
    });
    expect(res.status).toBe(204);
    expect(requestText).toMatch(/\r\nContent-Length: 7\r\n/);
    expect(requestText).not.toMatch(/999/);
    expect(requestText).toMatch(/\r\nX-Trace: abc\r\n/);
  });

  it('reads answers without a reason phrase and closes its connection afterwards', async () => {
    const path = join(await tempDir(), 'fc.sock');
    let requestText = '';
    const closed = new Promise<void>((resolve) => {
      void serve(path, (s) => {
        s.on('data', (d: Buffer) => {
          requestText += d.toString();
          if (requestText.includes('\r\n\r\n{"state":"Paused"}')) {
            s.write('HTTP/1.1 204 \r\nServer: Firecracker API\r\nConnection: keep-alive\r\n\r\n');
          }
        });
        s.on('end', () => {
          s.end();
          resolve();
        });
      });
    });
    await new FirecrackerClient(path).pause();
    await closed;
    expect(requestText).toMatch(/^PATCH \/vm HTTP\/1\.1\r\n/);
    expect(requestText).toMatch(/\r\nContent-Length: 18\r\n/i);
    expect(requestText).toMatch(/\r\nContent-Type: application\/json\r\n/i);
    expect(requestText).not.toMatch(/Transfer-Encoding/i);
  });
});
