// Bodies of Firecracker's API (spec v1.16.1, `definitions`), one zod schema per definition.
// Request schemas are strict exactly where Firecracker's serde structs say
// `deny_unknown_fields` (almost all of them) and loose where it silently ignores unknown keys
// (TokenBucket, Metrics, NetworkOverride). Integer bounds come from the Rust field types
// (u8/u16/u32/u64) so a value Firecracker would refuse to deserialize is refused here first.
// Response schemas are loose and accept `null` where real Firecracker serializes `None` as null
// (GET /vm/config does), so a newer Firecracker adding fields does not break us.
import { z } from 'zod';
import { CPU_TEMPLATE_NAMES } from './cpu-templates.ts';

const U8_MAX = 255;
const U16_MAX = 65_535;
const U32_MAX = 4_294_967_295;

const u16 = () => z.number().int().min(0).max(U16_MAX);
const u32 = () => z.number().int().min(0).max(U32_MAX);
/** u64 / usize: bounded by what a JS number holds exactly. */
const u64 = () => z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

// ---------- shared pieces ----------

export const tokenBucket = z.looseObject({
  size: u64(),
  one_time_burst: u64().optional(),
  refill_time: u64(),
});
export type TokenBucket = z.infer<typeof tokenBucket>;

export const rateLimiter = z.strictObject({
  bandwidth: tokenBucket.optional(),
  ops: tokenBucket.optional(),
});
export type RateLimiter = z.infer<typeof rateLimiter>;

/** Firecracker's error body. micro_http's own errors use `{ "error": ... }` instead (see client). */
export const apiError = z.looseObject({ fault_message: z.string().optional() });

// ---------- instance ----------

export const instanceState = z.enum(['Not started', 'Running', 'Paused']);
export type InstanceState = z.infer<typeof instanceState>;

export const instanceInfo = z.looseObject({
  app_name: z.string(),
  id: z.string(),
  state: instanceState,
  vmm_version: z.string(),
});
export type InstanceInfo = z.infer<typeof instanceInfo>;

export const firecrackerVersion = z.looseObject({ firecracker_version: z.string() });
export type FirecrackerVersion = z.infer<typeof firecrackerVersion>;

export const instanceActionType = z.enum(['FlushMetrics', 'InstanceStart', 'SendCtrlAltDel']);
export const instanceActionInfo = z.strictObject({ action_type: instanceActionType });
export type InstanceActionInfo = z.infer<typeof instanceActionInfo>;

export const vm = z.strictObject({ state: z.enum(['Paused', 'Resumed']) });
export type Vm = z.infer<typeof vm>;

// ---------- machine ----------

export const cpuTemplate = z.enum(CPU_TEMPLATE_NAMES);
export const hugePages = z.enum(['None', '2M']);

const machineConfigurationShape = {
  /** Deprecated by Firecracker (answers with `Deprecation: true`). */
  cpu_template: cpuTemplate.optional(),
  smt: z.boolean().optional(),
  mem_size_mib: u64(),
  track_dirty_pages: z.boolean().optional(),
  vcpu_count: z.number().int().min(1).max(32),
  huge_pages: hugePages.optional(),
};
export const machineConfiguration = z.strictObject(machineConfigurationShape);
export type MachineConfiguration = z.infer<typeof machineConfiguration>;

/** PATCH /machine-config: "a subset of Machine Configuration Parameters" (MachineConfigUpdate). */
export const machineConfigurationUpdate = machineConfiguration.partial();
export type MachineConfigurationUpdate = z.infer<typeof machineConfigurationUpdate>;

/** GET /machine-config answers. Snapshot-restored VMs may omit smt/cpu_template. */
export const machineConfigurationResponse = z.looseObject({
  cpu_template: cpuTemplate.nullish(),
  smt: z.boolean().nullish(),
  mem_size_mib: u64(),
  track_dirty_pages: z.boolean().nullish(),
  vcpu_count: z.number().int().min(1).max(U8_MAX),
  huge_pages: hugePages.nullish(),
});
export type MachineConfigurationResponse = z.infer<typeof machineConfigurationResponse>;

export const bootSource = z.strictObject({
  boot_args: z.string().optional(),
  initrd_path: z.string().optional(),
  kernel_image_path: z.string(),
});
export type BootSource = z.infer<typeof bootSource>;

// ---------- devices ----------

