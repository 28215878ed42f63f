#!/usr/bin/env bash
# Regenerates bench/SOAK.md: the kill storm of tests/integration/crash_test.cc repeated until
# at least KILLS (default 10,000) worker processes have been killed with SIGKILL, each round
# checked by the crash checker (every input exactly once, outputs equal to a serial run's,
# nothing left: lease, message, staging, process). Usage: bench/soak.sh [KILLS].
source "$(dirname "$0")/common.sh"
bench_build crash_test
target=${1:-10000}
log=$work/soak.log
rounds=0 kills=0 failed=0
start=$(date +%s)
while [ "$kills" -lt "$target" ]; do
  rounds=$((rounds + 1))
  if ! "$root/build/tests/crash_test" --gtest_filter='*KillStorm*' > "$work/round.log" 2>&1; then
    failed=$((failed + 1))
    cp "$work/round.log" "$root/bench/soak-failure-$rounds.log"
  fi
  n=$(awk '/kills of/ {s += $1} END {print s + 0}' "$work/round.log")
  kills=$((kills + n))
  echo "round $rounds: $n kills ($kills so far), failed rounds $failed" >&2
done
secs=$(( $(date +%s) - start ))
tasks=$((rounds * 2 * 800))
cat > "$root/bench/SOAK.md" <<MD
# Soak: kill -9 storms

Regenerate with \`bench/soak.sh [KILLS]\` (builds first). Each round runs the kill storm of
\`tests/integration/crash_test.cc\` once per state durability setting (\`power-loss\`,
\`process-crash\`): 800 inputs, 4 \`spotbatch worker\` processes, one killed with SIGKILL every
1-12 ms and replaced at once, until 480 kills or 95% of the outputs; then the crash checker
proves every input finished exactly once with its serial run's output and nothing left behind.

Machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d).

| rounds | worker kills | tasks | failed rounds (lost or doubled tasks, leftovers) | time |
|---|---|---|---|---|
| $rounds | $kills | $tasks | $failed | ${secs} s |
MD
echo "kills $kills in $rounds rounds, $failed failed; bench/SOAK.md written" >&2
[ "$failed" -eq 0 ]
