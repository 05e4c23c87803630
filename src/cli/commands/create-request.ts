// The body of `run` and `microvm create`: the flags, with config.yaml's defaults for what they
// leave open, checked with the agent's schema. Loaded when one of those commands runs.
import type { PortMapping } from '../../api/network.ts';
import type { CreateMicrovmRequest } from '../../api/schemas.ts';
import { loadConfig } from '../../config/config.ts';
import { type DriveFlag, validateCreateRequest } from '../flags.ts';

export interface CreateFlags {
  name?: string;
  vcpus?: number;
  memory?: number;
  kernel?: string;
  rootfs?: string;
  bootArgs?: string;
  initrd?: string;
  drive?: DriveFlag[];
  readOnlyRootfs?: boolean;
  smt?: boolean;
  trackDirtyPages?: boolean;
  /** microvm create only: a bare firecracker, nothing configured (for snapshots load). */
  bare?: boolean;
  network?: 'default' | 'none';
  publish?: PortMapping[];
  mac?: string;
  isolated?: boolean;
}

export async function createRequest(flags: CreateFlags, start: boolean): Promise<CreateMicrovmRequest> {
  // config.yaml's defaults apply only to what the flags leave open (and not to a bare firecracker).
  const needDefaults = !flags.bare && (flags.vcpus === undefined || flags.memory === undefined);
  const config = needDefaults ? await loadConfig() : null;
  const req: CreateMicrovmRequest = {
    name: flags.name,
    vcpus: flags.vcpus ?? config?.vcpus,
    memory_mib: flags.memory ?? config?.memoryMib,
    kernel: flags.kernel,
    rootfs: flags.rootfs,
    boot_args: flags.bootArgs,
    initrd: flags.initrd,
    drives: flags.drive,
    read_only_rootfs: flags.readOnlyRootfs,
    smt: flags.smt,
    track_dirty_pages: flags.trackDirtyPages,
    start,
    configure: flags.bare ? false : undefined,
    network: flags.network,
    ports: flags.publish,
    mac: flags.mac,
    isolated: flags.isolated,
  };
  for (const k of Object.keys(req) as Array<keyof CreateMicrovmRequest>)
    if (req[k] === undefined) delete req[k];
  return validateCreateRequest(req);
}
