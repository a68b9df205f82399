#!/usr/bin/env bash
# apt-cache and apt-get need fresh lists on a new machine; refresh at most once an hour.
set -euo pipefail
stamp=/var/lib/apt/periodic/alkanet-update-stamp
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +60 2>/dev/null)" ]; then
  apt-get update -qq
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
