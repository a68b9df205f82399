#!/usr/bin/env bash
# Two builds of Alkanet side by side on the synthetic Windows guest (bench/live-windows-synthetic.sh's workload: the
# kit's bootable guest, its sample's 25-call round repeated ITERATIONS times, the guest's pace read from its console):
# per round A untraced, A traced, B untraced, B traced (and with STAGES="untraced decode traced" the decode-only hook
# stage too), so both builds see the same machine load. Each build is a checkout of this repository (e.g. a
# `git worktree` of an older commit) and uses its own CLI and plugin; both boot the same disk image.
# Prints per build the median and range of "added ns per call" (traced minus untraced of the same round) and the load
# average after each round: on a shared machine only the ratio of one round means anything.
# Usage: bash bench/ab-windows.sh DIR_A DIR_B [ROUNDS] [ITERATIONS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 2 ] || { echo "usage: bash bench/ab-windows.sh DIR_A DIR_B [ROUNDS] [ITERATIONS]" >&2; exit 2; }
a="$(cd "$1" && pwd)"; b="$(cd "$2" && pwd)"; rounds="${3:-5}"; iterations="${4:-20000}"
stages=(${STAGES:-untraced traced})
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
build_checkouts "$a" "$b"
dotnet build bench/Alkanet.Benchmarks -c Release --nologo -v q >/dev/null
calls=$(dotnet "$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll" gen-windows-disk "$out/disk.img" "$iterations")
export CALLS_PER_ROUND="${CALLS_PER_ROUND:-$(( (calls - 1) / iterations ))}"
# One guest run of build DIR in STAGE; prints the guest's ns per call. It runs in DIR, so DIR's plugin and cache are used.
one() {
  local dir="$1" stage="$2" extra=()
  case "$stage" in
    untraced) extra=(--untraced) ;;
    traced) ;;
    *) extra=(--hook-stage "$stage") ;;
  esac
  rm -rf "$out/run"
  (cd "$dir" && windows_pace "$out/run/console.log" "$iterations" -- dotnet src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll run \
    --image "$out/disk.img" --os windows --memory 512M --timeout 30m --no-report --out "$out/run" "${extra[@]}") \
    || { echo "run failed in $dir ($stage)" >&2; exit 1; }
}
# A one-round warm-up per build: publishes its plugin when its sources changed (outside the measured runs).
dotnet "$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll" gen-windows-disk "$out/warm.img" 1 >/dev/null
for dir in "$a" "$b"; do
  (cd "$dir" && dotnet src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll run --image "$out/warm.img" --os windows --memory 512M \
    --timeout 10m --no-report --out "$out/warm" >/dev/null 2>&1) || { echo "warm-up run failed in $dir" >&2; exit 1; }
done
loads=()
for i in $(seq "$rounds"); do
  for tag in A B; do
    dir=$a; [ "$tag" = B ] && dir=$b
    declare -A ns=()
    for stage in "${stages[@]}"; do ns[$stage]=$(one "$dir" "$stage"); done
    line="round $i $tag:"
    for stage in "${stages[@]}"; do
      line+=" $stage ${ns[$stage]} ns"
      [ "$stage" = untraced ] && continue
      echo $(( ns[$stage] - ns[untraced] )) >> "$out/$tag.$stage.added"
      line+=" (+$(tail -1 "$out/$tag.$stage.added"))"
    done
    echo "$line" >&2
    unset ns
  done
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
done
for tag in A B; do
  dir=$a; [ "$tag" = B ] && dir=$b
  for stage in "${stages[@]}"; do
    [ "$stage" = untraced ] && continue
    f="$out/$tag.$stage.added"
    echo "$tag ($(git -C "$dir" rev-parse --short HEAD)) $stage: added per call median $(median '%.0f' < "$f") ns," \
      "min $(sort -g "$f" | head -1), max $(sort -g "$f" | tail -1) over $rounds rounds"
  done
done
echo "load average (1 min) after each round: ${loads[*]}; $(nproc) cores; $((iterations * CALLS_PER_ROUND)) calls a run"
