#!/usr/bin/env bash
# Live tracing (the TCG plugin hook): QEMU >= 10 (plugin API 4) from bookworm-backports, OVMF for the
# UEFI boot path, busybox-static + cpio for the analysis guest's initramfs, gcc + libc6-dev for the
# static samples and the plugin's tiny C object, and Debian's own kernel package, fetched with
# `apt-get download` and unpacked into the cache (never installed as the host's kernel).
# Idempotent; runs as root. No host name is written here: the backports archive address is derived
# from the machine's own apt sources (the gdbstub step, 45-qemu-gdb.sh, uses the same logic).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >/dev/null; }

qemu_major() {
  command -v qemu-system-x86_64 >/dev/null || { echo 0; return; }
  qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | head -1
}

# The URI of the machine's main Debian archive (the one serving the "bookworm" suite).
debian_archive_uri() {
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/{u=$2} /^Suites:/{ for (i=2;i<=NF;i++) if ($i=="bookworm") { print u; exit } }' \
      /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i+1)=="bookworm") { print $i; exit } } }' \
      /etc/apt/sources.list)
  fi
  echo "$uri"
}

if [ "$(qemu_major)" -lt 10 ]; then
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    uri=$(debian_archive_uri)
    [ -n "$uri" ] || { echo "setup: no Debian bookworm archive in the apt sources to derive bookworm-backports from" >&2; exit 1; }
    cat > /etc/apt/sources.list.d/alkanet-bookworm-backports.sources <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  fi
  apt-get update -qq -o DPkg::Lock::Timeout=600
  apt_install -t bookworm-backports qemu-system-x86
  [ "$(qemu_major)" -ge 10 ] || { echo "setup: QEMU >= 10 could not be installed (got $(qemu-system-x86_64 --version | head -1))" >&2; exit 1; }
fi

need=()
for pkg in ovmf busybox-static cpio gcc libc6-dev xz-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi

# The analysis guest's kernel: the current linux-image-6.1.0-N-amd64 (N derived now: bookworm keeps
# only a few), unpacked once into the cache.
cache="${ALKANET_CACHE:-${ALKANET_ROOT:-$(pwd)}/.cache}/linux-guest"
mkdir -p "$cache"
if [ ! -s "$cache/vmlinuz" ] || [ ! -s "$cache/config" ]; then
  pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
  [ -n "$pkg" ] || { echo "setup: cannot derive the current kernel package from linux-image-amd64" >&2; exit 1; }
  tmp=$(mktemp -d); chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
  dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' './boot/config-*'
  cp "$tmp"/boot/config-* "$cache/config"
  cp "$tmp"/boot/vmlinuz-* "$cache/vmlinuz.partial" && mv "$cache/vmlinuz.partial" "$cache/vmlinuz"
  echo "$pkg" > "$cache/package"
fi

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
    -append "console=ttyS0 quiet panic=-1 nokaslr alkanet.mode=kallsyms" </dev/null >/dev/null 2>&1 || true
  tr -d '\r' < "$work/console.log" | sed -n '/^ALKANET-KALLSYMS-BEGIN$/,/^ALKANET-KALLSYMS-END$/p' | sed '1d;$d' > "$work/kallsyms.txt"
  grep -q ' x64_sys_call$' "$work/kallsyms.txt" || { echo "setup: the kallsyms boot printed no symbol list (see $work/console.log)" >&2; exit 1; }
  mv "$work/kallsyms.txt" "$cache/kallsyms.txt"
  rm -rf "$work"
fi
