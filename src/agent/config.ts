// fc-agent's command line: flags, their FC_AGENT_* environment equivalents, defaults, and the
// checks that turn a bad value into one clear line (bin.ts prints it and exits 2).

import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.ts';
import type { LogLevel } from './log.ts';
import { formatCidr, parseCidr } from './net/ipv4.ts';
import { BRIDGE_PATTERN, TAP_PATTERN } from './net/links.ts';
import { DEFAULT_BRIDGE, DEFAULT_SUBNET } from './net/network.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface AgentConfig {
  listen: ListenAddress;
  /** null only with --insecure-no-auth. */
  tokenFile: string | null;
  stateDir: string;
  /** As given (a path, or a name looked up on PATH when launching). */
  firecracker: string;
  kernel: string;
  rootfs: string;
  maxMicrovms: number;
  /** Firecracker processes kept launched ahead of creates (lifecycle/spare-vmms.ts); 0: none. */
  spareVmms: number;
  logLevel: LogLevel;
  insecureNoAuth: boolean;
  stopVmsOnExit: boolean;
  /** The default network (src/agent/net): off only with --no-network. */
  network: { enabled: boolean; subnet: string; bridge: string };
}

export type CliAction =
  | { kind: 'version' }
  | { kind: 'help' }
  | { kind: 'run'; config: AgentConfig }
  /** --uninstall-network: remove the bridge, taps and nftables tables, restore forwarding, exit. */
  | { kind: 'uninstall-network'; config: AgentConfig };

export const DEFAULT_LISTEN = '0.0.0.0:8080';
export const DEFAULT_STATE_DIR = '/var/lib/fc-agent';
export const DEFAULT_MAX_MICROVMS = 64;
export const DEFAULT_SPARE_VMMS = 1;
const MAX_SPARE_VMMS = 16;
const LOG_LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug'];

export const USAGE = `Usage: fc-agent [options]

  --listen HOST:PORT      address to listen on (default ${DEFAULT_LISTEN}; port 0 picks a free port)
  --token-file PATH       bearer token file, mode 0600 (default <state-dir>/token)
  --state-dir DIR         microVM records, sockets and consoles (default ${DEFAULT_STATE_DIR})
  --firecracker PATH      firecracker binary (default: firecracker on PATH)
  --kernel PATH           default guest kernel (default <state-dir>/images/vmlinux)
  --rootfs PATH           default rootfs, copied per microVM (default <state-dir>/images/rootfs.ext4)
  --max-microvms N        most microVMs at once (default ${DEFAULT_MAX_MICROVMS})
  --spare-vmms N          firecracker processes kept started ahead of creates, so a create skips
                          the launch (default ${DEFAULT_SPARE_VMMS}, at most ${MAX_SPARE_VMMS}; 0: each create launches its own)
  --log-level LEVEL       error | warn | info | debug (default info)
  --insecure-no-auth      no token (only with a loopback --listen address)
  --stop-vms-on-exit      stop every microVM when the agent exits (default: they keep running)
  --subnet CIDR           microVM subnet on the agent's bridge (default ${DEFAULT_SUBNET}; must not
                          overlap a route of this machine)
  --bridge NAME           the agent's bridge (default ${DEFAULT_BRIDGE})
  --no-network            no default network: microVMs get no interface unless added by hand
  --uninstall-network     remove the bridge, taps and nftables tables, restore IP forwarding, exit
  --version               print the version
  --help                  this text

Every flag can also come from the environment: FC_AGENT_LISTEN, FC_AGENT_TOKEN_FILE, FC_AGENT_STATE_DIR,
FC_AGENT_FIRECRACKER, FC_AGENT_KERNEL, FC_AGENT_ROOTFS, FC_AGENT_MAX_MICROVMS, FC_AGENT_SPARE_VMMS,
FC_AGENT_LOG_LEVEL, FC_AGENT_INSECURE_NO_AUTH=1, FC_AGENT_STOP_VMS_ON_EXIT=1, FC_AGENT_SUBNET,
FC_AGENT_BRIDGE, FC_AGENT_NO_NETWORK=1. Flags win over the environment.
`;

export function parseListen(value: string, source: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new ConfigError(
      `${source}: "${value}" is not HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8080, [::1]:8080; port 0-65535)`,
    );
  }
  return { host, port };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function boolEnv(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  if (v === undefined || v === '') return false;
  if (/^(1|true|yes)$/i.test(v)) return true;
  if (/^(0|false|no)$/i.test(v)) return false;
  throw new ConfigError(`${name}: "${v}" is not a boolean (use 1 or 0)`);
}

