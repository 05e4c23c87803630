// The agent's default network: one bridge, one tap per microVM, one address lease per live
// microVM (kept in its record, so a name keeps its address across restarts and adoption), NAT out
// and published ports in through the agent's own nftables tables. It changes only what it owns:
// its bridge, taps named by TAP_PATTERN and the tables `inet fc-agent` / `bridge fc-agent`.
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { guestDns } from './dns.ts';
import { NetError } from './errors.ts';
import { localHost, type NetHost } from './host.ts';
import {
  contains,
  formatCidr,
  formatIpv4,
  gatewayOf,
  macFor,
  maskOf,
  overlaps,
  parseCidr,
  parseIpv4,
  pickAddress,
  type Subnet,
  validMac,
} from './ipv4.ts';
import { agentTaps, createTap, deleteLink, ensureBridge, linkExists, tapNameFor } from './links.ts';
import {
  type BoundSocket,
  clashes,
  formatPublish,
  type PortMapping,
  parseProcNet,
  socketTakes,
} from './ports.ts';
import { type Lease, removeRulesText, renderRules } from './rules.ts';

export const DEFAULT_SUBNET = '172.30.0.0/24';
export const DEFAULT_BRIDGE = 'fcbr0';
const FORWARD = '/proc/sys/net/ipv4/ip_forward';

export interface NetConfig {
  subnet: Subnet;
  bridge: string;
  /** Where the agent remembers what it changed on the machine (ip_forward's previous value). */
  stateDir: string;
}

export interface LeaseRequest {
  name: string;
  id: string;
  mac?: string;
  isolated?: boolean;
  ports?: PortMapping[];
  /** The address the record already holds (adoption, restart): kept when still free. */
  address?: string;
}

/** What the guest is told on its kernel command line. */
export interface GuestConfig {
  address: string;
  gateway: string;
  netmask: string;
  dns: string[];
}

