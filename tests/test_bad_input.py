"""Bad input at the CLI (cli_app/main.py, db.py, export.py, queries.py): an unknown query, a
bad parameter, an unwritable output, a server down, a query that writes, injection attempts in
names and parameters, query files that do not parse or read. Each gets one line on stderr, a
non-zero exit, no traceback, and nothing half-written (issue 9, point 10)."""

import pytest

from cli_support import cli_env, run_cli  # noqa: F401

INJECTION = "x'); drop schema analytics cascade; --"

CASES = [
    # (arguments, exit code, what the line says)
    (("--query", "nope"), 1, "no query named 'nope'. `cli-app list` shows them all."),
    (("--query", "top_dates", "--param", "limit"), 2, "'limit' is not NAME=VALUE"),
    (("--query", "top_dates", "--param", "limt=3"), 1, "did you mean 'limit'?"),
    (("--query", "top_dates", "--param", "limit=abc"), 1, "limit must be a whole number from 1 to 1000"),
    (("--query", "top_dates", "--param", f"limit={INJECTION}"), 1, "limit must be a whole number from 1 to 1000"),
    (("--query", "top_customers", "--param", "limit=1001"), 1, "(the maximum the query declares), not '1001'"),
    (("--query", "top_dates", "--format", "xml"), 2, "'xml' is not one of 'table', 'csv', 'json'"),
    (("--query", f"open_orders; {INJECTION}"), 1, "no query named"),
    (("--query", "../../etc/passwd"), 1, "no query named '../../etc/passwd'"),
    (("--query", "open_orders", "--output", "/nonexistent/dir/x.csv"), 1,
     "directory /nonexistent/dir does not exist: create it first"),
    (("--query", "open_orders", "--output", "/proc/open_orders.csv"), 1, "cannot write in /proc"),
    (("sql", "select 1", "--timeout", "-1"), 2, "-1.0 is not in the range x>=0"),
    (("sql", "delete from analytics.open_orders_maintained"), 1, "refused: DELETE is not a query"),
    (("sql", f"select 1; {INJECTION}"), 1, "cannot parse the query"),
    (("sql", "select 1; drop schema analytics cascade"), 1, "2 statements given"),
    (("sql", "select frm where"), 1, "cannot parse the query"),
    (("sql", "select * from analytics.open_orders where delivery_date = 'soon'"), 1,
     'invalid input syntax for type date: "soon"'),
    (("refresh", INJECTION), 1, "no aggregate named"),
    (("lineage", f"analytics.open_orders; {INJECTION}"), 1, "no relation named"),
    (("export-all", "nope"), 1, "no query named 'nope'"),
    (("export-all", "--output-dir", "/proc/exports"), 1, "cannot create directory /proc/exports"),
    (("--query", "open_orders", "--output-dir", "/dev/null/exports"), 1, "cannot create directory /dev/null/exports"),
    (("bogus",), 2, "No such command 'bogus'"),
    (("status", "--max-lag-seconds", "soon"), 2, "'soon' is not a valid float"),
]


@pytest.mark.parametrize("args, code, says", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input_gets_one_clear_line(run_cli, warehouse, tmp_path, args, code, says):
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: ") and says in line, line
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []
    assert warehouse.execute("select to_regclass('analytics.open_orders') is not null").fetchone()[0]


def test_a_server_down_is_one_line_naming_it(run_cli, tmp_path):
    down = {"WAREHOUSE_DSN": "postgresql://postgres@127.0.0.1:1/warehouse"}
    for args in (("--query", "open_orders", "--export", "--output-dir", str(tmp_path)), ("sql", "select 1"),
                 ("refresh",), ("lineage", "open_orders")):
        result = run_cli(*args, env=down)
        assert result.returncode == 1, (args, result.stderr)
        [line] = result.stderr.splitlines()
        assert line.startswith("Error: cannot reach the warehouse at ") and "127.0.0.1" in line, line
        assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_query_files_that_do_not_parse_or_read(run_cli, tmp_path):
    queries = tmp_path / "q"
    queries.mkdir()
    (queries / "broken.sql").write_text("-- A typo.\nselect from where order\n")
    out = tmp_path / "out"
    out.mkdir()
    env = {"ELT_QUERIES_DIR": str(queries)}
    broken = run_cli("--query", "broken", "--export", "--output-dir", str(out), env=env)
    assert broken.returncode == 1
    [line] = broken.stderr.splitlines()
    assert line == 'Error: syntax error at or near "where"'
    assert list(out.iterdir()) == []
    (queries / "garbled.sql").write_bytes(b"-- Not UTF-8.\nselect '\xff\xfe'\n")
    listed = run_cli("list", env=env)
    assert listed.returncode == 1
    [line] = listed.stderr.splitlines()
    assert line.startswith(f"Error: cannot read the query file {queries / 'garbled.sql'}: ")
    missing = run_cli("list", env={"ELT_QUERIES_DIR": str(tmp_path / "nowhere")})
    assert missing.returncode == 1 and len(missing.stderr.splitlines()) == 1
    assert "does not exist" in missing.stderr


def test_help_still_exits_0(run_cli):
    result = run_cli("sql", "--help")
    assert result.returncode == 0 and result.stdout.startswith("Usage: cli-app sql")
