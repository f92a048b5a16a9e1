"""Table output like psql's (issue 13, point 4; cli_app/export.py write_table): values as
PostgreSQL's text output prints them, NULL shown apart from an empty string, rows streamed
through a server-side cursor a batch at a time up to a limit the output states."""

from cli_app import export
from cli_support import cli_env, invoke  # noqa: F401


def test_values_print_as_postgresql_text_output(invoke):
    result = invoke("sql", "select true as yes, false as no, null::text as nothing, '' as empty,"
                           " interval '1 day 02:03:04' as waited, '{\"a\": [1, 2.50], \"b\": null}'::jsonb as doc,"
                           " '{\"z\": 1,  \"a\": 2}'::json as raw, array[3, null, 1] as ids,"
                           " array['x y', 'z'] as words, 2.50::numeric as price, 1e300::float8 as huge,"
                           " timestamptz '2026-03-04 05:06:07.5+00' as at, 'a'::bytea as bytes",
                    env={"PGTZ": "UTC"})
    assert result.exit_code == 0, result.output
    header, rule, row, footer = result.output.splitlines()
    for value in ("t", "f", "(null)", "1 day 02:03:04", '{"a": [1, 2.50], "b": null}', '{"z": 1,  "a": 2}',
                  "{3,NULL,1}", '{"x y",z}', "2.50", "1e+300", "2026-03-04 05:06:07.5+00", "\\x61"):
        assert value in row, (value, row)
    # The empty string stays empty (only NULL says so); nothing of Python's repr leaks through.
    assert header.split() == ["yes", "no", "nothing", "empty", "waited", "doc", "raw", "ids", "words",
                              "price", "huge", "at", "bytes"]
    for python in ("True", "False", "None", "Decimal", "datetime", "timedelta", "{'a'"):
        assert python not in result.output
    assert footer == "(1 row)"


def test_numbers_align_right_and_multi_line_values_take_several_lines(invoke):
    result = invoke("sql", "select n, 'line one' || case when n = 2 then E'\\nline two' else '' end as text"
                           " from generate_series(1, 10, 9) as n union all select 2, E'a\\nb'")
    assert result.exit_code == 0, result.output
    assert result.output == (" n  text\n"
                             "--  --------\n"
                             " 1  line one\n"
                             "10  line one\n"
                             " 2  a\n"
                             "    b\n"
                             "(3 rows)\n")


def test_a_huge_result_streams_and_stops_at_the_stated_limit(invoke):
    # A billion rows: held whole, this would never end within its timeout; streamed through a
    # cursor, the table stops after TABLE_MAX_ROWS and says so.
    result = invoke("sql", "select generate_series(1, 1000000000) as n, 'x' as label", "--timeout", "10")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["1", "x"] and lines[-2].split() == [str(export.TABLE_MAX_ROWS), "x"]
    assert lines[-1] == f"({export.TABLE_MAX_ROWS} rows)"
    assert f"only the first {export.TABLE_MAX_ROWS} rows are shown" in result.stderr


def test_a_later_batch_widens_its_column_and_an_empty_result_keeps_its_header(invoke):
    batch = export.TABLE_BATCH
    result = invoke("sql", f"select case when n = {batch + 1} then 'wider than the header' else 'x' end as v"
                           f" from generate_series(1, {batch + 1}) as n")
    lines = result.stdout.splitlines()
    assert lines[:3] == ["v", "-", "x"] and lines[-2:] == ["wider than the header", f"({batch + 1} rows)"]
    assert invoke("sql", "select 1 as a, 'b' as b where false").stdout == "a  b\n-  -\n(0 rows)\n"
