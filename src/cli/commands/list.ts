// `fc-macos ls` (also `ps`, `microvm list` and `microvm ls`): the microVMs, sorted by name. The
// most run command, so it has a second way in beside commander: bin.ts hands the argument lists
// that fastList() recognises straight to the same body, without loading commander or building the
// program (about a quarter of the command's time on Node 20). Anything else it does not take
// (help, an unknown flag, --agent-url) goes to commander as before.
import type { Command } from 'commander';
import type { Microvm } from '../../api/schemas.ts';
import type { AgentClient } from '../../client/agent-client.ts';
import { action, type CommandContext, runAction } from '../context.ts';
import type * as View from '../microvm-view.ts';
import { exitQuietlyOnEpipe } from '../stdio.ts';

interface ListFlags {
  quiet?: boolean;
}

/** The views load with the first command that prints microVMs. */
export const views = (): Promise<typeof View> => import('../microvm-view.ts');

export async function listAll(client: AgentClient): Promise<Microvm[]> {
  return (await views()).sortMicrovms(await client.listMicrovms());
}

async function list(ctx: CommandContext<ListFlags>): Promise<number> {
  const v = await views();
  const all = await listAll(await ctx.client());
  if (ctx.json) ctx.out.data({ microvms: all });
  else if (ctx.opts.quiet) for (const vm of all) ctx.out.line(vm.name);
  else if (all.length === 0) ctx.out.line('no microVMs (`fc-macos run` starts one)');
  else ctx.out.line(v.listTable(all, ctx.out.paint));
  return 0;
}

export function registerList(parent: Command, name: string, aliases: string[] = []): void {
  const cmd = parent
    .command(name)
    .description('list microVMs (sorted by name)')
    .option('-q, --quiet', 'names only, one per line');
  for (const a of aliases) cmd.alias(a);
  cmd.action(action<ListFlags>(list));
}

/** The command words that name the list: top level, and under `microvm`/`microvms`. */
const TOP = new Set(['ls', 'ps']);
const GROUP = new Set(['microvm', 'microvms']);
const SUB = new Set(['ls', 'list']);

/**
 * The flags of an argument list (after `node fc-macos`) that is only a list command with --json
 * and -q/--quiet, in the places commander takes them; null for anything else.
 */
export function fastListArgs(args: string[]): { json: boolean; quiet: boolean; words: string } | null {
  let i = 0;
  let json = false;
  let quiet = false;
  while (args[i] === '--json') {
    json = true;
    i++;
  }
  // Named as commander names them (aliases resolved), for messages.
  let words: string;
  if (TOP.has(args[i] ?? '')) {
    words = 'ls';
    i++;
  } else if (GROUP.has(args[i] ?? '') && SUB.has(args[i + 1] ?? '')) {
    words = 'microvm list';
    i += 2;
  } else return null;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '-q' || a === '--quiet') quiet = true;
    else return null;
  }
  return { json, quiet, words };
}

/** Runs the list for an argument list fastListArgs() takes; false (nothing done) otherwise. */
export async function fastList(args: string[]): Promise<boolean> {
  const flags = fastListArgs(args);
  if (!flags) return false;
  exitQuietlyOnEpipe();
  await runAction(list, {
    words: flags.words,
    opts: flags.quiet ? { quiet: true } : {},
    args: [],
    globals: flags.json ? { json: true } : {},
  });
  return true;
}
