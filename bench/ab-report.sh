#!/usr/bin/env bash
# Two builds of `alkanet report` and jq side by side (issue 11): per round, build A, build B and jq each read the same
# generated N-record log on one core (taskset -c 0), so all three see the same machine load. Prints per build the
# median and range of records/s and of its ratio to jq's records/s in the same round, with the load average.
# Usage: bash bench/ab-report.sh DIR_A DIR_B [ROUNDS] [RECORDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 2 ] || { echo "usage: bash bench/ab-report.sh DIR_A DIR_B [ROUNDS] [RECORDS]" >&2; exit 2; }
a="$(cd "$1" && pwd)"; b="$(cd "$2" && pwd)"; rounds="${3:-3}"; n="${4:-2000000}"
work="${ALKANET_CACHE:-/tmp}/report-bench"
mkdir -p "$work"
log="$work/bench-$n.jsonl"
[ -s "$log" ] || python3 "$root/bench/report-gen.py" "$n" "$log"
for dir in "$a" "$b"; do (cd "$dir" && dotnet build src/Alkanet.Cli -c Release --nologo -v q >/dev/null); done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
# one timed run on core 0; prints records/s (by wall time)
timed() {
  /usr/bin/time -f "%e" -o "$out/time.txt" taskset -c 0 "$@" > /dev/null
  python3 -c "print(round($n / max(float(open('$out/time.txt').read().split()[-1]), 0.01)))"
}
loads=()
for i in $(seq "$rounds"); do
  ra=$(timed "$a/src/Alkanet.Cli/bin/Release/net10.0/alkanet" report "$log" --sample sample.exe -f json -o "$out/a.json" --no-progress)
  rb=$(timed "$b/src/Alkanet.Cli/bin/Release/net10.0/alkanet" report "$log" --sample sample.exe -f json -o "$out/b.json" --no-progress)
  rj=$(timed jq -n 'reduce inputs as $r ({}; if $r.logtype == "ENTER" then .[$r.proc_pid] += 1 else . end)' "$log")
  echo "$ra" >> "$out/A"; echo "$rb" >> "$out/B"; echo "$rj" >> "$out/jq"
  awk -v x="$ra" -v j="$rj" 'BEGIN { printf "%.2f\n", x / j }' >> "$out/A.ratio"
  awk -v x="$rb" -v j="$rj" 'BEGIN { printf "%.2f\n", x / j }' >> "$out/B.ratio"
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
  echo "round $i: A $ra records/s, B $rb records/s, jq $rj records/s" >&2
done
range() { echo "median $(median "$2" < "$1"), min $(sort -g "$1" | head -1), max $(sort -g "$1" | tail -1)"; }
echo "log: $log ($n records, $(du -h "$log" | cut -f1))"
for tag in A B; do
  dir=$a; [ "$tag" = B ] && dir=$b
  echo "$tag ($dir): records/s $(range "$out/$tag" '%.0f'); times jq $(range "$out/$tag.ratio" '%.2f')"
done
echo "jq: records/s $(range "$out/jq" '%.0f')"
echo "load average (1 min) after each round: ${loads[*]}; $(nproc) cores, one core each (taskset -c 0)"
