// Messages say what really happened (issue 18 point 10): stop shows progress and which way the
// microVM stopped, --json is in every subcommand's -h, the zsh completion leaves compinit alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { cliBin } from '../support/paths.ts';
import { type CliEnv, cliEnv, PtySession } from './harness.ts';

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

describe('what the CLI says', () => {
  it('microvm stop on a terminal shows that it waits, then which way the microVM stopped', async () => {
    expect((await cli.run(['run', '--background', '--name', 'msg'])).code).toBe(0);
    const tty = new PtySession(
      [process.execPath, cliBin, 'microvm', 'stop', 'msg', '--timeout', '7'],
      cli.env,
    );
    try {
      await tty.waitFor(/stopping msg: waiting for the guest to shut down \(\d+s of 7s, then kill\)/);
      // Through the guest agent when the guest runs one, else Ctrl+Alt+Del: either way it says which.
      await tty.waitFor(
        /stopped msg \((the guest agent shut the guest down|the guest shut down after Ctrl\+Alt\+Del)\)/,
      );
      expect(await tty.exited).toBe(0);
    } finally {
      await tty.kill();
    }
    // Piped: just the result line.
    await cli.run(['microvm', 'create', '--name', 'msg2']);
    const r = await cli.run(['microvm', 'stop', 'msg2']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^stopped msg2 \(killed at once\): /);
  });

  it('lists --json in every subcommand -h', async () => {
    for (const args of [
      ['microvm', 'stop', '-h'],
      ['microvm', 'list', '-h'],
      ['setup', '-h'],
      ['vm', 'status', '-h'],
      ['drives', 'add', '-h'],
    ]) {
      const r = await cli.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 0 });
      expect({ args, json: /--json\s+machine-readable output/.test(r.stdout) }).toEqual({ args, json: true });
    }
  });

  it('the zsh completion does not run compinit (that is the user’s .zshrc)', async () => {
    const r = await cli.run(['completion', 'zsh']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^[^#]*\bcompinit\b/m);
    expect(r.stdout).toContain('bashcompinit');
  });
});
