"""The business metrics (views/warehouse/analytics/revenue_*.sql, customers_new_returning.sql,
delivery_lag_*.sql, status_funnel*.sql): after random changes at the source that go through the
real replication, with star advances, folds and rebuilds at random points, every metric read
as users read it equals its from-scratch recompute over the facts, in one snapshot; and the keys
of every metric view are unique and present."""

import os

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_changes import apply_batch, reset_source
from test_star_schema import CHANGES, star_mismatches

PROPERTY = settings(max_examples=int(os.environ.get("ELT_TEST_EXAMPLES", 15)), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# What runs after a batch: the star tables advance (or not), then the aggregates are folded,
# rebuilt (one metric, or all), go through a round of elt.maintain, or nothing happens.
STAR = st.sampled_from([None, "advance", "advance"])
MAINTENANCE = st.sampled_from([None, "fold", "fold", "rebuild", "rebuild_all", "round"])
BATCHES = st.lists(st.tuples(st.lists(CHANGES, min_size=1, max_size=6), st.booleans(), STAR, MAINTENANCE),
                   min_size=1, max_size=5)

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
# The key of every metric view of the catalog: unique, and never null.
METRIC_KEYS = {
    "revenue_daily": "order_date", "revenue_weekly": "order_week", "revenue_by_product": "product_id",
    "intake_revenue_dropoff_daily": "order_date", "intake_revenue_dropoff_weekly": "order_week",
    "delivery_lag_weekly": "order_week", "customers_new_returning": "order_date", "status_funnel": "status",
    "delivery_lag_histogram": "order_week, lead_time_days", "status_funnel_totals": "status",
}


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
            bad = conn.execute(f"select {key}, count(*) from analytics.{name} group by {key}"
                               f" having count(*) > 1 or ({key}) is null"
                               f" or ({' or '.join(f'{k} is null' for k in key.split(', '))})").fetchall()
            if bad:
                failures[f"{name} key"] = bad
    finally:
        conn.execute("rollback")
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
def test_every_metric_equals_its_recompute_whatever_maintenance_ran(source, warehouse, replicated, batches,
                                                                    rebuilt, rebuild_above):
    reset_source(source)
    replicated.catch_up()
    warehouse.execute("call elt.advance_star()")
    # A small rebuild_above sends elt.maintain's rounds down the rebuild path.
    warehouse.execute("update elt.aggregate set rebuild_above = %s", [rebuild_above])
    for batch, one_transaction, star, how in batches:
        apply_batch(source, batch, one_transaction)
        replicated.catch_up()
        assert metric_mismatches(warehouse) == {}
        maintain(warehouse, star, how, rebuilt)
        assert metric_mismatches(warehouse) == {}
    warehouse.execute("call elt.advance_star()")
    assert metric_mismatches(warehouse) == {}
    assert star_mismatches(warehouse) == {}


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
    from datetime import date
    from decimal import Decimal
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
