#!/usr/bin/env bash
# The farm on this machine (docs/FARM.md, docs/PERFORMANCE.md "Farm"), with real `alkanet run`s of the dropper:
#  1. submit -> report for one dropper task on an idle one-slot farm (client clock: POST until the report is served);
#  2. tasks/hour with 1 and with 2 slots (one worker, TASKS dropper tasks queued at once, first POST to last done);
#  3. records/s into PostgreSQL through the service's tracer port (`alkanet logger send --synthetic N`), beside the
#     same stream into `alkanet logger` (SQLite), measured in the same run.
# Usage: bash bench/farm.sh [TASKS] [RECORDS]     (defaults 6 and 500000; TASKS=0: only 3., no guest)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tasks="${1:-6}" records="${2:-500000}"
build_cli
[ "$tasks" = 0 ] || "${cli[@]}" guest build >/dev/null  # the guest, profile and plugin, once, outside the timings
work="$(mktemp -d)"
chmod 755 "$work"   # the postgres user keeps its cluster below it
farm_pid=""
cleanup() { [ -z "$farm_pid" ] || { kill -TERM "$farm_pid" 2>/dev/null; wait "$farm_pid" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT
now() { date +%s.%N; }
rate_of() { sed -n 's/.*(\([0-9]*\) records\/s).*/\1/p'; }   # the records/s figure `alkanet logger send` prints
api="http://127.0.0.1:7701"

start_farm() { # SLOTS
  bash scripts/farm.sh --workers 1 --slots "$1" --dir "$work/farm-$1" --http 7701 --tracer 7700 > "$work/farm-$1.log" 2>&1 &
  farm_pid=$!
  until grep -q 'the farm runs' "$work/farm-$1.log"; do kill -0 "$farm_pid" || { cat "$work/farm-$1.log"; exit 1; }; sleep 0.5; done
  token="$(cat "$work/farm-$1/token")"
}
stop_farm() { kill -TERM "$farm_pid"; wait "$farm_pid" || true; farm_pid=""; }
submit() { curl -sf -H "X-Alkanet-Token: $token" -F sample=@samples/dropper/dropper.c -F timeout=2m "$api/api/tasks" | jq -r .id; }
wait_done() { # IDS...
  local id state
  for id in "$@"; do
    while :; do
      state="$(curl -sf "$api/api/tasks/$id" | jq -r .task.state)"
      case "$state" in done) break ;; failed|cancelled) echo "task $id $state" >&2; exit 1 ;; esac
      sleep 0.5
    done
  done
}

start_farm 1
declare -A rate
if [ "$tasks" != 0 ]; then
  t0=$(now); id=$(submit); wait_done "$id"; curl -sf "$api/api/tasks/$id/report?format=md" > /dev/null; t1=$(now)
  records_dropper=$(curl -sf "$api/api/tasks/$id" | jq '.attemptList[-1].recordsStored')
  echo "submit -> report (dropper, idle 1-slot farm): $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s ($records_dropper records)"
fi
for slots in 1 2; do
  [ "$tasks" != 0 ] || [ "$slots" = 1 ] || continue
  [ "$slots" = 1 ] || start_farm "$slots"
  if [ "$tasks" != 0 ]; then
    ids=(); t0=$(now)
    for _ in $(seq "$tasks"); do ids+=("$(submit)"); done
    wait_done "${ids[@]}"; t1=$(now)
    rate[$slots]=$(awk -v n="$tasks" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n*3600/(b-a)}')
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
    echo "$slots slot(s): $tasks dropper tasks in $took s = ${rate[$slots]} tasks/hour (load $(cut -d' ' -f1 /proc/loadavg))"
  fi
  if [ "$slots" = 1 ]; then
    pg=$("${cli[@]}" logger send --synthetic "$records" --to 127.0.0.1:7700 --token-file "$work/farm-1/token" --run bench-pg | rate_of)
  fi
  stop_farm
done
"${cli[@]}" logger --listen 127.0.0.1:7702 --no-http --data "$work/sqlite" --token bench-sqlite-token > "$work/logger.log" 2>&1 &
lp=$!
until grep -q 'data in' "$work/logger.log"; do kill -0 "$lp" 2>/dev/null || { cat "$work/logger.log" >&2; exit 1; }; sleep 0.2; done
sq=$("${cli[@]}" logger send --synthetic "$records" --to 127.0.0.1:7702 --token bench-sqlite-token --run bench-sqlite | rate_of)
kill -TERM "$lp"; wait "$lp" || true
[ "$tasks" = 0 ] || echo "2 slots / 1 slot: $(awk -v a="${rate[1]}" -v b="${rate[2]}" 'BEGIN{printf "%.2f", b/a}')x"
ratio=$(awk -v a="$pg" -v b="$sq" 'BEGIN{printf "%.2f", a/b}')
echo "records/s into PostgreSQL (alkanet serve): $pg; into SQLite (alkanet logger): $sq; ratio $ratio ($records synthetic records)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
