// Docker's -p text syntax for a published port, both ways. No zod here: `fc-macos ls` prints
// ports with formatPublish and loads nothing it does not need. isIPv4 accepts exactly what the
// API's z.ipv4() accepts (dotted quad, no leading zeros; test/api/publish.test.ts).
import { isIPv4 } from 'node:net';
import type { PortMapping } from './network.ts';

export class PublishSyntaxError extends Error {
  readonly code = 'publish_invalid';
}

const PUBLISH_USAGE =
  '(use [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp], e.g. 8080:80 or 127.0.0.1:8080:80/tcp)';

function port(text: string, what: string, spec: string): number {
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > 65_535) {
    throw new PublishSyntaxError(`"${spec}": ${what} "${text}" must be a port from 1 to 65535`);
  }
  return n;
}

/** Docker's -p syntax, IPv4 only. */
export function parsePublish(spec: string): PortMapping {
  const [body = '', proto, extra] = spec.split('/');
  if (extra !== undefined || (proto !== undefined && proto !== 'tcp' && proto !== 'udp')) {
    throw new PublishSyntaxError(`"${spec}": the protocol must be tcp or udp ${PUBLISH_USAGE}`);
  }
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new PublishSyntaxError(`"${spec}" is not a port mapping ${PUBLISH_USAGE}`);
  }
  let hostIp: string | null = null;
  if (parts.length === 3) {
    const ip = parts[0] ?? '';
    if (!isIPv4(ip)) {
      throw new PublishSyntaxError(`"${spec}": "${ip}" is not an IPv4 address ${PUBLISH_USAGE}`);
    }
    hostIp = ip === '0.0.0.0' ? null : ip;
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
