// What every command action gets: its options, whether --json is on, the output streams (with
// colour decided once), and the agent client (connected lazily: `version` and `completion`
// must work without an agent), and runAction(), which runs a body and reports every failure the
// same way. Nothing here loads the host layer: how to connect is the caller's (context.ts for
// commander's commands, commands/list-quick.ts for `fc-macos ls`).
import type { AgentClient } from '../client/agent-client.ts';
import { UsageError } from './errors.ts';
import { ansiPaint, colourWanted, noPaint, type Paint, terminalSafe } from './format.ts';

export interface GlobalFlags {
  json?: boolean;
  agentUrl?: string;
}

export class Output {
  readonly paint: Paint;

  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WriteStream = process.stdout,
    private readonly stderr: NodeJS.WriteStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.paint = !json && colourWanted(Boolean(stdout.isTTY), env) ? ansiPaint : noPaint;
  }

  /** The command's result: JSON in --json mode, else nothing (use line()). */
  data(value: unknown): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Human output on stdout; silent in --json mode. */
  line(text = ''): void {
    if (!this.json) this.stdout.write(`${terminalSafe(text, this.paint !== noPaint)}\n`);
  }

  /** Progress and notes for a person: stderr, so stdout stays the result. */
  note(text: string): void {
    this.stderr.write(`${terminalSafe(text)}\n`);
  }

  /** Reports a failure: the sentence on stderr, and in --json mode the error object on stdout. */
  async error(err: unknown): Promise<number> {
    // Loaded on failure only: it brings every layer's error classes.
    const { describeError } = await import('./describe-error.ts');
    const { code, message, exitCode } = describeError(err);
    this.stderr.write(`fc-macos: ${terminalSafe(message)}\n`);
    if (this.json) this.stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    return exitCode;
  }
}

export interface CommandContext<O> {
  /** The command's words after the program's, e.g. "boot set" (for messages). */
  words: string;
  opts: O;
  /** Positional arguments after commander's parsing. */
  args: unknown[];
  json: boolean;
  out: Output;
  globals: GlobalFlags;
  client(): Promise<AgentClient>;
}

/** What a command was given, however it was parsed (commander, or commands/list.ts for `ls`). */
export interface Invocation<O> {
  /** See CommandContext.words. */
  words: string;
  opts: O;
  args: unknown[];
  globals: GlobalFlags;
}

/** Runs a command body: builds the context, reports errors, sets the exit code. */
export async function runAction<O>(
  body: (ctx: CommandContext<O>) => Promise<number | undefined>,
  inv: Invocation<O>,
  connect: (globals: GlobalFlags) => Promise<AgentClient>,
): Promise<void> {
  const json = Boolean(inv.globals.json);
  const out = new Output(json);
  let client: Promise<AgentClient> | null = null;
  const ctx: CommandContext<O> = {
    words: inv.words,
    opts: inv.opts,
    args: inv.args,
    json,
    out,
    globals: inv.globals,
    client: () => {
      client ??= connect(inv.globals);
      return client;
    },
  };
  try {
    // An empty NAME ('' from a shell variable that was not set) never means anything.
    const name = inv.words.slice(inv.words.lastIndexOf(' ') + 1);
    for (const a of ctx.args.flat())
      if (a === '') throw new UsageError(`${name}: a NAME is empty; give a microVM name or id`);
    process.exitCode = (await body(ctx)) ?? 0;
  } catch (err) {
    process.exitCode = await out.error(err);
  }
}
