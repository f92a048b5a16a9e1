"""Random changes at the source for the analytics tests, and the checks every answer must pass.

The changes use a small universe of ids so that they collide: orders move between customers,
items between orders, ids are reused after deletes, statuses go back and forth, and some rows
break a quality rule (unknown references, negative or null quantities, unknown statuses, dates
out of order or absurdly far ahead). Every change is valid SQL from any state, so examples
need no resetting beyond `reset_source`."""

from datetime import date

import psycopg
from hypothesis import strategies as st

CUSTOMERS = st.integers(1, 4)
PRODUCTS = st.integers(1, 3)
ORDERS = st.integers(1, 8)
ITEMS = st.integers(1, 14)
STATUSES = st.sampled_from(["PENDING", "PROCESSING", "REPROCESSING", "COMPLETED", "COMPLETED", "LOST", None])
ORDER_DATES = st.sampled_from([date(2026, 1, 1), date(2026, 1, 5), None])
DELIVERY_DATES = st.sampled_from([date(2026, 1, 2), date(2026, 1, 3), date(2026, 1, 6), None,
                                  date(2025, 12, 31), date(2042, 1, 1)])
QUANTITIES = st.one_of(st.integers(0, 5), st.just(-1), st.none())
NAMES = st.sampled_from(["Ana Silva", "Bruno Souza", "Carla Costa"])

CHANGES = st.one_of(
    st.tuples(st.just("upsert_customer"), CUSTOMERS, NAMES),
    st.tuples(st.just("delete_customer"), CUSTOMERS),
    st.tuples(st.just("upsert_product"), PRODUCTS),
    st.tuples(st.just("delete_product"), PRODUCTS),
    st.tuples(st.just("upsert_order"), ORDERS, st.one_of(st.integers(1, 5), st.none()), STATUSES,
              ORDER_DATES, DELIVERY_DATES),
    st.tuples(st.just("set_status"), ORDERS, STATUSES),
    st.tuples(st.just("set_delivery"), ORDERS, DELIVERY_DATES),
    st.tuples(st.just("move_customer"), ORDERS, CUSTOMERS),
    st.tuples(st.just("renumber_order"), ORDERS, ORDERS),
    st.tuples(st.just("delete_order"), ORDERS),
    st.tuples(st.just("upsert_item"), ITEMS, st.integers(1, 9), st.integers(1, 4), QUANTITIES),
    st.tuples(st.just("move_item"), ITEMS, ORDERS),
    st.tuples(st.just("set_quantity"), ITEMS, QUANTITIES),
    st.tuples(st.just("delete_item"), ITEMS),
)

AUDIT = "timestamp '2026-01-01 09:00'"

SQL = {
    "upsert_customer": "insert into operations.customers (customer_id, customer_name, created_at)"
                       f" values (%s, %s, {AUDIT}) on conflict (customer_id)"
                       " do update set customer_name = excluded.customer_name",
    "delete_customer": "delete from operations.customers where customer_id = %s",
    "upsert_product": "insert into operations.products (product_id, product_name, barcode, unity_price)"
                      " values (%s, 'Coffee', '0000000000001', 3.5) on conflict (product_id)"
                      " do update set unity_price = operations.products.unity_price + 1",
    "delete_product": "delete from operations.products where product_id = %s",
    "upsert_order": "insert into operations.orders (order_id, customer_id, status, order_date, delivery_date,"
                    f" created_at) values (%s, %s, %s, %s, %s, {AUDIT}) on conflict (order_id) do update"
                    " set customer_id = excluded.customer_id, status = excluded.status,"
                    " order_date = excluded.order_date, delivery_date = excluded.delivery_date",
    "set_status": "update operations.orders set status = %(1)s where order_id = %(0)s",
    "set_delivery": "update operations.orders set delivery_date = %(1)s where order_id = %(0)s",
    "move_customer": "update operations.orders set customer_id = %(1)s where order_id = %(0)s",
    "renumber_order": "update operations.orders set order_id = %(1)s where order_id = %(0)s"
                      " and not exists (select from operations.orders where order_id = %(1)s)",
    "delete_order": "delete from operations.orders where order_id = %s",
    "upsert_item": "insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " values (%s, %s, %s, %s) on conflict (order_item_id) do update"
                   " set order_id = excluded.order_id, product_id = excluded.product_id,"
                   " quanity = excluded.quanity",
    "move_item": "update operations.order_items set order_id = %(1)s where order_item_id = %(0)s",
    "set_quantity": "update operations.order_items set quanity = %(1)s where order_item_id = %(0)s",
    "delete_item": "delete from operations.order_items where order_item_id = %s",
}


def apply_change(conn: psycopg.Connection, change: tuple) -> None:
    kind, *args = change
    statement = SQL[kind]
    params = {str(i): a for i, a in enumerate(args)} if "%(0)s" in statement else args
    conn.execute(statement, params)


def apply_batch(conn: psycopg.Connection, batch: list[tuple], one_transaction: bool) -> None:
    if one_transaction:
        with conn.transaction():
            for change in batch:
                apply_change(conn, change)
    else:
        for change in batch:
            apply_change(conn, change)


def reset_source(conn: psycopg.Connection) -> None:
    for table in ("order_items", "orders", "products", "customers"):
        conn.execute(f"delete from operations.{table}")


# Each answer with the order that makes its rows comparable; the top-3s keep their own order.
ANSWERS = {
    "open_orders": "order by delivery_date nulls first, status",
    "open_orders_by_date": "order by delivery_date nulls first",
    "pending_items": "order by product_id",
    "pending_orders": "order by customer_id",
    "top_dates": "",
    "top_customers": "",
}


def answer_and_recompute(conn: psycopg.Connection, name: str) -> tuple[list, list]:
    """The answer as users query it and its from-scratch specification, read in one snapshot.
    The connection must be in a transaction (or idle, with nothing else writing)."""
    order = ANSWERS[name]
    return (conn.execute(f"select * from analytics.{name} {order}").fetchall(),
            conn.execute(f"select * from analytics.{name}_recompute {order}").fetchall())


def check_in_one_snapshot(conn: psycopg.Connection, names=tuple(ANSWERS)) -> dict[str, tuple[list, list]]:
    """Compare every answer to its recompute in one repeatable-read snapshot; returns the
    mismatches (empty when all agree). conn must be autocommit."""
    conn.execute("begin isolation level repeatable read")
    try:
        pairs = {name: answer_and_recompute(conn, name) for name in names}
    finally:
        conn.execute("rollback")
    return {name: pair for name, pair in pairs.items() if pair[0] != pair[1]}


def quarantine_identity(conn: psycopg.Connection) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows in operations, clean rows, quarantined rows)."""
    counts = {}
    for table in ("customers", "products", "orders", "order_items"):
        counts[table] = conn.execute(
            f"select (select count(*) from operations.{table}), (select count(*) from clean.{table}),"
            " (select count(*) from clean.quarantine where table_name = %s)", [table]).fetchone()
    return counts
