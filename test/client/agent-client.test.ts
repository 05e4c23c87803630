// The SDK against a real fc-agent (Firecracker double): typed results, passthrough, console,
// logs, and one typed error per failing layer. A tiny loopback server stands in for answers no
// real agent gives (a foreign body, no answer at all).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AgentApiError,
  AgentAuthError,
  AgentClient,
  AgentProtocolError,
  AgentUnreachableError,
  type ConsoleEnd,
} from '../../src/client/index.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';

let agent: StartedAgent;
let client: AgentClient;

beforeAll(async () => {
  agent = await startAgent();
  client = new AgentClient({ baseUrl: agent.url, token: agent.token });
}, 60_000);

afterAll(async () => {
  await agent?.stop();
});

async function collectUntil(conn: AsyncIterable<Buffer>, pattern: RegExp): Promise<string> {
  let text = '';
  for await (const chunk of conn) {
    text += chunk.toString('utf8');
    if (pattern.test(text)) return text;
  }
  throw new Error(`the console ended before ${pattern}: ${JSON.stringify(text)}`);
}

describe('routes', () => {
  it('health, version, create, list, get, pause/resume, stop, delete', async () => {
    expect((await client.health()).status).toBe('ok');
    expect((await client.version()).agent).toMatch(/\d/);
    const vm = await client.createMicrovm({ name: 'sdk1', vcpus: 2 });
    expect(vm).toMatchObject({ name: 'sdk1', vcpus: 2, state: 'running' });
    expect((await client.listMicrovms()).map((m) => m.name)).toEqual(['sdk1']);
    expect((await client.getMicrovm(vm.id.slice(0, 6))).name).toBe('sdk1');
    expect((await client.pause('sdk1')).state).toBe('paused');
    expect((await client.resume('sdk1')).state).toBe('running');
    const stats = await client.stats();
    expect(stats.microvms.map((m) => m.name)).toEqual(['sdk1']);
    const stopped = await client.stop('sdk1', { timeout_s: 5 });
    expect(stopped.stop.graceful).toBe(true);
    expect(stopped.microvm.state).toBe('stopped');
    const removed = await client.deleteMicrovm('sdk1');
    expect(removed?.name).toBe('sdk1');
    expect(await client.listMicrovms()).toEqual([]);
  });

  it("throws AgentApiError with the agent's code and status", async () => {
    const err = await client.getMicrovm('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentApiError);
    expect(err).toMatchObject({ code: 'not_found', status: 404 });
    const bad = await client.createMicrovm({ vcpus: 99 }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'validation_failed', status: 400 });
  });
});

describe('Firecracker passthrough', () => {
  it("returns Firecracker's answers, errors included, and throws only the agent's own", async () => {
    await client.createMicrovm({ name: 'pt', start: false });
    const ok = await client.firecracker('pt', 'GET', '/machine-config');
    expect(ok).toEqual({ status: 200, body: expect.objectContaining({ vcpu_count: 1, mem_size_mib: 128 }) });
    const put = await client.firecracker('pt', 'PATCH', '/machine-config', { vcpu_count: 2 });
    expect(put).toEqual({ status: 204, body: null });
    const fault = await client.firecracker('pt', 'PUT', '/actions', { action_type: 'FlushMetrics' });
    expect(fault.status).toBe(400);
    expect(fault.body).toEqual({ fault_message: expect.stringContaining('not supported before starting') });
    const missing = await client.firecracker('nope', 'GET', '/').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(AgentApiError);
    await client.deleteMicrovm('pt');
  });
});

