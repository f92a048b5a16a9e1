"""functions/warehouse/elt: folds and rebuilds move the watermark atomically, are logged, never
expose a wrong answer while replication applies changes and users query, wait for each other
instead of failing, change nothing when killed midway, and run by themselves under pg_cron."""

import random
import threading
import time

import psycopg
import pytest

from analytics_changes import check_in_one_snapshot
from cli_app import deploy
from conftest import WAREHOUSE_PORT, dsn, source_conninfo, stop_cron_jobs, wait_until

AGGREGATES = ["customers_new_returning", "delivery_lag_histogram", "open_orders", "open_orders_by_date",
              "pending_items", "pending_orders", "revenue_by_product", "revenue_daily", "revenue_weekly",
              "status_funnel_totals"]


def connect_like(conn: psycopg.Connection) -> psycopg.Connection:
    return psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True)


def delta_rows(warehouse) -> int:
    return sum(warehouse.execute(f"select count(*) from analytics.{name}_delta").fetchone()[0]
               for name in AGGREGATES)


def watermarks(warehouse) -> dict[str, str]:
    return dict(warehouse.execute("select aggregate, snapshot::text from elt.watermark").fetchall())


def some_orders(source, replicated, orders=40):
    source.execute("call shop.add_customers(10)")
    source.execute("call shop.add_products(5)")
    source.execute(f"call shop.place_orders({orders})")
    replicated.catch_up()


def test_a_fold_moves_every_watermark_logs_itself_and_empties_the_deltas(source, warehouse, replicated):
    some_orders(source, replicated)
    before = watermarks(warehouse)
    assert delta_rows(warehouse) > 0
    # Pending in the logs each reads: the answers' changed, the facts (not advanced here) did not.
    assert dict(warehouse.execute(
        "select elt.layer_of(g.source), bool_and(f.changes_pending > 0) from analytics.freshness as f"
        " join elt.aggregate as g on g.name = f.aggregate group by 1").fetchall()) == {"answers": True, "metrics": False}

    warehouse.execute("call elt.fold()")
    after = watermarks(warehouse)
    assert set(after) == set(AGGREGATES) and len(set(after.values())) == 1
    assert all(after[name] != before[name] for name in AGGREGATES)
    assert delta_rows(warehouse) == 0
    assert {n for _, n in warehouse.execute("select aggregate, changes_pending from analytics.freshness")} == {0}
    [(aggregates, changes, written, error)] = warehouse.execute(
        "select aggregates, changes, rows_written, error from elt.fold_log").fetchall()
    assert sorted(aggregates) == AGGREGATES and changes > 0 and written > 0 and error is None
    assert check_in_one_snapshot(warehouse) == {}


def test_a_rebuild_after_folds_finds_nothing_to_correct(source, warehouse, replicated):
    """The rebuild writes only the rows of the maintained part that differ from a recompute:
    after folds kept it exact, none."""
    some_orders(source, replicated)
    warehouse.execute("call elt.fold()")
    source.execute("call shop.advance_orders(15)")
    source.execute("delete from operations.orders where order_id in (select order_id from operations.orders limit 3)")
    replicated.catch_up()
    warehouse.execute("call elt.fold()")
    before = watermarks(warehouse)
    warehouse.execute("call elt.rebuild_all()")
    log = dict(warehouse.execute("select aggregate, rows_written from elt.rebuild_log").fetchall())
    assert log == dict.fromkeys(AGGREGATES, 0)
    assert all(watermarks(warehouse)[name] != before[name] for name in AGGREGATES)
    assert check_in_one_snapshot(warehouse) == {}


def test_a_rebuild_of_an_answer_re_anchors_the_aggregates_it_reads(source, warehouse, replicated):
    some_orders(source, replicated)
    before = watermarks(warehouse)
    warehouse.execute("call elt.rebuild('top_customers')")
    log = warehouse.execute("select aggregate, hist_rows, rows_written, finished_at >= started_at, watermark::text"
                            " from elt.rebuild_log").fetchall()
    assert [(r[0], r[3]) for r in log] == [("pending_orders", True)] and log[0][1] == log[0][2] > 0
    after = watermarks(warehouse)
    assert after["pending_orders"] == log[0][4] != before["pending_orders"]
    assert after["open_orders"] == before["open_orders"]
    warehouse.execute("call elt.rebuild('top_dates')")
    assert warehouse.execute("select aggregate from elt.rebuild_log order by rebuild_id desc limit 1"
                             ).fetchone()[0] == "open_orders_by_date"
    assert check_in_one_snapshot(warehouse) == {}


