"""Bulk history for scale tests, loaded with COPY.

A burst of millions of rows can outrun the subscription's apply worker; WAL then piles up in
the slot until max_slot_wal_keep_size invalidates it
(docs/design.md#replication-facts-that-shape-the-design). So the load goes in batches, one
transaction each, and when the source has a replication slot for our publication every
batch waits until the slot has confirmed it: the load is paced to the apply rate. With no
slot yet (load before subscribing) it runs at full speed and the initial copy carries it.
"""

import io
import random
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

import psycopg

STATUSES_OPEN = ("PENDING", "PROCESSING", "REPROCESSING")
FIRST_NAMES = ("Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hugo")
LAST_NAMES = ("Silva", "Souza", "Costa", "Santos", "Oliveira", "Pereira")
PRODUCT_WORDS = ("Coffee", "Tea", "Rice", "Beans", "Soap", "Towel", "Lamp", "Chair")


@dataclass
class LoadReport:
    customers: int = 0
    products: int = 0
    orders: int = 0
    items: int = 0
    seconds: float = 0.0
    paced_batches: int = 0
    seconds_waiting_for_apply: float = 0.0


def reserve_ids(conn: psycopg.Connection, table: str, column: str, n: int) -> list[int]:
    """n ids drawn from the table's own sequence, so live traffic never collides with them."""
    rows = conn.execute(
        "select nextval(pg_get_serial_sequence(%s, %s)) from generate_series(1, %s)",
        [f"operations.{table}", column, n],
    ).fetchall()
    return [r[0] for r in rows]


def slot_lsn_lag(conn: psycopg.Connection, publication: str = "elt_operations") -> int | None:
    """Bytes of WAL the slowest logical slot of this database has not confirmed, or None when
    there is no slot (nobody subscribes yet)."""
    row = conn.execute(
        """
        select max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))::bigint, count(*)
        from pg_replication_slots
        where database = current_database() and slot_type = 'logical'
        """
    ).fetchone()
    return None if row[1] == 0 else int(row[0] or 0)


def wait_for_apply(conn: psycopg.Connection, target_lsn: str, timeout: float = 900) -> float:
    """Wait until every logical slot of this database has confirmed target_lsn."""
    started = time.monotonic()
    while True:
        behind = conn.execute(
            """
            select count(*) from pg_replication_slots
            where database = current_database() and slot_type = 'logical'
              and (confirmed_flush_lsn is null or confirmed_flush_lsn < %s::pg_lsn)
            """,
            [target_lsn],
        ).fetchone()[0]
        if behind == 0:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise TimeoutError(
                f"the subscriber has not confirmed {target_lsn} after {timeout:.0f}s: "
                "check `cli-app status` and the warehouse log"
            )
        time.sleep(0.2)


def _ts(d: date) -> str:
    return f"{d.isoformat()} 09:00:00"


def _copy_customers(conn, rng: random.Random, ids: list[int], now: str) -> None:
    buf = io.StringIO()
    for cid in ids:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        buf.write(f"{cid}\t{name}\tt\t{100 + int(rng.random() * 9900)} Market Street\t{now}\t0\t{now}\t0\n")
    with conn.cursor().copy(
        "copy operations.customers (customer_id, customer_name, is_active, customer_address,"
        " created_at, created_by, updated_at, updated_by) from stdin"
    ) as copy:
        copy.write(buf.getvalue())


def _copy_products(conn, rng: random.Random, ids: list[int], now: str) -> None:
    buf = io.StringIO()
    for pid in ids:
        name = f"{rng.choice(PRODUCT_WORDS)} {1 + int(rng.random() * 999)}"
        barcode = f"{int(rng.random() * 1e13):013d}"
        price = f"{1 + rng.random() * 199:.2f}"
        buf.write(f"{pid}\t{name}\t{barcode}\t{price}\tt\t{now}\t0\t{now}\t0\n")
    with conn.cursor().copy(
        "copy operations.products (product_id, product_name, barcode, unity_price, is_active,"
        " created_at, created_by, updated_at, updated_by) from stdin"
    ) as copy:
        copy.write(buf.getvalue())


def _copy_orders_and_items(conn, rng: random.Random, order_ids: list[int], customer_ids: list[int],
                           product_ids: list[int], days: int, today: date) -> int:
    orders = io.StringIO()
    items = io.StringIO()
    n_items = 0
    rand = rng.random
    n_customers, n_products = len(customer_ids), len(product_ids)
    for oid in order_ids:
        ordered = today - timedelta(days=int(rand() * days))
        delivery = ordered + timedelta(days=1 + int(rand() * 14))
        # Old orders are nearly all delivered; recent ones are still on their way.
        if delivery < today - timedelta(days=7) and rand() < 0.97:
            status = "COMPLETED"
        else:
            status = STATUSES_OPEN[int(rand() * 3)] if rand() < 0.8 else "COMPLETED"
        ts = _ts(ordered)
        orders.write(f"{oid}\t{ordered}\t{delivery}\t{customer_ids[int(rand() * n_customers)]}"
                     f"\t{status}\t{ts}\t0\t{ts}\t0\n")
        for _ in range(1 + int(rand() * 9)):
            items.write(f"{oid}\t{product_ids[int(rand() * n_products)]}\t{1 + int(rand() * 10)}"
                        f"\t{ts}\t0\t{ts}\t0\n")
            n_items += 1
    cur = conn.cursor()
    with cur.copy("copy operations.orders (order_id, order_date, delivery_date, customer_id, status,"
                  " created_at, created_by, updated_at, updated_by) from stdin") as copy:
        copy.write(orders.getvalue())
    with cur.copy("copy operations.order_items (order_id, product_id, quanity,"
                  " created_at, created_by, updated_at, updated_by) from stdin") as copy:
        copy.write(items.getvalue())
    return n_items


def load_history(conn: psycopg.Connection, orders: int, days: int, customers: int | None = None,
                 products: int | None = None, batch_orders: int = 50_000, seed: int | None = None,
                 progress: Callable[[int], None] = lambda n: None) -> LoadReport:
    """Load `orders` orders (about 5 items each) spread over the last `days` days, with new
    customers and products for them. `progress` is called with the orders done per batch."""
    if orders < 1 or days < 1:
        raise ValueError("orders and days must be at least 1")
    customers = customers if customers is not None else max(10, orders // 20)
    products = products if products is not None else max(10, orders // 200)
    rng = random.Random(seed)
    today = date.today()
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    report = LoadReport()
    started = time.monotonic()

    with conn.transaction():
        customer_ids = reserve_ids(conn, "customers", "customer_id", customers)
        product_ids = reserve_ids(conn, "products", "product_id", products)
        _copy_customers(conn, rng, customer_ids, now)
        _copy_products(conn, rng, product_ids, now)
    report.customers, report.products = customers, products
    report.seconds_waiting_for_apply += _pace(conn, report)

    done = 0
    while done < orders:
        n = min(batch_orders, orders - done)
        with conn.transaction():
            order_ids = reserve_ids(conn, "orders", "order_id", n)
            report.items += _copy_orders_and_items(conn, rng, order_ids, customer_ids, product_ids,
                                                   days, today)
        done += n
        report.orders = done
        report.seconds_waiting_for_apply += _pace(conn, report)
        progress(n)
    report.seconds = time.monotonic() - started
    return report


def _pace(conn: psycopg.Connection, report: LoadReport) -> float:
    if slot_lsn_lag(conn) is None:
        return 0.0
    report.paced_batches += 1
    lsn = conn.execute("select pg_current_wal_lsn()::text").fetchone()[0]
    return wait_for_apply(conn, lsn)
