// The client's zod schemas against Firecracker's own OpenAPI (swagger 2.0) spec v1.16.1, compiled
// with ajv. Three checks:
//  1. structure: every schema has exactly the spec definition's properties, the same required
//     set, and the same enum values;
//  2. samples both ways: bodies our schemas accept validate against the spec, and invalid bodies
//     (missing required field, wrong enum value, wrong type) are rejected by both;
//  3. the wire: every typed client method, called against a recording server, sends a method and
//     path the spec defines and a body that validates against that operation's body schema, and
//     parses the spec's sample answers.
// Our schemas are stricter than the spec where Firecracker's serde is (unknown fields, integer
// ranges); they are never looser.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { FirecrackerClient } from '../../src/firecracker/client.ts';
import * as s from '../../src/firecracker/schemas.ts';
import { firecrackerSpec } from '../support/paths.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface SpecSchema {
  type?: string;
  properties?: Record<string, SpecSchema>;
  required?: string[];
  enum?: string[];
  $ref?: string;
  items?: SpecSchema;
}
interface SpecOperation {
  parameters?: Array<{ in: string; schema?: SpecSchema }>;
  responses: Record<string, { schema?: SpecSchema }>;
}
interface Spec {
  paths: Record<string, Record<string, SpecOperation>>;
  definitions: Record<string, SpecSchema>;
}

const spec = parse(readFileSync(firecrackerSpec, 'utf8')) as Spec;

/** Swagger's `#/definitions/X` becomes `fc#/definitions/X`, resolvable from any compiled schema. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      out[k] = k === '$ref' && typeof v === 'string' ? v.replace(/^#\//, 'fc#/') : rewriteRefs(v);
    }
    // draft-07 ignores keywords beside $ref; drop them so strict mode does not complain.
    if (typeof out.$ref === 'string') return { $ref: out.$ref };
    return out;
  }
  return node;
}

const ajv = new Ajv({ allErrors: true, strict: true });
// ajv-formats is CJS: its default export arrives wrapped depending on the loader.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as unknown as (a: Ajv) => Ajv;
addFormats(ajv);
ajv.addKeyword('example');
// MmdsConfig.ipv4_address puts a regular expression in `format`; treat it as one.
const ipv4Property = spec.definitions.MmdsConfig?.properties?.ipv4_address as { format?: string } | undefined;
const ipv4Format = ipv4Property?.format ?? '';
ajv.addFormat(ipv4Format, new RegExp(`^${ipv4Format}$`));
ajv.addSchema({ $id: 'fc', definitions: rewriteRefs(spec.definitions) });

function specValidator(schema: SpecSchema): ValidateFunction {
  return ajv.compile(rewriteRefs(schema) as object);
}
const definition = (name: string): ValidateFunction => specValidator({ $ref: `#/definitions/${name}` });

interface Case {
  zod: z.ZodType;
  def: string;
  valid: Json[];
  invalid: Json[];
  /** Request schemas are the spec exactly; response schemas may accept null and unknown fields. */
  response?: boolean;
  /** The spec's required list does not apply (PATCH /machine-config takes "a subset"). */
  subset?: boolean;
}

const bucket = { size: 1000, one_time_burst: 10, refill_time: 100 };
const limiter = { bandwidth: bucket, ops: { size: 10, refill_time: 1000 } };

