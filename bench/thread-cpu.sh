#!/usr/bin/env bash
# Where embed's CPU goes (Linux): runs the built CLI once on the bench's images and prints each busy thread's CPU
# and run-queue wait (/proc/<pid>/task/*/schedstat) and the machine's idle time over the run (/proc/stat).
# Usage: bench/thread-cpu.sh [fp32|q8] [images dir] [model dir]   (after `npm run bench` has made bench/.cache)
set -euo pipefail
cd "$(dirname "$0")/.."
dtype=${1:-fp32}
images=${2:-bench/.cache/sets/links-320}
model=${3:-bench/.cache/models/vit-b32}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
read -r _ user nice system idle _ < /proc/stat
dist/source/cli.js embed --input "$images" --output "$out/embeddings" --model "$model" --dtype "$dtype" \
  --no-cache --json > "$out/report.json" 2> "$out/log" &
pid=$!
declare -A last
# A thread's counters vanish when it exits: keep the last reading of each.
while kill -0 "$pid" 2> /dev/null; do
  for task in /proc/"$pid"/task/*; do
    read -r run wait slices < "$task/schedstat" 2> /dev/null && last[${task##*/}]="$run $wait $slices"
  done
  sleep 0.2
done
wait "$pid" || { cat "$out/log" >&2; exit 1; }
read -r _ user2 nice2 system2 idle2 _ < /proc/stat
hz=$(getconf CLK_TCK)
for tid in "${!last[@]}"; do echo "$tid ${last[$tid]}"; done | sort -k2 -nr | awk '
  $2 > 1e8 { printf "thread %s: cpu %.2f s, waited to run %.2f s\n", $1, $2 / 1e9, $3 / 1e9 }
  { cpu += $2 } END { printf "process: cpu %.2f s\n", cpu / 1e9 }'
awk -v busy=$((user2 + nice2 + system2 - user - nice - system)) -v idle=$((idle2 - idle)) -v hz="$hz" -v cpus="$(nproc)" \
  'BEGIN { printf "machine (%d cpus): busy %.1f s, idle %.1f s\n", cpus, busy / hz, idle / hz }'
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`embed: ${r.images_per_second} images/s, timings ${JSON.stringify(r.timings_seconds)}`)' "$out/report.json"
