// Parsers for flag values. Each checks with the same zod schema the agent (or Firecracker's API
// schema) uses, so a bad value is refused before any request, naming the flag and what is allowed.
// They throw commander's InvalidArgumentError: commander prefixes the flag and exits with 2.
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { MAC_PATTERN, type PortMapping } from '../api/network.ts';
import { parsePublish } from '../api/publish.ts';
import {
  type CreateMicrovmRequest,
  createMicrovmRequest,
  MAX_LOG_TAIL,
  MAX_MEMORY_MIB,
  MAX_VCPUS,
  MIN_MEMORY_MIB,
  microvmName,
  stopMicrovmRequest,
} from '../api/schemas.ts';
import { cpuTemplate } from '../client/firecracker-schemas.ts';
import { UsageError } from './errors.ts';

const shape = createMicrovmRequest.shape;

function check<S extends z.ZodType>(schema: S, value: unknown, allowed: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new InvalidArgumentError(allowed);
  return r.data;
}

function integer(value: string, allowed: string): number {
  if (!/^[0-9]+$/.test(value.trim())) throw new InvalidArgumentError(allowed);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(allowed);
  return n;
}

export const VCPUS_ALLOWED = `must be an integer from 1 to ${MAX_VCPUS}`;
export const MEMORY_ALLOWED = `must be a whole number of MiB, at least ${MIN_MEMORY_MIB} and at most ${MAX_MEMORY_MIB} (1 TiB)`;

export function parseVcpus(value: string): number {
  return check(shape.vcpus, integer(value, VCPUS_ALLOWED), VCPUS_ALLOWED);
}

export function parseMemory(value: string): number {
  return check(shape.memory_mib, integer(value, MEMORY_ALLOWED), MEMORY_ALLOWED);
}

export function parseName(value: string): string {
  const r = microvmName.safeParse(value);
  if (!r.success) throw new InvalidArgumentError(r.error.issues[0]?.message ?? 'invalid name');
  return value;
}

const ABSOLUTE = 'must be an absolute path on the agent host (the Linux side), e.g. /var/lib/fc/vmlinux';

export function parseHostPath(value: string): string {
  if (!value.startsWith('/')) throw new InvalidArgumentError(ABSOLUTE);
  return value;
}

export function parseBootArgs(value: string): string {
  return check(shape.boot_args, value, 'must be 1 to 4096 characters');
}

export interface DriveFlag {
  path: string;
  read_only: boolean;
}

/** --drive PATH[:ro|:rw], repeatable. */
export function parseDrive(value: string, previous: DriveFlag[] = []): DriveFlag[] {
  const m = /^(.*?)(?::(ro|rw))?$/.exec(value);
  const path = m?.[1] ?? value;
  if (!path.startsWith('/')) throw new InvalidArgumentError(`PATH[:ro] with ${ABSOLUTE}`);
  return [...previous, { path, read_only: m?.[2] === 'ro' }];
}

/** -p/--publish [HOST_IP:]HOST_PORT:GUEST_PORT[/tcp|/udp], repeatable (Docker's syntax). */
export function parsePublishFlag(value: string, previous: PortMapping[] = []): PortMapping[] {
  try {
    return [...previous, parsePublish(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export const MAC_ALLOWED = 'must be a unicast MAC address in hex, e.g. 06:00:ac:1e:00:02';

export function parseMac(value: string): string {
  const mac = value.toLowerCase();
  if (!MAC_PATTERN.test(mac) || (Number.parseInt(mac.slice(0, 2), 16) & 1) === 1) {
    throw new InvalidArgumentError(MAC_ALLOWED);
  }
  return mac;
}

export function parseNetworkMode(value: string): 'default' | 'none' {
  if (value !== 'default' && value !== 'none') throw new InvalidArgumentError('must be default or none');
  return value;
}

export const TIMEOUT_ALLOWED = 'must be a number of seconds from 0 to 600';

export function parseStopTimeout(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(TIMEOUT_ALLOWED);
  return check(stopMicrovmRequest.shape.timeout_s, n, TIMEOUT_ALLOWED);
}

export function parsePositiveInt(value: string): number {
  const allowed = 'must be a positive integer';
  const n = integer(value, allowed);
  if (n < 1) throw new InvalidArgumentError(allowed);
  return n;
}

export function parseNonNegativeInt(value: string): number {
  return integer(value, 'must be an integer of 0 or more');
}

/** -n for log tails: the agent keeps at most MAX_LOG_TAIL lines' worth of answer. */
export function parseTail(value: string): number {
  const allowed = `must be a whole number from 0 to ${MAX_LOG_TAIL}`;
  const n = integer(value, allowed);
  if (n > MAX_LOG_TAIL) throw new InvalidArgumentError(allowed);
  return n;
}

export const CPU_TEMPLATES = cpuTemplate.options.join(', ');

export function parseCpuTemplate(value: string): string {
  return check(cpuTemplate, value, `must be one of ${CPU_TEMPLATES}`);
}

/** SIZE:REFILL_MS for a Firecracker token bucket (bytes or ops per refill period). */
export function parseTokenBucket(value: string): { size: number; refill_time: number } {
  const allowed = 'must be SIZE:REFILL_MS, two whole numbers (e.g. 1048576:1000)';
  const m = /^([0-9]+):([0-9]+)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(allowed);
  return { size: Number(m[1]), refill_time: Number(m[2]) };
}

const FLAG_OF_FIELD: Record<string, string> = {
  name: '--name',
  vcpus: '--vcpus',
  memory_mib: '--memory',
  kernel: '--kernel',
  rootfs: '--rootfs',
  boot_args: '--boot-args',
  initrd: '--initrd',
  drives: '--drive',
  balloon: '--balloon',
};

/**
 * Checks a whole create request with the agent's schema; the first problem becomes a usage error
 * that names the flag.
 */
export function validateCreateRequest(req: CreateMicrovmRequest): CreateMicrovmRequest {
  const r = createMicrovmRequest.safeParse(req);
  if (r.success) return req;
  const issue = r.error.issues[0];
  const field = String(issue?.path[0] ?? '');
  const flag = FLAG_OF_FIELD[field] ?? field;
  const message = (issue?.message ?? 'invalid value').replace('when configure is false', 'with --bare');
  throw new UsageError(`${flag}: ${message}`);
}
