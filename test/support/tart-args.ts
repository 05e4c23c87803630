// Tart's command-line parsing as swift-argument-parser does it, shared by the fake tart and the
// emulated one (test/emulated/tart): usage errors exit 64 with "Error: ..." and a usage line.
import { readFileSync } from 'node:fs';

/** Whether a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live pid in a pid file, or null (no file, garbage, or a dead process). */
export function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function die(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export function usage(cmd: string, synopsis: string, message: string): never {
  die(`Error: ${message}\nUsage: tart ${synopsis}\n  See 'tart ${cmd} --help' for more information.`, 64);
}

export interface Spec {
  synopsis: string;
  flags: string[];
  options: Record<string, 'int' | 'string'>;
  short?: Record<string, string>;
  positionals: string[];
}

export interface Parsed {
  flags: Set<string>;
  options: Map<string, string>;
  positionals: string[];
}

export function parse(cmd: string, spec: Spec, args: string[]): Parsed {
  const out: Parsed = { flags: new Set(), options: new Map(), positionals: [] };
  for (let i = 0; i < args.length; i++) {
    let a = args[i] ?? '';
    if (a.startsWith('-') && a !== '-') {
      let value: string | undefined;
      const eq = a.indexOf('=');
      if (a.startsWith('--') && eq > 0) {
        value = a.slice(eq + 1);
        a = a.slice(0, eq);
      }
      const long = spec.short?.[a] ?? a;
      const name = long.replace(/^--/, '');
      if (spec.flags.includes(name)) {
        if (value !== undefined)
          usage(
            cmd,
            spec.synopsis,
            `The option '${a}' does not take any value, but '${value}' was specified.`,
          );
        out.flags.add(name);
        continue;
      }
      const kind = spec.options[name];
      if (!kind) usage(cmd, spec.synopsis, `Unknown option '${a}'`);
      const v = value ?? args[++i];
      if (v === undefined) usage(cmd, spec.synopsis, `Missing value for '${a} <${name}>'`);
      if (kind === 'int' && !/^\d+$/.test(v))
        usage(cmd, spec.synopsis, `The value '${v}' is invalid for '${a} <${name}>'`);
      out.options.set(name, v);
      continue;
    }
    out.positionals.push(a);
  }
  const want = spec.positionals.filter((p) => !p.endsWith('...'));
  if (out.positionals.length < want.length) {
    usage(cmd, spec.synopsis, `Missing expected argument '<${want[out.positionals.length]}>'`);
  }
  if (!spec.positionals.some((p) => p.endsWith('...')) && out.positionals.length > spec.positionals.length) {
    usage(cmd, spec.synopsis, `Unexpected argument '${out.positionals[spec.positionals.length]}'`);
  }
  return out;
}

export function jsonSwift(value: unknown, indent = ''): string {
  // Swift's JSONEncoder with .prettyPrinted: 2-space indent, `"key" : value`, "/" escaped.
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[\n\n]';
    return `[\n${value.map((v) => inner + jsonSwift(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${jsonSwift(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value).replaceAll('/', '\\/');
}

/** The subcommands' arguments, as the fake tart parses them. */
export const tartSpecs: Record<'list' | 'clone' | 'set' | 'run' | 'ip' | 'stop', Spec> = {
  list: {
    synopsis: 'list [--source <source>] [--format <format>] [--quiet]',
    flags: ['quiet'],
    short: { '-q': '--quiet' },
    options: { source: 'string', format: 'string' },
    positionals: [],
  },
  clone: {
    synopsis: 'clone <source-name> <new-name> [--insecure] [--concurrency <concurrency>] [--prune-limit <n>]',
    flags: ['insecure', 'deduplicate'],
    options: { concurrency: 'int', 'prune-limit': 'int' },
    positionals: ['source-name', 'new-name'],
  },
  set: {
    synopsis: 'set <name> [--cpu <cpu>] [--memory <memory>] [--disk-size <disk-size>]',
    flags: ['random-mac', 'random-serial', 'display-refit', 'no-display-refit'],
    options: { cpu: 'int', memory: 'int', display: 'string', disk: 'string', 'disk-size': 'int' },
    positionals: ['name'],
  },
  run: {
    synopsis: 'run <name> [--no-graphics] [--serial] [--nested] ...',
    flags: [
      'no-graphics',
      'serial',
      'graphics',
      'no-audio',
      'no-clipboard',
      'recovery',
      'vnc',
      'vnc-experimental',
      'nested',
      'net-softnet',
      'net-host',
      'suspendable',
      'no-trackpad',
      'no-pointer',
      'no-keyboard',
    ],
    options: {
      'serial-path': 'string',
      disk: 'string',
      dir: 'string',
      'net-bridged': 'string',
      rosetta: 'string',
      'root-disk-opts': 'string',
    },
    positionals: ['name'],
  },
  ip: {
    synopsis: 'ip <name> [--wait <wait>] [--resolver <resolver>]',
    flags: [],
    options: { wait: 'int', resolver: 'string' },
    positionals: ['name'],
  },
  stop: {
    synopsis: 'stop <name> [--timeout <timeout>]',
    flags: [],
    short: { '-t': '--timeout' },
    options: { timeout: 'int' },
    positionals: ['name'],
  },
};
