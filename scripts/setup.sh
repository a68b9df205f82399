#!/usr/bin/env bash
# Installs everything Alkanet needs on a fresh Debian 12 machine (idempotent; run as root or with sudo).
# Each part of the product has its own step in scripts/setup.d/, run in name order.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ALKANET_ROOT="$(cd "$here/.." && pwd)"
export ALKANET_CACHE="${ALKANET_CACHE:-$ALKANET_ROOT/.cache}"
mkdir -p "$ALKANET_CACHE"
export DEBIAN_FRONTEND=noninteractive
for step in "$here"/setup.d/*.sh; do
  [ -e "$step" ] || continue
  echo "== setup: $(basename "$step")" >&2
  bash "$step"
done
