#!/usr/bin/env bash
# `alkanet image prepare` and `run --image --snapshot`: qemu-img (from qemu-utils, the same bookworm-backports QEMU 10
# as 40-qemu.sh) makes the qcow2 overlay that holds the snapshot and lists the snapshots an overlay has.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian.sh"

ensure_qemu10
command -v qemu-img >/dev/null || apt_install -t bookworm-backports qemu-utils