const cases: Record<string, Case> = {
  machineConfiguration: {
    zod: s.machineConfiguration,
    def: 'MachineConfiguration',
    valid: [
      { vcpu_count: 2, mem_size_mib: 256 },
      {
        vcpu_count: 2,
        mem_size_mib: 256,
        smt: true,
        track_dirty_pages: true,
        huge_pages: '2M',
        cpu_template: 'T2',
      },
    ],
    invalid: [
      { mem_size_mib: 256 },
      { vcpu_count: 1 },
      { vcpu_count: 0, mem_size_mib: 1 },
      { vcpu_count: 33, mem_size_mib: 1 },
    ],
  },
  machineConfigurationUpdate: {
    zod: s.machineConfigurationUpdate,
    def: 'MachineConfiguration',
    subset: true,
    valid: [{ mem_size_mib: 64 }, { vcpu_count: 4 }, {}],
    invalid: [{ vcpu_count: 0 }, { mem_size_mib: 'big' }],
  },
  bootSource: {
    zod: s.bootSource,
    def: 'BootSource',
    valid: [
      { kernel_image_path: '/k' },
      { kernel_image_path: '/k', initrd_path: '/i', boot_args: 'console=ttyS0' },
    ],
    invalid: [{ boot_args: 'x' }, { kernel_image_path: 1 }],
  },
  drive: {
    zod: s.drive,
    def: 'Drive',
    valid: [
      { drive_id: 'rootfs', is_root_device: true, path_on_host: '/r', is_read_only: false },
      {
        drive_id: 'd',
        is_root_device: false,
        partuuid: 'p',
        cache_type: 'Writeback',
        path_on_host: '/d',
        rate_limiter: limiter,
        io_engine: 'Async',
      },
      { drive_id: 'vhost', is_root_device: false, socket: '/s' },
    ],
    invalid: [{ drive_id: 'd' }, { is_root_device: true }, { drive_id: 'd', is_root_device: 'yes' }],
  },
  partialDrive: {
    zod: s.partialDrive,
    def: 'PartialDrive',
    valid: [{ drive_id: 'd' }, { drive_id: 'd', path_on_host: '/p', rate_limiter: limiter }],
    invalid: [{ path_on_host: '/p' }],
  },
  networkInterface: {
    zod: s.networkInterface,
    def: 'NetworkInterface',
    valid: [
      { iface_id: 'eth0', host_dev_name: 'tap0' },
      {
        iface_id: 'eth0',
        host_dev_name: 'tap0',
        guest_mac: '06:00:00:00:00:01',
        mtu: 1500,
        rx_rate_limiter: limiter,
        tx_rate_limiter: {},
      },
    ],
    invalid: [
      { iface_id: 'eth0' },
      { host_dev_name: 'tap0' },
      { iface_id: 'e', host_dev_name: 't', mtu: 67 },
    ],
  },
  partialNetworkInterface: {
    zod: s.partialNetworkInterface,
    def: 'PartialNetworkInterface',
    valid: [{ iface_id: 'eth0' }, { iface_id: 'eth0', rx_rate_limiter: limiter, tx_rate_limiter: limiter }],
    invalid: [{}, { iface_id: 'eth0', rx_rate_limiter: { bandwidth: { size: 1 } } }],
  },
  rateLimiter: {
    zod: s.rateLimiter,
    def: 'RateLimiter',
    valid: [{}, limiter],
    invalid: [{ ops: { size: -1, refill_time: 1 } }, { bandwidth: { refill_time: 1 } }],
  },
  tokenBucket: {
    zod: s.tokenBucket,
    def: 'TokenBucket',
    valid: [bucket, { size: 0, refill_time: 0 }],
    invalid: [{ size: 1 }, { refill_time: 1 }, { size: -1, refill_time: 1 }],
  },
  instanceActionInfo: {
    zod: s.instanceActionInfo,
    def: 'InstanceActionInfo',
    valid: [{ action_type: 'InstanceStart' }],
    invalid: [{}, { action_type: 'Reboot' }],
  },
  vm: { zod: s.vm, def: 'Vm', valid: [{ state: 'Paused' }], invalid: [{}, { state: 'Stopped' }] },
  snapshotCreateParams: {
    zod: s.snapshotCreateParams,
    def: 'SnapshotCreateParams',
    valid: [
      { snapshot_path: '/s', mem_file_path: '/m' },
      { snapshot_path: '/s', mem_file_path: '/m', snapshot_type: 'Diff' },
    ],
    invalid: [
      { snapshot_path: '/s' },
      { mem_file_path: '/m' },
      { snapshot_path: '/s', mem_file_path: '/m', snapshot_type: 'Partial' },
    ],
  },
  snapshotLoadParams: {
    zod: s.snapshotLoadParams,
    def: 'SnapshotLoadParams',
    valid: [
      { snapshot_path: '/s', mem_backend: { backend_type: 'File', backend_path: '/m' } },
      { snapshot_path: '/s', mem_file_path: '/m', enable_diff_snapshots: true },
      {
        snapshot_path: '/s',
        mem_backend: { backend_type: 'Uffd', backend_path: '/u.sock' },
        track_dirty_pages: true,
        resume_vm: true,
        network_overrides: [{ iface_id: 'eth0', host_dev_name: 'tap1' }],
        vsock_override: { uds_path: '/v.sock' },
        clock_realtime: true,
      },
    ],
    invalid: [
      { mem_backend: { backend_type: 'File', backend_path: '/m' } },
      { snapshot_path: '/s', mem_backend: { backend_type: 'Memory', backend_path: '/m' } },
      { snapshot_path: '/s', mem_backend: { backend_type: 'File' } },
    ],
  },
  memoryBackend: {
    zod: s.memoryBackend,
    def: 'MemoryBackend',
    valid: [{ backend_type: 'File', backend_path: '/m' }],
    invalid: [{ backend_type: 'File' }, { backend_type: 'Disk', backend_path: '/m' }],
  },
  networkOverride: {
    zod: s.networkOverride,
    def: 'NetworkOverride',
    valid: [{ iface_id: 'eth0', host_dev_name: 'tap1' }],
    invalid: [{ iface_id: 'eth0' }],
  },
  vsockOverride: { zod: s.vsockOverride, def: 'VsockOverride', valid: [{ uds_path: '/v' }], invalid: [{}] },
  balloon: {
    zod: s.balloon,
    def: 'Balloon',
    valid: [
      { amount_mib: 64, deflate_on_oom: true },
      {
        amount_mib: 0,
        deflate_on_oom: false,
        stats_polling_interval_s: 5,
        free_page_hinting: true,
        free_page_reporting: true,
      },
    ],
    invalid: [{ amount_mib: 64 }, { deflate_on_oom: true }, { amount_mib: 1.5, deflate_on_oom: true }],
  },
  balloonUpdate: { zod: s.balloonUpdate, def: 'BalloonUpdate', valid: [{ amount_mib: 1 }], invalid: [{}] },
  balloonStatsUpdate: {
    zod: s.balloonStatsUpdate,
    def: 'BalloonStatsUpdate',
    valid: [{ stats_polling_interval_s: 1 }],
    invalid: [{}, { stats_polling_interval_s: 'often' }],
  },
  balloonStats: {
    zod: s.balloonStats,
    def: 'BalloonStats',
    response: true,
    valid: [
      { target_pages: 1024, actual_pages: 0, target_mib: 4, actual_mib: 0 },
      {
        target_pages: 1,
        actual_pages: 1,
        target_mib: 1,
        actual_mib: 1,
        swap_in: 0,
        free_memory: 1_000_000,
        oom_kill: 0,
      },
    ],
    invalid: [{ actual_pages: 0, target_mib: 4, actual_mib: 0 }],
  },
  metrics: { zod: s.metrics, def: 'Metrics', valid: [{ metrics_path: '/m' }], invalid: [{}] },
  logger: {
    zod: s.logger,
    def: 'Logger',
    valid: [
      {},
      { level: 'Debug', log_path: '/l', show_level: true, show_log_origin: true, module: 'api_server' },
    ],
    invalid: [{ level: 'Verbose' }, { show_level: 'yes' }],
  },
  mmdsConfig: {
    zod: s.mmdsConfig,
    def: 'MmdsConfig',
    valid: [
      { network_interfaces: ['eth0'] },
      { network_interfaces: [], version: 'V2', ipv4_address: '169.254.170.2', imds_compat: true },
    ],
    invalid: [{}, { network_interfaces: ['eth0'], version: 'V3' }],
  },
  vsock: {
    zod: s.vsock,
    def: 'Vsock',
    valid: [
      { guest_cid: 3, uds_path: '/v' },
      { guest_cid: 52, uds_path: '/v', vsock_id: 'vsock0' },
    ],
    invalid: [{ guest_cid: 3 }, { uds_path: '/v' }, { guest_cid: 2, uds_path: '/v' }],
  },
  entropyDevice: {
    zod: s.entropyDevice,
    def: 'EntropyDevice',
    valid: [{}, { rate_limiter: limiter }],
    invalid: [{ rate_limiter: { ops: { size: 'x', refill_time: 1 } } }],
  },
  serialDevice: {
    zod: s.serialDevice,
    def: 'SerialDevice',
    valid: [{}, { serial_out_path: '/s', rate_limiter: bucket }],
    invalid: [{ serial_out_path: 1 }, { rate_limiter: { size: 1 } }],
  },
  instanceInfo: {
    zod: s.instanceInfo,
    def: 'InstanceInfo',
    response: true,
    valid: [{ app_name: 'Firecracker', id: 'vm1', state: 'Not started', vmm_version: '1.16.1' }],
    invalid: [
      { app_name: 'Firecracker', id: 'vm1', state: 'Stopped', vmm_version: '1.16.1' },
      { app_name: 'Firecracker', state: 'Running', vmm_version: '1.16.1' },
    ],
  },
  firecrackerVersion: {
    zod: s.firecrackerVersion,
    def: 'FirecrackerVersion',
    response: true,
    valid: [{ firecracker_version: '1.16.1' }],
    invalid: [{}],
  },
  fullVmConfiguration: {
    zod: s.fullVmConfiguration,
    def: 'FullVmConfiguration',
    response: true,
    valid: [
      {},
      {
        balloon: { amount_mib: 4, deflate_on_oom: true, stats_polling_interval_s: 1 },
        drives: [{ drive_id: 'rootfs', is_root_device: true, path_on_host: '/r', is_read_only: false }],
        'boot-source': { kernel_image_path: '/k', boot_args: 'console=ttyS0' },
        'cpu-config': {},
        logger: { level: 'Info' },
        'machine-config': { vcpu_count: 1, mem_size_mib: 128, smt: false, huge_pages: 'None' },
        metrics: { metrics_path: '/m' },
        'memory-hotplug': { total_size_mib: 1024 },
        'mmds-config': { network_interfaces: ['eth0'], version: 'V2' },
        'network-interfaces': [{ iface_id: 'eth0', host_dev_name: 'tap0' }],
        pmem: [{ id: 'pm0', path_on_host: '/p' }],
        vsock: { guest_cid: 3, uds_path: '/v' },
        entropy: {},
      },
    ],
    invalid: [
      { 'machine-config': { vcpu_count: 1 } },
      { drives: [{ drive_id: 'd' }] },
      { vsock: { guest_cid: 3 } },
    ],
  },
  mmdsContents: {
    zod: s.mmdsContents,
    def: 'MmdsContentsObject',
    valid: [{}, { latest: { 'meta-data': { 'instance-id': 'i-1' } } }],
    invalid: ['a string', [1, 2]],
  },
};

