// Pause, resume and stop, defined once: `microvm pause|resume|stop` and `actions pause|resume|stop`
// both use these (the agent's own routes, not the passthrough: the agent must know the state).
import type { Command } from 'commander';
import { DEFAULT_STOP_TIMEOUT_S, MAX_STOP_TIMEOUT_S } from '../../api/limits.ts';
import type { StopMicrovmResponse } from '../../api/schemas.ts';
import type { AgentClient } from '../../client/agent-client.ts';
import type { CommandContext } from '../context.ts';
import { parseStopTimeout } from '../flag-parsers.ts';
import { safeField } from '../format.ts';

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

/** Which way it stopped: the guest agent or Ctrl+Alt+Del shut the guest down, or it was killed (at once, or after N s). */
export function stopLine(r: StopMicrovmResponse, timeoutS: number): string {
  const how = r.stop.graceful
    ? r.stop.method === 'guest_shutdown'
      ? 'the guest agent shut the guest down'
      : 'the guest shut down after Ctrl+Alt+Del'
    : r.stop.method === 'kill'
      ? 'killed at once'
      : `killed after ${timeoutS}s: the guest did not shut down`;
  return `stopped ${r.microvm.name} (${how})${r.stop.message && !r.stop.graceful ? `: ${r.stop.message}` : ''}`;
}

/**
 * On a terminal, a line that counts the seconds while stops wait for their guests; cleared when
 * done. Pipes and --json get nothing (their output is the result).
 */
export function stopProgress(names: string[], flags: StopFlags, json: boolean): () => void {
  const err = process.stderr;
  if (json || !err.isTTY || flags.force || names.length === 0) return () => {};
  const timeout = flags.timeout ?? DEFAULT_STOP_TIMEOUT_S;
  const started = Date.now();
  const what = names.length === 1 ? names[0] : `${names.length} microVMs`;
  const draw = () => {
    const s = Math.floor((Date.now() - started) / 1000);
    err.write(
      `\r\x1b[2Kstopping ${safeField(what ?? '')}: waiting for the guest to shut down (${s}s of ${timeout}s, then kill)`,
    );
  };
  draw();
  const timer = setInterval(draw, 1000);
  return () => {
    clearInterval(timer);
    err.write('\r\x1b[2K');
  };
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
