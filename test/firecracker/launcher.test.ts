// The launcher: how a firecracker process is started (args, session, stdio) and how each way it
// can fail to come up is reported.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FirecrackerLaunchError } from '../../src/firecracker/errors.ts';
import { firecrackerVersion, launchFirecracker } from '../../src/firecracker/launcher.ts';
import { killGroup, realTarget, useVmms } from './harness.ts';

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

async function launchError(p: Promise<unknown>): Promise<FirecrackerLaunchError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FirecrackerLaunchError);
  return err as FirecrackerLaunchError;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('launchFirecracker failure paths', () => {
  const { tempDir } = useVmms();

  it('a missing binary is named in the error', async () => {
    const dir = await tempDir();
    const binary = join(dir, 'no-firecracker');
    const err = await launchError(launchFirecracker({ binary, socketPath: join(dir, 'fc.sock'), id: 'vm1' }));
    expect(err.code).toBe('firecracker_launch_failed');
    expect(err.message).toContain(`firecracker binary ${binary} is not found`);
    expect(err.exitCode).toBeNull();
  });

  it('a binary that is not executable is named in the error', async () => {
    const dir = await tempDir();
    const binary = join(dir, 'firecracker');
    writeFileSync(binary, 'not a program');
    chmodSync(binary, 0o644);
    const err = await launchError(launchFirecracker({ binary, socketPath: join(dir, 'fc.sock'), id: 'vm1' }));
    expect(err.message).toContain(`${binary} is not executable`);
  });

  it('a process that exits early is reported with its exit code and the tail of its output', async () => {
    const dir = await tempDir();
    const binary = script(dir, 'fc', 'echo "stdout says hello"\necho "Error: bad flag --frob" >&2\nexit 3');
    const err = await launchError(
      launchFirecracker({
        binary,
        socketPath: join(dir, 'fc.sock'),
        id: 'vm1',
        stdoutPath: join(dir, 'out.log'),
      }),
    );
    expect(err.exitCode).toBe(3);
    expect(err.signal).toBeNull();
    expect(err.message).toContain(`exited with code 3 before opening its API socket ${join(dir, 'fc.sock')}`);
    expect(err.stderrTail).toContain('Error: bad flag --frob');
    expect(err.stderrTail).toContain('stdout says hello');
    // Default stderr file sits next to the socket.
    expect(readFileSync(join(dir, 'fc.sock.stderr'), 'utf8')).toContain('bad flag');
  });

  it('passes --api-sock, --id, --level and --log-path, then extra args', async () => {
    const dir = await tempDir();
    const argsFile = join(dir, 'args');
    const binary = script(dir, 'fc', `printf '%s\\n' "$@" > ${argsFile}\nexit 0`);
    const socketPath = join(dir, 'fc.sock');
    const err = await launchError(
      launchFirecracker({
        binary,
        socketPath,
        id: 'my-vm',
        logPath: join(dir, 'fc.log'),
        extraArgs: ['--boot-timer'],
      }),
    );
    expect(err.exitCode).toBe(0);
    expect(readFileSync(argsFile, 'utf8').trim().split('\n')).toEqual([
      '--api-sock',
      socketPath,
      '--id',
      'my-vm',
      '--level',
      'Warning',
      '--log-path',
      join(dir, 'fc.log'),
      '--boot-timer',
    ]);
  });

  it('a process that never opens its socket is killed and reported after waitMs', async () => {
    const dir = await tempDir();
    const pidFile = join(dir, 'pid');
    const binary = script(dir, 'fc', `echo $$ > ${pidFile}\necho "starting up" >&2\nexec sleep 60`);
    const err = await launchError(
      launchFirecracker({ binary, socketPath: join(dir, 'fc.sock'), id: 'vm1', waitMs: 500 }),
    );
    expect(err.message).toContain(
      `did not open its API socket ${join(dir, 'fc.sock')} within 500 ms and was killed`,
    );
    expect(err.signal).toBe('SIGKILL');
    expect(err.stderrTail).toContain('starting up');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(pid)).toBe(false);
  });

  it('refuses a socket path another process is listening on', async () => {
    const dir = await tempDir();
    const socketPath = join(dir, 'fc.sock');
    const holder = spawn(
      process.execPath,
      ['-e', `require('net').createServer().listen(${JSON.stringify(socketPath)})`],
      {
        detached: true,
        stdio: 'ignore',
      },
    );
    try {
      for (let i = 0; i < 200 && !existsSync(socketPath); i++) await new Promise((r) => setTimeout(r, 25));
      const binary = script(dir, 'fc', 'exec sleep 60');
      const err = await launchError(launchFirecracker({ binary, socketPath, id: 'vm1' }));
      expect(err.message).toContain(`API socket ${socketPath} is already in use`);
    } finally {
      const exited = new Promise((r) => holder.once('exit', r));
      if (holder.pid !== undefined) killGroup(holder.pid);
      await exited;
    }
  });
});

