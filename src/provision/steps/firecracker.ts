// Firecracker (and the jailer) on the Linux side: from the release tarball (checked against its
// .sha256.txt) or a file given with --firecracker-bin. Either way the binary is checked before it
// replaces anything: an ELF executable for the Linux side's architecture that answers --version
// with 1.14 or newer. It lands under a temp name first and is renamed into place only then, so a
// bad file leaves a working installation exactly as it was.
import { join } from 'node:path';
import { ExecError } from '../../host/errors.ts';
import { assetSet, FIRECRACKER_VERSION, firecrackerTarballMembers } from '../assets.ts';
import { fileSource, linuxArch, remoteScratch, removeRemote, type SetupContext } from '../context.ts';
import { fetchVerified } from '../fetch-verified.ts';
import type { Step } from '../runner.ts';
import { checkExecutable, checkFirecrackerVersion, localHead, remoteHead } from '../validate.ts';
import { inspectInstalled, installedStep, refuse } from './common.ts';

const RELEASES = 'https://github.com/firecracker-microvm/firecracker/releases';

async function firecrackerSource(ctx: SetupContext): Promise<string> {
  return ctx.options.firecrackerBin
    ? fileSource(ctx, 'firecracker', ctx.options.firecrackerBin)
    : `release:${FIRECRACKER_VERSION}:${await linuxArch(ctx)}`;
}

/** `path --version` on the Linux side, checked: the version string, or the refusal. */
async function versionOf(ctx: SetupContext, path: string): Promise<{ version: string } | { why: string }> {
  const res = await ctx.provider.exec([path, '--version'], { timeoutMs: 30_000 });
  if (res.exitCode !== 0) {
    const how = res.exitCode > 128 ? `died of signal ${res.exitCode - 128}` : `exit ${res.exitCode}`;
    return {
      why: `does not run on the Linux side (--version: ${how}${res.stderr.trim() ? `: ${res.stderr.trim().slice(0, 200)}` : ''})`,
    };
  }
  const v = checkFirecrackerVersion(res.stdout);
  return v.ok && v.version ? { version: v.version } : { why: v.ok ? 'has no version' : v.why };
}

const INSTALL_SCRIPT = `set -eu
src=$1; dst=$2
install -m 0755 "$src" "$dst.new"
mv -f "$dst.new" "$dst"
`;

export function firecrackerStep(ctx: SetupContext): Step {
  const p = ctx.provider;
  const layout = p.layout;
  const root = p.agentDirNeedsRoot;
  const given = ctx.options.firecrackerBin;
  const inspect = async () => {
    const arch = await linuxArch(ctx);
    let version = '';
    return inspectInstalled(
      ctx,
      'firecracker',
      layout.firecrackerBin,
      async (head) => {
        const elf = checkExecutable(head, arch);
        if (!elf.ok) return elf;
        const v = await versionOf(ctx, layout.firecrackerBin);
        if ('why' in v) return { ok: false, why: v.why };
        version = v.version;
        return { ok: true };
      },
      () => `Firecracker ${version} (${layout.firecrackerBin})`,
    );
  };
  /** Checks the candidate at `path` on the Linux side; throws the refusal naming `what`. */
  const verify = async (path: string, what: string): Promise<string> => {
    const arch = await linuxArch(ctx);
    const fix = given
      ? `give a Firecracker ${FIRECRACKER_VERSION.replace(/\.\d+$/, '')}+ binary for ${arch} (releases: ${RELEASES}), e.g. \`fc-macos setup --firecracker-bin FILE\``
      : 'check the mirror given to --assets-url (layout in docs/setup.md)';
    const head = await remoteHead(p.exec.bind(p), path, root);
    const elf = head ? checkExecutable(head, arch) : { ok: false as const, why: 'is missing' };
    if (!elf.ok) throw refuse(Boolean(given), what, elf.why, fix);
    const v = await versionOf(ctx, path);
    if ('why' in v) throw refuse(Boolean(given), what, v.why, fix);
    return v.version;
  };
  return installedStep(ctx, {
    id: 'firecracker',
    title: given ? 'Firecracker (given binary)' : `Firecracker ${FIRECRACKER_VERSION}`,
    path: layout.firecrackerBin,
    source: () => firecrackerSource(ctx),
    inspect,
    async install(progress) {
      const arch = await linuxArch(ctx);
      const scratch = remoteScratch(ctx, 'firecracker');
      let version: string;
      try {
        let candidate: string;
        let jailer: string | null = null;
        if (given) {
          // The header first, here: a wrong file is refused before any byte is copied.
          const elf = checkExecutable(await localHead(given), arch);
          if (!elf.ok)
            throw refuse(
              true,
              `--firecracker-bin ${given}`,
              elf.why,
              `give a Firecracker binary for ${arch} (releases: ${RELEASES})`,
            );
          progress(`copying ${given}`);
          candidate = join(scratch, 'firecracker');
          await p.copyIn(given, candidate, { mode: 0o755, root });
        } else {
          const spec = assetSet(arch, ctx.options.assetsUrl).firecracker;
          const tarball = await fetchVerified(ctx.paths, spec, ctx.fetch, progress);
          progress('unpacking');
          const remoteTarball = join(scratch, spec.fileName);
          await p.copyIn(tarball, remoteTarball, { mode: 0o600, root });
          const argv = ['tar', '-xzf', remoteTarball, '-C', scratch];
          const res = await p.exec(argv, { root, timeoutMs: 120_000 });
          if (res.exitCode !== 0)
            throw new ExecError(argv, res.exitCode, res.stderr, 'unpacking the Firecracker release');
          const members = firecrackerTarballMembers(arch);
          candidate = join(scratch, members.firecracker);
          jailer = join(scratch, members.jailer);
        }
        progress('checking the binary');
        version = await verify(
          candidate,
          given ? `--firecracker-bin ${given}` : `firecracker in ${FIRECRACKER_VERSION}'s release`,
        );
        progress('installing');
        const installs: Array<[string, string]> = [[candidate, layout.firecrackerBin]];
        if (jailer && (await remoteHead(p.exec.bind(p), jailer, root, 4)))
          installs.push([jailer, layout.jailerBin]);
        for (const [src, dst] of installs) {
          const argv = ['sh', '-c', INSTALL_SCRIPT, 'fc-macos-install', src, dst];
          const res = await p.exec(['mkdir', '-p', layout.binDir], { root });
          if (res.exitCode !== 0)
            throw new ExecError(['mkdir'], res.exitCode, res.stderr, `creating ${layout.binDir}`);
          const r = await p.exec(argv, { root });
          if (r.exitCode !== 0)
            throw new ExecError(argv.slice(0, 2), r.exitCode, r.stderr, `installing ${dst}`);
        }
      } finally {
        await removeRemote(ctx, scratch);
      }
      return `Firecracker ${version}`;
    },
  });
}