def test_rebuild_names_the_known_aggregates_when_asked_for_another(warehouse):
    with pytest.raises(psycopg.errors.InvalidParameterValue, match='unknown aggregate "open_order"') as error:
        warehouse.execute("call elt.rebuild('open_order')")
    assert "open_orders, open_orders_by_date, pending_items, pending_orders" in error.value.diag.message_hint


def test_maintenance_joins_a_repeatable_read_transaction_and_refuses_a_read_committed_one(warehouse):
    warehouse.execute("begin isolation level repeatable read")
    warehouse.execute("call elt.rebuild('open_orders')")
    warehouse.execute("call elt.fold()")
    warehouse.execute("commit")
    for call in ("call elt.rebuild('open_orders')", "call elt.fold()"):
        warehouse.execute("begin")
        with pytest.raises(psycopg.errors.InvalidTransactionTermination):
            warehouse.execute(call)
        warehouse.execute("rollback")
    assert warehouse.execute("select count(*) from elt.rebuild_log").fetchone()[0] == 1
    assert warehouse.execute("select count(*) from elt.fold_log").fetchone()[0] == 1


@pytest.mark.parametrize("blocked_at", ["elt.fold_log", "analytics.pending_items_maintained"])
def test_a_fold_killed_midway_changes_nothing_and_the_next_one_succeeds(source, warehouse, replicated, blocked_at):
    """The fold is held at a lock (before its last write, or in the middle of its aggregates)
    and its backend terminated: the watermarks and maintained parts are as before, the answers
    exact, and the next fold folds everything."""
    some_orders(source, replicated)
    source.execute("call shop.advance_orders(10)")
    replicated.catch_up()
    before = watermarks(warehouse)
    maintained = {name: warehouse.execute(f"select * from analytics.{name}_maintained order by 1").fetchall()
                  for name in AGGREGATES}
    with connect_like(warehouse) as blocker, connect_like(warehouse) as folder:
        blocker.execute("begin")
        blocker.execute(f"lock table {blocked_at} in access exclusive mode")
        pid = folder.info.backend_pid
        failure: list[BaseException] = []
        thread = threading.Thread(target=lambda: _expect_failure(folder, "call elt.fold()", failure))
        thread.start()
        wait_until(lambda: warehouse.execute("select wait_event_type = 'Lock' from pg_stat_activity where pid = %s",
                                             [pid]).fetchone()[0], 10, "the fold to reach the lock")
        warehouse.execute("select pg_terminate_backend(%s)", [pid])
        thread.join(10)
        blocker.execute("rollback")
    assert failure and isinstance(failure[0], psycopg.OperationalError)
    assert watermarks(warehouse) == before
    assert {name: warehouse.execute(f"select * from analytics.{name}_maintained order by 1").fetchall()
            for name in AGGREGATES} == maintained
    assert check_in_one_snapshot(warehouse) == {}
    warehouse.execute("call elt.fold()")
    assert delta_rows(warehouse) == 0 and check_in_one_snapshot(warehouse) == {}


def _expect_failure(conn, statement, failures):
    try:
        conn.execute(statement)
    except BaseException as e:  # noqa: BLE001 - the main thread checks it
        failures.append(e)


