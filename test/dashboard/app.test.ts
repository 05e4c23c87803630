// The dashboard view with ink-testing-library: what a user sees for a given store, and what each
// key does (against a fake client that records every call).
import { createElement as h } from 'react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExitRequest } from '../../src/dashboard/app.ts';
import type { Outage } from '../../src/dashboard/model.ts';
import { withList, withStats } from '../../src/dashboard/model.ts';
import { DashboardStore } from '../../src/dashboard/store.ts';
import type { Theme } from '../../src/dashboard/theme.ts';
import { FakeClient, statsFor, version, vm } from './fixtures.ts';

// Ink decides on colour when it is loaded: force it, so the colour tests see escapes.
process.env.FORCE_COLOR = '1';
let render: typeof import('ink-testing-library').render;
let cleanup: () => void;
let App: typeof import('../../src/dashboard/app.ts').App;
beforeAll(async () => {
  ({ render, cleanup } = await import('ink-testing-library'));
  ({ App } = await import('../../src/dashboard/app.ts'));
});
afterEach(() => cleanup());

const ESC = String.fromCharCode(27);
const colour: Theme = { colour: true, unicode: true };
const mono: Theme = { colour: false, unicode: true };
const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
/** Retries an assertion until the view has caught up (renders are asynchronous). */
const eventually = (fn: () => void) => vi.waitFor(fn, { timeout: 3000, interval: 20 });
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI is the point
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

function setup(
  opts: { list?: ReturnType<typeof vm>[]; columns?: number; rows?: number; theme?: Theme } = {},
) {
  const list = opts.list ?? [vm('web'), vm('db', 'paused'), vm('cache', 'stopped')];
  const client = new FakeClient(list);
  const store = new DashboardStore('http://agent.test:8080', 0);
  store.update((d) => ({
    ...withStats(withList(d, list), statsFor(list)),
    provider: 'local',
    live: 'events',
    agent: { ...d.agent, version, rttMs: 3.2, reachable: true, startedAt: Date.now() - 125_000 },
  }));
  const exits: ExitRequest[] = [];
  const ui = render(
    h(App, {
      store,
      theme: opts.theme ?? colour,
      client: () => client,
      onExit: (r: ExitRequest) => exits.push(r),
      columns: opts.columns ?? 120,
      rows: opts.rows ?? 30,
    }),
  );
  const frame = () => strip(ui.lastFrame() ?? '');
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      const before = ui.frames.length;
      ui.stdin.write(k);
      // Wait for the render this key causes (if any), so the next key meets the new state.
      await tick(20);
      for (let i = 0; i < 10 && ui.frames.length === before; i++) await tick(10);
    }
  };
  const rowsShown = () =>
    frame()
      .split('\n')
      .filter((l) => /^[> ] [●+~!-] /.test(l))
      .map((l) => l.slice(4).split(/\s+/)[0]);
  const selected = () =>
    frame()
      .split('\n')
      .find((l) => l.startsWith('> '))
      ?.slice(4)
      .split(/\s+/)[0];
  return { ui, store, client, exits, frame, press, rowsShown, selected };
}

