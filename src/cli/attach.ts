// Attaching this terminal to a microVM's console. Raw mode only when stdin is a terminal, so
// Ctrl+C and every other key go to the guest as bytes; Ctrl+] (0x1d) detaches and is never sent.
// The terminal is restored on every way out: detach, the microVM exiting or being deleted, the
// agent going away, a signal, and (as a last resort) process exit.
import type { AgentClient } from '../client/agent-client.ts';
import type { ConsoleEnd } from '../client/console.ts';
import { safeField, terminalSafe } from './format.ts';

export const DETACH_BYTE = 0x1d;

export type AttachOutcome =
  | { kind: 'detached' }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'ended'; end: ConsoleEnd };

/** With piped input: how long the console must be quiet after EOF before detaching, and the cap. */
export const PIPE_QUIET_MS = 500;
export const PIPE_MAX_WAIT_MS = 10_000;

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** Exit code and the message for the user (stderr) after an attach ends. */
export function describeOutcome(name: string, outcome: AttachOutcome): { exitCode: number; message: string } {
  const reattach = `\`fc-macos microvm shell ${name}\` re-attaches`;
  switch (outcome.kind) {
    case 'detached':
      return { exitCode: 0, message: `detached from microVM ${name}; it keeps running (${reattach})` };
    case 'signal':
      return {
        exitCode: SIGNAL_EXIT[outcome.signal] ?? 1,
        message: `detached from microVM ${name} on ${outcome.signal}; it keeps running (${reattach})`,
      };
    case 'ended': {
      const { end } = outcome;
      const why = end.reason ? ` (${end.reason})` : '';
      switch (end.kind) {
        case 'exited':
          return { exitCode: 0, message: `microVM ${name} exited${why}` };
        case 'deleted':
          return { exitCode: 1, message: `microVM ${name} was deleted while attached` };
        case 'agent_shutdown':
          return {
            exitCode: 1,
            message: `the agent is shutting down; microVM ${name} keeps running (${reattach} once the agent is back)`,
          };
        case 'too_slow':
          return {
            exitCode: 1,
            message: `the agent dropped this console for reading too slowly (${reattach})`,
          };
        case 'detached':
          return { exitCode: 0, message: `detached from microVM ${name}; it keeps running (${reattach})` };
        default:
          return {
            exitCode: 1,
            message: `the connection to the agent was lost (code ${end.code}${end.reason ? `, ${end.reason}` : ''}); microVM ${name} may still be running (${reattach})`,
          };
      }
    }
  }
}

export interface TerminalIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

/** Attaches until detach/exit/signal; resolves to the exit code. Never leaves the terminal raw. */
export async function attachTerminal(
  client: AgentClient,
  name: string,
  io: TerminalIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const conn = await client.attachConsole(name);
  const { stdin, stdout, stderr } = io;
  const raw = stdin.isTTY === true;
  // In raw mode the terminal does no \n → \r\n translation: our own lines need the \r.
  const nl = raw ? '\r\n' : '\n';

  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    if (raw) {
      try {
        stdin.setRawMode(false);
      } catch {
        // The terminal is gone (hangup): nothing left to restore.
      }
    }
  };
  process.once('exit', restore);

  const outcome = await new Promise<AttachOutcome>((resolve) => {
    let offData = (): void => undefined;
    let done = false;
    const finish = (o: AttachOutcome): void => {
      if (done) return;
      done = true;
      offData();
      stdin.off('data', onInput);
      stdin.off('end', onEnd);
      if (quietTimer) clearTimeout(quietTimer);
      for (const s of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) process.off(s, onSignal);
      restore();
      stdin.pause();
      resolve(o);
    };
    const onInput = (buf: Buffer | string): void => {
      const bytes = typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf;
      const i = bytes.indexOf(DETACH_BYTE);
      if (i === -1) {
        conn.write(bytes);
        return;
      }
      if (i > 0) conn.write(bytes.subarray(0, i));
      finish({ kind: 'detached' });
    };
    const onSignal = (signal: NodeJS.Signals): void => finish({ kind: 'signal', signal });
    // Piped input (`echo cmd | fc-macos run`, `< /dev/null`): at its end, detach once the console
    // has been quiet for a moment, so the answer to the last line is still printed.
    let lastOutput = Date.now();
    let quietTimer: NodeJS.Timeout | undefined;
    const onEnd = (): void => {
      const endedAt = Date.now();
      const check = (): void => {
        const now = Date.now();
        if (now - lastOutput >= PIPE_QUIET_MS || now - endedAt >= PIPE_MAX_WAIT_MS)
          finish({ kind: 'detached' });
        else quietTimer = setTimeout(check, PIPE_QUIET_MS - (now - lastOutput));
      };
      check();
    };
    // Handlers first: until they are installed a SIGTERM kills the process outright, and anyone
    // watching the terminal may send one as soon as the first byte below appears.
    for (const s of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) process.on(s, onSignal);
    stderr.write(`[attached to microVM ${safeField(name)}: Ctrl+] detaches]${nl}`);
    if (raw) stdin.setRawMode(true);
    // Data before end: subscribing delivers what already arrived (the history first), and an end
    // that already happened fires at once, after it.
    offData = conn.on('data', (chunk) => {
      lastOutput = Date.now();
      stdout.write(chunk);
    });
    conn.on('end', (end) => finish({ kind: 'ended', end }));
    if (done) return;
    stdin.on('data', onInput);
    if (!raw) stdin.once('end', onEnd);
    stdin.resume();
  });

  if (outcome.kind !== 'ended') await conn.close();
  process.off('exit', restore);
  const { exitCode, message } = describeOutcome(name, outcome);
  // The terminal is cooked again: a plain newline ends the guest's last (maybe partial) line.
  stderr.write(`\n[${terminalSafe(message)}]\n`);
  return exitCode;
}
