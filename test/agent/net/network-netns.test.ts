// AgentNetwork against a real kernel: everything runs inside a namespace this file creates
// (ip netns exec), with a veth "guest" in a second namespace for traffic through the rules.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetError } from '../../../src/agent/net/errors.ts';
import { type NetHost, netnsHost } from '../../../src/agent/net/host.ts';
import { parseCidr } from '../../../src/agent/net/ipv4.ts';
import { AgentNetwork } from '../../../src/agent/net/network.ts';
import { parsePublish } from '../../../src/agent/net/ports.ts';
import { createNetns, type Netns, netnsProblem } from '../../support/netns.ts';
import { waitUntil } from '../../support/proc.ts';

const problem = netnsProblem();
const subnet = parseCidr('172.30.0.0/24');
if (!subnet) throw new Error('fixture');

function links(ns: Netns): Array<{ ifname: string; master?: string }> {
  return JSON.parse(ns.exec('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string; master?: string }>;
}
const names = (ns: Netns): string[] =>
  links(ns)
    .map((l) => l.ifname)
    .sort();
const ruleset = (ns: Netns): string => ns.exec('nft', ['list', 'ruleset']);

describe.skipIf(problem !== null)('AgentNetwork in a network namespace', () => {
  let ns: Netns;
  let guest: Netns;
  let stateDir: string;
  let net: AgentNetwork;

  beforeAll(async () => {
    ns = createNetns('net');
    guest = createNetns('netg');
    stateDir = await mkdtemp(join(tmpdir(), 'fcm-net-'));
    // A way out, like a real machine: a default route the subnet must not overlap.
    ns.exec('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer']);
    ns.exec('ip', ['link', 'set', 'uplink-peer', 'up']);
    ns.exec('ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'uplink']);
    ns.exec('ip', ['link', 'set', 'uplink', 'up']);
    ns.exec('ip', ['route', 'add', 'default', 'via', '192.0.2.1']);
    // Some other firewall owner's table: the agent must leave it alone.
    ns.exec('nft', ['add', 'table', 'ip', 'someone-else']);
    ns.exec('nft', ['add', 'chain', 'ip', 'someone-else', 'c']);
    net = new AgentNetwork({ subnet, bridge: 'fcbr0', stateDir }, netnsHost(ns.name));
  });

  afterAll(async () => {
    guest?.delete();
    ns?.delete();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('refuses a subnet that overlaps a route, making nothing', async () => {
    const clash = parseCidr('192.0.2.0/25');
    if (!clash) throw new Error('fixture');
    const bad = new AgentNetwork({ subnet: clash, bridge: 'fcbr9', stateDir }, netnsHost(ns.name));
    await expect(bad.init()).rejects.toMatchObject({ code: 'net_subnet_overlap', message: /--subnet/ });
    expect(names(ns)).not.toContain('fcbr9');
  });

  it('makes the bridge with the gateway address and turns forwarding on, remembering the old value', async () => {
    // A new namespace copies the machine's IPv4 settings: start from forwarding off.
    ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
    await net.init();
    await net.init(); // idempotent: a restart finds it made
    expect(ns.exec('ip', ['-br', 'addr', 'show', 'fcbr0'])).toContain('172.30.0.1/24');
    expect(ns.exec('cat', ['/proc/sys/net/ipv4/ip_forward']).trim()).toBe('1');
    expect(await readFile(join(stateDir, 'network', 'ip_forward.previous'), 'utf8')).toBe('0\n');
  });

  it('attaches a tap per microVM to the bridge with rules for its ports', async () => {
    const a = await net.plan({ name: 'web', id: 'aaaaaaaaaaaaaaaa', ports: [parsePublish('8080:80')] });
    await net.attach(a);
    const b = await net.plan({ name: 'db', id: 'bbbbbbbbbbbbbbbb', isolated: true });
    await net.attach(b);
    expect(a.address).not.toBe(b.address);
    const tapA = links(ns).find((l) => l.ifname === 'fcmaaaaaaaaaaaa');
    expect(tapA?.master).toBe('fcbr0');
    const rules = ruleset(ns);
    expect(rules).toContain(`dnat ip to ${a.address}:80`);
    expect(rules).toContain('iifname "fcmbbbbbbbbbbbb" drop');
    expect(rules).not.toContain('iifname "fcmaaaaaaaaaaaa" drop');
    expect(rules).toContain('table ip someone-else');
  });

  it('refuses a port another microVM publishes or a process holds, making nothing', async () => {
    const before = names(ns);
    const rulesBefore = ruleset(ns);
    await expect(
      net.plan({ name: 'x', id: 'cccccccccccccccc', ports: [parsePublish('8080:81')] }),
    ).rejects.toMatchObject({ code: 'net_port_conflict', message: /published by microVM web/ });
    const listener = ns.spawn('socat', ['TCP-LISTEN:9090,bind=127.0.0.1,reuseaddr', 'STDOUT']);
    await waitUntil(
      () => (ns.exec('ss', ['-ltn']).includes('127.0.0.1:9090') ? true : undefined),
      'socat listening on 9090',
      5_000,
    );
    await expect(
      net.plan({ name: 'x', id: 'cccccccccccccccc', ports: [parsePublish('9090:80')] }),
    ).rejects.toMatchObject({ code: 'net_port_conflict', message: /in use on the Linux side/ });
    listener.kill('SIGKILL');
    expect(names(ns)).toEqual(before);
    expect(ruleset(ns)).toBe(rulesBefore);
    expect(net.list().map((l) => l.name)).toEqual(['db', 'web']);
  });

  it('carries a published port to the guest from localhost and from the Linux side address', async () => {
    const web = net.get('web');
    if (!web) throw new Error('lease gone');
    // A veth stands in for the guest's NIC: the same bridge, the lease's address.
    ns.exec('ip', ['link', 'add', 'gveth', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', guest.name]);
    ns.exec('ip', ['link', 'set', 'gveth', 'master', 'fcbr0', 'up']);
    guest.exec('ip', ['addr', 'add', `${web.address}/24`, 'dev', 'eth0']);
    guest.exec('ip', ['link', 'set', 'eth0', 'up']);
    guest.exec('ip', ['route', 'add', 'default', 'via', '172.30.0.1']);
    guest.spawn('socat', ['TCP-LISTEN:80,fork,reuseaddr', 'SYSTEM:echo hello-from-guest']);
    const fetchVia = (target: string): string | undefined => {
      try {
        return ns.exec('socat', ['-T2', '-', `TCP:${target}`]).trim() || undefined;
      } catch {
        return undefined;
      }
    };
    expect(
      await waitUntil(() => fetchVia('127.0.0.1:8080'), 'the guest server through 127.0.0.1:8080', 5_000),
    ).toBe('hello-from-guest');
    expect(fetchVia('192.0.2.2:8080')).toBe('hello-from-guest');
    // The guest reaches the gateway.
    guest.exec('busybox', ['ping', '-c1', '-W2', '172.30.0.1']);
  });

  it('reconciles to exactly the live leases: no duplicates, no leftovers, missing taps made', async () => {
    const web = net.get('web');
    if (!web) throw new Error('lease gone');
    // A restart: a new AgentNetwork, only "web" is still alive; db's tap must go.
    const again = new AgentNetwork({ subnet, bridge: 'fcbr0', stateDir }, netnsHost(ns.name));
    await again.init();
    await again.reconcile([web]);
    await again.reconcile([web]);
    const rules = ruleset(ns);
    expect(rules.match(/dport 8080 dnat/g)?.length).toBe(2); // prerouting + output, once each
    expect(rules.match(/table inet fc-agent/g)?.length).toBe(1);
    expect(rules).not.toContain('fcmbbbbbbbbbbbb');
    expect(names(ns)).not.toContain('fcmbbbbbbbbbbbb');
    ns.exec('ip', ['link', 'del', web.tap]);
    await again.reconcile([web]);
    expect(names(ns)).toContain(web.tap);
    net = again;
  });

  it('isolated really blocks traffic between two microVMs on the bridge, and only that', async () => {
    // Two veth "guests" whose bridge ends carry tap-like names, leased like real taps.
    const g1 = createNetns('neti');
    const g2 = createNetns('neti');
    try {
      const lease = (n: number, isolated: boolean) => ({
        name: `g${n}`,
        id: `${n}`.repeat(16),
        address: `172.30.0.${100 + n}`,
        mac: `06:fc:ac:1e:00:${(100 + n).toString(16)}`,
        tap: `fcm${`${n}`.repeat(12)}`,
        isolated,
        ports: [],
      });
      for (const [n, g] of [
        [1, g1],
        [2, g2],
      ] as const) {
        const l = lease(n, false);
        ns.exec('ip', ['link', 'add', l.tap, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', g.name]);
        ns.exec('ip', ['link', 'set', l.tap, 'master', 'fcbr0', 'up']);
        g.exec('ip', ['addr', 'add', `${l.address}/24`, 'dev', 'eth0']);
        g.exec('ip', ['link', 'set', 'eth0', 'up']);
      }
      const ping = (g: Netns, to: string): boolean => {
        try {
          g.exec('busybox', ['ping', '-c1', '-W1', to]);
          return true;
        } catch {
          return false;
        }
      };
      const kept = net.list();
      await net.reconcile([...kept, lease(1, false), lease(2, false)]);
      expect(await waitUntil(() => ping(g1, '172.30.0.102'), 'g1 to reach g2', 5_000)).toBe(true);
      await net.reconcile([...kept, lease(1, true), lease(2, false)]);
      expect(ping(g1, '172.30.0.102')).toBe(false);
      expect(ping(g2, '172.30.0.101')).toBe(false);
      expect(ping(g1, '172.30.0.1')).toBe(true);
      await net.reconcile(kept);
    } finally {
      g1.delete();
      g2.delete();
    }
  });

  it('release removes the tap and its rules', async () => {
    await net.release('web');
    expect(names(ns).filter((n) => n.startsWith('fcm'))).toEqual([]);
    expect(ruleset(ns)).not.toMatch(/dnat ip to/);
  });

  it('runs nft only when the rules change: never for a microVM without ports or isolation', async () => {
    const base = netnsHost(ns.name);
    let nftRuns = 0;
    const counting: NetHost = {
      ...base,
      run: (cmd, args, input) => {
        if (cmd === 'nft') nftRuns++;
        return base.run(cmd, args, input);
      },
    };
    // A restarted agent: its first rules are always applied (the tables on the machine are unknown).
    const again = new AgentNetwork({ subnet, bridge: 'fcbr0', stateDir }, counting);
    await again.reconcile(net.list());
    expect(nftRuns).toBe(1);
    const plain = await again.reserve({ name: 'plain', id: 'cccccccccccccccc' });
    await again.attach(plain);
    expect(names(ns)).toContain(plain.tap);
    await again.release('plain');
    expect(names(ns)).not.toContain(plain.tap);
    expect(nftRuns).toBe(1);
    const pub = await again.reserve({
      name: 'pub',
      id: 'eeeeeeeeeeeeeeee',
      ports: [parsePublish('8099:80')],
    });
    await again.attach(pub);
    expect(nftRuns).toBe(2);
    expect(ruleset(ns)).toContain(`dnat ip to ${pub.address}:80`);
    await again.release('pub');
    expect(nftRuns).toBe(3);
    expect(ruleset(ns)).not.toContain('8099');
  });

  it('uninstall removes bridge and tables, restores forwarding, leaves other tables', async () => {
    const a = await net.plan({ name: 'web', id: 'dddddddddddddddd' });
    await net.attach(a);
    const removed = await net.uninstall();
    expect(removed.join('\n')).toMatch(/bridge fcbr0/);
    expect(names(ns).filter((n) => n.startsWith('fcm') || n === 'fcbr0')).toEqual([]);
    const rules = ruleset(ns);
    expect(rules).not.toContain('fc-agent');
    expect(rules).toContain('table ip someone-else');
    expect(ns.exec('cat', ['/proc/sys/net/ipv4/ip_forward']).trim()).toBe('0');
  });

  it('names the capability when a command is missing', async () => {
    const err = await netnsHost(ns.name)
      .run('no-such-tool-fcm', [])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetError);
  });
});