describe.skipIf(!realTarget)('launchFirecracker with real Firecracker', () => {
  const { start, tempDir } = useVmms();
  const binary = realTarget?.binary ?? '';

  it('starts it detached in its own session with stdio on files, and the API answers', async () => {
    const dir = await tempDir();
    const stdinPath = join(dir, 'stdin');
    writeFileSync(stdinPath, '');
    const stdin = openSync(stdinPath, 'r');
    try {
      const vmm = await start(binary, { dir, id: 'launched', stdin, stdoutPath: join(dir, 'console.out') });
      const { pid } = vmm.launched;
      // Field 6 of /proc/<pid>/stat is the session id: setsid makes it the pid itself.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      expect(Number(fields[3])).toBe(pid);
      expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe(stdinPath);
      expect(readlinkSync(`/proc/${pid}/fd/1`)).toBe(join(dir, 'console.out'));
      expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe(`${vmm.socketPath}.stderr`);
      expect(await vmm.client.describeInstance()).toMatchObject({ id: 'launched', state: 'Not started' });
    } finally {
      closeSync(stdin);
    }
  });

  it('replaces a socket file left behind by a dead firecracker', async () => {
    const first = await start(binary);
    killGroup(first.launched.pid);
    expect(await first.launched.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(existsSync(first.socketPath)).toBe(true);
    const second = await start(binary, { dir: first.dir });
    expect((await second.client.describeInstance()).state).toBe('Not started');
  });

  it('reports a firecracker that refuses its arguments with its own words', async () => {
    const dir = await tempDir();
    const err = await launchError(
      launchFirecracker({
        binary,
        socketPath: join(dir, 'fc.sock'),
        id: 'vm1',
        extraArgs: ['--no-such-flag'],
        stdoutPath: join(dir, 'out.log'),
      }),
    );
    expect(err.exitCode).not.toBe(0);
    expect(err.exitCode).not.toBeNull();
    expect(err.stderrTail).toMatch(/no-such-flag/);
  });

  it('firecrackerVersion reads `--version` and agrees with GET /version', async () => {
    const version = await firecrackerVersion(binary);
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    const vmm = await start(binary);
    expect((await vmm.client.getVersion()).firecracker_version).toBe(version);
    expect(execFileSync(binary, ['--version'], { encoding: 'utf8' })).toContain(`Firecracker v${version}`);
  });
});

describe('firecrackerVersion failures', () => {
  const { tempDir } = useVmms();

  it('names a missing binary', async () => {
    const dir = await tempDir();
    const err = await launchError(firecrackerVersion(join(dir, 'nope')));
    expect(err.message).toBe(`${join(dir, 'nope')} --version failed: not found`);
  });

  it('refuses output without a version', async () => {
    const dir = await tempDir();
    const err = await launchError(firecrackerVersion(script(dir, 'fc', 'echo hello')));
    expect(err.message).toContain('printed no "Firecracker vX.Y.Z"');
  });
});
