// One Firecracker request through the agent's passthrough, typed by the SDK's Firecracker schemas
// (src/firecracker/schemas.ts): request bodies by route, answers parsed with their schema.
import type { AgentClient } from '../../../client/agent-client.ts';
import {
  type Balloon,
  type BalloonStatsUpdate,
  type BalloonUpdate,
  type BootSource,
  balloonResponse,
  balloonStats,
  type Drive,
  type FullVmConfiguration,
  firecrackerVersion,
  fullVmConfiguration,
  type InstanceActionInfo,
  instanceInfo,
  type MachineConfigurationUpdate,
  machineConfigurationResponse,
  type NetworkInterface,
  type PartialDrive,
  type PartialNetworkInterface,
  type SnapshotCreateParams,
  type SnapshotLoadParams,
} from '../../../client/firecracker-schemas.ts';
import type { CommandContext } from '../../context.ts';
import { CliError, FirecrackerFaultError } from '../../errors.ts';
import { type TargetFlags, target } from './target.ts';

/** The body each write the CLI sends must have, by method and path (ids as `:id`). */
export interface FirecrackerWrites {
  'PUT /boot-source': BootSource;
  'PUT /drives/:id': Drive;
  'PATCH /drives/:id': PartialDrive;
  'PUT /network-interfaces/:id': NetworkInterface;
  'PATCH /network-interfaces/:id': PartialNetworkInterface;
  'PATCH /machine-config': MachineConfigurationUpdate;
  'PUT /actions': InstanceActionInfo;
  'PUT /snapshot/create': SnapshotCreateParams;
  'PUT /snapshot/load': SnapshotLoadParams;
  'PUT /balloon': Balloon;
  'PATCH /balloon': BalloonUpdate;
  'PATCH /balloon/statistics': BalloonStatsUpdate;
}
export type FirecrackerWrite = keyof FirecrackerWrites;

/** The schema each read is parsed with, by path. */
const reads = {
  '/': instanceInfo,
  '/version': firecrackerVersion,
  '/machine-config': machineConfigurationResponse,
  '/balloon': balloonResponse,
  '/balloon/statistics': balloonStats,
  '/vm/config': fullVmConfiguration,
} as const;
type Reads = typeof reads;
export type FirecrackerRead = keyof Reads;

function faultOf(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as { fault_message?: unknown; error?: unknown };
    if (typeof b.fault_message === 'string') return b.fault_message;
    if (typeof b.error === 'string') return b.error;
  }
  return typeof body === 'string' && body !== '' ? body : 'no fault message';
}

/** One passthrough request; Firecracker's refusal becomes a FirecrackerFaultError. */
async function send(
  client: AgentClient,
  name: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const res = await client.firecracker(name, method, path, body);
  if (res.status >= 400) throw new FirecrackerFaultError(name, method, path, res.status, faultOf(res.body));
  return res.body;
}

/** `PUT /drives/:id` with id "rootfs" → ["PUT", "/drives/rootfs"]. */
function resolveRoute(route: FirecrackerWrite, id?: string): [string, string] {
  const [method, path] = route.split(' ') as [string, string];
  return [method, id === undefined ? path : path.replace(':id', id)];
}

/** A write to the microVM's Firecracker, with the body its route takes. */
export async function request<R extends FirecrackerWrite>(
  client: AgentClient,
  name: string,
  route: R,
  body: FirecrackerWrites[R],
  id?: string,
): Promise<{ method: string; path: string; body: FirecrackerWrites[R] }> {
  const [method, path] = resolveRoute(route, id);
  await send(client, name, method, path, body);
  return { method, path, body };
}

type Answer<P extends FirecrackerRead> = ReturnType<Reads[P]['parse']>;

/** A GET, its answer parsed with the route's schema; null when the answer has another shape. */
export async function readOrNull<P extends FirecrackerRead>(
  client: AgentClient,
  name: string,
  path: P,
): Promise<Answer<P> | null> {
  const r = reads[path].safeParse(await send(client, name, 'GET', path));
  return r.success ? (r.data as Answer<P>) : null;
}

/** A GET, its answer parsed with the route's schema. */
export async function read<P extends FirecrackerRead>(
  client: AgentClient,
  name: string,
  path: P,
): Promise<Answer<P>> {
  const answer = await readOrNull(client, name, path);
  if (answer === null)
    throw new CliError('firecracker_error', `GET ${path} on microVM ${name} answered an unexpected shape`);
  return answer;
}

export function vmConfig(client: AgentClient, name: string): Promise<FullVmConfiguration> {
  return read(client, name, '/vm/config');
}

/** Runs a write on the command's microVM, then reports it the same way for every command. */
export async function write<R extends FirecrackerWrite>(
  ctx: CommandContext<TargetFlags>,
  route: R,
  body: FirecrackerWrites[R],
  done: string,
  id?: string,
): Promise<number> {
  const name = target(ctx);
  const { method, path } = await request(await ctx.client(), name, route, body, id);
  ctx.out.data({ microvm: name, request: { method, path, body: body ?? null } });
  ctx.out.line(`${name}: ${done}`);
  return 0;
}
