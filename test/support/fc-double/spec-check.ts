// Loads the Firecracker OpenAPI spec and checks the double's Rust-side models against it: every
// modelled field exists there with a matching type, required fields agree, enums have the same
// values. A spec the models do not fit stops the double at startup rather than letting it drift.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { type BodyName, bodyTypes, newerThanModelled, specNameOf } from './models.ts';
import type { RustType } from './serde.ts';

interface SpecProp {
  type?: string;
  $ref?: string;
  enum?: string[];
  items?: SpecProp;
}
interface SpecDef {
  required?: string[];
  properties?: Record<string, SpecProp>;
}

const SPEC_FILE = join('shared', 'firecracker-api', 'firecracker-v1.16.1.yaml');

/** The spec beside the checkout (../shared), found from wherever the double runs. */
function defaultSpec(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, SPEC_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export class SpecMismatchError extends Error {
  readonly code = 'spec_mismatch';
}

export function checkSpec(path: string | undefined): void {
  const file = path ?? defaultSpec();
  if (file === undefined)
    throw new SpecMismatchError(`cannot find ${SPEC_FILE} above the double: set FC_DOUBLE_SPEC`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new SpecMismatchError(`cannot read the Firecracker spec at ${file}`);
  }
  const spec = parse(text) as { definitions: Record<string, SpecDef> };
  const problems: string[] = [];
  for (const [name, type] of Object.entries(bodyTypes) as [BodyName, RustType][]) {
    if (type.kind !== 'struct') continue;
    const specName = specNameOf[name] ?? name;
    const def = spec.definitions[specName];
    if (!def) {
      problems.push(`${specName}: not in the spec`);
      continue;
    }
    const props = def.properties ?? {};
    const newer = newerThanModelled[specName] ?? [];
    for (const p of Object.keys(props))
      if (!type.fields.some((f) => f.name === p) && !newer.includes(p))
        problems.push(`${specName}.${p}: in the spec, not modelled`);
    for (const field of type.fields) {
      const prop = props[field.name];
      if (!prop) {
        problems.push(`${specName}.${field.name}: modelled, not in the spec`);
        continue;
      }
      const required = field.type.kind !== 'option' && !field.serdeDefault;
      if (specName === name && required !== (def.required ?? []).includes(field.name))
        problems.push(`${specName}.${field.name}: required differs`);
      const inner = field.type.kind === 'option' ? field.type.inner : field.type;
      const want = {
        int: 'integer',
        bool: 'boolean',
        string: 'string',
        path: 'string',
        parsed: 'string',
        enum: 'string',
        vec: 'array',
        struct: 'object',
        value: 'object',
        option: '',
      }[inner.kind];
      const got = prop.type ?? (prop.$ref ? 'object' : '');
      // cpu_template is a $ref to an enum definition.
      if (got !== want && !(inner.kind === 'enum' && prop.$ref))
        problems.push(`${specName}.${field.name}: spec type ${got}, modelled ${inner.kind}`);
      if (inner.kind === 'enum' && prop.enum) {
        const a = [...prop.enum].sort().join(',');
        const b = [...inner.variants].sort().join(',');
        if (a !== b) problems.push(`${specName}.${field.name}: enum [${a}] vs modelled [${b}]`);
      }
    }
  }
  if (problems.length > 0)
    throw new SpecMismatchError(`fc-double's models do not fit the spec:\n${problems.join('\n')}`);
}
