// GET /agent/version: what the agent runs with, and whether this host can run microVMs at all.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { arch, userInfo } from 'node:os';
import type { VersionResponse } from '../api/schemas.ts';
import { VERSION } from '../version.ts';

export const KVM_DEVICE = '/dev/kvm';

/** Cached by path and the binary's identity (mtime, size): replacing the binary refreshes it. */
const versionCache = new Map<string, { key: string; version: Promise<string | null> }>();

export async function systemInfo(firecrackerPath: string): Promise<VersionResponse> {
  const [firecracker, kvm] = await Promise.all([firecrackerVersion(firecrackerPath), kvmStatus()]);
  return {
    agent: VERSION,
    firecracker,
    firecracker_path: firecrackerPath,
    arch: linuxArch(arch()),
    kvm,
  };
}

/** "Firecracker v1.14.4" → "1.14.4"; null when the binary is missing or does not answer. */
export async function firecrackerVersion(binary: string): Promise<string | null> {
  let key: string;
  try {
    const s = await stat(binary);
    key = `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    versionCache.delete(binary);
    return null;
  }
  const cached = versionCache.get(binary);
  if (cached && cached.key === key) return cached.version;
  const version = runVersion(binary);
  versionCache.set(binary, { key, version });
  const result = await version;
  // A failure may be transient (e.g. the binary was being copied): try again next time.
  if (result === null) versionCache.delete(binary);
  return result;
}

export function parseFirecrackerVersion(output: string): string | null {
  const m = /Firecracker v?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)/.exec(output);
  return m?.[1] ?? null;
}

function runVersion(binary: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], { timeout: 5000, maxBuffer: 64 * 1024 }, (err, stdout) => {
      resolve(err ? null : parseFirecrackerVersion(String(stdout)));
    });
  });
}

export function linuxArch(nodeArch: string): string {
  if (nodeArch === 'x64') return 'x86_64';
  if (nodeArch === 'arm64') return 'aarch64';
  return nodeArch;
}

export async function kvmStatus(device = KVM_DEVICE): Promise<{ usable: boolean; detail: string }> {
  try {
    const handle = await open(device, constants.O_RDWR);
    await handle.close();
    return { usable: true, detail: `${device} is present and can be opened read-write` };
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    if (code === 'ENOENT') {
      return {
        usable: false,
        detail: `${device} is missing: KVM is not available here (on a Mac, the Linux VM needs nested virtualization; on Linux, load the kvm_intel or kvm_amd module)`,
      };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      const user = safeUserName();
      return {
        usable: false,
        detail: `permission denied opening ${device}: add ${user} to the kvm group (sudo usermod -aG kvm ${user}) and log in again, then restart fc-agent`,
      };
    }
    return { usable: false, detail: `cannot open ${device}: ${code || String(err)}` };
  }
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return '$USER';
  }
}
