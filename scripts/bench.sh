#!/usr/bin/env bash
# scripts/bench.sh: every benchmark under bench/, each on its own cluster pair, one after the
# other (these machines are shared: compare ratios measured in one run, not across runs).
# Results land in bench/results/*.json; bench/README.md summarises them.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
for bench in bench/*_bench.py; do
  echo "== $bench"
  .venv/bin/python "$bench" "$@"
done