function absolute(value: string, source: string): string {
  if (value.trim() === '') throw new ConfigError(`${source}: must not be empty`);
  return resolve(value);
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliAction {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        'token-file': { type: 'string' },
        'state-dir': { type: 'string' },
        firecracker: { type: 'string' },
        kernel: { type: 'string' },
        rootfs: { type: 'string' },
        'max-microvms': { type: 'string' },
        'spare-vmms': { type: 'string' },
        'log-level': { type: 'string' },
        'insecure-no-auth': { type: 'boolean' },
        'stop-vms-on-exit': { type: 'boolean' },
        subnet: { type: 'string' },
        bridge: { type: 'string' },
        'no-network': { type: 'boolean' },
        'uninstall-network': { type: 'boolean' },
        version: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see fc-agent --help)`);
  }
  if (values.version) return { kind: 'version' };
  if (values.help) return { kind: 'help' };

  const str = (flag: string, envName: string): { value: string; source: string } | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return { value: v, source: `--${flag}` };
    const e = env[envName];
    if (e !== undefined && e !== '') return { value: e, source: envName };
    return undefined;
  };

  const listenArg = str('listen', 'FC_AGENT_LISTEN');
  const listen = parseListen(listenArg?.value ?? DEFAULT_LISTEN, listenArg?.source ?? '--listen');

  const stateArg = str('state-dir', 'FC_AGENT_STATE_DIR');
  const stateDir = stateArg ? absolute(stateArg.value, stateArg.source) : DEFAULT_STATE_DIR;
  // Unix socket paths are limited to 108 bytes: microvms/<16 hex>/firecracker.sock must fit.
  const longest = join(stateDir, 'microvms', '0123456789abcdef', 'firecracker.sock');
  if (Buffer.byteLength(longest) > 107) {
    throw new ConfigError(
      `${stateArg?.source ?? '--state-dir'}: "${stateDir}" is too long: firecracker's API socket path under it would exceed the 107-byte Unix socket limit (choose a shorter directory)`,
    );
  }

  /** A whole-number flag from min to max; its default when not given. */
  const wholeNumber = (flag: string, envName: string, fallback: number, min: number, max: number): number => {
    const arg = str(flag, envName);
    if (!arg) return fallback;
    const n = Number(arg.value);
    if (!/^\d+$/.test(arg.value) || n < min || n > max) {
      throw new ConfigError(`${arg.source}: "${arg.value}" must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
  const maxMicrovms = wholeNumber('max-microvms', 'FC_AGENT_MAX_MICROVMS', DEFAULT_MAX_MICROVMS, 1, 10_000);
  const spareVmms = wholeNumber('spare-vmms', 'FC_AGENT_SPARE_VMMS', DEFAULT_SPARE_VMMS, 0, MAX_SPARE_VMMS);

  const levelArg = str('log-level', 'FC_AGENT_LOG_LEVEL');
  const logLevel = (levelArg?.value ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(
      `${levelArg?.source}: "${levelArg?.value}" must be one of ${LOG_LEVELS.join(', ')}`,
    );
  }

  const insecureNoAuth = values['insecure-no-auth'] === true || boolEnv(env, 'FC_AGENT_INSECURE_NO_AUTH');
  const stopVmsOnExit = values['stop-vms-on-exit'] === true || boolEnv(env, 'FC_AGENT_STOP_VMS_ON_EXIT');
  if (insecureNoAuth && !isLoopback(listen.host)) {
    throw new ConfigError(
      `--insecure-no-auth is only allowed with a loopback --listen address (127.0.0.1, ::1, localhost), not ${listen.host}`,
    );
  }

  const tokenArg = str('token-file', 'FC_AGENT_TOKEN_FILE');
  const tokenFile = insecureNoAuth
    ? null
    : tokenArg
      ? absolute(tokenArg.value, tokenArg.source)
      : join(stateDir, 'token');

  const fcArg = str('firecracker', 'FC_AGENT_FIRECRACKER');
  const firecracker = fcArg ? fcArg.value : 'firecracker';
  if (firecracker.trim() === '') throw new ConfigError(`${fcArg?.source}: must not be empty`);

  const subnetArg = str('subnet', 'FC_AGENT_SUBNET');
  const subnet = subnetArg?.value ?? DEFAULT_SUBNET;
  const parsedSubnet = parseCidr(subnet);
  if (!parsedSubnet || parsedSubnet.prefix > 29 || parsedSubnet.prefix < 8) {
    throw new ConfigError(
      `${subnetArg?.source}: "${subnet}" must be an IPv4 network in CIDR form with /8 to /29 and no host bits (e.g. ${DEFAULT_SUBNET})`,
    );
  }
  const bridgeArg = str('bridge', 'FC_AGENT_BRIDGE');
  const bridge = bridgeArg?.value ?? DEFAULT_BRIDGE;
  if (!BRIDGE_PATTERN.test(bridge) || TAP_PATTERN.test(bridge)) {
    throw new ConfigError(
      `${bridgeArg?.source}: "${bridge}" must be an interface name of 1 to 15 letters, digits, '_', '.' or '-'`,
    );
  }
  const noNetwork = values['no-network'] === true || boolEnv(env, 'FC_AGENT_NO_NETWORK');

  const kernelArg = str('kernel', 'FC_AGENT_KERNEL');
  const rootfsArg = str('rootfs', 'FC_AGENT_ROOTFS');
  return {
    kind: values['uninstall-network'] ? 'uninstall-network' : 'run',
    config: {
      listen,
      tokenFile,
      stateDir,
      firecracker: firecracker.includes('/') ? resolve(firecracker) : firecracker,
      kernel: kernelArg ? absolute(kernelArg.value, kernelArg.source) : join(stateDir, 'images', 'vmlinux'),
      rootfs: rootfsArg
        ? absolute(rootfsArg.value, rootfsArg.source)
        : join(stateDir, 'images', 'rootfs.ext4'),
      maxMicrovms,
      spareVmms,
      logLevel,
      insecureNoAuth,
      stopVmsOnExit,
      network: { enabled: !noNetwork, subnet: formatCidr(parsedSubnet), bridge },
    },
  };
}

/** A bare name is looked up on PATH each time, so installing firecracker later needs no restart. */
export function resolveBinary(binary: string, env: NodeJS.ProcessEnv = process.env): string {
  if (isAbsolute(binary)) return binary;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return binary;
}
