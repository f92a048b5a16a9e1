"""What analysts reach for (issue 13, point 5): EXPLAIN through `cli-app sql`; the named queries'
optional filters, declared in their files and bound by the driver; every answer's name where
one is expected (`refresh top_dates`), the watermark said once; export directories created."""

import csv
import io
import json

import pytest

from cli_app import queries
from cli_support import cli_env, invoke, run_cli  # noqa: F401


def test_explain_and_explain_analyze_print_the_plan(invoke):
    plain = invoke("sql", "explain select * from analytics.open_orders")
    assert plain.exit_code == 0, plain.output
    assert plain.output.splitlines()[0] == "QUERY PLAN" and "cost=" in plain.output
    analyzed = invoke("sql", "EXPLAIN (ANALYZE, BUFFERS) select * from analytics.top_dates where open_orders > %(n)s",
                      "--param", "n=0")
    assert analyzed.exit_code == 0, analyzed.output
    assert "actual time=" in analyzed.output and "Execution Time" in analyzed.output
    as_json = invoke("sql", "explain (format json) select 1")
    assert as_json.exit_code == 0 and '"Plan": {' in as_json.output  # one value over many lines


@pytest.mark.parametrize("statement, says", [
    ("explain analyze delete from analytics.open_orders_maintained", "refused: DELETE is not a query"),
    ("explain analyze with gone as (delete from analytics.open_orders_maintained returning *) select * from gone",
     "refused: the query contains DELETE"),
    ("explain analyze select 1; drop schema analytics cascade", "2 statements given"),
    ("explain analyze select * into copied from analytics.open_orders", "SELECT ... INTO creates a table"),
])
def test_explain_of_anything_but_a_read_only_query_is_refused(invoke, statement, says):
    result = invoke("sql", statement)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and says in result.output


def test_a_plan_is_text_not_csv(invoke):
    result = invoke("sql", "explain select 1", "--format", "csv")
    assert result.exit_code == 2 and "EXPLAIN prints a plan as text" in result.output


def test_optional_filters_are_declared_in_the_query_files():
    open_orders = queries.find("open_orders").params
    assert {"status", "delivery_from", "delivery_to"} <= set(open_orders)
    assert all(open_orders[p].optional and open_orders[p].description
               for p in ("status", "delivery_from", "delivery_to"))
    assert queries.find("pending_items").params["product_id"].optional
    assert queries.find("open_orders").bind({"status": "PENDING"}) == {
        "status": "PENDING", "delivery_from": None, "delivery_to": None}


def test_named_queries_filter_by_status_dates_and_product(invoke, source, replicated, warehouse):
    source.execute("call shop.add_customers(20)")
    source.execute("call shop.add_products(8)")
    source.execute("call shop.place_orders(120)")
    source.execute("call shop.simulate(2)")
    replicated.catch_up()

    def rows(*args):
        result = invoke(*args, "--format", "csv")
        assert result.exit_code == 0, result.output
        return list(csv.reader(io.StringIO(result.output)))[1:]

    everything = warehouse.execute("select delivery_date::text, status, open_orders::text"
                                   " from analytics.open_orders order by delivery_date, status").fetchall()
    assert rows("--query", "open_orders") == [list(r) for r in everything]
    dates = sorted({r[0] for r in everything if r[0]})
    low, high = dates[1], dates[-2]
    expected = [list(r) for r in everything if r[1] == "PENDING" and r[0] and low <= r[0] <= high]
    assert expected and len(expected) < len(everything)
    assert rows("--query", "open_orders", "--param", "status=PENDING", "--param", f"delivery_from={low}",
                "--param", f"delivery_to={high}") == expected
    # The same filters reach the JSON writer and export-all.
    result = invoke("--query", "open_orders", "--param", "status=PROCESSING", "--format", "json")
    assert {r["status"] for r in json.loads(result.output)} <= {"PROCESSING"}

    product, total = warehouse.execute("select product_id::text, pending_items::text from analytics.pending_items"
                                       " order by product_id limit 1").fetchone()
    assert rows("--query", "pending_items", "--param", f"product_id={product}") == [[product, total]]
    assert len(rows("--query", "pending_items")) > 1


def test_a_bad_filter_value_is_a_clear_error_never_sql(invoke, warehouse):
    bad_date = invoke("--query", "open_orders", "--param", "delivery_from=soon")
    assert bad_date.exit_code == 1 and 'invalid input syntax for type date: "soon"' in bad_date.output
    injected = invoke("--query", "open_orders", "--param", "status=x' or '1'='1")
    assert injected.exit_code == 0 and injected.output.splitlines()[-1] == "(0 rows)"
    typo = invoke("--query", "open_orders", "--param", "delivery_date=2026-01-01")
    assert typo.exit_code == 1 and "did you mean 'delivery_" in typo.output


def test_refresh_takes_an_answers_name_and_says_the_watermark_once(invoke, warehouse):
    result = invoke("refresh", "open_orders", "top_dates", "top_customers")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split(" in ")[0] for line in lines[:3]] == [
        "refreshed open_orders", "refreshed open_orders_by_date (for top_dates)",
        "refreshed pending_orders (for top_customers)"]
    for line in lines[:3]:
        assert line.count("watermark") == 1 and line.count("snapshot=") == 1, line
    rebuilt = warehouse.execute("select aggregate from elt.rebuild_log order by 1").fetchall()
    assert {"open_orders", "open_orders_by_date", "pending_orders"} <= {r[0] for r in rebuilt}
    unknown = invoke("refresh", "top_datez")
    assert unknown.exit_code == 1 and "did you mean 'top_dates'?" in unknown.output
    # The metric views served from aggregates (status_funnel...) are answers too.
    answers = unknown.output.split("answers: ")[1]
    assert "top_customers, top_dates" in answers and "status_funnel" in answers


def test_export_directories_are_created(run_cli, tmp_path):
    result = run_cli("export-all", "--output-dir", "exports/nested/", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "exports" / "nested").glob("*_result_*.csv"))) == 4
    single = run_cli("--query", "top_dates", "--output-dir", "one/", cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    assert len(list((tmp_path / "one").iterdir())) == 1
