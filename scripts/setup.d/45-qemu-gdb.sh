#!/usr/bin/env bash
# The gdbstub hook's live tests: QEMU >= 10 (same helper as 40-qemu.sh, so whichever runs first wins and
# the other is a no-op), busybox-static and cpio to build the tiny test initramfs, and Debian's own
# kernel in $ALKANET_CACHE/linux-guest: the one 40-qemu.sh already fetched (fetched here only when absent).
# Idempotent; runs as root.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian.sh"

ensure_qemu10
apt_install_missing busybox-static cpio
fetch_debian_kernel "$(linux_guest_cache)"