export const drive = z.strictObject({
  drive_id: z.string(),
  partuuid: z.string().optional(),
  is_root_device: z.boolean(),
  cache_type: z.enum(['Unsafe', 'Writeback']).optional(),
  is_read_only: z.boolean().optional(),
  path_on_host: z.string().optional(),
  rate_limiter: rateLimiter.optional(),
  io_engine: z.enum(['Sync', 'Async']).optional(),
  socket: z.string().optional(),
});
export type Drive = z.infer<typeof drive>;

export const partialDrive = z.strictObject({
  drive_id: z.string(),
  path_on_host: z.string().optional(),
  rate_limiter: rateLimiter.optional(),
});
export type PartialDrive = z.infer<typeof partialDrive>;

export const networkInterface = z.strictObject({
  guest_mac: z.string().optional(),
  host_dev_name: z.string(),
  iface_id: z.string(),
  /** Added in Firecracker 1.16; older versions reject the field. */
  mtu: z.number().int().min(68).max(65_535).optional(),
  rx_rate_limiter: rateLimiter.optional(),
  tx_rate_limiter: rateLimiter.optional(),
});
export type NetworkInterface = z.infer<typeof networkInterface>;

export const partialNetworkInterface = z.strictObject({
  iface_id: z.string(),
  rx_rate_limiter: rateLimiter.optional(),
  tx_rate_limiter: rateLimiter.optional(),
});
export type PartialNetworkInterface = z.infer<typeof partialNetworkInterface>;

export const vsock = z.strictObject({
  guest_cid: z.number().int().min(3).max(U32_MAX),
  uds_path: z.string(),
  /** Deprecated by Firecracker. */
  vsock_id: z.string().optional(),
});
export type Vsock = z.infer<typeof vsock>;

export const entropyDevice = z.strictObject({ rate_limiter: rateLimiter.optional() });
export type EntropyDevice = z.infer<typeof entropyDevice>;

export const serialDevice = z.strictObject({
  serial_out_path: z.string().optional(),
  /** Added in Firecracker 1.16; older versions reject the field. */
  rate_limiter: tokenBucket.optional(),
});
export type SerialDevice = z.infer<typeof serialDevice>;

// ---------- balloon ----------

export const balloon = z.strictObject({
  amount_mib: u32(),
  deflate_on_oom: z.boolean(),
  stats_polling_interval_s: u16().optional(),
  free_page_hinting: z.boolean().optional(),
  free_page_reporting: z.boolean().optional(),
});
export type Balloon = z.infer<typeof balloon>;

export const balloonUpdate = z.strictObject({ amount_mib: u32() });
export type BalloonUpdate = z.infer<typeof balloonUpdate>;

export const balloonStatsUpdate = z.strictObject({ stats_polling_interval_s: u16() });
export type BalloonStatsUpdate = z.infer<typeof balloonStatsUpdate>;

const optionalCounter = () => u64().nullish();
export const balloonStats = z.looseObject({
  target_pages: u64(),
  actual_pages: u64(),
  target_mib: u64(),
  actual_mib: u64(),
  swap_in: optionalCounter(),
  swap_out: optionalCounter(),
  major_faults: optionalCounter(),
  minor_faults: optionalCounter(),
  free_memory: optionalCounter(),
  total_memory: optionalCounter(),
  available_memory: optionalCounter(),
  disk_caches: optionalCounter(),
  hugetlb_allocations: optionalCounter(),
  hugetlb_failures: optionalCounter(),
  oom_kill: optionalCounter(),
  alloc_stall: optionalCounter(),
  async_scan: optionalCounter(),
  direct_scan: optionalCounter(),
  async_reclaim: optionalCounter(),
  direct_reclaim: optionalCounter(),
});
export type BalloonStats = z.infer<typeof balloonStats>;

/** GET /balloon answers with the Balloon definition; loose so newer fields pass. */
export const balloonResponse = z.looseObject({
  amount_mib: u32(),
  deflate_on_oom: z.boolean(),
  stats_polling_interval_s: u16().nullish(),
  free_page_hinting: z.boolean().nullish(),
  free_page_reporting: z.boolean().nullish(),
});
export type BalloonResponse = z.infer<typeof balloonResponse>;

// ---------- snapshots ----------

