// After an agent restart: every state.json is loaded, firecrackers still running are adopted (and
// watched through /proc, they are no longer our children), and what ended meanwhile is recorded.
import { chmod, mkdir, readdir, rm } from 'node:fs/promises';
import { CLOSE_MICROVM_EXITED } from '../../api/console.ts';
import { FirecrackerClient, type InstanceInfo } from '../../firecracker/index.ts';
import { ConsoleSession } from '../console/session.ts';
import { ADOPT_PROBE_TIMEOUT_MS } from '../constants.ts';
import { exitCodeFromFiles } from '../files.ts';
import { MicrovmEntry, type MicrovmPaths, pathsFor } from '../microvm-entry.ts';
import { bootTime, isSameProcessAlive } from '../proc.ts';
import { readRecord, type StoredRecord } from '../store.ts';
import type { LifecycleContext } from './context.ts';
import { ID_PATTERN } from './registry.ts';
import { killSpareIn } from './spare-vmms.ts';
import { describeExit, recordExit, stateFromInstance, watch } from './supervise.ts';
import { transition } from './transition.ts';

/** Loads every state.json and re-adopts the firecrackers still running. */
export async function loadMicrovms(ctx: LifecycleContext): Promise<void> {
  const { microvmsDir, log } = ctx;
  await mkdir(microvmsDir, { recursive: true, mode: 0o700 });
  await chmod(microvmsDir, 0o700);
  await ctx.fifos.prepare();
  await ctx.rootfsSpares.prepare();
  await ctx.vmms.prepare();
  const dirs = (await readdir(microvmsDir)).sort();
  for (const id of dirs) {
    if (!ID_PATTERN.test(id)) continue;
    const paths = pathsFor(microvmsDir, id);
    const loaded = await readRecord(paths.dir);
    if (!loaded.ok) {
      if (/ENOENT/.test(loaded.reason)) {
        // A create that died before writing anything: only agent-made files are in there, and
        // maybe the spare firecracker it had taken.
        killSpareIn(paths.dir);
        log.warn('removing unfinished microVM directory', { dir: paths.dir });
        await rm(paths.dir, { recursive: true, force: true }).catch(() => undefined);
      } else {
        log.error('skipping microVM directory', { dir: paths.dir, reason: loaded.reason });
      }
      continue;
    }
    try {
      await adopt(ctx, loaded.record, paths);
    } catch (err) {
      log.error('cannot load microVM', { dir: paths.dir, error: err });
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

async function adopt(ctx: LifecycleContext, record: StoredRecord, paths: MicrovmPaths): Promise<void> {
  const { log } = ctx;
  const vm = record.microvm;
  const pid = vm.pid;
  const sameAlive = pid !== null && vm.exit === null && (await isSameProcessAlive(pid, record.pid_starttime));
  if (record.phase === 'creating') {
    // The previous agent died mid-create: nobody got an answer, so undo it.
    if (sameAlive && pid !== null) killQuietly(pid);
    log.warn('removing microVM whose create never finished', { id: vm.id, name: vm.name });
    await rm(paths.dir, { recursive: true, force: true });
    return;
  }
  const entry = new MicrovmEntry(vm, paths, record.pid_starttime, record.rootfs_copied, 'ready');
  entry.intent = record.intent;
  if (!ctx.registry.add(entry)) {
    log.error('two microVM records share a name; skipping the second', { id: vm.id, name: vm.name });
    return;
  }
  try {
    entry.session = await ConsoleSession.open({ log: paths.consoleLog, input: paths.consoleIn });
  } catch (err) {
    log.warn('console history unavailable', { id: vm.id, error: err });
  }

  if (vm.exit !== null) {
    await entry.session?.close(
      CLOSE_MICROVM_EXITED,
      describeExit(vm.exit.code, vm.exit.signal, vm.exit.reason),
    );
    return;
  }
  let info: InstanceInfo | null = null;
  if (sameAlive) {
    try {
      info = await new FirecrackerClient(paths.socket, {
        timeoutMs: ADOPT_PROBE_TIMEOUT_MS,
      }).describeInstance();
    } catch (err) {
      log.warn('firecracker does not answer on its socket', { id: vm.id, pid, error: err });
    }
  }
  if (sameAlive && info && pid !== null) {
    // Whatever stop or kill the previous agent was doing died with it.
    entry.intent = null;
    try {
      await transition(ctx, entry, stateFromInstance(info), 'adopt', { persist: false });
    } catch (err) {
      // A record Firecracker contradicts (e.g. running, while it says not started): keep the
      // record's state, but watch the process all the same.
      log.error('adopted firecracker is in a state its record cannot reach', { id: vm.id, error: err });
    }
    if (vm.state !== 'created' && vm.started_at === null) vm.started_at = new Date().toISOString();
    watch(ctx, entry);
    await entry.persist();
    log.info('microvm adopted', { id: vm.id, name: vm.name, pid, state: vm.state });
    return;
  }
  // Ours, but hung: nothing can manage it any more, and leaving it would leak a VM.
  if (sameAlive && pid !== null) killQuietly(pid);
  // Not our child: its exit status is gone; firecracker's own log may still say it. One started
  // before this boot of the Linux side ended with it (`fc-macos vm stop`, a reboot), whatever
  // its log says last.
  const code = await exitCodeFromFiles(paths.firecrackerLog, paths.consoleLog);
  const bootedAt = await bootTime();
  const since = Date.parse(vm.started_at ?? vm.created_at);
  const hostRestarted = bootedAt !== null && since < bootedAt;
  await recordExit(
    ctx,
    entry,
    hostRestarted ? null : code,
    null,
    hostRestarted ? 'host_restarted' : undefined,
  );
  log.info('microvm found not running', { id: vm.id, name: vm.name, exit: entry.vm.exit });
}
