// The flag parsers the command definitions name. Most check a value with the agent's zod schemas
// (flags.ts), and zod takes longer to load than all the rest of the CLI; so flags.ts is loaded
// only when the command line has a flag that may need it: main() calls loadFlagChecks() first
// when needsFlagChecks(argv). `--help` and `microvm ls` never load it. A parser runs only for a
// flag given on the command line, and every flag with a parser is outside NO_CHECK_FLAGS, so the
// checks are always loaded by the time one runs.
import { CPU_TEMPLATE_NAMES } from '../client/firecracker-names.ts';
import type * as Checks from './flags.ts';

let checks: typeof Checks | null = null;

export async function loadFlagChecks(): Promise<void> {
  checks ??= await import('./flags.ts');
}

// Flags without a value parser (switches and --agent-url, checked by agent.ts).
const NO_CHECK_FLAGS = new Set([
  '--json',
  '-h',
  '--help',
  '-v',
  '--version',
  '-q',
  '--quiet',
  '-a',
  '--all',
  '-f',
  '--force',
  '-b',
  '--background',
  '--bare',
  '--follow',
  '-y',
  '--yes',
  '--agent-url',
]);

/** Whether argv (after the program name) has a flag that may need flags.ts. */
export function needsFlagChecks(args: string[]): boolean {
  return args.some((a) => a.startsWith('-') && !NO_CHECK_FLAGS.has(a) && !a.startsWith('--agent-url='));
}

type Parser = keyof {
  [K in keyof typeof Checks as (typeof Checks)[K] extends (...a: never[]) => unknown
    ? K extends `parse${string}`
      ? K
      : never
    : never]: true;
};

function deferred<K extends Parser>(name: K): (typeof Checks)[K] {
  return ((value: string, previous?: never) => {
    if (!checks) throw new Error(`internal: ${name} ran before loadFlagChecks()`);
    return (checks[name] as (v: string, p?: never) => unknown)(value, previous);
  }) as (typeof Checks)[K];
}

export const parseVcpus = deferred('parseVcpus');
export const parseMemory = deferred('parseMemory');
export const parseName = deferred('parseName');
export const parseHostPath = deferred('parseHostPath');
export const parseBootArgs = deferred('parseBootArgs');
export const parseDrive = deferred('parseDrive');
export const parseStopTimeout = deferred('parseStopTimeout');
export const parseNonNegativeInt = deferred('parseNonNegativeInt');
export const parseCpuTemplate = deferred('parseCpuTemplate');
export const parseTokenBucket = deferred('parseTokenBucket');
export const parseNetworkMode = deferred('parseNetworkMode');
export const parsePublishFlag = deferred('parsePublishFlag');
export const parseTail = deferred('parseTail');
export const parseMac = deferred('parseMac');

export const CPU_TEMPLATES = CPU_TEMPLATE_NAMES.join(', ');
