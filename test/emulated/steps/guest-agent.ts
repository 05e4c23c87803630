// The guest agent (fc-guest, issue 22) on real aarch64 guests: exec with its exit codes, stdin and a
// pty, cp both ways byte for byte, `run --wait`, and a stop the guest carries out itself.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { PtySession } from '../../cli/harness.ts';
import { statusOf } from '../support/guest.ts';
import type { EmulatedMac } from '../support/mac.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Registers the guest-agent steps; NAME is a running microVM with the default rootfs. */
export function guestAgentSteps(mac: () => EmulatedMac, name: string): void {
  it('G1. exec: exit codes 0, 1 and 137 come back; stdout and stderr stay apart; stdin reaches the command', async () => {
    const m = mac();
    expect((await m.fcm(['exec', name, '--', 'true'])).exitCode).toBe(0);
    expect((await m.fcm(['exec', name, '--', 'false'])).exitCode).toBe(1);
    expect((await m.fcm(['exec', name, '--', 'sh', '-c', 'kill -9 $$'])).exitCode).toBe(137);
    const split = await m.fcm(['exec', name, '--', 'sh', '-c', 'uname -m; echo to-stderr >&2; exit 3']);
    expect(split).toMatchObject({ exitCode: 3, stdout: 'aarch64\n', stderr: 'to-stderr\n' });
    const input = 'one\ntwo\nthree\n';
    const piped = await m.fcm(['exec', '-i', name, '--', 'cat'], 120_000, input);
    expect(piped).toMatchObject({ exitCode: 0, stdout: input });
    // Stdin to its end (EOF reaches the command), 1 MiB of it, byte for byte.
    const blob = randomBytes(1024 * 1024);
    const summed = await m.fcm(['exec', '-i', name, '--', 'sha256sum'], 120_000, blob);
    expect(summed.stdout.split(' ')[0]).toBe(sha256(blob));
    const env = await m.fcm([
      'exec',
      '-e',
      'GREETING=hi there',
      '-w',
      '/tmp',
      name,
      '--',
      'sh',
      '-c',
      'echo "$GREETING in $(pwd)"',
    ]);
    expect(env.stdout).toBe('hi there in /tmp\n');
  });

  it('G2. exec -t: a real pty in the guest; Ctrl+C reaches the guest process', async () => {
    const m = mac();
    const tty = new PtySession(m.wrapArgv(['exec', '-t', name, '--', 'sh', '-c', 'tty; stty size']), m.env);
    try {
      await tty.waitFor(/\/dev\/pts\/\d+\r*\n24 80\r*\n/, 120_000);
      expect(await tty.exited).toBe(0);
    } finally {
      await tty.kill();
    }
    const sleeper = new PtySession(
      m.wrapArgv(['exec', '-t', name, '--', 'sh', '-c', 'echo sleeping; exec sleep 600']),
      m.env,
    );
    try {
      await sleeper.waitFor(/sleeping/, 120_000);
      sleeper.write('\x03');
      // SIGINT from the guest's terminal, as docker exec -t: 128 + 2.
      expect(await sleeper.exited).toBe(130);
    } finally {
      await sleeper.kill();
    }
  });

  it('G3. cp: 10 MB in and out byte for byte, and a directory', async () => {
    const m = mac();
    const data = randomBytes(10 * 1024 * 1024);
    const local = join(m.dir, 'big.bin');
    writeFileSync(local, data);
    expect((await m.fcm(['cp', local, `${name}:/tmp/big.bin`], 10 * 60_000)).exitCode).toBe(0);
    const inGuest = await m.fcm(['exec', name, '--', 'sha256sum', '/tmp/big.bin']);
    expect(inGuest.stdout.split(' ')[0]).toBe(sha256(data));
    const back = join(m.dir, 'back.bin');
    expect((await m.fcm(['cp', `${name}:/tmp/big.bin`, back], 10 * 60_000)).exitCode).toBe(0);
    expect(sha256(readFileSync(back))).toBe(sha256(data));

    const tree = join(m.dir, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    writeFileSync(join(tree, 'a.txt'), 'alpha\n');
    writeFileSync(join(tree, 'sub', 'b.sh'), '#!/bin/sh\necho beta\n', { mode: 0o755 });
    expect((await m.fcm(['cp', tree, `${name}:/tmp/tree`])).exitCode).toBe(0);
    const listed = await m.fcm(['exec', name, '--', 'sh', '-c', 'cat /tmp/tree/a.txt; /tmp/tree/sub/b.sh']);
    expect(listed.stdout).toBe('alpha\nbeta\n');
  });

  it('G4. run --wait returns once the guest agent answers; status says ready; stop is the guest shutting down', async () => {
    const m = mac();
    const run = await m.fcm(['run', '-b', '--wait', '--name', 'gw']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/ready/);
    // Ready means exec works at once, with no retry.
    expect((await m.fcm(['exec', 'gw', '--', 'true'])).exitCode).toBe(0);
    const status = await m.fcm(['microvm', 'status', 'gw']);
    expect(status.stdout).toMatch(/ready/);

    const started = Date.now();
    const stop = await m.fcm(['microvm', 'stop', 'gw']);
    const secs = (Date.now() - started) / 1000;
    // Measured, not asserted (bench/emulated.ts compares it with the old 10 s wait and kill).
    console.log(
      `microvm stop gw through the guest agent: ${secs.toFixed(1)} s end to end (CLI start included)`,
    );
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toMatch(/the guest agent shut the guest down/);
    const after = await statusOf(m, 'gw');
    expect(after.state).not.toBe('running');
    expect(after.exit?.signal ?? null).toBeNull();
    expect((await m.fcm(['microvm', 'rm', 'gw'])).exitCode).toBe(0);
  });
}
