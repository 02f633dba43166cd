#!/usr/bin/env bash
# Builds uptake and its tests with clang 14 under AddressSanitizer (leaks
# included) and UndefinedBehaviorSanitizer in build-sanitize/, which
# scripts/fuzz.sh shares, then runs the unit and integration tests. The first report stops the process, so any
# finding fails its test. The npm SDK suite is left out: it exercises the
# same server code paths as the integration tests, through node.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --sanitize

build=build-sanitize
scripts/configure-sanitize.sh "$build"
cmake --build "$build"

export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ctest --test-dir "$build" --output-on-failure --timeout 600 -E sdk_suite
