# Shared by the setup steps that need QEMU >= 10 or Debian's own kernel (sourced, not run: setup.sh runs
# only scripts/setup.d/*.sh). No host name is written here: the backports archive address is derived
# from the machine's own apt sources.
export DEBIAN_FRONTEND=noninteractive

apt_install() { apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >/dev/null; }

# Installs each named package that dpkg does not already know as installed.
apt_install_missing() {
  local need=() pkg
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
  if [ ${#need[@]} -gt 0 ]; then apt_install "${need[@]}"; fi
}

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

# QEMU >= 10 (plugin API 4) from bookworm-backports, adding that suite to the apt sources when missing.
ensure_qemu10() {
  [ "$(qemu_major)" -lt 10 ] || return 0
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local uri
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
}

# The guest kernel folder every live test and `alkanet run` share ($ALKANET_CACHE/linux-guest).
linux_guest_cache() { echo "${ALKANET_CACHE:-${ALKANET_ROOT:-$(pwd)}/.cache}/linux-guest"; }

# Debian's current linux-image-6.1.0-N-amd64 (N derived now: bookworm keeps only a few), fetched with
# `apt-get download` (never installed as the host's kernel) and unpacked once into DIR as vmlinuz,
# config and package. A no-op when DIR already holds them.
fetch_debian_kernel() {
  local dir="$1" pkg
  mkdir -p "$dir"
  if [ -s "$dir/vmlinuz" ] && [ -s "$dir/config" ]; then return 0; fi
  pkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
  [ -n "$pkg" ] || { echo "setup: cannot derive the current kernel package from linux-image-amd64" >&2; exit 1; }
  kernel_tmp=$(mktemp -d); chmod 755 "$kernel_tmp"
  trap 'rm -rf "$kernel_tmp"' EXIT
  (cd "$kernel_tmp" && apt-get download -qq "$pkg" >/dev/null)
  dpkg-deb --fsys-tarfile "$kernel_tmp"/"$pkg"_*.deb | tar -x -C "$kernel_tmp" --wildcards './boot/vmlinuz-*' './boot/config-*'
  cp "$kernel_tmp"/boot/config-* "$dir/config"
  cp "$kernel_tmp"/boot/vmlinuz-* "$dir/vmlinuz.partial" && mv "$dir/vmlinuz.partial" "$dir/vmlinuz"
  echo "$pkg" > "$dir/package"
  rm -rf "$kernel_tmp"
}
