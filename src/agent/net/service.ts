// The agent's default network as the lifecycle sees it: set up once at start (a failure is kept
// and told to each create that wants a network, the agent still runs), reconciled with the
// microVMs found on disk, and asked for a lease per create.
import type { MicrovmNetwork } from '../../api/network.ts';
import type { AgentConfig } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { NetError } from './errors.ts';
import { localHost, type NetHost } from './host.ts';
import { parseCidr } from './ipv4.ts';
import { AgentNetwork } from './network.ts';
import type { Lease } from './rules.ts';

/** A NetError as the API answers it. */
export function apiErrorFromNet(err: unknown, what: string): unknown {
  if (!(err instanceof NetError)) return err;
  const message = `${what}: ${err.message}`;
  switch (err.code) {
    case 'net_port_conflict':
    case 'net_address_exhausted':
      return new ApiError(409, 'conflict', message, err.details);
    case 'net_config_invalid':
      return new ApiError(400, 'validation_failed', message, err.details);
    default:
      return new ApiError(503, 'network_unavailable', message, { ...err.details, cause: err.code });
  }
}

export class NetworkService {
  readonly net: AgentNetwork | null = null;
  private initError: Error | null = null;

  constructor(
    private readonly config: AgentConfig,
    private readonly log: Logger,
    host: NetHost = localHost,
  ) {
    const subnet = parseCidr(config.network.subnet);
    if (config.network.enabled && subnet) {
      this.net = new AgentNetwork({ subnet, bridge: config.network.bridge, stateDir: config.stateDir }, host);
    }
  }

  /** Bridge, forwarding, capabilities. A failure is logged and kept: creates will say it. */
  async init(): Promise<void> {
    if (!this.net) return;
    try {
      await this.net.init();
      this.log.info('network ready', {
        bridge: this.config.network.bridge,
        subnet: this.config.network.subnet,
      });
    } catch (err) {
      this.initError = err as Error;
      this.log.error('default network unavailable', { error: (err as Error).message });
    }
  }

  /** After adoption: rules and taps match the live microVMs' leases exactly. */
  async reconcile(live: Array<{ id: string; name: string; network: MicrovmNetwork }>): Promise<void> {
    if (!this.net || this.initError) return;
    const leases: Lease[] = live.map(({ id, name, network }) => ({
      id,
      name,
      address: network.address,
      mac: network.mac,
      tap: network.tap,
      isolated: network.isolated,
      ports: network.ports,
    }));
    try {
      await this.net.reconcile(leases);
    } catch (err) {
      this.log.error('network reconcile failed', { error: (err as Error).message });
    }
  }

  /** The network to use for a create asking for `wanted` (undefined: the agent's default). */
  ready(wanted: 'default' | 'none' | undefined): AgentNetwork | null {
    if (wanted === 'none') return null;
    if (!this.net) {
      if (wanted === 'default') {
        throw new ApiError(
          409,
          'network_unavailable',
          'network: fc-agent runs with --no-network, so it has no default network: restart it without --no-network, or create with network none',
        );
      }
      return null;
    }
    if (this.initError) {
      throw new ApiError(
        503,
        'network_unavailable',
        `the default network is unavailable: ${this.initError.message} (or create the microVM with network none / --network none)`,
        this.initError instanceof NetError ? this.initError.details : {},
      );
    }
    return this.net;
  }

  /** Frees the lease of microVM `id`: tap, rules. Never throws (logged): the caller is cleanup. */
  async release(name: string, id: string): Promise<void> {
    if (!this.net || this.net.get(name)?.id !== id) return;
    await this.net.release(name).catch((err: unknown) => {
      this.log.error('cannot release network lease', { name, error: (err as Error).message });
    });
  }
}
