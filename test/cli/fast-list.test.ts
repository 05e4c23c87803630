// `fc-macos ls` and its other spellings run without commander (src/cli/commands/list.ts, routed by
// bin.ts): the same output and exit codes as the commander route, and neither commander nor zod
// loaded, which is where a short command's time went.
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
      expect({ args, code: fast.code, stdout: fast.stdout, stderr: fast.stderr }).toEqual({
        args,
        code: slow.code,
        stdout: slow.stdout,
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

  it('loads neither commander nor zod for ls (and the check sees them on the commander route)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fc-modlog-'));
    try {
      const loaded = async (args: string[]): Promise<{ commander: boolean; zod: boolean }> => {
        const log = join(dir, `${args.length}.log`);
        const r = await cli.run(args, {
          env: {
            FC_TEST_MODULE_LOG: log,
            NODE_OPTIONS: `--import=${join(repoRoot, 'test', 'support', 'module-log.mjs')}`,
          },
        });
        expect(r.code).toBe(0);
        const files = (await readFile(log, 'utf8'))
          .trim()
          .split('\n')
          .map((u) => fileURLToPath(u));
        const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
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
