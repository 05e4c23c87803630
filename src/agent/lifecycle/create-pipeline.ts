// Creating a microVM as an ordered list of named steps, as firecracker-go-sdk's handler lists:
// later features insert their own (network.* before firecracker.configure, vsock.configure) without
// touching the others. Each step has run(ctx) and may have undo(ctx); when a step fails, undo runs
// in reverse order for that step and every step before it.
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { CLOSE_MICROVM_DELETED } from '../../api/console.ts';
import type { CreateMicrovmParams, Microvm } from '../../api/schemas.ts';
import { launchFirecracker } from '../../firecracker/index.ts';
import { resolveBinary } from '../config.ts';
import { ConsoleSession } from '../console/session.ts';
import { KILL_WAIT_MS } from '../constants.ts';
import { copySparse } from '../files.ts';
import { vsockConfigure } from '../guest/vsock.ts';
import { MicrovmEntry, type MicrovmPaths, ROOTFS_COPY_NAME } from '../microvm-entry.ts';
import { readProcStat } from '../proc.ts';
import type { LifecycleContext } from './context.ts';
import { mkfifo } from './spares.ts';
import { recordExit, waitFor } from './supervise.ts';
import { transition } from './transition.ts';

/** Everything a create's steps share; a step records what its undo (and later steps) need here. */
export interface CreateContext {
  readonly agent: LifecycleContext;
  readonly id: string;
  readonly name: string;
  readonly params: CreateMicrovmParams;
  readonly paths: MicrovmPaths;
  /** The kernel on the agent's host (request or agent default). */
  readonly kernel: string;
  /** The rootfs asked for (request or agent default), before any copy. */
  readonly rootfsSource: string;
  /** The rootfs is the agent's default: each microVM gets its own copy. */
  readonly defaultRootfs: boolean;
  /** Extra drives with their ids assigned. */
  readonly drives: Microvm['drives'];
  /** The rootfs firecracker is given ('' for a bare firecracker). Set by files.rootfs. */
  rootfs: string;
  /**
   * Settles when the rootfs copy is complete (files.rootfs has it start once firecracker is
   * spawned; firecracker.configure waits for it before naming the drive). Never rejects: a failed
   * copy resolves to its error; resolved null while no copy runs.
   */
  rootfsReady: Promise<unknown>;
  /**
   * Started right after firecracker's process is spawned, while it opens its socket (a spawn of
   * our own before it would delay it). Steps before firecracker.launch add to it.
   */
  readonly afterSpawn: Array<() => void>;
  /** The console FIFO, open until firecracker has inherited it. Set by console.fifo. */
  fifoFd: number | null;
  /** The microVM once its firecracker runs (firecracker.launch); vm and client through it. */
  entry: MicrovmEntry | null;
  /**
   * The first state.json write (phase creating), started by firecracker.launch and awaited by
   * microvm.publish: the Firecracker calls in between need not wait for the disk.
   */
  firstRecord: Promise<void>;
  /** Room for inserted steps' own values (e.g. a tap name), keyed by the step's name. */
  readonly extra: Map<string, unknown>;
}

export interface CreateStep {
  /** `<area>.<what>`, e.g. firecracker.configure; unique in a pipeline. */
  readonly name: string;
  run(ctx: CreateContext): Promise<void>;
  /** Undoes run, also a run that failed half-way; must not throw for what never happened. */
  undo?(ctx: CreateContext): Promise<void>;
}

/** The entry, for steps after firecracker.launch. */
export function entryOf(ctx: CreateContext): MicrovmEntry {
  if (!ctx.entry) throw new Error(`create step needs firecracker.launch to have run first`);
  return ctx.entry;
}

