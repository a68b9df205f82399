#!/usr/bin/env bash
# The main job on the embedded default. Until the live tracer lands this reads, checks and summarises
# the shipped example log; it is replaced by `alkanet run` on the embedded analysis guest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
dotnet build src/Alkanet.Cli -c Release --nologo -v q
alkanet() { dotnet "$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll" "$@"; }
alkanet log validate data/examples/figure2.json
alkanet log cat data/examples/figure2.json
alkanet log stats data/examples/figure2.json
