#!/usr/bin/env bash
# Writes docs/VALIDATION.md's "Real sandbox outputs" section: for each public sandbox output of tests/corpus (and the two
# CAPE reports of the Analysis fixtures), `alkanet report` + `alkanet compare` precision/recall per category against the
# sandbox's own summary, and the ATT&CK technique recall against the sandbox's own signatures/TTPs, misses explained.
# Usage: scripts/validation.sh [ALKANET_DLL]   (default: the Release build of src/Alkanet.Cli)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dll="${1:-$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll}"
[[ -f "$dll" ]] || { echo "validation.sh: $dll not built (dotnet build src/Alkanet.Cli -c Release)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
inputs=("$root"/tests/Alkanet.Analysis.Tests/Fixtures/cape/*.json.gz "$root"/tests/corpus/cape/*.json.gz "$root"/tests/corpus/drakvuf/*)
for f in "${inputs[@]}"; do
  id="$(basename "$f")"; id="${id%%.*}"
  dotnet "$dll" report "$f" --no-progress -f json -o "$work/$id.report.json"
  if [[ "$f" == *.json.gz ]]; then
    dotnet "$dll" compare "$work/$id.report.json" "$f" --json -o "$work/$id.compare.json"
  fi
  echo "$f" > "$work/$id.input"
done
python3 "$root/scripts/validation_table.py" "$work" "$root/docs/VALIDATION.md"
