# Shell functions shared by the measuring scripts (ceilings.sh, latency.sh,
# scale.sh). Source it; it defines functions only. Messages name the
# calling script.

# Prints a free loopback port. Another process may take it before the server
# binds it, which makes that run fail visibly rather than measure the wrong thing.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 20 s until something accepts connections on port $1.
wait_for_port() {
  for _ in $(seq 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "${0##*/}: nothing listens on 127.0.0.1:$1 after 20 s" >&2
  return 1
}

# Prints the number after "KEY": in a JSON text.
json_number() {
  grep -o "\"$1\":[0-9.]*" <<<"$2" | head -n 1 | cut -d: -f2
}

# Prints the median of the numbers given.
median() {
  printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}

# Exits with a usage error when the flag $1 has no value after it. Call it
# with "$@" from the argument loop, before reading $2.
require_value() {
  if [ $# -lt 2 ]; then
    echo "${0##*/}: $1 needs a value; see --help" >&2
    exit 2
  fi
}

# Exits with a usage error unless $2 is a whole number from $3 to $4; $1
# names the flag.
require_range() {
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "${0##*/}: $1 must be a whole number from $3 to $4, not \"$2\"" >&2
    exit 2
  fi
}

# Runs sync, then waits up to 120 s until less than 1% of the last 10 s had
# a task waiting on I/O (/proc/pressure/io). The writeback and discards of
# a previous run's files outlast sync and would stall the next run.
# Without /proc/pressure/io it only syncs. Prints any wait to stderr.
settle_disk() {
  sync
  [ -r /proc/pressure/io ] || return 0
  local waited=0 busy
  while [ "$waited" -lt 120 ]; do
    busy="$(awk '/^some/ { split($2, a, "="); print (a[2] >= 1.0) }' /proc/pressure/io)"
    [ "$busy" = 1 ] || break
    sleep 1
    waited=$((waited + 1))
  done
  if [ "$waited" -gt 0 ]; then
    echo "${0##*/}: waited ${waited} s for the disk to settle" >&2
  fi
}
