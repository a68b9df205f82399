#!/usr/bin/env bash
# The gdbstub hook with the real Linux OS (LinuxOs: the live tracer's profile, KASLR on, every hit
# decoded: pids, comm, names, fd paths): hits/s, packets and 'm' reads per hit, host-side handling per hit.
# Same guest and workloads as bench/gdbstub-hits.sh (which uses the ABI-only test decoder). Needs scripts/setup.sh.
#   HITS=2000 RUNS=3 bash bench/gdbstub-linux.sh
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
gdbstub_bench -class '*LiveLinuxGdbDecoderTests'
