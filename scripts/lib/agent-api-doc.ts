// Renders the generated sections of docs/agent-api.md from the zod schemas in src/api (zod 4's
// JSON Schema export), between `<!-- generated:NAME:start -->` and `<!-- generated:NAME:end -->`
// markers; everything outside the markers is hand-written prose and left as it is.
import { z } from 'zod';
import {
  agentEvent,
  microvmCreatedEvent,
  microvmExitedEvent,
  microvmRemovedEvent,
  microvmStateEvent,
  resetEvent,
} from '../../src/api/events.ts';
import {
  guestExecControl,
  guestExecEvent,
  guestExecRequest,
  guestExecResponse,
  guestExecStreamRequest,
  guestStatResponse,
  guestStatusResponse,
  guestTransferSummary,
} from '../../src/api/guest.ts';
import * as limits from '../../src/api/limits.ts';
import {
  createMicrovmRequest,
  EXIT_REASONS,
  errorResponse,
  healthResponse,
  microvm,
  microvmList,
  statsResponse,
  stopMicrovmRequest,
  stopMicrovmResponse,
  versionResponse,
} from '../../src/api/schemas.ts';

type Json = { [key: string]: unknown };

interface Documented {
  name: string;
  schema: z.ZodType;
  /** Request bodies are documented as sent (defaults optional); answers as received. */
  io: 'input' | 'output';
  what: string;
}

const BODIES: Documented[] = [
  {
    name: 'CreateMicrovmRequest',
    schema: createMicrovmRequest,
    io: 'input',
    what: 'The body of `POST /agent/microvms`',
  },
  { name: 'Microvm', schema: microvm, io: 'output', what: 'One microVM, as every route returns it' },
  { name: 'MicrovmList', schema: microvmList, io: 'output', what: 'The answer to `GET /agent/microvms`' },
  {
    name: 'StopMicrovmRequest',
    schema: stopMicrovmRequest,
    io: 'input',
    what: 'The body of `POST .../stop`',
  },
  {
    name: 'StopMicrovmResponse',
    schema: stopMicrovmResponse,
    io: 'output',
    what: 'The answer to `POST .../stop`',
  },
  { name: 'HealthResponse', schema: healthResponse, io: 'output', what: 'The answer to `GET /health`' },
  {
    name: 'VersionResponse',
    schema: versionResponse,
    io: 'output',
    what: 'The answer to `GET /agent/version`',
  },
  { name: 'StatsResponse', schema: statsResponse, io: 'output', what: 'The answer to `GET /agent/stats`' },
  { name: 'ErrorResponse', schema: errorResponse, io: 'output', what: 'The body of every error answer' },
  {
    name: 'GuestStatusResponse',
    schema: guestStatusResponse,
    io: 'output',
    what: 'The answer to `GET .../guest`',
  },
  { name: 'GuestExecRequest', schema: guestExecRequest, io: 'input', what: 'The body of `POST .../exec`' },
  {
    name: 'GuestExecResponse',
    schema: guestExecResponse,
    io: 'output',
    what: 'The answer to `POST .../exec`',
  },
  {
    name: 'GuestExecStreamRequest',
    schema: guestExecStreamRequest,
    io: 'input',
    what: 'The first (text) message of the `GET .../exec` WebSocket',
  },
  {
    name: 'GuestExecControl',
    schema: guestExecControl,
    io: 'input',
    what: 'Text messages of the exec WebSocket from the client (stdin goes as binary messages)',
  },
  {
    name: 'GuestExecEvent',
    schema: guestExecEvent,
    io: 'output',
    what: 'Text messages of the exec WebSocket from the agent (output goes as binary messages: first byte 1 stdout, 2 stderr)',
  },
  {
    name: 'GuestStatResponse',
    schema: guestStatResponse,
    io: 'output',
    what: 'The answer to `GET .../files/stat`',
  },
  {
    name: 'GuestTransferSummary',
    schema: guestTransferSummary,
    io: 'output',
    what: 'The answer to `PUT .../files`',
  },
];

const EVENTS: Documented[] = [
  { name: 'microvm.created', schema: microvmCreatedEvent, io: 'output', what: 'A create finished' },
  { name: 'microvm.state', schema: microvmStateEvent, io: 'output', what: 'A state changed' },
  {
    name: 'microvm.exited',
    schema: microvmExitedEvent,
    io: 'output',
    what: "The microVM's firecracker ended",
  },
  { name: 'microvm.removed', schema: microvmRemovedEvent, io: 'output', what: 'The microVM was deleted' },
  {
    name: 'reset',
    schema: resetEvent,
    io: 'output',
    what: 'The seq asked for is unknown to this agent run: list microVMs again',
  },
];

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function literal(v: unknown): string {
  return `\`${JSON.stringify(v)}\``;
}

function range(s: Json): string {
  const min = s.minimum ?? s.exclusiveMinimum;
  const max = s.maximum ?? s.exclusiveMaximum;
  const hasMin = typeof min === 'number' && min > -MAX_SAFE;
  const hasMax = typeof max === 'number' && max < MAX_SAFE;
  if (hasMin && hasMax) return ` ${min}-${max}`;
  if (hasMin) return ` ≥ ${min}`;
  if (hasMax) return ` ≤ ${max}`;
  return '';
}

/** Schemas documented by name elsewhere: where one is nested, it is named, not expanded again. */
const NAMED: Array<[string, string]> = [['Microvm', key(microvm)]];

function key(schema: z.ZodType): string {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
  }) as Json;
  return JSON.stringify(rest);
}

function namedAs(s: Json): string | null {
  const text = JSON.stringify(s);
  return NAMED.find(([, k]) => k === text)?.[0] ?? null;
}

