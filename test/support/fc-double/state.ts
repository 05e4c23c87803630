// What the VMM holds: the resources configured over the API, in the shapes GET returns them.
import type { Json } from './serde.ts';

export type Phase = 'Not started' | 'Running' | 'Paused';

export interface MachineConfig {
  vcpu_count: number;
  mem_size_mib: number;
  smt: boolean;
  cpu_template?: string;
  track_dirty_pages: boolean;
  huge_pages: string;
}

export interface DriveConfig {
  drive_id: string;
  partuuid: string | null;
  is_root_device: boolean;
  cache_type: string;
  is_read_only: boolean;
  path_on_host: string | null;
  rate_limiter: Json;
  io_engine: string;
  socket: string | null;
}

export interface NetConfig {
  iface_id: string;
  host_dev_name: string;
  guest_mac: string | null;
  rx_rate_limiter: Json;
  tx_rate_limiter: Json;
}

export interface BalloonConfig {
  amount_mib: number;
  deflate_on_oom: boolean;
  stats_polling_interval_s: number;
  free_page_hinting: boolean;
  free_page_reporting: boolean;
}

export interface MmdsConfig {
  version: string;
  network_interfaces: string[];
  ipv4_address: string;
  imds_compat: boolean;
}

export interface VmResources {
  machine: MachineConfig;
  bootSource: { kernel_image_path: string; initrd_path: string | null; boot_args: string | null };
  drives: DriveConfig[];
  nets: NetConfig[];
  balloon: BalloonConfig | null;
  vsock: { guest_cid: number; uds_path: string } | null;
  entropy: { rate_limiter: Json } | null;
  mmdsConfig: MmdsConfig | null;
  /** undefined until the first PUT /mmds. */
  mmds: Json | undefined;
}

export function defaultResources(): VmResources {
  return {
    machine: {
      vcpu_count: 1,
      mem_size_mib: 128,
      smt: false,
      track_dirty_pages: false,
      huge_pages: 'None',
    },
    bootSource: { kernel_image_path: '', initrd_path: null, boot_args: null },
    drives: [],
    nets: [],
    balloon: null,
    vsock: null,
    entropy: null,
    mmdsConfig: null,
    mmds: undefined,
  };
}

/** Field order as Firecracker serializes MachineConfig (cpu_template only when set). */
export function machineJson(m: MachineConfig): Record<string, Json> {
  const out: Record<string, Json> = { vcpu_count: m.vcpu_count, mem_size_mib: m.mem_size_mib, smt: m.smt };
  if (m.cpu_template !== undefined && m.cpu_template !== 'None') out.cpu_template = m.cpu_template;
  out.track_dirty_pages = m.track_dirty_pages;
  out.huge_pages = m.huge_pages;
  return out;
}

/** GET /vm/config, in FullVmConfiguration's field order. */
export function fullConfigJson(r: VmResources): Record<string, Json> {
  return {
    balloon: r.balloon ? { ...r.balloon } : null,
    drives: r.drives.map((d) => ({ ...d })),
    'boot-source': { ...r.bootSource },
    'cpu-config': null,
    logger: null,
    'machine-config': machineJson(r.machine),
    metrics: null,
    'mmds-config': r.mmdsConfig ? { ...r.mmdsConfig } : null,
    'network-interfaces': r.nets.map((n) => ({ ...n })),
    vsock: r.vsock ? { ...r.vsock } : null,
    entropy: r.entropy ? { ...r.entropy } : null,
    pmem: [],
    'memory-hotplug': null,
  };
}

/** Rate limiter as Firecracker echoes it: every token bucket field present. */
export function normaliseRateLimiter(v: Json | undefined): Json {
  if (v === undefined || v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const bucket = (b: Json | undefined): Json => {
    if (b === undefined || b === null || typeof b !== 'object' || Array.isArray(b)) return null;
    return { size: b.size ?? 0, one_time_burst: b.one_time_burst ?? null, refill_time: b.refill_time ?? 0 };
  };
  return { bandwidth: bucket(v.bandwidth), ops: bucket(v.ops) };
}

/** serde_json::Value without preserve_order keeps object keys sorted. */
export function sortedJson(v: Json): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(v[k] ?? null)}`).join(',')}}`;
}
