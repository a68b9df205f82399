#!/usr/bin/env bash
# A whole farm on this machine, for trying it (docs/FARM.md): a private PostgreSQL cluster, a private RabbitMQ
# node, `alkanet serve` and N `alkanet worker`s, all on loopback, all under DIR. Runs until Ctrl-C (or SIGTERM),
# then drains the workers and stops everything it started. Needs root (PostgreSQL runs as the postgres user).
#   bash scripts/farm.sh [--workers N] [--slots S] [--dir DIR] [--http PORT] [--tracer PORT]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
workers=2 slots=1 dir="$root/out/farm" http=7601 tracer=7600 pgport=55432 amqp=55672
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers="$2"; shift 2 ;;
    --slots) slots="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --http) http="$2"; shift 2 ;;
    --tracer) tracer="$2"; shift 2 ;;
    *) echo "farm.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$pgbin/initdb" ] && [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || { echo "farm.sh: run scripts/setup.sh first" >&2; exit 1; }
dll="$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll"
[ -f "$dll" ] || dotnet build "$root/src/Alkanet.Cli" -c Release --nologo -v q
mkdir -p "$dir/pg" "$dir/rabbitmq" "$dir/logs"
dir="$(cd "$dir" && pwd)"
chown postgres:postgres "$dir/pg"
as_pg() { runuser -u postgres -- "$@"; }
as_pg test -w "$dir/pg" || { echo "farm.sh: the postgres user cannot reach $dir/pg (a folder above it is not world-searchable)" >&2; exit 1; }

# PostgreSQL: a cluster of its own (trust on loopback only: this is a trial farm, see docs/FARM.md for production)
[ -f "$dir/pg/data/PG_VERSION" ] || as_pg "$pgbin/initdb" -D "$dir/pg/data" -U alkanet --auth=trust -E UTF8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w start \
  -o "-p $pgport -k $dir/pg -c listen_addresses=127.0.0.1" >/dev/null
as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U alkanet -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='alkanet'" | grep -q 1 \
  || as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U alkanet alkanet
db="Host=127.0.0.1;Port=$pgport;Username=alkanet;Database=alkanet"

# RabbitMQ: a node of its own (own name, ports, data, cookie)
cat > "$dir/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp
consumer_timeout = 7200000
CONF
echo '[].' > "$dir/rabbitmq/enabled_plugins"
rmq_env=(HOME="$dir/rabbitmq" RABBITMQ_NODENAME="alkanet-farm@localhost" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  RABBITMQ_NODE_PORT="$amqp" RABBITMQ_DIST_PORT=$((amqp + 1)) ERL_EPMD_PORT=$((amqp + 2))
  RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$dir/rabbitmq/log"
  RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins"
  RABBITMQ_PID_FILE="$dir/rabbitmq/pid")
env "${rmq_env[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server > "$dir/logs/rabbitmq.log" 2>&1 &
env "${rmq_env[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n alkanet-farm@localhost wait "$dir/rabbitmq/pid" --timeout 180 >/dev/null
broker="amqp://guest:guest@127.0.0.1:$amqp/"

[ -f "$dir/token" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token"
pids=()
stop_all() {
  trap - EXIT INT TERM
  echo "farm.sh: stopping (workers drain first)" >&2
  for p in "${pids[@]:1}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]:1}"; do wait "$p" 2>/dev/null || true; done
  kill -TERM "${pids[0]}" 2>/dev/null || true; wait "${pids[0]}" 2>/dev/null || true
  env "${rmq_env[@]}" /usr/lib/rabbitmq/bin/rabbitmqctl -n alkanet-farm@localhost stop "$dir/rabbitmq/pid" >/dev/null 2>&1 || true
  epmd -port $((amqp + 2)) -kill >/dev/null 2>&1 || true
  as_pg "$pgbin/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null || true
}
trap stop_all EXIT INT TERM
dotnet "$dll" serve --listen "127.0.0.1:$tracer" --http "127.0.0.1:$http" --token-file "$dir/token" --database "$db" --broker "$broker" \
  > "$dir/logs/serve.log" 2>&1 &
pids+=($!)
until grep -q 'alkanet serve: runs stream' "$dir/logs/serve.log"; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$dir/logs/serve.log" >&2; exit 1; }
  sleep 0.5
done
for i in $(seq 1 "$workers"); do
  dotnet "$dll" worker --broker "$broker" --database "$db" --logger "127.0.0.1:$tracer" --token-file "$dir/token" \
    --slots "$slots" --work "$dir/worker-$i" > "$dir/logs/worker-$i.log" 2>&1 &
  pids+=($!)
done
cat <<MSG
farm.sh: the farm runs ($workers worker(s) x $slots slot(s)); logs in $dir/logs
  page:    http://127.0.0.1:$http/farm        (token: $(cat "$dir/token"))
  submit:  curl -H "X-Alkanet-Token: \$(cat $dir/token)" -F sample=@samples/dropper/dropper.c http://127.0.0.1:$http/api/tasks
  Ctrl-C stops it.
MSG
wait "${pids[0]}"
