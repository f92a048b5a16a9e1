"""The business metrics (views/warehouse/analytics/revenue_*.sql, customers_new_returning.sql,
delivery_lag_*.sql, status_funnel*.sql): after random changes at the source that go through the
real replication, with star advances, folds and rebuilds at random points, every metric read
as users read it equals its from-scratch recompute over the facts, in one snapshot, and the keys
of every metric view are unique and present; the four answers and the metrics as of every moment
recorded during the test equal the recompute recorded then (analytics.*_as_of, --as-of); the
anomaly bands are the rolling median and MAD they say they are; the deltas read by key."""

import os
from datetime import date
from decimal import Decimal

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_changes import apply_batch, reset_source
from cli_support import cli_env, invoke  # noqa: F401
from test_star_schema import CHANGES, star_mismatches

PROPERTY = settings(max_examples=int(os.environ.get("ELT_TEST_EXAMPLES", 15)), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# What runs after a batch: the star tables advance (or not), then the aggregates are folded,
# rebuilt (one metric, or all), go through a round of elt.maintain, or nothing happens.
STAR = st.sampled_from([None, "advance", "advance"])
MAINTENANCE = st.sampled_from([None, "fold", "fold", "rebuild", "rebuild_all", "round"])
BATCHES = st.lists(st.tuples(st.lists(CHANGES, min_size=1, max_size=6), st.booleans(), STAR, MAINTENANCE),
                   min_size=1, max_size=5)

# A clean shop the random changes start from, so that most of them change clean facts (random
# rows alone are mostly quarantined): customers 1 and 2, products 1 and 2, orders 1 to 3 with
# items 1 to 5 (orders, items and products with ids like those of test_star_schema's CHANGES).
SHOP = [("upsert_customer", 1, "Ana Silva"), ("upsert_customer", 2, "Bruno Souza"),
        ("upsert_product", 1), ("upsert_product", 2),
        ("upsert_order", 1, 1, "PENDING", date(2026, 1, 1), date(2026, 1, 2)),
        ("upsert_order", 2, 1, "COMPLETED", date(2026, 1, 5), date(2026, 1, 6)),
        ("upsert_order", 3, 2, "PROCESSING", date(2026, 1, 5), date(2026, 1, 3)),
        ("upsert_item", 1, 1, 1, 2), ("upsert_item", 2, 1, 2, 1), ("upsert_item", 3, 2, 1, 3),
        ("upsert_item", 4, 3, 2, 5), ("upsert_item", 5, 3, 1, 1)]

# Each metric as users read it beside its specification, with the order that makes rows comparable.
METRICS = {
    "revenue_daily": ("analytics.revenue_daily_recompute", "order_date"),
    "revenue_weekly": ("analytics.revenue_weekly_recompute", "order_week"),
    "revenue_by_product": ("analytics.revenue_by_product_recompute", "product_id"),
    "delivery_lag_histogram": ("analytics.delivery_lag_histogram_recompute", "order_week, lead_time_days"),
    "delivery_lag_weekly": ("analytics.delivery_lag_weekly_recompute", "order_week"),
    "customers_new_returning": ("analytics.customers_new_returning_recompute", "order_date"),
    "status_funnel_totals": ("analytics.status_funnel_totals_recompute", "status"),
}
# The key of every metric view: unique, and never null, but for the day and week of orders that
# have no order date (clean: the rules do not ask for one), which are one row of their own.
METRIC_KEYS = {
    "revenue_daily": "order_date", "revenue_weekly": "order_week", "revenue_by_product": "product_id",
    "intake_revenue_dropoff_daily": "order_date", "intake_revenue_dropoff_weekly": "order_week",
    "delivery_lag_weekly": "order_week", "customers_new_returning": "order_date", "status_funnel": "status",
    "delivery_lag_histogram": "order_week, lead_time_days", "status_funnel_totals": "status",
}
NULL_KEY_ALLOWED = {"revenue_daily", "revenue_weekly", "intake_revenue_dropoff_daily", "intake_revenue_dropoff_weekly"}


def metric_mismatches(conn: psycopg.Connection) -> dict[str, object]:
    """In one repeatable-read snapshot: every metric against its recompute, and every metric
    view's keys. Returns what fails (empty when all hold). conn must be autocommit."""
    failures: dict[str, object] = {}
    conn.execute("begin isolation level repeatable read")
    try:
        for name, (spec, order) in METRICS.items():
            got = conn.execute(f"select * from analytics.{name} order by {order}").fetchall()
            want = conn.execute(f"select * from {spec} order by {order}").fetchall()
            if got != want:
                failures[name] = (got, want)
        for name, key in METRIC_KEYS.items():
            null_key = "false" if name in NULL_KEY_ALLOWED else " or ".join(f"{k} is null" for k in key.split(", "))
            bad = conn.execute(f"select {key}, count(*) from analytics.{name} group by {key}"
                               f" having count(*) > 1 or {null_key}").fetchall()
            if bad:
                failures[f"{name} key"] = bad
    finally:
        conn.execute("rollback")
    return failures


# What users read as of a moment (analytics.<name>_as_of) beside what was recorded then from the
# recompute: the four answers from the replicated tables' logs, the metrics from the facts'.
AS_OF = {
    "open_orders": ("analytics.open_orders_recompute", "delivery_date nulls first, status"),
    "pending_items": ("analytics.pending_items_recompute", "product_id"),
    "top_dates": ("analytics.top_dates_recompute", None),
    "top_customers": ("analytics.top_customers_recompute", None),
    **{name: (spec, order) for name, (spec, order) in METRICS.items() if name != "delivery_lag_weekly"},
}


def record_moment(conn: psycopg.Connection) -> tuple:
    """The warehouse's clock and every recompute now, with nothing applying or advancing: every
    change so far was made by a transaction that started before this moment, the next will
    start after it."""
    at = conn.execute("select clock_timestamp()").fetchone()[0]
    return at, {name: conn.execute(f"select * from {spec}" + (f" order by {order}" if order else "")).fetchall()
                for name, (spec, order) in AS_OF.items()}


def as_of_mismatches(conn: psycopg.Connection, at, recorded: dict) -> dict[str, object]:
    failures = {}
    for name, (_, order) in AS_OF.items():
        got = conn.execute(f"select * from analytics.{name}_as_of(%s)" + (f" order by {order}" if order else ""),
                           [at]).fetchall()
        if got != recorded[name]:
            failures[name] = (got, recorded[name])
    return failures


def maintain(warehouse: psycopg.Connection, star: str | None, how: str | None, metric: str) -> None:
    if star == "advance":
        warehouse.execute("call elt.advance_star()")
    if how == "fold":
        warehouse.execute("call elt.fold()")
    elif how == "rebuild":
        warehouse.execute("call elt.rebuild(%s)", [metric])
    elif how == "rebuild_all":
        warehouse.execute("call elt.rebuild_all()")
    elif how == "round":
        warehouse.execute("call elt.maintain(run_for => '0 seconds')")


@PROPERTY
@given(batches=BATCHES, rebuilt=st.sampled_from(sorted(set(METRICS) - {"delivery_lag_weekly"})),
       rebuild_above=st.sampled_from([200000, 3]))
def test_every_metric_equals_its_recompute_whatever_maintenance_ran_and_so_does_the_past(
        source, warehouse, replicated, batches, rebuilt, rebuild_above):
    reset_source(source)
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    recorded = [record_moment(warehouse)]
    apply_batch(source, SHOP, one_transaction=True)
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    # A small rebuild_above sends elt.maintain's rounds down the rebuild path.
    warehouse.execute("update elt.aggregate set rebuild_above = %s", [rebuild_above])
    recorded.append(record_moment(warehouse))
    for batch, one_transaction, star, how in batches:
        apply_batch(source, batch, one_transaction)
        replicated.catch_up()
        assert metric_mismatches(warehouse) == {}
        maintain(warehouse, star, how, rebuilt)
        assert metric_mismatches(warehouse) == {}
        recorded.append(record_moment(warehouse))
    warehouse.execute("call elt.advance_star()")
    assert metric_mismatches(warehouse) == {}
    assert star_mismatches(warehouse) == {}
    # The past: every answer and metric as of each recorded moment is what its recompute said then.
    for at, then in recorded:
        assert as_of_mismatches(warehouse, at, then) == {}, at


def test_the_metrics_say_what_the_facts_say(source, warehouse, replicated):
    """Numbers worked out by hand for a small shop, beside the recomputes."""
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana'), (2, 'Bruno')")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (7, 'Tea', '789', 2.50)")
    # Monday 2026-01-05 and Wednesday 2026-01-07: one ISO week. Ana returns on the 7th.
    source.execute("insert into operations.orders (order_id, order_date, delivery_date, customer_id, status) values"
                   " (1, '2026-01-05', '2026-01-06', 1, 'PENDING'),"
                   " (2, '2026-01-07', '2026-01-10', 1, 'PENDING'),"
                   " (3, '2026-01-07', '2026-01-17', 2, 'PENDING')")
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity) values"
                   " (1, 1, 7, 2), (2, 2, 7, 4), (3, 3, 7, 1)")
    source.execute("update operations.orders set status = 'PROCESSING' where order_id in (1, 2)")
    source.execute("update operations.orders set status = 'COMPLETED' where order_id = 1")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    warehouse.execute("call elt.fold()")
    rows = lambda q: warehouse.execute(q).fetchall()  # noqa: E731
    assert rows("select order_date, intake_amount, revenue_amount, order_items from analytics.revenue_daily"
                " order by 1") == [(date(2026, 1, 5), Decimal("5.00"), Decimal("5.00"), 1),
                                   (date(2026, 1, 7), Decimal("12.50"), Decimal("0"), 2)]
    assert rows("select order_week, intake_amount, revenue_amount from analytics.revenue_weekly") == [
        (date(2026, 1, 5), Decimal("17.50"), Decimal("5.00"))]
    assert rows("select order_date, dropoff_amount, dropoff_share from analytics.intake_revenue_dropoff_daily"
                " order by 1") == [(date(2026, 1, 5), Decimal("0.00"), Decimal("0.0000")),
                                   (date(2026, 1, 7), Decimal("12.50"), Decimal("1.0000"))]
    assert rows("select order_date, new_customers, returning_customers from analytics.customers_new_returning"
                " order by 1") == [(date(2026, 1, 5), 1, 0), (date(2026, 1, 7), 1, 1)]
    # Lead times 1, 3 and 10 days: average 4.67, p90 the largest.
    assert rows("select orders, avg_lead_time_days, p90_lead_time_days from analytics.delivery_lag_weekly") == [
        (3, Decimal("4.67"), 10)]
    assert rows("select status, orders_reached, orders_still_there, orders_moved_on from analytics.status_funnel"
                ) == [("PENDING", 3, 1, 2), ("PROCESSING", 2, 1, 1), ("COMPLETED", 1, 1, 0)]
    assert metric_mismatches(warehouse) == {}

    # Changes after the fold that reach a metric through a fact they do not name: a new status
    # turns the items' intake into revenue; a delivery date moves the lag; an order moving to
    # the day before makes Bruno's first day earlier. In the delta first, then folded.
    source.execute("update operations.orders set status = 'COMPLETED' where order_id = 2")
    source.execute("update operations.orders set delivery_date = '2026-01-08' where order_id = 3")
    source.execute("update operations.orders set order_date = '2026-01-05' where order_id = 3")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    assert rows("select order_date, revenue_amount from analytics.revenue_daily order by 1") == [
        (date(2026, 1, 5), Decimal("5.00")), (date(2026, 1, 7), Decimal("10.00"))]
    assert rows("select order_date, new_customers, returning_customers from analytics.customers_new_returning"
                " order by 1") == [(date(2026, 1, 5), 2, 0), (date(2026, 1, 7), 0, 1)]
    assert metric_mismatches(warehouse) == {}
    warehouse.execute("call elt.fold()")
    assert metric_mismatches(warehouse) == {}


