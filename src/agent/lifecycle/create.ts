// POST /agent/microvms: checks the files asked for, reserves the name and a slot, runs the create
// pipeline (create-pipeline.ts) and publishes the microVM; a failed create leaves nothing behind.
import type { CreateMicrovmParams, Microvm } from '../../api/schemas.ts';
import { CRASH_LOG_TAIL_LINES } from '../constants.ts';
import { ApiError, conflict, fromFirecrackerError } from '../errors.ts';
import { checkHostFile, tailLinesOfFile } from '../files.ts';
import { pathsFor } from '../microvm-entry.ts';
import type { LifecycleContext } from './context.ts';
import { type CreateContext, type CreateStep, runCreatePipeline } from './create-pipeline.ts';
import { describeExit } from './supervise.ts';

/** Extra drives get ids drive1, drive2, … where none was given; duplicates are refused. */
export function assignDriveIds(drives: CreateMicrovmParams['drives']): Microvm['drives'] {
  const taken = new Set<string>();
  for (const [i, d] of drives.entries()) {
    if (d.id === undefined) continue;
    if (taken.has(d.id)) {
      throw new ApiError(400, 'validation_failed', `drives.${i}.id: "${d.id}" is used by another drive`, {
        field: `drives.${i}.id`,
      });
    }
    taken.add(d.id);
  }
  let n = 1;
  return drives.map((d) => {
    let id = d.id;
    if (id === undefined) {
      while (taken.has(`drive${n}`)) n++;
      id = `drive${n}`;
      taken.add(id);
    }
    return { id, path: d.path, read_only: d.read_only };
  });
}

/** Every host file the create names exists and is readable, all checked at once. */
async function checkFiles(
  params: CreateMicrovmParams,
  kernel: string,
  rootfsSource: string,
  defaultRootfs: boolean,
): Promise<void> {
  // A bare firecracker (configure: false) uses no file of the agent's host yet.
  if (!params.configure) return;
  const checks = [
    checkHostFile(
      kernel,
      'kernel',
      params.kernel === undefined
        ? ' (the agent\'s default --kernel: run "fc-macos setup" or pass kernel)'
        : '',
    ),
    checkHostFile(
      rootfsSource,
      'rootfs',
      defaultRootfs ? ' (the agent\'s default --rootfs: run "fc-macos setup" or pass rootfs)' : '',
    ),
    ...(params.initrd === undefined ? [] : [checkHostFile(params.initrd, 'initrd')]),
    ...params.drives.map((d, i) => checkHostFile(d.path, `drives.${i}.path`)),
  ];
  const results = await Promise.allSettled(checks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** The API error a failed create answers with; said while the failed microVM's files still exist. */
async function createError(ctx: CreateContext, err: unknown): Promise<ApiError> {
  const entry = ctx.entry;
  if (entry && entry.vm.exit !== null && !(err instanceof ApiError)) {
    // firecracker died under us: say how, with the end of its log.
    const tail = await tailLinesOfFile(ctx.paths.firecrackerLog, CRASH_LOG_TAIL_LINES);
    const exit = entry.vm.exit;
    return new ApiError(
      502,
      'firecracker_unreachable',
      `creating microVM ${ctx.name}: ${describeExit(exit.code, exit.signal, 'crashed')} during create${
        err instanceof Error ? ` (${err.message})` : ''
      }`,
      { firecracker_log_tail: tail },
    );
  }
  const apiErr = fromFirecrackerError(err, `creating microVM ${ctx.name}`);
  ctx.agent.log.warn('create failed', { name: ctx.name, error: apiErr.message });
  return apiErr;
}

/** The name is free (when given) and the agent is below its limit. */
function checkRoom(agent: LifecycleContext, name: string | undefined): void {
  const { config, registry } = agent;
  const holder = name === undefined ? undefined : registry.holderOf(name);
  if (holder !== undefined) {
    throw conflict(`a microVM named ${name} already exists (id ${holder})`, { name, id: holder });
  }
  const used = registry.used;
  if (used >= config.maxMicrovms) {
    throw new ApiError(
      409,
      'limit_reached',
      `the agent already holds ${used} microVMs, its limit (--max-microvms ${config.maxMicrovms}): delete some (stopped ones count too) or raise the limit`,
      { limit: config.maxMicrovms },
    );
  }
}

export async function createMicrovm(
  agent: LifecycleContext,
  steps: readonly CreateStep[],
  params: CreateMicrovmParams,
): Promise<Microvm> {
  const { config, registry } = agent;
  const kernel = params.kernel ?? config.kernel;
  const defaultRootfs = params.rootfs === undefined;
  const rootfsSource = params.rootfs ?? config.rootfs;
  const drives = assignDriveIds(params.drives);
  await checkFiles(params, kernel, rootfsSource, defaultRootfs);
  // Checked before a spare firecracker is taken, so a refused create does not use one up, and
  // again after, with the reservation.
  checkRoom(agent, params.name);
  let spare = await agent.vmms.take();

  // From here to the first await everything runs in one tick: the name and the slot are
  // reserved before any other create can look at them.
  let id: string;
  let name: string;
  try {
    name = params.name ?? registry.nextFreeName();
    checkRoom(agent, name);
    id = registry.reserve(name, spare?.id);
  } catch (err) {
    // Lost a race with a concurrent create.
    if (spare) await agent.vmms.release(spare);
    agent.vmms.refillSoon();
    throw err;
  }
  if (spare && spare.id !== id) {
    await agent.vmms.release(spare);
    spare = null;
  }
  const ctx: CreateContext = {
    agent,
    id,
    name,
    params,
    paths: pathsFor(agent.microvmsDir, id),
    kernel,
    rootfsSource,
    defaultRootfs,
    drives,
    rootfs: '',
    rootfsReady: Promise.resolve(null),
    sessionReady: Promise.resolve(null),
    afterSpawn: [],
    spare,
    fifoFd: null,
    entry: null,
    firstRecord: Promise.resolve(),
    extra: new Map(),
  };
  try {
    await runCreatePipeline(steps, ctx, (err) => createError(ctx, err));
    const entry = ctx.entry;
    if (entry?.phase !== 'ready') throw new Error('the create pipeline has no microvm.publish step');
    return entry.vm;
  } finally {
    registry.release(id, name);
    agent.vmms.refillSoon();
    agent.fifos.refillSoon();
    agent.rootfsSpares.refillSoon();
  }
}
