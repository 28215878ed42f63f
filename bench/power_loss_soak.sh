#!/usr/bin/env bash
# Regenerates bench/POWER_LOSS.md: the simulated power losses of
# tests/integration/power_loss_test.cc repeated until at least LOSSES (default 10,000), in
# rounds of 500; every round checks each run with the crash checker and the witness of
# acknowledged successes (nothing lost, nothing done or published twice).
# Usage: bench/power_loss_soak.sh [LOSSES].
source "$(dirname "$0")/common.sh"
bench_build power_loss_test
target=${1:-10000}
rounds=0 losses=0 runs=0 publish=0 writes=0 entries=0 failed=0
start=$(date +%s)
while [ "$losses" -lt "$target" ]; do
  rounds=$((rounds + 1))
  if ! SPOTBATCH_POWER_LOSSES=500 "$root/build/tests/power_loss_test" \
      --gtest_filter='*RandomPowerLosses*' > "$work/round.log" 2>&1; then
    failed=$((failed + 1))
    cp "$work/round.log" "$root/bench/power-loss-failure-$rounds.log"
  fi
  # "N power losses over R runs of 24 inputs (...), P of them in the publish window: W writes
  # and E directory entries undone, ..."
  read -r n r p w e < <(sed -nE 's/^([0-9]+) power losses over ([0-9]+) runs .*, ([0-9]+) of them in the publish window: ([0-9]+) writes and ([0-9]+) directory.*/\1 \2 \3 \4 \5/p' \
    "$work/round.log")
  losses=$((losses + ${n:-0})) runs=$((runs + ${r:-0})) publish=$((publish + ${p:-0}))
  writes=$((writes + ${w:-0})) entries=$((entries + ${e:-0}))
  echo "round $rounds: ${n:-0} power losses ($losses so far), failed rounds $failed" >&2
  [ -n "${n:-}" ] || break  # the test did not get to its summary: see the failure log
done
secs=$(( $(date +%s) - start ))
cat > "$root/bench/POWER_LOSS.md" <<MD
# Soak: simulated power losses

Regenerate with \`bench/power_loss_soak.sh [LOSSES]\` (builds first). Each round runs
\`RandomPowerLossesNothingLostNothingTwice\` of \`tests/integration/power_loss_test.cc\` with
\`SPOTBATCH_POWER_LOSSES=500\`: pipelines of 24 inputs (uploads, ingest, two workers running
\`sha256sum\`, publishing, the janitor) on a PowerLossDisk (\`src/testing/power_loss.h\`) that
loses power after a random number of changes, uniform over a whole run; at each loss every write
not fsynced and every directory entry whose directory was not fsynced is undone, then the
machine boots again on a clock past the dead machine's leases. After each run the crash checker
and the witness of acknowledged successes prove nothing lost and nothing done or published twice.

Machine: $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d).

| power losses | in the publish window | pipeline runs | writes undone | directory entries undone | failed rounds (lost or doubled tasks) | time |
|---|---|---|---|---|---|---|
| $losses | $publish | $runs | $writes | $entries | $failed | ${secs} s |
MD
echo "power losses $losses in $rounds rounds, $failed failed; bench/POWER_LOSS.md written" >&2
[ "$failed" -eq 0 ]
