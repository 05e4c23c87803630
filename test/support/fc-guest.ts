// Runs the fc-guest binary on this machine in its test mode (a Unix socket in a fresh temp dir).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuestClient, type GuestTarget } from '../../src/agent/guest/index.ts';
import { guestBin } from './paths.ts';
import { gone, waitUntil } from './proc.ts';

export interface TestGuest {
  dir: string;
  socket: string;
  target: GuestTarget;
  proc: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

export async function startTestGuest(): Promise<TestGuest> {
  if (!existsSync(guestBin)) throw new Error(`${guestBin} is missing: run node scripts/build-guest.mjs`);
  const dir = await mkdtemp(join(tmpdir(), 'fcm-guest-'));
  const socket = join(dir, 'fc-guest.sock');
  const proc = spawn(guestBin, ['--listen-unix', socket, '-v'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    if (proc.pid) await gone(proc.pid);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntil(() => existsSync(socket) || proc.exitCode !== null, 'fc-guest to listen', 5000);
    if (proc.exitCode !== null) throw new Error(`fc-guest exited ${proc.exitCode}: ${err}`);
    // The socket file appears at bind(), a moment before listen(): wait for an answer.
    const client = new GuestClient({ kind: 'unix', path: socket });
    await waitUntil(
      () =>
        client.ping().then(
          () => true,
          () => false,
        ),
      'fc-guest to answer a ping',
      5000,
    );
  } catch (e) {
    await stop();
    throw e;
  }
  return { dir, socket, target: { kind: 'unix', path: socket }, proc, stderr: () => err, stop };
}
