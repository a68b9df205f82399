#!/usr/bin/env bash
# End-to-end figure for `alkanet report`: a generated N-record Alkanet log (default 5 million), one core
# (taskset -c 0), wall time, records/s and peak RSS; then the same counting (calls per process) done by jq.
# Usage: bash bench/report-perf.sh [RECORDS] [WORKDIR]   (SKIP_JQ=1 to leave out the jq reference)
# TREE=DIR measures another checkout's build (bench/ab-report.sh alternates two and jq).
set -euo pipefail
root="${TREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
n="${1:-5000000}"
work="${2:-${ALKANET_CACHE:-/tmp}/report-bench}"
mkdir -p "$work"
log="$work/bench-$n.jsonl"
[ -s "$log" ] || python3 "$root/bench/report-gen.py" "$n" "$log"
dotnet build "$root/src/Alkanet.Cli" -c Release --nologo -v q >/dev/null
alk="$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "log: $log ($(du -h "$log" | cut -f1), $n records); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in 1 2 3; do
  /usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" taskset -c 0 "$alk" report "$log" --sample sample.exe -f json -o "$work/report.json" --no-progress
  read -r secs rss user sys < "$work/time.txt"
  echo "alkanet report run $run: ${secs} s wall, $(python3 -c "print(f'{$n/$secs:,.0f}')") records/s; CPU ${user}+${sys} s = $(python3 -c "print(f'{$n/($user+$sys):,.0f}')") records per CPU-second; peak RSS $((rss / 1024)) MiB"
done
[ "${SKIP_JQ:-0}" = 1 ] && exit 0
/usr/bin/time -f "%e %M %U %S" -o "$work/time.txt" taskset -c 0 jq -n 'reduce inputs as $r ({}; if $r.logtype == "ENTER" then .[$r.proc_pid] += 1 else . end)' "$log" > "$work/jq.json"
read -r secs rss user sys < "$work/time.txt"
echo "jq (calls per process): ${secs} s wall, $(python3 -c "print(f'{$n/$secs:,.0f}')") records/s; CPU ${user}+${sys} s = $(python3 -c "print(f'{$n/($user+$sys):,.0f}')") records per CPU-second; peak RSS $((rss / 1024)) MiB"
