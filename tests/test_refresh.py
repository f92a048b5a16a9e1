"""functions/warehouse/elt: refreshes move the watermark atomically, are logged, never expose a
wrong answer while replication applies changes and users query, and run under pg_cron."""

import os
import random
import threading

import psycopg
import pytest

from analytics_changes import check_in_one_snapshot
from cli_app import deploy
from conftest import WAREHOUSE_PORT, dsn, source_conninfo, wait_until


def connect_like(conn: psycopg.Connection) -> psycopg.Connection:
    return psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True)


def delta_rows(warehouse) -> int:
    return warehouse.execute("select (select count(*) from analytics.open_orders_delta)"
                             " + (select count(*) from analytics.pending_items_delta)"
                             " + (select count(*) from analytics.pending_orders_delta)").fetchone()[0]


def test_a_refresh_moves_the_watermark_logs_itself_and_empties_the_delta(source, warehouse, replicated):
    source.execute("call shop.add_customers(10)")
    source.execute("call shop.add_products(5)")
    source.execute("call shop.place_orders(40)")
    replicated.catch_up()
    before = dict(warehouse.execute("select aggregate, snapshot::text from elt.watermark").fetchall())
    assert delta_rows(warehouse) > 0

    warehouse.execute("call elt.refresh('top_customers')")
    log = warehouse.execute("select aggregate, hist_rows, finished_at >= started_at, watermark::text"
                            " from elt.refresh_log").fetchall()
    after = dict(warehouse.execute("select aggregate, snapshot::text from elt.watermark").fetchall())
    assert [(r[0], r[2]) for r in log] == [("pending_orders", True)] and log[0][1] > 0
    assert after["pending_orders"] == log[0][3] != before["pending_orders"]
    assert after["open_orders"] == before["open_orders"]

    pending = dict(warehouse.execute("select aggregate, changes_since_refresh from analytics.freshness"))
    assert pending["open_orders"] > 0 and pending["pending_orders"] == 0
    warehouse.execute("call elt.refresh_all()")
    assert delta_rows(warehouse) == 0
    assert {n for _, n in warehouse.execute("select aggregate, changes_since_refresh from analytics.freshness")} == {0}
    assert len(set(dict(warehouse.execute("select aggregate, snapshot::text from elt.watermark")).values())) == 1
    assert check_in_one_snapshot(warehouse) == {}


def test_refresh_names_the_known_aggregates_when_asked_for_another(warehouse):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='unknown aggregate "open_order"') as error:
        warehouse.execute("call elt.refresh('open_order')")
    assert "open_orders, pending_items, pending_orders" in error.value.diag.message_hint


def test_refresh_joins_a_repeatable_read_transaction_and_refuses_a_read_committed_one(warehouse):
    warehouse.execute("begin isolation level repeatable read")
    warehouse.execute("call elt.refresh('open_orders')")
    warehouse.execute("commit")
    warehouse.execute("begin")
    with pytest.raises(psycopg.errors.InvalidTransactionTermination):
        warehouse.execute("call elt.refresh('open_orders')")
    warehouse.execute("rollback")
    assert warehouse.execute("select count(*) from elt.refresh_log").fetchone()[0] == 1


def shop_traffic(conn: psycopg.Connection, rng: random.Random) -> None:
    """One source transaction of the kinds the answers are sensitive to."""
    kind = rng.randrange(6)
    if kind == 0:
        conn.execute("call shop.place_orders(%s)", [rng.randint(1, 5)])
    elif kind == 1:
        conn.execute("call shop.advance_orders(%s)", [rng.randint(1, 10)])
    elif kind == 2:
        conn.execute("update operations.orders set status = %s where order_id = %s",
                     [rng.choice(["PENDING", "PROCESSING", "COMPLETED"]), rng.randint(1, 120)])
    elif kind == 3:
        conn.execute("update operations.order_items set order_id = %s, quanity = %s where order_item_id = %s",
                     [rng.randint(1, 120), rng.randint(0, 5), rng.randint(1, 500)])
    elif kind == 4:
        conn.execute("delete from operations.orders where order_id = %s", [rng.randint(1, 120)])
    else:
        with conn.transaction():
            conn.execute("delete from operations.customers where customer_id = %s", [rng.randint(1, 20)])
            conn.execute("insert into operations.customers (customer_id, customer_name)"
                         " values (%s, 'Elena Santos') on conflict do nothing", [rng.randint(1, 20)])


