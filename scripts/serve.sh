#!/usr/bin/env bash
# Installs what is missing, builds uptake in Release, and starts the server.
# Arguments are passed to `uptake serve`; with none it runs on the built-in
# defaults: 127.0.0.1:8080, data in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DUPTAKE_BUILD_TESTS=OFF
cmake --build build --target uptake uptake-replay uptake-watch
exec build/uptake serve "$@"
