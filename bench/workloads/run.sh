# The workload set of bench/all.sh, run by busybox sh in the analysis guest (as /bench/run.sh) and natively on the host
# (busybox sh bench/workloads/run.sh), so both run the same userland. Usage: sh run.sh MODE [WORKLOAD...]
#   MODE plain    each workload as is
#        strace   each under `strace -f -qq -o /dev/null` (ptrace; strace writes and discards its full text)
#        perf     each under `perf trace -o /dev/null` (the raw_syscalls tracepoints, read from perf's ring buffers)
# Prints one line per workload: "BENCH mode=M workload=W seconds=S" (wall time inside the machine), and for the two
# call loops "BENCH mode=M workload=W ns_per_call=X". BENCH_DIR holds the calls binary (default /bench), NOW prints
# CLOCK_MONOTONIC (default /bin/alkanet-now), WORK is the scratch folder (default /tmp/bench, a tmpfs in the guest).
# Sizes (SCALE multiplies them) keep a peer's boot near a minute on a loaded two-core host; the call loops are
# shorter under a peer (their figure is per call). Every workload runs pinned to CPU 0 (taskset 1) in every mode: with
# strace on the other vCPU each ptrace stop is a cross-vCPU wakeup, which under TCG on a loaded host cost 10 ms per
# call (9.8 ms/call unpinned vs 0.85 ms pinned, load 56); pinning measures ptrace, not that wakeup.
set -e
mode="$1"; shift
[ -n "$mode" ] || { echo "usage: sh run.sh plain|strace|perf [WORKLOAD...]" >&2; exit 2; }
dir="${BENCH_DIR:-/bench}"
now="${NOW:-/bin/alkanet-now}"
work="${WORK:-/tmp/bench}"
scale="${SCALE:-1}"
workloads="${*:-getppid openread spawn files walk dd}"
for need in "$dir/calls" "$now"; do [ -x "$need" ] || { echo "run.sh: $need is missing or not executable" >&2; exit 1; }; done
loop=1   # the call loops' length: 1 = full, else divided by 50 under a peer
case "$mode" in
  plain) prefix=""; loop=50 ;;
  strace) prefix="strace -f -qq -o /dev/null --" ;;
  perf)
    # perf trace reads the syscall tracepoints' formats from tracefs
    [ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing
    prefix="perf trace -o /dev/null --" ;;
  *) echo "run.sh: unknown mode '$mode' (plain, strace, perf)" >&2; exit 2 ;;
esac
rm -rf "$work"; mkdir -p "$work"
echo "hello, the file the openread loop reads" > "$work/small"
# The directory walk's tree: 10 folders of 10 folders of 10 files (1,000 files), made before the clock starts.
for a in 0 1 2 3 4 5 6 7 8 9; do
  for b in 0 1 2 3 4 5 6 7 8 9; do
    mkdir -p "$work/tree/$a/$b"
    for c in 0 1 2 3 4 5 6 7 8 9; do : > "$work/tree/$a/$b/$c"; done
  done
done
# One workload's command as a shell line (run by a fresh sh under the peer, so every mode pays the same sh start).
body() {
  case "$1" in
    getppid) echo "'$dir/calls' getppid $((2000 * loop * scale))" ;;
    openread) echo "'$dir/calls' openread $((400 * loop * scale)) '$work/small'" ;;
    # a process-creation storm through the shell: fork + exec of a static busybox, 100 times
    spawn) echo "i=0; while [ \$i -lt $((100 * scale)) ]; do /bin/busybox true; i=\$((i + 1)); done" ;;
    # file churn: create + write, read, rename, delete, one process per step
    files) echo "cd '$work'; i=0; while [ \$i -lt $((50 * scale)) ]; do echo data-\$i > f\$i; /bin/busybox cat f\$i > /dev/null;
      /bin/busybox mv f\$i g\$i; /bin/busybox rm g\$i; i=\$((i + 1)); done" ;;
    # a directory walk: find (lstat of every entry) and ls -lR (stat + getdents)
    walk) echo "for i in \$(/bin/busybox seq $scale); do /bin/busybox find '$work/tree' > /dev/null;
      /bin/busybox ls -lR '$work/tree' > /dev/null; done" ;;
    # small-block dd: 2,000 512-byte read + write pairs
    dd) echo "/bin/busybox dd if=/dev/zero of='$work/dd.out' bs=512 count=$((2000 * scale)) 2> /dev/null; /bin/busybox rm '$work/dd.out'" ;;
    *) echo "run.sh: unknown workload '$1'" >&2; return 1 ;;
  esac
}
for w in $workloads; do
  line=$(body "$w")
  start=$("$now")
  out=$(/bin/busybox taskset 1 $prefix /bin/busybox sh -c "$line")
  end=$("$now")
  echo "BENCH mode=$mode workload=$w seconds=$(echo "$start $end" | /bin/busybox awk '{ printf "%.4f", $2 - $1 }')"
  ns=$(echo "$out" | /bin/busybox sed -n 's/^CALLS .*ns_per_call=\([0-9.]*\).*/\1/p')
  [ -z "$ns" ] || echo "BENCH mode=$mode workload=$w ns_per_call=$ns"
done
rm -rf "$work"