// ---------- 1. structure ----------

function zodShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : undefined;
}

/** The values of a (possibly optional/nullable) zod enum, else undefined. */
function zodEnumValues(field: z.ZodType | undefined): string[] | undefined {
  let f: unknown = field;
  while (f instanceof z.ZodOptional || f instanceof z.ZodNullable) f = f.unwrap();
  return f instanceof z.ZodEnum ? (f.options as string[]).map(String) : undefined;
}

function resolveDef(schema: SpecSchema): SpecSchema {
  const ref = schema.$ref?.replace('#/definitions/', '');
  return ref ? (spec.definitions[ref] ?? schema) : schema;
}

describe('zod schemas have the spec definitions’ structure', () => {
  for (const [name, c] of Object.entries(cases)) {
    const shape = zodShape(c.zod);
    if (!shape) continue;
    it(`${name} ↔ ${c.def}: same properties, required set and enum values`, () => {
      const def = spec.definitions[c.def];
      expect(def, `spec has no definition ${c.def}`).toBeDefined();
      const specProps = def?.properties ?? {};
      expect(Object.keys(shape).sort()).toEqual(Object.keys(specProps).sort());
      const zodRequired = Object.keys(shape).filter((k) => !shape[k]?.safeParse(undefined).success);
      expect(zodRequired.sort()).toEqual(c.subset ? [] : [...(def?.required ?? [])].sort());
      for (const [prop, propSchema] of Object.entries(specProps)) {
        const values = resolveDef(propSchema).enum;
        if (!values) continue;
        const field = shape[prop];
        expect(zodEnumValues(field)?.sort(), `${prop} enum`).toEqual([...values].map(String).sort());
        for (const v of values) expect(field?.safeParse(v).success, `${prop}=${v}`).toBe(true);
        expect(field?.safeParse('NotAnEnumValue').success).toBe(false);
      }
    });
  }
});

