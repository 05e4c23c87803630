// The steps of `POST /agent/microvms`, in the order of createSteps (create-pipeline.ts runs them):
// the microVM's directory and files, its console, firecracker launched (or a spare taken over) and
// configured, booted, and published.
import { closeSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CLOSE_MICROVM_DELETED } from '../../api/console.ts';
import type { Microvm } from '../../api/schemas.ts';
import type { LaunchedFirecracker } from '../../firecracker/index.ts';
import { ConsoleSession } from '../console/session.ts';
import { KILL_WAIT_MS } from '../constants.ts';
import { copySparse } from '../files.ts';
import { vsockConfigure } from '../guest/vsock.ts';
import { MicrovmEntry, ROOTFS_COPY_NAME } from '../microvm-entry.ts';
import { readProcStat } from '../proc.ts';
import { type CreateStep, entryOf } from './create-pipeline.ts';
import { launchInDirectory, makeLogFiles, openConsoleFifo } from './launch.ts';
import { SPARE_RECORD } from './spare-vmms.ts';
import { mkfifo } from './spares.ts';
import { recordExit, waitFor } from './supervise.ts';
import { transition } from './transition.ts';

export const filesDirectory: CreateStep = {
  name: 'files.directory',
  async run(ctx) {
    // The spare's spare.json stays until the microVM's own record is written (microvm.publish).
    if (ctx.spare) {
      await rename(ctx.spare.dir, ctx.paths.dir);
    } else {
      await mkdir(ctx.paths.dir, { mode: 0o700 });
    }
  },
  async undo(ctx) {
    // A spare's firecracker that firecracker.launch never took over.
    if (ctx.spare && !ctx.entry) await ctx.agent.vmms.release(ctx.spare);
    // Queued state.json writes land before the directory goes.
    await ctx.entry?.flushed();
    await rm(ctx.paths.dir, { recursive: true, force: true }).catch((err: unknown) => {
      ctx.agent.log.error('cannot remove microVM directory', { dir: ctx.paths.dir, error: err });
    });
  },
};

export const filesRootfs: CreateStep = {
  name: 'files.rootfs',
  async run(ctx) {
    ctx.rootfs = ctx.params.configure ? ctx.rootfsSource : '';
    if (ctx.params.configure && ctx.defaultRootfs) {
      // Several microVMs writing one ext4 image would corrupt it: each gets its own copy,
      // sparse (or a reflink), so it costs next to nothing up front. A spare copy made after the
      // last create is renamed into place; without one, the copy runs while firecracker starts:
      // nothing needs it before the drive is configured.
      ctx.rootfs = ctx.paths.rootfsCopy;
      if (await ctx.agent.rootfsSpares.take(ctx.paths.rootfsCopy)) return;
      ctx.afterSpawn.push(() => {
        ctx.rootfsReady = copySparse(ctx.rootfsSource, ctx.paths.rootfsCopy).then(
          () => null,
          (err: unknown) => err ?? new Error('rootfs copy failed'),
        );
      });
    }
  },
  /** A copy under way must be over before its directory is removed. */
  async undo(ctx) {
    await ctx.rootfsReady;
  },
};

/**
 * Waits for work a step started and a later one needs (ctx.rootfsReady, ctx.sessionReady: they
 * never reject, a failure resolves to its error); throws that error.
 */
async function done(ready: Promise<unknown>): Promise<void> {
  const err = await ready;
  if (err) throw err;
}

export const filesLogs: CreateStep = {
  name: 'files.logs',
  async run(ctx) {
    if (!ctx.spare) makeLogFiles(ctx.paths);
  },
};

export const consoleFifo: CreateStep = {
  name: 'console.fifo',
  async run(ctx) {
    // A spare firecracker holds its FIFO already.
    if (ctx.spare) return;
    if (!(await ctx.agent.fifos.take(ctx.paths.consoleIn))) await mkfifo(ctx.paths.consoleIn);
    ctx.fifoFd = openConsoleFifo(ctx.paths);
  },
  async undo(ctx) {
    if (ctx.fifoFd !== null) closeSync(ctx.fifoFd);
    ctx.fifoFd = null;
  },
};

export const firecrackerLaunch: CreateStep = {
  name: 'firecracker.launch',
  async run(ctx) {
    const { paths, params } = ctx;
    const startAfterSpawn = (): void => {
      for (const start of ctx.afterSpawn) start();
    };
    let launched: LaunchedFirecracker;
    if (ctx.spare) {
      launched = ctx.spare.launched;
      startAfterSpawn();
    } else {
      const fifoFd = ctx.fifoFd;
      // launchInDirectory closes it, also when the launch fails.
      ctx.fifoFd = null;
      launched = await launchInDirectory(
        ctx.agent.config.firecracker,
        ctx.id,
        paths,
        fifoFd,
        startAfterSpawn,
      );
    }
    const starttime = ctx.spare
      ? ctx.spare.starttime
      : ((await readProcStat(launched.pid))?.starttime ?? null);
    const vm: Microvm = {
      id: ctx.id,
      name: ctx.name,
      state: 'created',
      vcpus: params.vcpus,
      memory_mib: params.memory_mib,
      kernel: params.configure ? ctx.kernel : '',
      rootfs: ctx.rootfs,
      boot_args: params.configure ? params.boot_args : '',
      initrd: params.initrd ?? null,
      drives: ctx.drives,
      read_only_rootfs: params.read_only_rootfs,
      track_dirty_pages: params.track_dirty_pages,
      smt: params.smt,
      balloon: params.balloon ?? null,
      pid: launched.pid,
      socket_path: paths.socket,
      created_at: new Date().toISOString(),
      started_at: null,
      exit: null,
      last_console_lines: [],
      network: null,
    };
    const e = new MicrovmEntry(vm, paths, starttime, ctx.defaultRootfs, 'creating');
    ctx.entry = e;
    e.child = launched.child;
    void launched.exited.then((exit) => recordExit(ctx.agent, e, exit.code, exit.signal));
    // Written at once (a restarted agent must find this firecracker to undo the create), but not
    // waited for here; a failed write fails the create at microvm.publish.
    ctx.firstRecord = e.persist();
    ctx.firstRecord.catch(() => undefined);
  },
  /** Kills the firecracker and closes its console: nothing may write into the directory after. */
  async undo(ctx) {
    const entry = ctx.entry;
    if (!entry) return;
    entry.intent = 'kill';
    if (entry.alive) {
      await entry.signal('SIGKILL');
      await waitFor(entry.gone, KILL_WAIT_MS);
    }
    entry.removed = true;
    await entry.session?.close(CLOSE_MICROVM_DELETED, 'create failed').catch(() => undefined);
    await entry.flushed();
  },
};

