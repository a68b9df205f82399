#!/usr/bin/env bash
# `alkanet run --network`: a DHCP server on the run's isolated network for guests that ask for an address (`--image`
# guests, and the Linux guest's busybox udhcpc when told to). dnsmasq runs in DHCP-only mode (--port=0: INetSim
# answers DNS) inside each run's namespace; Debian's dnsmasq-base has the binary without the system service.
set -euo pipefail
# shellcheck source=../lib/debian.sh
. "$(dirname "$0")/../lib/debian.sh"
apt_install_missing dnsmasq-base
command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] || { echo "setup: dnsmasq missing after install" >&2; exit 1; }
