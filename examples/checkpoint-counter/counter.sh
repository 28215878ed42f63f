#!/bin/sh
# A long computation that survives spot interruptions: it counts to the number in its input,
# folding every step into a running value, and keeps its progress in the checkpoint folder.
#
#   counter.sh INPUT OUTPUT_DIR CHECKPOINT_DIR
#
# Progress is written every CHECKPOINT_EVERY steps (default 5), and at once on SIGTERM (the
# interruption notice), always atomically: a temp file renamed over the last one. spotbatch
# uploads the folder with its heartbeats and restores it for the next attempt, which resumes
# where this one stopped. The result is the same however often it was interrupted.
# COUNTER_CHECKPOINTS=0 turns checkpoints off (every attempt starts from step 0), for
# comparing the work lost to interruptions with and without them.
set -eu
input=$1 out=$2 ckpt=$3
target=$(tr -cd '0-9' < "$input")
step=${COUNTER_STEP_SECONDS:-0.1}
every=${CHECKPOINT_EVERY:-5}
i=0 value=1
if [ -f "$ckpt/state" ]; then
  read -r i value < "$ckpt/state"
  echo "resuming at step $i" >&2
fi
save() {
  [ "${COUNTER_CHECKPOINTS:-1}" = 0 ] && return 0
  echo "$i $value" > "$ckpt/state.tmp"
  mv "$ckpt/state.tmp" "$ckpt/state"
}
trap 'save; echo "stopped at step $i" >&2; exit 143' TERM
while [ "$i" -lt "$target" ]; do
  sleep "$step"
  # One step of work, then its result: the checkpoint never holds a half-done step.
  next=$(( (value * 31 + i + 1) % 1000000007 ))
  i=$((i + 1)) value=$next
  if [ $((i % every)) -eq 0 ]; then save; fi
done
echo "$target $value" > "$out/result.txt"
