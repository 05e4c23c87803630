// What a client does to a running microVM: start, pause, resume, stop, kill, and remove. Each runs
// under the microVM's lock but kill, which must be able to cut a slow stop short.
import { rm } from 'node:fs/promises';
import { CLOSE_MICROVM_DELETED } from '../../api/console.ts';
import type { Microvm, MicrovmState, StopMicrovmResponse } from '../../api/schemas.ts';
import { FirecrackerApiError } from '../../firecracker/index.ts';
import { waitConsoleQuiet } from '../console/quiet.ts';
import { CONSOLE_QUIET_MAX_MS, CONSOLE_QUIET_MS } from '../constants.ts';
import { fromFirecrackerError, invalidState } from '../errors.ts';
import { stopViaGuest } from '../guest/stop.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import type { LifecycleContext } from './context.ts';
import { hardKill, waitFor } from './supervise.ts';
import { transition } from './transition.ts';

export interface StopPlan {
  kind: 'graceful' | 'kill';
  message: string;
}

/** How a stop is done. Pure, so every branch is testable without a guest. */
export function stopPlan(arch: string, state: MicrovmState, force: boolean): StopPlan {
  if (force)
    return { kind: 'kill', message: 'force: firecracker was killed (SIGKILL) without a graceful attempt' };
  if (arch === 'aarch64') {
    return {
      kind: 'kill',
      message:
        'hard stop: Firecracker on aarch64 has no SendCtrlAltDel, so firecracker was killed (SIGKILL); for a clean shutdown run `poweroff` inside the guest (with reboot=k firecracker then exits by itself)',
    };
  }
  if (state === 'created') {
    return {
      kind: 'kill',
      message: 'not booted (state created): there is no guest to shut down, firecracker was killed (SIGKILL)',
    };
  }
  if (state === 'paused') {
    return {
      kind: 'kill',
      message: 'paused: a paused guest cannot act on Ctrl+Alt+Del, so firecracker was killed (SIGKILL)',
    };
  }
  return { kind: 'graceful', message: '' };
}

function requireAlive(entry: MicrovmEntry, what: string): void {
  if (!entry.alive) {
    throw invalidState(
      `cannot ${what} microVM ${entry.vm.name}: its firecracker is not running (state ${entry.vm.state}); a microVM cannot be restarted, create a new one`,
      { state: entry.vm.state },
    );
  }
}

export function start(ctx: LifecycleContext, entry: MicrovmEntry): Promise<Microvm> {
  return entry.lock.run(async () => {
    requireAlive(entry, 'start');
    if (entry.vm.state !== 'created') {
      throw invalidState(
        `cannot start microVM ${entry.vm.name}: it is ${entry.vm.state}, start only boots a microVM in state created`,
        { state: entry.vm.state },
      );
    }
    try {
      await entry.client.instanceStart();
    } catch (err) {
      throw fromFirecrackerError(err, `starting microVM ${entry.vm.name}`);
    }
    if (entry.alive) await transition(ctx, entry, 'running', 'start');
    return entry.vm;
  });
}

export function pauseResume(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  op: 'pause' | 'resume',
): Promise<Microvm> {
  return entry.lock.run(async () => {
    requireAlive(entry, op);
    const need: MicrovmState = op === 'pause' ? 'running' : 'paused';
    if (entry.vm.state !== need) {
      throw invalidState(`cannot ${op} microVM ${entry.vm.name}: it is ${entry.vm.state}, not ${need}`, {
        state: entry.vm.state,
      });
    }
    if (op === 'resume') entry.consoleQuietAtPause = null;
    if (op === 'pause') {
      // A snapshot may follow: pause between console bursts, never with output in flight.
      entry.consoleQuietAtPause = await waitConsoleQuiet(
        entry.paths.consoleLog,
        CONSOLE_QUIET_MS,
        CONSOLE_QUIET_MAX_MS,
      );
      if (!entry.consoleQuietAtPause) {
        ctx.log.warn('pausing with console output in flight', {
          id: entry.vm.id,
          name: entry.vm.name,
          waited_ms: CONSOLE_QUIET_MAX_MS,
        });
      }
    }
    try {
      if (op === 'pause') await entry.client.pause();
      else await entry.client.resume();
    } catch (err) {
      throw fromFirecrackerError(err, `${op === 'pause' ? 'pausing' : 'resuming'} microVM ${entry.vm.name}`);
    }
    if (entry.alive) {
      await transition(ctx, entry, op === 'pause' ? 'paused' : 'running', op);
    }
    return entry.vm;
  });
}

