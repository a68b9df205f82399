#!/usr/bin/env bash
# The farm (docs/FARM.md) stores tasks and runs in PostgreSQL and queues them on RabbitMQ: Debian's own
# packages. Their system services are not needed: the tests and scripts/farm.sh start private instances
# (initdb/pg_ctl as the postgres user, rabbitmq-server with its own RABBITMQ_* environment) on loopback.
# A policy-rc.d refusing starts keeps the install from starting the system-wide services; if a package
# started one anyway it is stopped again. Idempotent: installs only what is missing.
set -euo pipefail
need=()
for pkg in postgresql rabbitmq-server; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  policy=/usr/sbin/policy-rc.d
  restore=""
  if [ -e "$policy" ]; then restore="$(mktemp)"; cp -p "$policy" "$restore"; fi
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"
  trap 'if [ -n "$restore" ]; then mv "$restore" "$policy"; else rm -f "$policy"; fi' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
test -x "$pgbin/initdb" -a -x "$pgbin/pg_ctl" || { echo "setup: PostgreSQL's initdb/pg_ctl missing after install" >&2; exit 1; }
test -x /usr/lib/rabbitmq/bin/rabbitmq-server || { echo "setup: rabbitmq-server missing after install" >&2; exit 1; }
