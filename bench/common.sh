# Sourced by the bench scripts: sets up and builds (the targets given to bench_build), and
# defines what they share. Sets root, sb (the spotbatch binary) and work (a temporary folder
# removed at exit).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bench_build() {  # bench_build TARGET...
  scripts/setup
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPOTBATCH_BENCH=ON > /dev/null
  cmake --build build -j2 --target spotbatch "$@" > /dev/null
  sb=$root/build/spotbatch
  work=$(mktemp -d /tmp/spotbatch-bench-XXXXXX)
  trap 'rm -rf "$work"' EXIT
}

# The P-th percentile of the numbers on stdin (nearest rank).
pct() { sort -g | awk -v p="$1" '{v[NR]=$1} END {i=int(NR*p/100+0.999); if (i<1) i=1; print v[i]}'; }
