#!/usr/bin/env bash
# Installs what is missing, builds everything in Release with warnings as
# errors, and runs the whole test suite. Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --test
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=Release -DUPTAKE_WERROR=ON
cmake --build build-test
ctest --test-dir build-test --output-on-failure --timeout 300
