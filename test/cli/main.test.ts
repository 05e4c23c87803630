// The program-level flags a user tries first, without an agent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { type CliEnv, cliEnv } from './harness.ts';

let cli: CliEnv;
beforeAll(async () => {
  cli = await cliEnv();
});
afterAll(async () => {
  await cli?.cleanup();
});

describe('fc-macos --version', () => {
  it.each([['--version'], ['-v']])('%s prints the CLI version and exits 0', async (flag) => {
    const r = await cli.run([flag]);
    expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('lists --version in --help', async () => {
    const r = await cli.run(['--help']);
    expect(r.stdout).toMatch(/-v, --version\s+print the CLI version/);
  });
});
