// npm run docs: rewrites the generated sections of docs/agent-api.md from the zod schemas in
// src/api. With --check it only says whether the checked-in doc is current (exit 1 when stale).
// The renderer is TypeScript (scripts/lib/agent-api-doc.ts), imported through importTs.
import { readFile, writeFile } from 'node:fs/promises';
import { importTs } from './import-ts.mjs';

const docPath = 'docs/agent-api.md';
const check = process.argv.includes('--check');
const { renderAgentApiDoc } = await importTs('scripts/lib/agent-api-doc.ts');
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
