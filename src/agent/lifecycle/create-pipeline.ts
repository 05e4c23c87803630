// Creating a microVM as an ordered list of named steps, as firecracker-go-sdk's handler lists:
// later features insert their own (network.* before firecracker.configure, vsock.configure) without
// touching the others. Each step has run(ctx) and may have undo(ctx); when a step fails, undo runs
// in reverse order for that step and every step before it.
import type { CreateMicrovmParams, Microvm } from '../../api/schemas.ts';
import type { MicrovmEntry, MicrovmPaths } from '../microvm-entry.ts';
import type { LifecycleContext } from './context.ts';
import type { SpareVmm } from './spare-vmms.ts';

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
  /**
   * A firecracker launched ahead of this create (spare-vmms.ts), already running in its own
   * directory under the create's id: files.directory renames that directory into place, and
   * console.fifo and firecracker.launch use what it has. null: this create launches its own.
   */
  readonly spare: SpareVmm | null;
  /**
   * Settles once console.session has opened the console (set on the entry); never rejects, a
   * failure resolves to its error. Awaited before booting: the history then holds the first line.
   */
  sessionReady: Promise<unknown>;
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