def test_the_catalog_names_every_metric_view_and_each_exists(warehouse):
    catalog = warehouse.execute("select metric, view_name, grain, description from analytics.metric_catalog"
                                ).fetchall()
    assert {m for m, *_ in catalog} == set(METRIC_KEYS) - {"delivery_lag_histogram", "status_funnel_totals"}
    for metric, view_name, grain, description in catalog:
        assert view_name == f"analytics.{metric}" and grain and description
        assert warehouse.execute("select to_regclass(%s) is not null", [view_name]).fetchone()[0]


def test_the_answers_as_of_a_moment_and_outside_the_retention(source, warehouse, replicated, invoke):
    empty = record_moment(warehouse)
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana')")
    source.execute("insert into operations.orders (order_id, order_date, delivery_date, customer_id, status)"
                   " values (1, '2026-01-05', '2026-01-06', 1, 'PENDING')")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    pending = record_moment(warehouse)
    for status in ("PROCESSING", "REPROCESSING", "COMPLETED"):
        source.execute("update operations.orders set status = %s where order_id = 1", [status])
    source.execute("update operations.customers set customer_name = 'Ana Maria' where customer_id = 1")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    completed = record_moment(warehouse)
    assert warehouse.execute("select * from analytics.open_orders_as_of(%s)", [pending[0]]).fetchall() == [
        (date(2026, 1, 6), "PENDING", 1)]
    assert warehouse.execute("select * from analytics.top_customers_as_of(%s)", [pending[0]]).fetchall() == [
        (1, "Ana", 1)]
    assert warehouse.execute("select * from analytics.open_orders_as_of(%s)", [completed[0]]).fetchall() == []
    for at, then in (pending, completed):
        assert as_of_mismatches(warehouse, at, then) == {}
    # The named query as of the moment, from the command line (the moment in UTC, the warehouse's zone).
    moment = pending[0].replace(tzinfo=None).isoformat(sep=" ")
    result = invoke("--query", "open_orders", "--as-of", moment)
    assert result.exit_code == 0 and "PENDING" in result.output, result.output
    assert "PENDING" not in invoke("--query", "open_orders").output
    # The top-k queries rank as of the moment too (analytics.<name>_top_as_of), limit and all.
    result = invoke("--query", "top_dates", "--as-of", moment, "--param", "limit=5")
    assert result.exit_code == 0 and "2026-01-06" in result.output, result.output
    assert "2026-01-06" not in invoke("--query", "top_dates").output
    result = invoke("--query", "top_customers", "--as-of", moment)
    assert result.exit_code == 0 and "Ana " in result.output and "Maria" not in result.output, result.output
    result = invoke("--query", "open_orders", "--as-of", "yesterday at five")
    assert result.exit_code == 2 and "is not a moment" in result.output

    with pytest.raises(psycopg.errors.InvalidParameterValue, match="in the future"):
        warehouse.execute("select * from analytics.open_orders_as_of(now() + interval '1 hour')")
    # A purge that deletes entries moves the history's start past them: a moment before is then
    # outside the retention, and said so. (The entries of the last advance stay, as its
    # watermark may still need them: the facts' history keeps `pending`.)
    warehouse.execute("call elt.fold()")
    warehouse.execute("call elt.purge(interval '0 seconds')")
    changes_from, facts_from = warehouse.execute(
        "select changes_from, facts_from from elt.changelog_retention").fetchone()
    assert pending[0] < changes_from <= completed[0] and empty[0] < facts_from <= pending[0]
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="outside the change log's retention"):
        warehouse.execute("select * from analytics.open_orders_as_of(%s)", [pending[0]])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="outside the change log's retention"):
        warehouse.execute("select * from analytics.revenue_daily_as_of(%s)", [empty[0]])
    result = invoke("--query", "open_orders", "--as-of", moment)
    assert result.exit_code == 1 and "outside the change log's retention" in result.output
    assert "kept for 7 days" in result.output, result.output
    report = invoke("status").output
    assert "history: change logs kept 7 days" in report and "anomaly flags today: none" in report, report
    assert as_of_mismatches(warehouse, completed[0], completed[1]) == {}


