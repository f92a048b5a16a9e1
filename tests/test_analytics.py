"""views/warehouse/analytics: every answer (maintained part + delta since the watermark) equals
its from-scratch recompute over the current clean rows, after random changes at the source that
go through the real replication, with folds and rebuilds at random points, interleaved."""

import os

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_changes import (CHANGES, apply_batch, check_in_one_snapshot, quarantine_identity,
                               reset_source)

# ELT_TEST_EXAMPLES=100 for a thorough run; 15 keeps the suite short.
PROPERTY = settings(max_examples=int(os.environ.get("ELT_TEST_EXAMPLES", 15)), deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# What maintenance runs after a batch: nothing, a fold of every aggregate, a rebuild of this
# answer's aggregates or of all, or a round of elt.maintain (which folds, or rebuilds past a
# threshold).
MAINTENANCE = st.sampled_from([None, "fold", "fold", "rebuild", "rebuild_all", "round"])
# A batch of changes, whether it is one source transaction, and what maintenance follows it.
BATCHES = st.lists(st.tuples(st.lists(CHANGES, min_size=1, max_size=8), st.booleans(), MAINTENANCE),
                   min_size=1, max_size=4)


def maintain(warehouse, name, how):
    if how == "fold":
        warehouse.execute("call elt.fold()")
    elif how == "rebuild":
        warehouse.execute("call elt.rebuild(%s)", [name])
    elif how == "rebuild_all":
        warehouse.execute("call elt.rebuild_all()")
    elif how == "round":
        warehouse.execute("call elt.maintain(run_for => '0 seconds')")


@pytest.mark.parametrize("name", ["open_orders", "top_dates", "pending_items", "top_customers"])
@PROPERTY
@given(batches=BATCHES, first=MAINTENANCE, rebuild_above=st.sampled_from([200000, 3]))
def test_the_answer_equals_a_full_recompute_whatever_maintenance_ran(name, source, warehouse, replicated, batches,
                                                                     first, rebuild_above):
    reset_source(source)
    replicated.catch_up()
    # A small rebuild_above sends elt.maintain's rounds down the rebuild path.
    warehouse.execute("update elt.aggregate set rebuild_above = %s", [rebuild_above])
    maintain(warehouse, name, first)
    for batch, one_transaction, how in batches:
        apply_batch(source, batch, one_transaction)
        replicated.catch_up()
        assert check_in_one_snapshot(warehouse, [name]) == {}
        maintain(warehouse, name, how)
        assert check_in_one_snapshot(warehouse, [name]) == {}
    # The per-key aggregates under the top-3s are public too.
    under = {"top_dates": "open_orders_by_date", "top_customers": "pending_orders"}.get(name)
    if under:
        assert check_in_one_snapshot(warehouse, [under]) == {}


@PROPERTY
@given(batch=st.lists(CHANGES, min_size=1, max_size=20))
def test_every_staging_row_is_either_clean_or_quarantined_once(source, warehouse, replicated, batch):
    reset_source(source)
    apply_batch(source, batch, one_transaction=False)
    replicated.catch_up()
    for table, (staged, clean, quarantined) in quarantine_identity(warehouse).items():
        assert staged == clean + quarantined, table


def test_a_customer_name_change_shows_at_once(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    source.execute("insert into operations.orders (order_id, customer_id, status) values (1, 1, 'PENDING')")
    replicated.catch_up()
    warehouse.execute("call elt.rebuild_all()")
    source.execute("update operations.customers set customer_name = 'Ana Souza' where customer_id = 1")
    replicated.catch_up()
    assert warehouse.execute("select customer_id, customer_name, pending_orders from analytics.top_customers"
                             ).fetchall() == [(1, "Ana Souza", 1)]


def test_the_delta_reads_the_changed_keys_by_index_not_the_tables(source, warehouse, replicated):
    source.execute("call shop.add_customers(200)")
    source.execute("call shop.add_products(50)")
    source.execute("call shop.place_orders(3000)")
    replicated.catch_up()
    for table in ("operations.customers", "operations.products", "operations.orders",
                  "operations.order_items", "staging.customers_changes", "staging.products_changes",
                  "staging.orders_changes", "staging.order_items_changes"):
        warehouse.execute(f"analyze {table}")
    warehouse.execute("call elt.rebuild_all()")
    source.execute("update operations.orders set status = 'PROCESSING'"
                   " where order_id in (select order_id from operations.orders order by order_id limit 3)")
    source.execute("delete from operations.customers where customer_id = 7")
    replicated.catch_up()

    # A new session: table statistics not yet flushed would count this one's rebuild scans too.
    # customers and products are tiny here, where a scan is the planner's right choice.
    with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password) as reader:
        for name in ("open_orders", "top_dates", "pending_items", "top_customers"):
            reader.execute(f"select * from analytics.{name}").fetchall()
        scans = reader.execute(
            "select schemaname || '.' || relname, seq_scan from pg_stat_xact_user_tables"
            " where relname in ('orders', 'order_items', 'orders_changes', 'order_items_changes')"
            " and seq_scan > 0").fetchall()
    assert scans == []
    assert check_in_one_snapshot(warehouse) == {}


@PROPERTY
@given(batches=st.lists(st.lists(CHANGES, min_size=1, max_size=8), min_size=1, max_size=3))
def test_a_fold_reads_both_deltas_from_one_computation_of_the_orders_states(source, warehouse, replicated, batches):
    # What elt.fold_aggregates embeds when it folds the answers together: the orders' changes read
    # from the order_states the items' changes computed, which holds the touched items' orders too.
    reset_source(source)
    replicated.catch_up()
    warehouse.execute("call elt.fold()")
    for batch in batches:
        apply_batch(source, batch, one_transaction=False)
    replicated.catch_up()
    functions = ["clean.order_items_changed_since", "clean.orders_changed_since"]
    warehouse.execute("begin isolation level repeatable read")
    try:
        since = warehouse.execute("select snapshot from elt.watermark where aggregate = 'pending_items'").fetchone()[0]
        ctes = warehouse.execute("select elt.changes_ctes(%s, %s::pg_snapshot)", [functions, since]).fetchone()[0]
        assert ctes.count("order_states as materialized") == 1
        for n, function in enumerate(functions, start=1):
            shared = warehouse.execute(f"with {ctes} select * from changes_{n}").fetchall()
            alone = warehouse.execute(f"select * from {function}(%s::pg_snapshot)", [since]).fetchall()
            assert sorted(shared, key=repr) == sorted(alone, key=repr), function
    finally:
        warehouse.execute("rollback")


@pytest.mark.parametrize("orders_changed, products_read", [(1, "by key"), (400, "all")])
def test_the_products_of_a_changed_orders_items_are_read_by_key_or_all_at_once_and_stay_exact(
        source, warehouse, replicated, orders_changed, products_read):
    # An orphan item (its product gone before the watermark) must stay out when its order completes,
    # whichever way its product's existence is read: by key for a few items, or every product at
    # once past a tenth of them.
    source.execute("call shop.add_customers(20)")
    source.execute("call shop.add_products(3000)")
    source.execute("call shop.place_orders(400)")
    source.execute("delete from operations.products where product_id in"
                   " (select product_id from operations.order_items order by order_item_id limit 1)")
    replicated.catch_up()
    warehouse.execute("analyze operations.products")
    warehouse.execute("call elt.fold()")
    source.execute("update operations.orders set status = 'COMPLETED' where order_id in"
                   " (select order_id from operations.orders order by order_id limit %s)", [orders_changed])
    replicated.catch_up()
    with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password) as reader:
        reader.execute("select * from analytics.pending_items").fetchall()
        seq_scan, idx_scan = reader.execute("select seq_scan, idx_scan from pg_stat_xact_user_tables"
                                            " where relid = 'operations.products'::regclass").fetchone()
    assert check_in_one_snapshot(warehouse) == {}
    assert (seq_scan > 0) == (products_read == "all") and (idx_scan > 0) == (products_read == "by key")
    warehouse.execute("call elt.fold()")
    assert check_in_one_snapshot(warehouse) == {}


