// Where the default rootfs's guest agent (fc-guest) comes from. The packed package ships static
// builds for both architectures in dist/guest; a source checkout without a cross compiler has only
// guest/*.c, and then fc-guest is compiled on the Linux side with its own compiler, as the last
// resort before a rootfs without a guest agent (which setup says, with the fix).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExecError } from '../../host/errors.ts';
import { remoteSha256, sha256Bytes, sha256File } from '../../host/remote-files.ts';
import { linuxArch, type SetupContext } from '../context.ts';
import { ProvisionError } from '../errors.ts';
import { checkExecutable, remoteHead } from '../validate.ts';

export type GuestAgentPlan =
  | { kind: 'prebuilt'; path: string; sha256: string }
  | { kind: 'source'; dir: string; files: string[]; sha256: string }
  | { kind: 'none'; why: string; fix: string };

/** Flags as scripts/build-guest.mjs uses them, less -Werror (another compiler may warn more). */
const CFLAGS = ['-std=gnu11', '-D_GNU_SOURCE', '-Os', '-static', '-ffunction-sections', '-fdata-sections'];
const LDFLAGS = ['-Wl,--gc-sections', '-s'];

async function hasCompiler(ctx: SetupContext): Promise<boolean> {
  const res = await ctx.provider.exec(['cc', '--version']).catch(() => null);
  return res?.exitCode === 0;
}

/** What setup will put into the rootfs as /usr/sbin/fc-guest. Reads only; builds nothing. */
export async function guestAgentPlan(ctx: SetupContext): Promise<GuestAgentPlan> {
  const arch = await linuxArch(ctx);
  const prebuilt = join(dirname(ctx.agentBundle), 'guest', `fc-guest-${arch}`);
  if (existsSync(prebuilt)) return { kind: 'prebuilt', path: prebuilt, sha256: await sha256File(prebuilt) };
  const dir = join(dirname(ctx.agentBundle), '..', 'guest');
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.[ch]$/.test(f))
        .sort()
    : [];
  if (!files.includes('fc-guest.c')) {
    return {
      kind: 'none',
      why: `no prebuilt fc-guest for ${arch} beside ${ctx.agentBundle} and no sources to build it from`,
      fix: 'npm run build (in a checkout with gcc-aarch64-linux-gnu), then fc-macos setup',
    };
  }
  if (!(await hasCompiler(ctx))) {
    return {
      kind: 'none',
      why: `no prebuilt fc-guest for ${arch}, and the Linux side has no C compiler to build it`,
      fix: 'install one on the Linux side (fc-macos vm shell, then: sudo apt-get install -y gcc libc6-dev), then fc-macos setup',
    };
  }
  const digest = sha256Bytes(files.map((f) => `${f}\0${readFileSync(join(dir, f), 'utf8')}`).join('\0'));
  return { kind: 'source', dir, files, sha256: digest };
}

/** The part of the rootfs's source id that changes when the guest agent does. */
export function guestAgentId(plan: GuestAgentPlan): string {
  if (plan.kind === 'prebuilt') return `guest-${plan.sha256.slice(0, 16)}`;
  if (plan.kind === 'source') return `guest-src-${plan.sha256.slice(0, 16)}`;
  return 'guest-none';
}

/**
 * Puts fc-guest into scratch on the Linux side (copied and checked by sha256, or compiled there and
 * checked to be an executable for the guest's architecture); returns its path, or undefined when
 * the plan has none.
 */
export async function stageGuestAgent(
  ctx: SetupContext,
  plan: GuestAgentPlan,
  scratch: string,
  progress: (message: string) => void,
): Promise<string | undefined> {
  const p = ctx.provider;
  const root = p.agentDirNeedsRoot;
  const exec = (a: string[], o?: { root?: boolean }) => p.exec(a, o);
  const out = join(scratch, 'fc-guest');
  if (plan.kind === 'none') {
    progress(
      `${plan.why}: the rootfs gets no guest agent (exec, cp and a clean stop need it); fix: ${plan.fix}`,
    );
    return undefined;
  }
  if (plan.kind === 'prebuilt') {
    progress('adding the guest agent fc-guest');
    await p.copyIn(plan.path, out, { mode: 0o755, root });
    const got = await remoteSha256(exec, out, root);
    if (got !== plan.sha256) {
      throw new ProvisionError(
        'checksum_mismatch',
        `fc-guest copied to the Linux side has sha256 ${got ?? '(missing)'}, expected ${plan.sha256}`,
        'fc-macos setup --force',
      );
    }
    return out;
  }
  const arch = await linuxArch(ctx);
  progress(`no prebuilt fc-guest for ${arch}: building it on the Linux side with its own compiler (cc)`);
  const src = join(scratch, 'fc-guest-src');
  for (const f of plan.files) await p.copyIn(join(plan.dir, f), join(src, f), { mode: 0o644, root });
  const argv = [
    'cc',
    ...CFLAGS,
    '-o',
    out,
    ...plan.files.filter((f) => f.endsWith('.c')).map((f) => join(src, f)),
    ...LDFLAGS,
  ];
  const res = await p.exec(argv, { root, timeoutMs: 600_000 });
  if (res.exitCode !== 0)
    throw new ExecError(['cc', 'fc-guest'], res.exitCode, res.stderr, 'building fc-guest');
  const head = await remoteHead(p.exec.bind(p), out, root);
  const verdict = head ? checkExecutable(head, arch) : { ok: false as const, why: 'is missing' };
  if (!verdict.ok) {
    throw new ProvisionError(
      'step_failed',
      `fc-guest built on the Linux side ${verdict.why}`,
      'install gcc and libc6-dev on the Linux side (static libc), then fc-macos setup',
    );
  }
  return out;
}
