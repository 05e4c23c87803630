import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/config/config.ts';
import { readToken } from '../../src/config/token.ts';
import { sha256File } from '../../src/host/remote-files.ts';
import { INIT_SCRIPT } from '../../src/provision/rootfs/init.ts';
import { readSetupState } from '../../src/provision/state.ts';
import { firecrackerScript, sha256 } from '../support/assets.ts';
import { guestBin } from '../support/paths.ts';
import { ext4Cat, makeEnv } from './harness.ts';

describe('setup with the local provider against a local asset mirror', () => {
  it('installs every layer, starts a healthy agent, and a second run does nothing', async () => {
    const env = await makeEnv();
    const first = await env.setup();
    expect(first.error).toBeNull();
    expect(first.ok).toBe(true);
    expect(first.agent_url).toBe(`http://127.0.0.1:${env.port}`);
    expect(first.steps.map((s) => s.id)).toEqual([
      'host',
      'kvm',
      'node',
      'firecracker',
      'kernel',
      'rootfs',
      'agent',
    ]);
    expect(first.steps.filter((s) => s.status === 'done').map((s) => s.id)).toEqual([
      'firecracker',
      'kernel',
      'rootfs',
      'agent',
    ]);

    const l = env.provider.layout;
    expect(readFileSync(l.firecrackerBin, 'utf8')).toBe(firecrackerScript());
    expect(statSync(l.firecrackerBin).mode & 0o777).toBe(0o755);
    expect(existsSync(l.jailerBin)).toBe(true);
    expect(readFileSync(l.kernel).equals(env.assets.kernelBytes)).toBe(true);
    expect(ext4Cat(l.rootfs, '/init')).toBe(INIT_SCRIPT);
    expect(ext4Cat(l.rootfs, '/etc/os-release')).toContain('Alpine Linux (test)');
    // The guest agent for this machine's architecture, byte-identical, executable.
    const guestCopy = join(env.dir, 'fc-guest-from-rootfs');
    execFileSync('debugfs', ['-R', `dump -p /usr/sbin/fc-guest ${guestCopy}`, l.rootfs], { stdio: 'ignore' });
    expect(await sha256File(guestCopy)).toBe(await sha256File(guestBin));
    expect(statSync(guestCopy).mode & 0o777).toBe(0o755);
    expect(await sha256File(l.agentBundle)).toBe(await sha256File(env.agentBundle));

    // The token: 0600 on both sides, the same value, and the agent accepts it.
    const token = await readToken(env.paths, {});
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(statSync(env.paths.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(l.tokenFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(l.tokenFile, 'utf8').trim()).toBe(token);
    const res = await fetch(`${first.agent_url}/agent/version`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);

    expect(await readConfigFile(env.paths)).toEqual({ provider: 'local', agent_port: env.port });
    const state = await readSetupState(env.paths);
    expect(Object.keys(state?.steps ?? {}).sort()).toEqual(
      ['agent', 'firecracker', 'host', 'kernel', 'kvm', 'node', 'rootfs'].sort(),
    );

    const requestsBefore = env.server.requests.length;
    const second = await env.setup();
    expect(second.ok).toBe(true);
    expect(second.steps.every((s) => s.status === 'skipped')).toBe(true);
    // Nothing downloaded again (the kernel has no checksum file; the others' are re-read only on install).
    expect(env.server.requests.length).toBe(requestsBefore);
  });

  it('uses given files instead of downloading (--firecracker-bin, --kernel, --rootfs)', async () => {
    const env = await makeEnv();
    const fc = join(env.dir, 'my-firecracker');
    const kernel = join(env.dir, 'my-vmlinux');
    const rootfs = join(env.dir, 'my-rootfs.ext4');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(fc, firecrackerScript(), { mode: 0o755 });
    writeFileSync(kernel, 'kernel bytes');
    writeFileSync(rootfs, 'rootfs bytes');
    const r = await env.setup({
      firecrackerBin: fc,
      kernel,
      rootfs,
      assetsUrl: 'http://127.0.0.1:9/unreachable',
    });
    expect(r.error).toBeNull();
    expect(env.server.requests).toEqual([]);
    expect(readFileSync(env.provider.layout.kernel, 'utf8')).toBe('kernel bytes');
    expect(readFileSync(env.provider.layout.rootfs, 'utf8')).toBe('rootfs bytes');
  });

  it('refuses a corrupted Firecracker download, installs nothing, and resumes there once it is fixed', async () => {
    const env = await makeEnv();
    const tgz = `/firecracker/v1.14.4/firecracker-v1.14.4-${env.assets.arch}.tgz`;
    env.server.override.set(tgz, Buffer.from('not the release tarball'));
    const bad = await env.setup();
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatchObject({ code: 'checksum_mismatch', step: 'firecracker' });
    expect(bad.error?.message).toContain('sha256 mismatch');
    expect(bad.error?.message).toContain(sha256('not the release tarball'));
    expect(existsSync(env.provider.layout.firecrackerBin)).toBe(false);
    expect(bad.steps.map((s) => s.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'failed',
      'pending',
      'pending',
      'pending',
    ]);
    expect((await readSetupState(env.paths))?.last_error?.step).toBe('firecracker');

    env.server.override.delete(tgz);
    const good = await env.setup();
    expect(good.error).toBeNull();
    expect(good.steps.map((s) => s.status)).toEqual([
      'skipped',
      'skipped',
      'skipped',
      'done',
      'done',
      'done',
      'done',
    ]);
    expect((await readSetupState(env.paths))?.last_error).toBeNull();
  });

  it('reports a missing download with its URL', async () => {
    const env = await makeEnv();
    env.server.override.set(`/kernel/v1.14/${env.assets.arch}/vmlinux-6.1.155`, 404);
    const r = await env.setup();
    expect(r.error).toMatchObject({ code: 'download_failed', step: 'kernel' });
    expect(r.error?.message).toContain(`${env.server.url}/kernel/v1.14/${env.assets.arch}/vmlinux-6.1.155`);
    expect(r.error?.message).toContain('HTTP 404');
  });

  it('pins the kernel sha256 on first download and refuses a changed kernel later', async () => {
    const env = await makeEnv();
    expect((await env.setup()).ok).toBe(true);
    const manifest = JSON.parse(readFileSync(join(env.paths.stateDir, 'assets', 'manifest.json'), 'utf8'));
    const id = `kernel/v1.14/${env.assets.arch}/vmlinux-6.1.155`;
    expect(manifest.assets[id].sha256).toBe(sha256(env.assets.kernelBytes));

    // The mirror now serves different bytes under the same name; the cached copy is gone.
    const { rmSync } = await import('node:fs');
    rmSync(join(env.paths.stateDir, 'assets', id));
    env.server.override.set(`/${id}`, Buffer.from('a different kernel'));
    const r = await env.setup({ force: true });
    expect(r.error).toMatchObject({ code: 'checksum_mismatch', step: 'kernel' });
    expect(r.error?.message).toContain('manifest.json');
    // The installed kernel is still the pinned one.
    expect(readFileSync(env.provider.layout.kernel).equals(env.assets.kernelBytes)).toBe(true);
  });

  it('notices a changed file on the Linux side and reinstalls only that', async () => {
    const env = await makeEnv();
    expect((await env.setup()).ok).toBe(true);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(env.provider.layout.kernel, 'tampered');
    const r = await env.setup();
    expect(r.steps.map((s) => [s.id, s.status])).toEqual([
      ['host', 'skipped'],
      ['kvm', 'skipped'],
      ['node', 'skipped'],
      ['firecracker', 'skipped'],
      ['kernel', 'done'],
      ['rootfs', 'skipped'],
      ['agent', 'skipped'],
    ]);
    expect(readFileSync(env.provider.layout.kernel).equals(env.assets.kernelBytes)).toBe(true);
  });
});
