#!/usr/bin/env bash
# The gdbstub hook's live tests: QEMU >= 10 (same logic as 40-qemu.sh, so whichever runs first wins and
# the other is a no-op), plus busybox-static and cpio to build the tiny test initramfs.
# Idempotent; runs as root. No host name is written here: the backports archive address is derived
# from the machine's own apt sources.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt_install() { apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >/dev/null; }

qemu_major() {
  local v=""
  if command -v qemu-system-x86_64 >/dev/null; then
    v=$(qemu-system-x86_64 --version | sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | head -1)
  fi
  echo "${v:-0}"
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
for pkg in busybox-static cpio; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi

# The live tests boot Debian's own kernel (never installed as the host's kernel): fetch the current
# linux-image-6.1.0-N-amd64 package once into the cache and unpack vmlinuz from it.
cache="${ALKANET_CACHE:-${ALKANET_ROOT:-$(pwd)}/.cache}/gdbstub-guest"
mkdir -p "$cache"
if [ ! -s "$cache/vmlinuz" ]; then
  pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
  [ -n "$pkg" ] || { echo "setup: cannot derive the current kernel package from linux-image-amd64" >&2; exit 1; }
  tmp=$(mktemp -d); chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
  dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
  cp "$tmp"/boot/vmlinuz-* "$cache/vmlinuz.partial" && mv "$cache/vmlinuz.partial" "$cache/vmlinuz"
  echo "$pkg" > "$cache/package"
fi
