"""A server of the pair stopped under write load (issue 9, points 2 and 3): the warehouse stopped
and started again, or the source restarted, while the shop keeps writing. Afterwards staging
equals the source exactly (row count and checksum per table), the changelog explains every row
with neither gap nor duplicate, and the answers equal their recompute. Each test prints what
the README's "What happens when..." reports: how long the fault lasted, rows written during it,
rows lost, and how long recovery took."""

import os
import random
import subprocess
import threading
import time

import psycopg
import pytest

from analytics_changes import check_in_one_snapshot
from conftest import TABLES, TEST_PG_DIR, wait_until

PG_BIN = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
KEYS = {"customers": "customer_id", "products": "product_id", "orders": "order_id", "order_items": "order_item_id"}


def pg_ctl(side: str, action: str) -> None:
    """Stop or start one of the test clusters, as the OS user that owns it."""
    command = [f"{PG_BIN}/pg_ctl", "-D", str(TEST_PG_DIR / "data" / side), "-w", "-t", "60"]
    command += ["-m", "fast", "stop"] if action == "stop" else ["-l", str(TEST_PG_DIR / "data" / side / "startup.log"),
                                                              "start"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", os.environ.get("ELT_PG_OS_USER", "postgres"), "--", *command]
    subprocess.run(command, check=True, capture_output=True, cwd="/")


def reconnect(conn: psycopg.Connection) -> psycopg.Connection:
    return psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True)


class Shop:
    """The shop writing, one small transaction after another, through a server that may go away:
    a write that fails is not counted (the shop would retry it), one that commits is."""

    def __init__(self, source: psycopg.Connection):
        self.dsn, self.password = source.info.dsn, source.info.password
        self.committed = 0
        self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.log: list[tuple[float, int]] = []

    def run(self) -> None:
        rng = random.Random(9)
        conn = None
        while not self.stop.is_set():
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.dsn, password=self.password, autocommit=True, connect_timeout=2)
                kind = rng.randrange(4)
                if kind == 0:
                    conn.execute("call shop.place_orders(3)")
                elif kind == 1:
                    conn.execute("call shop.advance_orders(4)")
                elif kind == 2:
                    conn.execute("call shop.change_addresses(2)")
                else:
                    conn.execute("delete from operations.order_items where order_item_id ="
                                 " (select min(order_item_id) from operations.order_items)")
                self.committed += 1
                self.log.append((time.monotonic(), self.committed))
            except psycopg.OperationalError:
                self.failed += 1
                conn = None
                time.sleep(0.1)
        if conn is not None:
            conn.close()

    def committed_between(self, start: float, end: float) -> int:
        inside = [n for t, n in self.log if start <= t <= end]
        return (max(inside) - min(inside) + 1) if inside else 0


def table_fingerprint(conn: psycopg.Connection, table: str) -> tuple[int, str]:
    return conn.execute(f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t.{KEYS[table]}), ''))"
                        f" from operations.{table} as t").fetchone()


def changelog_problems(warehouse: psycopg.Connection, table: str) -> dict[str, int]:
    """Replaying a table's log must give each key's life in order: each entry's old row is the
    previous entry's new row (no change lost in between, none applied twice), and the last new
    row is the current row."""
    key = KEYS[table]
    return dict(zip(("broken chain", "last image differs", "row without entry", "duplicate id"),
                    warehouse.execute(f"""
        with entries as (
            select c.change_id, c.operation, c.old_row, c.new_row,
                   coalesce((c.new_row).{key}, (c.old_row).{key}) as key,
                   lag(c.new_row) over (partition by coalesce((c.new_row).{key}, (c.old_row).{key})
                                        order by c.change_id) as previous_new,
                   row_number() over (partition by coalesce((c.new_row).{key}, (c.old_row).{key})
                                      order by c.change_id desc) as from_last
            from staging.{table}_changes as c)
        select
            (select count(*) from entries e where e.old_row is distinct from e.previous_new),
            (select count(*) from entries e left join operations.{table} t on t.{key} = e.key
             where e.from_last = 1 and e.new_row is distinct from (case when t.{key} is null then null else t end)),
            (select count(*) from operations.{table} t where not exists (select from entries e where e.key = t.{key})),
            (select count(*) - count(distinct c.change_id) from staging.{table}_changes c)
        """).fetchone()))


def assert_exact(source, warehouse) -> None:
    for table in TABLES:
        assert table_fingerprint(warehouse, table) == table_fingerprint(source, table), table
        assert changelog_problems(warehouse, table) == dict.fromkeys(
            ("broken chain", "last image differs", "row without entry", "duplicate id"), 0), table
    warehouse.execute("call elt.fold()")
    assert check_in_one_snapshot(warehouse) == {}


@pytest.fixture
def shop_with_history(source, replicated):
    source.execute("call shop.add_customers(50)")
    source.execute("call shop.add_products(20)")
    source.execute("call shop.place_orders(200)")
    replicated.catch_up()
    return replicated


def test_the_warehouse_stopped_under_load_catches_up_exactly(source, warehouse, shop_with_history):
    replication = shop_with_history
    shop = Shop(source)
    shop.thread.start()
    try:
        time.sleep(1)
        down = time.monotonic()
        pg_ctl("warehouse", "stop")
        time.sleep(4)
        pg_ctl("warehouse", "start")
        up = time.monotonic()
        time.sleep(1)
    finally:
        shop.stop.set()
        shop.thread.join(30)
    during = shop.committed_between(down, up)
    replication.catch_up(120)
    recovered = time.monotonic()
    print(f"\nwarehouse down {up - down:.1f}s; {during} source transactions committed meanwhile "
          f"({shop.committed} in all, {shop.failed} failed); caught up {recovered - up:.1f}s after restart")
    assert during > 0 and shop.failed == 0
    with reconnect(warehouse) as warehouse:
        assert_exact(source, warehouse)


def test_the_source_restarted_under_load_loses_nothing(source, warehouse, shop_with_history):
    replication = shop_with_history
    shop = Shop(source)
    shop.thread.start()
    try:
        time.sleep(1)
        down = time.monotonic()
        pg_ctl("source", "stop")
        time.sleep(2)
        pg_ctl("source", "start")
        up = time.monotonic()
        wait_until(lambda: shop.committed_between(up, time.monotonic()) > 5, 30, "the shop to write again")
    finally:
        shop.stop.set()
        shop.thread.join(30)
    with reconnect(source) as source:
        replication.source = source
        replication.catch_up(120)
        recovered = time.monotonic()
        print(f"\nsource down {up - down:.1f}s; {shop.failed} shop transaction(s) refused while it was down, "
              f"{shop.committed} committed in all; warehouse caught up {recovered - up:.1f}s after restart")
        assert shop.failed > 0
        assert_exact(source, warehouse)
