// Typed errors of the agent's networking. Each names what is missing and how to fix it.
export type NetErrorCode =
  | 'net_capability_missing'
  | 'net_subnet_overlap'
  | 'net_config_invalid'
  | 'net_address_exhausted'
  | 'net_port_conflict'
  | 'net_command_failed';

export class NetError extends Error {
  override readonly name = 'NetError';
  constructor(
    readonly code: NetErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
