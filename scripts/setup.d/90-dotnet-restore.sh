#!/usr/bin/env bash
set -euo pipefail
cd "$ALKANET_ROOT"
dotnet restore Alkanet.slnx --nologo -v q
