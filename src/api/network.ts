// Networking shapes of the API: published ports (Docker's -p syntax and its JSON form) and the
// network part of a microVM record. Shared by the agent, the SDK and the CLI.
import { z } from 'zod';

export const portMapping = z.strictObject({
  /** Omitted or null: every address of the Linux side (and localhost there). */
  host_ip: z.ipv4().nullable().default(null),
  host_port: z.number().int().min(1).max(65_535),
  guest_port: z.number().int().min(1).max(65_535),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
});
export type PortMapping = z.output<typeof portMapping>;

export const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The network of a microVM as its record shows it (null: created with network none). */
export const microvmNetwork = z.object({
  address: z.string(),
  gateway: z.string(),
  prefix_length: z.number().int(),
  mac: z.string(),
  tap: z.string(),
  isolated: z.boolean(),
  ports: z.array(portMapping),
});
export type MicrovmNetwork = z.infer<typeof microvmNetwork>;

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
    if (!z.ipv4().safeParse(ip).success) {
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

/**
 * GET /agent/microvms/:id/port-forward?port=N with `Connection: Upgrade` and this `Upgrade:`
 * token: after `101 Switching Protocols` the connection carries the bytes of one TCP connection
 * to the guest's address and port, both ways, until either side closes.
 */
export const PORT_FORWARD_PROTOCOL = 'fc-port-forward';