// ---------- 2. samples both ways ----------

describe('sample bodies: accepted by our schemas ⇒ valid per spec; invalid ones rejected by both', () => {
  for (const [name, c] of Object.entries(cases)) {
    const validate = definition(c.def);
    const specSchema = c.subset ? { ...spec.definitions[c.def], required: [] } : undefined;
    const check = specSchema ? specValidator(specSchema) : validate;
    it(`${name} ↔ ${c.def}`, () => {
      for (const body of c.valid) {
        expect(c.zod.safeParse(body).success, `zod accepts ${JSON.stringify(body)}`).toBe(true);
        expect(check(body), `spec accepts ${JSON.stringify(body)}: ${ajv.errorsText(check.errors)}`).toBe(
          true,
        );
      }
      for (const body of c.invalid) {
        expect(c.zod.safeParse(body).success, `zod rejects ${JSON.stringify(body)}`).toBe(false);
        expect(check(body), `spec rejects ${JSON.stringify(body)}`).toBe(false);
      }
    });
  }

  it('request schemas refuse unknown fields where Firecracker does (the spec allows them)', () => {
    expect(s.machineConfiguration.safeParse({ vcpu_count: 1, mem_size_mib: 1, x: 1 }).success).toBe(false);
    expect(definition('MachineConfiguration')({ vcpu_count: 1, mem_size_mib: 1, x: 1 })).toBe(true);
    // serde ignores unknown fields of TokenBucket and Metrics: so do we.
    expect(s.tokenBucket.safeParse({ ...bucket, x: 1 }).success).toBe(true);
    expect(s.metrics.safeParse({ metrics_path: '/m', x: 1 }).success).toBe(true);
  });

  it('response schemas accept the nulls real Firecracker sends in GET /vm/config', () => {
    const real = {
      balloon: null,
      drives: [
        {
          drive_id: 'rootfs',
          is_root_device: true,
          partuuid: null,
          cache_type: 'Unsafe',
          is_read_only: false,
          path_on_host: '/r',
          rate_limiter: null,
          io_engine: 'Sync',
          socket: null,
        },
      ],
      'boot-source': { kernel_image_path: '/k', initrd_path: null, boot_args: null },
      'cpu-config': null,
      logger: null,
      'machine-config': {
        vcpu_count: 1,
        mem_size_mib: 128,
        smt: false,
        track_dirty_pages: false,
        huge_pages: 'None',
      },
      metrics: null,
      'mmds-config': null,
      'network-interfaces': [],
      vsock: null,
      entropy: null,
      pmem: [],
      'memory-hotplug': null,
    };
    expect(s.fullVmConfiguration.safeParse(real).success).toBe(true);
  });
});

