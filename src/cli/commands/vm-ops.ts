// Pause, resume and stop, defined once: `microvm pause|resume|stop` and `actions pause|resume|stop`
// both use these (the agent's own routes, not the passthrough: the agent must know the state).
import type { Command } from 'commander';
import { DEFAULT_STOP_TIMEOUT_S, MAX_STOP_TIMEOUT_S } from '../../api/limits.ts';
import type { StopMicrovmResponse } from '../../api/schemas.ts';
import type { AgentClient } from '../../client/agent-client.ts';
import type { CommandContext } from '../context.ts';
import { parseStopTimeout } from '../flag-parsers.ts';

export type PauseOrResume = 'pause' | 'resume';

/** `-t, --timeout <seconds>` with the agent's default grace period. */
export function addStopTimeout(cmd: Command): Command {
  return cmd.option(
    '-t, --timeout <seconds>',
    `grace period before the kill (0-${MAX_STOP_TIMEOUT_S})`,
    parseStopTimeout,
    DEFAULT_STOP_TIMEOUT_S,
  );
}

export interface StopFlags {
  force?: boolean;
  timeout?: number;
}

export function stopMicrovm(
  client: AgentClient,
  name: string,
  flags: StopFlags,
): Promise<StopMicrovmResponse> {
  return client.stop(name, {
    force: flags.force ?? false,
    timeout_s: flags.timeout ?? DEFAULT_STOP_TIMEOUT_S,
  });
}

/** "stopped web (shut down cleanly)", "stopped idle (killed): not booted". */
export function stopLine(r: StopMicrovmResponse): string {
  const how = r.stop.graceful
    ? 'shut down cleanly'
    : r.stop.method === 'kill'
      ? 'killed'
      : 'killed after the timeout';
  return `stopped ${r.microvm.name} (${how})${r.stop.message && !r.stop.graceful ? `: ${r.stop.message}` : ''}`;
}

/** Pauses or resumes one microVM and reports it: the microVM as JSON, or "paused NAME". */
export async function pauseOrResume(
  ctx: CommandContext<unknown>,
  op: PauseOrResume,
  name: string,
): Promise<number> {
  const client = await ctx.client();
  const vm = await (op === 'pause' ? client.pause(name) : client.resume(name));
  ctx.out.data(vm);
  ctx.out.line(`${op === 'pause' ? 'paused' : 'resumed'} ${vm.name}`);
  return 0;
}
