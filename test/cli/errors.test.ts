// Mistakes a newcomer makes on the command line, and the error each one gets: what failed, why,
// and the command that fixes it (issue 18, "Errors a user can act on").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LOG_TAIL, MAX_MEMORY_MIB } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { type CliEnv, cliEnv } from './harness.ts';

let agent: StartedAgent;
let cli: CliEnv;

beforeAll(async () => {
  agent = await startAgent();
  cli = await cliEnv(agent);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await cli?.cleanup();
});

describe('errors a user can act on', () => {
  it('a name that already exists: says how to remove it or pick another', async () => {
    expect((await cli.run(['run', '--background', '--name', 'dup'])).code).toBe(0);
    const r = await cli.run(['run', '--background', '--name', 'dup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a microVM named dup already exists/);
    expect(r.stderr).toContain('`fc-macos microvm rm --force dup`, or pick another --name');
    await cli.run(['microvm', 'rm', '--force', 'dup']);
  });

  it('--memory 99999999999: a range error naming the limit (exit 2), not "os error 12"', async () => {
    const r = await cli.run(['run', '--background', '--memory', '99999999999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`at most ${MAX_MEMORY_MIB}`);
    expect(r.stderr).not.toMatch(/os error/);
  });

  it('--memory above what the host has: the agent names the host limit, nothing is created', async () => {
    const r = await cli.run(['run', '--background', '--name', 'huge', '--memory', String(MAX_MEMORY_MIB)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/memory_mib: 1048576 MiB is more than this host has \(\d+ MiB in all\)/);
    expect((await cli.run(['microvm', 'list', '-q'])).stdout).not.toContain('huge');
  });

  it('-n 99999999999: a range error naming the limit (exit 2)', async () => {
    for (const args of [
      ['microvm', 'logs', 'x', '-n', '99999999999'],
      ['vm', 'logs', '-n', '99999999999'],
    ]) {
      const r = await cli.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(
        args[0] === 'vm' ? /from 1 to 100000/ : new RegExp(`from 0 to ${MAX_LOG_TAIL}`),
      );
    }
  });

  it("microvm rm '' is a usage error (exit 2), not a request", async () => {
    for (const args of [
      ['microvm', 'rm', ''],
      ['microvm', 'status', ''],
      ['microvm', 'stop', 'a', ''],
    ]) {
      const r = await cli.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^fc-macos: \w+: a NAME is empty; give a microVM name or id\n$/);
    }
  });

  it('setup --assets-url file:///nonexistent: exit 2 naming the flag, no raw ENOENT', async () => {
    const r = await cli.run(['setup', '--assets-url', 'file:///nonexistent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--assets-url.*\/nonexistent is not a directory/);
    expect(r.stderr).not.toContain('ENOENT');
    const bad = await cli.run(['setup', '--assets-url', 'ftp://mirror']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be an http:\/\/, https:\/\/ or file:\/\/ URL/);
  });
});

describe('fixes are printed as commands, sentences as sentences', () => {
  it('wraps only a bare command in "run `…`"', async () => {
    const { describeError } = await import('../../src/cli/describe-error.ts');
    const { HostError } = await import('../../src/host/errors.ts');
    expect(describeError(new HostError('host_down', 'the VM is stopped', 'fc-macos vm start')).message).toBe(
      'the VM is stopped: run `fc-macos vm start`',
    );
    const sentence =
      'add yourself to the kvm group with `sudo usermod -aG kvm "$USER"`, then log out and back in';
    expect(describeError(new HostError('kvm_unusable', '/dev/kvm is not writable', sentence)).message).toBe(
      `/dev/kvm is not writable: ${sentence}`,
    );
  });
});
