// The vsock device every microVM with the default rootfs gets, so the agent can reach fc-guest:
// its Unix socket lives in the microVM's own directory, its guest CID is derived from the
// microVM's id (stable across agent restarts) and unique among the microVMs the agent holds.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GuestUnavailableError } from '../../guest-protocol/errors.ts';
import { GUEST_PORT } from '../../guest-protocol/frames.ts';
import type { CreateContext, CreateStep } from '../lifecycle/create-pipeline.ts';
import type { MicrovmEntry } from '../microvm-entry.ts';
import type { GuestTarget } from './connection.ts';

export const VSOCK_SOCKET = 'vsock.sock';

export function vsockPath(dir: string): string {
  return join(dir, VSOCK_SOCKET);
}

/** CIDs 0-2 are reserved (hypervisor, local, host); 2^32-1 is VMADDR_CID_ANY. */
export function cidFor(id: string, taken: ReadonlySet<number> = new Set()): number {
  let cid = 3 + (createHash('sha256').update(id).digest().readUInt32BE(0) % 0x7fff_fff0);
  while (taken.has(cid)) cid++;
  return cid;
}

export const vsockConfigure: CreateStep = {
  name: 'vsock.configure',
  async run(ctx: CreateContext) {
    // fc-guest is only in the default rootfs; a custom one keeps working exactly as before.
    if (!ctx.params.configure || !ctx.defaultRootfs) return;
    if (!ctx.entry) throw new Error('vsock.configure needs firecracker.launch to have run first');
    const taken = new Set(
      ctx.agent.registry
        .all()
        .filter((e) => e.vm.id !== ctx.id && e.alive)
        .map((e) => cidFor(e.vm.id)),
    );
    const cid = cidFor(ctx.id, taken);
    // Relative to firecracker's working directory (the microVM's directory): a snapshot records
    // it as given, so a restored microVM binds its own socket, never the source's.
    await ctx.entry.client.putVsock({ guest_cid: cid, uds_path: VSOCK_SOCKET });
    ctx.extra.set('vsock.configure', { cid });
  },
};

/** How to reach fc-guest in this microVM, or a GuestUnavailableError saying why there is no way. */
export function guestTargetOf(entry: MicrovmEntry): GuestTarget {
  const name = entry.vm.name;
  if (!entry.rootfsCopied || !existsSync(vsockPath(entry.paths.dir))) {
    throw new GuestUnavailableError(
      `no guest agent in this rootfs: microVM ${name} was created with ${entry.rootfsCopied ? 'no vsock device' : `a custom rootfs (${entry.vm.rootfs})`}; fc-guest runs only in the default rootfs that "fc-macos setup" builds`,
    );
  }
  // stopping: the stop itself asks fc-guest to shut the guest down.
  if (entry.vm.state !== 'running' && entry.vm.state !== 'stopping') {
    throw new GuestUnavailableError(
      `microVM ${name} is ${entry.vm.state}: its guest agent answers only while it runs`,
    );
  }
  return { kind: 'vsock', udsPath: vsockPath(entry.paths.dir), port: GUEST_PORT };
}
