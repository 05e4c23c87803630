// waitConsoleQuiet: what the agent waits for before a pause (a snapshot taken with console output
// in flight restores with a console that never prints again on Firecracker 1.14).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitConsoleQuiet } from '../../src/agent/console/quiet.ts';

const dir = mkdtempSync(join(tmpdir(), 'fcm-quiet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('waitConsoleQuiet', () => {
  it('is true once the log has not grown for the quiet time', async () => {
    const log = join(dir, 'idle.log');
    writeFileSync(log, 'boot\r\n/ # ');
    expect(await waitConsoleQuiet(log, 200, 5_000)).toBe(true);
  });

  it('waits while output keeps coming, and is false when it never stops', async () => {
    const log = join(dir, 'busy.log');
    writeFileSync(log, '');
    const writer = setInterval(() => appendFileSync(log, 'yes\r\n'), 20);
    try {
      expect(await waitConsoleQuiet(log, 200, 800)).toBe(false);
    } finally {
      clearInterval(writer);
    }
    // Quiet again: the wait ends.
    expect(await waitConsoleQuiet(log, 200, 5_000)).toBe(true);
  });
});