export const snapshotCreateParams = z.strictObject({
  mem_file_path: z.string(),
  snapshot_path: z.string(),
  snapshot_type: z.enum(['Full', 'Diff']).optional(),
});
export type SnapshotCreateParams = z.infer<typeof snapshotCreateParams>;

export const memoryBackend = z.strictObject({
  backend_type: z.enum(['File', 'Uffd']),
  backend_path: z.string(),
});
export type MemoryBackend = z.infer<typeof memoryBackend>;

export const networkOverride = z.looseObject({ iface_id: z.string(), host_dev_name: z.string() });
export type NetworkOverride = z.infer<typeof networkOverride>;

export const vsockOverride = z.strictObject({ uds_path: z.string() });
export type VsockOverride = z.infer<typeof vsockOverride>;

export const snapshotLoadParams = z
  .strictObject({
    /** Deprecated by Firecracker in favour of track_dirty_pages. */
    enable_diff_snapshots: z.boolean().optional(),
    track_dirty_pages: z.boolean().optional(),
    /** Deprecated by Firecracker in favour of mem_backend. */
    mem_file_path: z.string().optional(),
    mem_backend: memoryBackend.optional(),
    snapshot_path: z.string(),
    resume_vm: z.boolean().optional(),
    network_overrides: z.array(networkOverride).optional(),
    /** Added in Firecracker 1.16; older versions reject the field. */
    vsock_override: vsockOverride.optional(),
    clock_realtime: z.boolean().optional(),
  })
  // The spec's description: "Exactly one of the two `mem_*` fields must be present".
  .refine((p) => (p.mem_backend === undefined) !== (p.mem_file_path === undefined), {
    message: 'exactly one of mem_backend and mem_file_path must be given',
    path: ['mem_backend'],
  });
export type SnapshotLoadParams = z.infer<typeof snapshotLoadParams>;

// ---------- observability ----------

export const loggerLevel = z.enum(['Error', 'Warning', 'Info', 'Debug', 'Trace', 'Off']);
export type LoggerLevel = z.infer<typeof loggerLevel>;

export const logger = z.strictObject({
  level: loggerLevel.optional(),
  log_path: z.string().optional(),
  show_level: z.boolean().optional(),
  show_log_origin: z.boolean().optional(),
  module: z.string().optional(),
});
export type Logger = z.infer<typeof logger>;

export const metrics = z.looseObject({ metrics_path: z.string() });
export type Metrics = z.infer<typeof metrics>;

// ---------- MMDS ----------

/** MmdsContentsObject: any JSON object. */
export const mmdsContents = z.record(z.string(), z.unknown());
export type MmdsContents = z.infer<typeof mmdsContents>;

export const mmdsConfig = z.strictObject({
  version: z.enum(['V1', 'V2']).optional(),
  network_interfaces: z.array(z.string()),
  ipv4_address: z.string().optional(),
  imds_compat: z.boolean().optional(),
});
export type MmdsConfig = z.infer<typeof mmdsConfig>;

// ---------- GET /vm/config ----------

/** FullVmConfiguration as real Firecracker serializes it: absent devices are `null`, lists `[]`. */
export const fullVmConfiguration = z.looseObject({
  balloon: balloonResponse.nullish(),
  drives: z.array(z.looseObject({ drive_id: z.string(), is_root_device: z.boolean() })).nullish(),
  'boot-source': z
    .looseObject({
      kernel_image_path: z.string(),
      initrd_path: z.string().nullish(),
      boot_args: z.string().nullish(),
    })
    .nullish(),
  'cpu-config': z.looseObject({}).nullish(),
  logger: z.looseObject({}).nullish(),
  'machine-config': machineConfigurationResponse.nullish(),
  metrics: z.looseObject({ metrics_path: z.string() }).nullish(),
  'memory-hotplug': z.looseObject({}).nullish(),
  'mmds-config': z.looseObject({ network_interfaces: z.array(z.string()) }).nullish(),
  'network-interfaces': z.array(z.looseObject({ iface_id: z.string(), host_dev_name: z.string() })).nullish(),
  pmem: z.array(z.looseObject({ id: z.string(), path_on_host: z.string() })).nullish(),
  vsock: z.looseObject({ guest_cid: z.number().int(), uds_path: z.string() }).nullish(),
  entropy: z.looseObject({}).nullish(),
});
export type FullVmConfiguration = z.infer<typeof fullVmConfiguration>;
