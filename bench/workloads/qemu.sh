#!/usr/bin/env bash
# The QEMU that `alkanet run` starts during bench/all.sh (ALKANET_QEMU points here): the host's qemu-system-x86_64 with
#   BENCH_OVERLAY=FILE  the bench overlay (bench/workloads/overlay.sh) appended to the -initrd the run wrote (the kernel
#                       unpacks concatenated newc archives), so traced, untraced and peer boots carry the same files;
#   BENCH_ACCEL=kvm     -accel kvm instead of TCG (untraced runs only: a TCG plugin cannot load under KVM).
# Everything else is passed through unchanged; exec keeps the pid, so `alkanet run` still owns and kills the process.
set -euo pipefail
qemu="${BENCH_REAL_QEMU:-$(command -v qemu-system-x86_64)}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -initrd)
      if [ -n "${BENCH_OVERLAY:-}" ]; then
        [ -s "$BENCH_OVERLAY" ] || { echo "bench qemu.sh: the overlay $BENCH_OVERLAY is missing" >&2; exit 1; }
        cat "$BENCH_OVERLAY" >> "$2"
      fi
      args+=("$1" "$2"); shift 2 ;;
    -accel)
      if [ "${BENCH_ACCEL:-tcg}" = kvm ]; then args+=(-accel kvm -cpu host); else args+=("$1" "$2"); fi
      shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "$qemu" "${args[@]}"
