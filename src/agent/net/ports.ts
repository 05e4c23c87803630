// Published ports: the `-p [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp]` syntax and the check that a
// host port is free (not another microVM's publication, not a socket a process holds).
import { formatIpv4, parseIpv4 } from './ipv4.ts';

export type Protocol = 'tcp' | 'udp';

export interface PortMapping {
  /** null: every address of the Linux side (and localhost). */
  host_ip: string | null;
  host_port: number;
  guest_port: number;
  protocol: Protocol;
}

export class PublishSyntaxError extends Error {
  readonly code = 'publish_invalid';
}

function port(text: string, what: string, spec: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65_535) {
    throw new PublishSyntaxError(`"${spec}": ${what} "${text}" must be a port from 1 to 65535`);
  }
  return n;
}

/** Docker's -p syntax, IPv4 only. */
export function parsePublish(spec: string): PortMapping {
  const usage = '(use [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp], e.g. 8080:80 or 127.0.0.1:8080:80/tcp)';
  const [body = '', proto, extra] = spec.split('/');
  if (extra !== undefined || (proto !== undefined && proto !== 'tcp' && proto !== 'udp')) {
    throw new PublishSyntaxError(`"${spec}": the protocol must be tcp or udp ${usage}`);
  }
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3)
    throw new PublishSyntaxError(`"${spec}" is not a port mapping ${usage}`);
  let hostIp: string | null = null;
  if (parts.length === 3) {
    const ip = parseIpv4(parts[0] ?? '');
    if (ip === null) throw new PublishSyntaxError(`"${spec}": "${parts[0]}" is not an IPv4 address ${usage}`);
    hostIp = formatIpv4(ip);
    if (hostIp === '0.0.0.0') hostIp = null;
  }
  return {
    host_ip: hostIp,
    host_port: port(parts[parts.length - 2] ?? '', 'host port', spec),
    guest_port: port(parts[parts.length - 1] ?? '', 'guest port', spec),
    protocol: proto === 'udp' ? 'udp' : 'tcp',
  };
}

export function formatPublish(p: PortMapping): string {
  return `${p.host_ip ?? '0.0.0.0'}:${p.host_port}->${p.guest_port}/${p.protocol}`;
}

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
