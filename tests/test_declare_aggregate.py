"""functions/warehouse/elt/declare_aggregate.sql: one declaration makes every part of an
aggregate, commented, exact from the start and under folds; a changed declaration rebuilds it,
and changed measures recreate it. Rows are written as the apply worker writes them
(session_replication_role = replica), so the changelog triggers log them."""

import psycopg
import pytest

from analytics_changes import check_in_one_snapshot

PARTS = {"": "v", "_recompute": "v", "_hist": "m", "_maintained": "r", "_delta": "v"}


def declare(conn, filter_sql="true", measures="array[['items', '1', 'Items.'], ['units', 'quantity', 'Units.']]"):
    conn.execute(f"""
        call elt.declare_aggregate(
            name     => 'lines_by_status',
            comment  => 'Clean order items and units per order status.',
            source   => 'clean.order_lines',
            changes  => 'clean.order_items_changed_since',
            keys     => array[['order_status', 'Status of the items'' order.']],
            measures => {measures},
            filter   => $${filter_sql}$$,
            ranked   => true)""")


def answer_and_recompute(conn) -> tuple[list, list]:
    conn.execute("begin isolation level repeatable read")
    try:
        return (conn.execute("select * from analytics.lines_by_status order by 1").fetchall(),
                conn.execute("select * from analytics.lines_by_status_recompute order by 1").fetchall())
    finally:
        conn.execute("rollback")


@pytest.fixture
def applier(warehouse) -> psycopg.Connection:
    warehouse.execute("set session_replication_role = replica")
    warehouse.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana'), (2, 'Rui')")
    warehouse.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                      " values (1, 'Tea', '1', 2.5), (2, 'Rice', '2', 1.0)")
    warehouse.execute("insert into operations.orders (order_id, customer_id, status) values"
                      " (1, 1, 'PENDING'), (2, 1, 'COMPLETED'), (3, 2, 'PROCESSING')")
    warehouse.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity) values"
                      " (1, 1, 1, 2), (2, 1, 2, 1), (3, 2, 1, 5), (4, 3, 2, 4)")
    return warehouse


def test_one_declaration_makes_every_part_commented_and_exact(applier):
    declare(applier)
    kinds = {suffix: applier.execute("select relkind from pg_class where oid = to_regclass(%s)",
                                     [f"analytics.lines_by_status{suffix}"]).fetchone() for suffix in PARTS}
    assert {suffix: kind and kind[0] for suffix, kind in kinds.items()} == PARTS
    assert applier.execute("select count(*) from pg_description where objoid = any(array["
                           "'analytics.lines_by_status'::regclass, 'analytics.lines_by_status_maintained'::regclass,"
                           "'analytics.lines_by_status_delta'::regclass]) and objsubid = 3").fetchone()[0] == 3
    answer, recompute = answer_and_recompute(applier)
    assert answer == recompute == [("COMPLETED", 1, 5), ("PENDING", 2, 3), ("PROCESSING", 1, 4)]

    applier.execute("update operations.orders set status = 'COMPLETED' where order_id = 1")
    applier.execute("update operations.order_items set quanity = 7 where order_item_id = 4")
    applier.execute("delete from operations.order_items where order_item_id = 3")
    answer, recompute = answer_and_recompute(applier)
    assert answer == recompute == [("COMPLETED", 2, 3), ("PROCESSING", 1, 7)]
    assert applier.execute("select count(*) from analytics.lines_by_status_delta").fetchone()[0] > 0
    applier.execute("call elt.fold()")
    assert applier.execute("select count(*) from analytics.lines_by_status_delta").fetchone()[0] == 0
    assert answer_and_recompute(applier)[0] == answer
    # Ranked by the first measure, ties to the smaller key: served from the index plus the delta.
    assert applier.execute("select * from analytics.lines_by_status_top(1)").fetchall() == [("COMPLETED", 2, 3)]
    assert check_in_one_snapshot(applier) == {}


def test_a_group_with_a_null_key_changed_since_the_fold_is_read_once(applier):
    # The fixture's orders have no delivery date: open_orders' null-date groups, now folded.
    applier.execute("call elt.fold()")
    assert applier.execute("select count(*) from analytics.open_orders_maintained"
                           " where delivery_date is null").fetchone()[0] == 2
    # Changes to those groups, not folded: the answer reads each null-key group once, its
    # maintained row plus its delta, and leaves the unchanged one as it is.
    applier.execute("insert into operations.orders (order_id, customer_id, status) values (4, 2, 'PENDING')")
    assert applier.execute("select delivery_date, status, open_orders from analytics.open_orders"
                           " order by status").fetchall() == [(None, "PENDING", 2), (None, "PROCESSING", 1)]
    applier.execute("update operations.orders set status = 'COMPLETED' where order_id = 3")
    assert check_in_one_snapshot(applier, ["open_orders", "top_dates"]) == {}
    assert applier.execute("select delivery_date, status, open_orders from analytics.open_orders"
                           ).fetchall() == [(None, "PENDING", 2)]


def test_a_changed_declaration_rebuilds_and_changed_measures_recreate(applier):
    declare(applier)
    before = applier.execute("select snapshot::text from elt.watermark where aggregate = 'lines_by_status'").fetchone()
    declare(applier)  # the same declaration again: nothing moves
    assert applier.execute("select snapshot::text from elt.watermark where aggregate = 'lines_by_status'"
                           ).fetchone() == before

    declare(applier, filter_sql="order_status <> 'COMPLETED'")
    answer, recompute = answer_and_recompute(applier)
    assert answer == recompute == [("PENDING", 2, 3), ("PROCESSING", 1, 4)]

    declare(applier, measures="array[['units', 'quantity', 'Units.']]")
    assert [c for c, in applier.execute(
        "select attname from pg_attribute where attrelid = 'analytics.lines_by_status_maintained'::regclass"
        " and attnum > 0 order by attnum")] == ["order_status", "units"]
    answer, recompute = answer_and_recompute(applier)
    assert answer == recompute == [("COMPLETED", 5), ("PENDING", 3), ("PROCESSING", 4)]


def test_a_malformed_declaration_is_refused_with_the_shape_it_needs(warehouse):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"measures \[name, sum, comment\] triples"):
        warehouse.execute("call elt.declare_aggregate('broken', 'x', 'clean.orders', 'clean.orders_changed_since',"
                          " array[['status', 'Status.']], array[['n', '1']], 'true')")
