#!/usr/bin/env bash
# The tracer port under a burst of connects (docs/RELIABILITY.md, "Faults tested"): N back-to-back TCP connects
# (connect, close) to a running `alkanet logger` on 127.0.0.1, timed as a whole and per connect, with the kernel's
# count of listen-queue overflows before and after. Loopback only; bounded by N.
# Usage: bash bench/connect-burst.sh [N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n=${1:-1000}
port=${LOGGER_PORT:-17710}
build_cli
work=$(mktemp -d /tmp/alkanet-burst-bench.XXXXXX)
"${cli[@]}" logger --listen 127.0.0.1:$port --no-http --data "$work/data" --token burst-bench-token >"$work/logger.log" 2>&1 &
logger=$!
trap 'kill $logger 2>/dev/null || true; wait $logger 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "data in" "$work/logger.log" && break; sleep 0.1; done
overflows() { awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) k[i] = $i; h = 1 } else for (i = 1; i <= NF; i++) if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat; }
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== listen backlog (ss Send-Q): $(ss -ltnH "sport = :$port" | awk '{print $3}')"
before=$(overflows)
python3 - "$port" "$n" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
worst, start = 0.0, time.perf_counter()
for _ in range(n):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.close()
    worst = max(worst, time.perf_counter() - t)
total = time.perf_counter() - start
print(f"{n} connects: {total:.2f} s in all, slowest {worst * 1000:.1f} ms")
PY
echo "listen-queue overflows during the burst (whole machine): $(( $(overflows) - before ))"
