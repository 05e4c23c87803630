// End to end in a real terminal: tmux runs the built CLI's dashboard against a real agent with the
// Firecracker double; keys go in with send-keys, the screen comes out with capture-pane.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedAgent, startAgent } from '../support/agent.ts';
import { cliBin } from '../support/paths.ts';
import { waitUntil } from '../support/proc.ts';

const run = promisify(execFile);

let agent: StartedAgent;
let dir: string;
let sock: string;

const tmux = (...args: string[]) => run('tmux', ['-S', sock, ...args]);
/** The screen as text; `joined`: a line the terminal wrapped comes back as one (longer) line. */
const screen = async (joined = false): Promise<string> =>
  (await tmux('capture-pane', '-p', ...(joined ? ['-J'] : []), '-t', 'dash')).stdout;
const keys = (...k: string[]) => tmux('send-keys', '-t', 'dash', ...k);

/** Waits until the screen matches; the error shows the last screen. */
async function see(
  pattern: RegExp | ((text: string) => boolean),
  timeoutMs = 20_000,
  joined = false,
): Promise<string> {
  const test = typeof pattern === 'function' ? pattern : (t: string) => pattern.test(t);
  let last = '';
  try {
    return await waitUntil(
      async () => {
        last = await screen(joined);
        return test(last) ? last : null;
      },
      `${pattern} on the screen`,
      timeoutMs,
    );
  } catch {
    throw new Error(`no ${pattern} on the screen within ${timeoutMs} ms; the screen:\n${last}`);
  }
}

async function stateOf(name: string): Promise<string> {
  const r = await agent.json<{ state: string }>(`/agent/microvms/${name}`);
  return r.body.state;
}

function rowOrder(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.match(/^[> ] ● (\S+)\s/)?.[1])
    .filter((n): n is string => n !== undefined);
}

