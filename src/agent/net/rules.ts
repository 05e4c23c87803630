// The agent's nftables tables, rendered whole from the leases. Applied with one `nft -f` whose
// first lines create-then-delete each table: the kernel swaps old for new in one transaction, so
// a restart never doubles a rule and a removed microVM never leaves one behind. Nothing outside
// these two tables is ever named.
import { formatCidr, type Subnet } from './ipv4.ts';
import type { PortMapping } from './ports.ts';

export const INET_TABLE = 'fc-agent';
export const BRIDGE_TABLE = 'fc-agent';

export interface Lease {
  name: string;
  id: string;
  address: string;
  mac: string;
  tap: string;
  isolated: boolean;
  ports: PortMapping[];
}

export interface RulesInput {
  subnet: Subnet;
  bridge: string;
  leases: readonly Lease[];
}

// nft quotes: interface names are [A-Za-z0-9_.-] (checked where they are made), so "…" is safe.
const q = (s: string): string => `"${s}"`;

function dnat(p: PortMapping, address: string, forOutput: boolean): string {
  // No host IP: every local address of the Linux side, as Docker does (`fib daddr type local`).
  const match = p.host_ip === null ? 'fib daddr type local' : `ip daddr ${p.host_ip}`;
  // In output, only traffic to this host's own addresses, never what leaves for elsewhere.
  const guard = forOutput && p.host_ip !== null ? 'fib daddr type local ' : '';
  return `    ${guard}${match} ${p.protocol} dport ${p.host_port} dnat ip to ${address}:${p.guest_port}`;
}

export function renderRules(input: RulesInput): string {
  const net = formatCidr(input.subnet);
  const br = q(input.bridge);
  const leases = [...input.leases].sort((a, b) => a.name.localeCompare(b.name));
  const published = leases.flatMap((l) => l.ports.map((p) => ({ l, p })));
  const lines: string[] = [];
  lines.push(`table inet ${INET_TABLE}`, `delete table inet ${INET_TABLE}`);
  lines.push(`table inet ${INET_TABLE} {`);
  lines.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;');
  for (const { l, p } of published) lines.push(dnat(p, l.address, false));
  lines.push('  }');
  lines.push('  chain output {', '    type nat hook output priority -100; policy accept;');
  for (const { l, p } of published) lines.push(dnat(p, l.address, true));
  lines.push('  }');
  lines.push('  chain postrouting {', '    type nat hook postrouting priority srcnat; policy accept;');
  // Outbound: the subnet leaves through whatever interface the default route picks.
  lines.push(`    ip saddr ${net} ip daddr != ${net} masquerade`);
  // localhost:HOST_PORT → guest: the source 127.0.0.1 cannot go out on the bridge (route_localnet
  // lets it be routed), so it becomes the gateway's address and the reply comes back to us.
  lines.push(`    oifname ${br} ip saddr 127.0.0.0/8 masquerade`);
  lines.push('  }');
  lines.push('  chain forward {', '    type filter hook forward priority filter; policy accept;');
  lines.push(`    iifname ${br} accept`);
  lines.push(`    oifname ${br} ct state established,related accept`);
  lines.push(`    oifname ${br} ct status dnat accept`);
  lines.push('  }');
  lines.push('}');

  // Isolation between microVMs is bridge forwarding, which inet never sees: a bridge-family table.
  lines.push(`table bridge ${BRIDGE_TABLE}`, `delete table bridge ${BRIDGE_TABLE}`);
  lines.push(`table bridge ${BRIDGE_TABLE} {`);
  lines.push('  chain forward {', '    type filter hook forward priority filter; policy accept;');
  for (const l of leases.filter((x) => x.isolated)) {
    lines.push(`    iifname ${q(l.tap)} drop`, `    oifname ${q(l.tap)} drop`);
  }
  lines.push('  }');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function removeRulesText(): string {
  return [
    `table inet ${INET_TABLE}`,
    `delete table inet ${INET_TABLE}`,
    `table bridge ${BRIDGE_TABLE}`,
    `delete table bridge ${BRIDGE_TABLE}`,
    '',
  ].join('\n');
}
