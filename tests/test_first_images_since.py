"""functions/warehouse/staging/first_images_since.sql and first_touches_sql.sql: every key touched
after a watermark, with its row as of the watermark (null: none then) and as it is now (null:
none now), read from the table's log after real replication."""


def rows_as_jsonb(warehouse, table, key):
    return dict(warehouse.execute(f"select {key}, to_jsonb(t) from operations.{table} as t").fetchall())


def first_images(warehouse, since, table, key):
    return dict(warehouse.execute("select key, image from staging.first_images_since(%s::pg_snapshot, %s, %s)",
                                  [since, table, key]).fetchall())


def newest_images(warehouse, since, table, key):
    statement = warehouse.execute("select staging.first_touches_sql(%s::pg_snapshot, %s, %s)",
                                  [since, table, key]).fetchone()[0]
    return dict(warehouse.execute(f"select key, case when exists_now then to_jsonb(image_now) end"
                                  f" from ({statement}) as f").fetchall())


def test_each_touched_key_gets_its_row_as_of_the_watermark(source, warehouse, replication):
    for customer_id, name in ((1, "Ana"), (2, "Bea"), (3, "Caio"), (6, "Dora")):
        source.execute("insert into operations.customers (customer_id, customer_name) values (%s, %s)",
                       [customer_id, name])
    replication.start()
    then = rows_as_jsonb(warehouse, "customers", "customer_id")
    watermark = warehouse.execute("select pg_current_snapshot()::text").fetchone()[0]

    for statement in (
        # several updates: the first one's old row is the row as of the watermark
        "update operations.customers set customer_name = 'Ana 2' where customer_id = 1",
        "update operations.customers set customer_name = 'Ana 3' where customer_id = 1",
        # a key change: a DELETE of 2 and an INSERT of 20
        "update operations.customers set customer_id = 20 where customer_id = 2",
        # insert then delete: no row then, none now, still touched
        "insert into operations.customers (customer_id, customer_name) values (4, 'Eva')",
        "delete from operations.customers where customer_id = 4",
        # insert then update
        "insert into operations.customers (customer_id, customer_name) values (5, 'Fabio')",
        "update operations.customers set customer_name = 'Fabio 2' where customer_id = 5",
        # deleted, then inserted again under the same key
        "delete from operations.customers where customer_id = 6",
        "insert into operations.customers (customer_id, customer_name) values (6, 'Dora 2')",
    ):
        source.execute(statement)
    replication.catch_up()

    assert first_images(warehouse, watermark, "customers", "customer_id") == {
        1: then[1], 2: then[2], 20: None, 4: None, 5: None, 6: then[6]}
    # The newest image of each touched key is its row now, so the deltas need not look it up.
    now = rows_as_jsonb(warehouse, "customers", "customer_id")
    assert newest_images(warehouse, watermark, "customers", "customer_id") == {
        key: now.get(key) for key in (1, 2, 20, 4, 5, 6)}
    # Unchanged tables and a watermark taken now have nothing to say.
    assert first_images(warehouse, watermark, "products", "product_id") == {}
    now = warehouse.execute("select pg_current_snapshot()::text").fetchone()[0]
    assert first_images(warehouse, now, "customers", "customer_id") == {}


def test_a_key_changed_within_one_source_transaction_keeps_both_keys(source, warehouse, replication):
    source.execute("insert into operations.orders (order_id, status) values (7, 'PENDING')")
    replication.start()
    then = rows_as_jsonb(warehouse, "orders", "order_id")
    watermark = warehouse.execute("select pg_current_snapshot()::text").fetchone()[0]
    with source.transaction():
        source.execute("update operations.orders set order_id = 8 where order_id = 7")
        source.execute("update operations.orders set order_id = 7, status = 'COMPLETED' where order_id = 8")
    replication.catch_up()

    assert first_images(warehouse, watermark, "orders", "order_id") == {7: then[7], 8: None}
    now = rows_as_jsonb(warehouse, "orders", "order_id")
    assert newest_images(warehouse, watermark, "orders", "order_id") == {7: now[7], 8: None}