def test_a_day_outside_its_rolling_median_and_mad_band_is_flagged(source, warehouse, replicated):
    """35 quiet days (1 to 3 orders of 5.00, none on Sundays), then a day of 20 orders."""
    import statistics
    source.execute("insert into operations.customers (customer_id, customer_name)"
                   " select g, 'Customer ' || g from generate_series(1, 200) as g")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (1, 'Tea', '789', 2.50)")
    first, spike = date(2026, 1, 1), date(2026, 2, 5)
    source.execute("""
        insert into operations.orders (order_id, order_date, delivery_date, customer_id, status)
        select row_number() over (), d::date, d::date + 2, row_number() over (), 'COMPLETED'
        from generate_series(%(first)s::date, %(spike)s::date - 1, interval '1 day') as d
        cross join lateral generate_series(1, 1 + extract(day from d)::integer %% 3) as n
        where extract(isodow from d) <> 7
        union all
        select 1000 + n, %(spike)s::date, %(spike)s::date + 2, 100 + n, 'COMPLETED' from generate_series(1, 20) as n
        """, {"first": first, "spike": spike})
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " select order_id, order_id, 1, 2 from operations.orders")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    intake = dict(warehouse.execute("select order_date, intake_amount from analytics.revenue_daily").fetchall())
    history = [intake.get(date.fromordinal(spike.toordinal() - n), Decimal(0)) for n in range(1, 29)]
    median = statistics.median(history)
    mad = statistics.median(abs(v - median) for v in history)
    bands = {m: row for m, *row in warehouse.execute(
        "select metric, value, median, band_low, band_high, is_anomaly from analytics.daily_metric_bands(%s)",
        [spike]).fetchall()}
    assert bands["revenue_daily.intake_amount"] == [
        Decimal("100.00"), median, median - 3 * Decimal("1.4826") * mad, median + 3 * Decimal("1.4826") * mad, True]
    assert bands["revenue_daily.revenue_amount"][-1] and bands["customers_new_returning.new_customers"][-1]
    # An ordinary day stays inside its band; a metric without 28 days of history is not judged.
    assert not any(row[-1] for row in warehouse.execute(
        "select * from analytics.daily_metric_bands(%s)", [date(2026, 2, 4)]).fetchall())
    assert warehouse.execute("select count(*) from analytics.daily_metric_bands(%s)",
                             [date(2026, 1, 20)]).fetchone()[0] == 0
    assert [c.name for c in warehouse.execute("select * from analytics.anomaly_flags_today").description] == [
        "metric", "day", "value", "median", "band_low", "band_high"]


