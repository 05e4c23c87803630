// What the agent adds around Firecracker's /snapshot/create and /snapshot/load (passthrough.ts) so a
// snapshot loads into a new microVM while its source runs on or is gone (docs/snapshots.md):
// - create keeps the microVM's own disk with the snapshot (`<snapshot_path>.rootfs`, a sparse or
//   reflink copy taken while paused) and notes what the snapshot needs (`<snapshot_path>.fc-macos.json`);
// - load copies that disk into the new microVM's directory under the relative name the snapshot
//   holds (firecracker runs there), gives it a tap of its own (network_overrides) and drops input
//   typed into the bare microVM's console before the load.
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { MicrovmNetwork } from '../../api/network.ts';
import type { RestoredFrom } from '../../api/schemas.ts';
import { ApiError } from '../errors.ts';
import { copySparse } from '../files.ts';
import { type MicrovmEntry, ROOTFS_COPY_NAME } from '../microvm-entry.ts';
import { NetError } from '../net/errors.ts';
import { localHost } from '../net/host.ts';
import type { Lease } from '../net/rules.ts';
import { apiErrorFromNet } from '../net/service.ts';
import { GUEST_IFACE } from '../net/steps.ts';
import type { LifecycleContext } from './context.ts';

/** The microVM's disk as it was at the snapshot, next to the snapshot file. */
export const diskCopyOf = (snapshotPath: string): string => `${snapshotPath}.rootfs`;
/** What fc-agent knows about a snapshot it made, next to the snapshot file. */
export const notesOf = (snapshotPath: string): string => `${snapshotPath}.fc-macos.json`;

const snapshotNotes = z.object({
  format: z.literal(1),
  source: z.object({ id: z.string(), name: z.string() }),
  created_at: z.string(),
  /** The snapshot's root drive is the agent's per-microVM copy, kept at diskCopyOf(snapshot). */
  disk_copy: z.boolean(),
  /** fc-guest answers on the vsock (the default rootfs). */
  guest_agent: z.boolean(),
  network: z
    .object({ iface_id: z.string(), address: z.string(), mac: z.string(), isolated: z.boolean() })
    .nullable(),
  /** The console was quiet when the agent paused the source (null: paused some other way). */
  console_quiet: z.boolean().nullable(),
});
type SnapshotNotes = z.infer<typeof snapshotNotes>;

function bodyOf(body: Buffer | undefined): Record<string, unknown> | null {
  if (!body || body.length === 0) return null;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * firecracker runs in the microVM's own directory: a relative path would land there (and go with
 * `rm`), so snapshot files are named absolutely.
 */
