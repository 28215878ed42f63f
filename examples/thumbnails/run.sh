#!/usr/bin/env bash
# Generates N photos (default 200), uploads them and makes their thumbnails with spotbatch.
# Usage: run.sh [N]; WORK_DIR (default examples/thumbnails/work) holds the pipeline's data.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
spotbatch=${SPOTBATCH:-$here/../../build/spotbatch}
count=${1:-200}
work=${WORK_DIR:-$here/work}

rm -rf "$work"
mkdir -p "$work/photos"
cp "$here/sb.toml" "$work/"
echo "generating $count photos in $work/photos"
seq 1 "$count" | xargs -P 2 -I{} /usr/bin/convert -size 640x480 -seed {} plasma:fractal \
  -blur 0x1 "$work/photos/photo-{}.jpg"

cd "$work"
"$spotbatch" put -c sb.toml photos > /dev/null
"$spotbatch" run -c sb.toml --json > summary.json
echo "summary: $(cat summary.json)"
"$spotbatch" status -c sb.toml > status.txt  # not piped to head: pipefail would trip on SIGPIPE
head -n 6 status.txt
echo "... ($(($(wc -l < status.txt) - 1)) jobs in $work/status.txt)"
echo "out/photo-1.jpg/info.txt: $("$spotbatch" get -c sb.toml out/photo-1.jpg/info.txt -)"
echo "thumbnails are in $work/data/out/"
