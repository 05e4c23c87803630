// The fc-agent HTTP API: one zod schema per body. The agent validates with these, the SDK
// (src/client) and the CLI take their types from them, and docs/agent-api.md describes them.
// Change a shape here and every side follows.
import { z } from 'zod';
import { DEFAULT_STOP_TIMEOUT_S, MAX_STOP_TIMEOUT_S } from './limits.ts';
import { MAC_PATTERN, microvmNetwork, portMapping } from './network.ts';

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const DEFAULT_BOOT_ARGS = 'console=ttyS0 reboot=k panic=1 pci=off';
export const DEFAULT_VCPUS = 1;
export const DEFAULT_MEMORY_MIB = 128;
export const MAX_VCPUS = 32;
export const MIN_MEMORY_MIB = 64;
/** 1 TiB: far above any host fc-macos runs on; the agent also refuses more than its host has. */
export const MAX_MEMORY_MIB = 1_048_576;
/** The most lines `GET …/logs?tail=N` returns. */
export const MAX_LOG_TAIL = 1_000_000;

export const microvmName = z
  .string()
  .regex(
    NAME_PATTERN,
    'must match ^[a-z0-9][a-z0-9._-]{0,62}$ (lowercase letters, digits, ".", "_", "-"; 1-63 chars)',
  );

const hostPath = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/'), 'must be an absolute path')
  .describe("An absolute path on the agent's host; it must exist.");

export const driveSpec = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or "_"')
    .refine((id) => id !== 'rootfs', 'is reserved for the root device')
    .optional()
    .describe('Firecracker drive_id; generated (`drive1`, `drive2`, …) when absent.'),
  path: hostPath,
  read_only: z.boolean().default(false),
});
export type DriveSpec = z.infer<typeof driveSpec>;

export const balloonSpec = z.strictObject({
  amount_mib: z.number().int().min(0),
  deflate_on_oom: z.boolean().default(true),
  stats_polling_interval_s: z.number().int().min(0).default(0),
});
export type BalloonSpec = z.infer<typeof balloonSpec>;

/** POST /agent/microvms */
export const createMicrovmRequest = z
  .strictObject({
    name: microvmName.optional(),
    vcpus: z.number().int().min(1).max(MAX_VCPUS).default(DEFAULT_VCPUS),
    memory_mib: z.number().int().min(MIN_MEMORY_MIB).max(MAX_MEMORY_MIB).default(DEFAULT_MEMORY_MIB),
    kernel: hostPath.optional().describe("Defaults to the agent's configured kernel (`--kernel`)."),
    rootfs: hostPath
      .optional()
      .describe("Defaults to a per-microVM copy of the agent's configured rootfs (`--rootfs`)."),
    boot_args: z.string().min(1).max(4096).default(DEFAULT_BOOT_ARGS),
    initrd: hostPath.optional(),
    drives: z.array(driveSpec).max(16).default([]),
    read_only_rootfs: z.boolean().default(false),
    track_dirty_pages: z.boolean().default(false),
    smt: z.boolean().default(false),
    balloon: balloonSpec.optional(),
    start: z
      .boolean()
      .optional()
      .describe(
        'false: firecracker runs and is configured, but not booted (state `created`). Default: true, or false when `configure` is false.',
      ),
    configure: z
      .boolean()
      .default(true)
      .describe(
        'false: launch a bare firecracker (only its metrics file set), to be configured entirely through the passthrough, e.g. for `PUT /snapshot/load`, which Firecracker refuses once boot resources are set. Goes with no kernel, rootfs, initrd, drives or balloon, and is never started at once.',
      ),
    network: z
      .enum(['default', 'none'])
      .optional()
      .describe(
        "default: a tap on the agent's bridge, an address, NAT out (the agent's default unless it runs with --no-network); none: no network interface.",
      ),
    ports: z
      .array(portMapping)
      .max(64)
      .default([])
      .describe('Published ports (DNAT on the Linux side), as `-p [HOST_IP:]HOST_PORT:GUEST_PORT[/proto]`.'),
    mac: z
      .string()
      .regex(MAC_PATTERN, 'must be a MAC address in lower-case hex, e.g. 06:00:ac:1e:00:02')
      .optional()
      .describe("The guest's MAC; default one derived from its address."),
    isolated: z
      .boolean()
      .default(false)
      .describe('Blocks traffic between this microVM and the others on the bridge.'),
  })
  .superRefine((req, ctx) => {
    if (req.network === 'none' || !req.configure) {
      const why = req.network === 'none' ? 'network is none' : 'configure is false';
      if (req.ports.length > 0)
        ctx.addIssue({ code: 'custom', path: ['ports'], message: `cannot be given when ${why}` });
      for (const field of ['mac', 'isolated'] as const) {
        if (req[field] !== undefined && req[field] !== false) {
          ctx.addIssue({ code: 'custom', path: [field], message: `cannot be given when ${why}` });
        }
      }
    }
    if (req.configure) return;
    if (req.start === true) {
      ctx.addIssue({ code: 'custom', path: ['start'], message: 'cannot be true when configure is false' });
    }
    for (const field of ['kernel', 'rootfs', 'initrd', 'balloon'] as const) {
      if (req[field] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'cannot be given when configure is false' });
      }
    }
    if (req.drives.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['drives'], message: 'cannot be given when configure is false' });
    }
  });
