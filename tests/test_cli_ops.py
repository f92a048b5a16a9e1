"""cli_app/health.py, analytics.py, lineage.py and the commands status, refresh, lineage,
monitor, plus the pipeline verbs that existed before (deploy, generate, traffic, watch)."""

import json
import os

import psycopg
import pytest

from cli_app import health
from cli_support import remove_analytics_layer, cli_env, invoke, run_cli  # noqa: F401
from conftest import SOURCE_PORT, WAREHOUSE_PORT, dsn, replication_password


def test_status_is_healthy_with_a_live_subscription(invoke, source, replication):
    replication.start()
    result = invoke("status", "--subscription", replication.name)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith("healthy")
    for name in ("subscription", "apply worker", "slot", "replication lag", "slot WAL", "analytics"):
        assert any(line.split("  ")[1:2] and name in line for line in result.output.splitlines()), name


def test_status_json_reports_lag_and_slot_wal_against_its_limit(run_cli, source, replication):
    replication.start()
    result = run_cli("status", "--json", "--subscription", replication.name)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["healthy"] is True
    assert isinstance(report["lag"]["bytes"], int) and report["lag"]["seconds"] is not None
    assert report["slot"]["limit_bytes"] > 0 and report["slot"]["retained_bytes"] >= 0
    assert {c["name"] for c in report["checks"]} >= {"subscription", "apply worker", "slot", "replication lag"}


def test_status_exits_1_when_the_subscription_is_disabled(invoke, warehouse, replication):
    replication.start()
    warehouse.execute(f"alter subscription {replication.name} disable")
    result = invoke("status", "--json", "--subscription", replication.name)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["healthy"] is False
    assert {"name": "subscription", "state": "fail",
            "detail": f"{replication.name} is disabled: ALTER SUBSCRIPTION {replication.name} ENABLE"} in report["checks"]


def test_status_exits_1_without_a_subscription(invoke):
    result = invoke("status")
    assert result.exit_code == 1
    assert "subscription elt_operations does not exist: run `cli-app deploy`" in result.output
    assert result.output.rstrip().endswith("UNHEALTHY")


def test_lag_over_the_threshold_and_a_slot_near_its_limit_are_unhealthy():
    slot = {"retained_bytes": 900 * 2**20, "limit_bytes": 1024 * 2**20, "retained_fraction": 900 / 1024}
    checks = health.lag_checks(health.Lag(bytes=5 * 2**20, seconds=400), slot, max_lag_seconds=300)
    assert [c.state for c in checks] == [health.FAIL, health.FAIL]
    assert "over --max-lag-seconds 300" in checks[0].detail and "near max_slot_wal_keep_size" in checks[1].detail
    calm = health.lag_checks(health.Lag(bytes=0, seconds=0.0), {**slot, "retained_bytes": 1, "retained_fraction": 0.0}, 300)
    assert health.healthy(calm)
    assert health.lag((None, None, 12.0), {"lag_bytes": 0}).seconds == 0.0
    assert health.lag((None, None, 12.0), {"lag_bytes": 10}).seconds == 12.0


def test_status_says_the_analytics_layer_is_missing(invoke, warehouse):
    remove_analytics_layer(warehouse)
    report = json.loads(invoke("status", "--json").output)
    assert {"name": "analytics", "state": "skip",
            "detail": "not deployed: no analytics.<name>_hist materialized view"} in report["checks"]
    assert report["watermarks"] is None and report["refreshes"] is None and report["quarantine"] is None


