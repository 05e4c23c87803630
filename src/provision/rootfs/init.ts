// /init of the default rootfs: PID 1 of every microVM booted from it. busybox sh (Alpine).
// - mounts proc, sys, dev (devtmpfs unless the kernel mounted it), devpts, /run
// - hostname from the kernel command line `fc_hostname=NAME`, else "microvm"
// - networking from `ip=CLIENT:SERVER:GW:NETMASK:HOSTNAME:DEVICE:AUTOCONF:DNS0:DNS1` (the kernel's
//   nfsroot syntax; a kernel with CONFIG_IP_PNP may already have applied it, which is harmless)
// - the guest agent /usr/sbin/fc-guest (vsock port 1024; docs/guest-protocol.md), restarted if it
//   ever ends, started before the console shell so `fc-macos exec` works without a login
// - a login-free shell on the serial console, with a controlling terminal (Ctrl-C works)
// - `poweroff`, `reboot`, `halt` and leaving the shell all end in `reboot -f`: with `reboot=k` in
//   the boot args the guest's reboot makes Firecracker exit, which is how a microVM stops cleanly
//   (Firecracker has no power-off device on every architecture).
export const INIT_SCRIPT = `#!/bin/sh
# fc-macos microVM init (PID 1), written by fc-macos setup.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=linux

if [ "$$" != 1 ]; then
  echo "init: must run as PID 1" >&2
  exit 1
fi

mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm /run
mount -t devpts -o gid=5,mode=620 devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=0755 tmpfs /run 2>/dev/null
mount -o remount,rw / 2>/dev/null

cmdline_value() {
  for word in $(cat /proc/cmdline); do
    case "$word" in
      "$1"=*) echo "\${word#*=}"; return 0 ;;
    esac
  done
  return 1
}

mask_to_prefix() {
  bits=0
  old_ifs=$IFS
  IFS=.
  for octet in $1; do
    case "$octet" in
      255) bits=$((bits + 8)) ;; 254) bits=$((bits + 7)) ;; 252) bits=$((bits + 6)) ;;
      248) bits=$((bits + 5)) ;; 240) bits=$((bits + 4)) ;; 224) bits=$((bits + 3)) ;;
      192) bits=$((bits + 2)) ;; 128) bits=$((bits + 1)) ;;
    esac
  done
  IFS=$old_ifs
  echo "$bits"
}

name=$(cmdline_value fc_hostname) || name=microvm
hostname "$name"
echo "$name" > /etc/hostname

ip link set lo up 2>/dev/null
if conf=$(cmdline_value ip); then
  old_ifs=$IFS
  IFS=:
  set -- $conf
  IFS=$old_ifs
  client=$1 gw=$3 mask=$4 dev=\${6:-eth0} dns0=$8 dns1=$9
  if [ -n "$client" ] && [ "$client" != dhcp ] && [ "$client" != off ] && [ "$client" != none ]; then
    case "$client" in
      */*) addr=$client ;;
      *) addr="$client/$(mask_to_prefix "\${mask:-255.255.255.0}")" ;;
    esac
    ip link set "$dev" up
    ip addr add "$addr" dev "$dev" 2>/dev/null
    [ -n "$gw" ] && ip route add default via "$gw" dev "$dev" 2>/dev/null
    : > /etc/resolv.conf
    for ns in $dns0 $dns1; do echo "nameserver $ns" >> /etc/resolv.conf; done
  fi
fi

shutdown() {
  trap '' USR1 USR2 TERM
  kill -TERM -1 2>/dev/null
  sleep 1
  kill -KILL -1 2>/dev/null
  sync
  umount -a -r 2>/dev/null
  reboot -f
}
# busybox halt/poweroff/reboot signal PID 1 with USR1/USR2/TERM.
trap shutdown USR1 USR2 TERM

if [ -x /usr/sbin/fc-guest ]; then
  ( while :; do /usr/sbin/fc-guest </dev/null >/dev/null 2>&1; sleep 1; done ) &
fi

console=$(cat /sys/class/tty/console/active 2>/dev/null)
console=\${console##* }
[ -n "$console" ] || console=ttyS0

cd /root 2>/dev/null || cd /
if busybox --list 2>/dev/null | grep -qx cttyhack; then
  setsid cttyhack sh -l &
else
  setsid -c sh -l <>"/dev/$console" >&0 2>&1 &
fi
# Returns when the shell exits, or early when a trapped signal arrives (the trap then runs).
wait $!
shutdown
`;
