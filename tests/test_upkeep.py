"""cli_app/upkeep.py and `cli-app status`: failed or overdue folds and rebuilds, missing or
inactive pg_cron jobs, a changelog backlog and a quarantine past their limits make status fail;
a server that is down hides nothing of the other's checks; and status reads no row of the
replicated tables, so its cost does not grow with them (issue 9, point 11)."""

import json

import psycopg
import pytest

from cli_app import deploy, upkeep
from cli_support import cli_env, invoke, run_cli  # noqa: F401
from conftest import WAREHOUSE_PORT, dsn, stop_cron_jobs, wait_until


def status(invoke, *args, name=None):
    result = invoke("status", "--json", *(["--subscription", name] if name else []), *args)
    report = json.loads(result.output)
    return result.exit_code, report, {c["name"]: c for c in report["checks"]}


def some_orders(source, replicated, orders=30):
    source.execute("call shop.add_customers(10)")
    source.execute("call shop.add_products(5)")
    source.execute(f"call shop.place_orders({orders})")
    replicated.catch_up()


def test_a_healthy_layer_passes_every_upkeep_check(invoke, source, warehouse, replicated):
    some_orders(source, replicated)
    warehouse.execute("call elt.rebuild_all()")
    warehouse.execute("call elt.count_quarantine()")
    code, report, checks = status(invoke, name=replicated.name)
    assert code == 0, report["checks"]
    for name in ("folds", "changelog backlog", "rebuilds", "quarantine"):
        assert checks[name]["state"] == "ok", checks[name]
    assert report["last_fold"] is not None


def test_a_failing_fold_fails_status_with_its_error(invoke, source, warehouse, replicated):
    some_orders(source, replicated)
    warehouse.execute("call elt.fold()")  # recently folded: only the failure is wrong
    source.execute("call shop.place_orders(5)")
    replicated.catch_up()
    # A maintained part that refuses every write: the next fold fails, as a bug in it would.
    warehouse.execute("alter table analytics.open_orders_maintained"
                      " add constraint refuse_all check (false) not valid")
    warehouse.execute("call elt.maintain(interval '0.2 seconds')")
    code, _, checks = status(invoke, name=replicated.name)
    assert code == 1
    assert checks["folds"]["state"] == "fail"
    assert checks["folds"]["detail"].startswith("the last fold failed: ")
    assert "refuse_all" in checks["folds"]["detail"] and "not folded for over" not in checks["folds"]["detail"]
    # Fixed, the next fold succeeds and status is healthy again.
    warehouse.execute("alter table analytics.open_orders_maintained drop constraint refuse_all")
    warehouse.execute("call elt.fold()")
    code, _, checks = status(invoke, name=replicated.name)
    assert checks["folds"]["state"] == "warn" and "failed in the last hour" in checks["folds"]["detail"]


def test_an_overdue_fold_and_a_backlog_fail_status(invoke, source, warehouse, replicated):
    some_orders(source, replicated)
    pending = warehouse.execute("select max(changes_pending) from analytics.freshness").fetchone()[0]
    assert pending > 10
    code, _, checks = status(invoke, "--max-pending-changes", "10", name=replicated.name)
    assert code == 1 and checks["changelog backlog"]["state"] == "fail"
    assert f"{pending} change(s) pending, over --max-pending-changes 10" == checks["changelog backlog"]["detail"]
    # Nothing folded them for ten minutes (the pg_cron job stopped, say).
    warehouse.execute("update elt.watermark set as_of = now() - interval '10 minutes'")
    code, _, checks = status(invoke, name=replicated.name)
    assert code == 1 and checks["folds"]["state"] == "fail"
    assert "not folded for over 120s" in checks["folds"]["detail"]
    assert status(invoke, "--max-fold-lag-seconds", "3600", name=replicated.name)[0] == 0


