#!/usr/bin/env bash
# End-to-end figures of the gdbstub hook on stock QEMU under TCG: hits/s, packets per hit, host-side handling per
# hit, and single round trips (m, g). Boots the live-test guest (Debian's kernel + busybox; run scripts/setup.sh
# first), traces HITS breakpoint hits with the breakpoint loop, RUNS times per workload, in Release.
#   HITS=2000 RUNS=3 bash bench/gdbstub-hits.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
hits="${HITS:-2000}"
runs="${RUNS:-3}"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
dotnet build tests/Alkanet.Vmm.Tests -c Release -v q --nologo >/dev/null
for workload in "cat /dev/zero > /dev/null" "while :; do ls / > /dev/null; done"; do
  for _ in $(seq "$runs"); do
    ALKANET_GDB_BENCH_HITS="$hits" ALKANET_GDB_BENCH_WORKLOAD="$workload" ALKANET_GDB_BENCH_OUT="$out" \
      dotnet run --project tests/Alkanet.Vmm.Tests -c Release --no-build -- -method '*A_traced_run_on_real_qemu*' >/dev/null
  done
done
echo "qemu: $(qemu-system-x86_64 --version | head -1)"
echo "host: $(nproc) cores, $(uname -r)"
cat "$out"
