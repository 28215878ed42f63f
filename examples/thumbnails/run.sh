#!/usr/bin/env bash
# Generates N photos (default 200), uploads them and makes their thumbnails with spotbatch, on
# local spot pools that follow real capacity traces and an on-demand pool; prints the bill.
# Usage: run.sh [N]; WORK_DIR (default examples/thumbnails/work) holds the pipeline's data.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spotbatch=${SPOTBATCH:-$here/../../build/spotbatch}
count=${1:-200}
work=${WORK_DIR:-$here/work}

rm -rf "$work"
mkdir -p "$work/photos"
# The config names the traces relative to its own folder; from the work folder they are here.
sed "s|\"../../data/|\"$here/../../data/|" "$here/sb.toml" > "$work/sb.toml"
echo "generating $count photos in $work/photos"
seq 1 "$count" | xargs -P 2 -I{} /usr/bin/convert -size 640x480 -seed {} plasma:fractal \
  -blur 0x1 "$work/photos/photo-{}.jpg"

cd "$work"
"$spotbatch" put -c sb.toml photos > /dev/null
"$spotbatch" run -c sb.toml --json > summary.json
echo "summary: $(jq -c '{succeeded, failed, interruptions, lost_attempts, launches, cost_usd,
  on_demand_cost_usd, wall_seconds}' summary.json) (all of it in $work/summary.json)"
"$spotbatch" status -c sb.toml > status.txt  # not piped to head: pipefail would trip on SIGPIPE
head -n 6 status.txt
echo "... ($(($(wc -l < status.txt) - 1)) jobs in $work/status.txt)"
echo "out/photo-1.jpg/info.txt: $("$spotbatch" get -c sb.toml out/photo-1.jpg/info.txt -)"
echo "thumbnails are in $work/data/out/"
echo
echo "the bill (spotbatch cost):"
"$spotbatch" cost -c sb.toml > cost.txt
sed '/^JOB /,/^$/d' cost.txt  # the pools and the total; every job's line is in cost.txt
