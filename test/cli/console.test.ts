// The console attach in a real pseudo-terminal (test/support/pty-run.py): typed input reaches the
// guest and its output comes back, Ctrl+C goes to the guest, Ctrl+] detaches, and the terminal
// mode is the same before and after on every way out (stty -g in the same terminal session).
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Microvm } from '../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { cliBin } from '../support/paths.ts';
import { type CliEnv, cliEnv, PtySession } from './harness.ts';

let agent: StartedAgent;
let cli: CliEnv;
const sessions: PtySession[] = [];

beforeAll(async () => {
  agent = await startAgent();
  cli = await cliEnv(agent);
}, 60_000);

afterEach(async () => {
  for (const s of sessions.splice(0)) await s.kill();
});

afterAll(async () => {
  await agent?.stop();
  await cli?.cleanup();
});

const STTY = /^[0-9a-f]+(?::[0-9a-f]+){10,}\r?$/gm;

/** `fc-macos ARGS` in a terminal, between two `stty -g` and with its exit code printed. */
function inTerminal(args: string[], env: NodeJS.ProcessEnv = cli.env): PtySession {
  const script = 'stty -g; "$@"; echo "exit=$?"; stty -g';
  const s = new PtySession(['sh', '-c', script, 'sh', process.execPath, cliBin, ...args], env);
  sessions.push(s);
  return s;
}

async function finished(s: PtySession): Promise<{ exit: number; before: string; after: string }> {
  const m = await s.waitFor(/exit=(\d+)\r?\n([0-9a-f:]+)\r?\n/);
  await s.exited;
  const stty = s.text().match(STTY) ?? [];
  return { exit: Number(m[1]), before: (stty[0] ?? '').trim(), after: (stty[stty.length - 1] ?? '').trim() };
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** The node process of the CLI inside the terminal: helper → sh → node. */
async function cliPid(s: PtySession): Promise<number> {
  for (let i = 0; i < 50; i++) {
    for (const sh of childrenOf(s.pid)) {
      const node = childrenOf(sh)[0];
      if (node) return node;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the CLI process was not found under the terminal');
}

async function status(name: string): Promise<Microvm> {
  return (await cli.json<Microvm>(['microvm', 'status', name])).body;
}

describe('run: attach, type, detach', () => {
  it('boots, shows the boot output (history), relays input and output, Ctrl+] detaches', async () => {
    const s = inTerminal(['run', '--name', 'con1']);
    await s.waitFor(/\[attached to microVM con1: Ctrl\+\] detaches\]/);
    // The boot lines were written before the attach: they arrive as history, not dropped.
    await s.waitFor(/Linux version[\s\S]*\/ # /);
    s.write('echo hello-from-test\r');
    // The guest's echo of the typed line, then the command's output on its own line. (Node's raw
    // mode keeps the terminal's ONLCR, so the guest's \r\n shows up as \r\r\n: harmless.)
    await s.waitFor(/echo hello-from-test\r+\nhello-from-test\r+\n/);
    // Raw mode: Ctrl+C is a byte for the guest, not a signal for the CLI.
    const before = s.text().length;
    s.write('\x03');
    await s.waitFor(/\^C\r+\n\/ # /, 20_000, before);
    s.write('\x1d');
    const r = await finished(s);
    expect(r.exit).toBe(0);
    expect(s.text()).toContain(
      '[detached from microVM con1; it keeps running (`fc-macos microvm shell con1` re-attaches)]',
    );
    expect(r.before).not.toBe('');
    expect(r.after).toBe(r.before);
    expect((await status('con1')).state).toBe('running');
  });

  it('re-attaches with microvm shell and gets the history first', async () => {
    const s = inTerminal(['microvm', 'shell', 'con1']);
    await s.waitFor(/\[attached to microVM con1/);
    await s.waitFor(/hello-from-test\r+\n[\s\S]*\^C\r+\n\/ # /);
    s.write('nproc\r');
    await s.waitFor(/nproc\r+\n1\r+\n/);
    s.write('\x1d');
    const r = await finished(s);
    expect(r.exit).toBe(0);
    expect(r.after).toBe(r.before);
  });

  it('ends with "microVM … exited" (exit 0) when the guest powers off, terminal restored', async () => {
    const s = inTerminal(['microvm', 'shell', 'con1']);
    await s.waitFor(/\[attached to microVM con1/);
    await s.waitFor(/\/ # $/);
    s.write('poweroff\r');
    const r = await finished(s);
    expect(s.text()).toMatch(/reboot: Restarting system/);
    expect(s.text()).toMatch(/\[microVM con1 exited[^\]]*\]/);
    expect(r.exit).toBe(0);
    expect(r.after).toBe(r.before);
    expect((await status('con1')).state).toBe('exited');
  });

  it('detaches on SIGTERM (exit 143) with the terminal restored', async () => {
    await cli.run(['run', '--background', '--name', 'con2']);
    const s = inTerminal(['microvm', 'shell', 'con2']);
    await s.waitFor(/\[attached to microVM con2/);
    await s.waitFor(/\/ # /);
    process.kill(await cliPid(s), 'SIGTERM');
    const r = await finished(s);
    expect(s.text()).toContain('[detached from microVM con2 on SIGTERM; it keeps running');
    expect(r.exit).toBe(143);
    expect(r.after).toBe(r.before);
    expect((await status('con2')).state).toBe('running');
  });

  it('says the agent went away (exit 1) when it shuts down while attached, terminal restored', async () => {
    const other = await startAgent();
    const env = { ...cli.env, FC_MACOS_AGENT_URL: other.url, FC_MACOS_TOKEN: other.token };
    try {
      const s = inTerminal(['run', '--name', 'con3'], env);
      await s.waitFor(/\[attached to microVM con3/);
      await s.waitFor(/\/ # /);
      await other.terminate();
      const r = await finished(s);
      expect(s.text()).toContain('[the agent is shutting down; microVM con3 keeps running');
      expect(r.exit).toBe(1);
      expect(r.after).toBe(r.before);
    } finally {
      await other.stop();
    }
  });

  it('refuses to attach to an unknown microVM without touching the terminal', async () => {
    const s = inTerminal(['microvm', 'shell', 'nope']);
    const r = await finished(s);
    expect(r.exit).toBe(1);
    expect(s.text()).toMatch(/fc-macos: .*nope.*`fc-macos microvm list` shows the microVMs/);
    expect(r.after).toBe(r.before);
  });
});
