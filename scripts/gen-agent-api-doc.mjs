// npm run docs: rewrites the generated sections of docs/agent-api.md from the zod schemas in
// src/api. With --check it only says whether the checked-in doc is current (exit 1 when stale).
// The renderer is TypeScript (scripts/lib/agent-api-doc.ts): bundled with esbuild into a temp dir
// first, because Node 20 cannot import .ts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const docPath = 'docs/agent-api.md';
const check = process.argv.includes('--check');
const dir = await mkdtemp(join(tmpdir(), 'fcm-docs-'));
try {
  const outfile = join(dir, 'agent-api-doc.mjs');
  await build({
    entryPoints: ['scripts/lib/agent-api-doc.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
  const { renderAgentApiDoc } = await import(pathToFileURL(outfile).href);
  const current = await readFile(docPath, 'utf8');
  const next = renderAgentApiDoc(current);
  if (check) {
    if (next !== current) {
      process.stderr.write(`${docPath} is stale: run npm run docs\n`);
      process.exitCode = 1;
    }
  } else if (next !== current) {
    await writeFile(docPath, next);
    process.stdout.write(`${docPath} updated\n`);
  } else {
    process.stdout.write(`${docPath} is current\n`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