def test_maintain_folds_every_interval_and_a_second_run_steps_aside(source, warehouse, replicated):
    some_orders(source, replicated, orders=10)
    with connect_like(warehouse) as runner:
        thread = threading.Thread(target=runner.execute,
                                  args=("call elt.maintain(run_for => '3 seconds', fold_every => '0.5 seconds')",))
        thread.start()
        wait_until(lambda: warehouse.execute("select count(*) from elt.fold_log").fetchone()[0] > 0, 10, "a fold")
        notices = []
        warehouse.add_notice_handler(lambda d: notices.append(d.message_primary))
        started = time.monotonic()
        warehouse.execute("call elt.maintain()")
        assert time.monotonic() - started < 2 and notices == ["elt.maintain is already running in another session"]
        while thread.is_alive():
            source.execute("call shop.advance_orders(2)")
            time.sleep(0.2)
        thread.join()
    folds = warehouse.execute("select count(*), count(*) filter (where changes > 0), count(error)"
                              " from elt.fold_log").fetchone()
    assert 3 <= folds[0] <= 8 and folds[1] == folds[0] and folds[2] == 0
    replicated.catch_up()
    assert check_in_one_snapshot(warehouse) == {}


def test_a_round_with_no_new_change_folds_nothing_and_says_the_part_is_current(source, warehouse, replicated):
    some_orders(source, replicated, orders=5)
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    before = watermarks(warehouse)
    warehouse.execute("update elt.watermark set as_of = as_of - interval '1 minute'")
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    assert watermarks(warehouse) == before
    assert warehouse.execute("select count(*) from elt.fold_log").fetchone()[0] == 1
    assert warehouse.execute("select bool_and(as_of > now() - interval '5 seconds') from elt.watermark").fetchone()[0]
    assert {lag for lag, in warehouse.execute("select extract(epoch from fold_lag) from analytics.freshness")} == {0}


def test_maintain_rebuilds_rather_than_folds_a_bulk_load(source, warehouse, replicated):
    warehouse.execute("update elt.aggregate set rebuild_above = 1000 where name in ('pending_items', 'open_orders')")
    source.execute("call shop.add_customers(50)")
    source.execute("call shop.add_products(10)")
    source.execute("call shop.place_orders(400)")  # about 2400 changes
    replicated.catch_up()
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    assert sorted(r[0] for r in warehouse.execute("select aggregate from elt.rebuild_log")) == [
        "open_orders", "pending_items"]
    assert [sorted(r[0]) for r in warehouse.execute("select aggregates from elt.fold_log")] == [
        [name for name in AGGREGATES if name not in ("open_orders", "pending_items")]]
    assert delta_rows(warehouse) == 0 and check_in_one_snapshot(warehouse) == {}


def record_rebuilds(warehouse, took: dict[str, str]) -> None:
    """Log a last rebuild for each aggregate named, as long as it says (an interval): what
    elt.maintain_round compares a fold's estimated cost with."""
    warehouse.execute("insert into elt.rebuild_log (aggregate, started_at, finished_at, hist_rows, watermark)"
                      " select t.name, now() - t.took::interval, now(), 0, pg_current_snapshot()"
                      " from unnest(%s::text[], %s::text[]) as t (name, took)", [list(took), list(took.values())])


def test_maintain_rebuilds_when_folding_would_cost_more_than_the_last_rebuild(source, warehouse, replicated):
    """The choice by measured cost: recent folds cost 1 ms a change, pending_items' last rebuild
    took 50 ms and open_orders' 10 s, so 100 pending changes rebuild the first and fold the other."""
    some_orders(source, replicated, orders=10)
    warehouse.execute("call elt.fold()")
    warehouse.execute("insert into elt.fold_log (started_at, finished_at, aggregates, changes, rows_written)"
                      " values (now() - interval '1 second', now(), '{}', 1000, 0)")
    record_rebuilds(warehouse, {"pending_items": "50 ms", "open_orders": "10 s"})
    source.execute("call shop.place_orders(16)")  # about 100 changes
    replicated.catch_up()
    rebuilds = warehouse.execute("select count(*) from elt.rebuild_log").fetchone()[0]
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    assert [r[0] for r in warehouse.execute("select aggregate from elt.rebuild_log where rebuild_id > "
                                            "(select min(rebuild_id) + 1 from elt.rebuild_log)")] == ["pending_items"]
    assert warehouse.execute("select count(*) from elt.rebuild_log").fetchone()[0] == rebuilds + 1
    assert delta_rows(warehouse) == 0 and check_in_one_snapshot(warehouse) == {}