export async function kill(ctx: LifecycleContext, entry: MicrovmEntry): Promise<Microvm> {
  requireAlive(entry, 'kill');
  entry.intent = 'kill';
  await entry.persist();
  await hardKill(ctx, entry);
  return entry.vm;
}

export function stop(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  req: { timeout_s: number; force: boolean },
): Promise<StopMicrovmResponse> {
  return entry.lock.run(async () => {
    requireAlive(entry, 'stop');
    const plan = stopPlan(ctx.arch, entry.vm.state, req.force);
    const wasRunning = entry.vm.state === 'running';
    entry.intent = 'stop';
    await transition(ctx, entry, 'stopping', 'stop');
    const result = (graceful: boolean, method: StopMicrovmResponse['stop']['method'], message: string) => {
      const reason = entry.vm.exit?.reason;
      if (reason !== undefined && reason !== 'stopped') {
        return {
          microvm: entry.vm,
          stop: {
            graceful: false,
            method,
            message: `the stop was overtaken: firecracker ended with reason ${reason}`,
          },
        };
      }
      return { microvm: entry.vm, stop: { graceful, method, message } };
    };
    let note = '';
    if (!req.force && wasRunning) {
      const viaGuest = await stopViaGuest(
        entry,
        req.timeout_s * 1000,
        (ms) => waitFor(entry.gone, ms),
        ctx.log,
      );
      if (viaGuest.stopped) return result(true, 'guest_shutdown', viaGuest.message);
      if (viaGuest.note) note = `${viaGuest.note}; then `;
    }
    if (plan.kind === 'kill') {
      await hardKill(ctx, entry);
      return result(false, 'kill', `${note}${plan.message}`);
    }
    try {
      await entry.client.sendCtrlAltDel();
    } catch (err) {
      // Refused by Firecracker: no graceful path, kill. A broken connection is different: the
      // guest may already be going down with the answer in flight, so wait as for a sent one.
      if (err instanceof FirecrackerApiError) {
        await hardKill(ctx, entry);
        return result(
          false,
          'kill',
          `Firecracker refused SendCtrlAltDel (${err.message}): firecracker was killed (SIGKILL) instead`,
        );
      }
      ctx.log.debug('SendCtrlAltDel got no answer', { id: entry.vm.id, error: err });
    }
    if (await waitFor(entry.gone, req.timeout_s * 1000)) {
      return result(
        true,
        'ctrl_alt_del',
        `${note}the guest shut down after Ctrl+Alt+Del within ${req.timeout_s}s`,
      );
    }
    await hardKill(ctx, entry);
    return result(
      false,
      'ctrl_alt_del_then_kill',
      `${note}the guest did not shut down within ${req.timeout_s}s of Ctrl+Alt+Del: firecracker was killed (SIGKILL)`,
    );
  });
}

const deleting = new WeakMap<MicrovmEntry, Promise<Microvm>>();

/** Kills a live firecracker, then removes the record and every file of the microVM. */
export function remove(ctx: LifecycleContext, entry: MicrovmEntry): Promise<Microvm> {
  const pending = deleting.get(entry);
  if (pending) return pending;
  const p = (async () => {
    if (entry.alive) {
      // Attached clients learn it was deleted (4001), not just that it exited (4000): close
      // their session before the kill records the exit.
      await entry.session?.close(CLOSE_MICROVM_DELETED, 'microVM deleted').catch(() => undefined);
      entry.intent = 'kill';
      await hardKill(ctx, entry);
    }
    return entry.lock.run(async () => {
      entry.removed = true;
      if (entry.watcher) clearInterval(entry.watcher);
      await entry.session?.close(CLOSE_MICROVM_DELETED, 'microVM deleted').catch(() => undefined);
      // Its tap and rules are gone before rm answers.
      await entry.released;
      ctx.registry.delete(entry);
      ctx.events.emit({ type: 'microvm.removed', name: entry.vm.name, id: entry.vm.id });
      await entry.flushed();
      await rm(entry.paths.dir, { recursive: true, force: true });
      ctx.log.info('microvm deleted', { id: entry.vm.id, name: entry.vm.name });
      return entry.vm;
    });
  })();
  deleting.set(entry, p);
  p.finally(() => deleting.delete(entry)).catch(() => undefined);
  return p;
}
