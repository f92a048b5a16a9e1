"""functions/warehouse/staging/log_change.sql: every change the subscription applies to
operations.* lands in its table's log, staging.<table>_changes, with exact old and new rows;
views/warehouse/staging/changelog.sql shows them all as the one jsonb changelog."""

import psycopg
import pytest

from conftest import TABLES, table_rows


def changelog(warehouse, table=None):
    return warehouse.execute(
        "select table_name, operation, old_row, new_row, initial_copy from staging.changelog"
        " where %(t)s::text is null or table_name = %(t)s order by change_id", {"t": table}).fetchall()


def entries_breaking_the_image_rule(warehouse) -> list[tuple]:
    """The logs have no check constraints (each would cost the apply worker per row): the
    triggers must write INSERT without an old row, DELETE without a new row, UPDATE with both."""
    return warehouse.execute("""
        select table_name, change_id, operation from staging.changelog
        where operation not in ('INSERT', 'UPDATE', 'DELETE')
           or (operation = 'INSERT') <> (old_row is null)
           or (operation = 'DELETE') <> (new_row is null)""").fetchall()


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
    assert entries_breaking_the_image_rule(warehouse) == []


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
    assert entries_breaking_the_image_rule(warehouse) == []


def test_streamed_changes_land_in_their_tables_log_in_apply_order(source, warehouse, replication):
    replication.start()
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana')")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (2, 'Tea', '789', 3.25)")
    source.execute("insert into operations.orders (order_id, customer_id, status) values (3, 1, 'PENDING')")
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " values (4, 3, 2, 6)")
    source.execute("update operations.orders set status = 'PROCESSING' where order_id = 3")
    source.execute("delete from operations.order_items where order_item_id = 4")
    replication.catch_up()

    logged = warehouse.execute("""
        select 'customers', operation, (old_row).customer_id, (new_row).customer_name, change_id
        from staging.customers_changes
        union all
        select 'products', operation, (old_row).product_id, (new_row).unity_price::text, change_id
        from staging.products_changes
        union all
        select 'orders', operation, (old_row).order_id, (old_row).status || '>' || (new_row).status, change_id
        from staging.orders_changes
        union all
        select 'order_items', operation, (old_row).order_item_id, (new_row).quanity::text, change_id
        from staging.order_items_changes
        order by change_id""").fetchall()
    assert [row[:4] for row in logged] == [
        ("customers", "INSERT", None, "Ana"),
        ("products", "INSERT", None, "3.25"),
        ("orders", "INSERT", None, None),
        ("order_items", "INSERT", None, "6"),
        ("orders", "UPDATE", 3, "PENDING>PROCESSING"),
        ("order_items", "DELETE", 4, None),
    ]
    # The whole rows, exactly: each image equals the row the warehouse held before or after.
    assert warehouse.execute("select (new_row).* from staging.orders_changes where operation = 'UPDATE'"
                             ).fetchall() == table_rows(warehouse, "orders")
    assert entries_breaking_the_image_rule(warehouse) == []
    assert warehouse.execute("select staging.last_change_id()").fetchone()[0] == logged[-1][4]
    assert warehouse.execute("select staging.last_applied_at() = max(applied_at) from staging.changelog"
                             ).fetchone()[0]


def test_the_newest_change_is_found_without_reading_the_logs(source, warehouse, replication):
    assert warehouse.execute("select staging.last_change_id(), staging.last_applied_at()").fetchone() == (0, None)
    source.execute("call shop.add_customers(300)")
    replication.start()
    with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password) as reader:
        reader.execute("select staging.last_change_id(), staging.last_applied_at()").fetchone()
        scans = reader.execute("select relname, seq_scan from pg_stat_xact_user_tables"
                               " where relname like '%_changes' and seq_scan > 0").fetchall()
    assert scans == []


def test_a_replicated_truncate_logs_every_removed_row(source, warehouse, replication):
    source.execute("call shop.add_products(5)")
    replication.start()
    source.execute("truncate operations.products")
    replication.catch_up()
    deletes = [e for e in changelog(warehouse, "products") if e[1] == "DELETE"]
    assert len(deletes) == 5
    assert table_rows(warehouse, "products") == []
    assert entries_breaking_the_image_rule(warehouse) == []


def test_only_the_subscription_writes_the_staging_copies(warehouse):
    for statement in ("insert into operations.orders (order_id) values (1)",
                      "update operations.orders set status = 'x'",
                      "delete from operations.orders",
                      "truncate operations.orders"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="written only by the subscription"):
            warehouse.execute(statement)
