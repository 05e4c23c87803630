// Checks a JSON value against a JSON Schema that zod wrote (z.toJSONSchema of an API schema,
// src/api/response-json-schemas.ts) and gives back what zod's own parse would: defaults filled
// in, the unknown keys of a plain z.object() dropped. Why not zod itself: the SDK checks every
// answer of the agent, and loading zod (a 450 KB module, no compile cache on Node 20) cost a
// one-shot command like `fc-macos ls` more than everything else it does. The build puts the
// schemas in as plain JSON (scripts/build.mjs), so this file is all a read command loads.
// test/api/json-check.test.ts holds zod and this to the same answers.
//
// Only the keywords zod writes for our schemas are understood; compiling any other throws, so a
// new construct in src/api is caught by the tests instead of going unchecked.

export type JsonSchema = { [key: string]: unknown };

export type CheckResult<T> =
  | { success: true; data: T }
  | { success: false; error: { path: string; message: string } };

type Node = (value: unknown, path: string) => { ok: true; value: unknown } | Failure;
interface Failure {
  ok: false;
  path: string;
  message: string;
}

const IGNORED = new Set(['$schema', 'description', 'title', 'format', 'examples', 'default']);
const KNOWN = new Set([
  ...IGNORED,
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  '$ref',
  '$defs',
]);

export class Check<T> {
  #node: Node | undefined;

  /** The schema, or what gives it on first use (the SDK parses each schema only when needed). */
  constructor(private readonly schema: JsonSchema | (() => JsonSchema)) {}

