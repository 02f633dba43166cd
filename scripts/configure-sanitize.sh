#!/usr/bin/env bash
# Configures BUILD_DIR (default build-sanitize) for clang 14 with
# AddressSanitizer and UndefinedBehaviorSanitizer on every target, the tests
# and the libFuzzer targets. scripts/test-sanitizers.sh and scripts/fuzz.sh
# share it, so the libraries are built once for both. The libraries carry
# libFuzzer's coverage instrumentation, which costs the unit tests little.
set -euo pipefail
cd "$(dirname "$0")/.."

build="${1:-build-sanitize}"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DUPTAKE_WERROR=ON -DUPTAKE_BUILD_TESTS=ON \
  -DUPTAKE_FUZZ=ON -DUPTAKE_SANITIZE=address,undefined
