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

export interface AssetSpec {
  /** Stable name, the key in the asset manifest and the cache path. */
  id: string;
  url: string;
  /** The published checksum file, when there is one. */
  sha256Url: string | null;
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

export function assetSet(arch: LinuxArch, mirror?: string): AssetSet {
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
      fileName: fcName,
    },
    kernel: {
      id: `kernel/${KERNEL_CI_VERSION}/${arch}/${kName}`,
      url: kUrl,
      sha256Url: null,
      fileName: kName,
    },
    alpine: {
      id: `alpine/${ALPINE_BRANCH}/${arch}/${aName}`,
      url: aUrl,
      sha256Url: `${aUrl}.sha256`,
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
