// fc-agent with its default network, run inside a namespace this file makes (ip netns exec), with
// the Firecracker double: taps and rules per microVM, the network-interfaces body and ip= boot
// argument, addresses kept over kill -9, refused conflicts that leave nothing, cleanup on rm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Microvm } from '../../../src/api/schemas.ts';
import { type StartedAgent, startAgent } from '../../support/agent.ts';
import { createNetns, type Netns, netnsProblem } from '../../support/netns.ts';

const problem = netnsProblem();

const taps = (ns: Netns): string[] =>
  (JSON.parse(ns.exec('ip', ['-j', 'link', 'show'])) as Array<{ ifname: string }>)
    .map((l) => l.ifname)
    .filter((n) => /^fcm[0-9a-f]{12}$/.test(n))
    .sort();
const ruleset = (ns: Netns): string => ns.exec('nft', ['list', 'ruleset']);

describe.skipIf(problem !== null)('fc-agent default network (in a network namespace)', () => {
  let ns: Netns;
  let agent: StartedAgent;

  const create = (body: object) =>
    agent.json<Microvm & { error?: { code: string; message: string } }>('/agent/microvms', {
      method: 'POST',
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    ns = createNetns('net');
    ns.exec('ip', ['link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'uplink-peer']);
    ns.exec('ip', ['addr', 'add', '192.0.2.2/24', 'dev', 'uplink']);
    ns.exec('ip', ['link', 'set', 'uplink', 'up']);
    ns.exec('ip', ['link', 'set', 'uplink-peer', 'up']);
    ns.exec('ip', ['route', 'add', 'default', 'via', '192.0.2.1']);
    agent = await startAgent({ network: true, netns: ns.name });
  });

  afterAll(async () => {
    await agent?.stop();
    ns?.delete();
  });

  it('gives a microVM a tap on the bridge, an address, a MAC, ip= and the network-interfaces body', async () => {
    const { status, body } = await create({ name: 'web', ports: [{ host_port: 8080, guest_port: 80 }] });
    expect(status).toBe(201);
    const n = body.network;
    expect(n).toMatchObject({ gateway: '172.30.0.1', prefix_length: 24, isolated: false });
    expect(n?.address).toMatch(/^172\.30\.0\.\d+$/);
    expect(n?.ports).toEqual([{ host_ip: null, host_port: 8080, guest_port: 80, protocol: 'tcp' }]);
    expect(body.boot_args).toContain(`ip=${n?.address}::172.30.0.1:255.255.255.0::eth0:off:`);
    expect(taps(ns)).toEqual([n?.tap]);
    expect(ns.exec('ip', ['-j', 'link', 'show', n?.tap ?? ''])).toContain('"master":"fcbr0"');
    expect(ruleset(ns)).toContain(`dnat ip to ${n?.address}:80`);
    const cfg = await agent.json<{ 'network-interfaces': unknown[] }>(
      '/agent/microvms/web/firecracker/vm/config',
    );
    expect(cfg.body['network-interfaces']).toEqual([
      expect.objectContaining({ iface_id: 'eth0', host_dev_name: n?.tap, guest_mac: n?.mac }),
    ]);
  });

  it('refuses a port another microVM publishes, leaving no tap, rule or record', async () => {
    const before = ruleset(ns);
    const { status, body } = await create({ name: 'clash', ports: [{ host_port: 8080, guest_port: 81 }] });
    expect(status).toBe(409);
    expect(body.error?.message).toMatch(/published by microVM web/);
    expect(taps(ns)).toHaveLength(1);
    expect(ruleset(ns)).toBe(before);
    expect((await agent.json('/agent/microvms/clash')).status).toBe(404);
  });

  it('network none makes no interface; isolated gets its drop rules', async () => {
    const none = await create({ name: 'offline', network: 'none' });
    expect(none.status).toBe(201);
    expect(none.body.network).toBeNull();
    expect(none.body.boot_args).not.toContain('ip=');
    const iso = await create({ name: 'iso', isolated: true });
    expect(iso.status).toBe(201);
    expect(ruleset(ns)).toContain(`iifname "${iso.body.network?.tap}" drop`);
    expect(taps(ns)).toHaveLength(2);
  });

  it('keeps every address over kill -9 and restart, with rules rebuilt once', async () => {
    const before = (await agent.json<{ microvms: Microvm[] }>('/agent/microvms')).body.microvms;
    await agent.kill9();
    await agent.restart();
    await agent.kill9();
    await agent.restart();
    const after = (await agent.json<{ microvms: Microvm[] }>('/agent/microvms')).body.microvms;
    expect(after.map((m) => [m.name, m.network?.address])).toEqual(
      before.map((m) => [m.name, m.network?.address]),
    );
    const rules = ruleset(ns);
    expect(rules.match(/dport 8080 dnat/g)).toHaveLength(2);
    expect(rules.match(/table inet fc-agent/g)).toHaveLength(1);
    expect(taps(ns)).toHaveLength(2);
  });

  it('rm and a firecracker crash take the tap and rules away', async () => {
    const web = (await agent.json<Microvm>('/agent/microvms/web')).body;
    expect((await agent.fetch('/agent/microvms/web', { method: 'DELETE' })).status).toBe(200);
    expect(taps(ns)).not.toContain(web.network?.tap);
    expect(ruleset(ns)).not.toMatch(/dnat ip to/);
    const iso = (await agent.json<Microvm>('/agent/microvms/iso')).body;
    if (iso.pid === null) throw new Error('iso has no pid');
    process.kill(iso.pid, 'SIGKILL');
    for (let i = 0; i < 200 && taps(ns).includes(iso.network?.tap ?? ''); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(taps(ns)).toEqual([]);
    expect(ruleset(ns)).not.toContain('drop');
  });
});