describe('dashboard view', () => {
  it('lists microVMs sorted by name, with the header of every layer', async () => {
    const t = setup();
    await tick();
    expect(t.rowsShown()).toEqual(['cache', 'db', 'web']);
    const f = t.frame();
    expect(f).toContain('Agent  ● up 0.1.0');
    expect(f).toContain('rtt 3.2 ms');
    expect(f).toContain('uptime 2m 5s');
    expect(f).toContain('firecracker 1.14.4');
    expect(f).toContain('microVMs 3 · 1 running · 1 paused · 1 stopped');
    expect(f).toContain('4 vCPUs');
    // A microVM created later lands in its place, not at the end.
    t.store.update((d) => withList(d, [...d.microvms, vm('app')]));
    await tick();
    expect(t.rowsShown()).toEqual(['app', 'cache', 'db', 'web']);
  });

  it('keeps the selection on the last row when moving past the end or when rows go away', async () => {
    const t = setup();
    await tick();
    expect(t.selected()).toBe('cache');
    await t.press('j', 'j', 'j', 'j', 'j');
    expect(t.selected()).toBe('web');
    await t.press('g');
    expect(t.selected()).toBe('cache');
    await t.press('G');
    expect(t.selected()).toBe('web');
    // The selected microVM is removed elsewhere: the selection stays in range.
    t.store.update((d) =>
      withList(
        d,
        d.microvms.filter((m) => m.name !== 'web'),
      ),
    );
    await tick();
    expect(t.selected()).toBe('db');
    await t.press('k', 'k', 'k');
    expect(t.selected()).toBe('cache');
  });

  it('shows the details of the selected microVM, exit and console lines included', async () => {
    const crashed = vm('zed', 'exited', {
      exit: { code: null, signal: 'SIGKILL', reason: 'crashed', at: '2026-12-04T10:03:00.000Z' },
      last_console_lines: ['Kernel panic - not syncing', 'evil\x1b[2Jline'],
    });
    const t = setup({ list: [vm('web'), crashed] });
    await tick();
    await t.press('G', '\r');
    const f = t.frame();
    expect(f).toContain(`id         ${crashed.id}`);
    expect(f).toContain('boot args  console=ttyS0 reboot=k panic=1 pci=off');
    expect(f).toContain('signal     SIGKILL');
    expect(f).toContain('reason     crashed');
    expect(f).toContain('Kernel panic - not syncing');
    // The escape from the guest is shown, not sent to the terminal.
    expect(t.ui.lastFrame()).not.toContain('\x1b[2J');
    expect(f).toContain('evil\\x1b[2Jline');
    // Side by side at 120 columns: a list row and a detail line share a line.
    expect(f.split('\n').some((l) => /^ {2}● web /.test(l) && l.includes(crashed.id))).toBe(true);
    await t.press(' ');
    expect(t.frame()).not.toContain('boot args');
  });

  it('stacks the details below 100 columns and shows one line per microVM below 60', async () => {
    const long = vm('a-very-long-name-that-would-not-fit-anywhere-at-all-in-a-narrow-terminal');
    const stacked = setup({ list: [vm('web'), long], columns: 80 });
    await tick();
    await stacked.press('\r');
    const lines = stacked.frame().split('\n');
    const rowAt = lines.findIndex((l) => l.startsWith('> '));
    const kernelAt = lines.findIndex((l) => l.startsWith('kernel'));
    expect(kernelAt).toBeGreaterThan(rowAt);
    for (const l of lines) expect([...l].length).toBeLessThanOrEqual(80);
    cleanup();

    const narrow = setup({ list: [vm('web'), long, vm('db', 'paused')], columns: 50 });
    await tick();
    const nl = narrow.frame().split('\n');
    for (const l of nl) expect([...l].length).toBeLessThanOrEqual(50);
    expect(nl.filter((l) => /^[> ] ● /.test(l))).toHaveLength(3);
    expect(nl.find((l) => l.includes('db'))).toMatch(/db paused 0%/);
    expect(nl.find((l) => l.includes('a-very'))).toMatch(/…$/);
  });

  it('never wraps a row at any width', async () => {
    const long = vm('x'.repeat(63));
    for (const columns of [40, 59, 60, 99, 100, 160]) {
      const t = setup({ list: [long, vm('b')], columns });
      await tick();
      const lines = t.frame().split('\n');
      for (const l of lines) expect([...l].length).toBeLessThanOrEqual(columns);
      expect(lines.filter((l) => /^[> ] ● /.test(l))).toHaveLength(2);
      cleanup();
    }
  });

  it('uses colour only with a colour theme, and spells out state in monochrome', async () => {
    const c = setup();
    await tick();
    expect(c.ui.lastFrame()).toContain(`${ESC}[32m`);
    cleanup();
    const m = setup({ theme: mono });
    await tick();
    const raw = m.ui.lastFrame() ?? '';
    // Selection is inverse video (allowed in monochrome); no colour escape at all.
    expect(raw).not.toMatch(new RegExp(`${ESC}\\[[39][0-9]m`));
    const f = strip(raw);
    expect(f).toMatch(/- cache\s+stopped/);
    expect(f).toMatch(/~ db\s+paused/);
    expect(f).toMatch(/\+ web\s+running/);
  });

  it('shows which layer is down and the fix, without losing the list', async () => {
    const t = setup();
    const outage: Outage = {
      layer: 'agent',
      message: 'the agent at http://agent.test:8080 is not answering (connection refused)',
      fix: 'run `fc-macos vm start`',
      retryAt: Date.now() + 4000,
      attempts: 3,
    };
    t.store.update((d) => ({ ...d, outage, agent: { ...d.agent, reachable: false } }));
    await tick();
    const f = t.frame();
    expect(f).toContain(
      'AGENT DOWN: the agent at http://agent.test:8080 is not answering (connection refused)',
    );
    expect(f).toContain('fix: run `fc-macos vm start`');
    expect(f).toMatch(/retrying in [34]s \(attempt 3\)/);
    expect(f).toContain('Agent  ● DOWN');
    expect(t.rowsShown()).toEqual(['cache', 'db', 'web']);
    t.store.update((d) => ({
      ...d,
      outage: {
        ...outage,
        layer: 'vm',
        message: 'the Linux VM fc-macos is stopped',
        fix: 'fc-macos vm start',
      },
    }));
    await tick();
    expect(t.frame()).toContain('LINUX VM DOWN: the Linux VM fc-macos is stopped');
  });

  it('runs actions on the selected microVM and shows their result; errors stay in the status line', async () => {
    const t = setup();
    await tick();
    const [cache, db, web] = t.store.get().microvms;
    await t.press('j', 'p');
    await eventually(() => expect(t.client.calls).toContain(`resume ${db?.id}`));
    expect(t.frame()).toContain('db running');
    await t.press('j', 's');
    await eventually(() => expect(t.client.calls).toContain(`stop ${web?.id}`));
    expect(t.frame()).toContain('web stopped (graceful)');
    // K asks; n cancels, y kills.
    await t.press('k', 'K');
    expect(t.frame()).toContain('Kill microVM db? (y/n)');
    await t.press('n');
    expect(t.client.calls.some((c) => c.startsWith('kill'))).toBe(false);
    await t.press('K', 'y');
    await eventually(() => expect(t.client.calls).toContain(`kill ${db?.id}`));
    // d refuses a running microVM without asking; asks for a stopped one.
    t.client.list = t.client.list.map((m) => (m.id === cache?.id ? { ...m, state: 'running' } : m));
    t.store.update((d) => withList(d, t.client.list));
    await t.press('g', 'd');
    expect(t.frame()).toContain('cache is running: stop it (s) before removing it');
    expect(t.client.calls.some((c) => c.startsWith('delete'))).toBe(false);
    t.client.fail.pause = new Error(
      'the agent at http://agent.test:8080 is not answering (connection reset)',
    );
    await t.press('p');
    await eventually(() =>
      expect(t.frame()).toContain('pause cache failed: the agent at http://agent.test:8080 is not answering'),
    );
    await t.press('G', 'd', 'y');
    await eventually(() => expect(t.client.calls).toContain(`delete ${web?.id}`));
    expect(t.rowsShown()).toEqual(['cache', 'db']);
  });

  it('filters by name, shows help, pages the console log, and asks to quit or attach', async () => {
    const t = setup();
    await tick();
    await t.press('/', 'w', 'e');
    expect(t.rowsShown()).toEqual(['web']);
    await t.press('\r');
    expect(t.frame()).toContain('filter "we"');
    await t.press('/', '\x1b');
    await eventually(() => expect(t.rowsShown()).toEqual(['cache', 'db', 'web']));
    await eventually(() => expect(t.frame()).not.toContain('filter:'));
    await t.press('?');
    await eventually(() => expect(t.frame()).toContain('attach its console full screen; Ctrl+] comes back'));
    await t.press('x');
    await t.press('G', 'l');
    await tick(50);
    const pager = t.frame();
    expect(pager).toContain('console log of web');
    expect(pager).toContain('line one');
    expect(t.ui.lastFrame()).not.toContain('\x1b]0;');
    expect(pager).not.toContain('\x07');
    await t.press('q');
    expect(t.exits).toEqual([]);
    await t.press('a');
    expect(t.exits).toEqual([{ kind: 'attach', name: 'web' }]);
    await t.press('q');
    expect(t.exits[1]).toEqual({ kind: 'quit' });
    await t.press('\x03');
    expect(t.exits[2]).toEqual({ kind: 'quit' });
  });

  it('shows a scroll indicator when the list is longer than the screen', async () => {
    const list = Array.from({ length: 40 }, (_, i) => vm(`vm-${String(i).padStart(2, '0')}`));
    const t = setup({ list, rows: 20 });
    await tick();
    expect(t.frame()).toMatch(/▼ \d+ more/);
    await t.press('G');
    expect(t.frame()).toMatch(/▲ \d+ more/);
    expect(t.selected()).toBe('vm-39');
    expect(t.frame().split('\n').length).toBeLessThan(20);
  });
});

