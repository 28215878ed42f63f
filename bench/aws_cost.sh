#!/usr/bin/env bash
# Counts the AWS requests of spotbatch on S3 + SQS + DynamoDB (moto on loopback, recording
# every request) and prices them at list prices (bench/aws_requests.py), in four parts:
#   setup      a first `run` of one input: creates the queues and the table (one-time)
#   heartbeat  `run` of 6 inputs that sleep 4 s with 1 s heartbeats: per heartbeat
#   idle       `up` with nothing to do, 2 workers, for IDLE seconds: per second
#   tasks      `run` of TASKS small inputs (sha256sum, one output each): per task
# (in this order: `run` and `up` read every job of the table when they start, so the long
# part comes last).
# Usage: bench/aws_cost.sh [TASKS] [IDLE] (defaults 200 and 10; about 2.5 minutes for 200 on
# two cores, moto being the bottleneck). Prints markdown tables (bench/AWS_COST.md quotes them);
# AWS_COST_OUT=DIR keeps the recordings and the JSON of each part there. SPOTBATCH=PATH uses
# that binary instead of building one (bench_build).
source "$(dirname "$0")/common.sh"
if [[ -n ${SPOTBATCH:-} ]]; then
  sb=$SPOTBATCH
  work=$(mktemp -d /tmp/spotbatch-bench-XXXXXX)
  trap 'rm -rf "$work"' EXIT
else
  bench_build
fi
tasks=${1:-200}
idle=${2:-10}
out=${AWS_COST_OUT:-$work/out}
mkdir -p "$out"

# moto on loopback (bench/aws_moto.py: one request at a time, transactions without whole-table
# backups), recording every request.
export MOTO_ENABLE_RECORDING=true MOTO_RECORDER_FILEPATH=$work/recording.jsonl
python3 "$root/bench/aws_moto.py" > "$work/moto.log" 2>&1 &
moto=$!
trap 'kill "$moto" 2> /dev/null; wait "$moto" 2> /dev/null; rm -rf "$work"' EXIT
endpoint=
for _ in $(seq 1 600); do
  endpoint=$(grep -o 'Running on http://127\.0\.0\.1:[0-9]*' "$work/moto.log" | head -1 |
    sed 's/^Running on //') || true
  [[ -n $endpoint ]] && break
  kill -0 "$moto" 2> /dev/null || { cat "$work/moto.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $endpoint ]] || { echo "moto did not start" >&2; exit 1; }
recorder() { curl -sf -X POST "$endpoint/moto-api/recorder/$1" > /dev/null; }
# keep PART TASKS: the recording since the last reset, counted and priced.
keep() {
  recorder stop-recording
  cp "$work/recording.jsonl" "$out/$1-recording.jsonl"
  python3 "$root/bench/aws_requests.py" "$out/$1-recording.jsonl" "$2" > "$out/$1.json"
  recorder reset-recording
  recorder start-recording
}

# The AWS CLI and the binary sign as moto's default user and never look for an instance role
# or the machine's ~/.aws.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1 HOME=$work
unset AWS_PROFILE AWS_SESSION_TOKEN
awscli() { aws --endpoint-url "$endpoint" --region us-east-1 "$@" > /dev/null; }

# config INPUT_BUCKET COMMAND [EXTRA]: the pipeline on the AWS adapters, one queue and table.
config() {
  cat <<TOML
[store]
url = "s3://"
[queue]
url = "sqs://bench-tasks"
[state]
url = "dynamodb://bench-state"
[aws]
region = "us-east-1"
[aws.endpoints]
s3 = "$endpoint"
sqs = "$endpoint"
dynamodb = "$endpoint"
[pipeline]
input = "$1/"
output = "bench-out/"
command = $2
[fleet]
workers = 2
${3:-}
TOML
}
sha='["sh", "-c", "sha256sum < \"$1\" > \"$2/sum.txt\"", "_", "{input}", "{output_dir}"]'
config bench-in "$sha" > "$work/sb.toml"
config bench-slow '["sh", "-c", "sleep 4; cp \"$1\" \"$2/copy\"", "_", "{input}", "{output_dir}"]' \
  $'[worker]\nlease_seconds = 4\nheartbeat_seconds = 1' > "$work/slow.toml"

for b in bench-in bench-out bench-slow; do awscli s3 mb "s3://$b"; done
mkdir -p "$work/first" "$work/inputs" "$work/slow"
echo first > "$work/first/first.txt"
for i in $(seq 1 "$tasks"); do printf 'input %d\n' "$i" > "$work/inputs/in-$i.txt"; done
for i in $(seq 1 6); do printf 'slow %d\n' "$i" > "$work/slow/slow-$i.txt"; done
cd "$work"
sbrun() {  # sbrun CONFIG PART: `run --json`, which must succeed at every task
  "$sb" run -c "$1" --json > "$2.out" 2> "$2.err" || { cat "$2.err" >&2; exit 1; }
  [[ $(jq .unfinished "$2.out") == 0 && $(jq .failed "$2.out") == 0 ]] ||
    { echo "$2: not every task succeeded" >&2; cat "$2.out" >&2; exit 1; }
  cp "$2.out" "$out/$2-spotbatch.json"
}

echo "setup: a first run of one input" >&2
awscli s3 cp --quiet first/first.txt s3://bench-in/first.txt
recorder reset-recording
sbrun sb.toml setup
keep setup 1

echo "heartbeat: a run of 6 inputs of 4 s, heartbeats every second" >&2
awscli s3 cp --quiet --recursive slow s3://bench-slow/
recorder reset-recording
sbrun slow.toml heartbeat
keep heartbeat 6

echo "idle: up with nothing to do for $idle s" >&2
"$sb" up -c sb.toml > up.out 2> up.err &
up=$!
trap 'kill "$up" "$moto" 2> /dev/null; wait 2> /dev/null; rm -rf "$work"' EXIT
# Its start (reconcile, workers up) is not idling: measured from the first idle poll on.
for _ in $(seq 1 600); do
  grep -q 'AmazonSQS.ReceiveMessage' recording.jsonl 2> /dev/null && break
  sleep 0.1
done
recorder reset-recording
sleep "$idle"
keep idle "$idle"  # "tasks" = seconds: the JSON's per-task figures are per second
kill -TERM "$up"
wait "$up" || { cat up.err >&2; exit 1; }

echo "tasks: a run of $tasks inputs" >&2
awscli s3 cp --quiet --recursive inputs s3://bench-in/inputs/
recorder reset-recording
start=$(date +%s.%N)
sbrun sb.toml tasks
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN {printf "%.1f\n", e - s}' > "$out/tasks-seconds"
keep tasks "$tasks"

# The tables.
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u +%Y-%m-%d)."
echo "The $tasks-task run took $(cat "$out/tasks-seconds") s on moto (wall_seconds $(jq .wall_seconds "$out/tasks-spotbatch.json"))."
echo
echo "| service | request | drives it | per task | WRU/task | RRU/task | \$ per 1M tasks |"
echo "|---|---|---|---:|---:|---:|---:|"
jq -r --argjson n "$tasks" '.rows | sort_by(.kind != "task", .service, -.per_task)[] |
  "| \(.service) | \(.label) | \(.kind) | \(.per_task) | \(.wru / $n * 100 | round / 100) | \(.rru / $n * 100 | round / 100) | \(.usd_per_million_tasks) |"' "$out/tasks.json"
