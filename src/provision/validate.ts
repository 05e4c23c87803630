// What makes a file fit to install, read from its own bytes: Firecracker is an ELF executable for
// the Linux side's architecture that says it is 1.14 or newer; a guest kernel is uncompressed for
// that architecture (an ELF vmlinux on x86_64, an arm64 `Image` on aarch64, as Firecracker loads
// them); a rootfs is an ext4 image. Setup checks given files and downloads with these before
// anything is installed, and doctor checks the installed files with the same functions.
import { open } from 'node:fs/promises';
import type { LinuxArch } from '../host/provider.ts';
import type { ExecFn } from '../host/remote-files.ts';

/** Bytes read from the start of a file: enough for the ELF and Image headers and ext4's superblock. */
export const HEAD_BYTES = 2048;

/** The oldest Firecracker whose API the agent speaks. */
export const MIN_FIRECRACKER = { major: 1, minor: 14 } as const;

const ELF_MACHINE: Record<LinuxArch, number> = { x86_64: 0x3e, aarch64: 0xb7 };
const ELF_TYPES: Record<number, string> = {
  1: 'relocatable object',
  2: 'executable',
  3: 'shared object',
  4: 'core dump',
};
const MACHINE_NAMES: Record<number, string> = {
  3: 'i386',
  40: 'arm',
  62: 'x86_64',
  183: 'aarch64',
  243: 'riscv',
};

export type Verdict = { ok: true } | { ok: false; why: string };

function elfMachine(head: Buffer): number | null {
  if (head.length < 20 || head.toString('latin1', 0, 4) !== '\x7fELF') return null;
  // e_machine sits at 18 in both ELF32 and ELF64; byte 5 says its endianness.
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

function describeMachine(m: number): string {
  return MACHINE_NAMES[m] ?? `machine 0x${m.toString(16)}`;
}

/** An ELF64 executable (ET_EXEC or PIE ET_DYN) for arch. */
export function checkExecutable(head: Buffer, arch: LinuxArch): Verdict {
  const machine = elfMachine(head);
  if (machine === null) return { ok: false, why: `is not an ELF executable (${sniff(head)})` };
  if (head[4] !== 2) return { ok: false, why: 'is a 32-bit ELF; Firecracker is 64-bit' };
  if (machine !== ELF_MACHINE[arch])
    return { ok: false, why: `is built for ${describeMachine(machine)}, the Linux side is ${arch}` };
  const type = head[5] === 2 ? head.readUInt16BE(16) : head.readUInt16LE(16);
  if (type !== 2 && type !== 3)
    return { ok: false, why: `is an ELF ${ELF_TYPES[type] ?? `of type ${type}`}, not an executable` };
  return { ok: true };
}

/** arm64 Image header: "ARM\x64" at offset 0x38 (Linux's Documentation/arch/arm64/booting.rst). */
const ARM64_MAGIC = 0x644d5241;

export function checkKernel(head: Buffer, arch: LinuxArch): Verdict {
  if (arch === 'aarch64') {
    if (head.length >= 0x3c && head.readUInt32LE(0x38) === ARM64_MAGIC) return { ok: true };
    const machine = elfMachine(head);
    if (machine !== null)
      return {
        ok: false,
        why: `is an ELF vmlinux (${describeMachine(machine)}); Firecracker on aarch64 boots an uncompressed arm64 Image`,
      };
    return {
      ok: false,
      why: `is not an uncompressed arm64 Image (no "ARM\\x64" magic at 0x38; ${sniff(head)})`,
    };
  }
  const machine = elfMachine(head);
  if (machine === null)
    return { ok: false, why: `is not an uncompressed ELF vmlinux (${sniff(head)}); a bzImage does not boot` };
  if (machine !== ELF_MACHINE.x86_64)
    return { ok: false, why: `is a kernel for ${describeMachine(machine)}, the Linux side is x86_64` };
  return { ok: true };
}

/** ext2/3/4 superblock at 1024, magic 0xEF53 at +0x38. */
export function checkExt4(head: Buffer): Verdict {
  if (head.length >= 1024 + 0x3a && head.readUInt16LE(1024 + 0x38) === 0xef53) return { ok: true };
  return { ok: false, why: `is not an ext4 image (no ext4 superblock magic at byte 1080; ${sniff(head)})` };
}

/** A hint of what the file is instead, for the error. */
function sniff(head: Buffer): string {
  if (head.length === 0) return 'it is empty';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'it is gzip-compressed';
  if (head.toString('latin1', 0, 2) === '#!') return 'it is a script';
  if (head.toString('latin1', 0x202, 0x206) === 'HdrS') return 'it is a compressed bzImage';
  if (head.toString('latin1', 0, 4) === '\x7fELF') return 'an ELF file';
  return `it starts with ${head.subarray(0, 4).toString('hex')}`;
}

/** "Firecracker v1.14.4" → [1, 14, 4]; null when the text has no Firecracker version. */
export function parseFirecrackerVersion(text: string): [number, number, number] | null {
  const m = /Firecracker v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function checkFirecrackerVersion(stdout: string): Verdict & { version?: string } {
  const v = parseFirecrackerVersion(stdout);
  if (!v)
    return {
      ok: false,
      why: `answered --version with "${stdout.trim().slice(0, 80)}", not a Firecracker version`,
    };
  const [major, minor] = v;
  const version = `v${v.join('.')}`;
  if (major < MIN_FIRECRACKER.major || (major === MIN_FIRECRACKER.major && minor < MIN_FIRECRACKER.minor))
    return {
      ok: false,
      why: `is Firecracker ${version}; fc-macos needs ${MIN_FIRECRACKER.major}.${MIN_FIRECRACKER.minor} or newer`,
    };
  return { ok: true, version };
}

export async function localHead(path: string, n = HEAD_BYTES): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The first n bytes of a file on the Linux side (od is in every base system); null when missing. */
export async function remoteHead(
  exec: ExecFn,
  path: string,
  root: boolean,
  n = HEAD_BYTES,
): Promise<Buffer | null> {
  const res = await exec(
    ['sh', '-c', 'test -f "$1" && od -An -v -tx1 -N "$2" "$1"', 'fc-macos-head', path, String(n)],
    {
      root,
    },
  );
  if (res.exitCode !== 0) return null;
  return Buffer.from(res.stdout.replace(/\s+/g, ''), 'hex');
}
