#!/usr/bin/env bash
# Records the Linux half of the behaviour corpus (samples/corpus) in the analysis guest and stores the traces as
# the fixtures of tests/Alkanet.Behaviour.Tests: one guest runs every technique of corpus.yaml in order
# (linux-corpus.jsonl.gz), another the benign administration script alone (linux-benign.jsonl.gz; its whole guest,
# boot included, is judged). Two boots instead of one per technique: the machine is shared and slow.
# Then regenerate the table in docs/VALIDATION.md with scripts/corpus-table.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fixtures=tests/Alkanet.Behaviour.Tests/Fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dotnet build src/Alkanet.Cli -c Release --nologo -v q
alkanet() { dotnet "$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll" "$@"; }
ids=$(python3 - <<'PY'
import yaml
print(" ".join(t["id"] for t in yaml.safe_load(open("samples/corpus/corpus.yaml")) if t["os"] == "linux" and not t.get("benign")))
PY
)
record() { # NAME [--bare] ID...
  local name=$1
  shift
  local bare=()
  if [ "$1" = --bare ]; then bare=(--bare); shift; fi
  samples/corpus/bundle.sh "${bare[@]}" "$tmp/$name.sh" "$@"
  alkanet run "$tmp/$name.sh" --out "$tmp/$name" --no-report --timeout 5m
  if ! grep -q '"outcome": *"PoweredOff"' "$tmp/$name/run.json" || ! grep -q '"lost": *0,' "$tmp/$name/run.json"; then
    echo "corpus-record: the $name run did not end cleanly (powered off, nothing lost):" >&2
    cat "$tmp/$name/run.json" >&2
    exit 1
  fi
  mkdir -p "$fixtures"
  gzip -9n < "$tmp/$name/trace.jsonl" > "$fixtures/$name.jsonl.gz.partial"
  mv "$fixtures/$name.jsonl.gz.partial" "$fixtures/$name.jsonl.gz"
  echo "corpus-record: $fixtures/$name.jsonl.gz ($(wc -l < "$tmp/$name/trace.jsonl") records)"
}
# shellcheck disable=SC2086 # the ids are words
record linux-corpus $ids
record linux-benign --bare lx-benign
