#!/usr/bin/env bash
# Tools the build and tests use on every machine.
set -euo pipefail
need=()
for pkg in jq xz-utils gzip ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is required (dotnet on PATH)" >&2; exit 1; }
