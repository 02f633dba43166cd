#!/usr/bin/env bash
# Runs the crash test with N SIGKILLs per durability mode (default 200):
# the real server under concurrent ingest is killed at random moments and
# restarted on the same data folder, then every acknowledged event is
# checked. Each kill takes about half a second, so 200 kills of both modes
# take a few minutes. Builds into build/ first when the test binary is
# missing. Exits non-zero when a check fails; the seed is in the output.
#
#   scripts/crash-loop.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."

kills="${1:-200}"
if ! [[ "$kills" =~ ^[0-9]+$ ]] || (( kills < 1 || kills > 100000 )); then
  echo "usage: scripts/crash-loop.sh [N]   (N kills per durability mode, 1 to 100000)" >&2
  exit 2
fi

binary=build/integration_test
if [[ ! -x "$binary" ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DUPTAKE_WERROR=ON
  cmake --build build --target integration_test
fi

UPTAKE_CRASH_KILLS="$kills" exec "$binary" --gtest_filter='Durability/CrashTest.*'
