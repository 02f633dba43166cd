#!/usr/bin/env bash
# Installs the Debian 12 packages uptake builds with, skipping those already
# present. With --test it also installs what the test suite needs: Node.js
# and npm for the analytics SDKs, and Chromium for the browser test. With
# --bench it installs nginx, the HTTP baseline of scripts/ceilings.sh. With
# --sanitize it installs clang 14 with its sanitizer and libFuzzer runtimes
# and llvm-symbolizer, for scripts/test-sanitizers.sh and scripts/fuzz.sh.
# The flags may be combined. Runs apt-get through sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libsimdjson-dev librocksdb-dev libspdlog-dev
  libyaml-cpp-dev libgtest-dev zlib1g-dev
  libssl-dev libxxhash-dev libjemalloc-dev
  # The system CA store that https webhooks verify receivers against.
  ca-certificates
)
for flag in "$@"; do
  case "$flag" in
    --test)
      packages+=(chromium)
      # The machine image may ship a newer Node.js than Debian's own (the SDKs
      # need 20.20 or later), so Debian's is installed only when none exists.
      if ! command -v node >/dev/null 2>&1; then packages+=(nodejs); fi
      if ! command -v npm >/dev/null 2>&1; then packages+=(npm); fi
      ;;
    --bench)
      packages+=(nginx)
      ;;
    --sanitize)
      # libclang-rt-14-dev holds the ASan, UBSan and libFuzzer runtimes;
      # llvm-14 holds llvm-symbolizer, which turns reports into file:line.
      packages+=(clang-14 libclang-rt-14-dev llvm-14)
      ;;
    *)
      echo "install-deps.sh: unknown flag $flag; expected --test, --bench or --sanitize" >&2
      exit 2
      ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
