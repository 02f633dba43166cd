#!/usr/bin/env bash
# Measures uptake's ingest throughput next to two ceilings, back to back on
# this machine: nginx answering the same POSTs with 204 (the HTTP ceiling)
# and rocksdb-ceiling writing the same events with uptake's key layout (the
# storage ceiling). The server under test is pinned to CPU 0 and
# uptake-bench to CPU 1 with taskset. Each figure is the median of --runs
# runs; the script prints every run, the medians and the ratios.
#
# --single sends one event per POST /v1/track, against one event per
# commit for the storage ceiling. --fsync runs uptake with `durability:
# fsync` and 4 threads, and the storage ceiling with a synced WAL and 32
# writers, the most its group commit gains from. uptake coalesces the
# requests that arrive during a sync into its next commit, so a few threads
# keep a sync in flight.
#
# Needs a Release build in build/ (or $BUILD_DIR) with the targets uptake,
# uptake-bench and rocksdb-ceiling, nginx (scripts/install-deps.sh --bench),
# taskset and at least 2 CPUs. Every server it starts listens on 127.0.0.1
# and is stopped before the script exits. The whole run is bounded: about
# 3 x runs x (warm-up + duration) seconds plus start-up.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/measure.sh
source scripts/lib/measure.sh

duration=10
warmup=2
runs=3
connections=32
batch=100
event_bytes=400
fsync=""
compression=zstd
single=""
server_threads=""
storage_threads=""
build_dir="${BUILD_DIR:-build}"

usage() {
  cat <<'TEXT'
usage: scripts/ceilings.sh [options]
  --duration S     measured seconds per run (default 10, at most 600)
  --warmup S       seconds of load before each measurement (default 2)
  --runs N         runs per target; the median is reported (default 3, at most 9)
  --connections N  uptake-bench connections (default 32)
  --batch N        events per request and per RocksDB write batch (default 100)
  --event-bytes N  approximate size of each event (default 400)
  --single         one event per request (POST /v1/track) and per commit
  --fsync          durability fsync for uptake and a synced WAL for the
                   storage ceiling, so that syncs are shared
  --compression C  storage.compression of uptake and the storage ceiling:
                   zstd (default) or lz4
  --server-threads N
                   uptake's threads (default 1, or 4 with --fsync)
  --storage-threads N
                   the storage ceiling's writers (default: as many as
                   uptake's threads, or 32 with --fsync)
TEXT
}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) require_value "$@"; duration="$2"; shift 2 ;;
    --warmup) require_value "$@"; warmup="$2"; shift 2 ;;
    --runs) require_value "$@"; runs="$2"; shift 2 ;;
    --connections) require_value "$@"; connections="$2"; shift 2 ;;
    --batch) require_value "$@"; batch="$2"; shift 2 ;;
    --event-bytes) require_value "$@"; event_bytes="$2"; shift 2 ;;
    --fsync) fsync="--fsync"; shift ;;
    --compression) require_value "$@"; compression="$2"; shift 2 ;;
    --single) single="--single"; shift ;;
    --server-threads) require_value "$@"; server_threads="$2"; shift 2 ;;
    --storage-threads) require_value "$@"; storage_threads="$2"; shift 2 ;;
    --help) usage; exit 0 ;;
    *) echo "ceilings.sh: unknown argument $1; see --help" >&2; exit 2 ;;
  esac
done
require_range --duration "$duration" 1 600
require_range --warmup "$warmup" 0 600
require_range --runs "$runs" 1 9
case "$compression" in
  zstd | lz4) ;;
  *) echo "ceilings.sh: invalid --compression $compression: expected zstd or lz4" >&2; exit 2 ;;
esac
require_range --connections "$connections" 1 1024
require_range --batch "$batch" 1 2500
require_range --event-bytes "$event_bytes" 16 32768

if [ -z "$server_threads" ]; then
  server_threads=1
  if [ -n "$fsync" ]; then server_threads=4; fi
fi
if [ -z "$storage_threads" ]; then
  storage_threads="$server_threads"
  if [ -n "$fsync" ]; then storage_threads=32; fi
fi
require_range --server-threads "$server_threads" 1 256
require_range --storage-threads "$storage_threads" 1 256
if [ -n "$single" ]; then batch=1; fi
durability=wal
if [ -n "$fsync" ]; then durability=fsync; fi

for binary in uptake uptake-bench rocksdb-ceiling; do
  if [ ! -x "$build_dir/$binary" ]; then
    echo "ceilings.sh: $build_dir/$binary is missing; build the Release targets first" >&2
    exit 2
  fi
done
if ! command -v nginx >/dev/null 2>&1; then
  echo "ceilings.sh: nginx is missing; run scripts/install-deps.sh --bench" >&2
  exit 2
fi
if [ "$(nproc)" -lt 2 ]; then
  echo "ceilings.sh: needs 2 CPUs to pin the server and the bench apart" >&2
  exit 2
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

