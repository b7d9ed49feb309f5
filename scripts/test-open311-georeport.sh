#!/usr/bin/env bash
# Open311 with a real client: the `georeport` client from PyPI (0.3.1) against the `yiwang`
# binary serving a fresh demo (crates/server/tests/open311/test_georeport.py).
#
# Makes a Python virtual environment under the target directory (never committed), builds the
# binary if needed, and exits non-zero when a test fails. Without python3 it says SKIPPED and
# succeeds. YIWANG_BIN names another binary to test.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
  if [ -n "${CI:-}" ]; then echo "FAILED: $*"; exit 1; fi
  echo "SKIPPED: $*"; exit 0
}
command -v python3 >/dev/null 2>&1 || skip "the Open311 georeport client test (python3 is not installed)"

target="${CARGO_TARGET_DIR:-target}"
if [ -z "${YIWANG_BIN:-}" ]; then
  cargo build --locked --quiet -p yiwang
  YIWANG_BIN="$target/debug/yiwang"
fi

venv="$target/open311-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || skip "the Open311 georeport client test (cannot create a Python venv)"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "georeport==0.3.1" ||
  skip "the Open311 georeport client test (cannot install georeport from PyPI)"

YIWANG_BIN="$YIWANG_BIN" "$venv/bin/python" crates/server/tests/open311/test_georeport.py
