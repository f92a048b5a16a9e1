"""cli/cli_app/generate.py: bulk history that is valid, and that a live subscription carries
to the warehouse intact because the load is paced to the apply rate."""

from conftest import TABLES, table_rows

from cli_app.generate import load_history, slot_lsn_lag

VALID_STATUSES = ("PENDING", "PROCESSING", "REPROCESSING", "COMPLETED")


def test_generated_rows_are_valid(source):
    report = load_history(source, orders=3000, days=60, batch_orders=1000, seed=1)
    assert report.orders == 3000 and report.paced_batches == 0

    def one(query, params=None):
        return source.execute(query, params).fetchone()[0]

    assert one("select count(*) from operations.orders") == 3000
    assert one("select count(*) from operations.order_items") == report.items
    assert 4 <= report.items / 3000 <= 6
    assert one("select count(*) from operations.orders o where not exists"
               " (select from operations.customers c where c.customer_id = o.customer_id)") == 0
    assert one("select count(*) from operations.order_items i where not exists"
               " (select from operations.products p where p.product_id = i.product_id)"
               " or not exists (select from operations.orders o where o.order_id = i.order_id)") == 0
    assert one("select count(*) from operations.orders where status <> all(%s)", [list(VALID_STATUSES)]) == 0
    assert one("select count(*) from operations.orders where delivery_date < order_date"
               " or order_date > current_date or order_date <= current_date - 60") == 0
    assert one("select count(*) from operations.order_items where quanity is null or quanity < 1") == 0
    assert one("select count(distinct status) from operations.orders") == 4
    # Ids come from the tables' own sequences, so live traffic after a load never collides.
    source.execute("call shop.place_orders(5)")
    assert one("select count(*) from operations.orders") == 3005


def test_a_load_with_a_subscriber_is_paced_and_arrives_intact(source, warehouse, replication):
    replication.start()
    assert slot_lsn_lag(source) is not None
    report = load_history(source, orders=4000, days=30, batch_orders=1000, seed=2)
    assert report.paced_batches == 5  # customers and products, then four batches of orders
    replication.catch_up()
    for table in TABLES:
        assert table_rows(warehouse, table) == table_rows(source, table)
    counts = dict(warehouse.execute("select table_name, count(*) from staging.changelog group by 1").fetchall())
    assert counts["orders"] == 4000 and counts["order_items"] == report.items