echo
echo "| drives it | S3 \$ | SQS \$ | DynamoDB \$ | total \$ per 1M tasks |"
echo "|---|---:|---:|---:|---:|"
jq -r '.usd_per_million_tasks_by_kind | to_entries[] |
  "| \(.key) | \(.value.s3 // 0) | \(.value.sqs // 0) | \(.value.dynamodb // 0) | \(.value.total) |"' "$out/tasks.json"
echo
echo "Setup (the first run, one input; the queues and the table created):"
jq -r '.requests | to_entries[] | "- \(.key): \(.value | to_entries | map("\(.key) \(.value)") | join(", "))"' "$out/setup.json"
echo
echo "Heartbeat run (6 tasks of 4 s, heartbeat every 1 s):"
jq -r '.rows[] | select(.label | test("heartbeat|ChangeMessageVisibility")) |
  "- \(.service) \(.label): \(.requests) in 6 tasks (\(.per_task) per task), \(.wru / .requests) WRU each"' "$out/heartbeat.json"
echo
echo "Idle \`up\` (2 workers, nothing to do), per second over $idle s:"
echo
echo "| service | request | per second | \$ per hour |"
echo "|---|---|---:|---:|"
jq -r '.rows[] | "| \(.service) | \(.label) | \(.per_task) | \(.usd_per_million_tasks * 3600 / 1e6 * 1e4 | round / 1e4) |"' "$out/idle.json"
echo "| all | | $(jq '[.rows[].per_task] | add | . * 10 | round / 10' "$out/idle.json") | $(jq '.usd_per_million_tasks.total * 3600 / 1e6 * 1e4 | round / 1e4' "$out/idle.json") |"
