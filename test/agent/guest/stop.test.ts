// stopViaGuest, the first way of `microvm stop` (the only graceful one on aarch64), against a real
// fc-guest (test mode) behind a stand-in for Firecracker's vsock socket (CONNECT/OK, then relay).
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { stopViaGuest } from '../../../src/agent/guest/stop.ts';
import { vsockPath } from '../../../src/agent/guest/vsock.ts';
import type { Logger } from '../../../src/agent/log.ts';
import type { MicrovmEntry } from '../../../src/agent/microvm-entry.ts';
import { startTestGuest, type TestGuest } from '../../support/fc-guest.ts';
import { waitUntil } from '../../support/proc.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const log = { debug: () => undefined, info: () => undefined, error: () => undefined } as unknown as Logger;

/** Firecracker's host side of the vsock device, relaying to the test fc-guest. */
async function fakeVsock(dir: string, guestSocket: string): Promise<Server> {
  const server = createServer((s) => {
    s.once('data', (line: Buffer) => {
      if (!/^CONNECT \d+\n$/.test(line.toString())) return s.destroy();
      const g = connect(guestSocket, () => {
        s.write('OK 1073741824\n');
        s.pipe(g);
        g.pipe(s);
      });
      g.on('error', () => s.destroy());
      s.on('error', () => g.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(vsockPath(dir), r));
  return server;
}

async function setup(): Promise<{ guest: TestGuest; entry: MicrovmEntry }> {
  const guest = await startTestGuest();
  cleanups.push(() => guest.stop());
  const dir = await mkdtemp(join(tmpdir(), 'fcm-guest-stop-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const server = await fakeVsock(dir, guest.socket);
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  const entry = {
    vm: { name: 'vm', id: 'x', state: 'running', rootfs: '/r' },
    paths: { dir },
    rootfsCopied: true,
  };
  return { guest, entry: entry as unknown as MicrovmEntry };
}

describe('stopViaGuest', () => {
  test('fc-guest takes the shutdown; firecracker exiting in time makes it graceful', async () => {
    const { guest, entry } = await setup();
    const r = await stopViaGuest(entry, 2000, async () => true, log);
    expect(r).toMatchObject({
      stopped: true,
      message: expect.stringContaining('fc-guest shut the guest down'),
    });
    // In test mode, fc-guest's "power off" ends fc-guest itself.
    await waitUntil(() => guest.proc.exitCode !== null, 'fc-guest to end');
  });

  test('a guest that does not power off in time is not a graceful stop, and says why', async () => {
    const { entry } = await setup();
    const r = await stopViaGuest(entry, 300, async () => false, log);
    expect(r).toEqual({
      stopped: false,
      note: "the guest did not power off within 0.3s of fc-guest's shutdown",
    });
  });

  test('no guest agent (custom rootfs): nothing to ask, no note', async () => {
    const { entry } = await setup();
    (entry as unknown as { rootfsCopied: boolean }).rootfsCopied = false;
    expect(await stopViaGuest(entry, 1000, async () => true, log)).toEqual({ stopped: false, note: '' });
  });
});
