// Bad input of every kind gets a 4xx JSON error that says what is wrong, and the agent stays up.
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { errorResponse } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { createVm } from './harness.ts';

let agent: StartedAgent;
let vmName: string;

beforeAll(async () => {
  agent = await startAgent();
  vmName = (await createVm(agent, { name: 'target', start: false })).name;
});
afterAll(async () => {
  await agent?.stop();
});

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: string;
  /** The message must match this (names the field and what is allowed). */
  message?: RegExp;
}

const create = (body: unknown): Pick<Case, 'method' | 'path' | 'body'> => ({
  method: 'POST',
  path: '/agent/microvms',
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

const cases: Case[] = [
  {
    name: 'malformed JSON',
    ...create('{"name": '),
    status: 400,
    code: 'bad_request',
    message: /not valid JSON/,
  },
  {
    name: 'JSON array body',
    ...create([]),
    status: 400,
    code: 'validation_failed',
    message: /expected object|must be an object/,
  },
  { name: 'JSON null body', ...create('null'), status: 400, code: 'validation_failed' },
  {
    name: 'vcpus too many',
    ...create({ vcpus: 64 }),
    status: 400,
    code: 'validation_failed',
    message: /vcpus: must be a whole number between 1 and 32/,
  },
  {
    name: 'vcpus zero',
    ...create({ vcpus: 0 }),
    status: 400,
    code: 'validation_failed',
    message: /vcpus: .*between 1 and 32/,
  },
  {
    name: 'vcpus fractional',
    ...create({ vcpus: 1.5 }),
    status: 400,
    code: 'validation_failed',
    message: /vcpus: must be a whole number/,
  },
  {
    name: 'vcpus a string',
    ...create({ vcpus: '2' }),
    status: 400,
    code: 'validation_failed',
    message: /vcpus: must be a number, got string/,
  },
  {
    name: 'memory too small',
    ...create({ memory_mib: 16 }),
    status: 400,
    code: 'validation_failed',
    message: /memory_mib: must be a whole number between 64 and 1048576 \(got 16\)/,
  },
  {
    name: 'memory negative',
    ...create({ memory_mib: -1 }),
    status: 400,
    code: 'validation_failed',
    message: /memory_mib/,
  },
  {
    name: 'unknown field',
    ...create({ cpus: 2 }),
    status: 400,
    code: 'validation_failed',
    message: /unknown field "cpus"/,
  },
  {
    name: 'unknown nested field',
    ...create({ balloon: { amount_mib: 1, size: 2 } }),
    status: 400,
    code: 'validation_failed',
    message: /balloon\.size: unknown field "size"/,
  },
  {
    name: 'name with a slash',
    ...create({ name: 'a/b' }),
    status: 400,
    code: 'validation_failed',
    message: /name: must match/,
  },
  {
    name: 'name ../x',
    ...create({ name: '../x' }),
    status: 400,
    code: 'validation_failed',
    message: /name: must match/,
  },
  {
    name: 'name uppercase',
    ...create({ name: 'Web' }),
    status: 400,
    code: 'validation_failed',
    message: /name: must match/,
  },
  {
    name: 'name too long',
    ...create({ name: 'a'.repeat(64) }),
    status: 400,
    code: 'validation_failed',
    message: /name/,
  },
  { name: 'name empty', ...create({ name: '' }), status: 400, code: 'validation_failed', message: /name/ },
  {
    name: 'relative kernel path',
    ...create({ kernel: 'vmlinux' }),
    status: 400,
    code: 'validation_failed',
    message: /kernel: must be an absolute path/,
  },
  {
    name: 'missing kernel file',
    ...create({ kernel: '/no/such/vmlinux' }),
    status: 400,
    code: 'validation_failed',
    message: /\/no\/such\/vmlinux does not exist on the agent's host/,
  },
  {
    name: 'missing rootfs file',
    ...create({ rootfs: '/no/such/rootfs.ext4' }),
    status: 400,
    code: 'validation_failed',
    message: /rootfs: \/no\/such\/rootfs\.ext4/,
  },
  {
    name: 'kernel is a directory',
    ...create({ kernel: '/' }),
    status: 400,
    code: 'validation_failed',
    message: /not a regular file/,
  },
  {
    name: 'empty boot args',
    ...create({ boot_args: '' }),
    status: 400,
    code: 'validation_failed',
    message: /boot_args: must be 1 to 4096 characters long/,
  },
  {
    name: 'drive id reserved',
    ...create({ drives: [{ id: 'rootfs', path: '/etc/hostname' }] }),
    status: 400,
    code: 'validation_failed',
    message: /drives\.0\.id/,
  },
  {
    name: 'duplicate drive ids',
    ...create({
      drives: [
        { id: 'd', path: '/etc/hostname' },
        { id: 'd', path: '/etc/hostname' },
      ],
    }),
    status: 400,
    code: 'validation_failed',
    message: /drives\.1\.id: "d" is used by another drive/,
  },
  {
    name: 'too many drives',
    ...create({ drives: Array.from({ length: 17 }, () => ({ path: '/etc/hostname' })) }),
    status: 400,
    code: 'validation_failed',
    message: /drives: must have at most 16 entries/,
  },
  {
    name: 'start not a boolean',
    ...create({ start: 'yes' }),
    status: 400,
    code: 'validation_failed',
    message: /start: must be a boolean, got string/,
  },
  {
    name: 'huge body',
    ...create({ name: 'x', pad: 'y'.repeat(2 * 1024 * 1024) }),
    status: 413,
    code: 'bad_request',
    message: /larger than/,
  },
  {
    name: 'stop timeout negative',
    method: 'POST',
    path: `/agent/microvms/target/stop`,
    body: '{"timeout_s": -1}',
    status: 400,
    code: 'validation_failed',
    message: /timeout_s: must be a number between 0 and 600/,
  },
  {
    name: 'stop timeout too long',
    method: 'POST',
    path: `/agent/microvms/target/stop`,
    body: '{"timeout_s": 601}',
    status: 400,
    code: 'validation_failed',
    message: /timeout_s: .*between 0 and 600/,
  },
  {
    name: 'stop timeout a string',
    method: 'POST',
    path: `/agent/microvms/target/stop`,
    body: '{"timeout_s": "10"}',
    status: 400,
    code: 'validation_failed',
    message: /timeout_s/,
  },
  {
    name: 'stop unknown field',
    method: 'POST',
    path: `/agent/microvms/target/stop`,
    body: '{"graceful": true}',
    status: 400,
    code: 'validation_failed',
    message: /unknown field "graceful"/,
  },
  {
    name: 'pause with a body field',
    method: 'POST',
    path: `/agent/microvms/target/pause`,
    body: '{"now": true}',
    status: 400,
    code: 'validation_failed',
    message: /unknown field "now"/,
  },
  { name: 'unknown route', method: 'GET', path: '/agent/nope', status: 404, code: 'not_found' },
  { name: 'legacy /agent/start', method: 'POST', path: '/agent/start', status: 404, code: 'not_found' },
  { name: 'legacy /console', method: 'GET', path: '/console', status: 404, code: 'not_found' },
  { name: 'unknown microVM', method: 'GET', path: '/agent/microvms/ghost', status: 404, code: 'not_found' },
  {
    name: 'bad method on a collection',
    method: 'PUT',
    path: '/agent/microvms',
    status: 405,
    code: 'bad_request',
    message: /allowed: GET, POST/,
  },
  {
    name: 'GET on an action',
    method: 'GET',
    path: '/agent/microvms/target/stop',
    status: 405,
    code: 'bad_request',
  },
  {
    name: 'traversal ../ in the id',
    method: 'GET',
    path: '/agent/microvms/../agent/version',
    status: 400,
    code: 'bad_request',
    message: /path traversal/,
  },
  {
    name: 'traversal %2e%2e in the id',
    method: 'GET',
    path: '/agent/microvms/%2e%2e',
    status: 400,
    code: 'bad_request',
    message: /path traversal/,
  },
  {
    name: 'encoded slash in the id',
    method: 'GET',
    path: '/agent/microvms/a%2fb',
    status: 400,
    code: 'bad_request',
  },
  {
    name: 'traversal in the passthrough path',
    method: 'GET',
    path: '/agent/microvms/target/firecracker/../../x',
    status: 400,
    code: 'bad_request',
  },
  { name: 'malformed escape', method: 'GET', path: '/agent/microvms/%zz', status: 400, code: 'bad_request' },
  {
    name: 'id with bad characters',
    method: 'GET',
    path: '/agent/microvms/Bad*Name',
    status: 400,
    code: 'bad_request',
    message: /not a microVM id or name/,
  },
  {
    name: 'unknown query parameter',
    method: 'GET',
    path: '/agent/microvms?all=1',
    status: 400,
    code: 'bad_request',
    message: /unknown query parameter "all"/,
  },
  {
    name: 'logs tail not a number',
    method: 'GET',
    path: '/agent/microvms/target/logs?tail=abc',
    status: 400,
    code: 'validation_failed',
    message: /tail/,
  },
  {
    name: 'logs bad source',
    method: 'GET',
    path: '/agent/microvms/target/logs?source=kernel',
    status: 400,
    code: 'validation_failed',
    message: /source: must be one of console, firecracker, metrics/,
  },
  {
    name: 'console without upgrade',
    method: 'GET',
    path: '/agent/microvms/target/console',
    status: 426,
    code: 'bad_request',
    message: /WebSocket/,
  },
  {
    name: 'duplicate name',
    ...create({ name: 'target' }),
    status: 409,
    code: 'conflict',
    message: /named target already exists/,
  },
];

/** node:http, not fetch: fetch would normalize "..", "%2e%2e" away before sending. */
function raw(
  method: string,
  path: string,
  body: string | Buffer | undefined,
  headers: Record<string, string>,
): Promise<{ status: number; contentType: string; text: string }> {
  const { port, hostname } = new URL(agent.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port: Number(port),
        method,
        path,
        headers: { authorization: `Bearer ${agent.token}`, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString('utf8');
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('bad requests', () => {
  test.each(cases)('$name → $status $code', async (c) => {
    const res = await raw(c.method, c.path, c.body, c.headers ?? {});
    const text = res.text;
    expect(res.status, text).toBe(c.status);
    expect(res.contentType).toMatch(/application\/json/);
    const err = errorResponse.parse(JSON.parse(text)).error;
    expect(err.code).toBe(c.code);
    if (c.message) expect(err.message).toMatch(c.message);
    // The agent is still fine, and the target untouched.
    expect((await agent.fetch('/health', { auth: false })).status).toBe(200);
  });

  test('at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  test('a malformed HTTP request gets a 400 and the agent stays up', async () => {
    const { port, hostname } = new URL(agent.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect({ port: Number(port), host: hostname });
      let data = '';
      sock.on('data', (d) => {
        data += d.toString();
      });
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      sock.write('GARBAGE / HTTP/9.9\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect((await agent.fetch('/health', { auth: false })).status).toBe(200);
    expect((await agent.json(`/agent/microvms/${vmName}`)).body).toMatchObject({ state: 'created' });
  });
});
