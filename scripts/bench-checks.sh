#!/usr/bin/env bash
# Runs the benchmark beside SpiffWorkflow, tiny, so that the harness never rots: our lifecycle
# and the same process in SpiffWorkflow (from PyPI, in a venv under target/), and checks that
# both complete and a ratio is printed. How fast is BENCHMARKS.md's business.
#
# Needs python3 and the PyPI registry. Outside CI it runs only when asked (YIWANG_BENCH_SPIFF=1)
# and says SKIPPED otherwise; in CI (CI set) it always runs and a failure fails.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
  if [ -n "${CI:-}" ]; then echo "FAILED: $*"; exit 1; fi
  echo "SKIPPED: $*"; exit 0
}

if [ -z "${CI:-}" ] && [ -z "${YIWANG_BENCH_SPIFF:-}" ]; then
  echo "SKIPPED: the benchmark beside SpiffWorkflow (runs in CI, or with YIWANG_BENCH_SPIFF=1)"
  exit 0
fi
command -v python3 >/dev/null || skip "the benchmark beside SpiffWorkflow (python3 not found)"

cargo build -q -p yiwang
target=$(realpath "${CARGO_TARGET_DIR:-target}")
bin="$target/debug/yiwang"
export YIWANG_SPIFF_VENV="$target/spiff-venv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
out=$("$bin" bench lifecycle --cases 50 --concurrency 8 --spiff 2>&1) || { echo "$out"; echo "FAILED: yiwang bench lifecycle --spiff"; exit 1; }
echo "$out"
for expected in "audit:   chain intact (50 cases, 400 events)" "SpiffWorkflow 3.2.0" ": 50 lifecycles in" "ratio:   yiwang / SpiffWorkflow = "; do
  grep -qF "$expected" <<<"$out" || { echo "FAILED: “$expected” missing"; exit 1; }
done
echo "bench checks passed"
