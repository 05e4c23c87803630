// fc-macos exec and cp, run as the built CLI against an agent whose double relays the microVM's
// vsock to a real fc-guest (test mode) on this machine.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVm } from '../agent/harness.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { startTestGuest, type TestGuest } from '../support/fc-guest.ts';
import { cliBin } from '../support/paths.ts';
import { type CliEnv, cliEnv, PtySession } from './harness.ts';

let guest: TestGuest;
let agent: StartedAgent;
let cli: CliEnv;
let work: string;

beforeAll(async () => {
  guest = await startTestGuest();
  agent = await startAgent({ env: { ...process.env, FC_DOUBLE_GUEST_SOCKET: guest.socket } });
  cli = await cliEnv(agent);
  work = await mkdtemp(join(tmpdir(), 'fcm-cli-guest-'));
  await createVm(agent, { name: 'box' });
});
afterAll(async () => {
  await cli?.cleanup();
  await agent?.stop();
  await guest?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('fc-macos exec', () => {
  it('propagates the exit code and keeps stdout and stderr apart', async () => {
    expect((await cli.run(['exec', 'box', '--', 'true'])).code).toBe(0);
    expect((await cli.run(['exec', 'box', '--', 'false'])).code).toBe(1);
    expect((await cli.run(['exec', 'box', '--', 'sh', '-c', 'kill -9 $$'])).code).toBe(137);
    const r = await cli.run(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    expect(r).toEqual({ code: 7, stdout: 'out\n', stderr: 'err\n' });
  });

  it('-i passes stdin; -e, -w and -u apply', async () => {
    const r = await cli.run(
      [
        'exec',
        '-i',
        '-e',
        'A=1',
        '-e',
        'B=two words',
        '-w',
        '/tmp',
        '-u',
        'nobody',
        'box',
        '--',
        'sh',
        '-c',
        'cat; echo "$A|$B|$(pwd)|$(id -un)"',
      ],
      { input: 'piped in\n' },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'piped in\n1|two words|/tmp|nobody\n' });
    // Without -i the command reads /dev/null, not our stdin.
    expect((await cli.run(['exec', 'box', '--', 'cat'], { input: 'ignored' })).stdout).toBe('');
  });

  it('a missing command exits 127, like a shell; --timeout kills with 137', async () => {
    const r = await cli.run(['exec', 'box', '--', '/no/such/cmd']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('/no/such/cmd');
    const t = await cli.run(['exec', '--timeout', '0.5', 'box', '--', 'sleep', '30']);
    expect(t.code).toBe(137);
    expect(t.stderr).toContain('--timeout');
  });

  it('-t gives a pty: output arrives as one stream with \\r\\n', async () => {
    const r = await cli.run(['exec', '-t', 'box', '--', 'sh', '-c', 'tty; echo err >&2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/dev\/pts\/\d+\r\nerr\r\n$/);
    expect(r.stderr).toBe('');
  });

  it('a custom rootfs says it has no guest agent', async () => {
    const custom = join(work, 'custom.ext4');
    await writeFile(custom, Buffer.alloc(64 * 1024));
    await createVm(agent, { name: 'plain', rootfs: custom });
    const r = await cli.run(['exec', 'plain', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no guest agent in this rootfs');
  });
});

describe('fc-macos cp', () => {
  const sha = async (p: string) =>
    createHash('sha256')
      .update(await readFile(p))
      .digest('hex');

  it('copies a directory in and out (docker cp rules), byte-identical with modes', async () => {
    const src = join(work, 'proj');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub', 'data.bin'), randomBytes(2 * 1024 * 1024 + 3), { mode: 0o640 });
    await writeFile(join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const guestDir = join(work, 'guest-srv');
    await mkdir(guestDir);
    const up = await cli.run(['cp', src, `box:${guestDir}`]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`to box:${join(guestDir, 'proj')}`);
    expect(await sha(join(guestDir, 'proj', 'sub', 'data.bin'))).toBe(
      await sha(join(src, 'sub', 'data.bin')),
    );

    const outDir = join(work, 'out');
    await mkdir(outDir);
    const down = await cli.run(['--json', 'cp', `box:${join(guestDir, 'proj')}`, outDir]);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ files: 2, dirs: 2, dest: join(outDir, 'proj') });
    expect(await sha(join(outDir, 'proj', 'sub', 'data.bin'))).toBe(await sha(join(src, 'sub', 'data.bin')));
    expect((await stat(join(outDir, 'proj', 'run.sh'))).mode & 0o777).toBe(0o755);
  });

  it('refuses two local paths, a relative guest path, and reports a missing source', async () => {
    expect((await cli.run(['cp', 'a', 'b'])).code).toBe(2);
    const rel = await cli.run(['cp', 'box:relative', work]);
    expect(rel.code).toBe(2);
    expect(rel.stderr).toContain('must be absolute');
    const missing = await cli.run(['cp', 'box:/no/such/file', work]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('/no/such/file');
  });
});

describe('readiness', () => {
  it('run --wait returns once the guest agent answers; status shows it ready', async () => {
    const r = await cli.run(['run', '--background', '--wait', '--name', 'waiter']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('microVM waiter is ready (guest agent fc-guest');
    const s = await cli.run(['microvm', 'status', 'waiter']);
    expect(s.stdout).toMatch(/Guest:\s+ready \(fc-guest \d+\.\d+\.\d+, up \d+s\)/);
    const plain = await cli.run(['microvm', 'status', 'plain']);
    expect(plain.stdout).toMatch(/Guest:\s+none \(custom rootfs\)/);
  });
});

describe('fc-macos exec -it in a terminal', () => {
  it('is raw: Ctrl+C reaches the guest command, the exit code comes back, the terminal is restored', async () => {
    const script = 'stty -g; "$@"; echo "exit=$?"; stty -g';
    const s = new PtySession(
      [
        'sh',
        '-c',
        script,
        'sh',
        process.execPath,
        cliBin,
        'exec',
        '-it',
        'box',
        '--',
        'sh',
        '-c',
        'trap "echo got-int; exit 9" INT; echo armed; while :; do sleep 0.1; done',
      ],
      cli.env,
    );
    try {
      await s.waitFor(/armed/);
      s.write('\x03');
      await s.waitFor(/got-int/);
      const m = await s.waitFor(/exit=(\d+)\r?\n([0-9a-f:]+)\r?\n/);
      expect(Number(m[1])).toBe(9);
      const stty = s.text().match(/^[0-9a-f]+(?::[0-9a-f]+){10,}\r?$/gm) ?? [];
      expect(stty.length).toBe(2);
      expect(stty[0]?.trim()).toBe(stty[1]?.trim());
    } finally {
      await s.exited;
    }
  });
});
