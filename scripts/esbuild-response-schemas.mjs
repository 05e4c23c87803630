// The SDK checks the agent's answers against JSON Schemas that zod writes from the API's schemas
// (src/api/response-json-schemas.ts). In a bundle that module is replaced by its value, taken here
// by running it once, so the CLI and the SDK carry the schemas as JSON and never load zod to read
// an answer.
import { importTs } from './import-ts.mjs';

const MODULE = /[\\/]src[\\/]api[\\/]response-json-schemas\.ts$/;

export async function inlineResponseSchemas() {
  const { responseJsonSchemas } = await importTs('src/api/response-json-schemas.ts');
  // One JSON text per schema, parsed when asked for (JSON.parse of a string: V8 reads that faster
  // than the same object as JS), so a command parses only the answers it reads.
  const texts = Object.fromEntries(
    Object.entries(responseJsonSchemas()).map(([name, schema]) => [name, JSON.stringify(schema)]),
  );
  const contents = [
    `const texts = ${JSON.stringify(texts)};`,
    'export function responseJsonSchema(name) { return JSON.parse(texts[name]); }',
    'export function responseJsonSchemas() {',
    '  return Object.fromEntries(Object.keys(texts).map((n) => [n, responseJsonSchema(n)]));',
    '}',
  ].join('\n');
  return {
    name: 'inline-response-schemas',
    setup(b) {
      b.onLoad({ filter: MODULE }, () => ({ contents, loader: 'js' }));
    },
  };
}
