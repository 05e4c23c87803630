import { describe, expect, it } from 'vitest';
import { nameservers } from '../../../src/agent/net/dns.ts';
import {
  formatIpv4,
  macFor,
  overlaps,
  parseCidr,
  parseIpv4,
  pickAddress,
  validMac,
} from '../../../src/agent/net/ipv4.ts';
import { tapNameFor } from '../../../src/agent/net/links.ts';
import { AgentNetwork } from '../../../src/agent/net/network.ts';
import { parseProcNet, parsePublish, socketTakes } from '../../../src/agent/net/ports.ts';
import { renderRules } from '../../../src/agent/net/rules.ts';

const net = parseCidr('172.30.0.0/24');
if (!net) throw new Error('bad fixture');

describe('addresses', () => {
  it('parses CIDRs and refuses host bits', () => {
    expect(parseCidr('172.30.0.0/24')).toEqual({ network: parseIpv4('172.30.0.0'), prefix: 24 });
    expect(parseCidr('172.30.0.1/24')).toBeNull();
    expect(parseCidr('300.0.0.0/8')).toBeNull();
  });
  it('tells overlapping subnets', () => {
    const tart = parseCidr('192.168.64.0/24');
    const wide = parseCidr('172.16.0.0/12');
    if (!tart || !wide) throw new Error('fixture');
    expect(overlaps(net, tart)).toBe(false);
    expect(overlaps(net, wide)).toBe(true);
  });
  it('gives a name the same address, never the gateway, the next free one when taken', () => {
    const a = pickAddress(net, 'web', new Set());
    expect(pickAddress(net, 'web', new Set())).toBe(a);
    if (a === null) throw new Error('no address');
    const b = pickAddress(net, 'web', new Set([a]));
    expect(b).not.toBe(a);
    const all = new Set<number>();
    for (let i = 0; i < 253; i++) {
      const x = pickAddress(net, `vm${i}`, all);
      if (x === null) throw new Error('ran out early');
      all.add(x);
    }
    expect([...all].map(formatIpv4)).not.toContain('172.30.0.1');
    expect([...all].map(formatIpv4)).not.toContain('172.30.0.255');
    expect(pickAddress(net, 'one-more', all)).toBeNull();
  });
  it('derives a unicast MAC from the address', () => {
    const mac = macFor(parseIpv4('172.30.0.7') ?? 0);
    expect(mac).toBe('06:fc:ac:1e:00:07');
    expect(validMac(mac)).toBe(true);
    expect(validMac('01:00:5e:00:00:01')).toBe(false);
  });
  it('holds an address from the moment it is picked: creates side by side never share one', async () => {
    // A /30 has one address besides the gateway. Nothing here touches the machine: without
    // published ports, reserve reads and runs nothing.
    const tiny = parseCidr('172.30.9.0/30');
    if (!tiny) throw new Error('fixture');
    const unused = {
      run: () => Promise.reject(new Error('not expected')),
      read: () => Promise.reject(new Error('not expected')),
      write: () => Promise.reject(new Error('not expected')),
    };
    const agentNet = new AgentNetwork({ subnet: tiny, bridge: 'fcbr9', stateDir: '/nonexistent' }, unused);
    const results = await Promise.allSettled([
      agentNet.reserve({ name: 'a', id: 'aaaaaaaaaaaaaaaa' }),
      agentNet.reserve({ name: 'b', id: 'bbbbbbbbbbbbbbbb' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(
      /no free address left in 172\.30\.9\.0\/30/,
    );
    expect(agentNet.list().map((l) => [l.name, l.address])).toEqual([['a', '172.30.9.2']]);
  });
  it('names taps within 15 characters', () => {
    expect(tapNameFor('0123456789abcdef')).toBe('fcm0123456789ab');
    expect(tapNameFor('0123456789abcdef').length).toBeLessThanOrEqual(15);
  });
});

describe('publish syntax', () => {
  it('reads Docker -p forms', () => {
    expect(parsePublish('8080:80')).toEqual({
      host_ip: null,
      host_port: 8080,
      guest_port: 80,
      protocol: 'tcp',
    });
    expect(parsePublish('127.0.0.1:53:53/udp')).toEqual({
      host_ip: '127.0.0.1',
      host_port: 53,
      guest_port: 53,
      protocol: 'udp',
    });
  });
  it.each(['80', '0:80', '8080:70000', 'x:1:2', '1:2/sctp', 'a:b'])('refuses %s', (spec) => {
    expect(() => parsePublish(spec)).toThrow(/HOST_PORT|port|protocol|IPv4/);
  });
});

describe('/proc/net sockets', () => {
  const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0200000A:D431 0100000A:0016 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
`;
  it('lists listening sockets with their addresses', () => {
    expect(parseProcNet(tcp, 'tcp', false)).toEqual([
      { protocol: 'tcp', address: '127.0.0.1', port: 8080 },
      { protocol: 'tcp', address: '*', port: 22 },
    ]);
  });
  it('matches a publication against a socket', () => {
    const lo = { protocol: 'tcp' as const, address: '127.0.0.1', port: 8080 };
    expect(socketTakes(lo, parsePublish('8080:80'))).toBe(true);
    expect(socketTakes(lo, parsePublish('10.0.0.2:8080:80'))).toBe(false);
    expect(socketTakes(lo, parsePublish('8080:80/udp'))).toBe(false);
  });
});

describe('resolv.conf', () => {
  it('reads IPv4 nameservers', () => {
    expect(nameservers('# x\nnameserver 10.0.0.1\nnameserver ::1\nnameserver 127.0.0.53\n')).toEqual([
      '10.0.0.1',
      '127.0.0.53',
    ]);
  });
});

describe('rules', () => {
  it('recreates its own tables in one transaction and names only them', () => {
    const text = renderRules({
      subnet: net,
      bridge: 'fcbr0',
      leases: [
        {
          name: 'b',
          id: '1',
          address: '172.30.0.3',
          mac: '',
          tap: 'fcm111111111111',
          isolated: true,
          ports: [parsePublish('127.0.0.1:9000:90/udp')],
        },
        {
          name: 'a',
          id: '2',
          address: '172.30.0.2',
          mac: '',
          tap: 'fcm222222222222',
          isolated: false,
          ports: [parsePublish('8080:80')],
        },
      ],
    });
    const tables = [...text.matchAll(/table (\w+) ([\w-]+)/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(new Set(tables)).toEqual(new Set(['inet fc-agent', 'bridge fc-agent']));
    expect(text.split('\n').slice(0, 2)).toEqual(['table inet fc-agent', 'delete table inet fc-agent']);
    expect(text).toContain('fib daddr type local tcp dport 8080 dnat ip to 172.30.0.2:80');
    expect(text).toContain('ip daddr 127.0.0.1 udp dport 9000 dnat ip to 172.30.0.3:90');
    expect(text).toContain('iifname "fcm111111111111" drop');
    expect(text).not.toContain('fcm222222222222');
  });
});