export const firecrackerMetrics: CreateStep = {
  name: 'firecracker.metrics',
  async run(ctx) {
    // A spare firecracker has it set already (spare-vmms.ts), to the same file.
    if (ctx.spare) return;
    await entryOf(ctx).client.putMetrics({ metrics_path: ctx.paths.metrics });
  },
};

/** The machine, boot source, root and extra drives, balloon: what `POST /agent/microvms` sets. */
export const firecrackerConfigure: CreateStep = {
  name: 'firecracker.configure',
  async run(ctx) {
    const { params } = ctx;
    if (!params.configure) return;
    const c = entryOf(ctx).client;
    await c.putMachineConfig({
      vcpu_count: params.vcpus,
      mem_size_mib: params.memory_mib,
      smt: params.smt,
      track_dirty_pages: params.track_dirty_pages,
    });
    await c.putBootSource({
      kernel_image_path: ctx.kernel,
      boot_args: params.boot_args,
      ...(params.initrd === undefined ? {} : { initrd_path: params.initrd }),
    });
    await done(ctx.rootfsReady);
    await c.putDrive('rootfs', {
      drive_id: 'rootfs',
      // The agent's own copy by its relative name (see ROOTFS_COPY_NAME); the record keeps the
      // absolute path.
      path_on_host: ctx.defaultRootfs ? ROOTFS_COPY_NAME : ctx.rootfs,
      is_root_device: true,
      is_read_only: params.read_only_rootfs,
    });
    for (const d of ctx.drives) {
      await c.putDrive(d.id, {
        drive_id: d.id,
        path_on_host: d.path,
        is_root_device: false,
        is_read_only: d.read_only,
      });
    }
    if (params.balloon) {
      await c.putBalloon({
        amount_mib: params.balloon.amount_mib,
        deflate_on_oom: params.balloon.deflate_on_oom,
        stats_polling_interval_s: params.balloon.stats_polling_interval_s,
      });
    }
  },
};

/**
 * Opens the console (its history and input) while firecracker is being configured; firecracker.start
 * and microvm.publish wait for it, so the history holds the first line the guest prints.
 */
export const consoleSession: CreateStep = {
  name: 'console.session',
  async run(ctx) {
    const entry = entryOf(ctx);
    ctx.sessionReady = ConsoleSession.open({ log: ctx.paths.consoleLog, input: ctx.paths.consoleIn }).then(
      (session) => {
        entry.session = session;
        return null;
      },
      (err: unknown) => err ?? new Error('cannot open the console'),
    );
  },
  /** An open under way lands first: firecracker.launch's undo closes what it opened. */
  async undo(ctx) {
    await ctx.sessionReady;
  },
};

export const firecrackerStart: CreateStep = {
  name: 'firecracker.start',
  async run(ctx) {
    if (!(ctx.params.start ?? ctx.params.configure)) return;
    const entry = entryOf(ctx);
    await done(ctx.sessionReady);
    await entry.client.instanceStart();
    await transition(ctx.agent, entry, 'running', 'start', { persist: false });
  },
};

/** Last: the microVM becomes visible (list, get, events) and its record final. */
export const microvmPublish: CreateStep = {
  name: 'microvm.publish',
  async run(ctx) {
    const entry = entryOf(ctx);
    await done(ctx.sessionReady);
    await ctx.firstRecord;
    // The record names the process now: a restart no longer needs the spare's own.
    if (ctx.spare) await rm(join(ctx.paths.dir, SPARE_RECORD), { force: true });
    entry.phase = 'ready';
    if (!ctx.agent.registry.add(entry)) throw new Error(`the name ${ctx.name} is held by another microVM`);
    await entry.persist();
    ctx.agent.events.emit({
      type: 'microvm.created',
      name: ctx.name,
      id: ctx.id,
      microvm: structuredClone(entry.vm),
    });
    ctx.agent.log.info('microvm created', {
      id: ctx.id,
      name: ctx.name,
      pid: entry.vm.pid,
      state: entry.vm.state,
    });
  },
  async undo(ctx) {
    if (ctx.entry) ctx.agent.registry.delete(ctx.entry);
  },
};

/** The default pipeline of `POST /agent/microvms`, in order. */
export const createSteps: readonly CreateStep[] = [
  filesDirectory,
  filesRootfs,
  filesLogs,
  consoleFifo,
  firecrackerLaunch,
  consoleSession,
  firecrackerMetrics,
  firecrackerConfigure,
  vsockConfigure,
  firecrackerStart,
  microvmPublish,
];
