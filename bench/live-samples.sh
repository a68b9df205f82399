#!/usr/bin/env bash
# Traced/untraced slowdown of the sample set and boot-to-sample time. Each sample boots RUNS times
# (default 3) traced and untraced; the sample's own duration is the guest's uptime between the init's
# ALKANET-SAMPLE-START and -EXIT markers (run.json sample_s); medians are compared.
# Usage: bash bench/live-samples.sh [RUNS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-3}"
build_cli
out="$(mktemp -d)"
: > "$out/sum.txt"
trap 'rm -rf "$out"' EXIT
field() { jq -r ".$1" "$out/run/run.json"; }
: > "$out/boot.txt"
printf '%-13s %10s %10s %8s %9s\n' sample untraced_s traced_s slowdown records
for s in dropper persistence injector selfdelete beacon antianalysis; do
  : > "$out/t.txt"; : > "$out/u.txt"; : > "$out/n.txt"
  for i in $(seq "$runs"); do
    "${cli[@]}" run "samples/$s" --out "$out/run" >/dev/null 2>&1
    field sample_s >> "$out/t.txt"; field records >> "$out/n.txt"; field boot_to_sample_s >> "$out/boot.txt"
    "${cli[@]}" run "samples/$s" --untraced --out "$out/run" >/dev/null 2>&1
    field sample_s >> "$out/u.txt"
  done
  t=$(median %.3f < "$out/t.txt"); u=$(median %.3f < "$out/u.txt"); n=$(median %.3f < "$out/n.txt")
  awk -v s="$s" -v t="$t" -v u="$u" -v n="$n" 'BEGIN { printf "%-13s %10.3f %10.3f %7.2fx %9d\n", s, u, t, (u > 0 ? t/u : 0), n }'
  echo "$u $t" >> "$out/sum.txt"
done
awk '{u += $1; t += $2} END { printf "%-13s %10.3f %10.3f %7.2fx   (sum of the medians)\n", "sample set", u, t, t/u }' "$out/sum.txt"
echo "boot-to-sample (traced, guest uptime at sample start): median $(median %.3f < "$out/boot.txt") s over $((runs * 6)) boots"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