function absolutePath(v: unknown, field: string): string | null {
  if (typeof v !== 'string') return null;
  if (!isAbsolute(v)) {
    throw new ApiError(
      400,
      'validation_failed',
      `${field}: "${v.slice(0, 200)}" is relative; give an absolute path on the agent's host (firecracker runs in the microVM's own directory, which rm deletes)`,
      { field },
    );
  }
  return v;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface SnapshotCreate {
  snapshotPath: string;
}

/** Checks a /snapshot/create body before it goes to Firecracker; null when it is not ours to follow. */
export function planSnapshotCreate(body: Buffer | undefined): SnapshotCreate | null {
  const b = bodyOf(body);
  if (!b) return null;
  absolutePath(b.mem_file_path, 'mem_file_path');
  const snapshotPath = absolutePath(b.snapshot_path, 'snapshot_path');
  return snapshotPath === null ? null : { snapshotPath };
}

/**
 * After Firecracker wrote the snapshot, still paused and under the microVM's lock: the disk copy
 * (consistent with the memory: the guest cannot write while paused) and the notes. A failure
 * removes what it made and says the snapshot is incomplete.
 */
export async function completeSnapshot(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  plan: SnapshotCreate,
): Promise<void> {
  const disk = diskCopyOf(plan.snapshotPath);
  const notesPath = notesOf(plan.snapshotPath);
  // Only a root drive firecracker holds by the relative name resolves in another microVM's
  // directory; one made before fc-agent gave relative names holds the absolute path, and a load
  // of its snapshot opens that path whatever is copied (Firecracker's own behaviour, kept).
  const ownDisk =
    entry.rootfsCopied &&
    entry.vm.rootfs === entry.paths.rootfsCopy &&
    (await rootDrivePath(entry)) === ROOTFS_COPY_NAME;
  const net = entry.vm.network;
  // A microVM restored offline still has its source's configuration in memory.
  const guestNet = net
    ? { iface_id: GUEST_IFACE, address: net.address, mac: net.mac, isolated: net.isolated }
    : (entry.vm.restored_from?.guest_network ?? null);
  const notes: SnapshotNotes = {
    format: 1,
    source: { id: entry.vm.id, name: entry.vm.name },
    created_at: new Date().toISOString(),
    disk_copy: ownDisk,
    guest_agent: entry.rootfsCopied,
    network: guestNet,
    console_quiet: entry.consoleQuietAtPause,
  };
  try {
    await rm(disk, { force: true });
    if (ownDisk) await copySparse(entry.paths.rootfsCopy, disk);
    await writeFile(notesPath, `${JSON.stringify(notes, null, 2)}\n`, { mode: 0o600 });
  } catch (err) {
    await rm(disk, { force: true }).catch(() => undefined);
    await rm(notesPath, { force: true }).catch(() => undefined);
    throw new ApiError(
      500,
      'internal',
      `snapshot ${plan.snapshotPath} was written, but keeping microVM ${entry.vm.name}'s disk with it (${disk}) failed: ${(err as Error).message}; the snapshot cannot be loaded into a new microVM without it: free space there and run the snapshot again (the microVM is still paused)`,
      { field: 'snapshot_path', path: disk },
    );
  }
  ctx.log.info('snapshot disk kept', { id: entry.vm.id, snapshot: plan.snapshotPath, disk: ownDisk });
}

async function rootDrivePath(entry: MicrovmEntry): Promise<string | null> {
  try {
    const drives = (await entry.client.getVmConfig()).drives ?? [];
    const root = drives.find((d) => d.is_root_device);
    return typeof root?.path_on_host === 'string' ? root.path_on_host : null;
  } catch {
    return null;
  }
}

export interface PreparedLoad {
  /** The body Firecracker gets (network_overrides added where the agent gives the tap). */
  body: Buffer | undefined;
  /** After a load Firecracker accepted: the record says what the microVM runs. */
  finish(): Promise<void>;
  /** After a refused load: the lease and the disk copy go. */
  undo(): Promise<void>;
}

async function readNotes(snapshotPath: string): Promise<SnapshotNotes | null> {
  let raw: string;
  try {
    raw = await readFile(notesOf(snapshotPath), 'utf8');
  } catch {
    // Not made through fc-agent (or by an older one): Firecracker's load as it is.
    return null;
  }
  try {
    return snapshotNotes.parse(JSON.parse(raw));
  } catch (err) {
    throw new ApiError(
      400,
      'validation_failed',
      `snapshot_path: ${notesOf(snapshotPath)} is not what fc-agent writes next to a snapshot (${(err as Error).message.slice(0, 200)}): remove it to load the snapshot as Firecracker alone would, or make the snapshot again`,
      { field: 'snapshot_path', path: notesOf(snapshotPath) },
    );
  }
}

/**
 * Bytes typed into a bare microVM's console wait in its FIFO (firecracker reads it only once a
 * guest exists) and would reach the restored guest's shell as if typed there: they are dropped.
 */
function dropPendingInput(fifo: string): number {
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return 0;
  }
  let dropped = 0;
  const buf = Buffer.alloc(4096);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      dropped += n;
    }
  } catch {
    // EAGAIN: nothing more waiting.
  } finally {
    closeSync(fd);
  }
  return dropped;
}

/**
 * The source's address and MAC for the restored guest, which keeps them in memory: a lease on a
 * tap of its own on the bridge when both are free; null when they are held (the source runs on,
 * or a create in flight took the address) or the agent has no usable network: then why.
 */
async function leaseSourceAddress(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  src: NonNullable<SnapshotNotes['network']>,
): Promise<Lease | string> {
  let ready: ReturnType<typeof ctx.network.ready>;
  try {
    ready = ctx.network.ready('default');
  } catch (err) {
    return `this agent's default network is unavailable (${(err as Error).message})`;
  }
  if (!ready) return 'this agent runs with --no-network';
  const inUse = 'they are in use (the source runs on: remove it before the load to keep them)';
  const { name, id } = entry.vm;
  let lease: Lease;
  try {
    // reserve holds the address at once: a create side by side cannot take it meanwhile.
    lease = await ready.reserve({ name, id, address: src.address, mac: src.mac, isolated: src.isolated });
  } catch (err) {
    // The MAC is held by another microVM: the source still runs.
    if (err instanceof NetError && err.code === 'net_config_invalid' && /^mac: /.test(err.message))
      return inUse;
    throw apiErrorFromNet(err, `loading a snapshot into microVM ${name}`);
  }
  if (lease.address !== src.address) {
    await ctx.network.release(name, id);
    return inUse;
  }
  try {
    await ready.attach(lease);
  } catch (err) {
    await ctx.network.release(name, id);
    throw apiErrorFromNet(err, `loading a snapshot into microVM ${name}`);
  }
  return lease;
}

