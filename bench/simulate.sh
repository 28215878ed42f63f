#!/usr/bin/env bash
# Regenerates bench/SIMULATE.md: fleet policies on the published spot traces (the "Can't Be
# Late" setting), the reference architecture's claims checked on the market data, and the
# simulator's speed. Usage: bench/simulate.sh [RUNS] (builds first; RUNS start times per
# trace, default 100; about three minutes).
source "$(dirname "$0")/common.sh"
bench_build simulate_bench
runs=${1:-100}
data=$root/data
{
  echo "# spotbatch simulation report: market model, simulator, policies"
  echo
  cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs | cut -d' ' -f1-2)
  echo "Regenerate with \`bench/simulate.sh $runs\`. One run of the script on $(date -u +%Y-%m-%d);"
  echo "machine: $(nproc) cores, $cpu, $(free -g | awk '/Mem:/ {print $2}') GiB; build RelWithDebInfo (-O2)."
  echo "Data: the project's \`data/\` (see data/README.md for sources and licenses)."
  echo
  "$root/build/bench/simulate_bench" "$data" "$runs"
} > "$root/bench/SIMULATE.md"
echo "wrote bench/SIMULATE.md" >&2
