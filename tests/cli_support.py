"""Helpers for the CLI tests: run cli-app in-process (CliRunner) or as a real subprocess,
pointed at the per-test source and warehouse databases."""

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli_app.main import cli
from conftest import REPO, SOURCE_PORT, WAREHOUSE_PORT, dsn

CLI_APP = str(REPO / ".venv" / "bin" / "cli-app")


@pytest.fixture
def cli_env(source, warehouse, tmp_path) -> dict[str, str]:
    return {
        "SOURCE_DSN": dsn(SOURCE_PORT, source.info.dbname),
        "WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, warehouse.info.dbname),
        # No .pg/env of the checkout may leak into a test.
        "ELT_PG_DIR": str(tmp_path / "no-pg-dir"),
        "ELT_QUERIES_DIR": "",
    }


@pytest.fixture
def invoke(cli_env):
    """invoke(*args, env=None, input=None) -> click Result, run in-process."""
    runner = CliRunner()

    def run(*args, env=None, input=None):
        return runner.invoke(cli, list(args), env={**cli_env, **(env or {})}, input=input,
                             catch_exceptions=False)
    return run


@pytest.fixture
def run_cli(cli_env):
    """run_cli(*args, env=None, cwd=None) -> CompletedProcess of the installed console script."""
    def run(*args, env=None, cwd=None, **kwargs):
        return subprocess.run([CLI_APP, *args], env={**os.environ, **cli_env, **(env or {})},
                              capture_output=True, text=True, cwd=cwd, timeout=120, **kwargs)
    return run


@pytest.fixture
def queries_dir(tmp_path) -> Path:
    """A directory of test-only named queries that need no analytics layer."""
    directory = tmp_path / "queries"
    directory.mkdir()
    (directory / "numbers.sql").write_text(
        "-- The first integers, with a numeric and a date.\n"
        "-- param rows=3: how many\n"
        "select i as n, i * 1.5 as x, date '2026-01-01' + i as d\n"
        "from generate_series(1, %(rows)s::int) as i\n"
        "order by n;\n")
    (directory / "orders.sql").write_text(
        "-- Open orders by status.\n"
        "select status, sum(open_orders) as orders from analytics.open_orders group by status order by status\n")
    return directory


def remove_analytics_layer(conn) -> None:
    """Drop the clean, analytics and elt layers from this test's warehouse database, for the
    tests of how the CLI behaves where they were never deployed."""
    conn.execute("drop schema analytics, clean, elt cascade;"
                 " create schema analytics; create schema clean; create schema elt;"
                 # As roles/warehouse.sql leaves it: the readers' schema, empty.
                 " grant usage on schema analytics to elt_analyst")
