"""A lost slot (issue 9, point 5): once max_slot_wal_keep_size has invalidated it, `cli-app
resync` rebuilds staging from a fresh copy, rebuilds the aggregates from it, and the warehouse
is exact again (commands/resync.py)."""

import json

from cli_support import cli_env, run_cli  # noqa: F401
from conftest import replication_password, wait_until
from test_health import small_slot_limit  # noqa: F401
from test_server_faults import assert_exact


def slot_state(source, name):
    row = source.execute("select wal_status from pg_replication_slots where slot_name = %s", [name]).fetchone()
    return row[0] if row else None


def test_resync_after_the_slot_is_lost_makes_the_warehouse_exact(run_cli, source, warehouse, replicated,
                                                                 small_slot_limit):  # noqa: F811
    env = {"ELT_REPLICATION_PASSWORD": replication_password()}
    name = replicated.name
    source.execute("call shop.add_customers(30)")
    source.execute("call shop.add_products(10)")
    source.execute("call shop.place_orders(100)")
    replicated.catch_up()
    refused = run_cli("resync", "--subscription", name, env=env)
    assert refused.returncode == 1 and f"slot {name} is not lost (wal_status reserved)" in refused.stderr

    # The warehouse stays away while the shop writes past the slot's limit.
    warehouse.execute(f"alter subscription {name} disable")
    wait_until(lambda: not source.execute("select active from pg_replication_slots where slot_name = %s",
                                          [name]).fetchone()[0], 30, "the slot to go inactive")
    source.execute("call shop.advance_orders(40)")
    source.execute("call shop.place_orders(50)")
    for _ in range(4):
        source.execute("insert into operations.customers (customer_name) select 'x' || g from generate_series(1, 20000) g")
        source.execute("select pg_switch_wal()")
    source.execute("checkpoint")
    wait_until(lambda: slot_state(source, name) == "lost", 30, "invalidation")
    lost = json.loads(run_cli("status", "--json", "--subscription", name).stdout)
    assert {c["name"]: c["state"] for c in lost["checks"]}["slot"] == "fail"

    result = run_cli("resync", "--subscription", name, env=env)
    assert result.returncode == 0, result.stderr
    copied, done = result.stdout.splitlines()
    assert copied.startswith("copied ") and "operations.customers" in copied and "rebuilt every aggregate in " in copied
    assert done.startswith(f"resynced {name} in ") and done.endswith("the answers are exact again")
    assert slot_state(source, name) == "reserved"
    replicated.catch_up()
    assert_exact(source, warehouse)
    # Replication runs on afterwards.
    source.execute("call shop.place_orders(5)")
    replicated.catch_up()
    assert_exact(source, warehouse)
