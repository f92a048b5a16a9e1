"""views/warehouse/clean and the rule functions: every replicated row is clean or quarantined,
once, under the first rule it fails, and quarantined rows stay out of the answers."""

from datetime import date

from analytics_changes import quarantine_identity


def quarantined(warehouse):
    return warehouse.execute("select table_name, row_id, rule from clean.quarantine"
                             " order by table_name, row_id").fetchall()


def test_each_rule_quarantines_its_rows_under_its_name(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values (1, 'Ana Silva')")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (1, 'Coffee 1', '0000000000001', 3.5)")
    source.execute("""
        insert into operations.orders (order_id, customer_id, status, order_date, delivery_date, created_at) values
            (1, 1, 'PENDING', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (2, 99, 'PENDING', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (3, null, 'PENDING', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (4, 1, 'LOST', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (5, 1, 'PENDING', '2026-01-05', '2026-01-03', '2026-01-01 09:00'),
            (6, 1, 'PENDING', '2026-01-01', '2042-01-03', '2026-01-01 09:00'),
            (7, 1, 'PENDING', '2042-01-01', null, '2026-01-01 09:00'),
            (8, 99, 'LOST', '2026-01-05', '2026-01-03', '2026-01-01 09:00'),
            (9, 1, 'PENDING', null, null, null)""")
    source.execute("""
        insert into operations.order_items (order_item_id, order_id, product_id, quanity) values
            (1, 1, 1, 2), (2, 1, 1, null), (3, 1, 1, -1), (4, 1, 42, 1), (5, 77, 1, 1), (6, 4, 1, 1),
            (7, 1, 1, 0), (8, 77, 42, -3)""")
    replicated.catch_up()

    assert quarantined(warehouse) == [
        ("order_items", 2, "null_quantity"), ("order_items", 3, "negative_quantity"),
        ("order_items", 4, "unknown_product"), ("order_items", 5, "unknown_order"),
        ("order_items", 6, "quarantined_order"),
        # Fails three rules, quarantined once under the first.
        ("order_items", 8, "negative_quantity"),
        ("orders", 2, "unknown_customer"), ("orders", 3, "unknown_customer"), ("orders", 4, "unknown_status"),
        ("orders", 5, "delivery_before_order"), ("orders", 6, "date_in_far_future"),
        ("orders", 7, "date_in_far_future"), ("orders", 8, "unknown_customer"),
    ]
    row = warehouse.execute("select row_image from clean.quarantine where table_name = 'orders' and row_id = 6"
                            ).fetchone()[0]
    assert row["delivery_date"] == "2042-01-03" and row["status"] == "PENDING"
    for table, (staged, clean, held) in quarantine_identity(warehouse).items():
        assert staged == clean + held, table

    # Only the clean orders 1 and 9 (no dates) count; only items 1 and 7 of order 1.
    assert warehouse.execute("select * from analytics.open_orders order by delivery_date nulls first"
                             ).fetchall() == [(None, "PENDING", 1), (date(2026, 1, 3), "PENDING", 1)]
    assert warehouse.execute("select * from analytics.pending_items").fetchall() == [(1, 2)]


def test_a_customer_that_appears_makes_its_orders_and_their_items_clean(source, warehouse, replicated):
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (1, 'Coffee 1', '0000000000001', 3.5)")
    source.execute("insert into operations.orders (order_id, customer_id, status) values (1, 5, 'PENDING')")
    source.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                   " values (1, 1, 1, 4)")
    replicated.catch_up()
    warehouse.execute("call elt.rebuild_all()")
    assert [r[2] for r in quarantined(warehouse)] == ["quarantined_order", "unknown_customer"]
    assert warehouse.execute("select * from analytics.pending_items").fetchall() == []

    source.execute("insert into operations.customers (customer_id, customer_name) values (5, 'Hugo Costa')")
    replicated.catch_up()
    assert quarantined(warehouse) == []
    assert warehouse.execute("select * from analytics.pending_items").fetchall() == [(1, 4)]
    assert warehouse.execute("select * from analytics.top_customers").fetchall() == [(5, "Hugo Costa", 1)]
