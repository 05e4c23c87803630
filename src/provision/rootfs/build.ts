// Builds the default rootfs on the Linux side from an Alpine minirootfs tarball, without loop
// mounts: unpack into a scratch dir, add /init (and the guest agent as /usr/sbin/fc-guest when
// given), `mkfs.ext4 -d`. As root (the Tart VM, a root local
// install) tar keeps the tarball's owners; otherwise files belong to the user who ran setup.
// /sbin/init points at /init: a kernel booted with `root=/dev/vda` and no `init=` runs /sbin/init,
// so fc-macos's default boot args (which must also suit a user's own rootfs) reach setup's /init
// instead of the minirootfs's BusyBox init (found by the emulated tier on a real aarch64 guest).
export const BUILD_ROOTFS_SCRIPT = `set -eu
tarball=$1; init=$2; out=$3; size=$4; work=$5; guest=\${6:-}
rm -rf "$work"
mkdir -p "$work/root"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work/root"
install -m 0755 "$init" "$work/root/init"
if [ -n "$guest" ]; then install -D -m 0755 "$guest" "$work/root/usr/sbin/fc-guest"; fi
mkdir -p "$work/root/sbin"
ln -sfn /init "$work/root/sbin/init"
mkdir -p "$work/root/root"
mkfs.ext4 -q -F -L fc-rootfs -E root_owner=0:0 -d "$work/root" "$work/rootfs.ext4" "$size"
mkdir -p "$(dirname "$out")"
mv -f "$work/rootfs.ext4" "$out"
`;

export function buildRootfsArgv(o: {
  tarball: string;
  init: string;
  out: string;
  size: string;
  workDir: string;
  /** fc-guest for the guest's architecture, already on the Linux side. */
  guest?: string;
}): string[] {
  return [
    'sh',
    '-c',
    BUILD_ROOTFS_SCRIPT,
    'fc-macos-rootfs',
    o.tarball,
    o.init,
    o.out,
    o.size,
    o.workDir,
    ...(o.guest ? [o.guest] : []),
  ];
}
