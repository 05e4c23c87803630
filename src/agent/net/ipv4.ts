// IPv4 arithmetic for the agent's microVM subnet: parsing, overlap with the host's routes, the
// address a name gets, and the MAC derived from an address. Pure, so every rule is unit-tested.
import { createHash } from 'node:crypto';
import { MAC_PATTERN } from '../../api/network.ts';

export interface Subnet {
  /** Network address as an unsigned 32-bit number. */
  network: number;
  prefix: number;
}

export function parseIpv4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (
    ((parts[0] ?? 0) * 2 ** 24 + (parts[1] ?? 0) * 2 ** 16 + (parts[2] ?? 0) * 2 ** 8 + (parts[3] ?? 0)) >>> 0
  );
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "172.30.0.0/24" → Subnet; null when not a CIDR or when host bits are set. */
export function parseCidr(text: string): Subnet | null {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return null;
  const addr = parseIpv4(m[1] ?? '');
  const prefix = Number(m[2]);
  if (addr === null || prefix > 32) return null;
  if ((addr & ~maskOf(prefix)) >>> 0 !== 0) return null;
  return { network: addr, prefix };
}

export function formatCidr(s: Subnet): string {
  return `${formatIpv4(s.network)}/${s.prefix}`;
}

export function contains(s: Subnet, addr: number): boolean {
  return (addr & maskOf(s.prefix)) >>> 0 === s.network;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const mask = maskOf(prefix);
  return (a.network & mask) >>> 0 === (b.network & mask) >>> 0;
}

/** The bridge's own address: the first host address. */
export function gatewayOf(s: Subnet): number {
  return s.network + 1;
}

/** Addresses a microVM may get: after the gateway, before the broadcast address. */
export function hostRange(s: Subnet): { first: number; count: number } {
  const size = 2 ** (32 - s.prefix);
  return { first: s.network + 2, count: Math.max(0, size - 3) };
}

/**
 * The address for a name: a hash of the name picks the starting point, then the next free one.
 * The same name lands on the same address whenever it is free, even without a record of it.
 */
export function pickAddress(s: Subnet, name: string, taken: ReadonlySet<number>): number | null {
  const { first, count } = hostRange(s);
  if (count === 0) return null;
  const start = createHash('sha256').update(name).digest().readUInt32BE(0) % count;
  for (let i = 0; i < count; i++) {
    const addr = first + ((start + i) % count);
    if (!taken.has(addr)) return addr;
  }
  return null;
}

/** 06:fc:<the four address bytes>: locally administered, unicast, and unique per address. */
export function macFor(addr: number): string {
  const bytes = [0x06, 0xfc, addr >>> 24, (addr >>> 16) & 255, (addr >>> 8) & 255, addr & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A MAC a guest may use: well-formed and unicast (multicast bit clear). */
export function validMac(mac: string): boolean {
  if (!MAC_PATTERN.test(mac)) return false;
  return (Number.parseInt(mac.slice(0, 2), 16) & 1) === 0;
}
