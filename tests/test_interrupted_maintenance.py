"""Maintenance interrupted or run twice at once (issue 9, point 7), beyond the folds of
tests/test_maintenance.py: three `cli-app refresh` of one answer started together beside folds
and live changes all succeed with no serialization error for anyone to retry; a rebuild and a
maintenance run killed midway change nothing, and the next run proceeds."""

import os
import subprocess
import threading

import psycopg

from analytics_changes import check_in_one_snapshot
from cli_support import CLI_APP, cli_env  # noqa: F401
from conftest import wait_until


def connect_like(conn: psycopg.Connection) -> psycopg.Connection:
    return psycopg.connect(conn.info.dsn, password=conn.info.password, autocommit=True)


def watermarks(warehouse) -> dict[str, str]:
    return dict(warehouse.execute("select aggregate, snapshot::text from elt.watermark").fetchall())


def some_orders(source, replicated, orders=60):
    source.execute("call shop.add_customers(20)")
    source.execute("call shop.add_products(10)")
    source.execute(f"call shop.place_orders({orders})")
    replicated.catch_up()


def test_three_refreshes_at_once_beside_folds_and_traffic_all_succeed(cli_env, source, warehouse, replicated):
    some_orders(source, replicated)
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_changing_and_folding():
        try:
            with connect_like(warehouse) as folder:
                while not stop.is_set():
                    source.execute("call shop.advance_orders(3)")
                    source.execute("call shop.place_orders(2)")
                    folder.execute("call elt.fold()")
        except BaseException as e:  # noqa: BLE001 - checked below
            errors.append(e)

    background = threading.Thread(target=keep_changing_and_folding)
    background.start()
    try:
        refreshes = [subprocess.Popen([CLI_APP, "refresh", "pending_items", "--json"], env={**os.environ, **cli_env},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(3)]
        results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in refreshes]
    finally:
        stop.set()
        background.join(60)
    assert errors == []
    for code, out, err in results:
        assert code == 0 and "serialize" not in err, err
    assert warehouse.execute("select count(*) from elt.rebuild_log where aggregate = 'pending_items'"
                             ).fetchone()[0] >= 3
    assert warehouse.execute("select count(error) from elt.fold_log").fetchone()[0] == 0
    replicated.catch_up()
    assert check_in_one_snapshot(warehouse) == {}


def test_a_rebuild_killed_midway_changes_nothing_and_the_next_succeeds(source, warehouse, replicated):
    some_orders(source, replicated)
    source.execute("call shop.advance_orders(20)")
    replicated.catch_up()
    before = watermarks(warehouse)
    maintained = warehouse.execute("select * from analytics.pending_items_maintained order by 1").fetchall()
    with connect_like(warehouse) as blocker, connect_like(warehouse) as rebuilder:
        # Held where it writes the re-anchored rows, after the recompute.
        blocker.execute("begin")
        blocker.execute("lock table analytics.pending_items_maintained in access exclusive mode")
        pid = rebuilder.info.backend_pid
        failure: list[BaseException] = []

        def rebuild():
            try:
                rebuilder.execute("call elt.rebuild('pending_items')")
            except BaseException as e:  # noqa: BLE001 - checked below
                failure.append(e)

        thread = threading.Thread(target=rebuild)
        thread.start()
        wait_until(lambda: warehouse.execute("select wait_event_type = 'Lock' from pg_stat_activity where pid = %s",
                                             [pid]).fetchone()[0], 10, "the rebuild to reach the lock")
        warehouse.execute("select pg_terminate_backend(%s)", [pid])
        thread.join(10)
        blocker.execute("rollback")
    assert failure and isinstance(failure[0], psycopg.OperationalError)
    assert watermarks(warehouse) == before
    assert warehouse.execute("select * from analytics.pending_items_maintained order by 1").fetchall() == maintained
    assert warehouse.execute("select count(*) from elt.rebuild_log where aggregate = 'pending_items'"
                             " and finished_at > now() - interval '1 minute'").fetchone()[0] == 0
    assert check_in_one_snapshot(warehouse) == {}
    warehouse.execute("call elt.rebuild('pending_items')")
    assert watermarks(warehouse)["pending_items"] != before["pending_items"]
    assert check_in_one_snapshot(warehouse) == {}


def test_a_maintenance_run_killed_midway_frees_its_lock_for_the_next(source, warehouse, replicated):
    some_orders(source, replicated, orders=20)
    with connect_like(warehouse) as runner:
        pid = runner.info.backend_pid
        thread = threading.Thread(target=lambda: _quietly(runner, "call elt.maintain(run_for => '60 seconds')"))
        thread.start()
        wait_until(lambda: warehouse.execute("select count(*) from elt.fold_log").fetchone()[0] > 0, 10, "a fold")
        warehouse.execute("select pg_terminate_backend(%s)", [pid])
        thread.join(10)
    # Changes that only a new run can fold; the killed one's advisory lock went with its session.
    source.execute("call shop.advance_orders(5)")
    replicated.catch_up()
    folds = warehouse.execute("select count(*) from elt.fold_log").fetchone()[0]
    notices: list[str] = []
    warehouse.add_notice_handler(lambda d: notices.append(d.message_primary))
    warehouse.execute("call elt.maintain(run_for => '0.3 seconds')")
    assert notices == []
    assert warehouse.execute("select count(*) from elt.fold_log").fetchone()[0] > folds
    assert warehouse.execute("select count(error) from elt.fold_log").fetchone()[0] == 0
    assert warehouse.execute("select max(changes_pending) from analytics.freshness").fetchone()[0] == 0
    assert check_in_one_snapshot(warehouse) == {}


def _quietly(conn, statement):
    try:
        conn.execute(statement)
    except psycopg.OperationalError:
        pass  # terminated: what the test does
