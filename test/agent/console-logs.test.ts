import { appendFile, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleSession } from '../../src/agent/console/session.ts';
import { CLOSE_MICROVM_EXITED } from '../../src/api/console.ts';
import { type ConsoleRig, makeRig, startServer, type TestServer, waitFor } from './console-support.ts';

let rig: ConsoleRig;
let session: ConsoleSession;
let server: TestServer;

beforeEach(async () => {
  rig = await makeRig();
  await writeFile(rig.log, 'boot line 1\r\nboot line 2\r\nlogin: ');
  session = await ConsoleSession.open({ log: rig.log, input: rig.input });
  server = await startServer(() => session, { firecrackerLog: rig.firecrackerLog });
});

afterEach(async () => {
  await server.close();
  await session.close(CLOSE_MICROVM_EXITED, 'test over');
  await rig.cleanup();
});

/** Reads a streaming response, exposing what has arrived so far and when it ended. */
async function stream(
  path: string,
): Promise<{ text: () => string; done: Promise<void>; type: string | null }> {
  const res = await fetch(server.url + path);
  expect(res.status).toBe(200);
  const body = res.body;
  if (!body) throw new Error('no body');
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for (;;) {
      const { value, done: end } = await reader.read();
      if (end) return;
      chunks.push(value);
    }
  })();
  return { text: () => Buffer.concat(chunks).toString('utf8'), done, type: res.headers.get('content-type') };
}

describe('serveLogs', () => {
  it('without follow: the whole history as text/plain', async () => {
    const res = await fetch(`${server.url}/logs`);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('boot line 1\r\nboot line 2\r\nlogin: ');
  });

  it('tail=N: the last N lines, the unfinished one included', async () => {
    expect(await (await fetch(`${server.url}/logs?tail=2`)).text()).toBe('boot line 2\r\nlogin: ');
    expect(await (await fetch(`${server.url}/logs?tail=0`)).text()).toBe('');
    expect(await (await fetch(`${server.url}/logs?tail=99`)).text()).toBe(
      'boot line 1\r\nboot line 2\r\nlogin: ',
    );
  });

  it('follow: the tail, then live output, until the microVM is no longer alive', async () => {
    const s = await stream('/logs?tail=1&follow=1');
    await waitFor('the tail', () => s.text() === 'login: ');
    await appendFile(rig.log, 'root\r\n# ');
    await waitFor('live output', () => s.text() === 'login: root\r\n# ');
    server.alive = false;
    await s.done;
    expect(s.text()).toBe('login: root\r\n# ');
  });

  it('follow ends when the session closes (microVM exited)', async () => {
    const s = await stream('/logs?follow=1');
    await waitFor('the history', () => s.text().endsWith('login: '));
    await appendFile(rig.log, 'reboot: Restarting system\r\n');
    await session.close(CLOSE_MICROVM_EXITED, 'exited');
    await s.done;
    expect(s.text()).toBe('boot line 1\r\nboot line 2\r\nlogin: reboot: Restarting system\r\n');
  });

  it('follow on a microVM that is not alive just answers the tail', async () => {
    server.alive = false;
    const s = await stream('/logs?tail=1&follow=1');
    await s.done;
    expect(s.text()).toBe('login: ');
  });

  it('source=firecracker: tail and follow firecracker.log', async () => {
    await writeFile(rig.firecrackerLog, 'fc line 1\nfc line 2\nfc line 3\n');
    expect(await (await fetch(`${server.url}/logs?source=firecracker`)).text()).toBe(
      'fc line 1\nfc line 2\nfc line 3\n',
    );
    expect(await (await fetch(`${server.url}/logs?source=firecracker&tail=2`)).text()).toBe(
      'fc line 2\nfc line 3\n',
    );
    const s = await stream('/logs?source=firecracker&tail=1&follow=1');
    await waitFor('the tail', () => s.text() === 'fc line 3\n');
    await appendFile(rig.firecrackerLog, 'fc line 4\n');
    await waitFor('live line', () => s.text() === 'fc line 3\nfc line 4\n');
    server.alive = false;
    await s.done;
  });

  it('source=firecracker with no firecracker.log yet answers empty', async () => {
    expect(await (await fetch(`${server.url}/logs?source=firecracker`)).text()).toBe('');
  });

  it('tail of a long firecracker.log reads only the end', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `fc line ${i}\n`).join('');
    await writeFile(rig.firecrackerLog, lines);
    expect(await (await fetch(`${server.url}/logs?source=firecracker&tail=3`)).text()).toBe(
      'fc line 19997\nfc line 19998\nfc line 19999\n',
    );
  });
});