def test_an_aggregate_rebuilt_on_the_estimate_is_folded_before_the_estimate_can_rebuild_it_again(
        source, warehouse, replicated):
    """Recent folds cost 1 ms a change and pending_items' rebuilds take milliseconds, so about 100
    pending changes rebuild it; the round after that folds it whatever the estimate (which comes
    from folds: without them a stale one would rebuild it round after round), and the one after
    may rebuild it again."""
    some_orders(source, replicated, orders=10)
    warehouse.execute("call elt.fold()")
    warehouse.execute("insert into elt.fold_log (started_at, finished_at, aggregates, changes, rows_written)"
                      " values (now() - interval '1 second', now(), '{}', 1000, 0)")
    # pending_items' rebuild takes 5 ms, the other answers' 10 s: only pending_items is in play.
    answers = warehouse.execute("select elt.aggregates_in('answers')").fetchone()[0]
    record_rebuilds(warehouse, {n: "5 ms" if n == "pending_items" else "10 s" for n in answers})

    def round_rebuilt() -> list[str]:
        source.execute("call shop.place_orders(16)")  # about 100 changes
        replicated.catch_up()
        last = warehouse.execute("select max(rebuild_id) from elt.rebuild_log").fetchone()[0]
        warehouse.execute("call elt.maintain(run_for => '0 seconds', layer => 'answers')")
        return [r[0] for r in warehouse.execute("select aggregate from elt.rebuild_log where rebuild_id > %s",
                                                [last])]

    assert round_rebuilt() == ["pending_items"]
    assert round_rebuilt() == []
    assert "pending_items" in warehouse.execute("select aggregates from elt.fold_log"
                                                " order by fold_id desc limit 1").fetchone()[0]
    assert round_rebuilt() == ["pending_items"]
    assert check_in_one_snapshot(warehouse) == {}


def test_the_choice_counts_a_folds_fixed_cost_once(source, warehouse, replicated):
    """Recent folds of 100-290 changes cost 20 ms plus 0.01 ms a change. About 600 pending changes
    then cost about 26 ms to fold: less than open_orders' last rebuild (45 ms), so it is folded,
    where time over changes (0.11 ms a change: 68 ms) rebuilt it; more than pending_items' (10 ms),
    so that one is rebuilt."""
    some_orders(source, replicated, orders=10)
    warehouse.execute("call elt.fold()")
    warehouse.execute("delete from elt.fold_log")
    warehouse.execute("insert into elt.fold_log (started_at, finished_at, aggregates, changes, rows_written)"
                      " select now() - make_interval(secs => 0.020 + 0.00001 * n), now(), '{}', n, 0"
                      " from generate_series(100, 290, 10) as n")
    record_rebuilds(warehouse, {"pending_items": "10 ms", "open_orders": "45 ms"})
    source.execute("call shop.place_orders(100)")  # about 600 changes
    replicated.catch_up()
    pending = warehouse.execute("select max(changes_pending) from analytics.freshness").fetchone()[0]
    assert 400 < pending < 2500, pending
    last = warehouse.execute("select max(rebuild_id) from elt.rebuild_log").fetchone()[0]
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    assert [r[0] for r in warehouse.execute("select aggregate from elt.rebuild_log where rebuild_id > %s",
                                            [last])] == ["pending_items"]
    assert "open_orders" in warehouse.execute("select aggregates from elt.fold_log"
                                              " order by fold_id desc limit 1").fetchone()[0]
    assert delta_rows(warehouse) == 0 and check_in_one_snapshot(warehouse) == {}


def test_a_failing_round_is_logged_changes_nothing_and_the_next_succeeds(source, warehouse, replicated):
    some_orders(source, replicated, orders=10)
    before = watermarks(warehouse)
    warehouse.execute("update elt.aggregate set filter = '1 / 0 = 1' where name = 'pending_items'")
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    [(error,)] = warehouse.execute("select error from elt.fold_log").fetchall()
    assert error == "division by zero"
    assert watermarks(warehouse) == before
    warehouse.execute("update elt.aggregate set filter = $$order_status <> 'COMPLETED'$$ where name = 'pending_items'")
    warehouse.execute("call elt.maintain(run_for => '0 seconds')")
    assert warehouse.execute("select count(*) from elt.fold_log where error is null").fetchone()[0] == 1
    assert delta_rows(warehouse) == 0 and check_in_one_snapshot(warehouse) == {}


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


