"""elt.prewarm: the deploy reads into shared buffers what the deltas and folds look up by key,
as far as it fits, and says what it loaded."""

import psycopg
import pytest

from cli_app import deploy
from test_maintenance import JOBS

LOOKUPS = ["operations.customers_pkey", "operations.products_pkey", "operations.orders_pkey",
           "operations.order_items_order_id_covering", "operations.orders"]


@pytest.fixture
def warehouse_with_orders(warehouse):
    """A few thousand orders with items written into the copies as the subscription writes
    (session_replication_role = replica): pages to load."""
    warehouse.execute("set session_replication_role = replica")
    warehouse.execute("insert into operations.customers (customer_id, customer_name)"
                      " select g, 'customer ' || g from generate_series(1, 500) as g")
    warehouse.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                      " select g, 'product ' || g, 'barcode ' || g, 1 from generate_series(1, 100) as g")
    warehouse.execute("insert into operations.orders (order_id, customer_id, status)"
                      " select g, 1 + g % 500, 'PENDING' from generate_series(1, 3000) as g")
    warehouse.execute("insert into operations.order_items (order_item_id, order_id, product_id, quanity)"
                      " select g, 1 + g % 3000, 1 + g % 100, 1 from generate_series(1, 9000) as g")
    warehouse.execute("reset session_replication_role")
    warehouse.execute("create extension if not exists pg_buffercache")
    return warehouse


def blocks(conn, relation: str) -> int:
    return conn.execute("select pg_relation_size(%s::regclass) / 8192", [relation]).fetchone()[0]


def cached_blocks(conn, relation: str) -> int:
    """Blocks of the relation in shared buffers now (pg_buffercache)."""
    return conn.execute("select count(*) from pg_buffercache as b"
                        " where b.relfilenode = pg_relation_filenode(%s::regclass)"
                        " and b.reldatabase = (select oid from pg_database where datname = current_database())",
                        [relation]).fetchone()[0]


def test_prewarm_reads_every_lookup_into_shared_buffers(warehouse_with_orders):
    conn = warehouse_with_orders
    # The indexes out of shared buffers first (rebuilt, they are written past them), so the test
    # sees prewarm load them, not find them there.
    for table in ("customers", "products", "orders", "order_items"):
        conn.execute(f"vacuum full operations.{table}")
    assert all(cached_blocks(conn, r) == 0 for r in LOOKUPS[:4])
    rows = conn.execute("select relation::text, blocks_loaded from elt.prewarm()").fetchall()
    assert [name for name, _ in rows] == LOOKUPS
    assert dict(rows) == {r: blocks(conn, r) for r in LOOKUPS}
    assert all(blocks(conn, r) > 0 and cached_blocks(conn, r) == blocks(conn, r) for r in LOOKUPS)
    assert deploy.prewarm(conn).endswith("(5 of 5 relations)")


def test_prewarm_stops_at_its_share_of_shared_buffers(warehouse_with_orders):
    conn = warehouse_with_orders
    shared_buffers = conn.execute("select setting::bigint * 8192 from pg_settings"
                                  " where name = 'shared_buffers'").fetchone()[0]
    # The first two and half a page more: the share, a fraction, need not multiply back exactly,
    # and the third (a block at least) must not fit.
    fits = sum(blocks(conn, r) * 8192 for r in LOOKUPS[:2]) + 4096
    rows = conn.execute("select relation::text, blocks_loaded from elt.prewarm(%s)",
                        [fits / shared_buffers]).fetchall()
    assert dict(rows) == {**{r: blocks(conn, r) for r in LOOKUPS[:2]}, **{r: None for r in LOOKUPS[2:]}}


def test_the_hourly_job_loads_them_as_elt_owner(warehouse_with_orders):
    """pg_cron runs prewarm-lookups as elt_owner, who reads the copies but owns none of them."""
    conn = warehouse_with_orders
    command = JOBS["prewarm-lookups"][1]
    conn.execute("set role elt_owner")
    assert conn.execute(command).fetchone()[0] == len(LOOKUPS)
    rows = conn.execute("select relation::text, blocks_loaded from elt.prewarm()").fetchall()
    conn.execute("reset role")
    assert dict(rows) == {r: blocks(conn, r) for r in LOOKUPS}


@pytest.mark.parametrize("share", [0, -0.5, 1.5, None])
def test_prewarm_refuses_a_share_that_is_not_one(warehouse, share):
    with pytest.raises(psycopg.errors.RaiseException, match="share_of_buffers must be above 0 and at most 1"):
        warehouse.execute("select * from elt.prewarm(%s::float8)", [share])
