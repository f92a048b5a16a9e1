#!/usr/bin/env bash
# scripts/bench.sh: every benchmark under bench/, each on its own cluster pair, one after the
# other (these machines are shared: compare ratios measured in one run, not across runs).
# Results land in bench/results/*.json; bench/README.md summarises them.
#   scripts/bench.sh [options for the benchmarks]      BENCH=sustained runs bench/sustained_bench.py only
#   make bench BENCH=sustained ARGS="--orders 20000 --rates 100,500 --minutes 1"
#   make bench BENCH=serve ARGS="--orders 20000 --seconds 10"   the HTTP API under load (p50/p99)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# The plots need matplotlib: the `bench` extra, installed here so `make setup` stays lean.
if ! .venv/bin/python -c 'import matplotlib' 2>/dev/null; then
  .venv/bin/pip install -q --disable-pip-version-check -e "$repo[test,bench]" 2>&1 | grep -v "is ignored" || true
fi
for bench in bench/${BENCH:-*}_bench.py; do
  echo "== $bench"
  .venv/bin/python "$bench" "$@"
done
