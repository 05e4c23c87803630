// Watching firecracker processes end: recording how each ended (for our children from their exit
// event, for adopted ones by polling /proc), and the SIGKILL that waits until the exit is recorded.
import { unlink } from 'node:fs/promises';
import { CLOSE_MICROVM_EXITED } from '../../api/console.ts';
import type { ExitReason, MicrovmState } from '../../api/schemas.ts';
import type { InstanceInfo } from '../../firecracker/index.ts';
import { ADOPTED_POLL_MS, KILL_WAIT_MS, LAST_CONSOLE_LINES } from '../constants.ts';
import { ApiError } from '../errors.ts';
import { exitCodeFromFiles, tailLinesOfFile } from '../files.ts';
import { exitReasonFor, type MicrovmEntry } from '../microvm-entry.ts';
import { isSameProcessAlive } from '../proc.ts';
import type { LifecycleContext } from './context.ts';
import { transition } from './transition.ts';

/** true when p settled within ms. */
export function waitFor(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export function describeExit(code: number | null, signal: string | null, reason: string): string {
  const how = signal ? `killed by ${signal}` : code === null ? 'exit code unknown' : `exit code ${code}`;
  return `firecracker exited (${how}; reason ${reason})`;
}

export function stateFromInstance(info: InstanceInfo): MicrovmState {
  if (info.state === 'Running') return 'running';
  if (info.state === 'Paused') return 'paused';
  return 'created';
}

/** Records how a firecracker ended: exit info, final state, last console lines, state.json. */
export async function recordExit(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  code: number | null,
  signal: string | null,
  /** How it ended when the process's own end does not tell (an agent restart found it gone). */
  knownReason?: ExitReason,
): Promise<void> {
  if (entry.vm.exit !== null) return;
  if (entry.watcher) {
    clearInterval(entry.watcher);
    entry.watcher = null;
  }
  const reason = knownReason ?? exitReasonFor(entry.intent, code, signal);
  const vm = entry.vm;
  // Synchronously, so `alive` turns false before anything else looks.
  vm.exit = { code, signal, reason, at: new Date().toISOString() };
  const pid = vm.pid;
  vm.pid = null;
  entry.child = null;
  // stopped only ends a stop (state stopping); any other end is exited. Written below, once the
  // last console lines are in the record too.
  const final = entry.intent === 'stop' && vm.state === 'stopping' ? 'stopped' : 'exited';
  try {
    void transition(ctx, entry, final, reason, { persist: false });
  } catch (err) {
    // Only a hand-edited or corrupt record gets here (e.g. state stopped without an exit): the
    // process is gone all the same, and the exit must be recorded.
    ctx.log.error('exit from an unexpected state', { id: vm.id, state: vm.state, error: err });
    vm.state = final;
  }
  if (entry.phase === 'ready') {
    ctx.events.emit({ type: 'microvm.exited', name: vm.name, id: vm.id, exit_code: code, signal, reason });
  }
  const how = describeExit(code, signal, reason);
  if (entry.phase === 'ready')
    ctx.log.info('microvm exited', { id: vm.id, name: vm.name, pid, code, signal, reason });
  try {
    if (entry.session) {
      await entry.session.close(CLOSE_MICROVM_EXITED, how).catch(() => undefined);
      vm.last_console_lines = entry.session.lastLines(LAST_CONSOLE_LINES);
    } else {
      vm.last_console_lines = await tailLinesOfFile(entry.paths.consoleLog, LAST_CONSOLE_LINES);
    }
    // Firecracker leaves its socket file behind.
    await unlink(entry.paths.socket).catch(() => undefined);
    await entry.persist().catch((err: unknown) => {
      if (!entry.removed) ctx.log.error('cannot write state.json', { id: vm.id, error: err });
    });
  } finally {
    entry.markGone();
    // Its tap, rules and address go with it (the record keeps what it had, for the user), once
    // the stop or kill waiting for `gone` has answered: taking a tap down spawns `ip`, which
    // blocks the agent for tens of milliseconds (about 90 ms under emulation). rm waits for it.
    entry.released = new Promise((resolve) => {
      setImmediate(() => void ctx.network.release(vm.name, vm.id).then(resolve, resolve));
    });
  }
}

/** For a firecracker that is not our child (adopted after a restart): poll /proc. */
export function watch(ctx: LifecycleContext, entry: MicrovmEntry): void {
  const pid = entry.vm.pid;
  if (pid === null) return;
  let busy = false;
  entry.watcher = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        if (await isSameProcessAlive(pid, entry.pidStart)) return;
        const code = await exitCodeFromFiles(entry.paths.firecrackerLog, entry.paths.consoleLog);
        // We cannot wait() for a process that is not our child; when we killed it we know how.
        const signal = code === null && entry.intent === 'kill' ? 'SIGKILL' : null;
        await recordExit(ctx, entry, code, signal);
      } finally {
        busy = false;
      }
    })();
  }, ADOPTED_POLL_MS);
  entry.watcher.unref();
}

/** SIGKILL and wait until the exit is recorded. */
export async function hardKill(ctx: LifecycleContext, entry: MicrovmEntry): Promise<void> {
  const sent = await entry.signal('SIGKILL');
  if (await waitFor(entry.gone, sent ? KILL_WAIT_MS : ADOPTED_POLL_MS * 4)) return;
  if (!sent && entry.vm.pid !== null && !(await isSameProcessAlive(entry.vm.pid, entry.pidStart))) {
    await recordExit(ctx, entry, null, null);
    return;
  }
  throw new ApiError(
    500,
    'internal',
    `firecracker (pid ${entry.vm.pid}) of microVM ${entry.vm.name} did not exit after SIGKILL`,
  );
}
