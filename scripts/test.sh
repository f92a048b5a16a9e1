#!/usr/bin/env bash
# scripts/test.sh: the test suite against its own pair of embedded clusters (.pg-test, ports
# 55442/55443), started here and stopped at the end whatever happens, so a test run neither
# needs nor disturbs the demo's clusters. Extra arguments go to pytest.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export ELT_TEST_PG_DIR=${ELT_TEST_PG_DIR:-$repo/.pg-test}
export ELT_TEST_SOURCE_PORT=${ELT_TEST_SOURCE_PORT:-55442}
export ELT_TEST_WAREHOUSE_PORT=${ELT_TEST_WAREHOUSE_PORT:-55443}
cluster_env=(ELT_PG_DIR="$ELT_TEST_PG_DIR" SOURCE_PORT="$ELT_TEST_SOURCE_PORT" WAREHOUSE_PORT="$ELT_TEST_WAREHOUSE_PORT")

env "${cluster_env[@]}" "$repo/scripts/pg.sh" up
trap 'env "${cluster_env[@]}" "$repo/scripts/pg.sh" down' EXIT
cd "$repo"
"$repo/.venv/bin/pytest" "$@"