STAND_IN = """
create table if not exists elt.rebuild_log (
    id bigint generated always as identity, aggregate text, started_at timestamptz, finished_at timestamptz,
    rows_written bigint);
create table if not exists elt.watermark (aggregate text primary key, change_id bigint, built_at timestamptz);
create table if not exists clean.quarantine (rule text, row_data jsonb);
create materialized view analytics.demo_hist as select 1 as n;
create procedure elt.rebuild(name text) language plpgsql as $$
declare started timestamptz := clock_timestamp();
begin
    execute format('refresh materialized view analytics.%I', name || '_hist');
    insert into elt.watermark values (name, 7, now())
        on conflict (aggregate) do update set change_id = excluded.change_id, built_at = excluded.built_at;
    insert into elt.rebuild_log (aggregate, started_at, finished_at, rows_written)
    values (name, started, clock_timestamp(), 1);
end $$;
insert into clean.quarantine values ('negative_quantity', '{}'), ('negative_quantity', '{}'), ('no_customer', '{}');
"""


def test_refresh_and_status_read_the_layer_from_the_catalogs(invoke, run_cli, warehouse):
    """Against a small stand-in shaped like the analytics layer being built (its column names
    are guesses: the CLI finds columns by the catalogs, not by name lists alone)."""
    remove_analytics_layer(warehouse)
    warehouse.execute(STAND_IN)
    result = invoke("refresh")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("refreshed demo in ") and "rows_written=1" in result.output
    assert "watermark" in result.output and "change_id=7" in result.output
    report = json.loads(invoke("status", "--json").output)
    assert report["aggregates"] == ["demo"]
    assert [w["name"] for w in report["watermarks"]] == ["demo"] and report["watermarks"][0]["age_seconds"] >= 0
    assert report["refreshes"][0]["name"] == "demo" and report["refreshes"][0]["seconds"] >= 0
    assert report["quarantine"] == {"negative_quantity": 2, "no_customer": 1}
    assert {"name": "quarantine", "state": "warn",
            "detail": "3 row(s) held: negative_quantity 2, no_customer 1"} in report["checks"]
    as_json = run_cli("refresh", "demo", "--json")
    assert as_json.returncode == 0, as_json.stderr
    [done] = json.loads(as_json.stdout)
    assert done["name"] == "demo" and done["seconds"] >= 0 and done["log"]["rows_written"] == 1
    warehouse.execute("create materialized view analytics.broken_hist as select 1 as n")
    warehouse.execute("""
        create or replace procedure elt.rebuild(name text) language plpgsql as $$
        begin
            if name = 'broken' then raise exception 'the delta of % disagrees with a full recompute', name; end if;
            execute format('refresh materialized view analytics.%I', name || '_hist');
        end $$""")
    failed = invoke("refresh")
    assert failed.exit_code == 1
    assert failed.output.startswith(
        "Error: refresh of broken failed: the delta of broken disagrees with a full recompute")
    # A name given twice (or an answer and the aggregate behind it) is rebuilt once.
    both = invoke("refresh", "demo", "demo", "broken")
    assert both.exit_code == 1 and both.output.count("refreshed demo in ") == 1
    assert "(refreshed before it: demo)" in both.output
    unknown = invoke("refresh", "dem")
    assert unknown.exit_code == 1 and "no aggregate named 'dem', nor an answer served from one; did you mean 'demo'?" in unknown.output


def test_refresh_says_the_layer_is_missing(invoke, warehouse):
    remove_analytics_layer(warehouse)
    result = invoke("refresh", "open_orders")
    assert result.exit_code == 1
    assert "the analytics layer is not deployed in this warehouse (procedure elt.rebuild is missing)" in result.output


def test_refresh_runs_the_real_procedures(run_cli, warehouse):
    result = run_cli("refresh", "--json")
    assert result.returncode == 0, result.stderr
    names = [r["name"] for r in json.loads(result.stdout)]
    # The declared aggregates; top_dates and top_customers rank open_orders_by_date and pending_orders;
    # the business metrics are the others.
    assert set(names) == {"open_orders", "open_orders_by_date", "pending_items", "pending_orders",
                          "revenue_daily", "revenue_weekly", "revenue_by_product", "customers_new_returning",
                          "delivery_lag_histogram", "status_funnel_totals"}


