"""The peers of bench/peers_bench.py answer the same four questions as ours: the dbt project's
models (their SQL, rendered without dbt, which is a bench-only extra) and the batch job equal
analytics.<name>_recompute on a small replicated pair with rows of every quarantine rule; and the
batch job's blind spot, a deleted order, is real (the bench counts what it costs)."""

import re
import sys
from collections import Counter

from conftest import REPO, SOURCE_PORT, WAREHOUSE_PORT, dsn

sys.path.insert(0, str(REPO / "bench" / "peers"))
import batch_job  # noqa: E402

ANSWERS = ("open_orders", "top_dates", "pending_items", "top_customers")
MODELS = REPO / "bench" / "peers" / "dbt" / "models"


def render(model: str) -> str:
    """The model's SQL as dbt would run it as a view: sources and refs resolved, no config, no
    incremental filter."""
    text = (MODELS / f"{model}.sql").read_text()
    text = re.sub(r"\{\{\s*config\(.*?\)\s*\}\}", "", text, flags=re.S)
    text = re.sub(r"\{%\s*if is_incremental\(\)\s*%\}.*?\{%\s*endif\s*%\}", "", text, flags=re.S)
    text = re.sub(r"\{\{\s*source\('operations',\s*'(\w+)'\)\s*\}\}", r"operations.\1", text)
    return re.sub(r"\{\{\s*ref\('(\w+)'\)\s*\}\}", r"peer_dbt.\1", text)


def differences(warehouse, schema: str) -> dict:
    out = {}
    for name in ANSWERS:
        peer = Counter(warehouse.execute(f"select * from {schema}.{name}").fetchall())
        truth = Counter(warehouse.execute(f"select * from analytics.{name}_recompute").fetchall())
        out[name] = sum(((peer - truth) + (truth - peer)).values())
    return out


def test_the_dbt_models_and_the_batch_job_answer_as_the_recompute_until_a_delete(source, warehouse, replicated):
    source.execute("insert into operations.customers (customer_id, customer_name) values"
                   " (1, 'Ana Silva'), (2, 'Bo Chen'), (3, 'Cy Diaz'), (4, 'Di Eze')")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price) values"
                   " (1, 'Coffee 1', '0000000000001', 3.5), (2, 'Tea 2', '0000000000002', 2.0)")
    # Clean orders over three dates and four customers, and one of each quarantine rule.
    source.execute("""
        insert into operations.orders (order_id, customer_id, status, order_date, delivery_date, created_at) values
            (1, 1, 'PENDING', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (2, 1, 'PROCESSING', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (3, 2, 'REPROCESSING', '2026-01-01', '2026-01-04', '2026-01-01 09:00'),
            (4, 2, 'COMPLETED', '2026-01-01', '2026-01-04', '2026-01-01 09:00'),
            (5, 3, 'PENDING', '2026-01-02', '2026-01-05', '2026-01-02 09:00'),
            (6, 4, 'PENDING', '2026-01-02', null, '2026-01-02 09:00'),
            (7, 1, 'PENDING', null, null, null),
            (20, 99, 'PENDING', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (21, 1, 'LOST', '2026-01-01', '2026-01-03', '2026-01-01 09:00'),
            (22, 1, 'PENDING', '2026-01-05', '2026-01-03', '2026-01-01 09:00'),
            (23, 1, 'PENDING', '2042-01-01', null, '2026-01-01 09:00')""")
    source.execute("""
        insert into operations.order_items (order_item_id, order_id, product_id, quanity) values
            (1, 1, 1, 2), (2, 1, 2, 3), (3, 2, 1, 1), (4, 3, 2, 5), (5, 4, 1, 7), (6, 5, 1, 0), (7, 6, 2, 4),
            (8, 1, 1, null), (9, 1, 1, -1), (10, 1, 42, 1), (11, 77, 1, 1), (12, 20, 1, 1), (13, 22, 2, 2)""")
    replicated.catch_up()

    warehouse.execute("create schema peer_dbt")
    for model in ("clean_orders", "clean_order_items"):
        warehouse.execute(f"create view peer_dbt.{model} as {render(model)}")
    for name in ANSWERS:
        warehouse.execute(f"create table peer_dbt.{name} as {render(name)}")
    assert differences(warehouse, "peer_dbt") == dict.fromkeys(ANSWERS, 0)

    source_dsn, warehouse_dsn = dsn(SOURCE_PORT, source.info.dbname), dsn(WAREHOUSE_PORT, warehouse.info.dbname)
    batch_job.run(source_dsn, warehouse_dsn)
    assert differences(warehouse, "peer_batch") == dict.fromkeys(ANSWERS, 0)
    assert warehouse.execute("select count(*) from analytics.pending_items_recompute").fetchone()[0] == 2

    # An open order goes away with its items: ours follows, the batch job cannot see it.
    source.execute("delete from operations.order_items where order_id = 5")
    source.execute("delete from operations.orders where order_id = 5")
    replicated.catch_up()
    batch_job.run(source_dsn, warehouse_dsn)
    # Its (2026-01-05, PENDING, 1) stays; customer 3 stays in its top 3, where customer 4 now is.
    assert differences(warehouse, "peer_batch") == {"open_orders": 1, "top_dates": 0, "pending_items": 0,
                                                    "top_customers": 2}
