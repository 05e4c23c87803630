// The dashboard in a terminal: the alternate screen, the Ink view, and every way out restoring
// the terminal exactly (q/Esc/Ctrl+C, SIGTERM/SIGHUP, a crash, process exit). Attaching a console
// unmounts the view, hands the terminal to the console code of `microvm shell`, and mounts the
// view again on Ctrl+]: the store keeps the data in between, the feed keeps running.
import { render } from 'ink';
import { createElement as h } from 'react';
import { attachTerminal } from '../cli/attach.ts';
import type { AgentClient } from '../client/agent-client.ts';
import type { HostStatus } from '../host/provider.ts';
import { App, type ExitRequest } from './app.ts';
import { Feed } from './feed.ts';
import { DashboardStore } from './store.ts';
import type { Theme } from './theme.ts';

export interface RunOptions {
  url: string;
  connect: () => Promise<AgentClient>;
  hostStatus?: () => Promise<HostStatus>;
  provider: string | null;
  theme: Theme;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  /** The view to mount; App unless a test mounts one that fails. */
  view?: typeof App;
}

const ENTER = '\x1b[?1049h\x1b[2J\x1b[H\x1b[?25l';
const LEAVE = '\x1b[?25h\x1b[?1049l';
const CLEAR = '\x1b[2J\x1b[H';

type Outcome = ExitRequest | { kind: 'crash'; err: unknown } | { kind: 'signal'; signal: NodeJS.Signals };

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGTERM: 143, SIGHUP: 129, SIGINT: 130 };

export async function runDashboard(opts: RunOptions): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const store = new DashboardStore(opts.url);
  store.update((d) => ({ ...d, provider: opts.provider }));
  if (opts.hostStatus) {
    opts
      .hostStatus()
      .then((s) => store.update((d) => ({ ...d, hostStatus: s })))
      .catch(() => undefined);
  }
  const feed = new Feed(store, { connect: opts.connect, hostStatus: opts.hostStatus });

  let restored = true;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    try {
      if (stdin.isTTY) stdin.setRawMode(false);
    } catch {
      // The terminal is gone (hangup): nothing to restore.
    }
    stdout.write(LEAVE);
  };
  const enter = (): void => {
    restored = false;
    stdout.write(ENTER);
  };

  let finish: ((o: Outcome) => void) | null = null;
  let pendingSignal: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    pendingSignal = signal;
    finish?.({ kind: 'signal', signal });
  };
  const onCrash = (err: unknown): void => {
    restore();
    stderr.write(
      `fc-macos dashboard crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  };
  // SIGINT only comes from outside (kill -INT): in raw mode Ctrl+C is a key, handled by the view.
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const s of signals) process.on(s, onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', restore);

  feed.start();
  let code = 0;
  const mounted: { ink: { unmount: () => void } | null } = { ink: null };
  try {
    for (;;) {
      enter();
      const outcome = await new Promise<Outcome>((resolve) => {
        finish = resolve;
        const ink = render(
          h(opts.view ?? App, { store, theme: opts.theme, client: () => feed.client(), onExit: resolve }),
          {
            stdin,
            stdout,
            stderr,
            exitOnCtrlC: false,
            patchConsole: false,
          },
        );
        ink.waitUntilExit().then(
          () => resolve({ kind: 'quit' }),
          (err: unknown) => resolve({ kind: 'crash', err }),
        );
        if (pendingSignal) resolve({ kind: 'signal', signal: pendingSignal });
        mounted.ink = ink;
      });
      finish = null;
      mounted.ink?.unmount();
      mounted.ink = null;
      if (outcome.kind === 'quit') break;
      if (outcome.kind === 'signal') {
        code = SIGNAL_EXIT[outcome.signal] ?? 1;
        break;
      }
      if (outcome.kind === 'crash') {
        restore();
        stderr.write(
          `fc-macos dashboard: ${outcome.err instanceof Error ? outcome.err.message : String(outcome.err)}\n`,
        );
        code = 1;
        break;
      }
      // Attach: the console gets the whole (alternate) screen and the keyboard until Ctrl+].
      stdout.write(`${CLEAR}\x1b[?25h`);
      try {
        const client = await opts.connect();
        const exit = await attachTerminal(client, outcome.name, { stdin, stdout, stderr });
        store.setStatus(`back from the console of ${outcome.name}`, 'ok');
        if (exit === 143 || exit === 129) {
          code = exit;
          break;
        }
      } catch (err) {
        store.setStatus(
          `attach ${outcome.name} failed: ${err instanceof Error ? err.message : String(err)}`,
          'error',
        );
      }
      stdout.write(CLEAR);
    }
  } finally {
    feed.stop();
    store.dispose();
    restore();
    for (const s of signals) process.off(s, onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    process.off('exit', restore);
  }
  return code;
}
