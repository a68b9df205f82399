#!/usr/bin/env bash
# Two builds of Alkanet side by side: the guest-measured cost of a getppid() call (bench/live/getppid.c),
# untraced and traced (records written and drained), for build A and build B, in interleaved rounds
# (A untraced, A traced, B untraced, B traced, then again) so both see the same machine load. Each build
# is a checkout of this repository (e.g. a `git worktree` of an older commit); each uses its own plugin.
# Prints per build the median and range of "added ns per call" (traced minus untraced of the same round)
# and the load average beside it: on a shared machine only the ratio of one round means anything.
# Usage: bash bench/ab-getppid.sh DIR_A DIR_B [ROUNDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 2 ] || { echo "usage: bash bench/ab-getppid.sh DIR_A DIR_B [ROUNDS]" >&2; exit 2; }
a="$(cd "$1" && pwd)"; b="$(cd "$2" && pwd)"; rounds="${3:-5}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
build_checkouts "$a" "$b"
# One guest run of build DIR; prints the guest's ns per call. The run happens in DIR so its plugin and cache are used.
one() {
  local dir="$1"; shift
  (cd "$dir" && dotnet src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll run "$root/bench/live/getppid.c" \
    --out "$out/run" --no-report "$@" >/dev/null 2>&1) || { echo "run failed in $dir ($*)" >&2; cat "$out/run/run.json" >&2; exit 1; }
  sed -n 's/.*getppid ns_per_call=\([0-9.]*\).*/\1/p' "$out/run/console.log"
}
loads=()
for i in $(seq "$rounds"); do
  for tag in A B; do
    dir=$a; [ "$tag" = B ] && dir=$b
    u=$(one "$dir" --untraced); t=$(one "$dir")
    awk -v t="$t" -v u="$u" 'BEGIN { printf "%.1f\n", t - u }' >> "$out/$tag.added"
    echo "round $i $tag: untraced $u ns, traced $t ns, added $(tail -1 "$out/$tag.added") ns" >&2
  done
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
done
for tag in A B; do
  dir=$a; [ "$tag" = B ] && dir=$b
  echo "$tag ($(git -C "$dir" rev-parse --short HEAD)): added per call median $(median '%.1f' < "$out/$tag.added") ns," \
    "min $(sort -g "$out/$tag.added" | head -1), max $(sort -g "$out/$tag.added" | tail -1) over $rounds rounds"
done
echo "load average (1 min) after each round: ${loads[*]}; $(nproc) cores"
