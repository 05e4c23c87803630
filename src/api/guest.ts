// Bodies of the guest-agent routes (exec, status, files): one zod schema per shape.
import { z } from 'zod';

export const guestExecRequest = z.strictObject({
  /** The command and its arguments (PATH lookup in the guest). */
  argv: z.array(z.string()).min(1).max(4096),
  /** "KEY=VALUE" entries added to the command's environment. */
  env: z
    .array(z.string().regex(/^[^=]+=/, 'must be KEY=VALUE'))
    .max(4096)
    .default([]),
  /** Absolute working directory in the guest; default the user's home. */
  cwd: z.string().startsWith('/', 'must be an absolute path').optional(),
  /** Name, uid, or uid:gid / name:gid; default root. */
  user: z.string().min(1).max(64).optional(),
  /** The command's whole stdin (base64); without it the command reads /dev/null. */
  stdin_base64: z.base64().optional(),
  /** Kill the command after this long (0: no limit). */
  timeout_ms: z.number().int().min(0).max(86_400_000).default(0),
});
export type GuestExecRequest = z.input<typeof guestExecRequest>;

export const guestExecResponse = z.object({
  /** The exit status, or 128 + the signal number when a signal ended the command. */
  exit_code: z.number().int(),
  signal: z.string().nullable(),
  timed_out: z.boolean(),
  stdout_base64: z.string(),
  stderr_base64: z.string(),
});
export type GuestExecResponse = z.infer<typeof guestExecResponse>;

/** GET .../guest: whether fc-guest answers (the microVM's readiness). */
export const guestStatusResponse = z.object({
  ready: z.literal(true),
  agent: z.string(),
  version: z.string(),
  arch: z.string(),
  proto: z.number().int(),
  uptime_ms: z.number(),
  boot_time_ms: z.number(),
  rtt_ms: z.number(),
});
export type GuestStatusResponse = z.infer<typeof guestStatusResponse>;

/** GET .../files/stat?path= */
export const guestStatResponse = z.object({
  exists: z.boolean(),
  type: z.enum(['file', 'dir', 'symlink', 'other']).optional(),
  mode: z.number().int().optional(),
  size: z.number().optional(),
  mtime_ms: z.number().optional(),
});
export type GuestStatResponse = z.infer<typeof guestStatResponse>;

/** PUT .../files?path= answers with what was written. */
export const guestTransferSummary = z.object({
  files: z.number().int(),
  dirs: z.number().int(),
  bytes: z.number().int(),
});
export type GuestTransferSummary = z.infer<typeof guestTransferSummary>;

export { GUEST_TREE_CONTENT_TYPE } from './wire.ts';

/**
 * The WebSocket exec (GET .../exec with Upgrade: websocket): the client's first message, as text.
 * Then the client sends stdin as binary messages and control as text (guestExecControl); the agent
 * sends output as binary messages whose first byte is 1 (stdout) or 2 (stderr), and events as text
 * (guestExecEvent). Closing the WebSocket kills the command.
 */
export const guestExecStreamRequest = guestExecRequest.omit({ stdin_base64: true }).extend({
  /** A pty of this size: output then arrives as stdout only. */
  tty: z
    .strictObject({ rows: z.number().int().min(1).max(65535), cols: z.number().int().min(1).max(65535) })
    .nullable()
    .default(null),
  /** Whether stdin messages follow; otherwise the command reads /dev/null. */
  stdin: z.boolean().default(false),
});
export type GuestExecStreamRequest = z.input<typeof guestExecStreamRequest>;

export const guestExecControl = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('eof') }),
  z.strictObject({
    type: z.literal('resize'),
    rows: z.number().int().min(1).max(65535),
    cols: z.number().int().min(1).max(65535),
  }),
  z.strictObject({
    type: z.literal('signal'),
    signal: z.union([z.string().min(1).max(16), z.number().int().min(1).max(64)]),
  }),
]);
export type GuestExecControl = z.infer<typeof guestExecControl>;

export const guestExecEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), pid: z.number().int() }),
  z.object({
    type: z.literal('exit'),
    exit_code: z.number().int(),
    signal: z.string().nullable(),
    timed_out: z.boolean(),
  }),
  /** The command could not start or the guest agent failed; `code` as in the agent's errors. */
  z.object({
    type: z.literal('error'),
    code: z.string(),
    message: z.string(),
    guest_code: z.string().optional(),
  }),
]);
export type GuestExecEvent = z.infer<typeof guestExecEvent>;

export { EXEC_STDERR, EXEC_STDOUT } from './wire.ts';