def test_lineage_follows_views_down_to_base_tables(invoke, run_cli, warehouse):
    warehouse.execute("""
        create materialized view analytics.test_open_hist as
            select delivery_date, status, count(*) as n from operations.orders where status <> 'COMPLETED'
            group by delivery_date, status;
        create view analytics.test_open_delta as
            select o.delivery_date, o.status, sum(i.quanity) as n
            from operations.orders as o join operations.order_items as i on i.order_id = o.order_id
            group by o.delivery_date, o.status;
        create view analytics.test_open as
            select delivery_date, status, sum(n) as n
            from (select * from analytics.test_open_hist union all select * from analytics.test_open_delta) as u
            group by delivery_date, status;
    """)
    result = invoke("lineage", "test_open")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:6] == [
        "analytics.test_open (view)",
        "  analytics.test_open_delta (view): delivery_date, n, status",
        "    operations.order_items (table): order_id, quanity",
        "    operations.orders (table): delivery_date, order_id, status",
        "  analytics.test_open_hist (materialized view): delivery_date, n, status",
        "    operations.orders (table): delivery_date, status",
    ]
    tree = json.loads(run_cli("lineage", "analytics.test_open", "--json").stdout)
    assert tree["base_tables"] == {"operations.order_items": ["order_id", "quanity"],
                                   "operations.orders": ["delivery_date", "order_id", "status"]}
    missing = invoke("lineage", "test_opn")
    assert missing.exit_code == 1 and "no relation named 'test_opn'" in missing.output


def test_lineage_of_the_real_aggregates(invoke, warehouse):
    result = invoke("lineage", "open_orders", "--json")
    assert result.exit_code == 0, result.output
    assert any(t.startswith(("operations.", "clean.", "staging.")) for t in json.loads(result.output)["base_tables"])


def test_monitor_builds_the_pg_activity_command_without_the_password(invoke, cli_env, source):
    result = invoke("monitor", "--print-command")
    assert result.exit_code == 0, result.output
    assert "pg_activity" in result.output and f"port={WAREHOUSE_PORT}" in result.output
    assert f"port={SOURCE_PORT}" in invoke("monitor", "--source", "--print-command").output
    password = open(os.environ["PGPASSFILE"]).read().splitlines()[0].split(":")[4]
    with_password = cli_env["WAREHOUSE_DSN"].replace("postgres@", f"postgres:{password}@")
    result = invoke("monitor", "--print-command", env={"WAREHOUSE_DSN": with_password})
    assert result.exit_code == 0 and password not in result.output


def test_an_unreachable_server_is_named_with_its_password_masked(run_cli):
    result = run_cli("monitor", env={"WAREHOUSE_DSN": "postgresql://postgres:s3cret@127.0.0.1:1/warehouse"})
    assert result.returncode == 1
    assert "cannot reach the warehouse at" in result.stderr and "password=***" in result.stderr
    assert "make up" in result.stderr and "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    status = run_cli("status", env={"SOURCE_DSN": "postgresql://postgres:s3cret@127.0.0.1:1/x",
                                    "WAREHOUSE_DSN": "postgresql://postgres:s3cret@127.0.0.1:1/x"})
    assert status.returncode == 1 and "s3cret" not in status.stderr + status.stdout


# The verbs that came before the issue keep working after the move into commands/.

def test_traffic_tick_and_generate_write_to_the_source(invoke, source):
    source.execute("call shop.add_customers(5)")
    source.execute("call shop.add_products(5)")
    assert invoke("traffic", "tick", "--scale", "2", "--allow-source-writes").exit_code == 0
    assert source.execute("select count(*) from operations.orders").fetchone()[0] > 0
    result = invoke("generate", "--orders", "50", "--seed", "1", "--batch", "20", "--allow-source-writes")
    assert result.exit_code == 0, result.output
    assert "loaded 50 orders" in result.output


