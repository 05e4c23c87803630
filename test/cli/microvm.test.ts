// microVM lifecycle commands as a user runs them: the built CLI against a real fc-agent driving the
// Firecracker double. Human and JSON output, exit codes, error sentences.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Microvm, StopMicrovmResponse } from '../../src/api/schemas.ts';
import { relativeTime } from '../../src/cli/format.ts';
import { AgentClient } from '../../src/client/index.ts';
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

describe('run --background, list, status', () => {
  it('creates and boots a microVM and prints it (human)', async () => {
    const r = await cli.run(['run', '--background', '--name', 'web', '--vcpus', '2', '--memory', '256']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^started microVM web \([0-9a-f]{8}\): `fc-macos microvm shell web` attaches\n$/,
    );
  });

  it('prints the Microvm object in JSON mode and nothing else', async () => {
    const r = await cli.json<Microvm>(['run', '--background', '--name', 'api']);
    expect(r.code).toBe(0);
    expect(r.body).toMatchObject({ name: 'api', state: 'running', vcpus: 1, memory_mib: 128 });
    expect(r.body.id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('lists microVMs sorted by name with short ids and relative times', async () => {
    const { body } = await cli.json<{ microvms: Microvm[] }>(['microvm', 'list']);
    const before = new Date();
    const r = await cli.run(['microvm', 'ls']);
    const after = new Date();
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+ID\s+STATE\s+VCPUS\s+MEMORY\s+PID\s+ADDRESS\s+PORTS\s+CREATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['api', 'web']);
    const web = body.microvms.find((m) => m.name === 'web');
    expect(lines[2]).toContain(web?.id.slice(0, 8));
    expect(lines[2]).not.toContain(web?.id);
    // The CLI read its clock somewhere between before and after: any age it could have printed.
    const ages = new Set<string>();
    for (let t = before.getTime(); t < after.getTime() + 1000; t += 250)
      ages.add(relativeTime(web?.created_at ?? null, new Date(Math.min(t, after.getTime()))));
    const created = lines[2]?.match(/running\s+2\s+256 MiB\s+\d+\s+-\s+-\s+(.+)$/)?.[1];
    expect([...ages]).toContain(created);
    // The columns line up: every row has its state where the header has STATE.
    const col = lines[0]?.indexOf('STATE') ?? -1;
    for (const l of lines.slice(1)) expect(l.slice(col, col + 7)).toBe('running');
    // No colour when stdout is not a terminal.
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('colours the state on a terminal, never with NO_COLOR', async () => {
    const tty = new PtySession([process.execPath, cliBin, 'ls'], cli.env);
    const plain = new PtySession([process.execPath, cliBin, 'ls'], { ...cli.env, NO_COLOR: '1' });
    try {
      expect(await tty.exited).toBe(0);
      expect(tty.text()).toContain('\x1b[32mrunning\x1b[39m');
      expect(await plain.exited).toBe(0);
      expect(plain.text()).toMatch(/web\s/);
      expect(plain.text()).not.toContain('\x1b[');
    } finally {
      await tty.kill();
      await plain.kill();
    }
  });

  it('top-level ls and ps are the same list; -q prints names only', async () => {
    const ls = await cli.run(['ls']);
    const ps = await cli.run(['ps']);
    const full = await cli.run(['microvm', 'list']);
    // The CREATED column is an age: it may tick between the three runs.
    const aged = (text: string) => text.replace(/ {2}(just now|\d+[smhd] ago)$/gm, '  AGE');
    expect(aged(ls.stdout)).toBe(aged(full.stdout));
    expect(aged(ps.stdout)).toBe(aged(full.stdout));
    expect(aged(full.stdout)).toMatch(/^web .* {2}AGE$/m);
    expect((await cli.run(['microvm', 'list', '-q'])).stdout).toBe('api\nweb\n');
  });

  it('status NAME shows one microVM, status without NAME a summary', async () => {
    const one = await cli.run(['microvm', 'status', 'web']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Name:\s+web$/m);
    expect(one.stdout).toMatch(/^State:\s+running$/m);
    expect(one.stdout).toMatch(/^vCPUs:\s+2$/m);
    expect(one.stdout).toMatch(/^Memory:\s+256 MiB$/m);
    expect(one.stdout).toContain(`Kernel:    ${agent.kernel}`);
    const all = await cli.run(['microvm', 'status']);
    expect(all.stdout.split('\n')[0]).toBe('2 microVMs: 2 running');
    const json = await cli.json<{ counts: Record<string, number>; microvms: Microvm[] }>([
      'microvm',
      'status',
    ]);
    expect(json.body.counts).toMatchObject({ running: 2, paused: 0, stopped: 0 });
    expect(json.body.microvms.map((m) => m.name)).toEqual(['api', 'web']);
  });

  it('shows the console history with logs (--tail) and firecracker.log with --firecracker', async () => {
    const r = await cli.run(['microvm', 'logs', 'web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Linux version');
    const tail = await cli.run(['microvm', 'logs', 'web', '--tail', '1']);
    expect(tail.stdout).toBe('/ # ');
    // On a terminal the guest's prompt is ended, so the user's shell prompt starts on its own line.
    const tty = new PtySession([process.execPath, cliBin, 'microvm', 'logs', 'web', '--tail', '1'], cli.env);
    try {
      expect(await tty.exited).toBe(0);
      expect(tty.text()).toBe('/ # \r\n');
    } finally {
      await tty.kill();
    }
    const json = await cli.json<{ text: string; source: string }>([
      'microvm',
      'logs',
      'web',
      '--firecracker',
    ]);
    expect(json.body.source).toBe('firecracker');
    expect(typeof json.body.text).toBe('string');
  });
});

describe('logs --follow', () => {
  it('prints the history, then new output, and ends when the microVM exits', async () => {
    await cli.run(['run', '--background', '--name', 'follow']);
    const s = new PtySession(
      [process.execPath, cliBin, 'microvm', 'logs', 'follow', '-f', '--tail', '1'],
      cli.env,
    );
    try {
      await s.waitFor(/\/ # /);
      const conn = await new AgentClient({ baseUrl: agent.url, token: agent.token }).attachConsole('follow');
      conn.write('echo followed-line\r');
      await s.waitFor(/followed-line\r+\n/);
      conn.write('poweroff\r');
      await conn.ended;
      expect(await s.exited).toBe(0);
      expect(s.text()).toMatch(/reboot: Restarting system/);
    } finally {
      await s.kill();
    }
    expect((await cli.run(['microvm', 'rm', 'follow'])).code).toBe(0);
  });

  it('refuses --json with --follow (exit 2)', async () => {
    const r = await cli.json<{ error: { code: string } }>(['microvm', 'logs', 'web', '-f']);
    expect(r.code).toBe(2);
    expect(r.body.error.code).toBe('usage');
  });
});

describe('pause, resume, stop, rm', () => {
  it('pauses and resumes', async () => {
    expect((await cli.run(['microvm', 'pause', 'web'])).stdout).toBe('paused web\n');
    expect((await cli.json<Microvm>(['microvm', 'status', 'web'])).body.state).toBe('paused');
    const again = await cli.run(['microvm', 'pause', 'web']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^fc-macos: cannot pause microVM web: it is paused, not running\n$/);
    expect((await cli.run(['microvm', 'resume', 'web'])).stdout).toBe('resumed web\n');
  });

  it('refuses to remove a running microVM without --force', async () => {
    const r = await cli.run(['microvm', 'rm', 'web']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'fc-macos: microVM web is running: stop it first (`fc-macos microvm stop web`) or remove it with --force\n',
    );
    expect((await cli.json<Microvm>(['microvm', 'status', 'web'])).body.state).toBe('running');
  });

  it('stops one microVM gracefully', async () => {
    const r = await cli.json<{
      stopped: Array<StopMicrovmResponse['stop'] & { microvm: Microvm }>;
      errors: unknown[];
    }>(['microvm', 'stop', 'api']);
    expect(r.code).toBe(0);
    expect(r.body.errors).toEqual([]);
    expect(r.body.stopped).toHaveLength(1);
    expect(r.body.stopped[0]).toMatchObject({
      graceful: true,
      method: 'ctrl_alt_del',
      microvm: { name: 'api', state: 'stopped' },
    });
  });

  it('stop --all stops every live microVM; a stopped one is then an error when named', async () => {
    await cli.run(['microvm', 'create', '--name', 'idle']);
    const r = await cli.run(['microvm', 'stop', '--all', '--timeout', '5']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([
      expect.stringMatching(/^stopped idle \(killed at once\): not booted/),
      'stopped web (the guest shut down after Ctrl+Alt+Del)',
    ]);
    const list = await cli.json<{ microvms: Microvm[] }>(['ls']);
    expect(list.body.microvms.map((m) => m.state)).toEqual(['stopped', 'stopped', 'stopped']);
    const again = await cli.run(['microvm', 'stop', 'web']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^fc-macos: cannot stop microVM web: .*create a new one\n$/);
  });

  it('removes stopped microVMs', async () => {
    const r = await cli.json<{ removed: Array<{ id: string; name: string }>; errors: unknown[] }>([
      'microvm',
      'rm',
      'api',
      'web',
    ]);
    expect(r.code).toBe(0);
    expect(r.body.removed.map((m) => m.name)).toEqual(['api', 'web']);
    expect((await cli.run(['microvm', 'list', '-q'])).stdout).toBe('idle\n');
  });

  it('kill ends microVMs at once; an unknown one is named in the error', async () => {
    await cli.run(['run', '--background', '--name', 'k1']);
    const human = await cli.run(['microvm', 'kill', 'k1']);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe('killed k1 (killed, SIGKILL)\n');
    await cli.run(['run', '--background', '--name', 'k2']);
    const r = await cli.json<{ killed: Microvm[]; errors: Array<{ name: string; code: string }> }>([
      'microvm',
      'kill',
      'k2',
      'nope',
    ]);
    expect(r.code).toBe(1);
    expect(r.body.killed).toMatchObject([
      { name: 'k2', state: 'exited', exit: { reason: 'killed', signal: 'SIGKILL' } },
    ]);
    expect(r.body.errors).toMatchObject([{ name: 'nope', code: 'not_found' }]);
    expect((await cli.run(['microvm', 'rm', 'k1', 'k2'])).code).toBe(0);
  });

  it('rm --force removes a running microVM', async () => {
    await cli.run(['run', '--background', '--name', 'doomed']);
    const r = await cli.run(['microvm', 'rm', '--force', 'doomed', 'idle']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^removed doomed \([0-9a-f]{8}\)\nremoved idle \([0-9a-f]{8}\)\n$/);
    expect((await cli.run(['ls'])).stdout).toBe('no microVMs (`fc-macos run` starts one)\n');
  });
});

describe('errors', () => {
  it('names an unknown microVM and how to list them (exit 1; JSON error object on stdout)', async () => {
    const r = await cli.run(['microvm', 'status', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^fc-macos: .*nope.*: `fc-macos microvm list` shows the microVMs\n$/);
    const j = await cli.json<{ error: { code: string; message: string } }>(['microvm', 'status', 'nope']);
    expect(j.code).toBe(1);
    expect(j.body.error.code).toBe('not_found');
    expect(j.body.error.message).toContain('nope');
  });

  it('rejects bad flag values before any request, naming the flag and the range (exit 2)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['run', '--vcpus', '0'],
        /option '--vcpus <n>' argument '0' is invalid\. must be an integer from 1 to 32/,
      ],
      [['run', '--vcpus', '33'], /--vcpus.*from 1 to 32/],
      [
        ['run', '--memory', 'abc'],
        /option '--memory <mib>' argument 'abc' is invalid\. must be a whole number of MiB, at least 64/,
      ],
      [['run', '--memory', '32'], /--memory.*at least 64/],
      [['run', '--name', 'Bad Name'], /--name.*must match/],
      [['run', '--kernel', 'vmlinux'], /--kernel.*absolute path/],
      [
        ['machine', 'config', 'x', '--cpu-template', 'Z9'],
        /--cpu-template.*must be one of C3, T2, T2S, T2CL, T2A, V1N1, None/,
      ],
      [['microvm', 'stop', 'x', '--timeout', '601'], /--timeout.*0 to 600/],
      [['microvm', 'stop'], /give NAMEs, or --all/],
      [['microvm', 'frobnicate'], /unknown command 'frobnicate'/],
      [['run', '--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(msg);
      // One sentence, worded like every other CLI error (commander's included).
      expect(r.stderr).toMatch(/^fc-macos: [^\n]+\n$/);
      expect(r.stdout).toBe('');
    }
    const j = await cli.json<{ error: { code: string; message: string } }>([
      'run',
      '--background',
      '--vcpus',
      '0',
    ]);
    expect(j.code).toBe(2);
    expect(j.body.error).toEqual({ code: 'usage', message: expect.stringContaining('--vcpus') });
    // Nothing was created by any of them.
    expect((await cli.json<{ microvms: Microvm[] }>(['ls'])).body.microvms).toEqual([]);
  });

  it('refuses to attach in JSON mode', async () => {
    const r = await cli.json<{ error: { code: string; message: string } }>(['run']);
    expect(r.code).toBe(2);
    expect(r.body.error.message).toContain('--background');
  });

  it('says when the token is wrong and what fixes it', async () => {
    const r = await cli.run(['ls'], { env: { FC_MACOS_TOKEN: 'wrong' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^fc-macos: the agent at http:\/\/127\.0\.0\.1:\d+ refused the token \(wrong token\): check FC_MACOS_TOKEN/,
    );
    const noToken = await cli.json<{ error: { code: string; message: string } }>(['ls'], {
      env: { FC_MACOS_TOKEN: '' },
    });
    expect(noToken.code).toBe(1);
    expect(noToken.body.error.code).toBe('unauthorized');
    expect(noToken.body.error.message).toMatch(/no token at .*token: run `fc-macos setup` to write it$/);
  });

  it('reads the token from the config dir when FC_MACOS_TOKEN is not set', async () => {
    const { mkdir, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await mkdir(join(cli.dir, 'config'), { recursive: true });
    await writeFile(join(cli.dir, 'config', 'token'), `${agent.token}\n`, { mode: 0o600 });
    const r = await cli.run(['ls'], { env: { FC_MACOS_TOKEN: '' } });
    expect(r.code).toBe(0);
  });
});

describe('agent down', () => {
  it('says the agent is not answering and which command fixes it', async () => {
    const down = await startAgent();
    const url = down.url;
    await down.stop();
    const local = await cliEnv();
    try {
      const r = await local.run(['ls'], { env: { FC_MACOS_AGENT_URL: url, FC_MACOS_TOKEN: 't' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `fc-macos: the agent at ${url} is not answering (connection refused): check FC_MACOS_AGENT_URL, or start the agent with \`fc-macos vm start\`\n`,
      );
      // Without an override the provider of the config says where: the local one on Linux.
      await (await import('node:fs/promises')).mkdir(`${local.dir}/config`, { recursive: true });
      await (await import('node:fs/promises')).writeFile(
        `${local.dir}/config/config.yaml`,
        `provider: local\nagent_port: ${new URL(url).port}\n`,
      );
      const viaProvider = await local.run(['ls']);
      expect(viaProvider.code).toBe(1);
      expect(viaProvider.stderr).toBe(
        `fc-macos: the agent at http://127.0.0.1:${new URL(url).port} is not answering (connection refused): run \`fc-macos vm start\` to start it (or \`fc-macos setup\` if this host was never set up)\n`,
      );
      const v = await local.json<{ cli: string; agent: null; error: { code: string } }>(['version'], {
        env: { FC_MACOS_AGENT_URL: url },
      });
      expect(v.code).toBe(1);
      expect(v.body).toMatchObject({
        cli: expect.stringMatching(/^\d+\.\d+\.\d+/),
        agent: null,
        error: { code: 'agent_unreachable' },
      });
      const human = await local.run(['version'], { env: { FC_MACOS_AGENT_URL: url } });
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(/^CLI: \d+\.\d+\.\d+\n$/);
      expect(human.stderr).toMatch(/^fc-macos: the agent at .* is not answering/);
    } finally {
      await local.cleanup();
    }
  });

  it('rejects an --agent-url that is not an http URL (exit 2)', async () => {
    const r = await cli.run(['ls', '--agent-url', 'ftp://x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('fc-macos: --agent-url "ftp://x" must be an http:// or https:// URL\n');
  });
});

describe('version', () => {
  it('prints the CLI, agent and Firecracker versions', async () => {
    const r = await cli.run(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CLI:\s+\d+\.\d+\.\d+$/m);
    expect(r.stdout).toMatch(/^Agent:\s+\S+$/m);
    expect(r.stdout).toMatch(/^Firecracker:\s+\S+/m);
    const j = await cli.json<Record<string, unknown>>(['version']);
    expect(j.body).toMatchObject({
      cli: expect.any(String),
      agent: expect.any(String),
      arch: expect.any(String),
    });
    expect(j.body.error).toBeUndefined();
  });
});
