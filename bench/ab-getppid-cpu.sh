#!/usr/bin/env bash
# CPU time per traced getppid() call for two builds of Alkanet: the whole `alkanet run` (QEMU with the plugin, and the
# host drain writing trace.jsonl) is timed in CPU seconds (user + system, /usr/bin/time) for a loop of CALLS calls
# (bench/live/getppid.c with its count replaced), untraced, traced to the decode stage (records built, not written) and
# traced in full, interleaved (A untraced, A decode, A full, B untraced ...). CPU time, unlike the guest-measured time of
# bench/ab-getppid.sh, hardly moves with the machine's load; the differences divided by CALLS are the CPU the hook
# (decode − untraced) and the ring write plus the drain (full − decode) spend per call (ENTER + EXIT: two records).
# Usage: bash bench/ab-getppid-cpu.sh DIR_A DIR_B [CALLS] [ROUNDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -ge 2 ] || { echo "usage: bash bench/ab-getppid-cpu.sh DIR_A DIR_B [CALLS] [ROUNDS]" >&2; exit 2; }
a="$(cd "$1" && pwd)"; b="$(cd "$2" && pwd)"; calls="${3:-2000000}"; rounds="${4:-1}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
sed "s/const long n = [0-9]*;/const long n = $calls;/" "$root/bench/live/getppid.c" > "$out/getppid.c"
grep -q "const long n = $calls;" "$out/getppid.c" || { echo "bench/live/getppid.c: no 'const long n = ...;' to replace" >&2; exit 2; }
build_checkouts "$a" "$b"
# CPU seconds of one run of build DIR with the given options.
cpu() {
  local dir="$1"; shift
  (cd "$dir" && /usr/bin/time -f "%U %S" -o "$out/time" dotnet src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll run \
    "$out/getppid.c" --out "$out/run" --no-report --timeout 600s "$@" >/dev/null 2>&1) \
    || { echo "run failed in $dir ($*)" >&2; cat "$out/run/run.json" >&2; exit 1; }
  grep -q "ns_per_call" "$out/run/console.log" || { echo "no result in $dir ($*)" >&2; exit 1; }
  awk '{ printf "%.2f\n", $1 + $2 }' "$out/time"
}
for i in $(seq "$rounds"); do
  for tag in A B; do
    dir=$a; [ "$tag" = B ] && dir=$b
    u=$(cpu "$dir" --untraced); d=$(cpu "$dir" --hook-stage decode); f=$(cpu "$dir")
    awk -v u="$u" -v d="$d" -v f="$f" -v n="$calls" -v tag="$tag" -v i="$i" -v l="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
      printf "round %d %s: CPU s untraced %.2f, decode %.2f, full %.2f; per call: hook %.0f ns, ring + drain %.0f ns, all %.0f ns (load %s)\n",
        i, tag, u, d, f, (d - u) * 1e9 / n, (f - d) * 1e9 / n, (f - u) * 1e9 / n, l }'
  done
done
echo "A $(git -C "$a" rev-parse --short HEAD), B $(git -C "$b" rev-parse --short HEAD); $(nproc) cores"