bench_flags=(--connections "$connections" --event-bytes "$event_bytes"
  --warmup "$warmup" --duration "$duration" --json)
if [ -n "$single" ]; then bench_flags+=(--single); else bench_flags+=(--batch "$batch"); fi

# The run_* functions set `figure` to the run's events/s.
stop_server() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

run_uptake() {
  local run="$1" port
  port="$(free_port)"
  cat >"$work/uptake.yaml" <<YAML
listen: "127.0.0.1:$port"
write_keys: [demo]
threads: $server_threads
storage:
  durability: $durability
  compression: $compression
YAML
  taskset -c 0 "$build_dir/uptake" serve --config "$work/uptake.yaml" \
    --data-dir "$work/uptake-data-$run" >"$work/uptake-$run.log" 2>&1 &
  server_pid=$!
  wait_for_port "$port"
  local report
  report="$(taskset -c 1 "$build_dir/uptake-bench" --url "http://127.0.0.1:$port" \
    "${bench_flags[@]}")" || { echo "ceilings.sh: uptake run $run failed: $report" >&2; exit 1; }
  stop_server
  rm -rf "$work/uptake-data-$run"
  figure="$(json_number events_per_second "$report")"
  local measured
  measured="$(grep -o '"measured":{.*' <<<"$report")"
  note="$(awk -v a="$(json_number p50 "$measured")" -v b="$(json_number p99 "$measured")" \
    -v c="$(json_number p99_9 "$measured")" \
    'BEGIN { printf "  ack p50 %.3f  p99 %.3f  p99.9 %.3f ms", a / 1000, b / 1000, c / 1000 }')"
}

run_nginx() {
  local run="$1" port user_line=""
  port="$(free_port)"
  # As root, nginx would switch its worker to "nobody"; keep the current user.
  if [ "$(id -u)" -eq 0 ]; then user_line="user $(id -un) $(id -gn);"; fi
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<CONF
$user_line
daemon off;
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  client_max_body_size 1m;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$port;
    location / { return 204; }
  }
}
CONF
  taskset -c 0 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
  server_pid=$!
  wait_for_port "$port"
  local report
  report="$(taskset -c 1 "$build_dir/uptake-bench" --url "http://127.0.0.1:$port" \
    --expect-status 204 "${bench_flags[@]}")" ||
    { echo "ceilings.sh: nginx run $run failed: $report" >&2; exit 1; }
  stop_server
  figure="$(json_number events_per_second "$report")"
}

run_rocksdb() {
  local run="$1" report
  report="$(taskset -c 0 "$build_dir/rocksdb-ceiling" --db "$work/rocksdb-$run" \
    --batch "$batch" --event-bytes "$event_bytes" --warmup "$warmup" --duration "$duration" \
    --threads "$storage_threads" $fsync --compression "$compression" --json)" || { echo "ceilings.sh: rocksdb run $run failed: $report" >&2; exit 1; }
  rm -rf "$work/rocksdb-$run"
  figure="$(json_number events_per_second "$report")"
}

echo "ceilings: $runs runs of ${warmup}s warm-up + ${duration}s, $connections connections," \
  "batch $batch${single:+ (/v1/track)}, ~$event_bytes bytes per event," \
  "durability $durability, compression $compression, $server_threads server threads," \
  "$storage_threads storage writers"
# The three targets take turns within each round, so that a drift of the
# machine during the whole run touches all of them alike.
declare -A figures medians
for run in $(seq "$runs"); do
  for target in uptake nginx rocksdb; do
    # Runs in this shell, not a subshell, so the EXIT trap can stop server_pid.
    figure=""
    note=""
    # Dirty pages and deleted files that the previous run left would be
    # written back and discarded during this one, and take CPU and disk
    # from it.
    settle_disk
    "run_$target" "$run"
    if [ -z "$figure" ]; then
      echo "ceilings.sh: run $run of $target printed no figure" >&2
      exit 1
    fi
    printf '%-8s run %d  %12.0f events/s%s\n' "$target" "$run" "$figure" "$note"
    figures[$target]+="$figure "
  done
done
for target in uptake nginx rocksdb; do
  # Word splitting of the list is intended.
  # shellcheck disable=SC2086
  medians[$target]="$(median ${figures[$target]})"
done

echo
printf '%-8s median %12.0f events/s\n' uptake "${medians[uptake]}" nginx "${medians[nginx]}" \
  rocksdb "${medians[rocksdb]}"
awk -v u="${medians[uptake]}" -v n="${medians[nginx]}" -v r="${medians[rocksdb]}" 'BEGIN {
  printf "uptake / nginx    %.3f\n", (n > 0 ? u / n : 0)
  printf "uptake / rocksdb  %.3f\n", (r > 0 ? u / r : 0)
}'
