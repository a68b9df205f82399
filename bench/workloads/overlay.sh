#!/usr/bin/env bash
# Builds the bench-only initramfs overlay OUT (a newc cpio the wrapper bench/workloads/qemu.sh appends to the analysis
# guest's initramfs; the kernel unpacks concatenated archives in order): /bench/calls (bench/workloads/calls.c, static),
# /bench/run.sh, and the peers from the host's Debian packages (scripts/setup.d/65-bench-peers.sh), /usr/bin/strace
# and /usr/bin/perf, with every shared library ldd names at its own path (and the loader), so they run unchanged.
# Usage: bash bench/workloads/overlay.sh OUT.cpio
set -euo pipefail
out="${1:?usage: bash bench/workloads/overlay.sh OUT.cpio}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
for tool in gcc cpio ldd strace perf; do
  command -v "$tool" >/dev/null || { echo "overlay.sh: $tool is not installed; run: sudo bash scripts/setup.d/65-bench-peers.sh" >&2; exit 1; }
done
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bench" "$stage/usr/bin"
gcc -O2 -static -Wall -Wextra -Werror -o "$stage/bench/calls" "$here/calls.c"
cp "$here/run.sh" "$stage/bench/run.sh"
for bin in strace perf; do
  path="$(readlink -f "$(command -v "$bin")")"
  cp "$path" "$stage/usr/bin/$bin"
  # "name => /path (addr)" and the loader's "/path (addr)"; a "not found" library is a broken host install
  if ldd "$path" | grep -q "not found"; then echo "overlay.sh: $path needs a library that is not installed:" >&2; ldd "$path" >&2; exit 1; fi
  for lib in $(ldd "$path" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$stage$(dirname "$lib")"
    cp -L "$lib" "$stage$lib"
  done
done
# Debian's lib64 loader path is a symlink into /lib/x86_64-linux-gnu on the host; in the overlay it is the file itself.
(cd "$stage" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | cpio -o -H newc --owner 0:0 --quiet) > "$out.partial"
mv "$out.partial" "$out"
echo "overlay: $out ($(du -h "$out" | cut -f1)): calls, run.sh, strace $(strace -V | head -1 | awk '{print $NF}')," \
  "perf $(perf version | awk '{print $3}')"
