// fc-macos network add|update|list: network interfaces (Firecracker's /network-interfaces).
import type { Command } from 'commander';
import type { TokenBucket } from '../../../client/firecracker-schemas.ts';
import { action } from '../../context.ts';
import { UsageError } from '../../errors.ts';
import { parseTokenBucket } from '../../flag-parsers.ts';
import { table } from '../../format.ts';
import { drop, parseDeviceId, requests, type TargetFlags, target, vmCommand } from './target.ts';

interface RateFlags {
  rxBandwidth?: TokenBucket;
  rxOps?: TokenBucket;
  txBandwidth?: TokenBucket;
  txOps?: TokenBucket;
}

const MAC = /^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/;

export function registerNetwork(program: Command): void {
  const net = program
    .command('network')
    .description("network interfaces (Firecracker's /network-interfaces)");
  vmCommand(net, 'add', 'attach a network interface backed by a tap device (before boot only)')
    .requiredOption('--id <id>', 'interface id (letters, digits, "_")', parseDeviceId)
    .requiredOption('--tap <tap>', 'tap device on the agent host')
    .option('--mac <mac>', 'guest MAC address, e.g. 06:00:AC:10:00:02')
    .action(
      action<TargetFlags & { id: string; tap: string; mac?: string }>(async (ctx) => {
        const o = ctx.opts;
        if (o.mac !== undefined && !MAC.test(o.mac)) {
          throw new UsageError(
            `--mac ${JSON.stringify(o.mac)}: must be six hex pairs like 06:00:AC:10:00:02`,
          );
        }
        return (await requests()).write(
          ctx,
          'PUT /network-interfaces/:id',
          drop({ iface_id: o.id, host_dev_name: o.tap, guest_mac: o.mac }),
          `interface ${o.id} added (tap ${o.tap})`,
          o.id,
        );
      }),
    );
  const bucket = 'SIZE:REFILL_MS';
  vmCommand(net, 'update', 'change the rate limiters of an interface')
    .requiredOption('--id <id>', 'interface id', parseDeviceId)
    .option(`--rx-bandwidth <${bucket}>`, 'receive limit: bytes per refill period', parseTokenBucket)
    .option(`--rx-ops <${bucket}>`, 'receive limit: packets per refill period', parseTokenBucket)
    .option(`--tx-bandwidth <${bucket}>`, 'transmit limit: bytes per refill period', parseTokenBucket)
    .option(`--tx-ops <${bucket}>`, 'transmit limit: packets per refill period', parseTokenBucket)
    .action(
      action<TargetFlags & RateFlags & { id: string }>(async (ctx) => {
        const o = ctx.opts;
        const rx = drop({ bandwidth: o.rxBandwidth, ops: o.rxOps });
        const tx = drop({ bandwidth: o.txBandwidth, ops: o.txOps });
        if (Object.keys(rx).length === 0 && Object.keys(tx).length === 0) {
          throw new UsageError(
            'network update: give at least one of --rx-bandwidth, --rx-ops, --tx-bandwidth, --tx-ops',
          );
        }
        const body = drop({
          iface_id: o.id,
          rx_rate_limiter: Object.keys(rx).length ? rx : undefined,
          tx_rate_limiter: Object.keys(tx).length ? tx : undefined,
        });
        return (await requests()).write(
          ctx,
          'PATCH /network-interfaces/:id',
          body,
          `interface ${o.id} rate limiters updated`,
          o.id,
        );
      }),
    );
  vmCommand(net, 'list', 'list the network interfaces').action(
    action<TargetFlags>(async (ctx) => {
      const name = target(ctx);
      const { vmConfig } = await requests();
      const list = (await vmConfig(await ctx.client(), name))['network-interfaces'] ?? [];
      ctx.out.data({ microvm: name, network_interfaces: list });
      const rows = list.map((n) => [
        n.iface_id,
        n.host_dev_name,
        typeof n.guest_mac === 'string' ? n.guest_mac : '-',
      ]);
      ctx.out.line(rows.length ? table(['ID', 'TAP', 'MAC'], rows) : `${name}: no network interfaces`);
      return 0;
    }),
  );
}
