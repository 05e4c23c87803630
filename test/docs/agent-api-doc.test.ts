// docs/agent-api.md carries sections generated from the zod schemas: the checked-in doc must be
// what `npm run docs` writes today, so a schema change without a doc update fails here.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { renderAgentApiDoc } from '../../scripts/lib/agent-api-doc.ts';
import { agentEvent } from '../../src/api/events.ts';
import { repoRoot } from '../support/paths.ts';

const docPath = join(repoRoot, 'docs', 'agent-api.md');

describe('docs/agent-api.md', () => {
  test('the generated sections are current (run `npm run docs` after changing src/api)', () => {
    const doc = readFileSync(docPath, 'utf8');
    expect(renderAgentApiDoc(doc)).toBe(doc);
  });

  test('a stale doc is noticed: a field missing from a generated table is put back', () => {
    const doc = readFileSync(docPath, 'utf8');
    const stale = doc.replace(/^\| `track_dirty_pages` .*\n/m, '');
    expect(stale).not.toBe(doc);
    expect(renderAgentApiDoc(stale)).toBe(doc);
  });

  test('every event type and every body has its table; hand-written prose is kept', () => {
    const doc = readFileSync(docPath, 'utf8');
    for (const o of agentEvent.options) expect(doc).toContain(`#### \`${o.shape.type.value}\``);
    for (const name of ['CreateMicrovmRequest', 'Microvm', 'StopMicrovmResponse', 'ErrorResponse'])
      expect(doc).toContain(`### \`${name}\``);
    expect(doc).toContain('## Restart behaviour');
  });

  test('a doc without the markers is refused, not silently left as is', () => {
    expect(() => renderAgentApiDoc('# nothing generated here\n')).toThrow(/generated:.*:start/);
  });

  test('npm run docs -- --check agrees (exit 0)', async () => {
    const { stderr } = await promisify(execFile)(
      process.execPath,
      ['scripts/gen-agent-api-doc.mjs', '--check'],
      {
        cwd: repoRoot,
      },
    );
    expect(stderr).toBe('');
  });
});
