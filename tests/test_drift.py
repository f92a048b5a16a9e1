"""Schema drift (issue 9, point 6): a column added, dropped or widened at the source is found by
comparing the catalogs, reported by status with the exact ALTER, and `cli-app sync-schema`
applies what it safely can, printing each ALTER; rows written after the change arrive
(cli_app/drift.py, commands/sync_schema.py)."""

import json

from cli_support import cli_env, run_cli  # noqa: F401
from conftest import wait_until
from test_server_faults import assert_exact


def drift_check(run_cli, name):
    result = run_cli("status", "--json", "--subscription", name)
    report = json.loads(result.stdout)
    return result.returncode, next(c for c in report["checks"] if c["name"] == "schema drift"), report["drift"]


def history(source, replicated):
    source.execute("call shop.add_customers(10)")
    source.execute("call shop.add_products(5)")
    source.execute("call shop.place_orders(20)")
    replicated.catch_up()


def test_no_drift_between_freshly_deployed_sides(run_cli, source, replicated):
    history(source, replicated)
    code, check, found = drift_check(run_cli, replicated.name)
    assert check["state"] == "ok" and found == []


def test_a_column_added_at_the_source_is_reported_and_synced(run_cli, source, warehouse, replicated):
    history(source, replicated)
    source.execute("alter table operations.orders add column gift_note text")
    code, check, found = drift_check(run_cli, replicated.name)
    assert code == 1 and check["state"] == "fail"
    assert "operations.orders.gift_note added at the source: alter table operations.orders add column gift_note text" \
        in check["detail"]
    # Rows written after the change: one with the new column, and the other tables' rows.
    source.execute("update operations.orders set gift_note = 'happy birthday' where order_id = 3")
    source.execute("call shop.add_customers(2)")
    synced = run_cli("sync-schema")
    assert synced.returncode == 0, synced.stderr
    assert synced.stdout == "alter table operations.orders add column gift_note text;\n"
    replicated.catch_up()
    assert warehouse.execute("select gift_note from operations.orders where order_id = 3").fetchone() == (
        "happy birthday",)
    assert_exact(source, warehouse)
    assert drift_check(run_cli, replicated.name)[1]["state"] == "ok"
    assert run_cli("sync-schema").stdout.startswith("nothing to do")


def test_a_column_dropped_at_the_source_only_warns_and_is_dropped_when_asked(run_cli, source, warehouse, replicated):
    history(source, replicated)
    source.execute("alter table operations.products add column shelf text")
    assert run_cli("sync-schema").returncode == 0
    source.execute("alter table operations.products drop column shelf")
    code, check, found = drift_check(run_cli, replicated.name)
    assert check["state"] == "warn" and "alter table operations.products drop column shelf" in check["detail"]
    source.execute("call shop.add_products(2)")
    replicated.catch_up()  # replication goes on meanwhile
    kept = run_cli("sync-schema")
    assert kept.returncode == 0 and "not applied: alter table operations.products drop column shelf" in kept.stderr
    dropped = run_cli("sync-schema", "--drop")
    assert dropped.returncode == 0 and dropped.stdout == "alter table operations.products drop column shelf;\n"
    assert_exact(source, warehouse)


def test_a_widened_type_is_reported_with_its_alter_and_not_applied(run_cli, source, warehouse, replicated):
    history(source, replicated)
    source.execute("alter table operations.customers alter column customer_name type varchar(1000)")
    code, check, found = drift_check(run_cli, replicated.name)
    assert code == 1 and check["state"] == "fail"
    assert ("alter table operations.customers alter column customer_name type character varying(1000)"
            in check["detail"]) and "staging.customers_changes" in check["detail"]
    # Names that fit the warehouse's type still replicate.
    source.execute("insert into operations.customers (customer_name) values ('Short Name')")
    replicated.catch_up()
    assert warehouse.execute("select count(*) from operations.customers where customer_name = 'Short Name'"
                             ).fetchone()[0] == 1
    refused = run_cli("sync-schema")
    assert refused.returncode == 1
    assert "not applied: alter table operations.customers alter column customer_name type" in refused.stderr
    assert refused.stderr.splitlines()[-1] == "Error: a column type differs from the source's: see above"
