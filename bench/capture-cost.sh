#!/usr/bin/env bash
# Guest-visible cost of dropped-file capture (docs/PERFORMANCE.md, "Evidence capture"): bench/live/writecap.c timed
# inside the guest under three settings of one build, in interleaved rounds so all see the same machine load:
#   none    --capture none (no read of write buffers)
#   sample  --capture sample: the writer is the sample, so the hook reads every write's buffer (1 MiB per-call cap)
#   out     --capture sample with the scope set to a name no process has: capture on, the writer out of scope
# Prints per setting the medians of ns per MiB written in 64 KiB writes and ns per 16-byte write, the added cost of
# capture per captured MiB (sample - none) and per out-of-scope call (out - none), and the load average.
# Usage: bash bench/capture-cost.sh [ROUNDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rounds="${1:-3}"
build_cli
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
one() {
  local tag="$1"; shift
  "${cli[@]}" run "$root/bench/live/writecap.c" --out "$out/run" --no-report --timeout 10m "$@" >/dev/null 2>&1 \
    || { echo "run failed ($tag: $*)" >&2; cat "$out/run/console.log" >&2 || true; exit 1; }
  local line; line=$(grep -o 'writecap ns_per_mib=.*' "$out/run/console.log")
  echo "$line" | sed -n 's/.*ns_per_mib=\([0-9.]*\).*/\1/p' >> "$out/$tag.mib"
  echo "$line" | sed -n 's/.*ns_per_small_write=\([0-9.]*\).*/\1/p' >> "$out/$tag.call"
  echo "round $round $tag: $line" >&2
}
loads=()
for round in $(seq "$rounds"); do
  one none --capture none
  one sample --capture sample
  one out --capture sample --capture-scope nobody-has-this
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
done
for tag in none sample out; do
  echo "$tag: ns per MiB median $(median '%.0f' < "$out/$tag.mib"), ns per 16-byte write median $(median '%.1f' < "$out/$tag.call")"
done
awk -v s="$(median '%.0f' < "$out/sample.mib")" -v n="$(median '%.0f' < "$out/none.mib")" \
  'BEGIN { printf "capture adds %.2f ms per captured MiB (%.2fx the uncaptured write time)\n", (s - n) / 1e6, s / n }'
awk -v o="$(median '%.1f' < "$out/out.call")" -v n="$(median '%.1f' < "$out/none.call")" \
  'BEGIN { printf "out of scope: %.1f ns per small write vs %.1f ns with capture off (%+.1f ns)\n", o, n, o - n }'
echo "load average (1 min) after each round: ${loads[*]}; $(nproc) cores"
