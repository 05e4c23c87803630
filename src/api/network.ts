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

export { formatPublish, PublishSyntaxError, parsePublish } from './publish.ts';
export { PORT_FORWARD_PROTOCOL } from './wire.ts';
