// What every Firecracker API command shares without loading the client: its microVM given as NAME
// or --name NAME, device ids, and dropping unset fields from a request body.
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../../context.ts';
import { UsageError } from '../../errors.ts';

export interface TargetFlags {
  name?: string;
}

/** A subcommand that takes its microVM as NAME or --name NAME. */
export function vmCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .argument('[NAME]', 'microVM name or id (or --name)')
    .option('--name <name>', 'microVM name or id');
}

/** NAME from the positional argument or --name, exactly one of them. */
export function nameFrom(positional: unknown, flag: string | undefined, command: string): string {
  const pos = typeof positional === 'string' && positional !== '' ? positional : undefined;
  if (pos && flag && pos !== flag) {
    throw new UsageError(`${command}: give the microVM either as NAME or with --name, not both`);
  }
  const name = pos ?? flag;
  if (!name) throw new UsageError(`${command}: which microVM? give its NAME (or --name NAME)`);
  return name;
}

export function target(ctx: CommandContext<TargetFlags>): string {
  return nameFrom(ctx.args[0], ctx.opts.name, ctx.words);
}

/** The body without its undefined fields (Firecracker refuses an explicit null). */
export function drop<T extends object>(obj: T): T {
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return obj;
}

const ID_PATTERN = /^[A-Za-z0-9_]{1,64}$/;

export function parseDeviceId(value: string): string {
  if (!ID_PATTERN.test(value)) {
    throw new InvalidArgumentError('must be 1-64 letters, digits or "_"');
  }
  return value;
}

/** The request module, loaded when a command runs (it brings the client and zod). */
export const requests = (): Promise<typeof import('./requests.ts')> => import('./requests.ts');
