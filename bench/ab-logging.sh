#!/usr/bin/env bash
# Two builds of the logger side by side (issue 11): bench/logging-throughput.sh for build A, then build B, then
# again, ROUNDS times, so both see the same machine load. Prints per build the median and range of the
# acknowledged records/s, the logger's CPU per record and the newest-record latency (p50, p95) at RATE records/s,
# with the load average after each round. Each build is a checkout of this repository.
# Usage: bash bench/ab-logging.sh DIR_A DIR_B [ROUNDS] [RECORDS] [RATE] [SECONDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 2 ] || { echo "usage: bash bench/ab-logging.sh DIR_A DIR_B [ROUNDS] [RECORDS] [RATE] [SECONDS]" >&2; exit 2; }
a="$(cd "$1" && pwd)"; b="$(cd "$2" && pwd)"; rounds="${3:-3}"; records="${4:-1000000}"; rate="${5:-500000}"; secs="${6:-8}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
loads=()
for i in $(seq "$rounds"); do
  for tag in A B; do
    dir=$a; [ "$tag" = B ] && dir=$b
    TREE="$dir" bash "$root/bench/logging-throughput.sh" "$records" "$rate" "$secs" > "$out/run.txt" 2>&1 || { cat "$out/run.txt" >&2; exit 1; }
    sed -n 's/.*acknowledged in [0-9.]* s (\([0-9]*\) records\/s).*/\1/p' "$out/run.txt" | head -1 >> "$out/$tag.rate"
    sed -n 's/^logger: .* = \([0-9.]*\) us per record/\1/p' "$out/run.txt" >> "$out/$tag.cpu"
    sed -n 's/^latency over .*: p50 \([0-9]*\) ms, p95 \([0-9]*\) ms.*/\1 \2/p' "$out/run.txt" > "$out/lat.txt"
    cut -d' ' -f1 "$out/lat.txt" >> "$out/$tag.p50"; cut -d' ' -f2 "$out/lat.txt" >> "$out/$tag.p95"
    echo "round $i $tag: $(tail -1 "$out/$tag.rate") records/s, $(tail -1 "$out/$tag.cpu") us logger CPU per record," \
      "latency p50 $(tail -1 "$out/$tag.p50") ms p95 $(tail -1 "$out/$tag.p95") ms" >&2
  done
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
done
range() { echo "median $(median '%.0f' < "$1"), min $(sort -g "$1" | head -1), max $(sort -g "$1" | tail -1)"; }
for tag in A B; do
  dir=$a; [ "$tag" = B ] && dir=$b
  echo "$tag ($dir): records/s $(range "$out/$tag.rate"); logger us/record $(range "$out/$tag.cpu");" \
    "latency p50 ms $(range "$out/$tag.p50"); p95 ms $(range "$out/$tag.p95")"
done
echo "load average (1 min) after each round: ${loads[*]}; $(nproc) cores; $rounds rounds of $records records, latency at $rate/s for $secs s"
