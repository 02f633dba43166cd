#!/usr/bin/env bash
# Runs the SDK compatibility suite against one uptake binary.
#
#   tests/sdk/run.sh PATH_TO_UPTAKE
#
# Needs Node.js >= 20.20 with npm, and Chromium at /usr/bin/chromium (or at
# CHROMIUM_PATH) for browser.test.mjs. Installs node_modules with `npm ci`
# when it is missing or was installed from another package-lock.json.
# Exits non-zero when any test fails.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 PATH_TO_UPTAKE" >&2
  exit 2
fi
UPTAKE_BINARY="$(realpath "$1")"
if [[ ! -x "$UPTAKE_BINARY" ]]; then
  echo "error: uptake binary not found or not executable: $UPTAKE_BINARY" >&2
  exit 2
fi
export UPTAKE_BINARY

cd "$(dirname "${BASH_SOURCE[0]}")"

# node_modules is reinstalled when package-lock.json changes. The hash of the
# lock file that was installed is kept inside node_modules.
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.uptake-lock-sha256
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_hash" ]]; then
  echo "Installing node_modules with npm ci (package-lock.json changed or node_modules missing)"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi

# One test file at a time: each file starts its own uptake, and the browser
# test starts Chromium, which is heavy on a two-core machine.
exec node --test --test-concurrency=1 ./*.test.mjs