def test_refreshes_under_concurrent_writes_and_reads_never_expose_a_wrong_answer(source, warehouse, replicated):
    source.execute("call shop.add_customers(20)")
    source.execute("call shop.add_products(10)")
    source.execute("call shop.place_orders(100)")
    replicated.catch_up()

    done = threading.Event()
    errors: list[BaseException] = []
    refreshes = [0]

    def write():
        rng = random.Random(4)
        try:
            with connect_like(source) as conn:
                for _ in range(300):
                    shop_traffic(conn, rng)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)
        finally:
            done.set()

    def refresh():
        rng = random.Random(5)
        try:
            with connect_like(warehouse) as conn:
                while not done.is_set():
                    if rng.random() < 0.5:
                        conn.execute("call elt.refresh_all()")
                    else:
                        conn.execute("call elt.refresh(%s)", [rng.choice(["open_orders", "pending_items",
                                                                          "pending_orders"])])
                    refreshes[0] += 1
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=write), threading.Thread(target=refresh)]
    for thread in threads:
        thread.start()
    checks, wrong = 0, []
    with connect_like(warehouse) as reader:
        while not done.is_set() or checks < 3:
            mismatches = check_in_one_snapshot(reader)
            wrong += list(mismatches.items())
            checks += 1
    for thread in threads:
        thread.join()
    assert errors == []
    assert wrong == []
    assert checks >= 3 and refreshes[0] >= 1
    replicated.catch_up()
    assert check_in_one_snapshot(warehouse) == {}


def test_purge_drops_what_no_watermark_needs_and_the_answers_stay_exact(source, warehouse, replicated):
    source.execute("call shop.add_customers(10)")
    source.execute("call shop.add_products(5)")
    source.execute("call shop.place_orders(30)")
    replicated.catch_up()
    warehouse.execute("call elt.refresh('open_orders')")
    source.execute("call shop.advance_orders(10)")
    replicated.catch_up()
    entries = warehouse.execute("select count(*) from staging.changelog").fetchone()[0]

    # open_orders' watermark is newer than the others', which still need everything.
    warehouse.execute("call elt.purge(interval '0 seconds')")
    assert warehouse.execute("select count(*) from staging.changelog").fetchone()[0] == entries
    warehouse.execute("call elt.refresh_all()")
    warehouse.execute("call elt.purge(interval '0 seconds')")
    assert warehouse.execute("select count(*) from staging.changelog").fetchone()[0] == 0
    assert warehouse.execute("select count(*) from elt.refresh_log").fetchone()[0] == 0

    source.execute("call shop.advance_orders(10)")
    source.execute("call shop.place_orders(5)")
    replicated.catch_up()
    assert delta_rows(warehouse) > 0
    assert check_in_one_snapshot(warehouse) == {}


def test_scheduling_needs_pg_cron_and_says_so(warehouse):
    assert not deploy.schedule_refreshes(warehouse)
    warehouse.execute("call elt.schedule_refreshes()")  # a notice, not an error