def test_folds_and_rebuilds_under_concurrent_writes_and_reads_never_expose_a_wrong_answer(source, warehouse,
                                                                                            replicated):
    """Two maintainers at once (as pg_cron's loop and a user's rebuild would be) wait for each
    other: neither fails, and no reader ever sees a wrong answer."""
    some_orders(source, replicated, orders=100)
    done = threading.Event()
    errors: list[BaseException] = []
    runs = [0, 0]

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

    def maintainer(seed, slot):
        rng = random.Random(seed)
        try:
            with connect_like(warehouse) as conn:
                while not done.is_set():
                    choice = rng.random()
                    if choice < 0.6:
                        conn.execute("call elt.fold()")
                    elif choice < 0.8:
                        conn.execute("call elt.rebuild_all()")
                    else:
                        conn.execute("call elt.rebuild(%s)", [rng.choice(AGGREGATES + ["top_dates"])])
                    runs[slot] += 1
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=write), threading.Thread(target=maintainer, args=(5, 0)),
               threading.Thread(target=maintainer, args=(6, 1))]
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
    assert checks >= 3 and min(runs) >= 1
    replicated.catch_up()
    assert check_in_one_snapshot(warehouse) == {}


def test_purge_drops_what_no_watermark_needs_and_the_answers_stay_exact(source, warehouse, replicated):
    some_orders(source, replicated, orders=30)
    warehouse.execute("call elt.rebuild('open_orders')")
    source.execute("call shop.advance_orders(10)")
    replicated.catch_up()
    entries = warehouse.execute("select count(*) from staging.changelog").fetchone()[0]

    # open_orders' watermark is newer than the others', which still need everything.
    warehouse.execute("call elt.purge(interval '0 seconds')")
    assert warehouse.execute("select count(*) from staging.changelog").fetchone()[0] == entries
    warehouse.execute("call elt.fold()")
    # The star tables have read nothing yet: what they have not read is history they need.
    warehouse.execute("call elt.purge(interval '0 seconds')")
    assert warehouse.execute("select count(*) from staging.changelog").fetchone()[0] == entries
    warehouse.execute("call elt.advance_star()")
    warehouse.execute("call elt.purge(interval '0 seconds')")
    assert warehouse.execute("select count(*) from staging.changelog").fetchone()[0] == 0
    assert warehouse.execute("select count(*) from elt.rebuild_log").fetchone()[0] == 0
    assert warehouse.execute("select count(*) from elt.fold_log").fetchone()[0] == 0

    source.execute("call shop.advance_orders(10)")
    source.execute("call shop.place_orders(5)")
    replicated.catch_up()
    assert delta_rows(warehouse) > 0
    assert check_in_one_snapshot(warehouse) == {}


def test_scheduling_needs_pg_cron_and_says_so(warehouse):
    assert not deploy.schedule_maintenance(warehouse)
    warehouse.execute("call elt.schedule_maintenance()")  # a notice, not an error


JOBS = {"maintain-answers": ("* * * * *", "call elt.maintain(layer => 'answers')"),
        "maintain-metrics": ("* * * * *", "call elt.maintain(layer => 'metrics')"),
        "rebuild-aggregates": ("17 2 * * *", "call elt.rebuild_all()"),
        "purge-elt-logs": ("17 3 * * *", "call elt.purge()"),
        "count-quarantine": ("7 * * * *", "call elt.count_quarantine()"),
        "prewarm-lookups": ("37 * * * *", "select count(*) from elt.prewarm()")}


