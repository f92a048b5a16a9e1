"""functions/warehouse/staging/log_change.sql: every change the subscription applies to
operations.* lands in staging.changelog with exact old and new images."""

import psycopg
import pytest

from conftest import TABLES, table_rows


def changelog(warehouse, table=None):
    return warehouse.execute(
        "select table_name, operation, old_row, new_row, initial_copy from staging.changelog"
        " where %(t)s::text is null or table_name = %(t)s order by change_id", {"t": table}).fetchall()


def test_insert_update_delete_leave_three_entries_with_their_images(source, warehouse, replication):
    replication.start()
    source.execute("insert into operations.customers (customer_id, customer_name, customer_address)"
                   " values (7, 'Ana Silva', '1 Market Street')")
    source.execute("update operations.customers set customer_address = '2 Harbour Road' where customer_id = 7")
    source.execute("delete from operations.customers where customer_id = 7")
    replication.catch_up()

    entries = changelog(warehouse, "customers")
    assert [e[1] for e in entries] == ["INSERT", "UPDATE", "DELETE"]
    inserted, updated, deleted = entries
    assert inserted[2] is None and inserted[3]["customer_address"] == "1 Market Street"
    assert updated[2]["customer_address"] == "1 Market Street"
    assert updated[3]["customer_address"] == "2 Harbour Road"
    assert updated[2]["customer_name"] == updated[3]["customer_name"] == "Ana Silva"
    assert deleted[2]["customer_address"] == "2 Harbour Road" and deleted[3] is None
    assert not any(e[4] for e in entries)
    assert table_rows(warehouse, "customers") == []


def test_rows_from_before_the_subscription_arrive_and_are_logged_once(source, warehouse, replication):
    source.execute("call shop.add_customers(50)")
    source.execute("call shop.add_products(20)")
    source.execute("call shop.place_orders(200)")
    replication.start()

    for table in TABLES:
        rows = table_rows(source, table)
        assert rows and table_rows(warehouse, table) == rows
        entries = changelog(warehouse, table)
        # Logged by the set-based copy trigger only, not a second time by the row trigger.
        assert len(entries) == len(rows)
        assert all(e[1] == "INSERT" and e[4] for e in entries)

    source.execute("update operations.orders set status = 'PROCESSING' where order_id = (select min(order_id) from operations.orders)")
    replication.catch_up()
    last = changelog(warehouse, "orders")[-1]
    assert last[1] == "UPDATE" and last[3]["status"] == "PROCESSING" and not last[4]


def test_a_replicated_truncate_logs_every_removed_row(source, warehouse, replication):
    source.execute("call shop.add_products(5)")
    replication.start()
    source.execute("truncate operations.products")
    replication.catch_up()
    deletes = [e for e in changelog(warehouse, "products") if e[1] == "DELETE"]
    assert len(deletes) == 5
    assert table_rows(warehouse, "products") == []


def test_only_the_subscription_writes_the_staging_copies(warehouse):
    for statement in ("insert into operations.orders (order_id) values (1)",
                      "update operations.orders set status = 'x'",
                      "delete from operations.orders",
                      "truncate operations.orders"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="written only by the subscription"):
            warehouse.execute(statement)