def test_deploy_is_idempotent_on_migrated_databases(run_cli):
    result = run_cli("deploy", "--no-subscribe", env={"ELT_REPLICATION_PASSWORD": replication_password()})
    assert result.returncode == 0, result.stderr
    assert "warehouse: 0 migration(s) applied" in result.stdout
    assert "publication elt_operations" in result.stdout


def test_deploy_refuses_a_source_without_the_shop_tables(run_cli, source):
    source.execute("drop table operations.order_items")
    result = run_cli("deploy", "--no-subscribe", env={"ELT_REPLICATION_PASSWORD": replication_password()})
    assert result.returncode == 1
    assert "the source has no operations.order_items" in result.stderr
    assert "Traceback" not in result.stderr


def test_watch_shows_rows_arriving(run_cli, source, replication):
    source.execute("call shop.add_customers(3)")
    replication.start()
    result = run_cli("watch", "--seconds", "1", "--every", "0.5", "--allow-source-writes")
    assert result.returncode == 0, result.stderr
    assert "(counts are source / warehouse)" in result.stdout


@pytest.fixture
def cron_database():
    """The test warehouse cluster's cron.database_name database with pg_cron in it (pg_cron lives
    in that one database of a cluster). Installed for the test unless something else already
    did; either way only what the test added is removed."""
    with psycopg.connect(dsn(WAREHOUSE_PORT, "warehouse"), autocommit=True) as conn:
        existed = conn.execute("select exists (select from pg_extension where extname = 'pg_cron')").fetchone()[0]
        if not existed:
            conn.execute("create extension pg_cron")
        try:
            yield conn
        finally:
            if existed:
                conn.execute("delete from cron.job_run_details where jobid = 4242")
                conn.execute("delete from cron.job where jobid = 4242")
            else:
                conn.execute("drop extension pg_cron cascade")


def test_status_reports_pg_cron_runs_and_failures(run_cli, cron_database):
    # Runs recorded the way pg_cron records them; the job is inactive so the scheduler leaves it alone.
    cron_database.execute("""
        insert into cron.job (jobid, schedule, command, nodename, nodeport, database, username, active, jobname)
        values (4242, '0 0 * * *', 'select 1', '', 0, 'warehouse', 'postgres', false, 'cli-test-job');
        insert into cron.job_run_details (jobid, runid, job_pid, database, username, command, status,
                                          return_message, start_time, end_time)
        values (4242, 424201, 1, 'warehouse', 'postgres', 'select 1', 'succeeded', 'SELECT 1',
                now() + interval '1 hour', now() + interval '1 hour' + interval '3 seconds'),
               (4242, 424202, 2, 'warehouse', 'postgres', 'select 1', 'failed', 'ERROR: boom',
                now() + interval '2 hours', now() + interval '2 hours' + interval '1 second');
    """)
    result = run_cli("status", "--json", env={"WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, "warehouse")})
    report = json.loads(result.stdout)
    # In the future, so they are the most recent runs whatever else the database holds.
    assert [(r["job"], r["status"], r["seconds"]) for r in report["cron"]["recent"][:2]] == [
        ("cli-test-job", "failed", 1.0), ("cli-test-job", "succeeded", 3.0)]
    assert report["cron"]["failures_last_day"]["cli-test-job"] == 1
    pg_cron = next(c for c in report["checks"] if c["name"] == "pg_cron")
    assert pg_cron["state"] == "warn" and "cli-test-job: 1 failed run(s)" in pg_cron["detail"]
    text = run_cli("status", env={"WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, "warehouse")}).stdout
    assert "recent pg_cron runs" in text and "failed  ERROR: boom" in text
    # A failure older than a day no longer counts.
    cron_database.execute("update cron.job_run_details set start_time = start_time - interval '3 days'"
                          " where jobid = 4242")
    report = json.loads(run_cli("status", "--json", env={"WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, "warehouse")}).stdout)
    assert "cli-test-job" not in report["cron"]["failures_last_day"]
