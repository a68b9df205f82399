#!/usr/bin/env bash
# The main job on the embedded default: set up a fresh Debian 12 machine, build, boot the embedded Linux
# analysis guest under QEMU with the in-hypervisor hook, trace every system call while the dropper sample
# runs, check the log, and report what the sample did.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
dotnet build src/Alkanet.Cli -c Release --nologo -v q
alkanet() { dotnet "$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll" "$@"; }
out="$root/out/demo"
alkanet run samples/dropper --out "$out"
alkanet log validate "$out/trace.jsonl"
alkanet log stats --top 10 "$out/trace.jsonl"
alkanet report "$out/trace.jsonl" --sample run -f html -o "$out/report.html"
alkanet report "$out/trace.jsonl" --sample run
echo "The log: $out/trace.jsonl   The report page: $out/report.html"
