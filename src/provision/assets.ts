// The pinned assets setup downloads, and where from. Upstream URLs by default; with --assets-url a
// mirror base replaces every host (layout in docs/setup.md).
import type { LinuxArch } from '../host/provider.ts';

/** Firecracker release (>= 1.14; the API version the agent speaks). */
export const FIRECRACKER_VERSION = 'v1.14.4';
/** Guest kernel from Firecracker's CI artifacts for the 1.14 line (getting-started guide). */
export const KERNEL_CI_VERSION = 'v1.14';
export const KERNEL_VERSION = '6.1.155';
/** Alpine minirootfs for the default rootfs. */
export const ALPINE_BRANCH = 'v3.24';
export const ALPINE_VERSION = '3.24.1';
/** Size of the default rootfs image (sparse). */
export const ROOTFS_SIZE = '512M';

/**
 * The sha256 of Firecracker's CI kernels for the 1.14 line, as published with them. The kernel has
 * no checksum file next to it, so the values live here: a download (from upstream or a mirror)
 * must match them, or nothing is installed.
 */
export const KERNEL_SHA256: Record<LinuxArch, string> = {
  aarch64: '61baeae1ac6197be4fc5c71fa78df266acdc33c54570290d2f611c2b42c105be',
  x86_64: 'e41c7048bd2475e7e788153823fcb9166a7e0b78c4c443bd6446d015fa735f53',
};

export interface AssetSpec {
  /** Stable name, the cache path. */
  id: string;
  url: string;
  /** The published checksum file, when there is one. */
  sha256Url: string | null;
  /** The sha256 pinned in this code, when there is no checksum file. */
  sha256: string | null;
  /** File name inside the checksum file. */
  fileName: string;
}

export interface AssetSet {
  firecracker: AssetSpec;
  kernel: AssetSpec;
  alpine: AssetSpec;
}

const UPSTREAM = {
  firecracker: 'https://github.com/firecracker-microvm/firecracker/releases/download',
  kernel: 'https://s3.amazonaws.com/spec.ccfc.min/firecracker-ci',
  alpine: 'https://dl-cdn.alpinelinux.org/alpine',
};

/**
 * The downloads for arch. `kernelSha256` replaces the kernel pins: only for code that calls
 * runSetup itself (the tests, whose mirror serves a generated kernel); the CLI has no flag or
 * variable that reaches it.
 */
export function assetSet(
  arch: LinuxArch,
  mirror?: string,
  kernelSha256: Partial<Record<LinuxArch, string>> = KERNEL_SHA256,
): AssetSet {
  const base = mirror?.replace(/\/+$/, '');
  const fcName = `firecracker-${FIRECRACKER_VERSION}-${arch}.tgz`;
  const fcUrl = base
    ? `${base}/firecracker/${FIRECRACKER_VERSION}/${fcName}`
    : `${UPSTREAM.firecracker}/${FIRECRACKER_VERSION}/${fcName}`;
  const kName = `vmlinux-${KERNEL_VERSION}`;
  const kUrl = base
    ? `${base}/kernel/${KERNEL_CI_VERSION}/${arch}/${kName}`
    : `${UPSTREAM.kernel}/${KERNEL_CI_VERSION}/${arch}/${kName}`;
  const aName = `alpine-minirootfs-${ALPINE_VERSION}-${arch}.tar.gz`;
  const aUrl = base
    ? `${base}/alpine/${ALPINE_BRANCH}/${arch}/${aName}`
    : `${UPSTREAM.alpine}/${ALPINE_BRANCH}/releases/${arch}/${aName}`;
  return {
    firecracker: {
      id: `firecracker/${FIRECRACKER_VERSION}/${fcName}`,
      url: fcUrl,
      sha256Url: `${fcUrl}.sha256.txt`,
      sha256: null,
      fileName: fcName,
    },
    kernel: {
      id: `kernel/${KERNEL_CI_VERSION}/${arch}/${kName}`,
      url: kUrl,
      sha256Url: null,
      sha256: kernelSha256[arch] ?? KERNEL_SHA256[arch],
      fileName: kName,
    },
    alpine: {
      id: `alpine/${ALPINE_BRANCH}/${arch}/${aName}`,
      url: aUrl,
      sha256Url: `${aUrl}.sha256`,
      sha256: null,
      fileName: aName,
    },
  };
}

/** Paths inside the Firecracker release tarball. */
export function firecrackerTarballMembers(arch: LinuxArch): { firecracker: string; jailer: string } {
  const dir = `release-${FIRECRACKER_VERSION}-${arch}`;
  return {
    firecracker: `${dir}/firecracker-${FIRECRACKER_VERSION}-${arch}`,
    jailer: `${dir}/jailer-${FIRECRACKER_VERSION}-${arch}`,
  };
}
