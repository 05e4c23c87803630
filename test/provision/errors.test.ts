// Setup's download errors say why (the cause fetch hides behind "fetch failed", the missing file of
// a file:// mirror) and what to do.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/assets.ts';
import { makeEnv } from './harness.ts';

describe('setup download errors', () => {
  it('an unreachable mirror: the cause (connection refused to HOST:PORT) and the fix', async () => {
    const env = await makeEnv();
    const port = await freePort();
    const r = await env.setup({ assetsUrl: `http://127.0.0.1:${port}` });
    expect(r.ok).toBe(false);
    expect(r.error?.code).toBe('download_failed');
    expect(r.error?.message).toContain(`connection refused (127.0.0.1:${port})`);
    expect(r.error?.message).not.toContain('fetch failed');
    expect(r.error?.message).toMatch(/fix: .*`fc-macos setup`/);
  });

  it('a file:// mirror without the file: names the file, no raw ENOENT', async () => {
    const env = await makeEnv();
    const mirror = join(env.dir, 'empty-mirror');
    mkdirSync(mirror);
    const r = await env.setup({ assetsUrl: pathToFileURL(mirror).href });
    expect(r.error?.code).toBe('download_failed');
    expect(r.error?.message).toContain(`the mirror has no ${mirror}/firecracker/v1.14.4/`);
    expect(r.error?.message).toContain('(no such file)');
    expect(r.error?.message).not.toContain('ENOENT');
  });
});
