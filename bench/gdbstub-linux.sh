#!/usr/bin/env bash
# The gdbstub hook with the real Linux decoder (LinuxGdbDecoder: the live tracer's profile, KASLR on, every hit
# decoded: pids, comm, names, fd paths): hits/s, packets and 'm' reads per hit, host-side handling per hit.
# Same guest and workloads as bench/gdbstub-hits.sh (which uses the ABI-only test decoder). Needs scripts/setup.sh.
#   HITS=2000 RUNS=3 bash bench/gdbstub-linux.sh
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
      dotnet run --project tests/Alkanet.Vmm.Tests -c Release --no-build -- -class '*LiveLinuxGdbDecoderTests' >/dev/null
  done
done
echo "qemu: $(qemu-system-x86_64 --version | head -1)"
echo "host: $(nproc) cores, $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$out"