export type CreateMicrovmRequest = z.input<typeof createMicrovmRequest>;
export type CreateMicrovmParams = z.output<typeof createMicrovmRequest>;

export const microvmState = z.enum(['created', 'running', 'paused', 'stopping', 'stopped', 'exited']);
export type MicrovmState = z.infer<typeof microvmState>;

/**
 * Why a microVM ended: what each reason means and the state it ends in. docs/agent-api.md's table
 * of exit reasons is generated from this.
 */
export const EXIT_REASONS = {
  guest_reboot: {
    state: 'exited',
    meaning: 'firecracker exited by itself with code 0: the guest rebooted or powered off (`reboot=k`)',
  },
  stopped: { state: 'stopped', meaning: '`POST .../stop` (graceful, or killed after the timeout)' },
  killed: { state: 'exited', meaning: '`POST .../kill` or `DELETE`' },
  crashed: {
    state: 'exited',
    meaning: 'firecracker exited with another code, or was killed from outside (`signal` says which)',
  },
  host_restarted: {
    state: 'exited',
    meaning:
      'found gone by an agent start after the Linux side booted again (`fc-macos vm stop`/`start`, a reboot): it ended with the machine it ran on (`code` null)',
  },
} as const satisfies Record<string, { state: MicrovmState; meaning: string }>;

type ExitReasonName = keyof typeof EXIT_REASONS;
export const exitReason = z.enum(Object.keys(EXIT_REASONS) as [ExitReasonName, ...ExitReasonName[]]);
export type ExitReason = z.infer<typeof exitReason>;

export const exitInfo = z.object({
  code: z.number().int().nullable(),
  signal: z.string().nullable().describe('e.g. "SIGKILL"; null when the process exited with a code.'),
  reason: exitReason,
  at: z.string(),
});
export type ExitInfo = z.infer<typeof exitInfo>;

/** Where a microVM restored from a snapshot came from, and what it got instead of the source's own. */
export const restoredFrom = z.object({
  snapshot_path: z.string(),
  source_id: z.string(),
  source_name: z.string(),
  network: z
    .enum(['kept', 'offline', 'none', 'user'])
    .describe(
      "kept: the source's address and MAC (they were free); offline: the source still holds them, the guest has a tap of its own on no bridge; none: the source had no network; user: the load gave network_overrides.",
    ),
  note: z.string().describe('What the restored microVM runs, in words for the user.'),
  guest_network: z
    .object({ iface_id: z.string(), address: z.string(), mac: z.string(), isolated: z.boolean() })
    .nullable()
    .describe(
      "The network configuration the guest has in memory (the source's), whether or not it is connected.",
    ),
});
export type RestoredFrom = z.infer<typeof restoredFrom>;

export const microvm = z.object({
  id: z.string(),
  name: z.string(),
  state: microvmState,
  vcpus: z.number().int(),
  memory_mib: z.number().int(),
  kernel: z.string(),
  rootfs: z.string(),
  boot_args: z.string(),
  initrd: z.string().nullable(),
  drives: z.array(z.object({ id: z.string(), path: z.string(), read_only: z.boolean() })),
  read_only_rootfs: z.boolean(),
  track_dirty_pages: z.boolean(),
  smt: z.boolean(),
  balloon: balloonSpec.nullable(),
  pid: z.number().int().nullable(),
  socket_path: z.string().describe("Firecracker's API socket, under the agent's state dir."),
  created_at: z.string(),
  started_at: z.string().nullable(),
  exit: exitInfo.nullable(),
  last_console_lines: z
    .array(z.string())
    .describe('Last console lines; filled for stopped and exited microVMs.'),
  network: microvmNetwork
    .nullable()
    .default(null)
    .describe('Address, MAC, tap and published ports; null without a network (records before it: null).'),
  restored_from: restoredFrom
    .nullable()
    .optional()
    .describe('Set on a microVM a snapshot made by fc-agent was loaded into; absent otherwise.'),
});
export type Microvm = z.infer<typeof microvm>;

