// `fc-macos run` with stdin not a terminal (issue 18 point 11): the input goes to the console, and
// at its end the CLI detaches (the microVM keeps running) instead of waiting forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Microvm } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { waitUntil } from '../support/proc.ts';
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

describe('run with piped stdin', () => {
  it('echo CMD | fc-macos run: the command runs in the guest, then it detaches', async () => {
    const r = await cli.run(['run', '--name', 'piped'], { input: 'echo piped-hello\r', timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/detached from microVM piped; it keeps running/);
    // The command reached the guest, which answered on a line of its own (the console log keeps
    // it; whether it was printed before the detach depends on how fast the guest answered).
    const answered = await waitUntil(async () => {
      const logs = await cli.run(['microvm', 'logs', 'piped']);
      return /^piped-hello\r?$/m.test(logs.stdout) ? logs.stdout : null;
    }, "the guest's answer in the console log");
    expect(answered).toContain('echo piped-hello');
    expect((await cli.json<Microvm>(['microvm', 'status', 'piped'])).body.state).toBe('running');
  });

  it('fc-macos run < /dev/null returns (exit 0, detached) instead of hanging', async () => {
    const r = await cli.run(['run', '--name', 'devnull'], { input: '', timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/detached from microVM devnull/);
  });
});
