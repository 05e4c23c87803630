// The resolver a guest is given: the Linux side's own. A guest cannot reach a loopback stub
// (systemd-resolved's 127.0.0.53), so behind one the upstream servers it forwards to are used.
import { parseIpv4 } from './ipv4.ts';

export const RESOLV_CONF = '/etc/resolv.conf';
export const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';

export function nameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m?.[1] && parseIpv4(m[1]) !== null) out.push(m[1]);
  }
  return out;
}

const loopback = (ip: string): boolean => ip.startsWith('127.');

/** At most two IPv4 servers a guest can reach (the kernel's ip= has dns0 and dns1). */
export async function guestDns(read: (path: string) => Promise<string>): Promise<string[]> {
  const main = nameservers(await read(RESOLV_CONF).catch(() => ''));
  let servers = main.filter((s) => !loopback(s));
  if (servers.length === 0 && main.some(loopback)) {
    servers = nameservers(await read(RESOLVED_UPSTREAM).catch(() => '')).filter((s) => !loopback(s));
  }
  return servers.slice(0, 2);
}
