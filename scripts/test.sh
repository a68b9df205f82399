#!/usr/bin/env bash
# The test command: set up a fresh machine, build everything, run every test, print a one-line tally.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
results="$root/artifacts/test-results"
rm -rf "$results"
dotnet build Alkanet.slnx -c Release --nologo -v q
status=0
# -m:1: one test project at a time, so the live QEMU tests of different projects do not share the two cores.
dotnet test Alkanet.slnx -c Release --no-build --nologo -m:1 \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?
# One closing line CI can read: "N passed, N failed, N skipped".
passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
done
skipped=$((total - passed - failed))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$total" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit $status
