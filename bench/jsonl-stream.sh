#!/usr/bin/env bash
# End-to-end: stream large logs through `alkanet log stats` and `alkanet log cat --json` and report
# records/s and peak RSS for 1 M and 5 M records, to show memory does not grow with the file.
# Usage: bash bench/jsonl-stream.sh [WORKDIR]   (needs ~1.3 GB free in WORKDIR; default /tmp)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/tmp/alkanet-bench}"
mkdir -p "$work"
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
dotnet build "$root/src/Alkanet.Cli" -c Release --nologo -v q >/dev/null
dotnet build "$root/bench/Alkanet.Benchmarks" -c Release --nologo -v q >/dev/null
cli="$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll"
gen="$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll"
printf '| records | file | command | seconds | records/s | peak RSS |\n|---:|---:|---|---:|---:|---:|\n'
for n in 1000000 5000000; do
  f="$work/log-$n.jsonl"
  [ -s "$f" ] || dotnet "$gen" gen-log "$f" "$n"
  size=$(du -h "$f" | cut -f1)
  for cmd in "log stats --json" "log cat --json"; do
    # taskset: one core, as the figure is stated per core
    /usr/bin/time -f '%e %M' -o "$work/time.txt" taskset -c 0 dotnet "$cli" $cmd "$f" > /dev/null
    read -r secs rss_kb < "$work/time.txt"
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.2f M", n / s / 1e6 }')
    rss=$(awk -v k="$rss_kb" 'BEGIN { printf "%.0f MiB", k / 1024 }')
    printf '| %s | %s | `alkanet %s` | %s | %s | %s |\n' "$n" "$size" "$cmd" "$secs" "$rate" "$rss"
  done
done
