#!/usr/bin/env bash
# The logging part's browser tests drive Debian's chromium through Playwright (never Playwright's own
# browser download, which does not work here). Idempotent: installs only what is missing.
set -euo pipefail
need=()
for pkg in chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
test -x /usr/bin/chromium || { echo "setup: /usr/bin/chromium missing after install" >&2; exit 1; }
