// Where the default rootfs's fc-guest comes from when the package has no prebuilt one: a source
// checkout builds it on the Linux side with that side's compiler; with no sources either, the
// rootfs has none and setup still succeeds. (The prebuilt path is in setup-local.test.ts.)
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSetupState } from '../../src/provision/state.ts';
import { checkExecutable } from '../../src/provision/validate.ts';
import { agentBin, repoRoot } from '../support/paths.ts';
import { makeEnv } from './harness.ts';

/** A package layout: <dir>/dist/fc-agent.mjs, and guest/ sources when asked. */
function packageWithout(dir: string, withSources: boolean): string {
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const bundle = join(dir, 'dist', 'fc-agent.mjs');
  copyFileSync(agentBin, bundle);
  if (withSources) cpSync(join(repoRoot, 'guest'), join(dir, 'guest'), { recursive: true });
  return bundle;
}

function dumpFromExt4(image: string, path: string, out: string): boolean {
  execFileSync('debugfs', ['-R', `dump -p ${path} ${out}`, image], { stdio: 'ignore' });
  try {
    return readFileSync(out).length > 0;
  } catch {
    return false;
  }
}

const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';

describe('fc-guest without a prebuilt binary', () => {
  it('is compiled on the Linux side from guest/ and put into the rootfs', { timeout: 180_000 }, async () => {
    const pkgDir = mkdtempSync(join(tmpdir(), 'fcm-pkg-'));
    const env = await makeEnv({ agentBundle: packageWithout(pkgDir, true) });
    try {
      const r = await env.setup();
      expect(r.error).toBeNull();
      const state = await readSetupState(env.paths);
      expect(state?.installed.rootfs?.source).toMatch(/:guest-src-[0-9a-f]{16}$/);
      const out = join(env.dir, 'fc-guest-built');
      expect(dumpFromExt4(env.provider.layout.rootfs, '/usr/sbin/fc-guest', out)).toBe(true);
      expect(checkExecutable(readFileSync(out), arch)).toEqual({ ok: true });
      // Static: no program interpreter, so it runs in a guest with no libc.
      expect(execFileSync('readelf', ['-l', out]).toString()).not.toContain('INTERP');
    } finally {
      rmSync(pkgDir, { recursive: true, force: true });
    }
  });

  it('with no sources either, the rootfs has none and setup succeeds', { timeout: 180_000 }, async () => {
    const pkgDir = mkdtempSync(join(tmpdir(), 'fcm-pkg-'));
    const env = await makeEnv({ agentBundle: packageWithout(pkgDir, false) });
    try {
      const r = await env.setup();
      expect(r.error).toBeNull();
      expect((await readSetupState(env.paths))?.installed.rootfs?.source).toMatch(/:guest-none$/);
      expect(dumpFromExt4(env.provider.layout.rootfs, '/usr/sbin/fc-guest', join(env.dir, 'none'))).toBe(
        false,
      );
    } finally {
      rmSync(pkgDir, { recursive: true, force: true });
    }
  });
});
