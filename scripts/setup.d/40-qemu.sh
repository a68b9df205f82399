#!/usr/bin/env bash
# Live tracing (the TCG plugin hook): QEMU >= 10 (plugin API 4) from bookworm-backports, OVMF for the
# UEFI boot path, busybox-static + cpio for the analysis guest's initramfs, gcc + libc6-dev for the
# static samples and the plugin's tiny C object, and Debian's own kernel package, fetched with
# `apt-get download` and unpacked into the cache (never installed as the host's kernel).
# Idempotent; runs as root. No host name is written here: the backports archive address is derived
# from the machine's own apt sources (scripts/lib/debian.sh, shared with the gdbstub step 45-qemu-gdb.sh).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian.sh"

ensure_qemu10
apt_install_missing ovmf busybox-static cpio gcc libc6-dev xz-utils

# The analysis guest's kernel, unpacked once into the cache (45-qemu-gdb.sh's live tests boot the same one).
cache=$(linux_guest_cache)
fetch_debian_kernel "$cache"

# The vmlinux (for the PVH boot and its BTF) and the kernel's symbols from one nokaslr boot, so every test
# finds them (alkanet's AnalysisGuest.Prepare does the same when they are missing; same file formats).
if [ ! -s "$cache/vmlinux" ]; then
  off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$cache/vmlinuz" | head -1 | cut -d: -f1)
  [ -n "$off" ] || { echo "setup: $cache/vmlinuz holds no xz stream" >&2; exit 1; }
  tail -c +$((off + 1)) "$cache/vmlinuz" | xz -dc --single-stream > "$cache/vmlinux.partial" 2>/dev/null || true
  [ -s "$cache/vmlinux.partial" ] || { echo "setup: unpacking vmlinux from $cache/vmlinuz failed" >&2; exit 1; }
  mv "$cache/vmlinux.partial" "$cache/vmlinux"
fi
if [ ! -s "$cache/kallsyms.txt" ]; then
  root_dir="${ALKANET_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
  work=$(mktemp -d)
  mkdir -p "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/tmp"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  cp "$root_dir/guest/init" "$work/rootfs/init"
  chmod 755 "$work/rootfs/init"
  (cd "$work/rootfs" && find . | cpio -o -H newc 2>/dev/null) > "$work/initrd.cpio"
  timeout 300 qemu-system-x86_64 -machine q35 -accel tcg -m 512 -smp 2 -display none -monitor none -no-reboot -nic none \
    -serial "file:$work/console.log" -kernel "$cache/vmlinux" -initrd "$work/initrd.cpio" \
    -append "console=ttyS0 quiet panic=-1 no_timer_check nokaslr alkanet.mode=kallsyms" </dev/null >/dev/null 2>&1 || true
  tr -d '\r' < "$work/console.log" | sed -n '/^ALKANET-KALLSYMS-BEGIN$/,/^ALKANET-KALLSYMS-END$/p' | sed '1d;$d' > "$work/kallsyms.txt"
  grep -q ' x64_sys_call$' "$work/kallsyms.txt" || { echo "setup: the kallsyms boot printed no symbol list (see $work/console.log)" >&2; exit 1; }
  mv "$work/kallsyms.txt" "$cache/kallsyms.txt"
  rm -rf "$work"
fi
