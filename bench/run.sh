#!/usr/bin/env bash
# Regenerates bench/REPORT.md: the dispatch path, end to end against xargs, upload-to-start
# latency, memory. Usage: bench/run.sh (builds first). Takes about eight minutes.
source "$(dirname "$0")/common.sh"
bench_build dispatch_bench
dispatch=$root/build/bench/dispatch_bench
reps=3
tasks=2000

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
now_ms() { date +%s%3N; }
rate() { echo "scale=1; $1 / $2" | bc; }

time_cmd() {  # prints seconds taken by "$@"
  local t0 t1
  t0=$(now_ms); "$@" > /dev/null 2>&1; t1=$(now_ms)
  echo "scale=3; ($t1 - $t0) / 1000" | bc | sed 's/^\./0./'
}

echo "== process creation ceiling: xargs -P N -n 1 true over $tasks" >&2
declare -A xargs_rate
for n in 1 2 4; do
  s=$(for r in $(seq $reps); do time_cmd sh -c "seq $tasks | xargs -P $n -n 1 true"; done | median)
  xargs_rate[$n]=$(rate $tasks "$s")
done

echo "== dispatch path (no process creation)" >&2
dispatch_rows=""
for sync in full normal; do
  for w in 1 2 4; do
    arg=""; [ "$sync" = normal ] && arg=normal
    r=$(for i in $(seq $reps); do "$dispatch" $tasks $w $arg | awk '{print $5}'; done | median)
    dispatch_rows+="| $sync | $w | $r |"$'\n'
  done
done
strace -f -c -e trace=fsync,fdatasync -o "$work/strace.txt" "$dispatch" 500 1 > /dev/null
syncs=$(awk '$NF=="fsync" || $NF=="fdatasync" {s+=$4} END {print s}' "$work/strace.txt")
syncs_per_task=$(echo "scale=1; $syncs / 500" | bc)
strace -f -c -e trace=fsync,fdatasync -o "$work/strace-n.txt" "$dispatch" 500 1 normal > /dev/null
syncs_n=$(awk '$NF=="fsync" || $NF=="fdatasync" {s+=$4} END {print s}' "$work/strace-n.txt")
syncs_n_per_task=$(echo "scale=1; $syncs_n / 500" | bc)

echo "== end to end: spotbatch run, command true, $tasks inputs" >&2
mkdir -p "$work/inputs"
for i in $(seq $tasks); do echo "$i" > "$work/inputs/$i"; done
e2e_rows=""
for durability in power-loss process-crash; do
  for w in 2 4; do
    times=()
    for r in $(seq $reps); do
      d="$work/e2e-$durability-$w-$r"
      mkdir -p "$d"
      printf '[state]\ndurability = "%s"\n[pipeline]\ncommand = ["true"]\n[fleet]\nworkers = %d\n' "$durability" "$w" > "$d/sb.toml"
      "$sb" put -c "$d/sb.toml" "$work/inputs" > /dev/null
      times+=("$(time_cmd "$sb" run -c "$d/sb.toml")")
      rm -rf "$d"
    done
    s=$(printf '%s\n' "${times[@]}" | median)
    r=$(rate $tasks "$s")
    pct=$(echo "scale=0; 100 * $r / ${xargs_rate[$w]}" | bc)
    e2e_rows+="| $durability | $w | $r | ${xargs_rate[$w]} | $pct% |"$'\n'
  done
done

echo "== upload to task start, and memory, under spotbatch up" >&2
d="$work/latency"
mkdir -p "$d/files"
printf '[pipeline]\ncommand = ["true"]\nwatch_interval_seconds = 1\n[fleet]\nworkers = 4\n' > "$d/sb.toml"
"$sb" up -c "$d/sb.toml" 2> "$d/up.err" &
up=$!
sleep 1
: > "$d/put-times"
for i in $(seq 200); do
  echo "$i" > "$d/files/f$i"
  echo "in/f$i $(now_ms)" >> "$d/put-times"
  "$sb" put -c "$d/sb.toml" "$d/files/f$i" > /dev/null
  sleep 0.05
