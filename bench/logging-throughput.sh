#!/usr/bin/env bash
# Logging figures (docs/PERFORMANCE.md, "## Logging"):
#  1. sustained records/s from one tracer client (`alkanet logger send --synthetic N`) to a logger over
#     loopback, acknowledged = stored in SQLite and the run's JSON Lines file; plus CPU per record of each side;
#  2. end-to-end latency at a fixed rate: record produced (its timestamp_ns, set when the sender makes it)
#     -> visible through the page's API (/api/runs/RUN/records?tail=1), polled every 100 ms.
# Usage: bash bench/logging-throughput.sh [RECORDS] [LATENCY_RATE] [LATENCY_SECONDS]
# TREE=DIR measures another checkout's build (bench/ab-logging.sh alternates two).
set -euo pipefail
root="${TREE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
records=${1:-2000000}
rate=${2:-500000}
seconds=${3:-10}
port=${LOGGER_PORT:-17700}
http=${LOGGER_HTTP_PORT:-17701}
dotnet build "$root/src/Alkanet.Cli" -c Release --nologo -v q >/dev/null
cli="$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll"
work=$(mktemp -d /tmp/alkanet-logging-bench.XXXXXX)
token=bench-token-0001
: >"$work/logger.log"
dotnet "$cli" logger --listen 127.0.0.1:$port --http 127.0.0.1:$http --data "$work/data" --token $token >"$work/logger.log" 2>&1 &
logger=$!
trap 'kill $logger 2>/dev/null || true; wait $logger 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "data in" "$work/logger.log" && break; sleep 0.1; done
grep -q "data in" "$work/logger.log" || { cat "$work/logger.log"; exit 1; }
ticks() { awk '{print $14+$15}' /proc/$logger/stat; }
hz=$(getconf CLK_TCK)

# The logger is a long-running service: measure it warm (its hot paths compiled by the JIT's last tier), as it runs
# after its first minute; WARMUP=0 leaves this out.
# The JIT promotes a hot method in two steps (instrumented, then optimized), each after its calls are counted again: one
# warm-up run left the second step to the measured run (`perf`: the JIT's thread took ~18% of the logger's CPU in it), so
# two, with a pause for the JIT's background thread between them.
warmup=${WARMUP:-300000}
for w in 1 2; do
  [ "$warmup" -gt 0 ] && dotnet "$cli" logger send --synthetic "$warmup" --to 127.0.0.1:$port --token $token --run warmup$w >/dev/null 2>&1
  sleep 1
done
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== throughput: $records records, one client (raw batches over loopback, Brotli between machines), SQLite + run file (logger warmed up with 2 x $warmup records)"
before=$(ticks)
/usr/bin/time -f "sender: %U s user + %S s system CPU" dotnet "$cli" logger send --synthetic "$records" \
  --to 127.0.0.1:$port --token $token --run throughput 2>&1
after=$(ticks)
awk -v t=$((after - before)) -v hz="$hz" -v n="$records" 'BEGIN { printf "logger: %.2f s CPU = %.2f us per record\n", t / hz, t / hz * 1e6 / n }'
ls -l "$work/data/runs/throughput.jsonl" | awk '{ printf "run file: %d bytes\n", $5 }'
du -b "$work/data"/alkanet-logger.db* | awk '{ s += $1 } END { printf "database (+WAL): %d bytes\n", s }'

echo "== latency: $rate records/s for $seconds s, newest visible record's age polled every 100 ms"
dotnet "$cli" logger send --synthetic $((rate * seconds)) --rate "$rate" --to 127.0.0.1:$port --token $token --run latency >"$work/latency-send.log" 2>&1 &
sender=$!
: >"$work/lat.txt"
sleep 1
while kill -0 $sender 2>/dev/null; do
  body=$(curl -s "http://127.0.0.1:$http/api/runs/latency/records?tail=1&limit=1" || true)
  now=$(date +%s%N)
  ts=$(grep -o '"timestamp_ns":[0-9]*' <<<"$body" | head -1 | cut -d: -f2 || true)
  [ -n "$ts" ] && echo $(( (now - ts) / 1000 )) >>"$work/lat.txt"
  sleep 0.1
done
wait $sender || true
cat "$work/latency-send.log"
sort -n "$work/lat.txt" | awk '{ a[NR] = $1 } END {
  if (NR == 0) { print "no latency samples"; exit 1 }
  p50 = int(NR * 0.5) + 1; p95 = int(NR * 0.95) + 1; if (p95 > NR) p95 = NR
  printf "latency over %d samples: p50 %.0f ms, p95 %.0f ms, max %.0f ms\n", NR, a[p50] / 1000, a[p95] / 1000, a[NR] / 1000 }'
