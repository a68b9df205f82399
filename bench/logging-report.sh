#!/usr/bin/env bash
# The page's report (docs/LOGGING.md, "The report"; figures in docs/PERFORMANCE.md, "## Logging: the page's report"):
# a generated N-record log (bench/report-gen.py, default 1,000,000) is streamed into a logger
# (`alkanet logger send`), then GET /api/runs/RUN/report?sample=sample.exe is timed cold (analysis) and
# again (cached), beside `alkanet report` on the same file.
# Usage: bash bench/logging-report.sh [RECORDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-1000000}"
port=${LOGGER_PORT:-17710}
http=${LOGGER_HTTP_PORT:-17711}
dotnet build "$root/src/Alkanet.Cli" -c Release --nologo -v q >/dev/null
cli="$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll"
work=$(mktemp -d /tmp/alkanet-logging-report.XXXXXX)
python3 "$root/bench/report-gen.py" "$n" "$work/bench.jsonl"
token=bench-token-0001
dotnet "$cli" logger --listen 127.0.0.1:$port --http 127.0.0.1:$http --data "$work/data" --token $token >"$work/logger.log" 2>&1 &
logger=$!
trap 'kill $logger 2>/dev/null || true; wait $logger 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q "data in" "$work/logger.log" && break; sleep 0.1; done
grep -q "data in" "$work/logger.log" || { cat "$work/logger.log"; exit 1; }
echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $n records ($(du -h "$work/bench.jsonl" | cut -f1))"
dotnet "$cli" logger send "$work/bench.jsonl" --to 127.0.0.1:$port --token $token --run big >/dev/null
url="http://127.0.0.1:$http/api/runs/big/report?sample=sample.exe"
for what in "cold (analysis)" "cached" "cached"; do
  curl -s -o "$work/report.json" -w "page report, $what: %{time_total} s, HTTP %{http_code}, %{size_download} bytes\n" "$url"
done
python3 -c "import json,sys; r=json.load(open('$work/report.json')); print('  report:', r['input']['records'], 'records,', len(r['findings']), 'findings:', ', '.join(f['rule'] for f in r['findings']))"
/usr/bin/time -f "alkanet report on the same file: %e s wall" dotnet "$cli" report "$work/bench.jsonl" --sample sample.exe -f json -o "$work/cli.json" --no-progress
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
