// runDashboard on a terminal double: every way out (q, an exception thrown inside the view) leaves
// the alternate screen, shows the cursor and turns raw mode off, last, exactly once. The real
// terminal (stty -g, SIGTERM, a crash of the built CLI) is checked in tmux.test.ts. The view is
// loaded as the CLI loads it (loadDashboard), so a CI variable in the environment (Ink then draws
// only the last frame) does not change what is drawn here.
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentUnreachableError } from '../../src/client/errors.ts';
import type { AppProps } from '../../src/dashboard/app.ts';
import { FakeKeyboard } from '../support/fake-keyboard.ts';

let runDashboard: typeof import('../../src/dashboard/run.ts').runDashboard;
beforeAll(async () => {
  const { loadDashboard } = await import('../../src/dashboard/load.ts');
  runDashboard = await loadDashboard();
});

const ENTER_ALT = '\x1b[?1049h';
const LEAVE = '\x1b[?25h\x1b[?1049l';

class Screen extends Writable {
  columns = 100;
  rows = 30;
  isTTY = true;
  out = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.out += chunk.toString();
    cb();
  }
}

function start(view?: (p: AppProps) => never) {
  const stdin = new FakeKeyboard();
  const stdout = new Screen();
  const stderr = new Screen();
  const done = runDashboard({
    url: 'http://agent.test:1',
    // The agent is down: the feed keeps retrying in the background, the view still runs.
    connect: () => Promise.reject(new AgentUnreachableError('http://agent.test:1', 'connection refused')),
    provider: 'local',
    theme: { colour: false, unicode: true },
    stdin: stdin as unknown as NodeJS.ReadStream,
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    ...(view ? { view } : {}),
  });
  return { stdin, stdout, stderr, done };
}

function expectRestored(t: ReturnType<typeof start>): void {
  const out = t.stdout.out;
  expect(out.startsWith(ENTER_ALT)).toBe(true);
  expect(out.split(ENTER_ALT)).toHaveLength(2);
  expect(out.split(LEAVE)).toHaveLength(2);
  // Nothing drawn after the terminal was handed back.
  expect(out.endsWith(LEAVE)).toBe(true);
  expect(t.stdin.raw.at(-1)).toBe(false);
}

describe('runDashboard on a terminal', () => {
  it('q quits with 0 and restores the terminal', async () => {
    const t = start();
    await expect.poll(() => t.stdout.out, { timeout: 5000 }).toContain('AGENT DOWN');
    expect(t.stdin.raw).toContain(true);
    t.stdin.type('q');
    expect(await t.done).toBe(0);
    expectRestored(t);
  });

  it('an exception thrown inside the view exits 1, says what broke and restores the terminal', async () => {
    const t = start(() => {
      throw new Error('the view broke');
    });
    expect(await t.done).toBe(1);
    expectRestored(t);
    expect(t.stderr.out).toContain('the view broke');
  });
});
