#!/usr/bin/env bash
# Cost of the Windows plugin path per system call, end to end: the kit's bootable synthetic Windows guest
# (tests/Alkanet.Introspection.TestKit/Boot) booted by `alkanet run --image DISK --os windows`, once with a sample
# of 1 round of calls and once with ITERATIONS rounds (12 calls each), traced and --untraced, RUNS times each
# (median wall time). Per call added = ((big - small) traced - (big - small) untraced) / (extra calls): the boot,
# the discovery and QEMU's start cancel out. Includes ENTER + EXIT decode, ring write and the host's drain.
# Wall times of whole boots are noisy on a shared machine; the traced runs' record timestamps (first to last)
# give the traced per-call time without the boot.
# Usage: bash bench/live-windows-synthetic.sh [ITERATIONS] [RUNS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
iterations="${1:-40000}"
runs="${2:-3}"
build_cli
dotnet build bench/Alkanet.Benchmarks -c Release --nologo -v q >/dev/null
gen=(dotnet "$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll" gen-windows-disk)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
small_calls=$("${gen[@]}" "$out/small.img" 1)
big_calls=$("${gen[@]}" "$out/big.img" "$iterations")
declare -A med
for config in untraced traced; do
  for size in small big; do
    extra=()
    [ "$config" = untraced ] && extra=(--untraced)
    : > "$out/$config-$size.txt"
    for _ in $(seq "$runs"); do
      "${cli[@]}" run --image "$out/$size.img" --os windows --memory 512M --timeout 30m --no-report --out "$out/run" "${extra[@]}" >/dev/null 2>&1 \
        || { echo "run failed ($config $size)" >&2; cat "$out/run/run.json" >&2; exit 1; }
      sed -n 's/.*"wall_s": \([0-9.]*\).*/\1/p' "$out/run/run.json" >> "$out/$config-$size.txt"
      if [ "$config" = traced ]; then # the guest's time from the first record to the last, by the hook's timestamps
        first=$(head -1 "$out/run/trace.jsonl" | sed -n 's/.*"timestamp_ns":\([0-9]*\).*/\1/p')
        last=$(tail -1 "$out/run/trace.jsonl" | sed -n 's/.*"timestamp_ns":\([0-9]*\).*/\1/p')
        echo "$(( (last - first) / 1000 ))" >> "$out/span-$size.txt"
      fi
    done
    med[$config-$size]=$(median '%.3f' < "$out/$config-$size.txt")
    echo "$config $size ($([ $size = small ] && echo "$small_calls" || echo "$big_calls") calls): median wall ${med[$config-$size]} s (all: $(tr '\n' ' ' < "$out/$config-$size.txt"))"
  done
done
awk -v ts="${med[traced-small]}" -v tb="${med[traced-big]}" -v us="${med[untraced-small]}" -v ub="${med[untraced-big]}" -v n="$((big_calls - small_calls))" 'BEGIN {
  printf "untraced: %.0f ns per call; added by the hook per call (ENTER+EXIT, decoded, written): %.0f ns\n", (ub-us)*1e9/n, ((tb-ts)-(ub-us))*1e9/n }'
echo "traced, first to last record: small $(median '%.0f' < "$out/span-small.txt") us, big $(median '%.0f' < "$out/span-big.txt") us median" \
  "(= $(awk -v b="$(median '%.0f' < "$out/span-big.txt")" -v n="$big_calls" 'BEGIN { printf "%.0f", b*1000/n }') ns per traced call, guest work included)"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
