#!/usr/bin/env bash
# Dropped-file evidence: file types through libmagic (libmagic.so.1, loaded by P/Invoke in
# src/Alkanet.Analysis/Evidence/LibMagic.cs) with its database (libmagic-mgc comes with it).
set -euo pipefail
if ! ldconfig -p | grep -q 'libmagic.so.1 '; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1 >/dev/null
fi
# --yara runs Debian's yara program (src/Alkanet.Analysis/Evidence/YaraRules.cs).
if ! command -v yara >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq yara >/dev/null
fi
