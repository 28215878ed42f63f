#!/usr/bin/env bash
# Runs one fuzz target: first every committed seed of fuzz/corpus/<target>/ (a regression
# replay), then new inputs for the time given. New interesting inputs go to WORK/corpus (never
# into the committed corpus: scripts/fuzz --merge does that on purpose), a crash to
# WORK/crash-<sha1>. Exits non-zero when the target found a crash or a violated property.
#   fuzz/run_target.sh BINARY SEEDS_DIR WORK_DIR SECONDS
set -euo pipefail
binary=$1 seeds=$2 work=$3 seconds=$4
# Crash reports with file and line (Debian's llvm-14 puts the symbolizer off PATH).
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
mkdir -p "$work/corpus"
rm -f "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*  # of an earlier run
# The replay: each seed once, no mutation (fails on the first that crashes).
"$binary" -runs=0 -artifact_prefix="$work/" "$seeds" > "$work/replay.log" 2>&1 || {
  cat "$work/replay.log"
  echo "$(basename "$binary"): a committed seed fails (log above)" >&2
  exit 1
}
echo "$(basename "$binary"): $(ls "$seeds" | wc -l) committed seeds replayed"
if [ "$seconds" -gt 0 ]; then
  # -timeout: an input taking over 10 s is a hang; -rss_limit_mb: over 2 GiB is a leak.
  # The format's words (fuzz/dict/<target>.dict), when there are some.
  dict=()
  dict_file="$(dirname "$0")/dict/$(basename "$binary").dict"
  [ -f "$dict_file" ] && dict=(-dict="$dict_file")
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$work/" "$work/corpus" "$seeds" > "$work/fuzz.log" 2>&1 || {
    tail -n 60 "$work/fuzz.log"
    saved=$(ls "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-* 2>/dev/null | head -1)
    echo "$(basename "$binary"): found a crash; input saved as $saved" >&2
    echo "(fuzz/README.md: how to make it a regression seed)" >&2
    exit 1
  }
  grep -E "^stat::number_of_executed_units|^Done" "$work/fuzz.log" || true
  echo "$(basename "$binary"): no crash in ${seconds} s; corpus $(ls "$work/corpus" | wc -l) inputs"
fi
