import { join } from 'node:path';
import { ExecError } from '../../host/errors.ts';
import { sha256Bytes, writeRemoteFile } from '../../host/remote-files.ts';
import { ALPINE_VERSION, assetSet, KERNEL_CI_VERSION, KERNEL_VERSION, ROOTFS_SIZE } from '../assets.ts';
import { fileSource, linuxArch, remoteScratch, removeRemote, type SetupContext } from '../context.ts';
import { fetchVerified } from '../fetch-verified.ts';
import { buildRootfsArgv } from '../rootfs/build.ts';
import { INIT_SCRIPT } from '../rootfs/init.ts';
import type { Step } from '../runner.ts';
import { checkExt4, checkKernel, localHead, remoteHead } from '../validate.ts';
import { inspectInstalled, installedStep, refuse } from './common.ts';
import { guestAgentId, guestAgentPlan, stageGuestAgent } from './guest-agent.ts';

async function kernelSource(ctx: SetupContext): Promise<string> {
  return ctx.options.kernel
    ? fileSource(ctx, 'kernel', ctx.options.kernel)
    : `kernel:${KERNEL_CI_VERSION}:${await linuxArch(ctx)}:${KERNEL_VERSION}`;
}

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export function kernelStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  const given = ctx.options.kernel;
  const inspect = async () => {
    const arch = await linuxArch(ctx);
    const rec = ctx.state.installed.kernel;
    const r = await inspectInstalled(
      ctx,
      'kernel',
      layout.kernel,
      (head) => checkKernel(head, arch),
      () => `${rec?.version ?? 'a kernel'} (${layout.kernel})`,
    );
    // A downloaded kernel must still be the pinned one.
    const pin = assetSet(arch, ctx.options.assetsUrl, ctx.options.kernelSha256).kernel.sha256;
    if (r.ok && rec?.source.startsWith('kernel:') && rec.sha256 !== pin)
      return {
        ok: false,
        detail: `${layout.kernel} is not the pinned kernel (sha256 ${pin})`,
        fix: 'fc-macos setup --force',
      };
    return r;
  };
  return installedStep(ctx, {
    id: 'kernel',
    title: given ? 'guest kernel (given file)' : `guest kernel ${KERNEL_VERSION}`,
    path: layout.kernel,
    source: () => kernelSource(ctx),
    inspect,
    async install(progress) {
      const arch = await linuxArch(ctx);
      let local = given;
      if (!local) {
        const spec = assetSet(arch, ctx.options.assetsUrl, ctx.options.kernelSha256).kernel;
        local = await fetchVerified(ctx.paths, spec, ctx.fetch, progress);
      }
      const verdict = checkKernel(await localHead(local), arch);
      if (!verdict.ok) {
        throw refuse(
          Boolean(given),
          given ? `--kernel ${given}` : `the downloaded kernel ${local}`,
          verdict.why,
          arch === 'aarch64'
            ? 'give an uncompressed arm64 Image (`fc-macos setup --kernel FILE`)'
            : 'give an uncompressed ELF vmlinux, not a bzImage (`fc-macos setup --kernel FILE`)',
        );
      }
      progress('installing');
      await p.copyIn(local, layout.kernel, { mode: 0o644, root });
      return given
        ? `given file ${fileName(given)}`
        : `Linux ${KERNEL_VERSION} (Firecracker CI ${KERNEL_CI_VERSION})`;
    },
  });
}

async function rootfsSource(ctx: SetupContext): Promise<string> {
  if (ctx.options.rootfs) return fileSource(ctx, 'rootfs', ctx.options.rootfs);
  const guest = guestAgentId(await guestAgentPlan(ctx));
  return `alpine:${ALPINE_VERSION}:${await linuxArch(ctx)}:init-${sha256Bytes(INIT_SCRIPT).slice(0, 16)}:${guest}`;
}

export function rootfsStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  const given = ctx.options.rootfs;
  const inspect = () =>
    inspectInstalled(ctx, 'rootfs', layout.rootfs, checkExt4, () => {
      const rec = ctx.state.installed.rootfs;
      return `${rec?.version ?? 'an ext4 image'} (${layout.rootfs})`;
    });
  return installedStep(ctx, {
    id: 'rootfs',
    title: given ? 'rootfs (given file)' : `default rootfs (Alpine ${ALPINE_VERSION})`,
    path: layout.rootfs,
    source: () => rootfsSource(ctx),
    inspect,
    async install(progress) {
      if (given) {
        const verdict = checkExt4(await localHead(given));
        if (!verdict.ok)
          throw refuse(
            true,
            `--rootfs ${given}`,
            verdict.why,
            'give an ext4 image (`mkfs.ext4 -d DIR FILE SIZE` makes one)',
          );
        progress(`copying ${given}`);
        await p.copyIn(given, layout.rootfs, { mode: 0o644, root });
        return `given file ${fileName(given)}`;
      }
      const spec = assetSet(await linuxArch(ctx), ctx.options.assetsUrl).alpine;
      const tarball = await fetchVerified(ctx.paths, spec, ctx.fetch, progress);
      const scratch = remoteScratch(ctx, 'rootfs');
      try {
        progress('building the ext4 image');
        const remoteTarball = join(scratch, spec.fileName);
        const init = join(scratch, 'init');
        const image = join(scratch, 'rootfs.ext4');
        await p.copyIn(tarball, remoteTarball, { mode: 0o600, root });
        await writeRemoteFile((a, o) => p.exec(a, o), init, INIT_SCRIPT, { mode: 0o755, root });
        const remoteGuest = await stageGuestAgent(ctx, await guestAgentPlan(ctx), scratch, progress);
        const argv = buildRootfsArgv({
          ...(remoteGuest ? { guest: remoteGuest } : {}),
          tarball: remoteTarball,
          init,
          out: image,
          size: ROOTFS_SIZE,
          workDir: join(scratch, 'build'),
        });
        const res = await p.exec(argv, { root, timeoutMs: 300_000 });
        if (res.exitCode !== 0)
          throw new ExecError(argv.slice(0, 2), res.exitCode, res.stderr, 'building the rootfs');
        const head = await remoteHead(p.exec.bind(p), image, root);
        const verdict = head ? checkExt4(head) : { ok: false as const, why: 'is missing' };
        if (!verdict.ok)
          throw refuse(false, `the built rootfs ${image}`, verdict.why, 'fc-macos setup --force');
        const mv = ['mv', '-f', image, layout.rootfs];
        const moved = await p.exec(
          ['sh', '-c', 'mkdir -p "$(dirname "$2")" && mv -f "$1" "$2"', 'fc-macos-mv', image, layout.rootfs],
          { root },
        );
        if (moved.exitCode !== 0)
          throw new ExecError(mv, moved.exitCode, moved.stderr, `installing ${layout.rootfs}`);
      } finally {
        await removeRemote(ctx, scratch);
      }
      return `Alpine ${ALPINE_VERSION} with fc-macos /init`;
    },
  });
}
