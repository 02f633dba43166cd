#!/usr/bin/env bash
# Measures how ingest throughput holds up with the number of accounts. It
# sends the closed-loop load of scripts/ceilings.sh to a fresh server, once
# spread over --small accounts and once over --large. Each run starts with
# a warm-up long enough to create most of the accounts. Account picks are uniform by
# default (--zipf 0), so the large run really touches all its accounts;
# --zipf 1 gives the skew of real usage, where a few accounts send most
# events. Prints the median of --runs runs of each and the ratio.
#
# Needs a Release build in build/ (or $BUILD_DIR) with uptake and
# uptake-bench, taskset and at least 2 CPUs. The server listens on
# 127.0.0.1 and is stopped before the script exits. The run is bounded:
# 2 x runs x (warm-up + duration) seconds plus start-up.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/measure.sh
source scripts/lib/measure.sh

small=1000
large=1000000
users=10
duration=10
warmup=20
runs=3
zipf=0
build_dir="${BUILD_DIR:-build}"

usage() {
  cat <<'TEXT'
usage: scripts/scale.sh [options]
  --small N      accounts of the small run (default 1000)
  --large N      accounts of the large run (default 1000000)
  --users N      users per account (default 10)
  --duration S   measured seconds per run (default 10, at most 600)
  --warmup S     seconds of load before measuring (default 20, at most 600)
  --runs N       runs of each; the median is reported (default 3, at most 9)
  --zipf S       Zipf exponent of the account and user picks (default 0: uniform)
TEXT
}

while [ $# -gt 0 ]; do
  case "$1" in
    --small) require_value "$@"; small="$2"; shift 2 ;;
    --large) require_value "$@"; large="$2"; shift 2 ;;
    --users) require_value "$@"; users="$2"; shift 2 ;;
    --duration) require_value "$@"; duration="$2"; shift 2 ;;
    --warmup) require_value "$@"; warmup="$2"; shift 2 ;;
    --runs) require_value "$@"; runs="$2"; shift 2 ;;
    --zipf) require_value "$@"; zipf="$2"; shift 2 ;;
    --help) usage; exit 0 ;;
    *) echo "scale.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
require_range --small "$small" 1 10000000
require_range --large "$large" 1 10000000
require_range --users "$users" 1 100000
require_range --duration "$duration" 1 600
require_range --warmup "$warmup" 0 600
require_range --runs "$runs" 1 9
if ! [[ "$zipf" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
  echo "scale.sh: invalid --zipf \"$zipf\"" >&2
  exit 2
fi
for binary in uptake uptake-bench; do
  if [ ! -x "$build_dir/$binary" ]; then
    echo "scale.sh: $build_dir/$binary is missing; build the Release targets first" >&2
    exit 2
  fi
done

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Sets `figure` to the events/s of one run over $1 accounts.
run_once() {
  local accounts="$1" run="$2" port report
  port="$(free_port)"
  printf 'listen: "127.0.0.1:%s"\nwrite_keys: [demo]\nthreads: 1\n' "$port" >"$work/uptake.yaml"
  settle_disk
  taskset -c 0 "$build_dir/uptake" serve --config "$work/uptake.yaml" \
    --data-dir "$work/data" >"$work/uptake-$accounts-$run.log" 2>&1 &
  server_pid=$!
  wait_for_port "$port"
  report="$(taskset -c 1 "$build_dir/uptake-bench" --url "http://127.0.0.1:$port" \
    --connections 32 --batch 100 --event-bytes 400 --accounts "$accounts" --users "$users" \
    --zipf "$zipf" --warmup "$warmup" --duration "$duration" --json)" ||
    { echo "scale.sh: run over $accounts accounts failed: $report" >&2; exit 1; }
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  rm -rf "$work/data"
  figure="$(json_number events_per_second "$report")"
}

declare -A figures
for run in $(seq "$runs"); do
  for accounts in "$small" "$large"; do
    run_once "$accounts" "$run"
    printf '%9s accounts  run %d  %10.0f events/s\n' "$accounts" "$run" "$figure"
    figures[$accounts]+="$figure "
  done
done
# Word splitting of the lists is intended.
# shellcheck disable=SC2086
small_median="$(median ${figures[$small]})"
# shellcheck disable=SC2086
large_median="$(median ${figures[$large]})"
printf '%9s accounts  median  %10.0f events/s\n' "$small" "$small_median" "$large" "$large_median"
awk -v s="$small_median" -v l="$large_median" \
  'BEGIN { printf "large / small       %.4f\n", (s > 0 ? l / s : 0) }'
