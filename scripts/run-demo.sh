#!/usr/bin/env bash
# The main job on the embedded default: set up a fresh Debian 12 machine, build, boot the embedded Linux
# analysis guest under QEMU with the in-hypervisor hook, trace every system call while the dropper sample
# runs and report what it did; then check and count the log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
dotnet build src/Alkanet.Cli -c Release --nologo -v q
alkanet() { dotnet "$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll" "$@"; }
out="$root/out/demo"
alkanet run samples/dropper --out "$out"          # trace.jsonl, run.json, report.md/.html/.json
alkanet log validate "$out/trace.jsonl"
alkanet log stats --top 10 "$out/trace.jsonl"
echo "The log: $out/trace.jsonl   The report page: $out/report.html"
