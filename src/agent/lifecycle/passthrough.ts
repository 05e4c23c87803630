// Firecracker's own API for one microVM, forwarded unchanged. Reads go straight through; a write
// runs under the microVM's lock and, when it succeeded, the record is re-read from Firecracker
// (state and configuration), so the agent's view follows what was done behind its back.
import { resolve } from 'node:path';
import type { Microvm } from '../../api/schemas.ts';
import type { RawResponse } from '../../firecracker/index.ts';
import { SNAPSHOT_TIMEOUT_MS } from '../constants.ts';
import { type ApiError, fromFirecrackerError, invalidState } from '../errors.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import { isSameProcessAlive } from '../proc.ts';
import type { LifecycleContext } from './context.ts';
import { completeSnapshot, planSnapshotCreate, prepareLoad } from './snapshot-files.ts';
import { checkSnapshotState, snapshotRoute } from './snapshot-rules.ts';
import { stateFromInstance } from './supervise.ts';
import { transition } from './transition.ts';

/** One request for a microVM's Firecracker API, as the client sent it. */
export interface PassthroughRequest {
  method: string;
  /** Path and query, e.g. `/machine-config` or `/snapshot/create`. */
  pathAndQuery: string;
  body: Buffer | undefined;
  contentType: string | undefined;
}

export async function passthrough(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  { method, pathAndQuery, body, contentType }: PassthroughRequest,
): Promise<RawResponse> {
  const notRunning = (): ApiError =>
    invalidState(
      `microVM ${entry.vm.name}'s firecracker is not running (state ${entry.vm.state}): the passthrough never starts one; create a new microVM`,
      { state: entry.vm.state },
    );
  if (!entry.alive) throw notRunning();
  const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
  const long = pathAndQuery.startsWith('/snapshot/') ? { timeoutMs: SNAPSHOT_TIMEOUT_MS } : {};
  const send = async (sent = body): Promise<RawResponse> => {
    try {
      return await entry.client.request(method, pathAndQuery, sent, headers, long);
    } catch (err) {
      if (
        !entry.alive ||
        (entry.vm.pid !== null && !(await isSameProcessAlive(entry.vm.pid, entry.pidStart)))
      ) {
        throw notRunning();
      }
      throw fromFirecrackerError(err, `${method} ${pathAndQuery} on microVM ${entry.vm.name}`);
    }
  };
  // Reads never change anything and need no lock.
  if (method === 'GET' || method === 'HEAD') return send();
  return entry.lock.run(async () => {
    if (!entry.alive) throw notRunning();
    const refused = checkSnapshotState(method, pathAndQuery, entry.vm.name, entry.vm.state);
    if (refused) throw refused;
    const route = snapshotRoute(method, pathAndQuery);
    if (route === 'create') {
      const plan = planSnapshotCreate(body);
      const res = await send();
      const ok = res.status >= 200 && res.status < 300;
      if (ok && plan) await completeSnapshot(ctx, entry, plan);
      if (ok) await syncFromFirecracker(ctx, entry);
      return res;
    }
    if (route === 'load') {
      const prepared = await prepareLoad(ctx, entry, body);
      let res: RawResponse;
      try {
        res = await send(prepared ? prepared.body : body);
      } catch (err) {
        await prepared?.undo();
        throw err;
      }
      if (res.status >= 200 && res.status < 300) {
        await prepared?.finish();
        await syncFromFirecracker(ctx, entry);
      } else {
        await prepared?.undo();
      }
      return res;
    }
    const res = await send();
    if (res.status >= 200 && res.status < 300) {
      // A pause or resume behind the agent's back: whether the console was quiet is unknown.
      if (pathAndQuery.startsWith('/vm')) entry.consoleQuietAtPause = null;
      await syncFromFirecracker(ctx, entry);
    }
    return res;
  });
}

/** After a write through the passthrough: state and configuration as Firecracker now has them. */
async function syncFromFirecracker(ctx: LifecycleContext, entry: MicrovmEntry): Promise<void> {
  if (!entry.alive) return;
  const vm = entry.vm;
  try {
    const info = await entry.client.describeInstance();
    if (!entry.alive) return;
    const state = stateFromInstance(info);
    if (state !== vm.state && vm.state !== 'stopping') {
      await transition(ctx, entry, state, 'passthrough', { persist: false });
    }
  } catch (err) {
    ctx.log.debug('state refresh failed', { id: vm.id, error: err });
    return;
  }
  try {
    const cfg = await entry.client.getVmConfig();
    if (!entry.alive) return;
    const machine = cfg['machine-config'];
    if (machine) {
      vm.vcpus = machine.vcpu_count;
      vm.memory_mib = machine.mem_size_mib;
      if (typeof machine.smt === 'boolean') vm.smt = machine.smt;
      if (typeof machine.track_dirty_pages === 'boolean') vm.track_dirty_pages = machine.track_dirty_pages;
    }
    const boot = cfg['boot-source'];
    if (boot) {
      vm.kernel = boot.kernel_image_path;
      vm.boot_args = boot.boot_args ?? vm.boot_args;
      vm.initrd = boot.initrd_path ?? null;
    }
    if (cfg.drives) {
      const drives: Microvm['drives'] = [];
      for (const d of cfg.drives) {
        // Relative names (the agent's own files) are relative to firecracker's working directory,
        // the microVM's directory: the record shows where the file really is.
        const given = typeof d.path_on_host === 'string' ? d.path_on_host : '';
        const path = given === '' ? '' : resolve(entry.paths.dir, given);
        const readOnly = d.is_read_only === true;
        if (d.is_root_device) {
          vm.rootfs = path;
          vm.read_only_rootfs = readOnly;
        } else {
          drives.push({ id: d.drive_id, path, read_only: readOnly });
        }
      }
      vm.drives = drives;
    }
    const balloon = cfg.balloon;
    if (balloon && typeof balloon.amount_mib === 'number') {
      vm.balloon = {
        amount_mib: balloon.amount_mib,
        deflate_on_oom: balloon.deflate_on_oom === true,
        stats_polling_interval_s:
          typeof balloon.stats_polling_interval_s === 'number' ? balloon.stats_polling_interval_s : 0,
      };
    }
  } catch (err) {
    ctx.log.debug('config refresh failed', { id: vm.id, error: err });
  }
  await entry
    .persist()
    .catch((err: unknown) => ctx.log.error('cannot write state.json', { id: vm.id, error: err }));
}