def test_the_deploy_schedules_named_jobs_that_fold_under_pg_cron():
    """On the cluster's own `warehouse` database, the one pg_cron serves (it outlives a test run:
    the jobs of an earlier run are removed first). The deploy replaces an older version's
    refresh jobs and its one maintenance loop for every layer, keeps a schedule someone changed,
    and the answers' maintenance job, started at pg_cron's next minute, folds by itself over its
    connection (scripts/pg.sh: the cluster's socket, not a background worker)."""
    target = dsn(WAREHOUSE_PORT, "warehouse")
    deploy.migrate(target, "warehouse")
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("create extension if not exists pg_cron")
        # By id: a job name is looked up among the current user's jobs, and these are elt_owner's.
        conn.execute("select cron.unschedule(jobid) from cron.job")
        # A maintenance run of an earlier test run may still be folding (it holds the lock).
        conn.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                     " where datname = current_database() and query like 'call elt.maintain%%'"
                     " and pid <> pg_backend_pid()")
        conn.execute("select cron.schedule('refresh-open-orders', '*/5 * * * *', 'call elt.refresh(''open_orders'')')")
        conn.execute("select cron.schedule('maintain-aggregates', '* * * * *', 'call elt.maintain()')")
        conn.execute("select cron.schedule('advance-star-tables', '* * * * *', 'call elt.maintain_star()')")
        # An older version's default schedule moves to today's (a full count every 15 minutes
        # took over two minutes of a core in every fifteen at 10M orders).
        conn.execute("select cron.schedule('count-quarantine', '*/15 * * * *', 'call elt.count_quarantine()')")
        deploy.apply_objects(conn, "warehouse")
        jobs = {r[0]: (r[1], r[2]) for r in conn.execute("select jobname, schedule, command from cron.job")}
        assert jobs == JOBS
        # They run as the owner of what they maintain, not as a superuser.
        assert {u for u, in conn.execute("select username from cron.job")} == {"elt_owner"}

        conn.execute("select cron.alter_job(jobid, schedule => '0 4 * * *') from cron.job"
                     " where jobname = 'rebuild-aggregates'")
        deploy.apply_objects(conn, "warehouse")
        assert conn.execute("select schedule from cron.job where jobname = 'rebuild-aggregates'"
                            ).fetchone()[0] == "0 4 * * *"
        assert deploy.schedule_maintenance(conn, replace=True)
        assert conn.execute("select schedule from cron.job where jobname = 'rebuild-aggregates'"
                            ).fetchone()[0] == "17 2 * * *"

        # pg_cron 1.4 starts jobs on the minute: wait for the next one to fold. Nothing replicates
        # into this database, so a change is made to look pending (a round with none does nothing).
        job = conn.execute("select jobid from cron.job where jobname = 'maintain-answers'").fetchone()[0]
        conn.execute("update elt.watermark set changes_through = staging.last_change_id() - 1")
        wait_until(lambda: conn.execute(
            "select count(*) from elt.fold_log where started_at >="
            " (select min(start_time) from cron.job_run_details where jobid = %s)", [job]).fetchone()[0] >= 1,
            90, "a fold by the pg_cron job")
        runs = conn.execute("select status from cron.job_run_details where jobid = %s", [job]).fetchall()
        assert {s for s, in runs} <= {"running", "succeeded"}, runs
        assert conn.execute("select count(error) from elt.fold_log where started_at >="
                            " (select min(start_time) from cron.job_run_details where jobid = %s)",
                            [job]).fetchone()[0] == 0
        lag = conn.execute("select max(extract(epoch from fold_lag)) from analytics.freshness").fetchone()[0]
        assert lag < 5
        stop_cron_jobs(conn)  # nothing left running every minute beside the other tests


def test_folds_and_rebuilds_during_the_initial_copy_stay_exact(source, warehouse, replication):
    """While table-sync workers copy beside the apply worker, changelog ids are not in commit
    order: the watermark is a snapshot, so folds and rebuilds taken mid-copy still add up."""
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
            warehouse.execute("call elt.fold()" if checks % 3 else "call elt.rebuild_all()")
            during_copy += copying()
            wrong += list(check_in_one_snapshot(reader).items())
            checks += 1
    replication.wait_for_sync()
    print(f"{checks} folds or rebuilds and checks, {during_copy} while copying")
    assert wrong == []
    assert check_in_one_snapshot(warehouse) == {}
    assert warehouse.execute("select count(*) from staging.changelog where initial_copy").fetchone()[0] > 0
