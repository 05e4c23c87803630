// The create pipeline's network steps (lifecycle/create-pipeline.ts): network.allocate before
// firecracker.launch (address, MAC and ports held, the guest's ip= boot argument; the tap on the
// bridge and the rules start being made) and network.interface before firecracker.configure (waits
// for the tap, then Firecracker's network-interfaces body).
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
const ATTACH = 'network.attach';
export const GUEST_IFACE = 'eth0';

function leaseOf(ctx: CreateContext): Lease | undefined {
  return ctx.extra.get(LEASE) as Lease | undefined;
}

/** The tap and rules being made: settles to null, or to the error that stopped them. */
function attachOf(ctx: CreateContext): Promise<unknown> | undefined {
  return ctx.extra.get(ATTACH) as Promise<unknown> | undefined;
}

export const networkAllocate: CreateStep = {
  name: LEASE,
  async run(ctx) {
    const { params } = ctx;
    // A bare firecracker (configure: false) is configured entirely by its user.
    if (!params.configure) return;
    const net = ctx.agent.network.ready(params.network);
    if (!net) return;
    let lease: Lease;
    try {
      lease = await net.reserve({
        name: ctx.name,
        id: ctx.id,
        ports: params.ports,
        isolated: params.isolated,
        ...(params.mac === undefined ? {} : { mac: params.mac }),
      });
    } catch (err) {
      throw apiErrorFromNet(err, `creating microVM ${ctx.name}`);
    }
    ctx.extra.set(LEASE, lease);
    // The tap and rules (ip and nft processes) are made while firecracker starts; network.interface
    // waits for them before Firecracker opens the tap.
    ctx.extra.set(
      ATTACH,
      net.attach(lease).then(
        () => null,
        (err: unknown) => err,
      ),
    );
    // The boot args firecracker gets and the record shows are the request's: the guest's
    // address goes in there, unless the caller already set ip= themselves.
    if (!/(^|\s)ip=/.test(params.boot_args))
      params.boot_args = `${params.boot_args} ${net.bootArg(lease.address)}`;
  },
  async undo(ctx) {
    await attachOf(ctx);
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
    const failed = await attachOf(ctx);
    if (failed) throw apiErrorFromNet(failed, `creating microVM ${ctx.name}`);
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
