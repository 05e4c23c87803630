// `fc-macos ls` and its other spellings run without commander: from their own one-file bundle
// when the agent's address is known (src/cli/commands/list-quick.ts), else through runAction()
// (src/cli/commands/list.ts), both routed by the launcher (src/cli/launcher.ts, dist/cli.cjs).
// The same output and exit codes as the commander route, and neither commander nor zod loaded,
// which is where a short command's time went.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastListArgs } from '../../src/cli/commands/list.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { repoRoot } from '../support/paths.ts';
import { type CliEnv, cliEnv } from './harness.ts';

let agent: StartedAgent;
let cli: CliEnv;

/** The table's CREATED column ("just now", "9s ago") moves on between two runs: compared as AGE. */
const sameAge = (stdout: string): string => stdout.replace(/(just now|\d+[smhd] ago)$/gm, 'AGE');

beforeAll(async () => {
  agent = await startAgent();
  cli = await cliEnv(agent);
  for (const name of ['zeta', 'alpha'])
    expect((await cli.run(['microvm', 'create', '--name', name])).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await cli?.cleanup();
  await agent?.stop();
});

describe('fastListArgs', () => {
  it('takes only a list command with --json and -q/--quiet where commander takes them', () => {
    expect(fastListArgs(['ls'])).toEqual({ json: false, quiet: false, words: 'ls' });
    expect(fastListArgs(['--json', 'ps', '-q'])).toEqual({ json: true, quiet: true, words: 'ls' });
    expect(fastListArgs(['microvms', 'list', '--quiet', '--json'])).toEqual({
      json: true,
      quiet: true,
      words: 'microvm list',
    });
    for (const args of [
      [],
      ['ls', '-h'],
      ['ls', '--help'],
      ['ls', 'extra'],
      ['ls', '--agent-url', 'http://x'],
      ['ls', '-qj'],
      ['microvm'],
      ['microvm', 'ps'],
      ['microvm', '--json', 'ls'],
      ['-q', 'ls'],
      ['--json'],
      ['status'],
    ])
      expect({ args, taken: fastListArgs(args) }).toEqual({ args, taken: null });
  });
});

describe('the built CLI', () => {
  // --agent-url (the same agent as FC_MACOS_AGENT_URL) is not taken by the fast route: commander's.
  const viaCommander = (args: string[]): string[] => [...args, '--agent-url', agent.url];

  it('prints what the commander route prints, for every spelling and flag', async () => {
    for (const args of [
      ['ls'],
      ['ps'],
      ['microvm', 'ls'],
      ['microvms', 'list'],
      ['ls', '-q'],
      ['ls', '--json'],
      ['--json', 'ps', '--quiet'],
    ]) {
      const fast = await cli.run(args);
      const slow = await cli.run(viaCommander(args));
      expect({ args, code: fast.code, stdout: sameAge(fast.stdout), stderr: fast.stderr }).toEqual({
        args,
        code: slow.code,
        stdout: sameAge(slow.stdout),
        stderr: slow.stderr,
      });
      expect(fast.code).toBe(0);
    }
    const names = (await cli.run(['ls', '-q'])).stdout;
    expect(names).toBe('alpha\nzeta\n');
  });

  it('fails as the commander route fails: the layer, the fix, exit 1, the JSON error', async () => {
    const down = { FC_MACOS_AGENT_URL: 'http://127.0.0.1:1' };
    for (const args of [['ls'], ['ls', '--json']]) {
      const fast = await cli.run(args, { env: down });
      const slow = await cli.run([...args, '--agent-url', 'http://127.0.0.1:1'], { env: down });
      expect(fast.code).toBe(1);
      expect(fast.stderr).toMatch(/^fc-macos: the agent at http:\/\/127\.0\.0\.1:1 is not answering/);
      // The hint names where the address came from: the environment here, the flag there.
      const same = (t: string): string => t.replace('FC_MACOS_AGENT_URL', '--agent-url');
      expect(same(fast.stdout)).toBe(slow.stdout);
      expect(same(fast.stderr)).toBe(slow.stderr);
    }
  });

  it('the ES module entry (dist/cli.mjs) prints what the installed command prints', async () => {
    const esm = join(repoRoot, 'dist', 'cli.mjs');
    for (const args of [['ls'], ['ps', '--json'], ['microvm', 'ls', '-q'], ['--help'], ['version']]) {
      const installed = await cli.run(args);
      const module = await cli.run(args, { bin: esm });
      expect({ args, ...module, stdout: sameAge(module.stdout) }).toEqual({
        args,
        ...installed,
        stdout: sameAge(installed.stdout),
      });
    }
  });

  it('loads neither commander nor zod for ls (and the check sees them on the commander route)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-modlog-'));
    try {
      const loaded = async (args: string[]) => {
        const r = await loadedFiles(cli, args, dir);
        expect(r.code).toBe(0);
        const text = r.files.map((f) => readFileSync(f, 'utf8')).join('\n');
        return { commander: text.includes('commander.invalidArgument'), zod: text.includes('ZodError') };
      };
      expect(await loaded(['ls'])).toEqual({ commander: false, zod: false });
      expect(await loaded(['ls', '--json', '-q'])).toEqual({ commander: false, zod: false });
      expect((await loaded(viaCommander(['ls']))).commander).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** Runs the built CLI with the module-load log on; the files it loaded, in order. */
async function loadedFiles(
  env: CliEnv,
  args: string[],
  dir: string,
): Promise<{ code: number | null; files: string[] }> {
  const log = join(dir, `${Date.now()}-${Math.random()}.log`);
  const r = await env.run(args, {
    env: {
      FC_TEST_MODULE_LOG: log,
      NODE_OPTIONS: `--import=${join(repoRoot, 'test', 'support', 'module-log.mjs')}`,
    },
  });
  const files = (await readFile(log, 'utf8'))
    .trim()
    .split('\n')
    .map((u) => fileURLToPath(u));
  return { code: r.code, files: [...new Set(files)] };
}

describe('with the address from the provider and its cache, as a set-up user runs it', () => {
  // No FC_MACOS_AGENT_URL: the local provider of config.yaml says where the agent is.
  let local: CliEnv;
  let cacheFile: string;
  const run = (args: string[]) => local.run(args, { env: { FC_MACOS_AGENT_URL: '', FC_MACOS_TOKEN: '' } });

  beforeAll(async () => {
    local = await cliEnv();
    const config = local.env.FC_MACOS_CONFIG_DIR as string;
    await mkdir(config, { recursive: true, mode: 0o700 });
    await writeFile(join(config, 'config.yaml'), `provider: local\nagent_port: ${new URL(agent.url).port}\n`);
    await writeFile(join(config, 'token'), `${agent.token}\n`, { mode: 0o600 });
    cacheFile = join(config, 'agent-address.json');
  });
  afterAll(async () => {
    await local?.cleanup();
  });

  const expected = async (args: string[]) => {
    const r = await cli.run([...args, '--agent-url', agent.url]);
    return { code: r.code, stdout: sameAge(r.stdout), stderr: r.stderr };
  };

  it('asks the provider once, caches the address (0600), then lists from the one-file bundle', async () => {
    await rm(cacheFile, { force: true });
    const first = await run(['ls']);
    expect({ ...first, stdout: sameAge(first.stdout) }).toEqual(await expected(['ls']));
    expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(cacheFile, 'utf8')).url).toBe(agent.url);

    const dir = await mkdtemp(join(tmpdir(), 'fc-modlog-'));
    try {
      const quick = await loadedFiles(local, ['ls', '--json'], dir);
      expect(quick.code).toBe(0);
      // The launcher and the one-file list: not the twenty chunks of the full CLI, and no ES
      // module at all (each costs Node's ESM loader).
      expect(quick.files.map((f) => f.replace(/.*\//, ''))).toEqual(['cli.cjs', 'cli-ls.cjs']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    for (const args of [['ls'], ['ps', '-q'], ['microvm', 'list', '--json']]) {
      const r = await run(args);
      expect({ args, ...r, stdout: sameAge(r.stdout) }).toEqual({ args, ...(await expected(args)) });
    }
  });

  it('a cached address that no longer answers: asks the provider again, lists, and mends the cache', async () => {
    const cached = JSON.parse(await readFile(cacheFile, 'utf8')) as { url: string };
    const dead = await startAgent();
    const deadUrl = dead.url;
    await dead.stop();
    await writeFile(cacheFile, JSON.stringify({ ...cached, url: deadUrl }), { mode: 0o600 });
    const r = await run(['ls', '--json']);
    expect(r).toEqual(await expected(['ls', '--json']));
    expect(JSON.parse(await readFile(cacheFile, 'utf8')).url).toBe(agent.url);
  });

  it('a wrong token from the cached route is reported as the full CLI reports it', async () => {
    const r = await local.run(['ls'], { env: { FC_MACOS_AGENT_URL: '', FC_MACOS_TOKEN: 'wrong' } });
    const slow = await cli.run(['ls', '--agent-url', agent.url], { env: { FC_MACOS_TOKEN: 'wrong' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^fc-macos: the agent at .* refused the token/);
    expect(r.stderr).toBe(slow.stderr);
  });
});
