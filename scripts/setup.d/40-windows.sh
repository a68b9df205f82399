#!/usr/bin/env bash
# Windows introspection: reading .json.xz symbol tables goes through the system's liblzma (P/Invoke).
set -euo pipefail
if ! ldconfig -p 2>/dev/null | grep -q 'liblzma.so.5 '; then
  apt-get install -y -qq --no-install-recommends liblzma5 >/dev/null
fi
