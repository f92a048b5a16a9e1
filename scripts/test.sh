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
# A run that was killed leaves its per-test databases and their templates behind, and the next
# one would fail creating them: drop them first. And its pg_cron jobs: a loop running holds
# every DROP DATABASE for up to a minute (tests/conftest.py, stop_cron_jobs).
(
  set -a; . "$ELT_TEST_PG_DIR/env"; set +a
  psql=${PG_BIN:-/usr/lib/postgresql/15/bin}/psql
  "$psql" "$WAREHOUSE_DSN" -Xq -c "select cron.unschedule(jobid) from cron.job" \
    -c "select pg_terminate_backend(pid) from pg_stat_activity where query like 'call elt.maintain%'" \
    >/dev/null 2>&1 || true
  for target in "$SOURCE_DSN" "$WAREHOUSE_DSN"; do
    "$psql" "$target" -XAtq -c "select case when datistemplate then format('alter database %I is_template false;', datname)
                                         else '' end || format('drop database %I with (force);', datname)
                             from pg_database where datname like 'test\_%'" | "$psql" "$target" -Xq
  done
)
"$repo/.venv/bin/pytest" "$@"