export class AgentNetwork {
  private readonly leases = new Map<string, Lease>();
  private dns: string[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The rules text last applied with success. Most microVMs publish no port and are not isolated,
   * so their create and exit leave the rules as they were: no nft process for them (each spawn
   * blocks the agent for tens of milliseconds, about 90 ms under emulation).
   */
  private applied: string | null = null;

  constructor(
    readonly config: NetConfig,
    private readonly host: NetHost = localHost,
  ) {}

  get gateway(): string {
    return formatIpv4(gatewayOf(this.config.subnet));
  }

  /** Serialises changes of links and rules: two creates never interleave their nft runs. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Checks every capability, then makes the bridge and turns forwarding on. */
  async init(): Promise<void> {
    await access('/dev/net/tun').catch(() => {
      throw new NetError(
        'net_capability_missing',
        'no /dev/net/tun on the Linux side: load the tun module (modprobe tun) or run fc-agent with --network none',
        { capability: 'tun' },
      );
    });
    await this.host.run('nft', ['--version']);
    await this.checkRoutes();
    await ensureBridge(this.host, this.config.bridge, `${this.gateway}/${this.config.subnet.prefix}`);
    await this.enableForwarding();
    this.dns = await guestDns((p) => this.host.read(p));
  }

  private async checkRoutes(): Promise<void> {
    const routes = JSON.parse((await this.host.run('ip', ['-j', 'route'])) || '[]') as Array<{
      dst: string;
      dev?: string;
    }>;
    for (const r of routes) {
      if (r.dst === 'default' || r.dev === this.config.bridge) continue;
      const dst = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
      if (dst && overlaps(dst, this.config.subnet)) {
        throw new NetError(
          'net_subnet_overlap',
          `the microVM subnet ${formatCidr(this.config.subnet)} overlaps the route ${r.dst}${r.dev ? ` (dev ${r.dev})` : ''} of the Linux side: choose another with fc-agent --subnet CIDR (e.g. 172.31.0.0/24)`,
          { subnet: formatCidr(this.config.subnet), route: r.dst },
        );
      }
    }
  }

  private forwardSaved(): string {
    return join(this.config.stateDir, 'network', 'ip_forward.previous');
  }

  private async enableForwarding(): Promise<void> {
    const now = (await this.host.read(FORWARD)).trim();
    if (now === '1') return;
    await mkdir(join(this.config.stateDir, 'network'), { recursive: true, mode: 0o700 });
    // Only the first change is remembered: that is the value uninstall puts back.
    await writeFile(this.forwardSaved(), `${now}\n`, { flag: 'wx', mode: 0o600 }).catch(() => undefined);
    try {
      await this.host.write(FORWARD, '1\n');
    } catch (err) {
      throw new NetError(
        'net_capability_missing',
        `IP forwarding is off on the Linux side and fc-agent cannot turn it on (${(err as Error).message}): run sysctl -w net.ipv4.ip_forward=1 as root`,
        { capability: 'ip_forward' },
      );
    }
  }

  guestConfig(address: string): GuestConfig {
    return {
      address,
      gateway: this.gateway,
      netmask: formatIpv4(maskOf(this.config.subnet.prefix)),
      dns: this.dns,
    };
  }

  /** The kernel's ip= (client:server:gw:netmask:hostname:device:autoconf:dns0:dns1). */
  bootArg(address: string): string {
    const g = this.guestConfig(address);
    return `ip=${g.address}::${g.gateway}:${g.netmask}::eth0:off:${g.dns[0] ?? ''}:${g.dns[1] ?? ''}`;
  }

  list(): Lease[] {
    return [...this.leases.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Lease | undefined {
    return this.leases.get(name);
  }

  /** Picks address, MAC, tap and checks every published port; changes nothing. */
  async plan(req: LeaseRequest): Promise<Lease> {
    return this.planWith(req, await this.socketsFor(req));
  }

  /**
   * plan(), and the address, MAC and ports are held for this microVM at once (release() frees
   * them): two creates running side by side never get the same address, whatever their order.
   */
  async reserve(req: LeaseRequest): Promise<Lease> {
    const sockets = await this.socketsFor(req);
    // Synchronous from here: nothing else runs between the pick and the hold.
    const lease = this.planWith(req, sockets);
    this.leases.set(lease.name, lease);
    return lease;
  }

  /** The Linux side's listening sockets, read only when the request publishes a port. */
  private socketsFor(req: LeaseRequest): Promise<BoundSocket[]> {
    return (req.ports ?? []).length > 0 ? this.boundSockets() : Promise.resolve([]);
  }

  private planWith(req: LeaseRequest, sockets: BoundSocket[]): Lease {
    if (this.leases.has(req.name)) {
      throw new NetError('net_config_invalid', `microVM ${req.name} already holds a network lease`);
    }
    if (req.mac !== undefined && !validMac(req.mac)) {
      throw new NetError(
        'net_config_invalid',
        `mac: "${req.mac}" is not a unicast MAC address (e.g. 06:00:ac:1e:00:02)`,
      );
    }
    const taken = new Set<number>([...this.leases.values()].map((l) => parseIpv4(l.address) ?? 0));
    const wanted = req.address === undefined ? null : parseIpv4(req.address);
    let addr: number | null =
      wanted !== null && contains(this.config.subnet, wanted) && !taken.has(wanted) ? wanted : null;
    addr ??= pickAddress(this.config.subnet, req.name, taken);
    if (addr === null) {
      throw new NetError(
        'net_address_exhausted',
        `no free address left in ${formatCidr(this.config.subnet)}: remove a microVM or give fc-agent a larger --subnet`,
      );
    }
    const mac = req.mac ?? macFor(addr);
    const macHolder = [...this.leases.values()].find((l) => l.mac === mac);
    if (macHolder) {
      throw new NetError('net_config_invalid', `mac: ${mac} is already used by microVM ${macHolder.name}`, {
        microvm: macHolder.name,
      });
    }
    const ports = req.ports ?? [];
    this.checkPorts(ports, sockets);
    return {
      name: req.name,
      id: req.id,
      address: formatIpv4(addr),
      mac,
      tap: tapNameFor(req.id),
      isolated: req.isolated ?? false,
      ports,
    };
  }

  private checkPorts(ports: PortMapping[], sockets: BoundSocket[]): void {
    for (const [i, p] of ports.entries()) {
      const dup = ports.slice(0, i).find((o) => clashes(o, p));
      if (dup) {
        throw new NetError(
          'net_port_conflict',
          `ports: ${formatPublish(p)} and ${formatPublish(dup)} use the same host port`,
        );
      }
      for (const l of this.leases.values()) {
        const other = l.ports.find((o) => clashes(o, p));
        if (other) {
          throw new NetError(
            'net_port_conflict',
            `port ${p.host_port}/${p.protocol} is already published by microVM ${l.name} (${formatPublish(other)}): choose another host port`,
            { port: p.host_port, protocol: p.protocol, microvm: l.name },
          );
        }
      }
    }
    for (const p of ports) {
      const s = sockets.find((x) => socketTakes(x, p));
      if (s) {
        throw new NetError(
          'net_port_conflict',
          `port ${p.host_port}/${p.protocol} is in use on the Linux side (a process listens on ${s.address === '*' ? 'every address' : s.address}): choose another host port or stop that process`,
          { port: p.host_port, protocol: p.protocol },
        );
      }
    }
  }

  private async boundSockets(): Promise<BoundSocket[]> {
    const out: BoundSocket[] = [];
    for (const [file, proto, v6] of [
      ['tcp', 'tcp', false],
      ['tcp6', 'tcp', true],
      ['udp', 'udp', false],
      ['udp6', 'udp', true],
    ] as const) {
      const text = await this.host.read(`/proc/net/${file}`).catch(() => '');
      out.push(...parseProcNet(text, proto, v6));
    }
    return out;
  }

  /**
   * Makes the lease real: tap on the bridge, rules. Undone completely when a part fails (a lease
   * held by reserve() stays held until release()).
   */
  attach(lease: Lease): Promise<void> {
    return this.serial(async () => {
      if (await linkExists(this.host, lease.tap)) {
        throw new NetError(
          'net_config_invalid',
          `a link named ${lease.tap} already exists on the Linux side`,
        );
      }
      await createTap(this.host, lease.tap, this.config.bridge);
      const reserved = this.leases.get(lease.name) === lease;
      this.leases.set(lease.name, lease);
      try {
        await this.applyRules();
      } catch (err) {
        if (!reserved) this.leases.delete(lease.name);
        await deleteLink(this.host, lease.tap).catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Removes the microVM's tap, rules and lease; nothing to do for one that holds none. The lease
   * is dropped at once (its name and address can be taken again right away); the tap and rules go
   * in turn with the other changes.
   */
  release(name: string): Promise<void> {
    const lease = this.leases.get(name);
    if (!lease) return Promise.resolve();
    this.leases.delete(name);
    return this.serial(async () => {
      // Rules first: once the tap is gone, nothing of this microVM is left anywhere.
      await this.applyRules();
      await deleteLink(this.host, lease.tap);
    });
  }

  /**
   * After a restart: the live microVMs' leases are the truth. Rules are rebuilt whole, taps of
   * microVMs that are gone are deleted, a live microVM's missing tap is made again.
   */
  reconcile(live: readonly Lease[]): Promise<void> {
    return this.serial(async () => {
      this.leases.clear();
      for (const l of live) this.leases.set(l.name, l);
      const wanted = new Set(live.map((l) => l.tap));
      for (const tap of await agentTaps(this.host)) {
        if (!wanted.has(tap)) await deleteLink(this.host, tap);
      }
      for (const l of live) {
        if (!(await linkExists(this.host, l.tap))) await createTap(this.host, l.tap, this.config.bridge);
      }
      // Always applied: the tables as they are on the machine are not known yet.
      await this.applyRules({ force: true });
    });
  }

  private async applyRules(opts: { force?: boolean } = {}): Promise<void> {
    const text = renderRules({ subnet: this.config.subnet, bridge: this.config.bridge, leases: this.list() });
    if (!opts.force && text === this.applied) return;
    this.applied = null;
    await this.host.run('nft', ['-f', '-'], text);
    this.applied = text;
  }

  /** Everything the agent made: tables, taps, bridge; forwarding back to what it was. */
  uninstall(): Promise<string[]> {
    return this.serial(async () => {
      const removed: string[] = [];
      this.applied = null;
      await this.host.run('nft', ['-f', '-'], removeRulesText());
      removed.push('nftables tables inet fc-agent, bridge fc-agent');
      for (const tap of await agentTaps(this.host)) {
        await deleteLink(this.host, tap);
        removed.push(`tap ${tap}`);
      }
      if (await linkExists(this.host, this.config.bridge)) {
        await deleteLink(this.host, this.config.bridge);
        removed.push(`bridge ${this.config.bridge}`);
      }
      const saved = await readFile(this.forwardSaved(), 'utf8').catch(() => null);
      if (saved !== null) {
        await this.host.write(FORWARD, saved);
        await rm(this.forwardSaved(), { force: true });
        removed.push(`net.ipv4.ip_forward restored to ${saved.trim()}`);
      }
      this.leases.clear();
      return removed;
    });
  }
}
