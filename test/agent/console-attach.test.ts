import { readFile, stat } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleSession } from '../../src/agent/console/session.ts';
import { CLOSE_CLIENT_TOO_SLOW, CLOSE_MICROVM_DELETED, CLOSE_MICROVM_EXITED } from '../../src/api/console.ts';
import {
  type Client,
  type ConsoleRig,
  connect,
  makeRig,
  spamOutput,
  startServer,
  type TestServer,
  waitFor,
} from './console-support.ts';

let rig: ConsoleRig;
let session: ConsoleSession;
let server: TestServer;
const clients: Client[] = [];

async function setup(
  opts: { historyBytes?: number; maxLogBytes?: number; maxBufferedBytes?: number } = {},
): Promise<void> {
  await rig.startWriter();
  session = await ConsoleSession.open(
    { log: rig.log, input: rig.input },
    {
      ...(opts.historyBytes ? { historyBytes: opts.historyBytes } : {}),
      ...(opts.maxLogBytes ? { maxLogBytes: opts.maxLogBytes } : {}),
    },
  );
  server = await startServer(() => session, {
    attach: opts.maxBufferedBytes ? { maxBufferedBytes: opts.maxBufferedBytes } : {},
  });
}

async function client(): Promise<Client> {
  const c = await connect(server.wsUrl);
  clients.push(c);
  return c;
}

beforeEach(async () => {
  rig = await makeRig();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await server?.close();
  await session?.close(CLOSE_MICROVM_EXITED, 'test over');
  await rig.cleanup();
});

describe('console WebSocket', () => {
  it('sends the history first, then live output, with no gap or duplicate for clients attaching mid-stream', async () => {
    await setup({ historyBytes: 2048 });
    let size = 0;
    for (let i = 0; i < 12; i++) {
      const cmd = `spam ${10 + i}\n`;
      size += cmd.length + spamOutput(10 + i).length;
      // Not awaited: output keeps flowing while the next client attaches.
      void session.write(Buffer.from(cmd));
      await client();
    }
    await waitFor('all output in console.log', async () => (await stat(rig.log)).size === size);
    // The writer may batch commands, so the file (never cut here) is the reference.
    const all = await readFile(rig.log);
    for (const c of clients) {
      await waitFor('the client has the end of the output', () =>
        c.received().toString().endsWith(spamOutput(21).slice(-100)),
      );
      const got = c.received();
      // Exactly a suffix of everything written: a gap or a doubled chunk would break this.
      expect(got.equals(all.subarray(all.length - got.length))).toBe(true);
    }
  });

  it('gives a re-attaching client the same history, byte for byte', async () => {
    await setup();
    const a = await client();
    a.ws.send(Buffer.from('spam 30\n'));
    await waitFor('output', () => a.received().toString().endsWith(spamOutput(30)));
    a.ws.close();
    await a.closed;
    const b = await client();
    const file = await readFile(rig.log);
    expect(b.frames[0]?.equals(file)).toBe(true);
    expect(b.frames[0]?.equals(a.received())).toBe(true);
    const c = await client();
    expect(c.frames[0]?.equals(b.frames[0] ?? Buffer.alloc(1))).toBe(true);
  });

  it('serves many clients; input from any of them (binary or text) reaches the guest and every client sees the output', async () => {
    await setup();
    const all = [await client(), await client(), await client(), await client()];
    all[1]?.ws.send('echo hi\n');
    await waitFor('first echo everywhere', () =>
      all.every((c) => c.received().toString().includes('hi\r\n')),
    );
    all[3]?.ws.send(Buffer.from('echo there\n'), { binary: true });
    await waitFor('second echo everywhere', () =>
      all.every((c) => c.received().toString() === 'echo hi\nhi\r\necho there\nthere\r\n'),
    );
  });

  it('detaching leaves the microVM and the other clients alone', async () => {
    await setup();
    const a = await client();
    const b = await client();
    a.ws.close();
    expect((await a.closed).code).toBe(1005);
    b.ws.terminate();
    await b.closed;
    expect(rig.writer?.exitCode).toBeNull();
    const c = await client();
    c.ws.send('echo still here\n');
    await waitFor('output after detaches', () => c.received().toString().includes('still here\r\n'));
  });

  it('drops a client that does not read its output, with a close code, and keeps serving the others', async () => {
    await setup({ maxBufferedBytes: 1024 * 1024, historyBytes: 1024, maxLogBytes: 64 * 1024 * 1024 });
    const fast = await client();
    const slow = await client();
    // Stop reading on the slow client's TCP socket: the agent's send buffer fills up.
    const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
    slowSocket.pause();
    const n = 150_000;
    fast.ws.send(`spam ${n}\n`);
    const tail = spamOutput(n).slice(-200);
    await waitFor('the fast client got everything', () => fast.received().toString().endsWith(tail), 60_000);
    slowSocket.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(CLOSE_CLIENT_TOO_SLOW);
    expect(closed.reason).toMatch(/too slow/);
    expect(slow.received().length).toBeLessThan(fast.received().length);
    expect(fast.ws.readyState).toBe(fast.ws.OPEN);
  });

  it('closes every client with the session close code and reason', async () => {
    await setup();
    const a = await client();
    const b = await client();
    await session.close(CLOSE_MICROVM_EXITED, 'firecracker exited with code 0');
    expect(await a.closed).toEqual({ code: CLOSE_MICROVM_EXITED, reason: 'firecracker exited with code 0' });
    expect(await b.closed).toEqual({ code: CLOSE_MICROVM_EXITED, reason: 'firecracker exited with code 0' });
  });

  it('a client attaching to a closed session gets the history, then the close code', async () => {
    await setup();
    const a = await client();
    a.ws.send('echo last words\n');
    await waitFor('output', () => a.received().toString().includes('last words\r\n'));
    await session.close(CLOSE_MICROVM_DELETED, 'microVM deleted');
    const late = await client();
    expect(late.frames[0]?.toString()).toBe('echo last words\nlast words\r\n');
    expect(await late.closed).toEqual({ code: CLOSE_MICROVM_DELETED, reason: 'microVM deleted' });
  });
});
