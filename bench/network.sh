#!/usr/bin/env bash
# Time the isolated network adds to a run (docs/PERFORMANCE.md, "Network"). The beacon sample (which needs no
# network) runs RUNS times (default 3) without and with --network; run.json gives the wall time of each run and,
# for networked runs, network.setup_s (namespace + INetSim start and stop) and network.parse_s (Suricata on the pcap).
# Usage: bash bench/network.sh [RUNS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-3}"
build_cli
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
: > "$out/plain.txt"; : > "$out/net.txt"; : > "$out/setup.txt"; : > "$out/parse.txt"
for _ in $(seq "$runs"); do
  "${cli[@]}" run samples/beacon --no-report --out "$out/run" >/dev/null 2>&1
  jq -r .wall_s "$out/run/run.json" >> "$out/plain.txt"
  "${cli[@]}" run samples/beacon --no-report --network --out "$out/run" >/dev/null 2>&1
  jq -r .wall_s "$out/run/run.json" >> "$out/net.txt"
  jq -r .network.setup_s "$out/run/run.json" >> "$out/setup.txt"
  jq -r .network.parse_s "$out/run/run.json" >> "$out/parse.txt"
done
p=$(median %.3f < "$out/plain.txt"); n=$(median %.3f < "$out/net.txt")
s=$(median %.3f < "$out/setup.txt"); q=$(median %.3f < "$out/parse.txt")
awk -v p="$p" -v n="$n" -v s="$s" -v q="$q" 'BEGIN {
  printf "run wall, no network  %8.3f s\nrun wall, --network   %8.3f s  (%.2fx)\n", p, n, n / p
  printf "  network setup+stop  %8.3f s  (%.0f%% of the networked run)\n  Suricata parse      %8.3f s  (%.0f%%)\n", s, 100 * s / n, q, 100 * q / n }'
echo "medians of $runs runs each; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
