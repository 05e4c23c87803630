// `action()` wraps a command body for commander: runAction() (run-action.ts) with the agent
// connection of agent.ts, loaded when a command first talks to the agent. The rest of a command's
// context is re-exported from run-action.ts, so commands import it all from here.
import type { Command } from 'commander';
import type { AgentClient } from '../client/agent-client.ts';
import { type CommandContext, type GlobalFlags, runAction } from './run-action.ts';

export {
  type CommandContext,
  type GlobalFlags,
  type Invocation,
  Output,
  runAction,
} from './run-action.ts';

export function globalsOf(cmd: Command): GlobalFlags {
  return cmd.optsWithGlobals() as GlobalFlags;
}

/** The agent client for a command's global flags; agent.ts (and the host layer) loads on first use. */
export function connectLazily(globals: GlobalFlags): Promise<AgentClient> {
  return import('./agent.ts').then((m) => m.connectAgent(globals));
}

/** Wraps a command body for commander. */
export function action<O>(
  body: (ctx: CommandContext<O>) => Promise<number | undefined>,
): (...params: unknown[]) => Promise<void> {
  return (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    return runAction(
      body,
      {
        words: cmd.parent?.parent ? `${cmd.parent.name()} ${cmd.name()}` : cmd.name(),
        opts: cmd.opts() as O,
        args: params.slice(0, -2),
        globals: globalsOf(cmd),
      },
      connectLazily,
    );
  };
}
