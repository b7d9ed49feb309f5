#!/usr/bin/env bash
# Checks the running API from the outside, with real clients from PyPI:
#   - schemathesis against /api/openapi.json of a running demo: no 5xx, no response that
#     breaks the schema, no undocumented status code or content type.
#
# Needs python3 and the PyPI registry. Outside CI, a missing python3 or an unreachable registry
# is reported as SKIPPED; in CI (CI set) it is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
  if [ -n "${CI:-}" ]; then echo "FAILED: $*"; exit 1; fi
  echo "SKIPPED: $*"; exit 0
}

command -v python3 >/dev/null || skip "API checks with schemathesis (python3 not found)"
venv="target/api-checks-venv"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv" >/dev/null || skip "API checks (cannot create a Python venv)"
  "$venv/bin/pip" install -q "schemathesis>=4,<5" || skip "API checks (cannot install schemathesis from PyPI)"
fi

cargo build -q -p yiwang
data=$(mktemp -d)
log="$data/serve.log"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
target/debug/yiwang --data "$data" --listen 127.0.0.1:0 demo --days 5 --per-day 10 >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  addr=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -n 1 || true)
  [ -n "$addr" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "FAILED: the demo did not start"; exit 1; }
  sleep 0.5
done
[ -n "$addr" ] || { cat "$log"; echo "FAILED: the demo did not print its address"; exit 1; }

"$venv/bin/schemathesis" run "$addr/api/openapi.json" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --seed 1
echo "schemathesis: passed"