def test_the_deploy_schedules_named_jobs_whose_refreshes_run_under_pg_cron():
    """On the cluster's own `warehouse` database, the one pg_cron serves (it outlives a test run:
    the jobs of an earlier run are removed first)."""
    target = dsn(WAREHOUSE_PORT, "warehouse")
    deploy.migrate(target, "warehouse")
    with psycopg.connect(target, autocommit=True) as conn:
        if conn.execute("select to_regnamespace('cron') is not null").fetchone()[0]:
            conn.execute("select cron.unschedule(jobname) from cron.job"
                         " where jobname like 'refresh-%' or jobname = 'purge-elt-logs'")
        deploy.apply_objects(conn, "warehouse")
        jobs = dict(conn.execute("select jobname, schedule from cron.job"
                                 " where jobname like 'refresh-%' or jobname = 'purge-elt-logs'").fetchall())
        assert {name: jobs.get(name) for name in ("refresh-open-orders", "refresh-pending-items",
                                                  "refresh-pending-orders")} == dict.fromkeys(
            ("refresh-open-orders", "refresh-pending-items", "refresh-pending-orders"), "*/5 * * * *")
        assert "purge-elt-logs" in jobs

        assert deploy.schedule_refreshes(conn, interval_minutes=60)
        assert conn.execute("select schedule from cron.job where jobname = 'refresh-open-orders'"
                            ).fetchone()[0] == "0 */1 * * *"
        # A redeploy keeps the chosen interval.
        deploy.apply_objects(conn, "warehouse")
        assert conn.execute("select schedule from cron.job where jobname = 'refresh-open-orders'"
                            ).fetchone()[0] == "0 */1 * * *"



@pytest.mark.skipif(not os.environ.get("ELT_TEST_CRON_RUN"), reason="waits up to a minute for pg_cron 1.4's"
                    " next minute; run with ELT_TEST_CRON_RUN=1")
def test_a_refresh_runs_under_pg_cron():
    """The procedure's own commit and isolation change work in a pg_cron background worker."""
    target = dsn(WAREHOUSE_PORT, "warehouse")
    deploy.migrate(target, "warehouse")
    with psycopg.connect(target, autocommit=True) as conn:
        deploy.apply_objects(conn, "warehouse")
        logged = conn.execute("select count(*) from elt.refresh_log").fetchone()[0]
        job = conn.execute("select cron.schedule('refresh-check', '* * * * *', 'call elt.refresh(''open_orders'')')"
                           ).fetchone()[0]
        try:
            wait_until(lambda: conn.execute("select count(*) from cron.job_run_details where jobid = %s"
                                            " and status in ('succeeded', 'failed')", [job]).fetchone()[0] > 0,
                       75, "a pg_cron run")
        finally:
            conn.execute("select cron.unschedule('refresh-check')")
        statuses = conn.execute("select status, return_message from cron.job_run_details where jobid = %s",
                                [job]).fetchall()
        assert {s for s, _ in statuses} == {"succeeded"}, statuses
        assert conn.execute("select count(*) from elt.refresh_log").fetchone()[0] > logged


def test_refreshes_during_the_initial_copy_stay_exact(source, warehouse, replication):
    """While table-sync workers copy beside the apply worker, changelog ids are not in commit
    order: the watermark is a snapshot, so refreshes taken mid-copy still add up."""
    source.execute("call shop.add_customers(300)")
    source.execute("call shop.add_products(60)")
    source.execute("call shop.place_orders(6000)")
    deploy.subscribe(warehouse, source_conninfo(source), name=replication.name)

    def copying() -> bool:
        return warehouse.execute(
            "select count(*) > 0 from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid"
            " where s.subname = %s and r.srsubstate <> 'r'", [replication.name]).fetchone()[0]

    rng = random.Random(6)
    checks, during_copy, wrong = 0, 0, []
    with connect_like(warehouse) as reader:
        while checks < 3 or copying():
            shop_traffic(source, rng)
            warehouse.execute("call elt.refresh_all()")
            during_copy += copying()
            wrong += list(check_in_one_snapshot(reader).items())
            checks += 1
    replication.wait_for_sync()
    print(f"{checks} refreshes and checks, {during_copy} while copying")
    assert wrong == []
    assert check_in_one_snapshot(warehouse) == {}
    assert warehouse.execute("select count(*) from staging.changelog where initial_copy").fetchone()[0] > 0
