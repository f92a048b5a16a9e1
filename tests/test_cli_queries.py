"""cli_app/queries.py, export.py, sqlcheck.py and their commands: --query, list, export-all, sql."""

import csv
import io
import json
import os
import re
import signal
import subprocess
import time
from decimal import Decimal

import pytest

from cli_support import CLI_APP, remove_analytics_layer, cli_env, invoke, queries_dir, run_cli  # noqa: F401

STAMP = r"\d{8}_\d{6}"


def files(directory):
    return sorted(p.name for p in directory.iterdir())


def test_list_shows_built_in_and_added_queries(invoke, queries_dir):
    result = invoke("list", env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "parameters", "description"]
    names = [line.split()[0] for line in lines[2:-1]]
    assert names == ["numbers", "open_orders", "orders", "pending_items", "top_customers", "top_dates"]
    assert "rows=3" in result.output and "The first integers, with a numeric and a date" in result.output


def test_a_named_query_prints_an_aligned_table(invoke, queries_dir):
    result = invoke("--query", "numbers", env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 0, result.output
    assert result.output == (
        "n    x  d\n"
        "-  ---  ----------\n"
        "1  1.5  2026-01-02\n"
        "2  3.0  2026-01-03\n"
        "3  4.5  2026-01-04\n"
        "(3 rows)\n")


def test_queries_dir_option_adds_a_directory(invoke, queries_dir):
    result = invoke("--queries-dir", str(queries_dir), "--query", "numbers", "--param", "rows=1")
    assert result.exit_code == 0, result.output
    assert "(1 row)" in result.output


def test_export_writes_a_timestamped_csv_in_the_output_dir(invoke, queries_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("--query", "numbers", "--export", "--output-dir", str(out), "--param", "rows=4",
                    env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 0, result.output
    [name] = files(out)
    assert re.fullmatch(rf"numbers_result_{STAMP}\.csv", name)
    rows = list(csv.reader((out / name).open()))
    assert rows[0] == ["n", "x", "d"] and rows[1] == ["1", "1.5", "2026-01-02"] and len(rows) == 5
    assert "wrote 4 row(s)" in result.output


def test_export_goes_to_the_current_directory_by_default(invoke, queries_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("--query", "numbers", "--export", "--format", "json",
                    env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 0, result.output
    [name] = [n for n in files(tmp_path) if n.startswith("numbers_result_")]
    assert re.fullmatch(rf"numbers_result_{STAMP}\.json", name)


def test_json_is_an_array_of_objects_with_iso_dates_and_exact_numerics(invoke, tmp_path):
    target = tmp_path / "r.json"
    query = ("select 12345678901234567890.123456789::numeric as big, 0.1::numeric + 0.2 as sum,"
             " date '2026-03-04' as day, timestamptz '2026-03-04 05:06:07.891+00' as at,"
             " 9007199254740993::bigint as id, null::text as nothing, 'quote \" and \\ back' as s")
    result = invoke("sql", query, "--output", str(target), env={"PGTZ": "UTC"})
    assert result.exit_code == 0, result.output
    [row] = json.loads(target.read_text(), parse_float=Decimal)
    assert row == {"big": Decimal("12345678901234567890.123456789"), "sum": Decimal("0.3"),
                   "day": "2026-03-04", "at": "2026-03-04T05:06:07.891+00:00", "id": 9007199254740993,
                   "nothing": None, "s": 'quote " and \\ back'}


def test_an_empty_result_is_an_empty_array_or_a_header(invoke):
    assert invoke("sql", "select 1 as a where false", "--format", "json").output == "[]\n"
    assert invoke("sql", "select 1 as a where false", "--format", "csv").output == "a\n"


def test_output_dash_writes_to_stdout_and_a_path_exactly_there(invoke, queries_dir, tmp_path):
    env = {"ELT_QUERIES_DIR": str(queries_dir)}
    result = invoke("--query", "numbers", "--output", "-", env=env)
    assert result.output.splitlines()[0] == "n,x,d" and len(result.output.splitlines()) == 4
    target = tmp_path / "exact.csv"
    assert invoke("--query", "numbers", "--output", str(target), env=env).exit_code == 0
    assert target.read_text().startswith("n,x,d\n")
    assert files(tmp_path) == ["exact.csv", "no-pg-dir", "queries"] or "exact.csv" in files(tmp_path)


def test_output_and_export_together_is_a_usage_error(invoke, queries_dir, tmp_path):
    result = invoke("--query", "numbers", "--export", "--output", str(tmp_path / "x.csv"),
                    env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 2 and "--output names the file itself" in result.output


def test_parameters_are_bound_never_pasted(invoke, warehouse, tmp_path):
    queries = tmp_path / "q"
    queries.mkdir()
    (queries / "echo.sql").write_text("-- Echo a value.\nselect %(v)s::text as v, 'literal %%' as pct\n")
    hostile = "x'); drop schema analytics cascade; --"
    result = invoke("--query", "echo", "--param", f"v={hostile}", "--output", "-",
                    env={"ELT_QUERIES_DIR": str(queries)})
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.output))) == [["v", "pct"], [hostile, "literal %"]]
    assert warehouse.execute("select to_regnamespace('analytics') is not null").fetchone()[0]


def test_missing_unknown_and_malformed_parameters_are_clear_errors(invoke, tmp_path):
    queries = tmp_path / "q"
    queries.mkdir()
    (queries / "needs.sql").write_text("-- Needs a limit.\nselect 1 limit %(limit)s\n")
    env = {"ELT_QUERIES_DIR": str(queries)}
    missing = invoke("--query", "needs", env=env)
    assert missing.exit_code == 1 and "needs parameter 'limit': add --param limit=VALUE" in missing.output
    unknown = invoke("--query", "needs", "--param", "limt=3", env=env)
    assert unknown.exit_code == 1 and "did you mean 'limit'?" in unknown.output
    malformed = invoke("--query", "needs", "--param", "limit", env=env)
    assert malformed.exit_code == 2 and "NAME=VALUE" in malformed.output
    assert "Traceback" not in missing.output + unknown.output + malformed.output


def test_an_unknown_query_name_suggests_the_closest(invoke):
    result = invoke("--query", "open_order")
    assert result.exit_code == 1
    assert "no query named 'open_order'; did you mean 'open_orders'?" in result.output


def test_built_in_queries_report_a_missing_analytics_layer_clearly(invoke, warehouse):
    remove_analytics_layer(warehouse)
    result = invoke("--query", "open_orders")
    assert result.exit_code == 1
    assert 'relation "analytics.open_orders" does not exist: is the analytics layer deployed' in result.output


def test_built_in_queries_run(invoke, warehouse):
    for name in ("open_orders", "top_dates", "pending_items", "top_customers"):
        result = invoke("--query", name)
        assert result.exit_code == 0, result.output


def test_a_failed_export_leaves_no_file(invoke, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # Fails after tens of thousands of rows have been streamed into the temporary file.
    result = invoke("sql", "select 1 / (i - 90000) from generate_series(1, 100000) as i",
                    "--export", "--output-dir", str(out))
    assert result.exit_code == 1 and "division by zero" in result.output
    assert files(out) == []


def test_export_all_writes_every_named_query(invoke, queries_dir, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("export-all", "numbers", "orders", "--output-dir", str(out), "--param", "rows=2",
                    env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 0, result.output
    assert [re.sub(STAMP, "T", n) for n in files(out)] == ["export_manifest_T.json", "numbers_result_T.csv",
                                                            "orders_result_T.csv"]
    assert "exported 2 of 2 queries" in result.output


def test_export_all_reports_failures_and_goes_on(invoke, queries_dir, warehouse, tmp_path):
    remove_analytics_layer(warehouse)
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("export-all", "--output-dir", str(out), "--format", "json",
                    env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 1
    assert "FAILED open_orders: relation \"analytics.open_orders\" does not exist" in result.output
    assert "exported 1 of 6 queries" in result.output
    assert sorted(re.sub(STAMP, "T", n) for n in files(out)) == ["export_manifest_T.json", "numbers_result_T.json"]


def test_export_all_refuses_a_parameter_no_query_takes(invoke, queries_dir):
    result = invoke("export-all", "orders", "--param", "rows=2", env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 1 and "no selected query takes parameter(s) rows" in result.output


@pytest.mark.parametrize("statement, reason", [
    ("insert into operations.orders (order_id) values (1)", "INSERT is not a query"),
    ("with gone as (delete from operations.orders returning *) select * from gone", "contains DELETE"),
    ("select 1; select 2", "2 statements given"),
    ("select * into copy_of_orders from operations.orders", "SELECT ... INTO creates a table"),
    ("drop table operations.orders", "DROP is not a query"),
    ("vacuum", "is not a query"),
    ("selct 1", "cannot parse the query"),
])
def test_sql_refuses_anything_but_one_read_only_query(invoke, statement, reason):
    result = invoke("sql", statement)
    assert result.exit_code == 1 and reason in result.output, result.output


def test_sql_runs_in_a_read_only_transaction(invoke, cli_env):
    # sqlglot lets this through, and a reader DSN pointed at a role that may write (here the
    # superuser's) gets past the analyst's privileges: the READ ONLY transaction still stops it.
    result = invoke("sql", "select * from operations.orders for update",
                    env={"ELT_ANALYST_DSN": cli_env["WAREHOUSE_DSN"]})
    assert result.exit_code == 1 and "read-only" in result.output


def test_sql_runs_under_a_statement_timeout(invoke):
    result = invoke("sql", "select pg_sleep(30)", "--timeout", "0.2")
    assert result.exit_code == 1 and "statement_timeout of 0.2s" in result.output


def test_sql_reads_the_query_from_stdin_and_binds_parameters(invoke):
    result = invoke("sql", "-", "--param", "n=2", "--format", "csv",
                    input="select i from generate_series(1, %(n)s::int) as i -- trailing comment;\n")
    assert result.exit_code == 0, result.output
    assert result.output == "i\n1\n2\n"


def test_a_named_query_reads_replicated_rows(invoke, source, replication, queries_dir):
    source.execute("call shop.add_customers(5)")
    source.execute("call shop.add_products(3)")
    source.execute("call shop.place_orders(12)")
    replication.start()
    result = invoke("--query", "orders", "--format", "csv", env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.exit_code == 0, result.output
    expected = source.execute("select status, count(*) from operations.orders where status <> 'COMPLETED'"
                              " group by status order by status").fetchall()
    assert expected
    assert list(csv.reader(io.StringIO(result.output)))[1:] == [[s, str(n)] for s, n in expected]


# As real subprocesses, against the same clusters.

def test_subprocess_query_export_and_list(run_cli, queries_dir, tmp_path):
    env = {"ELT_QUERIES_DIR": str(queries_dir)}
    listed = run_cli("list", env=env)
    assert listed.returncode == 0 and "numbers" in listed.stdout
    exported = run_cli("--query", "numbers", "--export", env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert len([n for n in files(tmp_path) if n.startswith("numbers_result_")]) == 1


def test_subprocess_sql_and_export_all(run_cli, queries_dir, tmp_path):
    printed = run_cli("sql", "select 42 as answer", "--output", "-")
    assert printed.returncode == 0 and printed.stdout == "answer\n42\n"
    refused = run_cli("sql", "delete from operations.orders")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("Error: refused")
    exported = run_cli("export-all", "numbers", "--output-dir", str(tmp_path), env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert exported.returncode == 0, exported.stderr
    assert "exported 1 of 1 queries" in exported.stderr


def test_subprocess_an_interrupted_export_leaves_no_file(cli_env, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # Endless enough: a row every millisecond for 100s.
    proc = subprocess.Popen(
        [CLI_APP, "sql", "select i, pg_sleep(0.001) from generate_series(1, 100000) as i", "--export",
         "--output-dir", str(out)], env={**os.environ, **cli_env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(n.endswith(".part") for n in files(out)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(n.endswith(".part") for n in files(out)), "the export never started"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode != 0
    assert files(out) == []


def test_a_query_the_server_rejects_is_a_clear_error(invoke):
    typo = invoke("sql", "select * from analytics.open_order")
    assert typo.exit_code == 1
    assert typo.output.strip() == ('Error: relation "analytics.open_order" does not exist: is the analytics'
                                   ' layer deployed in this warehouse? Run `cli-app deploy`.')
    bad_type = invoke("sql", "select 'x'::int")
    assert bad_type.exit_code == 1 and "invalid input syntax for type integer" in bad_type.output


def test_a_trailing_semicolon_and_comment_do_not_break_the_export(invoke, tmp_path):
    queries = tmp_path / "q"
    queries.mkdir()
    (queries / "one.sql").write_text("-- One row.\nselect 1 as one;\n-- the end\n")
    for fmt in ("csv", "json", "table"):
        result = invoke("--query", "one", "--format", fmt, env={"ELT_QUERIES_DIR": str(queries)})
        assert result.exit_code == 0, result.output
