"""What the benchmarks share: a cluster pair of their own (.pg-bench, ports 55482/55483, or
ELT_BENCH_PG_DIR / ELT_BENCH_SOURCE_PORT / ELT_BENCH_WAREHOUSE_PORT so that two runs can share a
machine) and fresh databases on it."""

import os
import subprocess
import time
import sys
from contextlib import contextmanager
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "cli"))
PG_DIR = Path(os.environ.get("ELT_BENCH_PG_DIR", REPO / ".pg-bench"))
SOURCE_PORT = int(os.environ.get("ELT_BENCH_SOURCE_PORT", 55482))
WAREHOUSE_PORT = int(os.environ.get("ELT_BENCH_WAREHOUSE_PORT", 55483))
ENV = {**os.environ, "ELT_PG_DIR": str(PG_DIR), "SOURCE_PORT": str(SOURCE_PORT),
       "WAREHOUSE_PORT": str(WAREHOUSE_PORT)}


def dsn(port: int, db: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{db}"


def fresh(port: int, db: str) -> str:
    """An empty database of that name, dropping any earlier one."""
    with psycopg.connect(dsn(port, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {db} with (force)")
        conn.execute(f"create database {db}")
    return dsn(port, db)


def replication_password() -> str:
    return (PG_DIR / "replication_password").read_text().strip()


@contextmanager
def clusters():
    """Start the bench pair, and stop it whatever happens."""
    subprocess.run([str(REPO / "scripts" / "pg.sh"), "up"], env=ENV, check=True)
    os.environ["PGPASSFILE"] = str(PG_DIR / "pgpass")
    try:
        yield
    finally:
        subprocess.run([str(REPO / "scripts" / "pg.sh"), "down"], env=ENV, check=True)


def restart() -> None:
    """Stop and start the bench pair, data kept (pg_cron's launcher attaches at start)."""
    for action in ("down", "up"):
        subprocess.run([str(REPO / "scripts" / "pg.sh"), action], env=ENV, check=True)


def wait_synced(source, warehouse, subscription: str, timeout: float = 3600) -> float:
    """Until the subscription's initial copy is over and the apply worker has caught up with the
    source; returns the seconds it took."""
    from cli_app import generate
    started = time.monotonic()
    while warehouse.execute("select count(*) from pg_subscription_rel r join pg_subscription s"
                            " on s.oid = r.srsubid where s.subname = %s and r.srsubstate <> 'r'",
                            [subscription]).fetchone()[0]:
        if time.monotonic() - started > timeout:
            raise TimeoutError("initial copy")
        time.sleep(1)
    generate.wait_for_apply(source, source.execute("select pg_current_wal_lsn()::text").fetchone()[0], timeout)
    return time.monotonic() - started
