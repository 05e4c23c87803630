export {
  GuestError,
  GuestProtocolError,
  GuestRemoteError,
  GuestUnavailableError,
} from '../../guest-protocol/errors.ts';
export { GUEST_PORT, PROTO_VERSION } from '../../guest-protocol/frames.ts';
export { GuestClient, type GuestPing } from './client.ts';
export type { ConnectOptions, GuestHello, GuestTarget } from './connection.ts';
export { type ExecExit, type ExecHandlers, type ExecOptions, type ExecResult, ExecSession } from './exec.ts';
export type { GuestStat, TransferOptions, TransferSummary } from './transfer.ts';