export const microvmList = z.object({ microvms: z.array(microvm) });
export type MicrovmList = z.infer<typeof microvmList>;

/** POST .../stop */
export const stopMicrovmRequest = z.strictObject({
  timeout_s: z.number().min(0).max(MAX_STOP_TIMEOUT_S).default(DEFAULT_STOP_TIMEOUT_S),
  force: z.boolean().default(false).describe('Skip the graceful attempt and kill at once.'),
});
export type StopMicrovmRequest = z.input<typeof stopMicrovmRequest>;

export const stopMicrovmResponse = z.object({
  microvm,
  stop: z.object({
    graceful: z.boolean().describe('true when the guest shut down on its own before the timeout.'),
    method: z
      .enum(['guest_shutdown', 'ctrl_alt_del', 'ctrl_alt_del_then_kill', 'kill'])
      .describe("What was done: fc-guest's shutdown, SendCtrlAltDel then (maybe) SIGKILL, or SIGKILL only."),
    message: z.string().describe('Human explanation, e.g. why the stop was hard on aarch64.'),
  }),
});
export type StopMicrovmResponse = z.infer<typeof stopMicrovmResponse>;

/** `GET .../logs?source=`: the serial console, firecracker's own log, or its metrics file. */
export const logSource = z.enum(['console', 'firecracker', 'metrics']);
export type LogSource = z.infer<typeof logSource>;

export const healthResponse = z.object({ status: z.literal('ok'), version: z.string() });
export type HealthResponse = z.infer<typeof healthResponse>;

export const versionResponse = z.object({
  agent: z.string(),
  firecracker: z.string().nullable(),
  firecracker_path: z.string(),
  arch: z.string(),
  kvm: z.object({ usable: z.boolean(), detail: z.string() }),
  uptime_s: z
    .number()
    .optional()
    .describe('Seconds since this agent process started (absent from agents before it).'),
});
export type VersionResponse = z.infer<typeof versionResponse>;

export const microvmStats = z.object({
  id: z.string(),
  name: z.string(),
  state: microvmState,
  vcpus: z.number().int(),
  memory_mib: z.number().int(),
  pid: z.number().int().nullable(),
  cpu_percent: z
    .number()
    .describe('CPU use of the firecracker process over the last interval, 100 = one core.'),
  rss_bytes: z.number().int(),
  uptime_s: z.number().nullable(),
});
export type MicrovmStats = z.infer<typeof microvmStats>;

export const statsResponse = z.object({
  at: z.string(),
  interval_s: z.number(),
  host: z.object({
    cpus: z.number().int(),
    load: z.tuple([z.number(), z.number(), z.number()]),
    memory_total_bytes: z.number().int(),
    memory_used_bytes: z.number().int(),
    disk_free_bytes: z.number().int(),
    disk_total_bytes: z.number().int(),
  }),
  microvms: z.array(microvmStats),
});
export type StatsResponse = z.infer<typeof statsResponse>;

export const errorCode = z.enum([
  'bad_request',
  'validation_failed',
  'unauthorized',
  'not_found',
  'conflict',
  'ambiguous',
  'limit_reached',
  'invalid_state',
  'firecracker_error',
  'firecracker_unreachable',
  /** The guest agent (fc-guest) cannot be reached: booting, or a rootfs without it. */
  'guest_unavailable',
  /** The guest agent refused or failed the request (details.guest_code says how). */
  'guest_error',
  /** The agent's default network cannot be set up (a missing capability; the message names the fix). */
  'network_unavailable',
  'internal',
]);
export type ErrorCode = z.infer<typeof errorCode>;

export const errorResponse = z.object({
  error: z.object({
    code: errorCode,
    message: z.string(),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('e.g. the field path for validation errors, candidate ids for ambiguous prefixes.'),
  }),
});
export type ErrorResponse = z.infer<typeof errorResponse>;