describe('dashboard view updates', () => {
  it('draws a frame only when something on screen changed', async () => {
    const t = setup();
    // No agent uptime in the header: it ticks with the clock, which this test does not control.
    t.store.update((d) => ({ ...d, agent: { ...d.agent, startedAt: null } }));
    await tick();
    const list = t.store.get().microvms;
    const frames = () => t.ui.frames.length;
    const before = frames();
    // CPU 50.2 % and RSS 100.01 MiB show as 50 % and 100.0M, as 50 % and 100 MiB did.
    t.store.update((d) => withStats(d, statsFor(list, 50.2, 100.01)));
    t.store.update((d) => withList(d, structuredClone(d.microvms)));
    await tick(100);
    expect(frames()).toBe(before);
    t.store.update((d) => withStats(d, statsFor(list, 73, 100)));
    await eventually(() => expect(t.frame()).toMatch(/web .* 73% /));
    // With the details pane open its times tick, so every update is drawn.
    await t.press('G', '\r');
    await eventually(() => expect(t.frame()).toContain('boot args'));
    const open = frames();
    t.store.update((d) => withStats(d, statsFor(list, 73.1, 100)));
    await eventually(() => expect(frames()).toBeGreaterThan(open));
  });
});

describe('dashboard view height', () => {
  it('fits the screen with the details pane open, side by side and stacked', async () => {
    const list = Array.from({ length: 30 }, (_, i) => vm(`vm-${String(i).padStart(2, '0')}`));
    for (const columns of [120, 80]) {
      const t = setup({ list, columns, rows: 24 });
      await tick();
      await t.press('\r');
      const lines = t.frame().split('\n');
      expect(lines.length).toBeLessThan(24);
      expect(lines[0]).toMatch(/^Linux/);
      expect(t.frame()).toContain('boot args');
      cleanup();
    }
  });
});

