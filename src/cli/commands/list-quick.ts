// `fc-macos ls` the quick way, built on its own as dist/cli-ls.cjs (one CommonJS file, see
// scripts/build.mjs): the most run command, so the launcher (launcher.ts) tries it before loading
// anything else. It takes only the argument lists fastListArgs() recognises and only an agent
// address it already has (the cache, FC_MACOS_AGENT_URL); when the host provider must be asked, or
// the remembered address does not answer, it returns false having printed nothing, and the
// launcher runs the full CLI, which asks the provider (a list is a read: running it twice changes
// nothing). Nothing here imports commander, zod or the host layer, and every other outcome prints
// exactly what the commander route prints (test/cli/fast-list.test.ts compares them).
import type { Microvm } from '../../api/schemas.ts';
import type { AgentClient } from '../../client/agent-client.ts';
import { AgentUnreachableError } from '../../client/errors.ts';
import { type AgentLocation, clientAt, locateAgent } from '../agent-location.ts';
import { LIST_GROUP, LIST_SUB, LIST_TOP } from '../list-words.ts';
import type * as View from '../microvm-view.ts';
import { Output } from '../run-action.ts';
import { exitQuietlyOnEpipe } from '../stdio.ts';

/** The views load with the first command that prints microVMs. */
export const views = (): Promise<typeof View> => import('../microvm-view.ts');

export async function listAll(client: AgentClient): Promise<Microvm[]> {
  return (await views()).sortMicrovms(await client.listMicrovms());
}

/** What `ls` prints for microVMs already sorted: JSON, names only (-q), or the table. */
export async function printList(out: Output, all: Microvm[], quiet: boolean): Promise<void> {
  const v = await views();
  if (out.json) out.data({ microvms: all });
  else if (quiet) for (const vm of all) out.line(vm.name);
  else if (all.length === 0) out.line('no microVMs (`fc-macos run` starts one)');
  else out.line(v.listTable(all, out.paint));
}

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
  if (LIST_TOP.has(args[i] ?? '')) {
    words = 'ls';
    i++;
  } else if (LIST_GROUP.has(args[i] ?? '') && LIST_SUB.has(args[i + 1] ?? '')) {
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

class ProviderNeeded extends Error {}

/** Runs the list for an argument list fastListArgs() takes, when it can; false (nothing done) otherwise. */
export async function quickList(args: string[]): Promise<boolean> {
  const flags = fastListArgs(args);
  if (!flags) return false;
  let loc: AgentLocation;
  try {
    loc = await locateAgent({}, process.env, async () => {
      throw new ProviderNeeded();
    });
  } catch {
    // No remembered address, or an error the full CLI reports in its own words.
    return false;
  }
  const listed = await listAll(clientAt({ ...loc, relocate: undefined })).then(
    (all) => ({ all }),
    (err: unknown) => ({ err }),
  );
  // The remembered address did not answer: the full CLI asks the provider where the agent is.
  if ('err' in listed && loc.relocate && listed.err instanceof AgentUnreachableError && listed.err.notSent)
    return false;
  // From here this route answers (and fastList(), when it takes over instead, sets its own).
  exitQuietlyOnEpipe();
  const out = new Output(flags.json);
  if ('err' in listed) process.exitCode = await out.error(listed.err);
  else {
    await printList(out, listed.all, flags.quiet);
    process.exitCode = 0;
  }
  return true;
}
