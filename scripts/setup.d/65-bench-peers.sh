#!/usr/bin/env bash
# The peers bench/all.sh runs beside Alkanet in the analysis guest: strace (ptrace) and perf trace (the syscall
# tracepoints), Debian's own packages; bench/workloads/overlay.sh copies them with the shared libraries ldd names
# into a bench-only initramfs overlay (the default guest stays busybox only).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/debian.sh"
apt_install_missing strace linux-perf cpio gcc libc6-dev
