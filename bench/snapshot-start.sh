#!/usr/bin/env bash
# Cold boot against a run from a snapshot (issue 15 item 7), alternating, RUNS times each (median): the kit's bootable
# synthetic Windows guest (one round of 16 calls) booted by `alkanet run --image DISK --os windows` (OVMF, then the
# guest), and the same guest built to idle before its sample, prepared once with `alkanet image prepare` and run with
# `--snapshot` (restore, plugin discovery in the restored memory, start key, sample). Figures: wall seconds of each
# run (run.json wall_s: QEMU's start to its exit, the report excluded) and, for the restore, QEMU's start to the
# start key. Both traced, 512 MiB, 1 vCPU, screenshots at the end (the default).
# Usage: bash bench/snapshot-start.sh [RUNS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-3}"
build_cli
dotnet build bench/Alkanet.Benchmarks -c Release --nologo -v q >/dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
gen=(dotnet "$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll" gen-windows-disk)
"${gen[@]}" "$out/cold.img" 1 >/dev/null
"${gen[@]}" "$out/idle.img" 1 wait-for-start >/dev/null
echo MZ > "$out/sample.exe"
"${cli[@]}" image prepare "$out/idle.img" --snapshot idle --settle 1 --memory 512M --smp 1 --timeout 10m > "$out/prepare.txt" 2>&1 \
  || { cat "$out/prepare.txt"; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
echo "prepare: kernel found $(json "$out/idle.img.alkanet/idle.json" 'd["kernel_found_after_s"]') s after QEMU's start"
: > "$out/cold.txt"; : > "$out/restore.txt"; : > "$out/key.txt"
for _ in $(seq "$runs"); do
  rm -rf "$out/run"
  "${cli[@]}" run --image "$out/cold.img" --os windows "$out/sample.exe" --memory 512M --smp 1 --no-report --out "$out/run" >/dev/null 2>&1
  json "$out/run/run.json" 'd["wall_s"]' >> "$out/cold.txt"
  rm -rf "$out/run"
  "${cli[@]}" run --image "$out/idle.img" --os windows --snapshot idle "$out/sample.exe" --no-report --out "$out/run" >/dev/null 2>&1
  json "$out/run/run.json" 'd["wall_s"]' >> "$out/restore.txt"
  json "$out/run/run.json" 'd["snapshot"]["start_key_after_s"]' >> "$out/key.txt"
done
cold=$(median '%.3f' < "$out/cold.txt")
restore=$(median '%.3f' < "$out/restore.txt")
echo "cold boot: median wall ${cold} s (all: $(tr '\n' ' ' < "$out/cold.txt"))"
echo "from the snapshot: median wall ${restore} s (all: $(tr '\n' ' ' < "$out/restore.txt")), start key at median" \
  "$(median '%.3f' < "$out/key.txt") s"
echo "restore / cold: $(python3 -c "print(f'{$restore / $cold:.2f}')")"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