// ---------- 3. the wire ----------

const GET_ANSWERS: Record<string, Json> = {
  '/': { app_name: 'Firecracker', id: 'vm1', state: 'Running', vmm_version: '1.16.1' },
  '/version': { firecracker_version: '1.16.1' },
  '/vm/config': (cases.fullVmConfiguration?.valid[1] ?? {}) as Json,
  '/machine-config': {
    vcpu_count: 1,
    mem_size_mib: 128,
    smt: false,
    track_dirty_pages: false,
    huge_pages: 'None',
  },
  '/balloon': { amount_mib: 4, deflate_on_oom: true, stats_polling_interval_s: 1 },
  '/balloon/statistics': { target_pages: 1024, actual_pages: 0, target_mib: 4, actual_mib: 0 },
  '/mmds': { latest: { 'meta-data': {} } },
};

/** `/drives/rootfs` → `/drives/{drive_id}` when the spec has such a template. */
function specPathFor(path: string, method: string): string | undefined {
  for (const [template, ops] of Object.entries(spec.paths)) {
    if (!ops[method]) continue;
    const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(path)) return template;
  }
  return undefined;
}

describe('every client method speaks an operation of the spec', () => {
  let dir: string;
  let server: Server;
  let client: FirecrackerClient;
  const seen: Array<{ method: string; path: string; body: string }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fc-spec-'));
    const socketPath = join(dir, 'fc.sock');
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const method = req.method ?? '';
        const path = req.url ?? '';
        seen.push({ method, path, body: Buffer.concat(chunks).toString() });
        const answer = method === 'GET' ? GET_ANSWERS[path] : undefined;
        if (answer === undefined) {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
        }
      });
    });
    await new Promise<void>((r) => server.listen(socketPath, r));
    client = new FirecrackerClient(socketPath);
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const sample = <T>(name: string, i = 0): T => cases[name]?.valid[i] as T;
  const calls: Array<[string, () => Promise<unknown>]> = [
    ['describeInstance', () => client.describeInstance()],
    ['getVersion', () => client.getVersion()],
    ['getVmConfig', () => client.getVmConfig()],
    ['getMachineConfig', () => client.getMachineConfig()],
    ['putMachineConfig', () => client.putMachineConfig(sample('machineConfiguration', 1))],
    ['patchMachineConfig', () => client.patchMachineConfig(sample('machineConfigurationUpdate'))],
    ['putBootSource', () => client.putBootSource(sample('bootSource', 1))],
    ['putDrive', () => client.putDrive('rootfs', sample('drive'))],
    ['patchDrive', () => client.patchDrive('d', sample('partialDrive', 1))],
    ['putNetworkInterface', () => client.putNetworkInterface('eth0', sample('networkInterface', 1))],
    [
      'patchNetworkInterface',
      () => client.patchNetworkInterface('eth0', sample('partialNetworkInterface', 1)),
    ],
    ['instanceStart', () => client.instanceStart()],
    ['sendCtrlAltDel', () => client.sendCtrlAltDel()],
    ['flushMetrics', () => client.flushMetrics()],
    ['pause', () => client.pause()],
    ['resume', () => client.resume()],
    ['createSnapshot', () => client.createSnapshot(sample('snapshotCreateParams', 1))],
    ['loadSnapshot', () => client.loadSnapshot(sample('snapshotLoadParams', 2))],
    ['getBalloon', () => client.getBalloon()],
    ['putBalloon', () => client.putBalloon(sample('balloon', 1))],
    ['patchBalloon', () => client.patchBalloon(sample('balloonUpdate'))],
    ['getBalloonStats', () => client.getBalloonStats()],
    ['patchBalloonStats', () => client.patchBalloonStats(sample('balloonStatsUpdate'))],
    ['putMetrics', () => client.putMetrics(sample('metrics'))],
    ['putLogger', () => client.putLogger(sample('logger', 1))],
    ['getMmds', () => client.getMmds()],
    ['putMmds', () => client.putMmds(sample('mmdsContents', 1))],
    ['patchMmds', () => client.patchMmds(sample('mmdsContents', 1))],
    ['putMmdsConfig', () => client.putMmdsConfig(sample('mmdsConfig', 1))],
    ['putVsock', () => client.putVsock(sample('vsock', 1))],
    ['putEntropy', () => client.putEntropy(sample('entropyDevice', 1))],
    ['putSerial', () => client.putSerial(sample('serialDevice', 1))],
  ];

  it.each(calls)('%s', async (_name, call) => {
    seen.length = 0;
    await call();
    expect(seen).toHaveLength(1);
    const { method, path, body } = seen[0] ?? { method: '', path: '', body: '' };
    const template = specPathFor(path, method.toLowerCase());
    expect(template, `${method} ${path} is in the spec`).toBeDefined();
    const op = spec.paths[template ?? '']?.[method.toLowerCase()];
    const bodyParam = op?.parameters?.find((p) => p.in === 'body');
    if (bodyParam?.schema) {
      let schema = bodyParam.schema;
      // PATCH /machine-config: the spec reuses MachineConfiguration for "a subset" of it.
      if (template === '/machine-config' && method === 'PATCH') {
        schema = { ...spec.definitions.MachineConfiguration, required: [] };
      }
      const validate = specValidator(schema);
      expect(
        validate(JSON.parse(body)),
        `${method} ${template} body: ${ajv.errorsText(validate.errors)}`,
      ).toBe(true);
    } else {
      expect(body).toBe('');
    }
    if (method === 'GET') {
      const answerSchema = op?.responses['200']?.schema;
      expect(answerSchema).toBeDefined();
      expect(specValidator(answerSchema ?? {})(GET_ANSWERS[path])).toBe(true);
    }
  });

  it('covers exactly the operations fc-macos needs', async () => {
    const operations = new Set<string>();
    for (const [, call] of calls) {
      seen.length = 0;
      await call();
      for (const { method, path } of seen)
        operations.add(`${method} ${specPathFor(path, method.toLowerCase())}`);
    }
    expect([...operations].sort()).toEqual(
      [
        'GET /',
        'GET /version',
        'GET /vm/config',
        'GET /machine-config',
        'PUT /machine-config',
        'PATCH /machine-config',
        'PUT /boot-source',
        'PUT /drives/{drive_id}',
        'PATCH /drives/{drive_id}',
        'PUT /network-interfaces/{iface_id}',
        'PATCH /network-interfaces/{iface_id}',
        'PUT /actions',
        'PATCH /vm',
        'PUT /snapshot/create',
        'PUT /snapshot/load',
        'GET /balloon',
        'PUT /balloon',
        'PATCH /balloon',
        'GET /balloon/statistics',
        'PATCH /balloon/statistics',
        'PUT /metrics',
        'PUT /logger',
        'GET /mmds',
        'PUT /mmds',
        'PATCH /mmds',
        'PUT /mmds/config',
        'PUT /vsock',
        'PUT /entropy',
        'PUT /serial',
      ].sort(),
    );
  });
});
