// The SDK checks the agent's answers against JSON Schemas that zod writes from the API's schemas
// (src/api/response-json-schemas.ts). In a bundle that module is replaced by its value, taken here
// by running it once, so the CLI and the SDK carry the schemas as JSON and never load zod to read
// an answer. Run in a private temp dir: Node 20 cannot import .ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const MODULE = /[\\/]src[\\/]api[\\/]response-json-schemas\.ts$/;

export async function inlineResponseSchemas() {
  const dir = await mkdtemp(join(tmpdir(), 'fcm-schemas-'));
  let text;
  try {
    const outfile = join(dir, 'schemas.mjs');
    await build({
      entryPoints: ['src/api/response-json-schemas.ts'],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
    const { responseJsonSchemas } = await import(pathToFileURL(outfile).href);
    text = JSON.stringify(responseJsonSchemas());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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
