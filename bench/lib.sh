# Sourced by the end-to-end bench scripts: sets root (the repository) and works from there, plus the
# steps two or more of them share.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Builds the CLI in Release and sets cli to the command that runs it.
build_cli() {
  dotnet build src/Alkanet.Cli -c Release --nologo -v q >/dev/null
  cli=(dotnet "$root/src/Alkanet.Cli/bin/Release/net10.0/alkanet.dll")
}

# The A/B scripts: checks that each DIR is an Alkanet checkout and builds its CLI in Release.
build_checkouts() {
  local dir
  for dir in "$@"; do
    [ -f "$dir/Alkanet.slnx" ] || { echo "$dir: not an Alkanet checkout (no Alkanet.slnx)" >&2; exit 2; }
    (cd "$dir" && dotnet build src/Alkanet.Cli -c Release --nologo -v q >/dev/null)
  done
}

# The median of the numbers on stdin; an even count prints the mean of the middle two with FORMAT.
median() {
  sort -g | awk -v f="${1:-%.1f}\n" '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf f, (a[NR/2]+a[NR/2+1])/2}'
}

# The gdbstub live benchmarks: runs the Vmm live test chosen by the xunit filter arguments ($@) RUNS times
# (default 3) per workload, each tracing HITS (default 2000) breakpoint hits, then prints the QEMU version,
# the host and the figures the test appended.
gdbstub_bench() {
  local hits="${HITS:-2000}" runs="${RUNS:-3}" workload
  gdbstub_out="$(mktemp)"
  trap 'rm -f "$gdbstub_out"' EXIT
  dotnet build tests/Alkanet.Vmm.Tests -c Release -v q --nologo >/dev/null
  for workload in "cat /dev/zero > /dev/null" "while :; do ls / > /dev/null; done"; do
    for _ in $(seq "$runs"); do
      ALKANET_GDB_BENCH_HITS="$hits" ALKANET_GDB_BENCH_WORKLOAD="$workload" ALKANET_GDB_BENCH_OUT="$gdbstub_out" \
        dotnet run --project tests/Alkanet.Vmm.Tests -c Release --no-build -- "$@" >/dev/null
    done
  done
  echo "qemu: $(qemu-system-x86_64 --version | head -1)"
  echo "host: $(nproc) cores, $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
  cat "$gdbstub_out"
}

# The synthetic Windows guest's pace (bench/live-windows-synthetic.sh, bench/ab-windows.sh). Needs CALLS_PER_ROUND.
# Runs the command (after --), polls FILE's size, prints ns per call between 10% and 90% of the echo lines.
windows_pace() {
  python3 - "$@" <<'PY'
import os, subprocess, sys, time
console, iterations, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[4:]
line, calls_per_round = 61, int(os.environ['CALLS_PER_ROUND'])
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
samples = []
while p.poll() is None:
    samples.append((time.monotonic_ns(), os.path.getsize(console) if os.path.exists(console) else 0))
    time.sleep(0.002)
if p.returncode != 0: sys.exit(f"run failed: exit {p.returncode}")
final = os.path.getsize(console)
lo, hi = final - 0.9 * iterations * line, final - 0.1 * iterations * line
t1 = next(t for t, s in samples if s >= lo)
t2 = next(t for t, s in samples if s >= hi)
print(f"{(t2 - t1) / (0.8 * iterations * calls_per_round):.0f}")
PY
}