def test_an_answer_over_many_maintained_rows_is_priced_below_jit(warehouse):
    # 50k products with pending items, as at 10M orders: the answer reads them as they are, and
    # the planner must price it so (a cost over jit_above_cost compiled it, 11-30 ms, every read).
    warehouse.execute("insert into analytics.pending_items_maintained (product_id, pending_items)"
                      " select p, 1 from generate_series(1, 50000) as p")
    warehouse.execute("analyze analytics.pending_items_maintained")
    [[plan]] = warehouse.execute("explain (format json) select * from analytics.pending_items").fetchone()
    jit_above = float(warehouse.execute("select current_setting('jit_above_cost')").fetchone()[0])
    assert plan["Plan"]["Total Cost"] < jit_above
    assert len(warehouse.execute("select * from analytics.pending_items").fetchall()) == 50000


def test_every_analytics_and_clean_object_and_column_says_what_it_is(warehouse):
    undocumented = warehouse.execute("""
        select n.nspname || '.' || c.relname
        from pg_class as c join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('analytics', 'clean', 'elt', 'staging') and c.relkind in ('r', 'v', 'm')
          and obj_description(c.oid, 'pg_class') is null
        union all
        select n.nspname || '.' || c.relname || '.' || a.attname
        from pg_attribute as a join pg_class as c on c.oid = a.attrelid
        join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('analytics', 'clean', 'elt', 'staging') and c.relkind in ('r', 'v', 'm')
          and a.attnum > 0 and not a.attisdropped and col_description(c.oid, a.attnum) is null
        union all
        select p.oid::regprocedure::text
        from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace
        where n.nspname in ('analytics', 'clean', 'elt', 'staging') and obj_description(p.oid, 'pg_proc') is null
        """).fetchall()
    assert undocumented == []