def test_an_overdue_rebuild_fails_status(invoke, source, warehouse, replicated):
    warehouse.execute("call elt.rebuild_all()")
    warehouse.execute("update elt.watermark set rebuilt_at = now() - interval '30 hours'"
                      " where aggregate = 'pending_items'")
    code, _, checks = status(invoke, name=replicated.name)
    assert code == 1 and checks["rebuilds"]["state"] == "fail"
    assert checks["rebuilds"]["detail"].startswith("not rebuilt for over 26h: pending_items 1.")
    assert status(invoke, "--max-rebuild-age-hours", "48", name=replicated.name)[0] == 0


def test_the_quarantine_has_a_threshold(invoke, source, warehouse, replicated):
    some_orders(source, replicated)
    # Two orders of a customer nobody has: quarantined under unknown_customer.
    source.execute("insert into operations.orders (order_date, delivery_date, customer_id, status)"
                   " values (current_date, current_date + 1, 999999, 'PENDING'),"
                   "        (current_date, current_date + 2, 999999, 'PENDING')")
    replicated.catch_up()
    # As the pg_cron jobs would: fold (else the fold lag is the template database's age) and count.
    warehouse.execute("call elt.fold()")
    warehouse.execute("call elt.count_quarantine()")
    held = warehouse.execute("select count(*) from clean.quarantine").fetchone()[0]
    assert held >= 2
    assert warehouse.execute("select sum(rows) from elt.quarantine_count").fetchone()[0] == held
    code, report, checks = status(invoke, name=replicated.name)
    assert code == 0 and checks["quarantine"]["state"] == "warn"
    assert report["quarantine"]["unknown_customer"] >= 2
    code, _, checks = status(invoke, "--max-quarantined", str(held - 1), name=replicated.name)
    assert code == 1 and checks["quarantine"]["state"] == "fail"
    assert f"over --max-quarantined {held - 1}" in checks["quarantine"]["detail"]
    code, _, checks = status(invoke, "--max-quarantined", str(held), name=replicated.name)
    assert code == 0 and checks["quarantine"]["state"] == "ok"
    assert "counted 0s ago" in checks["quarantine"]["detail"] or "counted 1s ago" in checks["quarantine"]["detail"]


def test_the_warehouse_is_fully_reported_while_the_source_is_down(invoke, source, warehouse, replicated):
    some_orders(source, replicated)
    result = invoke("status", "--subscription", replicated.name,
                    env={"SOURCE_DSN": "postgresql://postgres:s3cret@127.0.0.1:1/finance_db"})
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("FAIL") and " source " in line and "cannot reach the source at" in line
               for line in lines), result.output
    for name in ("subscription", "apply worker", "analytics", "folds", "changelog backlog", "quarantine"):
        assert any(f"  {name}  " in line for line in lines), name
    assert "s3cret" not in result.output
    down = invoke("status", "--json", "--subscription", replicated.name,
                  env={"SOURCE_DSN": "postgresql://postgres@127.0.0.1:1/finance_db"})
    assert json.loads(down.output)["unreachable"] == ["source"]


def test_the_source_is_reported_while_the_warehouse_is_down(invoke, source, replicated):
    result = invoke("status", "--json", "--subscription", replicated.name,
                    env={"WAREHOUSE_DSN": "postgresql://postgres@127.0.0.1:1/warehouse"})
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["unreachable"] == ["warehouse"]
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["warehouse"]["state"] == "fail" and "cannot reach the warehouse" in checks["warehouse"]["detail"]
    assert checks["slot"]["state"] == "ok"


