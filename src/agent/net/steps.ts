// The create pipeline's network steps (lifecycle/create-pipeline.ts): network.allocate before
// firecracker.launch (address, MAC, tap on the bridge, rules, the guest's ip= boot argument) and
// network.interface before firecracker.configure (Firecracker's network-interfaces body).
import type { MicrovmNetwork } from '../../api/network.ts';
import {
  type CreateContext,
  type CreateStep,
  entryOf,
  insertStepBefore,
} from '../lifecycle/create-pipeline.ts';
import type { Lease } from './rules.ts';
import { apiErrorFromNet } from './service.ts';

const LEASE = 'network.allocate';
export const GUEST_IFACE = 'eth0';

function leaseOf(ctx: CreateContext): Lease | undefined {
  return ctx.extra.get(LEASE) as Lease | undefined;
}

export const networkAllocate: CreateStep = {
  name: LEASE,
  async run(ctx) {
    const { params } = ctx;
    // A bare firecracker (configure: false) is configured entirely by its user.
    if (!params.configure) return;
    const net = ctx.agent.network.ready(params.network);
    if (!net) return;
    try {
      const lease = await net.plan({
        name: ctx.name,
        id: ctx.id,
        ports: params.ports,
        isolated: params.isolated,
        ...(params.mac === undefined ? {} : { mac: params.mac }),
      });
      await net.attach(lease);
      ctx.extra.set(LEASE, lease);
      // The boot args firecracker gets and the record shows are the request's: the guest's
      // address goes in there, unless the caller already set ip= themselves.
      if (!/(^|\s)ip=/.test(params.boot_args))
        params.boot_args = `${params.boot_args} ${net.bootArg(lease.address)}`;
    } catch (err) {
      throw apiErrorFromNet(err, `creating microVM ${ctx.name}`);
    }
  },
  async undo(ctx) {
    const lease = leaseOf(ctx);
    if (lease) await ctx.agent.network.release(lease.name, lease.id);
  },
};

export const networkInterface: CreateStep = {
  name: 'network.interface',
  async run(ctx) {
    const lease = leaseOf(ctx);
    const net = ctx.agent.network.net;
    if (!lease || !net) return;
    const entry = entryOf(ctx);
    await entry.client.putNetworkInterface(GUEST_IFACE, {
      iface_id: GUEST_IFACE,
      host_dev_name: lease.tap,
      guest_mac: lease.mac,
    });
    const g = net.guestConfig(lease.address);
    const network: MicrovmNetwork = {
      address: lease.address,
      gateway: g.gateway,
      prefix_length: net.config.subnet.prefix,
      mac: lease.mac,
      tap: lease.tap,
      isolated: lease.isolated,
      ports: lease.ports,
    };
    entry.vm.network = network;
  },
};

/** The default pipeline with the network steps in their places. */
export function withNetworkSteps(steps: readonly CreateStep[]): CreateStep[] {
  return insertStepBefore(
    insertStepBefore(steps, 'firecracker.launch', networkAllocate),
    'firecracker.configure',
    networkInterface,
  );
}
