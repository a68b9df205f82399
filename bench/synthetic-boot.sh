#!/usr/bin/env bash
# The bootable synthetic Windows guest (tests/Alkanet.Introspection.TestKit/Boot) under QEMU TCG + OVMF, untraced:
# wall time from QEMU start to its power-off exit for 1 round of sample.exe's 12 calls (the boot time), and for
# ROUNDS rounds (default 20000), hence the untraced cost of one synthetic system call (SYSCALL, KiSystemCall64,
# KiServiceTable dispatch, service, SYSRETQ) under TCG. Each configuration runs RUNS times (default 5); medians.
# The disks come from the benchmarks' `gen-windows-disk FILE ITERATIONS` (bench/Alkanet.Benchmarks/Windows).
# Usage: bash bench/synthetic-boot.sh [RUNS] [ROUNDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
runs="${1:-5}"
rounds="${2:-20000}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
dotnet build bench/Alkanet.Benchmarks -c Release -v q --nologo >/dev/null
gen() { dotnet bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll gen-windows-disk "$@" >/dev/null; }
gen "$out/one.img" 1
gen "$out/many.img" "$rounds"
code=/usr/share/OVMF/OVMF_CODE_4M.fd; vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -e "$code" ] || { code=/usr/share/OVMF/OVMF_CODE.fd; vars=/usr/share/OVMF/OVMF_VARS.fd; }
boot() { # IMAGE -> seconds from start to exit; fails unless the guest powered itself off
  cp "$vars" "$out/vars.fd"
  local t0 t1
  t0=$(date +%s.%N)
  timeout 600 qemu-system-x86_64 -machine q35 -accel tcg -m 512 -smp 1 -display none -monitor none -no-reboot -nic none \
    -serial "file:$out/serial.log" -drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
    -drive "if=pflash,format=raw,unit=1,file=$out/vars.fd" -drive "file=$1,format=raw,if=ide"
  t1=$(date +%s.%N)
  grep -q "NtTerminateProcess, powering off" "$out/serial.log" || { echo "no power-off in $1" >&2; cat "$out/serial.log" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
for img in one many; do
  : > "$out/$img.txt"
  for _ in $(seq "$runs"); do boot "$out/$img.img" >> "$out/$img.txt"; done
done
one=$(median %.3f < "$out/one.txt"); many=$(median %.3f < "$out/many.txt")
echo "boot to power-off, 1 round (13 calls): median $one s over $runs runs (all: $(tr '\n' ' ' < "$out/one.txt"))"
echo "$rounds rounds ($((rounds * 12 + 1)) calls): median $many s (all: $(tr '\n' ' ' < "$out/many.txt"))"
awk -v a="$one" -v b="$many" -v n="$rounds" 'BEGIN { printf "untraced synthetic system call under TCG: %.0f ns per call\n", (b - a) * 1e9 / ((n - 1) * 12) }'
echo "qemu: $(qemu-system-x86_64 --version | head -1); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