export const filesDirectory: CreateStep = {
  name: 'files.directory',
  async run(ctx) {
    await mkdir(ctx.paths.dir, { mode: 0o700 });
  },
  async undo(ctx) {
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

/** Waits for the rootfs copy started by files.rootfs; throws its error. */
export async function rootfsCopied(ctx: CreateContext): Promise<void> {
  const err = await ctx.rootfsReady;
  if (err) throw err;
}

export const filesLogs: CreateStep = {
  name: 'files.logs',
  async run(ctx) {
    // Three empty files: synchronous calls take microseconds, a trip through libuv's thread pool
    // can take milliseconds on a busy host.
    for (const f of [ctx.paths.consoleLog, ctx.paths.firecrackerLog, ctx.paths.metrics]) {
      closeSync(openSync(f, 'a', 0o600));
    }
  },
};

export const consoleFifo: CreateStep = {
  name: 'console.fifo',
  async run(ctx) {
    if (!(await ctx.agent.fifos.take(ctx.paths.consoleIn))) await mkfifo(ctx.paths.consoleIn);
    // O_RDWR: the open never blocks waiting for a writer, and firecracker (which inherits it)
    // is a writer itself, so its stdin never sees EOF when console clients come and go.
    ctx.fifoFd = openSync(ctx.paths.consoleIn, constants.O_RDWR | constants.O_NONBLOCK);
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
    const launched = await launchFirecracker({
      binary: resolveBinary(ctx.agent.config.firecracker),
      socketPath: paths.socket,
      id: ctx.id,
      // Warning: Firecracker's own log is for problems; it goes to firecracker.log, never into
      // the console stream (Firecracker logs to stdout, the serial console, by default).
      level: 'Warning',
      logPath: paths.firecrackerLog,
      stdin: ctx.fifoFd ?? undefined,
      stdoutPath: paths.consoleLog,
      stderrPath: paths.firecrackerStderr,
      cwd: paths.dir,
      afterSpawn: () => {
        for (const start of ctx.afterSpawn) start();
      },
    });
    if (ctx.fifoFd !== null) closeSync(ctx.fifoFd);
    ctx.fifoFd = null;
    const st = await readProcStat(launched.pid);
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
    const e = new MicrovmEntry(vm, paths, st?.starttime ?? null, ctx.defaultRootfs, 'creating');
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
    await rootfsCopied(ctx);
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

/** Opened before booting: the history then holds the first line the guest prints. */
export const consoleSession: CreateStep = {
  name: 'console.session',
  async run(ctx) {
    entryOf(ctx).session = await ConsoleSession.open({
      log: ctx.paths.consoleLog,
      input: ctx.paths.consoleIn,
    });
  },
};

export const firecrackerStart: CreateStep = {
  name: 'firecracker.start',
  async run(ctx) {
    if (!(ctx.params.start ?? ctx.params.configure)) return;
    const entry = entryOf(ctx);
    await entry.client.instanceStart();
    await transition(ctx.agent, entry, 'running', 'start', { persist: false });
  },
};

/** Last: the microVM becomes visible (list, get, events) and its record final. */
export const microvmPublish: CreateStep = {
  name: 'microvm.publish',
  async run(ctx) {
    const entry = entryOf(ctx);
    await ctx.firstRecord;
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
  firecrackerMetrics,
  firecrackerConfigure,
  vsockConfigure,
  consoleSession,
  firecrackerStart,
  microvmPublish,
];

function indexOfStep(steps: readonly CreateStep[], name: string): number {
  const i = steps.findIndex((s) => s.name === name);
  if (i < 0) throw new Error(`no create step named ${name} (steps: ${steps.map((s) => s.name).join(', ')})`);
  return i;
}

function withStep(steps: readonly CreateStep[], at: number, step: CreateStep): CreateStep[] {
  if (steps.some((s) => s.name === step.name))
    throw new Error(`create step ${step.name} is already in the list`);
  return [...steps.slice(0, at), step, ...steps.slice(at)];
}

/** A new list with step inserted just before the step named `before`. */
export function insertStepBefore(
  steps: readonly CreateStep[],
  before: string,
  step: CreateStep,
): CreateStep[] {
  return withStep(steps, indexOfStep(steps, before), step);
}

/** A new list with step inserted just after the step named `after`. */
export function insertStepAfter(steps: readonly CreateStep[], after: string, step: CreateStep): CreateStep[] {
  return withStep(steps, indexOfStep(steps, after) + 1, step);
}

/**
 * Runs the steps in order. When one throws, `beforeUndo` gets the error first (the failed state is
 * still there to describe), then undo runs for that step and every earlier one, last first, and the
 * original error is rethrown. An undo that throws is logged and the others still run.
 */
export async function runCreatePipeline(
  steps: readonly CreateStep[],
  ctx: CreateContext,
  beforeUndo?: (err: unknown, step: string) => Promise<unknown>,
): Promise<void> {
  let i = 0;
  // Per-step milliseconds, logged at debug level: where a create spends its time.
  const ms: Record<string, number> = {};
  try {
    for (; i < steps.length; i++) {
      const step = steps[i] as CreateStep;
      const t0 = performance.now();
      await step.run(ctx);
      ms[step.name] = Math.round((performance.now() - t0) * 100) / 100;
    }
    ctx.agent.log.debug('create steps', { microvm: ctx.name, ms });
  } catch (err) {
    const failed = steps[i]?.name ?? '?';
    const replaced = beforeUndo ? await beforeUndo(err, failed) : err;
    for (let j = Math.min(i, steps.length - 1); j >= 0; j--) {
      const step = steps[j] as CreateStep;
      if (!step.undo) continue;
      try {
        await step.undo(ctx);
      } catch (undoErr) {
        ctx.agent.log.error('create undo failed', { step: step.name, microvm: ctx.name, error: undoErr });
      }
    }
    throw replaced;
  }
}
