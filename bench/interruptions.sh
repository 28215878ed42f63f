#!/usr/bin/env bash
# Regenerates bench/INTERRUPTIONS.md: notice-to-release and reclaim-to-restart latencies, work
# lost per interruption with and without checkpoints, and the share of attempts wasted.
# Usage: bench/interruptions.sh (builds first). Takes about three minutes.
source "$(dirname "$0")/common.sh"
bench_build interruption_bench
ib=$root/build/bench/interruption_bench
trace=$root/data/traces/availability-1node/aws-10-26-2022/us-west-2b_v100_8.json

echo "== notice to release (40 rounds, metadata polled every 100 ms)" >&2
"$ib" notice 40 100 > "$work/notice"
rel50=$(awk '{print $1}' "$work/notice" | pct 50); rel99=$(awk '{print $1}' "$work/notice" | pct 99)
rst50=$(awk '{print $2}' "$work/notice" | pct 50); rst99=$(awk '{print $2}' "$work/notice" | pct 99)
echo "== reclaim without notice to restart (10 rounds, lease 2 s)" >&2
"$ib" reclaim 10 "$sb" 2000 > "$work/reclaim"
rec50=$(pct 50 < "$work/reclaim"); rec99=$(pct 99 < "$work/reclaim")

echo "== work lost on a flapping real trace, with and without checkpoints" >&2
lost_rows=""
for ckpt in 1 0; do
  d="$work/run-$ckpt"
  mkdir -p "$d/nums"
  for i in $(seq 40); do echo 40 > "$d/nums/$i"; done
  cat > "$d/sb.toml" <<CONF
[pipeline]
command = ["env", "COUNTER_STEP_SECONDS=0.03", "COUNTER_CHECKPOINTS=$ckpt", "sh", "$root/examples/checkpoint-counter/counter.sh", "{input}", "{output_dir}", "{checkpoint_dir}"]
[worker]
heartbeat_seconds = 0.3
lease_seconds = 3
[[fleet.pool]]
name = "spot-b"
instance_type = "p3.16xlarge"
price_per_hour = 7.34
trace = "$trace"
trace_offset_seconds = 5400
max_instances = 3
[[fleet.pool]]
name = "od"
market = "on-demand"
instance_type = "p3.16xlarge"
price_per_hour = 24.48
max_instances = 1
[fleet.market]
time_scale = 600
notice_seconds = 120
CONF
  "$sb" put -c "$d/sb.toml" "$d/nums" > /dev/null
  "$sb" run -c "$d/sb.toml" --json > "$d/run.json" 2> /dev/null
  db=$d/.spotbatch/spotbatch.db
  row=$(sqlite3 -separator ' ' "$db" "SELECT count(*), sum(outcome!='SUCCEEDED'),
      sum(outcome IN ('INTERRUPTED','LOST')), coalesce(avg(CASE WHEN outcome IN ('INTERRUPTED','LOST') THEN lost_work END), 0),
      coalesce(sum(CASE WHEN outcome IN ('INTERRUPTED','LOST') THEN lost_work END), 0) FROM attempts")
  read -r attempts wasted interrupted avg_lost total_lost <<< "$row"
  wall=$(python3 -c "import json; print(json.load(open('$d/run.json'))['wall_seconds'])")
  cost=$(python3 -c "import json; d=json.load(open('$d/run.json')); print('%.2f / %.2f' % (d['cost_usd'], d['on_demand_cost_usd']))")
  label=$([ "$ckpt" = 1 ] && echo "every 5 steps and on SIGTERM" || echo "none")
  lost_rows+=$(awk -v l="$label" -v a="$attempts" -v i="$interrupted" -v w="$wasted" \
    -v avg="$avg_lost" -v tot="$total_lost" -v wall="$wall" -v c="$cost" \
    'BEGIN {printf "| %s | %d | %d | %.0f%% | %.3f | %.2f | %.1f | %s |\n", l, a, i, 100 * w / a, avg / 1000, tot / 1000, wall, c}')$'\n'
done

cat > "$root/bench/INTERRUPTIONS.md" <<REPORT
# spotbatch interruption report

Regenerate with \`bench/interruptions.sh\` (about three minutes). All figures from one run on
$(date -u +%Y-%m-%d): $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), kernel $(uname -r).
Process creation here: about 1,200-1,400 \`true\` processes a second (bench/REPORT.md).

## Latencies (milliseconds)

\`build/bench/interruption_bench\`: real workers, a real local instance-metadata server over
HTTP, the SQLite queue and state. "Notice" rounds: a worker runs \`sleep 30\`, which exits on
SIGTERM; the notice announces a reclaim in 120 s; a second worker waits idle. "Reclaim" rounds:
a \`spotbatch worker\` process is killed with SIGKILL (no notice); a second one waits.

| measured | p50 | p99 |
|---|---|---|
| notice to task released (polling every 100 ms; detection included) | $rel50 | $rel99 |
| notice to task started again by the other worker | $rst50 | $rst99 |
| reclaim without notice to task started again (lease 2 s, heartbeat 0.5 s) | $rec50 | $rec99 |

Detection is bounded by the polling period (\`[worker] metadata_poll_seconds\`, 5 s by default
on EC2, a quarter of the notice on local pools); the rest is stopping the command, uploading
its checkpoint and one commit. Without a notice nothing can be faster than the lease: the
task waits for it to expire.

## Work lost to interruptions

\`spotbatch run\` over 40 inputs of the checkpointing counter (examples/checkpoint-counter,
40 steps of 30 ms), on a spot pool of 3 instances following the us-west-2b p3.16xlarge
availability trace from tick 9 (replayed at 600x: capacity for 4 s, gone for 5, ...) and one
on-demand instance. Lost work is the time from the last checkpoint (or the attempt's start)
to when the command stopped; wasted attempts are those that did not succeed.

| checkpoints | attempts | interrupted or lost | wasted attempts | lost per interruption (s) | lost in total (s) | wall (s) | cost / on-demand cost (\$) |
|---|---|---|---|---|---|---|---|
${lost_rows}
REPORT
echo "wrote bench/INTERRUPTIONS.md" >&2
