#!/usr/bin/env bash
# The web interface (web/): its own logic with Vitest everywhere, then the browser tests — the
# demo served by the binary that `cargo test` built, in real headless Chromium (Debian's
# `chromium`, with `fonts-wqy-microhei` for Chinese glyphs). Without Chromium they are skipped,
# and said so; CI (CI set) requires them.
set -euo pipefail
cd "$(dirname "$0")/../web"

# `cargo build` installs the packages when it builds the front end; this covers a fresh clone
# whose Rust tests ran elsewhere.
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error

npm test

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ -n "${CI:-}" ]; then
    echo "CI needs Chromium at $CHROMIUM for the browser tests (apt-get install chromium fonts-wqy-microhei)"
    exit 1
  fi
  echo "SKIPPED: the browser tests (install Debian's chromium and fonts-wqy-microhei to run them)"
  exit 0
fi
export CHROMIUM
export YIWANG_BIN="${YIWANG_BIN:-${CARGO_TARGET_DIR:-$PWD/../target}/debug/yiwang}"
[ -x "$YIWANG_BIN" ] || (cd .. && cargo build --locked -p yiwang)
npm run e2e
