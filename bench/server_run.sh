# Helpers for the bench scripts that run `uptake serve` on a temporary data
# folder. Source it after setting `uptake` to the server binary. Needs bash
# and curl.

# Exits with a message unless every argument is an executable file.
require_binaries() {
  local binary
  for binary in "$@"; do
    [[ -x $binary ]] || { echo "missing $binary: build the project first" >&2; exit 1; }
  done
}

# Sets `work` to a new temporary folder whose name starts with $1, and
# `port` to a random loopback port. At exit a running server is stopped and
# the folder removed.
make_work_dir() {
  work=$(mktemp -d "/tmp/$1.XXXXXX")
  port=$((20000 + RANDOM % 20000))
  server_pid=
  trap remove_work_dir EXIT
}

remove_work_dir() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}

# Starts the server on $work/config.yaml and $work/data with its output in
# the file $1, waits for /readyz (at most 15 minutes), and leaves it
# running. Not for a subshell, so server_pid stays set for stop_server.
start_server() {
  local log=$1
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
}

# Stops the server gracefully, so it writes its shutdown snapshot.
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=
}
