// The SDK checks the agent's answers against JSON Schemas that zod writes from the API's schemas
// (src/api/response-json-schemas.ts). In a bundle that module is replaced by its value, taken here
// by running it once, so the CLI and the SDK carry the schemas as JSON and never load zod to read
// an answer.
import { importTs } from './import-ts.mjs';

const MODULE = /[\\/]src[\\/]api[\\/]response-json-schemas\.ts$/;

export async function inlineResponseSchemas() {
  const { responseJsonSchemas } = await importTs('src/api/response-json-schemas.ts');
  const text = JSON.stringify(responseJsonSchemas());
  return {
    name: 'inline-response-schemas',
    setup(b) {
      b.onLoad({ filter: MODULE }, () => ({
        // JSON.parse of a string: V8 reads that faster than the same object as JS.
        contents: `export function responseJsonSchemas() { return JSON.parse(${JSON.stringify(text)}); }`,
        loader: 'js',
      }));
    },
  };
}
