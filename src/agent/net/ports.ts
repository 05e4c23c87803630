// Published ports: the `-p [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]` syntax and the check that a
// host port is free (not another microVM's publication, not a socket a process holds).
import type { PortMapping } from '../../api/network.ts';
import { formatPublish, parsePublish } from '../../api/publish.ts';
import { formatIpv4 } from './ipv4.ts';

export type Protocol = PortMapping['protocol'];
export { formatPublish, type PortMapping, parsePublish };

/** Two publications clash when protocol and port match and their addresses can meet. */
export function clashes(a: PortMapping, b: PortMapping): boolean {
  return (
    a.protocol === b.protocol &&
    a.host_port === b.host_port &&
    (a.host_ip === null || b.host_ip === null || a.host_ip === b.host_ip)
  );
}

export interface BoundSocket {
  protocol: Protocol;
  /** IPv4 dotted, or "::"-style hex for IPv6 sockets ("*" for any). */
  address: string;
  port: number;
}

const TCP_LISTEN = '0A';

/**
 * Sockets from /proc/net/{tcp,tcp6,udp,udp6}: TCP in LISTEN, every bound UDP socket. The kernel
 * prints IPv4 addresses as one little-endian hex word.
 */
export function parseProcNet(text: string, protocol: Protocol, v6: boolean): BoundSocket[] {
  const out: BoundSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1];
    const state = f[3];
    if (!local || !state) continue;
    if (protocol === 'tcp' && state !== TCP_LISTEN) continue;
    const [hex = '', portHex = ''] = local.split(':');
    const p = Number.parseInt(portHex, 16);
    if (!Number.isFinite(p) || p === 0) continue;
    let address: string;
    if (v6) {
      address = /^0+$/.test(hex) ? '*' : hex;
      // ::ffff:a.b.c.d (an IPv4-mapped socket) is that IPv4 address.
      if (/^0{16}FFFF0000[0-9A-F]{8}$/i.test(hex)) {
        const n = Number.parseInt(hex.slice(24), 16);
        address = formatIpv4(
          ((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24),
        );
      }
    } else {
      const n = Number.parseInt(hex, 16);
      const addr =
        ((n & 255) * 2 ** 24 + ((n >>> 8) & 255) * 2 ** 16 + ((n >>> 16) & 255) * 2 ** 8 + (n >>> 24)) >>> 0;
      address = addr === 0 ? '*' : formatIpv4(addr);
    }
    out.push({ protocol, address, port: p });
  }
  return out;
}

/** A bound socket takes the published port when the addresses can meet (any, or equal). */
export function socketTakes(s: BoundSocket, p: PortMapping): boolean {
  if (s.protocol !== p.protocol || s.port !== p.host_port) return false;
  if (p.host_ip === null || s.address === '*') return true;
  // An IPv6-only address never meets an IPv4 publication; an IPv4 one must match.
  return s.address === p.host_ip;
}
