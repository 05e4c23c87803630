import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/config/config.ts';
import { readToken } from '../../src/config/token.ts';
import { sha256File } from '../../src/host/remote-files.ts';
import { KERNEL_SHA256 } from '../../src/provision/assets.ts';
import { INIT_SCRIPT } from '../../src/provision/rootfs/init.ts';
import { readSetupState } from '../../src/provision/state.ts';
import { firecrackerElf, sha256 } from '../support/assets.ts';
import { haltLoopElf } from '../support/kernel.ts';
import { guestBin } from '../support/paths.ts';
import { ext4Cat, makeEnv, makeExt4 } from './harness.ts';

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
    // The first setup did every step: none is "already done" (KVM and Node were in place).
    expect(first.steps.map((s) => [s.id, s.status, s.detail])).toEqual([
      ['host', 'done', 'in place'],
      ['kvm', 'done', 'in place'],
      ['node', 'done', 'in place'],
      ['firecracker', 'done', ''],
      ['kernel', 'done', ''],
      ['rootfs', 'done', ''],
      ['agent', 'done', ''],
    ]);
    expect(first.already_set_up).toBe(false);
    expect(first.versions).toMatchObject({
      firecracker: 'Firecracker v1.14.4',
      kernel: 'Linux 6.1.155 (Firecracker CI v1.14)',
      rootfs: 'Alpine 3.24.1 with fc-macos /init',
      agent: expect.stringMatching(/^fc-agent \d+\.\d+\.\d+/),
    });

    const l = env.provider.layout;
    expect(readFileSync(l.firecrackerBin).equals(firecrackerElf())).toBe(true);
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
    const stateFile = join(env.paths.stateDir, 'setup-state.json');
    const before = [stateFile, env.paths.configFile, env.paths.tokenFile].map((f) => statSync(f).mtimeMs);
    const second = await env.setup();
    expect(second.ok).toBe(true);
    expect(second.steps.every((s) => s.status === 'skipped')).toBe(true);
    expect(second.already_set_up).toBe(true);
    expect(second.versions).toEqual(first.versions);
    // Nothing to do changes no file, the state file included.
    expect([stateFile, env.paths.configFile, env.paths.tokenFile].map((f) => statSync(f).mtimeMs)).toEqual(
      before,
    );
    // Nothing downloaded again (the kernel has no checksum file; the others' are re-read only on install).
    expect(env.server.requests.length).toBe(requestsBefore);
  });

  it('uses given files instead of downloading (--firecracker-bin, --kernel, --rootfs)', async () => {
    const env = await makeEnv();
    const fc = join(env.dir, 'my-firecracker');
    const kernel = join(env.dir, 'my-vmlinux');
    const rootfs = join(env.dir, 'my-rootfs.ext4');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(fc, firecrackerElf(), { mode: 0o755 });
    writeFileSync(kernel, haltLoopElf());
    makeExt4(rootfs);
    const r = await env.setup({
      firecrackerBin: fc,
      kernel,
      rootfs,
      assetsUrl: 'http://127.0.0.1:9/unreachable',
    });
    expect(r.error).toBeNull();
    expect(env.server.requests).toEqual([]);
    expect(readFileSync(env.provider.layout.kernel).equals(haltLoopElf())).toBe(true);
    expect(readFileSync(env.provider.layout.rootfs).equals(readFileSync(rootfs))).toBe(true);
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
      'done',
      'done',
      'done',
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

  it('refuses a downloaded kernel that is not the pinned one, naming the expected sha256', async () => {
    const env = await makeEnv();
    expect((await env.setup()).ok).toBe(true);
    // The published pins (no test override): the mirror's generated kernel is not Firecracker's.
    const r = await env.setup({ force: true, kernelSha256: undefined });
    expect(r.error).toMatchObject({ code: 'checksum_mismatch', step: 'kernel' });
    expect(r.error?.message).toContain(`expected ${KERNEL_SHA256[env.assets.arch]}`);
    expect(r.error?.message).toContain(sha256(env.assets.kernelBytes));
    expect(r.error?.message).toContain('nothing was installed');
    // The installed kernel is still the one installed before.
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