describe('dashboard view with networking', () => {
  it('shows each address in the list and the network in the details', async () => {
    const net = {
      address: '172.30.0.2',
      gateway: '172.30.0.1',
      prefix_length: 24,
      mac: '06:00:ac:1e:00:02',
      tap: 'fcm-tap0',
      isolated: false,
      ports: [{ host_ip: null, host_port: 8080, guest_port: 80, protocol: 'tcp' as const }],
    };
    const t = setup({ list: [vm('web', 'running', { network: net }), vm('db', 'stopped')] });
    await tick();
    expect(t.frame()).toMatch(/UPTIME\s+ADDRESS/);
    expect(t.frame()).toMatch(/● web .*172\.30\.0\.2/);
    await t.press('j', '\r');
    await eventually(() => expect(t.frame()).toContain('address    172.30.0.2/24 via 172.30.0.1'));
    expect(t.frame()).toContain('ports      *:8080->80/tcp');
  });

  it('keeps whole addresses at 80 columns (the bars give up the room), as seen on real guests', async () => {
    const net = (address: string) => ({
      address,
      gateway: '172.30.0.1',
      prefix_length: 24,
      mac: '06:00:ac:1e:00:02',
      tap: 'fcm-tap0',
      isolated: false,
      ports: [],
    });
    const list = [
      vm('bg2', 'running', { network: net('172.30.0.229') }),
      vm('web', 'running', { network: net('172.30.0.91') }),
    ];
    const t = setup({ list, columns: 80 });
    await tick();
    expect(t.frame()).toMatch(/● bg2 .*172\.30\.0\.229$/m);
    expect(t.frame()).toMatch(/● web .*172\.30\.0\.91 *$/m);
    for (const line of t.frame().split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});

describe('dashboard theme', () => {
  it('is monochrome with NO_COLOR or TERM=dumb, and plain ASCII with TERM=dumb', async () => {
    const { themeFor, bar, dot } = await import('../../src/dashboard/theme.ts');
    expect(themeFor({ TERM: 'xterm-256color' })).toEqual({ colour: true, unicode: true });
    expect(themeFor({ TERM: 'xterm-256color', NO_COLOR: '1' })).toEqual({ colour: false, unicode: true });
    // An empty NO_COLOR does not count (no-color.org).
    expect(themeFor({ NO_COLOR: '' }).colour).toBe(true);
    const dumb = themeFor({ TERM: 'dumb' });
    expect(dumb).toEqual({ colour: false, unicode: false });
    expect(bar(dumb, 0.5, 4)).toEqual(['##', '..']);
    expect(dot(dumb, 'failed')).toBe('!');
  });
});
