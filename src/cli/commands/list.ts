// `fc-macos ls` (also `ps`, `microvm list` and `microvm ls`): the microVMs, sorted by name. The
// most run command, so it has two more ways in beside commander: the launcher (launcher.ts) first
// tries the quick one (list-quick.ts, its own bundle), then fastList() here, which runs the same
// body through runAction() without loading commander or building the program. Anything else
// neither takes (help, an unknown flag, --agent-url) goes to commander as before.
import type { Command } from 'commander';
import { action, type CommandContext, connectLazily, runAction } from '../context.ts';
import { exitQuietlyOnEpipe } from '../stdio.ts';
import { fastListArgs, listAll, printList } from './list-quick.ts';

export { fastListArgs, listAll, views } from './list-quick.ts';

interface ListFlags {
  quiet?: boolean;
}

async function list(ctx: CommandContext<ListFlags>): Promise<number> {
  await printList(ctx.out, await listAll(await ctx.client()), Boolean(ctx.opts.quiet));
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

/** Runs the list for an argument list fastListArgs() takes; false (nothing done) otherwise. */
export async function fastList(args: string[]): Promise<boolean> {
  const flags = fastListArgs(args);
  if (!flags) return false;
  exitQuietlyOnEpipe();
  await runAction(
    list,
    {
      words: flags.words,
      opts: flags.quiet ? { quiet: true } : {},
      args: [],
      globals: flags.json ? { json: true } : {},
    },
    connectLazily,
  );
  return true;
}