def test_the_metrics_deltas_read_the_changed_keys_by_index_not_the_facts(source, warehouse, replicated):
    source.execute("call shop.add_customers(200)")
    source.execute("call shop.add_products(50)")
    source.execute("call shop.place_orders(3000)")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    for table in ("analytics.fct_order", "analytics.fct_order_item", "staging.fct_order_changes",
                  "staging.fct_order_item_changes"):
        warehouse.execute(f"analyze {table}")
    warehouse.execute("call elt.rebuild_all()")
    source.execute("update operations.orders set status = 'COMPLETED'"
                   " where order_id in (select order_id from operations.orders order by order_id limit 3)")
    source.execute("update operations.orders set order_date = order_date - 1"
                   " where order_id in (select order_id from operations.orders order by order_id desc limit 2)")
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")

    # A new session: table statistics not yet flushed would count this one's scans too.
    with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password) as reader:
        for name in METRIC_KEYS:
            reader.execute(f"select * from analytics.{name}").fetchall()
        scans = reader.execute(
            "select schemaname || '.' || relname, seq_scan from pg_stat_xact_user_tables"
            " where relname in ('fct_order', 'fct_order_item', 'fct_order_changes', 'fct_order_item_changes')"
            " and seq_scan > 0").fetchall()
    assert scans == []
    assert metric_mismatches(warehouse) == {}
