#!/usr/bin/env python3
"""The batch peer of bench/peers_bench.py: the design of the reference solutions. Each run pulls
the source rows whose updated_at is newer than the newest one it has seen into warehouse tables
(schema peer_batch), upserts them by primary key, and recomputes the four answers from those
tables, each replaced in one transaction.

    .venv/bin/python bench/peers/batch_job.py SOURCE_DSN WAREHOUSE_DSN

Two ways it goes wrong, both kept on purpose because they are the design's: it never sees a
deleted row (the row stays in its copy and in the answers), and a transaction whose updated_at
(its start time, localtimestamp) is older than the newest row already pulled, because it
committed after that pull, is never pulled. bench/peers_bench.py counts both."""

import sys
import time

import psycopg

# Each source table: its primary key and the columns the answers need.
TABLES = {
    "customers": ("customer_id", ["customer_id", "customer_name", "updated_at"]),
    "products": ("product_id", ["product_id", "updated_at"]),
    "orders": ("order_id", ["order_id", "order_date", "delivery_date", "customer_id", "status",
                            "created_at", "updated_at"]),
    "order_items": ("order_item_id", ["order_item_id", "order_id", "product_id", "quanity", "updated_at"]),
}

SETUP = """
create schema if not exists peer_batch;
comment on schema peer_batch is 'The batch peer of bench/peers_bench.py: copies of the source tables pulled by updated_at, and its four answers.';
create table if not exists peer_batch.watermark (table_name text primary key, updated_at timestamp not null);
comment on table peer_batch.watermark is 'Per source table, the newest updated_at pulled so far.';
comment on column peer_batch.watermark.table_name is 'Source table in schema operations.';
comment on column peer_batch.watermark.updated_at is 'Newest updated_at among its pulled rows: the next pull takes newer ones.';
create table if not exists peer_batch.customers (customer_id bigint primary key, customer_name text, updated_at timestamp);
create table if not exists peer_batch.products (product_id bigint primary key, updated_at timestamp);
create table if not exists peer_batch.orders (order_id bigint primary key, order_date date, delivery_date date,
    customer_id bigint, status text, created_at timestamp, updated_at timestamp);
create table if not exists peer_batch.order_items (order_item_id bigint primary key, order_id bigint,
    product_id bigint, quanity integer, updated_at timestamp);
create index if not exists order_items_order_id on peer_batch.order_items (order_id);
"""

# The answers, as the clean schema defines them (clean.order_rule, clean.order_item_rule).
ANSWERS = {
    "open_orders": """
        select o.delivery_date, o.status, count(*) as open_orders
        from peer_batch.clean_orders as o where o.status <> 'COMPLETED'
        group by o.delivery_date, o.status""",
    "top_dates": """
        select o.delivery_date, count(*) as open_orders
        from peer_batch.clean_orders as o where o.status <> 'COMPLETED'
        group by o.delivery_date order by open_orders desc, o.delivery_date asc nulls last limit 3""",
    "pending_items": """
        select i.product_id, sum(i.quanity) as pending_items
        from peer_batch.order_items as i
        join peer_batch.products as p on p.product_id = i.product_id
        join peer_batch.clean_orders as o on o.order_id = i.order_id
        where o.status <> 'COMPLETED' and i.quanity >= 0
        group by i.product_id having sum(i.quanity) <> 0""",
    "top_customers": """
        with top as (
            select o.customer_id, count(*) as pending_orders
            from peer_batch.clean_orders as o where o.status <> 'COMPLETED'
            group by o.customer_id order by pending_orders desc, o.customer_id asc limit 3)
        select top.customer_id, c.customer_name, top.pending_orders
        from top left join peer_batch.customers as c on c.customer_id = top.customer_id
        order by top.pending_orders desc, top.customer_id asc""",
}

CLEAN_ORDERS = """
create or replace view peer_batch.clean_orders as
select o.order_id, o.order_date, o.delivery_date, o.customer_id, o.status
from peer_batch.orders as o
join peer_batch.customers as c on c.customer_id = o.customer_id
where o.status in ('PENDING', 'PROCESSING', 'REPROCESSING', 'COMPLETED')
  and not coalesce(o.delivery_date < o.order_date, false)
  and not coalesce(greatest(o.order_date, o.delivery_date) > coalesce(o.created_at::date, o.order_date) + 366, false);
comment on view peer_batch.clean_orders is 'The batch copy of the orders that pass the rules of clean.order_rule.';
"""


def setup(warehouse) -> None:
    warehouse.execute(SETUP)
    warehouse.execute(CLEAN_ORDERS)


def pull(source, warehouse, table: str) -> int:
    """Rows of one table changed since the watermark, streamed source → warehouse by COPY and
    upserted; returns how many."""
    key, columns = TABLES[table]
    cols = ", ".join(columns)
    since = warehouse.execute("select updated_at from peer_batch.watermark where table_name = %s",
                              [table]).fetchone()
    warehouse.execute(f"create temp table if not exists pulled_{table} (like peer_batch.{table})"
                      " on commit delete rows")
    query = f"copy (select {cols} from operations.{table}"
    query += " where updated_at > %s)" if since else ")"
    with source.cursor() as out, warehouse.cursor() as into:
        with out.copy(query + " to stdout", since or None) as reader, \
                into.copy(f"copy pulled_{table} ({cols}) from stdin") as writer:
            for block in reader:
                writer.write(block)
    changes = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
    count = warehouse.execute(f"insert into peer_batch.{table} ({cols}) select {cols} from pulled_{table}"
                              f" on conflict ({key}) do update set {changes}").rowcount
    warehouse.execute("insert into peer_batch.watermark (table_name, updated_at)"
                      f" select %s, max(updated_at) from pulled_{table} having max(updated_at) is not null"
                      " on conflict (table_name) do update set updated_at = excluded.updated_at",
                      [table])
    return count


def run(source_dsn: str, warehouse_dsn: str) -> dict:
    """One run: pull every table, then replace the four answers. Returns rows pulled and seconds."""
    started = time.perf_counter()
    report = {"pulled": {}}
    with psycopg.connect(source_dsn) as source, psycopg.connect(warehouse_dsn) as warehouse:
        setup(warehouse)
        warehouse.commit()
        # One snapshot of the source for the whole pull, as a careful job would take.
        source.execute("set transaction isolation level repeatable read")
        for table in TABLES:
            report["pulled"][table] = pull(source, warehouse, table)
        source.rollback()
        warehouse.commit()
        report["pull_s"] = round(time.perf_counter() - started, 3)
        warehouse.execute("analyze peer_batch.orders, peer_batch.order_items")
        for name, query in ANSWERS.items():
            warehouse.execute(f"drop table if exists peer_batch.{name}")
            warehouse.execute(f"create table peer_batch.{name} as {query}")
            warehouse.execute(f"comment on table peer_batch.{name} is 'The batch peer''s {name}.'")
        warehouse.commit()
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    import json
    print(json.dumps(run(sys.argv[1], sys.argv[2])))
