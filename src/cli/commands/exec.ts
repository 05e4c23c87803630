// fc-macos exec NAME [-i] [-t] [-e K=V] [-w DIR] [-u USER] [--timeout S] -- CMD...
// Runs a command in a microVM through its guest agent, like `docker exec`: output streams, the
// command's exit code becomes ours, -i passes stdin, -t gives a real pty (raw terminal, window
// size follows ours), and Ctrl+C reaches the command.
import type { Command } from 'commander';
import type { ExecStream } from '../../client/exec-stream.ts';
import { action } from '../context.ts';
import { UsageError } from '../errors.ts';

interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  env: string[];
  workdir?: string;
  user?: string;
  timeout?: number;
}

const collect = (v: string, acc: string[]): string[] => {
  if (!/^[^=]+=/.test(v)) throw new UsageError(`-e ${v}: must be KEY=VALUE`);
  return [...acc, v];
};

function parseTimeout(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400)
    throw new UsageError(`--timeout ${v}: seconds from 1 to 86400`);
  return n;
}

/** Exit codes of a command that could not start, as a shell (and docker exec) gives them. */
function startFailureCode(err: unknown): number | null {
  // The agent's error (AgentApiError) carries the guest's code; checked by shape so that this
  // module does not load the client's error classes (and zod) for --help.
  if (!(err instanceof Error) || err.name !== 'AgentApiError') return null;
  const g = (err as Error & { details?: Record<string, unknown> }).details?.guest_code;
  if (g === 'not_found') return 127;
  if (g === 'not_executable') return 126;
  return null;
}

export function registerExec(program: Command): void {
  program
    .command('exec')
    .description("run a command in a microVM through its guest agent (exit code is the command's)")
    .argument('<name>', 'microVM name or id (prefix)')
    .argument('<command...>', 'the command and its arguments (put them after --)')
    .option('-i, --interactive', 'pass this stdin to the command (else it reads /dev/null)')
    .option('-t, --tty', 'give the command a pseudo-terminal (top, vi work; output is stdout only)')
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('-w, --workdir <dir>', "working directory in the guest (absolute; default the user's home)")
    .option('-u, --user <user>', 'user in the guest: name, uid or uid:gid (default root)')
    .option('--timeout <seconds>', 'kill the command after this long (exit 137)', parseTimeout)
    .action(
      action<ExecFlags>(async (ctx) => {
        const name = ctx.args[0] as string;
        const argv = ctx.args[1] as string[];
        const { opts } = ctx;
        if (opts.workdir && !opts.workdir.startsWith('/'))
          throw new UsageError(`-w ${opts.workdir}: must be absolute`);
        const client = await ctx.client();
        const stdin = process.stdin;
        const stdout = process.stdout;
        const tty = opts.tty ? { rows: stdout.rows || 24, cols: stdout.columns || 80 } : null;
        const raw = Boolean(opts.tty && opts.interactive && stdin.isTTY);
        const restore = (): void => {
          if (raw) {
            try {
              stdin.setRawMode(false);
            } catch {
              // the terminal is gone
            }
          }
        };
        // Raw before the command starts: its first output (a prompt) may arrive with the start, and
        // keys typed from then on (Ctrl+C too) must already go to the guest, not to us.
        process.once('exit', restore);
        if (raw) stdin.setRawMode(true);
        let stream: ExecStream;
        try {
          stream = await client.execStream(
            name,
            {
              argv,
              env: opts.tty && process.env.TERM ? [`TERM=${process.env.TERM}`, ...opts.env] : opts.env,
              ...(opts.workdir ? { cwd: opts.workdir } : {}),
              ...(opts.user ? { user: opts.user } : {}),
              ...(opts.timeout ? { timeout_ms: Math.round(opts.timeout * 1000) } : {}),
              tty,
              stdin: Boolean(opts.interactive),
            },
            { onStdout: (b) => stdout.write(b), onStderr: (b) => process.stderr.write(b) },
          );
        } catch (err) {
          restore();
          process.off('exit', restore);
          const code = startFailureCode(err);
          if (code === null) throw err;
          ctx.out.error(err);
          return code;
        }
        // Without a raw tty, Ctrl+C and friends become signals for the command, not our death.
        const onSignal = (sig: NodeJS.Signals): void => stream.signal(sig.replace(/^SIG/, ''));
        const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
        for (const s of signals) process.on(s, onSignal);
        const onResize = (): void => stream.resize(stdout.rows || 24, stdout.columns || 80);
        if (tty) stdout.on('resize', onResize);
        const onInput = (b: Buffer): void => stream.write(b);
        const onEnd = (): void => stream.end();
        if (opts.interactive) {
          stdin.on('data', onInput);
          stdin.once('end', onEnd);
          stdin.resume();
        }
        try {
          const exit = await stream.exit;
          if (exit.timedOut)
            ctx.out.note(`fc-macos: the command was killed after --timeout ${opts.timeout}s`);
          return exit.exitCode;
        } finally {
          for (const s of signals) process.off(s, onSignal);
          stdout.off('resize', onResize);
          stdin.off('data', onInput);
          stdin.off('end', onEnd);
          restore();
          process.off('exit', restore);
          stdin.pause();
        }
      }),
    );
}
