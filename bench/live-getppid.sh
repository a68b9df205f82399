#!/usr/bin/env bash
# Guest-measured cost of a system call with and without the TCG plugin hook: bench/live/getppid.c makes
# 200,000 getppid() calls timed inside the guest; each configuration boots the guest RUNS times (default 10)
# and the median ns/call is reported. Stages: untraced (no plugin), hit (callback only), decode (records
# built, not written), full (records written to the ring and drained into trace.jsonl), and full with
# --all-args (every ENTER also carries its raw argument registers: one more guest-memory read per call).
# Usage: bash bench/live-getppid.sh [RUNS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-10}"
build_cli
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
declare -A med
for stage in untraced hit decode full allargs; do
  case "$stage" in
    untraced) extra=(--untraced) ;;
    full) extra=() ;;
    allargs) extra=(--all-args) ;;
    *) extra=(--hook-stage "$stage") ;;
  esac
  : > "$out/$stage.txt"
  for i in $(seq "$runs"); do
    "${cli[@]}" run bench/live/getppid.c --out "$out/run" "${extra[@]}" >/dev/null 2>&1 || { echo "run failed ($stage)" >&2; cat "$out/run/run.json" >&2; exit 1; }
    sed -n 's/.*getppid ns_per_call=\([0-9.]*\).*/\1/p' "$out/run/console.log" >> "$out/$stage.txt"
  done
  med[$stage]=$(median < "$out/$stage.txt")
  echo "$stage: median $(printf '%s' "${med[$stage]}") ns/call over $runs runs (all: $(tr '\n' ' ' < "$out/$stage.txt"))"
done
awk -v u="${med[untraced]}" -v h="${med[hit]}" -v d="${med[decode]}" -v f="${med[full]}" -v a="${med[allargs]}" 'BEGIN {
  printf "added per call (ENTER+EXIT): callback only %.0f ns, decoded %.0f ns, records written %.0f ns, with all args %.0f ns\n", h-u, d-u, f-u, a-u }'
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
