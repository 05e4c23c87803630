// The agent's links: its bridge (gateway address, up, route_localnet for localhost publications)
// and one persistent tap per microVM, named fcm<12 hex of the microVM id> (15 chars, the limit).
import { NetError } from './errors.ts';
import type { NetHost } from './host.ts';

export const TAP_PATTERN = /^fcm[0-9a-f]{12}$/;
export const BRIDGE_PATTERN = /^[A-Za-z0-9_.-]{1,15}$/;

export function tapNameFor(id: string): string {
  return `fcm${id.slice(0, 12)}`;
}

interface LinkJson {
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

async function links(host: NetHost, args: string[] = []): Promise<LinkJson[]> {
  const out = await host.run('ip', ['-j', '-d', 'link', 'show', ...args]);
  return out.trim() === '' ? [] : (JSON.parse(out) as LinkJson[]);
}

/** Whether a link of that name exists; a file read where possible (a spawn costs a create time). */
export async function linkExists(host: NetHost, name: string): Promise<boolean> {
  // Names outside the pattern cannot be a path below /sys/class/net safely: ask ip instead.
  if (!BRIDGE_PATTERN.test(name) || name === '.' || name === '..')
    return (await links(host)).some((l) => l.ifname === name);
  try {
    await host.read(`/sys/class/net/${name}/ifindex`);
    return true;
  } catch {
    return false;
  }
}

/** Creates the bridge if missing and makes sure it holds the gateway address and is up. */
export async function ensureBridge(host: NetHost, bridge: string, gatewayCidr: string): Promise<void> {
  const all = await links(host);
  const found = all.find((l) => l.ifname === bridge);
  if (found && found.linkinfo?.info_kind !== 'bridge') {
    throw new Error(
      `a link named ${bridge} exists and is not a bridge: remove it (ip link del ${bridge}) or choose another --bridge`,
    );
  }
  if (!found) await host.run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  const addrs = JSON.parse(
    (await host.run('ip', ['-j', 'addr', 'show', 'dev', bridge])) || '[]',
  ) as LinkJson[];
  const has = addrs[0]?.addr_info?.some(
    (a) => a.family === 'inet' && `${a.local}/${a.prefixlen}` === gatewayCidr,
  );
  if (!has) await host.run('ip', ['addr', 'add', gatewayCidr, 'dev', bridge]);
  await host.run('ip', ['link', 'set', bridge, 'up']);
  // Lets localhost:PORT be DNATed to a guest on this bridge (only this interface is changed).
  await host.write(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1\n');
}

export async function deleteLink(host: NetHost, name: string): Promise<void> {
  if (await linkExists(host, name)) await host.run('ip', ['link', 'del', name]);
}

/** A persistent tap on the bridge, created before firecracker opens it. */
export async function createTap(host: NetHost, tap: string, bridge: string): Promise<void> {
  if (!TAP_PATTERN.test(tap) || !BRIDGE_PATTERN.test(bridge))
    throw new NetError(
      'net_config_invalid',
      `not an agent tap or bridge name: ${JSON.stringify(tap)} on ${JSON.stringify(bridge)}`,
    );
  // One ip process for the three changes (it stops at the first that fails): each spawn is felt
  // in a create, most of all on a slow Linux side.
  const batch = [`tuntap add dev ${tap} mode tap`, `link set ${tap} master ${bridge}`, `link set ${tap} up`];
  try {
    await host.run('ip', ['-batch', '-'], `${batch.join('\n')}\n`);
  } catch (err) {
    await host.run('ip', ['link', 'del', tap]).catch(() => undefined);
    throw err;
  }
}

/** Taps the agent made (by their name pattern), wherever they are attached. */
export async function agentTaps(host: NetHost): Promise<string[]> {
  return (await links(host))
    .filter((l) => TAP_PATTERN.test(l.ifname) && l.linkinfo?.info_kind === 'tun')
    .map((l) => l.ifname)
    .sort();
}
