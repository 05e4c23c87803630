// The console through a real fc-agent and the Firecracker double: WebSocket with the token, two
// clients, then kill -9 of the agent and a re-attach to the new one.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLOSE_MICROVM_DELETED } from '../../src/api/console.ts';
import { type Microvm, microvm } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { waitFor } from './console-support.ts';

let agent: StartedAgent | null = null;
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await agent?.stop();
  agent = null;
});

interface Attached {
  ws: WebSocket;
  frames: Buffer[];
  text(): string;
  closed: Promise<{ code: number; reason: string }>;
}

async function attach(a: StartedAgent, id: string, token = a.token): Promise<Attached> {
  const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/agent/microvms/${id}/console`, {
    headers: { authorization: `Bearer ${token}` },
  });
  sockets.push(ws);
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor('the history frame', () => frames.length > 0);
  return { ws, frames, text: () => Buffer.concat(frames).toString('utf8'), closed };
}

async function create(a: StartedAgent, name: string): Promise<Microvm> {
  const res = await a.json('/agent/microvms', { method: 'POST', body: JSON.stringify({ name }) });
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
  return microvm.parse(res.body);
}

describe('console through fc-agent (Firecracker double)', () => {
  it('two clients share the console; after kill -9 and restart the history is the same, byte for byte', async () => {
    agent = await startAgent();
    const a = agent;
    const vm = await create(a, 'con1');
    const first = await attach(a, vm.id);
    await waitFor('the shell prompt', () => first.text().includes('/ # '));
    first.ws.send(Buffer.from('echo hi\r'));
    await waitFor('hi', () => first.text().includes('echo hi\r\nhi\r\n/ # '));
    const second = await attach(a, vm.name);
    // The second client's history already holds the first client's exchange.
    expect(second.frames[0]?.toString()).toContain('echo hi\r\nhi\r\n');
    second.ws.send('echo from two\r');
    await waitFor('both see the second command', () =>
      [first, second].every((c) => c.text().includes('from two\r\n/ # ')),
    );
    const before = Buffer.concat(first.frames);
    expect(before.toString()).toContain('Linux version');

    await a.kill9();
    await a.restart();
    const again = await attach(a, vm.id);
    // Everything the first client saw, since all of it fits in the history.
    expect(again.frames[0]?.equals(before)).toBe(true);
    again.ws.send('echo after restart\r');
    await waitFor('new output after restart', () => again.text().endsWith('after restart\r\n/ # '));

    // Deleting the microVM ends the attached client with its close code.
    const del = await a.fetch(`/agent/microvms/${vm.id}`, { method: 'DELETE' });
    expect(del.status).toBeLessThan(300);
    expect((await again.closed).code).toBe(CLOSE_MICROVM_DELETED);
  });

  it('refuses a console upgrade without the right token', async () => {
    agent = await startAgent();
    const vm = await create(agent, 'con2');
    await expect(attach(agent, vm.id, 'wrong-token')).rejects.toThrow(/401/);
  });
});