/** A one-line type: `integer 1-32`, `"a" | "b"`, `string | null`, `Drive[]`. */
function typeOf(s: Json): string {
  const named = namedAs(s);
  if (named) return `\`${named}\``;
  if (s.const !== undefined) return literal(s.const);
  if (Array.isArray(s.enum)) return s.enum.map(literal).join(' | ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map(typeOf).join(' | ');
  if (Array.isArray(s.oneOf)) return (s.oneOf as Json[]).map(typeOf).join(' | ');
  if (Array.isArray(s.type)) return (s.type as string[]).map((t) => typeOf({ ...s, type: t })).join(' | ');
  switch (s.type) {
    case 'integer':
    case 'number':
      return `${s.type}${range(s)}`;
    case 'string': {
      const max = typeof s.maxLength === 'number' ? s.maxLength : null;
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      const base = max !== null ? `string (${min}-${max} chars)` : min > 0 ? 'non-empty string' : 'string';
      return `${base}${typeof s.pattern === 'string' ? ` matching \`${s.pattern}\`` : ''}`;
    }
    case 'array': {
      if (Array.isArray(s.prefixItems)) return `[${(s.prefixItems as Json[]).map(typeOf).join(', ')}]`;
      const items = (s.items ?? {}) as Json;
      const inner = items.type === 'object' && !namedAs(items) ? 'object' : typeOf(items);
      const max = typeof s.maxItems === 'number' ? ` (≤ ${s.maxItems})` : '';
      return `${inner.includes(' ') ? `(${inner})` : inner}[]${max}`;
    }
    case 'object':
      return 'object';
    case 'boolean':
    case 'null':
      return s.type;
    default:
      return 'any';
  }
}

/** The object a field holds, when it holds one (possibly nullable or in an array). */
function nestedObject(s: Json): { obj: Json; suffix: string } | null {
  if (namedAs(s)) return null;
  if (s.type === 'object' && s.properties) return { obj: s, suffix: '' };
  if (s.type === 'array' && (s.items as Json | undefined)?.type === 'object') {
    const items = s.items as Json;
    return items.properties && !namedAs(items) ? { obj: items, suffix: '[]' } : null;
  }
  if (Array.isArray(s.anyOf)) {
    for (const alt of s.anyOf as Json[]) {
      const found = nestedObject(alt);
      if (found) return found;
    }
  }
  return null;
}

function rows(obj: Json, prefix: string, out: string[]): void {
  const props = (obj.properties ?? {}) as Record<string, Json>;
  const required = new Set((obj.required ?? []) as string[]);
  for (const [key, s] of Object.entries(props)) {
    const path = `${prefix}${key}`;
    const need = required.has(key) ? 'yes' : 'no';
    const def = s.default === undefined ? '' : literal(s.default);
    const desc = typeof s.description === 'string' ? s.description : '';
    out.push(`| \`${path}\` | ${cell(typeOf(s))} | ${need} | ${cell(def)} | ${cell(desc)} |`);
    const nested = nestedObject(s);
    if (nested) rows(nested.obj, `${path}${nested.suffix}.`, out);
  }
}

function table(doc: Documented, heading: string): string {
  const js = z.toJSONSchema(doc.schema, { io: doc.io, unrepresentable: 'any' }) as Json;
  const out = [
    `${heading} \`${doc.name}\``,
    '',
    `${doc.what}.${typeof js.description === 'string' ? ` ${js.description}` : ''}`,
    '',
    '| field | type | required | default | description |',
    '| --- | --- | --- | --- | --- |',
  ];
  rows(js, '', out);
  return out.join('\n');
}

function limitsTable(): string {
  const out = ['| constant | value |', '| --- | --- |'];
  for (const [name, value] of Object.entries(limits).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`| \`${name}\` | ${literal(value)} |`);
  }
  return out.join('\n');
}

function exitReasonsTable(): string {
  const out = ['| `exit.reason` | meaning | state |', '| --- | --- | --- |'];
  for (const [reason, { meaning, state }] of Object.entries(EXIT_REASONS)) {
    out.push(`| \`${reason}\` | ${cell(meaning)} | \`${state}\` |`);
  }
  return out.join('\n');
}

export function generatedSections(): Record<string, string> {
  const types = agentEvent.options.map((o) => `\`${o.shape.type.value}\``).join(', ');
  return {
    bodies: BODIES.map((d) => table(d, '###')).join('\n\n'),
    events: [
      `Event types: ${types}. Every event has \`seq\` and \`time\`; microVM events also \`name\` and \`id\`.`,
      '',
      EVENTS.map((d) => table(d, '####')).join('\n\n'),
    ].join('\n'),
    limits: limitsTable(),
    'exit-reasons': exitReasonsTable(),
  };
}

/** The doc with every generated section replaced; throws on a missing or unknown marker. */
export function renderAgentApiDoc(current: string): string {
  const sections = generatedSections();
  let text = current;
  for (const [name, body] of Object.entries(sections)) {
    const start = `<!-- generated:${name}:start -->`;
    const end = `<!-- generated:${name}:end -->`;
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`docs/agent-api.md has no ${start} … ${end} pair`);
    text = `${text.slice(0, a + start.length)}\n<!-- Generated by \`npm run docs\` from src/api; edit the schemas, not this section. -->\n\n${body}\n\n${text.slice(b)}`;
  }
  for (const m of text.matchAll(/<!-- generated:([a-z-]+):start -->/g)) {
    if (!(m[1] && m[1] in sections))
      throw new Error(`docs/agent-api.md has an unknown generated section ${m[1]}`);
  }
  return text;
}