  /** Throws when the schema holds a keyword this file does not understand. */
  compile(): this {
    if (this.#node) return this;
    const schema = typeof this.schema === 'function' ? this.schema() : this.schema;
    this.#node = compile(schema, (schema.$defs ?? {}) as Record<string, JsonSchema>, new Map());
    return this;
  }

  safeParse(value: unknown): CheckResult<T> {
    // Compiled on first use: a command reads only one or two kinds of answer.
    this.compile();
    const r = (this.#node as Node)(value, '');
    if (r.ok) return { success: true, data: r.value as T };
    return { success: false, error: { path: r.path, message: r.message } };
  }
}

function fail(path: string, message: string): Failure {
  return { ok: false, path, message };
}

function at(path: string, key: string | number): string {
  return path === '' ? String(key) : `${path}.${key}`;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function describe(value: unknown): string {
  const t = typeOf(value);
  return t === 'integer' ? 'number' : t;
}

function compile(
  schema: JsonSchema | boolean,
  defs: Record<string, JsonSchema>,
  refs: Map<string, Node>,
): Node {
  // The boolean schemas: anything, and nothing.
  if (schema === true) return (value) => ({ ok: true, value });
  if (schema === false) return (_value, path) => fail(path, 'is not allowed here');
  for (const k of Object.keys(schema)) {
    if (!KNOWN.has(k)) throw new Error(`json-check: the JSON Schema keyword "${k}" is not understood`);
  }
  if (typeof schema.$ref === 'string') return ref(schema.$ref, defs, refs);
  const steps: Node[] = [];
  if (schema.type !== undefined) steps.push(typeStep(schema.type));
  if (schema.enum !== undefined) steps.push(enumStep(schema.enum as unknown[]));
  if ('const' in schema) steps.push(enumStep([schema.const]));
  steps.push(...numberSteps(schema), ...stringSteps(schema));
  if (schema.properties !== undefined || schema.additionalProperties !== undefined)
    steps.push(objectStep(schema, defs, refs));
  if (schema.propertyNames !== undefined)
    steps.push(keysStep(compile(schema.propertyNames as JsonSchema, defs, refs)));
  if (schema.items !== undefined || schema.prefixItems !== undefined)
    steps.push(arrayStep(schema, defs, refs));
  if (schema.minItems !== undefined || schema.maxItems !== undefined) steps.push(countStep(schema));
  const union = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (union !== undefined) steps.push(unionStep(union.map((s) => compile(s, defs, refs))));
  return (value, path) => {
    let current = value;
    for (const step of steps) {
      const r = step(current, path);
      if (!r.ok) return r;
      current = r.value;
    }
    return { ok: true, value: current };
  };
}

function ref(target: string, defs: Record<string, JsonSchema>, refs: Map<string, Node>): Node {
  const known = refs.get(target);
  if (known) return known;
  const name = /^#\/\$defs\/(.+)$/.exec(target)?.[1];
  const def = name === undefined ? undefined : defs[name];
  if (def === undefined) throw new Error(`json-check: $ref ${target} names no definition`);
  // Placeholder first: a schema may refer to itself.
  let node: Node | undefined;
  const lazy: Node = (v, p) => (node as Node)(v, p);
  refs.set(target, lazy);
  node = compile(def, defs, refs);
  return lazy;
}

function typeStep(type: unknown): Node {
  const allowed = Array.isArray(type) ? (type as string[]) : [type as string];
  return (value, path) => {
    const t = typeOf(value);
    if (allowed.includes(t) || (t === 'integer' && allowed.includes('number'))) return { ok: true, value };
    return fail(path, `expected ${allowed.join(' or ')}, got ${describe(value)}`);
  };
}

function enumStep(options: unknown[]): Node {
  return (value, path) =>
    options.some((o) => o === value)
      ? { ok: true, value }
      : fail(path, `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
}

function numberSteps(s: JsonSchema): Node[] {
  const bounds: Array<[string, (n: number, b: number) => boolean, string]> = [
    ['minimum', (n, b) => n >= b, '>='],
    ['maximum', (n, b) => n <= b, '<='],
    ['exclusiveMinimum', (n, b) => n > b, '>'],
    ['exclusiveMaximum', (n, b) => n < b, '<'],
  ];
  return bounds
    .filter(([k]) => typeof s[k] === 'number')
    .map(([k, ok, sign]) => {
      const b = s[k] as number;
      return (value, path) =>
        typeof value !== 'number' || ok(value, b) ? { ok: true, value } : fail(path, `must be ${sign} ${b}`);
    });
}

function stringSteps(s: JsonSchema): Node[] {
  const steps: Node[] = [];
  const text = (check: (v: string) => boolean, message: string): Node => {
    return (value, path) =>
      typeof value !== 'string' || check(value) ? { ok: true, value } : fail(path, message);
  };
  if (typeof s.minLength === 'number') {
    const n = s.minLength;
    steps.push(text((v) => [...v].length >= n, `must have at least ${n} characters`));
  }
  if (typeof s.maxLength === 'number') {
    const n = s.maxLength;
    steps.push(text((v) => [...v].length <= n, `must have at most ${n} characters`));
  }
  if (typeof s.pattern === 'string') {
    const re = new RegExp(s.pattern, 'u');
    steps.push(text((v) => re.test(v), `must match ${s.pattern}`));
  }
  return steps;
}

function objectStep(s: JsonSchema, defs: Record<string, JsonSchema>, refs: Map<string, Node>): Node {
  const props = Object.entries((s.properties ?? {}) as Record<string, JsonSchema>).map(([key, sub]) => ({
    key,
    node: compile(sub, defs, refs),
    hasDefault: 'default' in sub,
    def: sub.default,
  }));
  const required = new Set((s.required ?? []) as string[]);
  const known = new Set(props.map((p) => p.key));
  const extra = s.additionalProperties;
  // zod writes no additionalProperties for a plain z.object(), whose parse drops unknown keys;
  // {} for a loose object (kept), false for a strict one (refused), a schema for a record.
  const extraNode =
    extra !== undefined && typeof extra === 'object' && extra !== null && Object.keys(extra).length > 0
      ? compile(extra as JsonSchema, defs, refs)
      : undefined;
  return (value, path) => {
    if (typeOf(value) !== 'object') return fail(path, `expected object, got ${describe(value)}`);
    const input = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const p of props) {
      const here = at(path, p.key);
      if (!Object.hasOwn(input, p.key) || input[p.key] === undefined) {
        if (p.hasDefault) out[p.key] = structuredClone(p.def);
        else if (required.has(p.key)) return fail(here, 'required');
        continue;
      }
      const r = p.node(input[p.key], here);
      if (!r.ok) return r;
      out[p.key] = r.value;
    }
    for (const key of Object.keys(input)) {
      if (known.has(key)) continue;
      if (extra === false) return fail(at(path, key), 'is not allowed here');
      if (extra === undefined) continue;
      if (extraNode === undefined) {
        out[key] = input[key];
        continue;
      }
      const r = extraNode(input[key], at(path, key));
      if (!r.ok) return r;
      out[key] = r.value;
    }
    return { ok: true, value: out };
  };
}

function keysStep(node: Node): Node {
  return (value, path) => {
    if (typeOf(value) !== 'object') return { ok: true, value };
    for (const key of Object.keys(value as object)) {
      const r = node(key, at(path, key));
      if (!r.ok) return r;
    }
    return { ok: true, value };
  };
}

function arrayStep(s: JsonSchema, defs: Record<string, JsonSchema>, refs: Map<string, Node>): Node {
  const prefix = ((s.prefixItems ?? []) as JsonSchema[]).map((sub) => compile(sub, defs, refs));
  const rest =
    s.items === undefined || s.items === true ? undefined : compile(s.items as JsonSchema, defs, refs);
  return (value, path) => {
    if (!Array.isArray(value)) return fail(path, `expected array, got ${describe(value)}`);
    if (s.prefixItems !== undefined && s.items === undefined && value.length !== prefix.length)
      return fail(path, `expected ${prefix.length} items, got ${value.length}`);
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      const node = prefix[i] ?? rest;
      if (node === undefined) {
        out.push(value[i]);
        continue;
      }
      const r = node(value[i], at(path, i));
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  };
}

function countStep(s: JsonSchema): Node {
  const min = typeof s.minItems === 'number' ? s.minItems : 0;
  const max = typeof s.maxItems === 'number' ? s.maxItems : Number.POSITIVE_INFINITY;
  return (value, path) => {
    if (!Array.isArray(value)) return { ok: true, value };
    if (value.length < min) return fail(path, `must have at least ${min} items`);
    if (value.length > max) return fail(path, `must have at most ${max} items`);
    return { ok: true, value };
  };
}

/** zod's union: the first option that parses wins. The failure told is the one that got deepest. */
function unionStep(options: Node[]): Node {
  return (value, path) => {
    let best: Failure | undefined;
    for (const option of options) {
      const r = option(value, path);
      if (r.ok) return r;
      if (best === undefined || r.path.length > best.path.length) best = r;
    }
    if (best === undefined || best.path === path) return fail(path, 'matches none of the allowed shapes');
    return best;
  };
}
