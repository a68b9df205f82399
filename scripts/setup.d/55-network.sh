#!/usr/bin/env bash
# `alkanet run --network`: Debian's INetSim answers the guest (DNS for every name, HTTP/HTTPS, SMTP, FTP...)
# and Debian's Suricata parses the captured pcap offline (eve.json dns/http/tls/flow/alerts). Suricata 7 comes
# from bookworm-backports (the suite 40-qemu.sh enables through lib/debian.sh). INetSim's own system service
# is never used: each run starts its own INetSim with a per-run config bound to loopback.
set -euo pipefail
# shellcheck source=../lib/debian.sh
. "$(dirname "$0")/../lib/debian.sh"
apt_install_missing inetsim
if ! dpkg -s suricata >/dev/null 2>&1; then
  apt_install -t bookworm-backports suricata
fi
# Debian starts the packaged daemons where an init system runs; the runs need neither.
for svc in inetsim suricata; do
  if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  fi
done
command -v inetsim >/dev/null || { echo "setup: inetsim missing after install" >&2; exit 1; }
command -v suricata >/dev/null || { echo "setup: suricata missing after install" >&2; exit 1; }

# The analysis guest's NIC driver: Debian's kernel builds its NIC drivers as modules; the guest gets an e1000
# (one module with no dependencies, unlike virtio_net's five), so a networked run puts e1000.ko into the initramfs. Taken from the same kernel package
# the cached guest kernel came from (apt-get download, never installed on the host).
cache=$(linux_guest_cache)
mods="$cache/net-modules"
if [ -s "$cache/package" ] && [ ! -s "$mods/e1000.ko" ]; then
  pkg=$(cat "$cache/package")
  tmp=$(mktemp -d); chmod 755 "$tmp"
  (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null)
  dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb | tar -x -C "$tmp" --wildcards \
    './lib/modules/*/kernel/drivers/net/ethernet/intel/e1000/e1000.ko'
  mkdir -p "$mods.partial"
  find "$tmp/lib/modules" -name '*.ko' -exec cp {} "$mods.partial/" \;
  rm -rf "$mods" && mv "$mods.partial" "$mods"
  rm -rf "$tmp"
fi
