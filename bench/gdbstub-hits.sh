#!/usr/bin/env bash
# End-to-end figures of the gdbstub hook on stock QEMU under TCG: hits/s, packets per hit, host-side handling per
# hit, and single round trips (m, g). Boots the live-test guest (Debian's kernel + busybox; run scripts/setup.sh
# first), traces HITS breakpoint hits with the breakpoint loop, RUNS times per workload, in Release.
#   HITS=2000 RUNS=3 bash bench/gdbstub-hits.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
gdbstub_bench -method '*A_traced_run_on_real_qemu*'
