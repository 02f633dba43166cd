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
for binary in "$uptake" "$datagen"; do
  [[ -x $binary ]] || { echo "missing $binary: build the project first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/uptake-restart-bench.XXXXXX)
server_pid=
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
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

# Starts the server, waits for /readyz (at most 15 minutes), sets `elapsed`
# to the seconds taken, and leaves the server running. Not called in a
# subshell, so server_pid stays set for stop_server.
start_and_time() {
  local log=$1
  local started
  started=$(date +%s.%N)
  "$uptake" serve --config "$work/config.yaml" --data-dir "$work/data" >"$log" 2>&1 &
  server_pid=$!
  local deadline=$((SECONDS + 900))
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "server exited; log:" >&2
      cat "$log" >&2
      exit 1
    fi
    ((SECONDS < deadline)) || { echo "not ready after 900 s" >&2; exit 1; }
    sleep 0.05
  done
  elapsed=$(awk -v now="$(date +%s.%N)" -v then="$started" 'BEGIN { print now - then }')
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
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
