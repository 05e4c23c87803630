// The Rust types Firecracker v1.14.4 deserializes each request body into: field order (it shows in
// "expected one of" lists), integer widths, serde defaults. The OpenAPI spec is checked against this
// at startup (spec-check.ts) so the two cannot drift apart silently.
import { isIPv4 } from 'node:net';
import type { RustField, RustType } from './serde.ts';

const u8: RustType = { kind: 'int', int: 'u8' };
const u16: RustType = { kind: 'int', int: 'u16' };
const u32: RustType = { kind: 'int', int: 'u32' };
const u64: RustType = { kind: 'int', int: 'u64' };
const usize: RustType = { kind: 'int', int: 'usize' };
const bool: RustType = { kind: 'bool' };
const str: RustType = { kind: 'string' };
const path: RustType = { kind: 'path' };
const opt = (inner: RustType): RustType => ({ kind: 'option', inner });
const enm = (...variants: string[]): RustType => ({ kind: 'enum', variants });
const f = (name: string, type: RustType, serdeDefault = false): RustField => ({
  name,
  type,
  serdeDefault,
});
const struct = (name: string, fields: RustField[], denyUnknown = true): RustType => ({
  kind: 'struct',
  name,
  fields,
  denyUnknown,
});

const macAddr: RustType = {
  kind: 'parsed',
  check: (s) =>
    /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s) ? undefined : 'The provided MAC address is invalid.',
};
// Ipv4Addr is parsed inside serde_json's string visitor, so its error sits right after the string.
const ipv4: RustType = {
  kind: 'parsed',
  inVisitor: true,
  check: (s) => (isIPv4(s) ? undefined : 'invalid IPv4 address syntax'),
};
const levelFilter: RustType = {
  kind: 'parsed',
  check: (s) =>
    ['off', 'trace', 'debug', 'info', 'warn', 'warning', 'error'].includes(s.toLowerCase())
      ? undefined
      : 'Invalid LevelFilter',
};

// TokenBucketConfig is the one body type without deny_unknown_fields.
const tokenBucket = struct(
  'TokenBucketConfig',
  [f('size', u64), f('one_time_burst', opt(u64)), f('refill_time', u64)],
  false,
);
const rateLimiter = struct('RateLimiterConfig', [
  f('bandwidth', opt(tokenBucket)),
  f('ops', opt(tokenBucket)),
]);

export const cpuTemplates = ['C3', 'T2', 'T2S', 'None', 'T2CL', 'T2A'];

