#!/usr/bin/env bash
# Measures uptake's latency at a given load: the ack latency of Segment
# batches sent open loop at a fixed rate, and, during the same run, the
# event-to-alert latency of probe events (uptake-bench --alert-latency).
# Without --rate it first measures the maximum rate closed loop and then
# loads the server at half of it. The maximum is measured over
# --max-duration seconds (default 60): in the first seconds on a new data
# folder the server outruns its own flushes and compactions, and a 10 s
# closed-loop run gave about 1.4 times what it sustains over a minute. The
# server is pinned to CPU 0 and both benches to CPU 1, as in
# scripts/ceilings.sh.
#
# Needs a Release build in build/ (or $BUILD_DIR) with uptake and
# uptake-bench, taskset and at least 2 CPUs. The server listens on
# 127.0.0.1 and is stopped before the script exits. The run is bounded:
# about max-duration + 2 x warm-up + duration seconds plus start-up.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/measure.sh
source scripts/lib/measure.sh

duration=10
max_duration=60
warmup=2
connections=32
batch=100
event_bytes=400
rate=""
probes=1000
build_dir="${BUILD_DIR:-build}"

usage() {
  cat <<'TEXT'
usage: scripts/latency.sh [options]
  --rate EVENTS    events/s of the open-loop load (default: half the maximum,
                   measured first with a closed-loop run)
  --duration S     measured seconds (default 10, at most 600)
  --max-duration S seconds of the closed-loop run that measures the maximum
                   (default 60, at most 600)
  --warmup S       seconds of load before measuring (default 2)
  --connections N  connections of the load (default 32)
  --batch N        events per request (default 100)
  --event-bytes N  approximate size of each event (default 400)
  --probes N       alert probes sent during the measured load (default 1000)
TEXT
}

while [ $# -gt 0 ]; do
  case "$1" in
    --rate) require_value "$@"; rate="$2"; shift 2 ;;
    --duration) require_value "$@"; duration="$2"; shift 2 ;;
    --max-duration) require_value "$@"; max_duration="$2"; shift 2 ;;
    --warmup) require_value "$@"; warmup="$2"; shift 2 ;;
    --connections) require_value "$@"; connections="$2"; shift 2 ;;
    --batch) require_value "$@"; batch="$2"; shift 2 ;;
    --event-bytes) require_value "$@"; event_bytes="$2"; shift 2 ;;
    --probes) require_value "$@"; probes="$2"; shift 2 ;;
    --help) usage; exit 0 ;;
    *) echo "latency.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
require_range --duration "$duration" 1 600
require_range --max-duration "$max_duration" 1 600
require_range --warmup "$warmup" 0 600
require_range --connections "$connections" 1 1024
require_range --batch "$batch" 1 2500
require_range --event-bytes "$event_bytes" 16 32768
require_range --probes "$probes" 1 1000
if [ -n "$rate" ]; then require_range --rate "$rate" 1 100000000; fi
for binary in uptake uptake-bench; do
  if [ ! -x "$build_dir/$binary" ]; then
    echo "latency.sh: $build_dir/$binary is missing; build the Release targets first" >&2
    exit 2
  fi
done
if [ "$(nproc)" -lt 2 ]; then
  echo "latency.sh: needs 2 CPUs to pin the server and the benches apart" >&2
  exit 2
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server with the alert-latency rule on a new data folder. It
# lets the disk settle first, as scripts/ceilings.sh does between runs: the
# maximum-rate run leaves gigabytes of dirty pages and deleted files, whose
# writeback and discards stalled the next run's log writes. On the
# benchmark machine its ack p99 was 25 to 34 ms with a `sync` alone and 1.3
# to 1.5 ms after settling.
start_server() {
  settle_disk
  port="$(free_port)"
  sed "s/^listen: .*/listen: \"127.0.0.1:$port\"\nthreads: 1/" bench/alert-latency.yaml \
    >"$work/uptake.yaml"
  taskset -c 0 "$build_dir/uptake" serve --config "$work/uptake.yaml" \
    --data-dir "$work/data-$1" >"$work/uptake-$1.log" 2>&1 &
  server_pid=$!
  wait_for_port "$port"
}

stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

load_flags=(--connections "$connections" --batch "$batch" --event-bytes "$event_bytes")

if [ -z "$rate" ]; then
  start_server max
  report="$(taskset -c 1 "$build_dir/uptake-bench" --url "http://127.0.0.1:$port" \
    "${load_flags[@]}" --warmup "$warmup" --duration "$max_duration" --json)" ||
    { echo "latency.sh: maximum-rate run failed: $report" >&2; exit 1; }
  stop_server
  rm -rf "$work/data-max"
  max="$(json_number events_per_second "$report")"
  rate="$(awk -v m="$max" 'BEGIN { printf "%d", m / 2 }')"
  echo "maximum      $(printf '%.0f' "$max") events/s closed loop over $max_duration s; load at half: $rate events/s"
fi

requests_per_second="$(awk -v r="$rate" -v b="$batch" 'BEGIN { printf "%.3f", r / b }')"
start_server load
taskset -c 1 "$build_dir/uptake-bench" --url "http://127.0.0.1:$port" "${load_flags[@]}" \
  --rate "$requests_per_second" --warmup "$warmup" --duration "$duration" --json \
  >"$work/load.json" &
load_pid=$!
# The probes start once the load is past its warm-up.
sleep "$warmup"
probe_status=0
taskset -c 1 "$build_dir/uptake-bench" --url "http://127.0.0.1:$port" \
  --alert-latency "$probes" --json >"$work/probes.json" || probe_status=$?
load_status=0
wait "$load_pid" || load_status=$?
stop_server

load="$(cat "$work/load.json")"
probes_report="$(cat "$work/probes.json")"
if [ "$load_status" -ne 0 ] || [ "$probe_status" -ne 0 ]; then
  echo "latency.sh: a bench failed" >&2
  echo "load: $load" >&2
  echo "probes: $probes_report" >&2
  exit 1
fi

ack="$(grep -o '"measured":{.*' <<<"$load")"
alert="$(grep -o '"latency_us":{[^}]*}' <<<"$probes_report")"
printf 'load         %.0f events/s open loop (target %s)\n' \
  "$(json_number events_per_second "$ack")" "$rate"
printf 'ack ms       p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n' \
  "$(awk -v v="$(json_number p50 "$ack")" 'BEGIN { print v / 1000 }')" \
  "$(awk -v v="$(json_number p99 "$ack")" 'BEGIN { print v / 1000 }')" \
  "$(awk -v v="$(json_number p99_9 "$ack")" 'BEGIN { print v / 1000 }')" \
  "$(awk -v v="$(json_number max "$ack")" 'BEGIN { print v / 1000 }')"
printf 'alert ms     p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  (%s probes)\n' \
  "$(awk -v v="$(json_number p50 "$alert")" 'BEGIN { print v / 1000 }')" \
  "$(awk -v v="$(json_number p99 "$alert")" 'BEGIN { print v / 1000 }')" \
  "$(awk -v v="$(json_number p99_9 "$alert")" 'BEGIN { print v / 1000 }')" \
  "$(awk -v v="$(json_number max "$alert")" 'BEGIN { print v / 1000 }')" \
  "$(json_number alerts "$probes_report")"
