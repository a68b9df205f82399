#!/usr/bin/env bash
# Cost of the Windows plugin path per system call, end to end: the kit's bootable synthetic Windows guest
# (tests/Alkanet.Introspection.TestKit/Boot) booted by `alkanet run --image DISK --os windows`, traced and
# --untraced, and the hook's stages (--hook-stage hit: callback only; decode: records built, not written), RUNS
# times each, alternating (median). Its sample repeats a round of CALLS_PER_ROUND real system calls (25: the generator's count of
# calls, less NtTerminateProcess, over ITERATIONS; the environment may override it) ITERATIONS times and
# each round echoes one 61-byte line to COM1 (NtWriteFile), so the guest's pace is read from the growth of
# console.log, polled every 2 ms: the time between 10% and 90% of the echo lines, per call. Boot, discovery and
# QEMU's start are outside that window. Traced includes ENTER + EXIT decode, ring write and the host's drain.
# Usage: bash bench/live-windows-synthetic.sh [ITERATIONS] [RUNS]   (STAGES="untraced traced" leaves out the hook stages)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
iterations="${1:-40000}"
runs="${2:-5}"
build_cli
dotnet build bench/Alkanet.Benchmarks -c Release --nologo -v q >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
calls=$(dotnet "$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll" gen-windows-disk "$out/disk.img" "$iterations")
export CALLS_PER_ROUND="${CALLS_PER_ROUND:-$(( (calls - 1) / iterations ))}"
declare -A med
stages=(${STAGES:-untraced hit decode traced})
for config in "${stages[@]}"; do : > "$out/$config.txt"; done
# the configurations alternate within each run, so they share the machine's load
for _ in $(seq "$runs"); do
  for config in "${stages[@]}"; do
    case "$config" in
      untraced) extra=(--untraced) ;;
      traced) extra=() ;;
      *) extra=(--hook-stage "$config") ;;
    esac
    rm -rf "$out/run"
    windows_pace "$out/run/console.log" "$iterations" -- "${cli[@]}" run --image "$out/disk.img" --os windows --memory 512M --timeout 30m \
      --no-report --out "$out/run" "${extra[@]}" >> "$out/$config.txt"
  done
done
for config in "${stages[@]}"; do
  med[$config]=$(median '%.0f' < "$out/$config.txt")
  echo "$config: median ${med[$config]} ns per call (guest pace, $((iterations * CALLS_PER_ROUND)) calls;" \
    "all: $(tr '\n' ' ' < "$out/$config.txt"))"
done
if [ -n "${med[hit]:-}" ] && [ -n "${med[decode]:-}" ]; then
  echo "added per call (ENTER + EXIT): callback only $((med[hit] - med[untraced])) ns, decoded $((med[decode] - med[untraced])) ns," \
    "decoded, written and drained $((med[traced] - med[untraced])) ns"
else
  echo "added per call (ENTER + EXIT): decoded, written and drained $((med[traced] - med[untraced])) ns"
fi
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
