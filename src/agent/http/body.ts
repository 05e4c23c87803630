// Request bodies: bounded reads, JSON parsing, and zod validation turned into messages that name
// the field and what it allows ("vcpus: must be between 1 and 32").
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { ApiError, badRequest } from '../errors.ts';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much the connection is cut instead of drained to answer 413 politely. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

function tooLarge(limit: number): ApiError {
  return new ApiError(413, 'bad_request', `request body is larger than the ${limit}-byte limit`, {
    limit_bytes: limit,
  });
}

/**
 * The whole body, or a 413 once it passes `limit`. An oversized body is still read (and dropped)
 * up to a bound so the client gets the 413 instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  // HTTP/1.1: a request with neither header has no body; no need to wait for its end.
  if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(Buffer.alloc(0));
  }
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = Number.isFinite(declared) && declared > limit;
    if (over && declared > MAX_DRAIN_BYTES) {
      req.socket.destroySoon?.();
      reject(tooLarge(limit));
      return;
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_DRAIN_BYTES) {
        req.destroy();
        reject(tooLarge(limit));
        return;
      }
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    req.on('end', () => (over ? reject(tooLarge(limit)) : resolve(Buffer.concat(chunks))));
    req.on('error', (err) => reject(badRequest(`reading the request body failed: ${err.message}`)));
  });
}

/** An empty body counts as `{}` so `POST .../stop` and `POST /agent/microvms` work without one. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req);
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
}

type AnySchema = z.ZodType;

/** The schema at `path` inside `root`, looking through optional/default wrappers. */
function schemaAt(root: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let cur: AnySchema | undefined = root;
  const unwrap = (s: AnySchema): AnySchema => {
    let x = s;
    for (;;) {
      if (x instanceof z.ZodDefault || x instanceof z.ZodOptional || x instanceof z.ZodNullable) {
        x = x.unwrap() as AnySchema;
      } else return x;
    }
  };
  for (const key of path) {
    if (!cur) return undefined;
    const s = unwrap(cur);
    if (s instanceof z.ZodObject && typeof key === 'string') cur = s.shape[key] as AnySchema | undefined;
    else if (s instanceof z.ZodArray && typeof key === 'number') cur = s.element as AnySchema;
    else return undefined;
  }
  return cur ? unwrap(cur) : undefined;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function rangeText(schema: AnySchema | undefined, issue: z.core.$ZodIssue): string {
  if (schema instanceof z.ZodNumber) {
    // .int() implies the safe-integer range: not a limit worth telling anyone.
    const min =
      schema.minValue !== null && schema.minValue > Number.MIN_SAFE_INTEGER ? schema.minValue : null;
    const max =
      schema.maxValue !== null && schema.maxValue < Number.MAX_SAFE_INTEGER ? schema.maxValue : null;
    const isInt = schema.isInt;
    const noun = isInt ? 'a whole number' : 'a number';
    if (min !== null && max !== null && Number.isFinite(min) && Number.isFinite(max)) {
      return `must be ${noun} between ${min} and ${max}`;
    }
    if (min !== null && Number.isFinite(min)) return `must be ${noun} of at least ${min}`;
    if (max !== null && Number.isFinite(max)) return `must be ${noun} of at most ${max}`;
  }
  if (schema instanceof z.ZodString) {
    const min = schema.minLength;
    const max = schema.maxLength;
    if (min !== null && max !== null) return `must be ${min} to ${max} characters long`;
    if (min !== null) return min === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
    if (max !== null) return `must be at most ${max} characters long`;
  }
  if (schema instanceof z.ZodArray) {
    const max = 'maximum' in issue ? issue.maximum : undefined;
    if (issue.code === 'too_big' && max !== undefined) return `must have at most ${String(max)} entries`;
  }
  return issue.message;
}

export interface FieldIssue {
  path: string;
  message: string;
}

function fieldIssues(schema: AnySchema, input: unknown, error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const where = issue.path.map(String).join('.');
    const at = schemaAt(schema, issue.path);
    let message: string;
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          out.push({
            path: where ? `${where}.${key}` : key,
            message: `unknown field "${key}"`,
          });
        }
        continue;
      case 'invalid_type': {
        const got = describeType(valueAt(input, issue.path));
        message =
          got === 'undefined'
            ? `is required (${issue.expected})`
            : issue.expected === 'int'
              ? 'must be a whole number'
              : `must be ${issue.expected === 'array' || issue.expected === 'object' ? 'an' : 'a'} ${issue.expected}, got ${got}`;
        if (issue.expected === 'number' && typeof valueAt(input, issue.path) === 'number') {
          message = 'must be a finite number';
        }
        break;
      }
      case 'too_small':
      case 'too_big':
        message = rangeText(at, issue);
        if (at instanceof z.ZodNumber) message += ` (got ${String(valueAt(input, issue.path))})`;
        break;
      case 'invalid_value':
        message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      default:
        message = issue.message;
        if (at instanceof z.ZodNumber && /int/i.test(issue.message)) message = 'must be a whole number';
    }
    out.push({ path: where || '(body)', message });
  }
  return out;
}

/** Parses `input` with `schema`; a failure is a 400 `validation_failed` naming every bad field. */
export function validate<S extends AnySchema>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = fieldIssues(schema, input, result.error);
  const text = issues.map((i) => (i.path === '(body)' ? `body: ${i.message}` : `${i.path}: ${i.message}`));
  throw new ApiError(400, 'validation_failed', `invalid ${what}: ${text.join('; ')}`, {
    field: issues[0]?.path,
    issues,
  });
}