def test_status_reads_no_replicated_row(run_cli, source, warehouse, replicated):
    """Its cost must not grow with the data: it reads catalogs and small control tables, never
    operations.*, the changelog or clean.* (which at 1M orders took seconds)."""
    some_orders(source, replicated, orders=200)
    # In a session of its own: a backend's table statistics are complete once it has ended.
    with psycopg.connect(warehouse.info.dsn, password=warehouse.info.password, autocommit=True) as counter:
        counter.execute("call elt.fold()")
        counter.execute("call elt.count_quarantine()")
    tables = ("operations.customers", "operations.products", "operations.orders", "operations.order_items",
              "staging.customers_changes", "staging.products_changes", "staging.orders_changes",
              "staging.order_items_changes")

    def reads():
        warehouse.execute("select pg_stat_clear_snapshot()")
        return dict(warehouse.execute(
            "select relid::regclass::text, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
            " from pg_stat_user_tables where relid::regclass::text = any(%s)", [list(tables)]).fetchall())

    def others_gone():
        return warehouse.execute("select count(*) = 0 from pg_stat_activity where datname = current_database()"
                                 " and backend_type = 'client backend' and pid <> pg_backend_pid()").fetchone()[0]

    wait_until(others_gone, 30, "the other sessions to end")
    before = reads()
    result = run_cli("status", "--json", "--subscription", replicated.name)
    assert result.returncode == 0, result.stdout + result.stderr
    wait_until(others_gone, 30, "status's sessions to end")
    after = reads()
    assert set(after) == set(tables)
    grown = {t: after[t] - before[t] for t in tables if after[t] != before[t]}
    # staging.last_applied_at: the newest entry of each log, through the end of its index.
    assert all(t.startswith("staging.") and n <= 2 for t, n in grown.items()), grown


@pytest.fixture
def scheduled():
    """The test cluster's own `warehouse` database, where pg_cron runs, deployed so its jobs
    exist; without them afterwards, so that no loop runs beside the other tests."""
    target = dsn(WAREHOUSE_PORT, "warehouse")
    deploy.migrate(target, "warehouse")
    with psycopg.connect(target, autocommit=True) as conn:
        deploy.apply_objects(conn, "warehouse")
        yield conn
        stop_cron_jobs(conn)


def test_missing_or_inactive_maintenance_jobs_fail(invoke, scheduled):
    env = {"WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, "warehouse")}

    def jobs_check():
        report = json.loads(invoke("status", "--json", env=env).output)
        return next(c for c in report["checks"] if c["name"] == "maintenance jobs")

    # warn when the cluster's last stop interrupted a run (the suite stops it after every run).
    assert jobs_check()["state"] in ("ok", "warn"), jobs_check()
    scheduled.execute("select cron.alter_job(jobid, active => false) from cron.job"
                      " where jobname = 'rebuild-aggregates'")
    scheduled.execute("select cron.unschedule(jobid) from cron.job where jobname = 'purge-elt-logs'")
    check = jobs_check()
    assert check["state"] == "fail"
    assert "rebuild-aggregates is inactive" in check["detail"] and "purge-elt-logs is missing" in check["detail"]


def test_job_checks_fail_on_a_failed_last_run_or_a_silent_scheduler():
    jobs = {name: {"job": name, "active": True, "last_status": "succeeded", "last_start_age_seconds": 30,
                   "last_message": "CALL"} for name in upkeep.JOBS}

    def check():
        return upkeep.job_checks(list(jobs.values()), "warehouse", upkeep.Limits())[0]

    assert check().state == "ok"
    jobs["purge-elt-logs"].update(last_status="failed", last_message=(
        'FATAL: terminating background worker "pg_cron" due to administrator command\nCONTEXT: x'))
    interrupted = check()
    assert interrupted.state == "warn" and "purge-elt-logs's last run was interrupted" in interrupted.detail
    # As pg_cron records it when the job ran over a connection (pg_terminate_backend, measured).
    jobs["purge-elt-logs"]["last_message"] = ("server closed the connection unexpectedly\n\tThis probably means"
                                              " the server terminated abnormally\n\tbefore or while processing the request.\n")
    assert check().state == "warn"
    jobs["rebuild-aggregates"].update(last_status="failed", last_message="ERROR: out of disk")
    failed = check()
    assert failed.state == "fail" and "rebuild-aggregates's last run failed: ERROR: out of disk" in failed.detail
    jobs["rebuild-aggregates"]["last_status"] = "succeeded"
    # Each layer's loop starts every minute: either one silent means pg_cron is not running it.
    for name in upkeep.LOOPS:
        jobs[name]["last_start_age_seconds"] = 3600
        silent = check()
        assert silent.state == "fail" and f"{name} has not started for 1.0h" in silent.detail
        jobs[name]["last_start_age_seconds"] = 30
    assert upkeep.job_checks(None, "warehouse", upkeep.Limits())[0].state == "warn"