beforeAll(async () => {
  agent = await startAgent();
  dir = await mkdtemp(join(tmpdir(), 'fc-dash-tmux-'));
  sock = join(dir, 'tmux.sock');
  for (const name of ['web', 'db', 'cache']) {
    const r = await agent.fetch('/agent/microvms', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(r.status).toBe(201);
  }
  // A session that lives as long as the suite: killing the last session makes the tmux server
  // exit, and a new-session racing that exit failed with "server exited unexpectedly".
  await tmux('new-session', '-d', '-s', 'keep', 'sleep 3600');
});

afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
  await agent?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts the dashboard in a new tmux session `dash` (killing an earlier one). */
async function startDashboard(nodeArgs: string[] = []): Promise<void> {
  await tmux('kill-session', '-t', 'dash').catch(() => undefined);
  await rm(join(dir, 'rc'), { force: true });
  // The shell in the pane records the terminal settings before and after, and the exit code.
  const env = {
    FC_MACOS_AGENT_URL: agent.url,
    FC_MACOS_TOKEN: agent.token,
    FC_MACOS_CONFIG_DIR: join(dir, 'config'),
    FC_MACOS_STATE_DIR: join(dir, 'state'),
  };
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    ...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`),
    'unset NO_COLOR',
    `stty -g > ${q(join(dir, 'before'))}`,
    [process.execPath, ...nodeArgs, cliBin, 'dashboard'].map(q).join(' '),
    `echo $? > ${q(join(dir, 'rc'))}`,
    `stty -g > ${q(join(dir, 'after'))}`,
    'echo DASHBOARD-DONE',
    'sleep 600',
  ].join('\n');
  await writeFile(join(dir, 'run.sh'), script, { mode: 0o600 });
  await tmux('new-session', '-d', '-s', 'dash', '-x', '120', '-y', '32', `sh ${q(join(dir, 'run.sh'))}`);
}

async function sameTerminal(): Promise<void> {
  const before = await readFile(join(dir, 'before'), 'utf8');
  const after = await readFile(join(dir, 'after'), 'utf8');
  expect(after).toBe(before);
}

describe('fc-macos dashboard in tmux', () => {
  it('shows, acts, attaches, survives the agent going away, and leaves the terminal as it was', async () => {
    const port = new URL(agent.url).port;
    await startDashboard();

    // Three microVMs, sorted by name.
    const first = await see(/> ● cache.*\n.*● db.*\n.*● web/);
    expect(rowOrder(first)).toEqual(['cache', 'db', 'web']);
    await see(/rtt .* live events/);

    // j selects the second; s stops it, and nothing the dashboard does afterwards starts it again.
    await keys('j');
    await see(/> ● db /);
    await keys('s');
    await see(/db stopped/);
    expect(await stateOf('db')).toBe('stopped');
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      expect(await stateOf('db')).toBe('stopped');
      await new Promise((r) => setTimeout(r, 250));
    }
    await see(/● db\s+stopped/);

    // p pauses, p again resumes (on cache).
    await keys('k');
    await see(/> ● cache /);
    await keys('p');
    await see(/> ● cache\s+paused/);
    expect(await stateOf('cache')).toBe('paused');
    await keys('p');
    await see(/> ● cache\s+running/);
    expect(await stateOf('cache')).toBe('running');

    // a attaches the console full screen; Ctrl+] comes back to the dashboard.
    await keys('a');
    await see(/\[attached to microVM cache: Ctrl\+\] detaches\]/);
    await keys('C-]');
    await see(/back from the console of cache/);
    expect(rowOrder(await screen())).toEqual(['cache', 'db', 'web']);

    // The agent goes away: the banner names it and the fix; it comes back: the view recovers.
    await agent.kill9();
    const down = await see(/AGENT DOWN/);
    expect(down).toContain(`the agent at http://127.0.0.1:${port} is not answering`);
    expect(down).toMatch(/fix: .*fc-macos vm start/);
    await agent.restart(['--listen', `127.0.0.1:${port}`]);
    await see(/Agent {2}● up/, 30_000);
    const back = await screen();
    expect(back).not.toContain('AGENT DOWN');
    expect(rowOrder(back)).toEqual(['cache', 'db', 'web']);

    // q quits and the terminal is exactly as before.
    await keys('q');
    await see(/DASHBOARD-DONE/);
    expect((await readFile(join(dir, 'rc'), 'utf8')).trim()).toBe('0');
    await sameTerminal();
    // Off the alternate screen: the shell's own output is visible again.
    expect(await screen()).not.toContain('microVMs 3');
  }, 120_000);

  it('redraws on resize, stacked below 100 columns and one line per microVM below 60, never wrapping', async () => {
    await startDashboard();
    await see(/live events/);
    await see(/> ● cache /);
    await keys('Enter');
    await see(/boot args/);
    for (const width of [80, 50, 30, 120]) {
      await tmux('resize-window', '-t', 'dash', '-x', String(width), '-y', '24');
      // The details beside the list at 120, below it at 80, and still open (below) at 50 and 30;
      // the table's columns at 60 and more, one line per microVM below.
      const beside = (t: string) => t.split('\n').some((l) => /^> ● cache .* id {9}\S/.test(l));
      const text = await see(
        (t) =>
          (width >= 100 ? beside(t) : !beside(t) && /^id {9}\S/m.test(t)) &&
          (width >= 60 ? /VCPU/.test(t) : /NAME \/ STATE/.test(t) && !/VCPU/.test(t)),
        20_000,
        true,
      );
      // No line was wrapped by the terminal: tmux marks a wrapped line and -J joins it back into
      // one line longer than the window.
      for (const line of text.split('\n')) expect([...line.trimEnd()].length).toBeLessThanOrEqual(width);
      expect(rowOrder(text)).toEqual(['cache', 'db', 'web']);
    }
    await keys('q');
    await see(/DASHBOARD-DONE/);
    await sameTerminal();
  }, 60_000);

  it('restores the terminal after a crash', async () => {
    // An exception nobody catches, thrown in the dashboard's process while the view is up.
    const crash = join(dir, 'crash.mjs');
    await writeFile(
      crash,
      "setTimeout(() => { throw new Error('crash test: thrown while the view is up'); }, 3000);\n",
    );
    await startDashboard(['--import', crash]);
    await see(/> ● cache /);
    await see(/DASHBOARD-DONE/);
    expect((await readFile(join(dir, 'rc'), 'utf8')).trim()).toBe('1');
    await sameTerminal();
    const text = await screen();
    expect(text).toContain('fc-macos dashboard crashed: Error: crash test: thrown while the view is up');
    expect(text).not.toContain('microVMs 3');
  }, 60_000);

  it.each([
    ['SIGTERM', '143'],
    ['SIGINT', '130'],
  ] as const)(
    'restores the terminal on %s',
    async (signal, code) => {
      await startDashboard();
      await see(/> ● cache /);
      // The pane's shell runs the CLI as its child.
      const panePid = (await tmux('list-panes', '-t', 'dash', '-F', '#{pane_pid}')).stdout.trim();
      const children = await readFile(`/proc/${panePid}/task/${panePid}/children`, 'utf8');
      const cliPid = Number(children.trim().split(/\s+/)[0]);
      expect(cliPid).toBeGreaterThan(0);
      process.kill(cliPid, signal);
      await see(/DASHBOARD-DONE/);
      expect((await readFile(join(dir, 'rc'), 'utf8')).trim()).toBe(code);
      await sameTerminal();
      expect(await screen()).not.toContain('microVMs');
    },
    60_000,
  );
});
