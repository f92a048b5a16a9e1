"""An apply conflict (issue 9, point 4): status names it with the server's error text and exits
1, and `cli-app repair` resolves it, saying what it did and what was lost; replication then
catches up exactly (cli_app/conflicts.py, commands/repair.py)."""

import json

import psycopg
import pytest

from cli_support import cli_env, invoke, run_cli  # noqa: F401
from conftest import wait_until
from test_server_faults import assert_exact


def intrude(warehouse, statement: str) -> None:
    """Write into the warehouse copy as only the apply worker may (the guard trigger stands aside
    under session_replication_role = replica): the row the next replicated INSERT collides with."""
    with warehouse.transaction():
        warehouse.execute("set local session_replication_role = replica")
        warehouse.execute(statement)


def failing(warehouse, name) -> bool:
    return warehouse.execute("select coalesce(apply_error_count, 0) > 0 from pg_stat_subscription_stats st"
                             " join pg_subscription s on s.oid = st.subid where s.subname = %s",
                             [name]).fetchone()[0]


@pytest.fixture
def conflict(source, warehouse, replicated):
    source.execute("call shop.add_customers(5)")
    source.execute("call shop.add_products(3)")
    source.execute("call shop.place_orders(10)")
    replicated.catch_up()
    next_product = source.execute("select last_value + 1 from operations.products_product_id_seq").fetchone()[0]
    intrude(warehouse, f"insert into operations.products (product_id, product_name, barcode, unity_price)"
                       f" values ({next_product}, 'intruder', '0', 1)")
    source.execute("call shop.add_products(2)")
    source.execute("call shop.place_orders(5)")
    wait_until(lambda: failing(warehouse, replicated.name), 30, "the apply error")
    return next_product


def test_status_shows_the_conflict_and_repair_makes_way_losing_nothing(run_cli, source, warehouse, replicated,
                                                                       conflict):
    result = run_cli("status", "--json", "--subscription", replicated.name)
    assert result.returncode == 1
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    detail = checks["apply conflict"]["detail"]
    assert checks["apply conflict"]["state"] == "fail"
    assert detail.startswith("INSERT on operations.products from source transaction ")
    assert 'duplicate key value violates unique constraint "products_pkey"' in detail
    assert f"Key (product_id)=({conflict}) already exists." in detail and "`cli-app repair`" in detail

    repaired = run_cli("repair", "--subscription", replicated.name)
    assert repaired.returncode == 0, repaired.stderr
    did, lost, resumed = repaired.stdout.splitlines()
    assert did.startswith(f"did: removed the warehouse's row of operations.products with product_id = {conflict}")
    assert lost.startswith("lost: the warehouse-only row {") and '"product_name": "intruder"' in lost
    assert lost.endswith("; nothing from the source")
    assert resumed == f"{replicated.name} is applying again"
    replicated.catch_up()
    assert_exact(source, warehouse)
    assert run_cli("status", "--subscription", replicated.name).returncode == 0
    again = run_cli("repair", "--subscription", replicated.name)
    assert again.returncode == 0 and again.stdout.startswith("nothing to repair")


def test_a_conflict_no_row_can_settle_is_skipped_only_when_asked(run_cli, source, warehouse, replicated):
    source.execute("call shop.add_customers(3)")
    replicated.catch_up()
    # A warehouse-only constraint the source's next row breaks: no warehouse row is in its way.
    warehouse.execute("alter table operations.customers add constraint not_this_name"
                      " check (customer_name <> 'Refused Here') not valid")
    source.execute("insert into operations.customers (customer_name) values ('Refused Here')")
    wait_until(lambda: failing(warehouse, replicated.name), 30, "the apply error")
    refused = run_cli("repair", "--subscription", replicated.name)
    assert refused.returncode == 1
    [line] = refused.stderr.splitlines()
    assert 'violates check constraint "not_this_name"' in line and "cli-app repair --skip" in line
    skipped = run_cli("repair", "--skip", "--subscription", replicated.name)
    assert skipped.returncode == 0, skipped.stderr
    did, lost, _ = skipped.stdout.splitlines()
    assert did.startswith("did: skipped source transaction ")
    assert lost.startswith("lost: every change of source transaction ") and "operations.customers" in lost
    source.execute("call shop.add_customers(1)")
    replicated.catch_up()
    # What was skipped is missing, said so; what came after arrived.
    names = [r[0] for r in warehouse.execute("select customer_name from operations.customers order by customer_id")]
    assert "Refused Here" not in names and len(names) == 4
