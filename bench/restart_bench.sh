#!/usr/bin/env bash
# Measures restart-to-ready (GET /readyz returning 200) of uptake on a
# synthetic data folder, first with no snapshot (full replay of the event
# log), then from the snapshot written at the graceful stop.
#
# Usage: bench/restart_bench.sh [ACCOUNTS] [EVENTS]
#   defaults 1000000 accounts and 10000000 events. Needs a Release build in
#   build/ (uptake and uptake-restart-datagen). The data folder is made in a
#   temporary folder and removed at the end; at full scale it takes about
#   1 GiB of disk.
set -euo pipefail

accounts=${1:-1000000}
events=${2:-10000000}
root=$(cd "$(dirname "$0")/.." && pwd)
uptake=$root/build/uptake
datagen=$root/build/uptake-restart-datagen
source "$root/bench/server_run.sh"
require_binaries "$uptake" "$datagen"
make_work_dir uptake-restart-bench

cat >"$work/config.yaml" <<YAML
clock: event
write_keys: [bench]
listen: "127.0.0.1:$port"
storage:
  snapshot_interval_seconds: 0
login_events: ["Signed In"]
features:
  - id: Reports
    events: ["Report Viewed", "Report Created"]
  - id: Dashboards
    events: ["Dashboard Viewed"]
  - id: Exports
    events: ["Export Run"]
rules:
  - name: inactive
    kind: inactivity
    days: 14
YAML

echo "generating $accounts accounts, $events events"
"$datagen" "$work/data" "$accounts" "$events"

# Runs start_server and sets `elapsed` to the seconds it took. Not called
# in a subshell, so server_pid stays set for stop_server.
start_and_time() {
  local started
  started=$(date +%s.%N)
  start_server "$1"
  elapsed=$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { print now - then }')
}

# The first start replays the whole log and records the alerts it finds,
# which later starts do not repeat; its stop writes the snapshot.
start_and_time "$work/first.log"
first=$elapsed
stop_server
grep -h '\[startup\]\|\[snapshot\]' "$work/first.log" | sed 's/^/  /'

start_and_time "$work/snapshot.log"
snap=$elapsed
stop_server
grep -h '\[startup\]' "$work/snapshot.log" | sed 's/^/  /'
snapshot_bytes=$(du -b "$work/data/snapshots"/*.snap | sort -n | tail -1 | cut -f1)

mv "$work/data/snapshots" "$work/snapshots.moved"
start_and_time "$work/full.log"
full=$elapsed
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")
stop_server
grep -h '\[startup\]\|\[snapshot\]' "$work/full.log" | sed 's/^/  /'

printf 'accounts=%s events=%s\n' "$accounts" "$events"
printf 'first start (full replay, alerts recorded): %.2f s\n' "$first"
printf 'ready from snapshot:                        %.2f s\n' "$snap"
printf 'ready without snapshot (full replay):       %.2f s\n' "$full"
printf 'server RSS after full replay: %d MiB; snapshot file: %d MiB\n' \
  $((rss_kib / 1024)) $((snapshot_bytes / 1048576))