done
for _ in $(seq 100); do
  done_count=$(sqlite3 "$d/.spotbatch/spotbatch.db" "SELECT count(*) FROM tasks WHERE state='SUCCEEDED'")
  [ "$done_count" -ge 200 ] && break
  sleep 0.1
done
sleep 2  # idle, for the memory reading
cp_hwm=$(awk '/VmHWM/ {print $2}' /proc/$up/status)
cp_rss=$(awk '/VmRSS/ {print $2}' /proc/$up/status)
worker=$(pgrep -P $up | head -1)
w_hwm=$(awk '/VmHWM/ {print $2}' /proc/$worker/status)
w_rss=$(awk '/VmRSS/ {print $2}' /proc/$worker/status)
kill -TERM $up
wait $up || true
sqlite3 -separator ' ' "$d/.spotbatch/spotbatch.db" \
  "SELECT j.input_key, j.created_at, a.started_at FROM attempts a JOIN tasks t ON a.task_id=t.id JOIN jobs j ON t.job_id=j.id WHERE a.number=1" \
  > "$d/starts"
ingest_lat=$(awk '{print $3-$2}' "$d/starts")
put_lat=$(awk 'NR==FNR {t[$1]=$2; next} {print $3 - t[$1]}' "$d/put-times" "$d/starts")
lat_rows="| from the moment \`spotbatch put\` starts | $(echo "$put_lat" | pct 50) | $(echo "$put_lat" | pct 99) |
| from the job's creation (upload done, job recorded) | $(echo "$ingest_lat" | pct 50) | $(echo "$ingest_lat" | pct 99) |"

cat > "$root/bench/REPORT.md" <<REPORT
# spotbatch benchmark report (issue 2: the embedded pipeline)

Regenerate with \`bench/run.sh\` (about eight minutes). Medians of $reps runs, all figures from one
run of the script on $(date -u +%Y-%m-%d):

- machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(free -g | awk '/Mem:/ {print $2}') GiB,
  kernel $(uname -r), /tmp on $(df -T /tmp | awk 'NR==2 {print $2}')
- build: RelWithDebInfo (-O2), SQLite $(sqlite3 --version | cut -d' ' -f1)

## Process creation ceiling

\`seq $tasks | xargs -P N -n 1 true\`, the fastest anything can start $tasks processes here:

| N | processes/s |
|---|---|
| 1 | ${xargs_rate[1]} |
| 2 | ${xargs_rate[2]} |
| 4 | ${xargs_rate[4]} |

## Dispatch path, without process creation

\`build/bench/dispatch_bench $tasks W [normal]\`: ingest (job + task + message) -> lease ->
start (conditional commit) -> stage the output (object write, fsync) -> commit -> publish
(hard link + rename, fsync) -> published commit -> delete message, with W worker threads each
on its own SQLite connection and store handle (as worker processes have). The command runs
inline and writes one small file. "full" is the default \`[state] durability = "power-loss"\`
(SQLite synchronous=FULL: every commit fsynced); "normal" is \`"process-crash"\`.

| durability | workers | tasks/s (ingest included) |
|---|---|---|
${dispatch_rows}
fsync + fdatasync calls per task (one worker, 500 tasks, ingest included, counted with strace):
${syncs_per_task} with "full", ${syncs_n_per_task} with "normal".

## End to end

\`spotbatch run\` over $tasks inputs already uploaded, command \`true\`, beside the xargs
ceiling at the same parallelism measured in the same run:

| durability | workers | tasks/s | xargs -P N/s | share of xargs |
|---|---|---|---|---|
${e2e_rows}
## Upload to task start

\`spotbatch up\` with 4 workers; 200 files uploaded one \`spotbatch put\` at a time, 50 ms apart
(milliseconds):

| measured | p50 | p99 |
|---|---|---|
${lat_rows}

## Memory

Read from /proc after the latency run, idle:

| process | RSS now (KiB) | peak RSS (KiB) |
|---|---|---|
| control plane (\`spotbatch up\`) | $cp_rss | $cp_hwm |
| idle worker (\`spotbatch worker\`) | $w_rss | $w_hwm |
REPORT
echo "wrote bench/REPORT.md" >&2
