#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang 14 under
# AddressSanitizer and UndefinedBehaviorSanitizer, then runs each one for a
# bounded time on its committed seed corpus. Fails on any crash, leak,
# sanitizer report, invariant failure or input slower than 25 s.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 20
#   TARGET              default every folder of tests/fuzz/corpus
#
# New inputs go to build-sanitize/fuzz-runs/TARGET/new, never into the committed
# corpus; a failing input is saved as build-sanitize/fuzz-runs/TARGET/crash-*
# (or leak-*, timeout-*). Reproduce one with
#   build-sanitize/TARGET build-sanitize/fuzz-runs/TARGET/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
if [ $# -gt 0 ]; then shift; fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number above 0, not '$seconds'" >&2
  exit 2
fi

scripts/install-deps.sh --sanitize

# The same build folder and options as scripts/test-sanitizers.sh, so running
# both builds the libraries once.
build=build-sanitize
scripts/configure-sanitize.sh "$build"
cmake --build "$build" --target fuzzers

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for dir in tests/fuzz/corpus/*/; do targets+=("$(basename "$dir")"); done
fi

export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed=()
for target in "${targets[@]}"; do
  corpus="tests/fuzz/corpus/$target"
  if [ ! -x "$build/$target" ] || [ ! -d "$corpus" ]; then
    echo "fuzz.sh: no fuzz target '$target'" >&2
    exit 2
  fi
  work="$build/fuzz-runs/$target"
  rm -rf "$work"
  mkdir -p "$work/new" "$work/tmp"

  dict=()
  case "$target" in
    http_fuzzer) dict=(-dict=tests/fuzz/dict/http.dict) ;;
    config_fuzzer) dict=(-dict=tests/fuzz/dict/yaml.dict) ;;
    body_fuzzer) ;;
    *) dict=(-dict=tests/fuzz/dict/json.dict) ;;
  esac

  echo "== $target: ${seconds} s on $(find "$corpus" -type f | wc -l) seed inputs"
  started=$(date +%s)
  # TMPDIR keeps http_fuzzer's RocksDB folder inside the build folder.
  if TMPDIR="$PWD/$work/tmp" "$build/$target" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2560 -max_len=16384 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$work/" "$work/new" "$corpus" >"$work/log" 2>&1; then
    stats=$(grep -E '^stat::number_of_executed_units' "$work/log" | awk '{print $2}')
    echo "   passed: $(($(date +%s) - started)) s, ${stats:-?} runs"
  else
    echo "   FAILED after $(($(date +%s) - started)) s; the end of $work/log:"
    grep -v -E '^#[0-9]+' "$work/log" | tail -n 60
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then echo "failed targets: ${failed[*]}"; fi
echo "fuzz: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
