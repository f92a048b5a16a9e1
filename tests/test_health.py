"""cli/cli_app/health.py: a dead apply worker and an invalidated slot are reported, not silent."""

import psycopg
import pytest

from cli_app import health
from conftest import SOURCE_PORT, dsn, wait_until


def states(checks):
    return {c.name: c.state for c in checks}


def test_a_healthy_pipeline_passes(source, warehouse, replication):
    replication.start()
    checks = health.warehouse_checks(warehouse, replication.name) + health.source_checks(source, replication.name)
    assert health.healthy(checks), checks
    assert set(states(checks).values()) == {"ok"}


def test_a_missing_subscription_fails(warehouse):
    assert states(health.warehouse_checks(warehouse, "nope")) == {"subscription": "fail"}


def test_an_apply_conflict_is_reported(source, warehouse, replication):
    replication.start()
    # A row the subscription did not write (bypassing the guard trigger as the apply worker
    # would): the next replicated insert of the same key fails, and the apply worker loops.
    warehouse.execute("set session_replication_role = replica")
    warehouse.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                      " values (1, 'intruder', '0', 1)")
    warehouse.execute("reset session_replication_role")
    source.execute("insert into operations.products (product_id, product_name, barcode, unity_price)"
                   " values (1, 'Coffee 1', '1', 2)")
    wait_until(lambda: states(health.warehouse_checks(warehouse, replication.name))["apply errors"] == "fail",
               30, "the apply error to be counted")
    assert not health.healthy(health.warehouse_checks(warehouse, replication.name))


def test_a_disabled_subscription_fails(source, warehouse, replication):
    replication.start()
    warehouse.execute(f"alter subscription {replication.name} disable")
    assert states(health.warehouse_checks(warehouse, replication.name))["subscription"] == "fail"
    wait_until(lambda: states(health.source_checks(source, replication.name))["slot"] != "ok", 30,
               "the slot to go inactive")


@pytest.fixture
def small_slot_limit():
    """max_slot_wal_keep_size is cluster-wide: shrink it for one test, then restore it."""
    with psycopg.connect(dsn(SOURCE_PORT, "postgres"), autocommit=True) as admin:
        admin.execute("alter system set max_slot_wal_keep_size = '32MB'")
        admin.execute("select pg_reload_conf()")
        yield admin
        admin.execute("alter system reset max_slot_wal_keep_size")
        admin.execute("select pg_reload_conf()")


def test_an_invalidated_slot_is_reported(source, warehouse, replication, small_slot_limit):
    replication.start()
    warehouse.execute(f"alter subscription {replication.name} disable")
    wait_until(lambda: not source.execute("select active from pg_replication_slots where slot_name = %s",
                                          [replication.name]).fetchone()[0], 30, "the slot to go inactive")
    # Write and switch past the limit while nobody consumes the slot; a checkpoint then
    # removes the WAL and invalidates it.
    for _ in range(4):
        source.execute("insert into operations.customers (customer_name) select 'x' || g from generate_series(1, 20000) g")
        source.execute("select pg_switch_wal()")
    source.execute("checkpoint")
    wait_until(lambda: source.execute("select wal_status from pg_replication_slots where slot_name = %s",
                                      [replication.name]).fetchone()[0] == "lost", 30, "invalidation")
    slot = health.source_checks(source, replication.name)[0]
    assert slot.state == "fail" and "invalidated" in slot.detail
    # The apply worker can no longer read the slot: once re-enabled it fails in a loop.
    warehouse.execute(f"alter subscription {replication.name} enable")
    wait_until(lambda: not health.healthy(health.warehouse_checks(warehouse, replication.name)), 60,
               "the warehouse checks to fail")
