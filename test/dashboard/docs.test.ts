// The dashboard's documentation keeps up with the view: docs/dashboard.md lists every key the help
// (?) lists and the other way round, and the README's capture ends with the view's own key hint.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HINT, KEYS } from '../../src/dashboard/lines.ts';
import { repoRoot } from '../support/paths.ts';

/** "j / k, ↓ / ↑" → j k ↓ ↑ ("/" alone is the filter key). */
function helpKeys(): Set<string> {
  return new Set(KEYS.flatMap(([k]) => k.split(/, | \/ /)));
}

describe('dashboard documentation', () => {
  it('docs/dashboard.md lists every key of the help, and the help every key of the docs', async () => {
    const docs = await readFile(join(repoRoot, 'docs', 'dashboard.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Keys'), docs.indexOf('\n## ', docs.indexOf('## Keys') + 1));
    const documented = new Set(
      section
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .flatMap((l) => [...(l.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '')),
    );
    expect([...documented].sort()).toEqual([...helpKeys()].sort());
  });

  it('the README shows a capture of the view with its key hint', async () => {
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const blocks = readme.split('```').filter((_, i) => i % 2 === 1);
    const capture = blocks.find((b) => b.includes(HINT));
    expect(capture, 'a code block in README.md ending with the hint line').toBeDefined();
    const lines = (capture ?? '').split('\n');
    for (const head of ['Linux  ', 'Agent  ', 'FC     ', 'microVMs ']) {
      expect(lines.some((l) => l.startsWith(head))).toBe(true);
    }
    expect(lines.filter((l) => /^[> ] ● [a-z]/.test(l)).length).toBeGreaterThan(1);
  });
});
