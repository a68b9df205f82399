#!/usr/bin/env bash
# Regenerates the corpus table in docs/VALIDATION.md from the behaviour corpus (samples/corpus): the recorded Linux
# fixtures (scripts/corpus-record.sh) and the Windows techniques run through the decoder on the synthetic guest.
# The same test fails when the table is stale, so the document always says what the corpus measures.
set -euo pipefail
cd "$(dirname "$0")/.."
ALKANET_UPDATE_VALIDATION=1 dotnet test tests/Alkanet.Behaviour.Tests -c Release --nologo -v q \
  --filter "FullyQualifiedName~CorpusTableTests"