describe('console', () => {
  it('gets the history first, relays input, iterates output, detaches with "detached"', async () => {
    await client.createMicrovm({ name: 'con' });
    const conn = await client.attachConsole('con');
    // Nobody listened yet: the history waited for the first reader.
    await new Promise((r) => setTimeout(r, 200));
    const history = await collectUntil(conn, /Linux version[\s\S]*\/ # $/);
    expect(history.startsWith('[')).toBe(true);
    conn.write('echo sdk-hello\r');
    expect(await collectUntil(conn, /sdk-hello\r\n\/ # $/)).toContain('echo sdk-hello\r\nsdk-hello\r\n');
    const end = await conn.close();
    expect(end).toMatchObject({ kind: 'detached', code: 1000 });
    expect((await client.getMicrovm('con')).state).toBe('running');
  });

  it('ends with kind "exited" when the guest powers off, and the connection ends on delete', async () => {
    const conn = await client.attachConsole('con');
    const ends: ConsoleEnd[] = [];
    conn.on('end', (e) => ends.push(e));
    conn.write('poweroff\r');
    expect(await conn.ended).toMatchObject({ kind: 'exited', code: 4000 });
    expect(ends).toHaveLength(1);
    await client.createMicrovm({ name: 'del' });
    const c2 = await client.attachConsole('del');
    await client.deleteMicrovm('del');
    // Attached clients are told it was deleted, not merely that it exited.
    expect(await c2.ended).toMatchObject({ kind: 'deleted', code: 4001 });
    await client.deleteMicrovm('con');
  });

  it('refuses with typed errors before the upgrade', async () => {
    await expect(client.attachConsole('nope')).rejects.toMatchObject({ code: 'not_found', status: 404 });
    const anon = new AgentClient({ baseUrl: agent.url, token: 'wrong' });
    await expect(anon.attachConsole('nope')).rejects.toBeInstanceOf(AgentAuthError);
  });
});

describe('logs', () => {
  it('reads a tail and follows until the microVM exits', async () => {
    await client.createMicrovm({ name: 'lg' });
    // "created" means Firecracker started the guest, not that its boot output has all reached the
    // agent yet: wait for the prompt the way a user would, by reading the log again.
    let tail = '';
    for (let i = 0; i < 100 && tail !== '/ # '; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      tail = await client.logs('lg', { tail: 1 });
    }
    expect(tail).toBe('/ # ');
    const seen: string[] = [];
    // With a non-empty tail the answer starts at once, and the agent is then subscribed.
    const stream = await client.logs('lg', { follow: true, tail: 1 });
    const done = (async () => {
      for await (const chunk of stream) seen.push(Buffer.from(chunk).toString('utf8'));
    })();
    const conn = await client.attachConsole('lg');
    conn.write('poweroff\r');
    await done;
    expect(seen.join('')).toMatch(/^\/ # [\s\S]*reboot: Restarting system/);
    await conn.ended;
    await client.deleteMicrovm('lg');
  });
});

describe('errors by layer', () => {
  it('AgentAuthError on a wrong or missing token, with the hint the caller gave', async () => {
    const c = new AgentClient({ baseUrl: agent.url, token: 'wrong', authHint: 'do X' });
    const err = await c.listMicrovms().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentAuthError);
    expect((err as Error).message).toBe(`the agent at ${agent.url} refused the token (wrong token): do X`);
    await expect(new AgentClient({ baseUrl: agent.url }).listMicrovms()).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('AgentUnreachableError when nothing listens, naming the URL and the fix', async () => {
    const dead = await startAgent();
    const url = dead.url;
    await dead.stop();
    const c = new AgentClient({ baseUrl: url, token: 't', unreachableHint: 'run `fc-macos vm start`' });
    const err = await c.listMicrovms().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentUnreachableError);
    expect((err as Error).message).toBe(
      `the agent at ${url} is not answering (connection refused): run \`fc-macos vm start\``,
    );
    await expect(c.attachConsole('x')).rejects.toBeInstanceOf(AgentUnreachableError);
  });

  describe('with a server that is not an agent', () => {
    let server: Server;
    let url = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url === '/agent/microvms') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"vms":[]}');
        } else if (req.url === '/agent/version') {
          res.writeHead(500).end('<html>oops</html>');
        }
        // Anything else: never answered.
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });

    it('AgentProtocolError for a body of another shape or without the error shape', async () => {
      const c = new AgentClient({ baseUrl: url });
      const shape = await c.listMicrovms().catch((e: unknown) => e);
      expect(shape).toBeInstanceOf(AgentProtocolError);
      expect((shape as Error).message).toMatch(/unexpected shape \(microvms: /);
      const html = await c.version().catch((e: unknown) => e);
      expect(html).toBeInstanceOf(AgentProtocolError);
      expect((html as Error).message).toContain('HTTP 500');
    });

    it('AgentUnreachableError after the timeout when no answer comes', async () => {
      const c = new AgentClient({ baseUrl: url, timeoutMs: 300 });
      const err = await c.health().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AgentUnreachableError);
      expect((err as Error).message).toBe(`the agent at ${url} is not answering (no answer within 0s)`);
    });
  });
});