/** Keyed by the spec's definition name; `rust` is what the binary deserializes into. */
export const bodyTypes = {
  MachineConfiguration: struct('MachineConfig', [
    f('vcpu_count', u8),
    f('mem_size_mib', usize),
    f('smt', bool, true),
    f('cpu_template', opt(enm(...cpuTemplates)), true),
    f('track_dirty_pages', bool, true),
    f('huge_pages', enm('None', '2M'), true),
  ]),
  MachineConfigurationUpdate: struct('MachineConfigUpdate', [
    f('vcpu_count', opt(u8), true),
    f('mem_size_mib', opt(usize), true),
    f('smt', opt(bool), true),
    f('cpu_template', opt(enm(...cpuTemplates)), true),
    f('track_dirty_pages', opt(bool), true),
    f('huge_pages', opt(enm('None', '2M')), true),
  ]),
  BootSource: struct('BootSourceConfig', [
    f('kernel_image_path', str),
    f('initrd_path', opt(str)),
    f('boot_args', opt(str)),
  ]),
  Drive: struct('BlockDeviceConfig', [
    f('drive_id', str),
    f('partuuid', opt(str)),
    f('is_root_device', bool),
    f('cache_type', enm('Unsafe', 'Writeback'), true),
    f('is_read_only', opt(bool)),
    f('path_on_host', opt(str)),
    f('rate_limiter', opt(rateLimiter)),
    f('io_engine', opt(enm('Sync', 'Async'))),
    f('socket', opt(str)),
  ]),
  PartialDrive: struct('BlockDeviceUpdateConfig', [
    f('drive_id', str),
    f('path_on_host', opt(str)),
    f('rate_limiter', opt(rateLimiter)),
  ]),
  NetworkInterface: struct('NetworkInterfaceConfig', [
    f('iface_id', str),
    f('host_dev_name', str),
    f('guest_mac', opt(macAddr)),
    f('rx_rate_limiter', opt(rateLimiter)),
    f('tx_rate_limiter', opt(rateLimiter)),
  ]),
  PartialNetworkInterface: struct('NetworkInterfaceUpdateConfig', [
    f('iface_id', str),
    f('rx_rate_limiter', opt(rateLimiter)),
    f('tx_rate_limiter', opt(rateLimiter)),
  ]),
  Vsock: struct('VsockDeviceConfig', [
    f('vsock_id', opt(str), true),
    f('guest_cid', u32),
    f('uds_path', str),
  ]),
  Balloon: struct('BalloonDeviceConfig', [
    f('amount_mib', u32),
    f('deflate_on_oom', bool),
    f('stats_polling_interval_s', u16, true),
    f('free_page_hinting', bool, true),
    f('free_page_reporting', bool, true),
  ]),
  BalloonUpdate: struct('BalloonUpdateConfig', [f('amount_mib', u32)]),
  BalloonStatsUpdate: struct('BalloonUpdateStatsConfig', [f('stats_polling_interval_s', u16)]),
  EntropyDevice: struct('EntropyDeviceConfig', [f('rate_limiter', opt(rateLimiter))]),
  Logger: struct('LoggerConfig', [
    f('log_path', opt(path)),
    f('level', opt(levelFilter)),
    f('show_level', opt(bool)),
    f('show_log_origin', opt(bool)),
    f('module', opt(str)),
  ]),
  Metrics: struct('MetricsConfig', [f('metrics_path', path)], false),
  MmdsConfig: struct('MmdsConfig', [
    f('version', enm('V1', 'V2'), true),
    f('network_interfaces', { kind: 'vec', inner: str }),
    f('ipv4_address', opt(ipv4)),
    f('imds_compat', bool, true),
  ]),
  SerialDevice: struct('SerialConfig', [f('serial_out_path', opt(path))]),
  InstanceActionInfo: struct('ActionBody', [
    f('action_type', enm('FlushMetrics', 'InstanceStart', 'SendCtrlAltDel')),
  ]),
  Vm: struct('Vm', [f('state', enm('Paused', 'Resumed'))]),
  SnapshotCreateParams: struct('CreateSnapshotParams', [
    f('snapshot_type', enm('Diff', 'Full'), true),
    f('snapshot_path', path),
    f('mem_file_path', path),
  ]),
  SnapshotLoadParams: struct('LoadSnapshotConfig', [
    f('snapshot_path', path),
    f('mem_file_path', opt(path)),
    f(
      'mem_backend',
      opt(struct('MemBackendConfig', [f('backend_path', path), f('backend_type', enm('File', 'Uffd'))])),
    ),
    f('enable_diff_snapshots', bool, true),
    f('track_dirty_pages', bool, true),
    f('resume_vm', bool, true),
    f(
      'network_overrides',
      {
        kind: 'vec',
        inner: struct('NetworkOverride', [f('iface_id', str), f('host_dev_name', str)], false),
      },
      true,
    ),
    f('clock_realtime', bool, true),
  ]),
  MmdsContentsObject: { kind: 'value' } as RustType,
} satisfies Record<string, RustType>;

export type BodyName = keyof typeof bodyTypes;

/** Spec definitions whose Rust twin differs in name from the spec's (update shapes). */
export const specNameOf: Partial<Record<BodyName, string>> = {
  MachineConfigurationUpdate: 'MachineConfiguration',
};

/** Fields the spec has that v1.14.4 (the version the double plays) does not know yet. */
export const newerThanModelled: Record<string, string[]> = {
  NetworkInterface: ['mtu'],
  SnapshotLoadParams: ['vsock_override'],
  SerialDevice: ['rate_limiter'],
};
