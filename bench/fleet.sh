#!/usr/bin/env bash
# Regenerates bench/FLEET.md and bench/fleet.svg: one run of the shipped example
# (examples/thumbnails, 200 photos) on its spot pools under the fleet manager: tasks,
# interruptions survived, launches per task, the bill against the same instance time on
# demand, and the fleet's timeline. Usage: bench/fleet.sh [PHOTOS] (builds first; about 2 min).
source "$(dirname "$0")/common.sh"
bench_build
photos=${1:-200}
here=$root/examples/thumbnails
sed "s|\"../../data/|\"$root/data/|" "$here/sb.toml" > "$work/sb.toml"
mkdir -p "$work/photos"
seq 1 "$photos" | xargs -P 2 -I{} /usr/bin/convert -size 640x480 -seed {} plasma:fractal \
  -blur 0x1 "$work/photos/photo-{}.jpg"
cd "$work"
"$sb" put -c sb.toml photos > /dev/null
"$sb" run -c sb.toml --json --svg "$work" > run.json 2> run.err
"$sb" cost -c sb.toml --json > cost.json
cp fleet.svg "$root/bench/fleet.svg"

# The simulator's prediction of the same run: the same pools, traces and manager, the tasks
# as they ran (each successful attempt's time, in trace seconds), the live worker's start as
# the changeover (0.5 s of real time).
scale=$(awk -F' *= *' '/^time_scale/ {print $2+0}' sb.toml)
tasks=$(sqlite3 .spotbatch/spotbatch.db \
  "select group_concat(max(1, (ended_at - started_at) * $scale / 1000.0), ', ') from attempts where outcome = 'SUCCEEDED'")
max=$(awk -F' *= *' '/^max_instances/ {print $2+0; exit}' sb.toml)
cat sb.toml - > sim.toml <<SIM
[simulate]
policies = ["autoscale"]
runs = 1
start_at_offset = true
[simulate.workload]
kind = "bag-of-tasks"
instances = $max
changeover_hours = $(awk -v s="$scale" 'BEGIN {printf "%.6f", 0.5 * s / 3600}')
task_seconds = [$tasks]
SIM
"$sb" simulate -c sim.toml --json > sim.json
sim_launches=$(jq '[.results[0].decisions[] | select(.what == "launched")] | length' sim.json)
# Per pool, when each was launched (trace minutes), live and simulated.
when() {  # when FILE JQ-PATH-TO-DECISIONS POOL
  jq -r --arg pool "$3" "[$2[] | select(.what == \"launched\" and .pool == \$pool) | .at_seconds / 60 | . * 10 | round / 10] | map(tostring) | join(\" \")" "$1"
}
launch_rows=""
for pool in $(jq -r '.pools[].name' run.json); do
  launch_rows+="| $pool | $(when run.json .fleet_decisions "$pool") | $(when sim.json .results[0].decisions "$pool") |"$'\n'
done

pools=$(jq -r '.pools[] | "| \(.name) | \(.market) | \(.launched) | \(.notices) | \(.reclaims) | \(.instance_hours * 1000 | round / 1000) | \(.cost_usd * 10000 | round / 10000) | \(.idle_cost_usd * 10000 | round / 10000) | \(.on_demand_cost_usd * 10000 | round / 10000) |"' run.json)
decisions=$(jq -r '[.fleet_decisions[] | .what] | group_by(.) | map("\(.[0]) \(length)") | join(", ")' run.json)
{
  cat <<HEAD
# The fleet manager on the shipped example

Regenerate with \`bench/fleet.sh\` (one run; the traces are real, the timing of the workers
is this machine's, so launches and interruptions vary a little from run to run). One run on
$(date -u +%Y-%m-%d); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), Debian 12; build RelWithDebInfo.

The run: \`examples/thumbnails/sb.toml\` ($photos photos, ImageMagick thumbnails) on two spot pools
of c5.xlarge whose capacity follows the p3.2xlarge availability traces of us-west-2a and
us-west-2c from 2023-02-15 (from tick 44: both lose their room within seconds, get it back and
lose it again), and an on-demand pool; traces replayed 390 times faster than real time (a
195 s tick every half second), a 120 s notice, the autoscale policy with the example's keys.
Amounts are trace time at the pools' prices (\$0.068 and \$0.072 spot, \$0.17 on demand).

| | |
|---|---|
| tasks | $(jq .tasks run.json) ($(jq .succeeded run.json) succeeded, $(jq .failed run.json) failed) |
| attempts | $(jq .attempts run.json) |
| interruptions survived (attempts handed back on a notice) | $(jq .interruptions run.json) |
| attempts lost (instance gone before the hand-back) | $(jq .lost_attempts run.json) |
| launches | $(jq .launches run.json) ($(jq '.launches_per_task * 1000 | round / 1000' run.json) per finished task) |
| manager decisions | $decisions |
| wall time | $(jq .wall_seconds run.json) s |
| bill | \$$(jq '.cost_usd * 10000 | round / 10000' run.json), of which idle \$$(jq '.idle_cost_usd * 10000 | round / 10000' run.json) |
| the simulator's prediction (\`spotbatch simulate\`, the same manager on the same traces and measured tasks) | \$$(jq '.results[0].cost_usd * 10000 | round / 10000' sim.json), $sim_launches launches, $(jq '.results[0].interruptions' sim.json) instances reclaimed (live: $(jq '[.pools[].reclaims] | add' run.json) reclaimed, $(jq '[.pools[].notices] | add' run.json) noticed) |
| the same instance time on demand | \$$(jq '.on_demand_cost_usd * 10000 | round / 10000' run.json) ($(jq '(1 - .cost_usd / .on_demand_cost_usd) * 100 | round' run.json)% saved) |
| the jobs' costs plus idle (\`spotbatch cost\`) | \$$(jq '([.jobs[].cost_usd] | add) + .idle_cost_usd | . * 1e9 | round / 1e9' cost.json) against a total of \$$(jq '.cost_usd * 1e9 | round / 1e9' cost.json) |

| pool | market | launched | notices | reclaims | instance hours | cost \$ | idle \$ | on demand \$ |
|---|---|---|---|---|---|---|---|---|
$pools

When each instance was launched (trace minutes since the start), live and in the simulator's
prediction:

| pool | live | simulated |
|---|---|---|
$launch_rows
The timeline ([fleet.svg](fleet.svg)): per pool, the room its trace gave (shaded) and the
instances that ran there (line); below, the backlog (tasks queued and running).

![fleet timeline](fleet.svg)

Reading it. Both spot pools lose their room about 27 trace minutes in: every instance there
is noticed, hands its task back within the notice and leaves, and the manager has put the
on-demand pool in their place before the reclaim; when the room returns (about 46 minutes)
spot is launched again and the on-demand instances are retired. The simulator makes the same
decisions at nearly the same moments (the launch table). Its bill is lower: the tasks it is
given are the attempts' measured times, which leave out what a live worker spends between two
attempts (leasing, staging, publishing, starting the command), so its instances finish the
batch sooner. It counts a noticed instance as reclaimed at its reclaim time; live, none was
still running then, since a noticed worker hands its task back and exits at once. Launches
after the room returns depend on the work left then, so they differ by a few from run to run.
\`tests/integration/fleet_run_test.cc\` (LiveAndSimulatedRunsDecideAlike) checks the same
comparison on a smaller scenario.
HEAD
} > "$root/bench/FLEET.md"
echo "wrote bench/FLEET.md and bench/fleet.svg" >&2
