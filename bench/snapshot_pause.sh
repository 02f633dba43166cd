#!/usr/bin/env bash
# Measures how long aggregate snapshots hold up ingest on a synthetic data
# folder. The server takes a periodic snapshot every 2 seconds while one
# client sends small batches one after another, then a snapshot at its
# graceful stop. Prints the server's "[snapshot]" log lines (gate pause,
# encoding time, shards encoded by ingest) and the client's request times.
#
# Usage: bench/snapshot_pause.sh [ACCOUNTS] [EVENTS] [SECONDS]
#   defaults 1000000 accounts, 10000000 events and 20 seconds of requests.
#   Needs a Release build in build/ (uptake and uptake-restart-datagen) and
#   curl. The client sends one 20-event batch at a time, so this measures
#   waits, not throughput. To compare builds on the same data, set
#   SNAPSHOT_PAUSE_DATA to a folder made by uptake-restart-datagen with
#   ACCOUNTS accounts. The script then copies it instead of making new data.
#   UPTAKE may name the server binary to run.
set -euo pipefail

accounts=${1:-1000000}
events=${2:-10000000}
seconds=${3:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
uptake=${UPTAKE:-$root/build/uptake}
datagen=$root/build/uptake-restart-datagen
source "$root/bench/server_run.sh"
require_binaries "$uptake" "$datagen"
make_work_dir uptake-snapshot-pause

cat >"$work/config.yaml" <<YAML
clock: event
write_keys: [bench]
listen: "127.0.0.1:$port"
storage:
  snapshot_interval_seconds: 2
  snapshot_min_events: 1
login_events: ["Signed In"]
features:
  - id: Reports
    events: ["Report Viewed", "Report Created"]
# No rules, so no alerts fire at startup and the snapshots see only ingest.
YAML

if [[ -n ${SNAPSHOT_PAUSE_DATA:-} ]]; then
  cp -r "$SNAPSHOT_PAUSE_DATA" "$work/data"
else
  echo "generating $accounts accounts, $events events"
  "$datagen" "$work/data" "$accounts" "$events"
fi

start_server "$work/server.log"

# Sets `body` to a batch of 20 events on random accounts, so it touches up
# to 20 of the aggregator's 64 shards. The events carry no timestamp, so
# the server stamps them with the time received.
make_batch() {
  body='{"batch":['
  for ((i = 0; i < 20; i++)); do
    ((i > 0)) && body+=','
    body+="{\"type\":\"track\",\"userId\":\"u$i\",\"event\":\"Report Viewed\","
    body+="\"context\":{\"groupId\":\"acct-$(((RANDOM * 32768 + RANDOM) % accounts))\"}}"
  done
  body+=']}'
}

send_batch() {
  curl -sf -u bench: -H 'Content-Type: application/json' --data-binary "$body" "$@" \
    "http://127.0.0.1:$port/v1/batch"
}

make_batch
accepted=$(send_batch)
[[ $accepted == *'"accepted":20'* ]] || { echo "batch not accepted: $accepted" >&2; exit 1; }

stop_at=$((SECONDS + seconds))
sent=0
while ((SECONDS < stop_at)); do
  make_batch
  send_batch -o /dev/null -w '%{time_total}\n' >>"$work/times.txt"
  sent=$((sent + 1))
done

stop_server

grep -h '\[snapshot\]' "$work/server.log" | sed 's/^/  /'
sort -n "$work/times.txt" | awk -v sent="$sent" '
  { t[NR] = $1 }
  END {
    printf "requests: %d; median %.1f ms, p99 %.1f ms, slowest %.1f ms\n",
      sent, 1000 * t[int(NR / 2) + 1], 1000 * t[int(NR * 0.99) + 1], 1000 * t[NR]
  }'
