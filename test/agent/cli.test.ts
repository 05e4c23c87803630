// fc-agent's command line: --version, bad values (one line, exit 2), the token file rules,
// --insecure-no-auth only on loopback, and a firecracker binary that is not there.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { agentBin } from '../support/paths.ts';
import { asError } from './harness.ts';

let dir: string;
let agent: StartedAgent | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fc-agent-cli-'));
});
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** Runs fc-agent expecting it to exit by itself (an error before listening). */
function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [agentBin, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fc-agent ${args.join(' ')} did not exit:\n${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const base = () => ['--listen', '127.0.0.1:0', '--state-dir', join(dir, 'state')];

describe('fc-agent command line', () => {
  test('--version prints fc-agent <version>', async () => {
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fc-agent \d+\.\d+\.\d+\n$/);
  });

  test.each([
    [['--listen', 'nope'], /--listen: "nope" is not HOST:PORT/],
    [['--listen', '127.0.0.1:99999'], /--listen/],
    [['--max-microvms', '0'], /--max-microvms: "0" must be a whole number from 1 to 10000/],
    [['--max-microvms', 'lots'], /--max-microvms/],
    [['--log-level', 'loud'], /--log-level: "loud" must be one of error, warn, info, debug/],
    [['--spare-vmms', '17'], /--spare-vmms: "17" must be a whole number from 0 to 16/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--insecure-no-auth', '--listen', '0.0.0.0:0'], /only allowed with a loopback --listen/],
    [['--state-dir', `/${'x'.repeat(120)}`], /too long/],
  ])('%j → one line on stderr, exit 2', async (args, message) => {
    const r = await run([...base(), ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('environment variables are read, and flags win over them', async () => {
    const r = await run(base(), { FC_AGENT_MAX_MICROVMS: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/FC_AGENT_MAX_MICROVMS: "many"/);
    agent = await startAgent({ env: { FC_AGENT_MAX_MICROVMS: 'many' }, extraArgs: ['--max-microvms', '1'] });
    expect((await agent.json('/agent/microvms', { method: 'POST', body: '{"start":false}' })).status).toBe(
      201,
    );
    const second = await agent.json('/agent/microvms', { method: 'POST', body: '{"start":false}' });
    expect(asError(second.body).code).toBe('limit_reached');
  });

  test('the token file must exist, be non-empty and not readable by others', async () => {
    const tokenFile = join(dir, 'token');
    const missing = await run([...base(), '--token-file', tokenFile]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/token file .*token does not exist/);

    await writeFile(tokenFile, 'secret\n');
    await chmod(tokenFile, 0o644);
    const open = await run([...base(), '--token-file', tokenFile]);
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/readable by group or others \(mode 0644\): run chmod 600 /);

    await writeFile(tokenFile, '  \n');
    await chmod(tokenFile, 0o600);
    const empty = await run([...base(), '--token-file', tokenFile]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/is empty/);
  });

  test('--insecure-no-auth on loopback serves without a token', async () => {
    agent = await startAgent({ insecure: true });
    expect((await agent.fetch('/agent/microvms', { auth: false })).status).toBe(200);
    expect(agent.stderr()).toMatch(/authentication is off/);
  });

  test('a firecracker binary that does not exist: create answers 502 saying so, nothing left behind', async () => {
    agent = await startAgent({ firecracker: join(dir, 'no-firecracker') });
    const res = await agent.json('/agent/microvms', { method: 'POST', body: '{"name":"x"}' });
    expect(res.status).toBe(502);
    const err = asError(res.body);
    expect(err.code).toBe('firecracker_unreachable');
    expect(err.message).toMatch(/no-firecracker is not found/);
    expect((await agent.json('/agent/microvms')).body).toEqual({ microvms: [] });
    const version = await agent.json<{ firecracker: string | null }>('/agent/version');
    expect(version.body.firecracker).toBeNull();
  });

  test('a port already in use: one line, exit 1', async () => {
    agent = await startAgent();
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'secret', { mode: 0o600 });
    const r = await run([
      '--listen',
      agent.url.replace('http://', ''),
      '--state-dir',
      join(dir, 's'),
      '--token-file',
      tokenFile,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already in use/);
  });
});
