"""Real clusters for the tests: the embedded source and warehouse of scripts/pg.sh, in their own
directory and ports (.pg-test, 55442/55443) so a test run never touches the demo's data.

Each test gets a fresh source database and a fresh warehouse database cloned from migrated
templates (pytest-postgresql's NoopExecutor + janitor), and, where it asks for `replication`,
a subscription between the two, dropped before its publisher at teardown."""

import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories

from cli_app import deploy

REPO = Path(__file__).resolve().parents[1]
TEST_PG_DIR = Path(os.environ.get("ELT_TEST_PG_DIR", REPO / ".pg-test"))
SOURCE_PORT = int(os.environ.get("ELT_TEST_SOURCE_PORT", 55442))
WAREHOUSE_PORT = int(os.environ.get("ELT_TEST_WAREHOUSE_PORT", 55443))
REPLICATION_PASSWORD_FILE = TEST_PG_DIR / "replication_password"
TEST_CLUSTER_ENV = {"ELT_PG_DIR": str(TEST_PG_DIR), "SOURCE_PORT": str(SOURCE_PORT),
                    "WAREHOUSE_PORT": str(WAREHOUSE_PORT)}


def pg_sh(command: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "scripts" / "pg.sh"), command], env={**os.environ, **TEST_CLUSTER_ENV},
                          capture_output=True, text=True)


def _start_test_clusters() -> None:
    result = pg_sh("up")
    assert result.returncode == 0, result.stderr
    # The clients (psycopg, libpq tools, yoyo) find the generated password here.
    os.environ["PGPASSFILE"] = str(TEST_PG_DIR / "pgpass")
    # The logical replication launcher starts no apply worker within wal_retrieve_retry_interval
    # (5 s) of the last one it started, so each test's new subscription waited ~5 s for the one
    # before it: most of the suite's time. Only the test clusters go faster; in production 5 s
    # keeps a failing worker from restarting in a tight loop.
    with psycopg.connect(dsn(WAREHOUSE_PORT, "postgres"), autocommit=True) as conn:
        if conn.execute("show wal_retrieve_retry_interval").fetchone()[0] != "100ms":
            conn.execute("alter system set wal_retrieve_retry_interval = '100ms'")
            conn.execute("select pg_reload_conf()")


def dsn(port: int, dbname: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{dbname}"


_start_test_clusters()


def replication_password() -> str:
    return REPLICATION_PASSWORD_FILE.read_text().strip()


def load_source(host, port, user, dbname, password, **_):
    source = dsn(port, dbname)
    deploy.migrate(source, "source")
    with psycopg.connect(source, autocommit=True) as conn:
        deploy.apply_objects(conn, "source")
        deploy.publish(conn, replication_password())


def role_passwords() -> dict[str, str]:
    return {role: (TEST_PG_DIR / f"{role.removeprefix('elt_')}_password").read_text().strip()
            for role in deploy.ROLES}


def load_warehouse(host, port, user, dbname, password, **_):
    warehouse = dsn(port, dbname)
    deploy.migrate(warehouse, "warehouse")
    with psycopg.connect(warehouse, autocommit=True) as conn:
        deploy.apply_objects(conn, "warehouse")
        deploy.set_passwords(conn, role_passwords())


source_server = factories.postgresql_noproc(
    host="127.0.0.1", port=SOURCE_PORT, user="postgres", dbname="test_source", load=[load_source])
warehouse_server = factories.postgresql_noproc(
    host="127.0.0.1", port=WAREHOUSE_PORT, user="postgres", dbname="test_warehouse", load=[load_warehouse])
source_db = factories.postgresql("source_server")
warehouse_db = factories.postgresql("warehouse_server")


@pytest.fixture
def source(source_db) -> psycopg.Connection:
    """A migrated, published, empty source database; autocommit, as applications write."""
    source_db.autocommit = True
    return source_db


@pytest.fixture
def warehouse(warehouse_db) -> psycopg.Connection:
    """A migrated warehouse database, not yet subscribed; autocommit."""
    warehouse_db.autocommit = True
    deploy.database_privileges(warehouse_db)
    return warehouse_db


def source_conninfo(conn: psycopg.Connection) -> str:
    return deploy.subscription_conninfo(dsn(SOURCE_PORT, conn.info.dbname), replication_password())


class Replication:
    """A live subscription from the test source database to the test warehouse database."""

    def __init__(self, source: psycopg.Connection, warehouse: psycopg.Connection):
        self.source, self.warehouse = source, warehouse
        self.name = f"test_{warehouse.info.dbname}"

    def start(self) -> "Replication":
        deploy.subscribe(self.warehouse, source_conninfo(self.source), name=self.name)
        self.wait_for_sync()
        return self

    def stop(self) -> None:
        try:
            deploy.unsubscribe(self.warehouse, self.name)
        except psycopg.OperationalError:
            # The test restarted the warehouse server under this connection.
            with psycopg.connect(self.warehouse.info.dsn, password=self.warehouse.info.password,
                                 autocommit=True) as conn:
                deploy.unsubscribe(conn, self.name)

    def wait_for_sync(self, timeout: float = 120) -> None:
        """Until every table has finished its initial copy and the apply worker has caught up."""
        wait_until(lambda: self.warehouse.execute(
            "select count(*) = 0 from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid"
            " where s.subname = %s and r.srsubstate <> 'r'", [self.name]).fetchone()[0],
            timeout, "initial copy")
        self.catch_up(timeout)

    def catch_up(self, timeout: float = 60) -> None:
        """Until the warehouse has applied everything the source has committed so far."""
        lsn = self.source.execute("select pg_current_wal_lsn()").fetchone()[0]
        wait_until(lambda: self.source.execute(
            "select confirmed_flush_lsn >= %s from pg_replication_slots where slot_name = %s",
            [lsn, self.name]).fetchone()[0], timeout, "apply")


def stop_cron_jobs(conn: psycopg.Connection) -> None:
    """Unschedule every pg_cron job of the cluster's `warehouse` database and end the loops
    running: outside background workers, pg_cron's launcher waits in poll() while a job runs and
    answers no ProcSignalBarrier, so every DROP DATABASE (each test's teardown) waited for the
    running maintenance loops to end their minute (57 s per test, measured)."""
    conn.execute("select cron.unschedule(jobid) from cron.job")
    conn.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                 " where datname = current_database() and query like 'call elt.maintain%%'"
                 " and pid <> pg_backend_pid()")


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not finish within {timeout}s")
        time.sleep(0.05)


@pytest.fixture
def replication(source, warehouse):
    """Subscribe the warehouse to the source; dropped (with its slot) before either database."""
    rep = Replication(source, warehouse)
    yield rep
    rep.stop()


def table_rows(conn: psycopg.Connection, table: str) -> list[tuple]:
    key = {"customers": "customer_id", "products": "product_id", "orders": "order_id",
           "order_items": "order_item_id"}[table]
    return conn.execute(f"select * from operations.{table} order by {key}").fetchall()


TABLES = ("customers", "products", "orders", "order_items")


@pytest.fixture
def replicated(replication):
    """A subscription already started (initial copy done): for tests, hypothesis ones included,
    that run many examples over one replicated pair."""
    return replication.start()
