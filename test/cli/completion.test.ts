// Completion scripts: bash is run for real (bash is on every machine this runs on); zsh and fish
// are checked for their structure.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { cliBin } from '../support/paths.ts';
import { type CliEnv, cliEnv } from './harness.ts';

let agent: StartedAgent;
let cli: CliEnv;

beforeAll(async () => {
  agent = await startAgent();
  cli = await cliEnv(agent);
  await cli.run(['run', '--background', '--name', 'alpha']);
  await cli.run(['run', '--background', '--name', 'beta']);
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await cli?.cleanup();
});

/** Completions bash offers for the words typed so far (the last one is being completed). */
function complete(script: string, words: string[]): string[] {
  // fc-macos in the script resolves through this function, so dynamic names come from the test agent.
  const driver = `
fc-macos() { "${process.execPath}" "${cliBin}" "$@"; }
eval "$(cat)"
COMP_WORDS=("$@")
COMP_CWORD=$(($# - 1))
_fc_macos
printf '%s\\n' "\${COMPREPLY[@]}"
`;
  const out = execFileSync('bash', ['-c', driver, 'bash', 'fc-macos', ...words], {
    input: script,
    env: cli.env,
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean).sort();
}

describe('bash', () => {
  let script = '';
  beforeAll(async () => {
    const r = await cli.run(['completion', 'bash']);
    expect(r.code).toBe(0);
    script = r.stdout;
  });

  it('completes commands, subcommands and flags', () => {
    expect(complete(script, ['mi'])).toEqual(['microvm', 'microvms']);
    expect(complete(script, ['microvm', 'st'])).toEqual(['status', 'stop']);
    expect(complete(script, ['microvm', 'stop', '--'])).toEqual(
      expect.arrayContaining(['--all', '--force', '--timeout', '--json', '--agent-url']),
    );
    expect(complete(script, ['run', '--vc'])).toEqual(['--vcpus']);
    expect(complete(script, ['completion', ''])).toEqual(['bash', 'fish', 'zsh']);
  });

  it('completes microVM names from the agent', () => {
    expect(complete(script, ['microvm', 'stop', ''])).toEqual(['alpha', 'beta']);
    expect(complete(script, ['--json', 'boot', 'get', 'a'])).toEqual(['alpha']);
  });
});

describe('zsh and fish', () => {
  it('zsh loads the bash functions through bashcompinit', async () => {
    const r = await cli.run(['completion', 'zsh']);
    expect(r.stdout.startsWith('#compdef fc-macos\n')).toBe(true);
    expect(r.stdout).toContain('bashcompinit');
    expect(r.stdout).toContain('complete -F _fc_macos fc-macos');
  });

  it('fish has a complete line per subcommand level and flag', async () => {
    const r = await cli.run(['completion', 'fish']);
    expect(r.stdout).toContain("complete -c fc-macos -n '__fish_use_subcommand' -a 'run ls ps microvm");
    expect(r.stdout).toMatch(
      /complete -c fc-macos -n '__fish_seen_subcommand_from microvm; and __fish_seen_subcommand_from stop' -l all/,
    );
    expect(r.stdout).toContain("-a '(fc-macos microvm list -q 2>/dev/null)'");
  });

  it('refuses an unknown shell (exit 2)', async () => {
    const r = await cli.run(['completion', 'tcsh']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/'tcsh' is invalid for argument 'shell'\. Allowed choices are bash, zsh, fish/);
  });
});
