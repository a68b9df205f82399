#!/usr/bin/env bash
# The gdbstub hook on a Windows-like guest, end to end on stock QEMU under TCG: the kit's bootable synthetic
# Windows guest (tests/Alkanet.Introspection.TestKit/Boot, 1909 layout; its sample makes 12 real system calls a
# round) is booted with a gdbstub, and once its sample runs (first echo line on the serial port)
# `alkanet trace --gdb ... --os windows` attaches, discovers the kernel from the IDT and traces for SECONDS.
# The trace attaches whenever the sample is running, possibly while its vCPU is in user mode: discovery then lets
# it run for a moment and stops it again (WindowsGdbAttachOptions). Prints alkanet trace's summary line per run (hits/s, packets per hit, single steps) and the median hits/s.
# Usage: bash bench/gdbstub-windows-synthetic.sh [SECONDS] [RUNS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
seconds="${1:-20}"
runs="${2:-3}"
build_cli
dotnet build bench/Alkanet.Benchmarks -c Release --nologo -v q >/dev/null
out="$(mktemp -d)"
qemu_pid=""
trap '[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null; rm -rf "$out"' EXIT
# Enough rounds to outlast the trace (the guest powers off after the last one).
dotnet "$root/bench/Alkanet.Benchmarks/bin/Release/net10.0/Alkanet.Benchmarks.dll" gen-windows-disk "$out/disk.img" 5000000 >/dev/null
ovmf="${ALKANET_OVMF:-/usr/share/OVMF}"
code="$ovmf/OVMF_CODE_4M.fd" vars="$ovmf/OVMF_VARS_4M.fd"
[ -f "$code" ] || { code="$ovmf/OVMF_CODE.fd"; vars="$ovmf/OVMF_VARS.fd"; }
echo "qemu: $(qemu-system-x86_64 --version | head -1)"
for _ in $(seq "$runs"); do
  port=$((20000 + RANDOM % 20000))
  cp "$vars" "$out/vars.fd"
  rm -f "$out/serial.log"
  qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -m 512 -smp 1 -display none -monitor none -no-reboot -nic none \
    -serial "file:$out/serial.log" -drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" \
    -drive "if=pflash,format=raw,unit=1,file=$out/vars.fd" -drive "file=$out/disk.img,format=raw,if=ide,snapshot=on" \
    -gdb "tcp:127.0.0.1:$port" &
  qemu_pid=$!
  # OVMF writes to the serial port too: wait for the sample's own echo line (SampleProgram.Payload).
  for _ in $(seq 1200); do grep -qs "alkanet synthetic sample" "$out/serial.log" && break; sleep 0.1; done
  grep -qs "alkanet synthetic sample" "$out/serial.log" || { echo "the synthetic guest never reached its sample" >&2; exit 1; }
  "${cli[@]}" trace --gdb "127.0.0.1:$port" --os windows --duration "${seconds}s" --timeout 10s --out "$out/trace.jsonl" 2> "$out/trace.err"
  grep -E "alkanet trace: (duration|hitlimit|targetexited)" "$out/trace.err" | tee -a "$out/summary.txt" || { cat "$out/trace.err" >&2; exit 1; }
  kill "$qemu_pid" 2>/dev/null || true
  wait "$qemu_pid" 2>/dev/null || true
  qemu_pid=""
done
echo "median: $(sed -E 's/.*\(([0-9]+) hits\/s.*/\1/' "$out/summary.txt" | median '%.0f') hits/s over $runs runs of ${seconds} s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
