// The emulated Mac's network: a namespace of its own (random name) holding a bridge at 192.168.64.1
// (Tart's softnet range) and dnsmasq handing out addresses on it. The emulated tart puts each VM's
// tap on the bridge; tart and the CLI under test run inside the namespace (`ip netns exec`), so the
// machine's own network is never touched. remove() undoes all of it, on failure too.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPid } from '../../support/tart-args.ts';

export interface EmuNet {
  netns: string;
  bridge: string;
  leases: string;
  /** argv prefix that runs a program inside the namespace. */
  wrap(file: string, args: string[]): [string, string[]];
  remove(): void;
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim() || r.error?.message}`);
}

export function createEmuNet(dir: string): EmuNet {
  const netns = `fcm-emu-${randomBytes(3).toString('hex')}`;
  const bridge = 'fcemubr0';
  const leases = join(dir, 'dnsmasq.leases');
  let dnsmasq: ChildProcess | null = null;
  const remove = () => {
    dnsmasq?.kill('SIGTERM');
    spawnSync('ip', ['netns', 'del', netns]);
  };
  try {
    ip(['netns', 'add', netns]);
    const inNs = (a: string[]) => ip(['-n', netns, ...a]);
    inNs(['link', 'set', 'lo', 'up']);
    inNs(['link', 'add', bridge, 'type', 'bridge']);
    inNs(['addr', 'add', '192.168.64.1/24', 'dev', bridge]);
    inNs(['link', 'set', bridge, 'up']);
    dnsmasq = spawn(
      'ip',
      [
        ...['netns', 'exec', netns, 'dnsmasq', '--keep-in-foreground', '--no-resolv', '--no-hosts'],
        ...['--port=0', `--interface=${bridge}`, '--bind-interfaces', '--except-interface=lo'],
        ...['--dhcp-range=192.168.64.2,192.168.64.254,12h', `--dhcp-leasefile=${leases}`],
        ...[`--pid-file=${join(dir, 'dnsmasq.pid')}`, '--dhcp-authoritative', '--log-facility=-'],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    // Recorded so a later run can attach to this one (FCEMU_REUSE, docs/testing.md).
    writeFileSync(join(dir, 'emu-net.json'), JSON.stringify({ netns, bridge, leases }));
  } catch (err) {
    remove();
    throw err;
  }
  return {
    netns,
    bridge,
    leases,
    wrap: (file, args) => ['ip', ['netns', 'exec', netns, file, ...args]],
    remove,
  };
}

/** The network of an earlier run kept with FCEMU_KEEP=1; remove() deletes the namespace and dnsmasq. */
export function attachEmuNet(dir: string): EmuNet {
  const { netns, bridge, leases } = JSON.parse(readFileSync(join(dir, 'emu-net.json'), 'utf8')) as {
    netns: string;
    bridge: string;
    leases: string;
  };
  return {
    netns,
    bridge,
    leases,
    wrap: (file, args) => ['ip', ['netns', 'exec', netns, file, ...args]],
    remove: () => {
      const dnsmasq = readPid(join(dir, 'dnsmasq.pid'));
      try {
        if (dnsmasq !== null) process.kill(dnsmasq, 'SIGTERM');
      } catch {} // ended between the two calls
      spawnSync('ip', ['netns', 'del', netns]);
    },
  };
}