/** Prepares a /snapshot/load into `entry` (a bare microVM, state created); null: pass it through as is. */
export async function prepareLoad(
  ctx: LifecycleContext,
  entry: MicrovmEntry,
  body: Buffer | undefined,
): Promise<PreparedLoad | null> {
  const b = bodyOf(body);
  if (!b) return null;
  const snapshotPath = absolutePath(b.snapshot_path, 'snapshot_path');
  const backend = b.mem_backend as Record<string, unknown> | undefined;
  if (backend && typeof backend === 'object' && backend.backend_type === 'File')
    absolutePath(backend.backend_path, 'mem_backend.backend_path');
  absolutePath(b.mem_file_path, 'mem_file_path');
  if (snapshotPath === null) return null;
  const notes = await readNotes(snapshotPath);
  if (!notes) return null;
  const name = entry.vm.name;

  const disk = diskCopyOf(snapshotPath);
  if (notes.disk_copy && !(await exists(disk))) {
    throw new ApiError(
      400,
      'validation_failed',
      `snapshot_path: the snapshot's disk copy ${disk} is missing (fc-agent keeps the source microVM's disk there when it makes the snapshot, and the restored guest needs it): put it back next to ${snapshotPath}, or make the snapshot again (pause the source, then snapshots create)`,
      { field: 'snapshot_path', path: disk },
    );
  }

  let lease: Lease | null = null;
  let offlineWhy = '';
  let offlineTap: string | null = null;
  let network: RestoredFrom['network'] = 'none';
  let out = b;
  const userOverrides = Array.isArray(b.network_overrides) && b.network_overrides.length > 0;
  if (notes.network && userOverrides) {
    network = 'user';
  } else if (notes.network) {
    const src = notes.network;
    const got = await leaseSourceAddress(ctx, entry, src);
    if (typeof got === 'string') offlineWhy = got;
    else lease = got;
    if (lease) {
      network = 'kept';
      out = { ...b, network_overrides: [{ iface_id: src.iface_id, host_dev_name: lease.tap }] };
    } else {
      // Its address or MAC is in use (the source runs on), or this agent has no network: a tap of
      // its own that firecracker makes and that goes with it, on no bridge, so the two guests
      // never clash. Its name is outside the agent's tap pattern: no reconcile touches it.
      network = 'offline';
      offlineTap = `fco${entry.vm.id.slice(0, 12)}`;
      out = { ...b, network_overrides: [{ iface_id: src.iface_id, host_dev_name: offlineTap }] };
    }
  }

  if (notes.disk_copy) {
    try {
      await copySparse(disk, entry.paths.rootfsCopy);
    } catch (err) {
      if (lease) await ctx.network.release(name, entry.vm.id);
      throw new ApiError(
        500,
        'internal',
        `loading a snapshot into microVM ${name}: copying the snapshot's disk ${disk} to ${entry.paths.rootfsCopy} failed: ${(err as Error).message}`,
        { field: 'snapshot_path', path: disk },
      );
    }
  }
  const dropped = dropPendingInput(entry.paths.consoleIn);
  if (dropped > 0) ctx.log.info('console input before the load dropped', { id: entry.vm.id, bytes: dropped });

  const src = notes.source;
  const addressNote: Record<RestoredFrom['network'], string> = {
    kept: `the source's address ${notes.network?.address ?? ''} and MAC, on a tap of its own`,
    offline: `no network: the guest still has the source's address ${notes.network?.address ?? ''} and MAC in memory, and ${offlineWhy}, so its tap is on no bridge`,
    none: 'no network (the source had none)',
    user: 'the taps given in network_overrides',
  };
  const restored: RestoredFrom = {
    snapshot_path: snapshotPath,
    source_id: src.id,
    source_name: src.name,
    network,
    guest_network: notes.network,
    note: `restored from ${src.name}'s snapshot: ${notes.disk_copy ? `its disk as it was at the snapshot, copied to ${entry.paths.rootfsCopy}` : 'the same drives as the source'}; ${addressNote[network]}${
      notes.console_quiet === false
        ? "; the source's console was busy when it was paused, so the restored console may stay silent until a key is pressed"
        : ''
    }`,
  };

  return {
    body: Buffer.from(JSON.stringify(out)),
    async finish() {
      const vm = entry.vm;
      entry.rootfsCopied = notes.guest_agent;
      if (lease && ctx.network.net) {
        const g = ctx.network.net.guestConfig(lease.address);
        const recorded: MicrovmNetwork = {
          address: lease.address,
          gateway: g.gateway,
          prefix_length: ctx.network.net.config.subnet.prefix,
          mac: lease.mac,
          tap: lease.tap,
          isolated: lease.isolated,
          ports: lease.ports,
        };
        vm.network = recorded;
      }
      vm.restored_from = restored;
      if (offlineTap) {
        // Up, so the guest's frames end there quietly: a tap that is down fails each write, and
        // Firecracker logs every one ("Failed to write to tap").
        await localHost.run('ip', ['link', 'set', 'dev', offlineTap, 'up']).catch((err: unknown) => {
          ctx.log.warn("cannot bring the restored microVM's own tap up", {
            id: vm.id,
            tap: offlineTap,
            error: (err as Error).message,
          });
        });
      }
      ctx.log.info('snapshot loaded', { id: vm.id, name: vm.name, from: src.name, network });
    },
    async undo() {
      if (lease) await ctx.network.release(name, entry.vm.id);
      if (notes.disk_copy) await rm(entry.paths.rootfsCopy, { force: true }).catch(() => undefined);
    },
  };
}
