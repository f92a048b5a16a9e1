"""Replication benchmarks, on a cluster pair of their own (.pg-bench, ports 55482/55483, or
ELT_BENCH_*: see benchlib).

1. Lag from a source commit to its row in warehouse staging, over a few hundred small
   commits (one order each), polled from the warehouse.
2. Bulk load of N orders (about 5 items each) with `generate` before any subscriber, then
   the initial copy of it into the warehouse (with its set-based changelog entries).
3. The same load size paced through a live subscription (streamed, row triggers), if asked.

Writes bench/results/replication.json. Run: .venv/bin/python bench/replication_bench.py [--orders N]
"""

import argparse
import json
import os
import statistics
import time

import psycopg

from benchlib import REPO, SOURCE_PORT, WAREHOUSE_PORT, clusters, fresh, replication_password
from cli_app import deploy
from cli_app.generate import load_history


def setup_pair(name):
    src, wh = fresh(SOURCE_PORT, f"{name}_src"), fresh(WAREHOUSE_PORT, f"{name}_wh")
    password = replication_password()
    deploy.migrate(src, "source")
    deploy.migrate(wh, "warehouse")
    s = psycopg.connect(src, autocommit=True)
    w = psycopg.connect(wh, autocommit=True)
    deploy.apply_objects(s, "source")
    deploy.publish(s, password)
    deploy.apply_objects(w, "warehouse")
    return s, w, deploy.subscription_conninfo(src, password)


def wait_synced(s, w, name, timeout=3600):
    deadline = time.monotonic() + timeout
    while w.execute("select count(*) from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid"
                    " where s.subname = %s and r.srsubstate <> 'r'", [name]).fetchone()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    lsn = s.execute("select pg_current_wal_lsn()").fetchone()[0]
    while not s.execute("select confirmed_flush_lsn >= %s from pg_replication_slots where slot_name = %s",
                        [lsn, name]).fetchone()[0]:
        time.sleep(0.2)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_lag(commits):
    s, w, conninfo = setup_pair("lag")
    s.execute("call shop.add_customers(10)")
    s.execute("call shop.add_products(10)")
    deploy.subscribe(w, conninfo, name="bench_lag")
    wait_synced(s, w, "bench_lag")
    lags = []
    for _ in range(commits):
        order_id = s.execute("insert into operations.orders (order_date, delivery_date, customer_id, status)"
                             " values (current_date, current_date + 2, 1, 'PENDING') returning order_id").fetchone()[0]
        t0 = time.perf_counter()  # the insert has committed (autocommit) when execute returns
        while not w.execute("select 1 from staging.changelog where table_name = 'orders'"
                            " and (new_row->>'order_id')::bigint = %s", [order_id]).fetchone():
            pass
        lags.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.01)
    deploy.unsubscribe(w, "bench_lag")
    return {"commits": commits, "p50_ms": round(pct(lags, 50), 2), "p99_ms": round(pct(lags, 99), 2),
            "max_ms": round(max(lags), 2), "mean_ms": round(statistics.mean(lags), 2)}


def bench_load(orders):
    s, w, conninfo = setup_pair("load")
    report = load_history(s, orders=orders, days=365, seed=1)
    rows = report.orders + report.items + report.customers + report.products
    t0 = time.monotonic()
    deploy.subscribe(w, conninfo, name="bench_load")
    wait_synced(s, w, "bench_load")
    copy_s = time.monotonic() - t0
    logged = w.execute("select count(*) from staging.changelog where initial_copy").fetchone()[0]
    deploy.unsubscribe(w, "bench_load")
    return {"orders": report.orders, "items": report.items, "load_seconds": round(report.seconds, 1),
            "initial_copy_seconds": round(copy_s, 1), "initial_copy_rows_per_s": round(rows / copy_s),
            "changelog_rows_from_copy": logged}


def bench_paced(orders):
    s, w, conninfo = setup_pair("paced")
    deploy.subscribe(w, conninfo, name="bench_paced")
    wait_synced(s, w, "bench_paced")
    report = load_history(s, orders=orders, days=365, seed=2)
    wait_synced(s, w, "bench_paced")
    max_retained = s.execute("select current_setting('max_slot_wal_keep_size')").fetchone()[0]
    deploy.unsubscribe(w, "bench_paced")
    rows = report.orders + report.items + report.customers + report.products
    return {"orders": report.orders, "items": report.items, "seconds": round(report.seconds, 1),
            "streamed_rows_per_s": round(rows / report.seconds),
            "seconds_waiting_for_apply": round(report.seconds_waiting_for_apply, 1),
            "max_slot_wal_keep_size": max_retained}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--paced-orders", type=int, default=100_000)
    parser.add_argument("--commits", type=int, default=300)
    args = parser.parse_args()
    with clusters():
        results = {"lag": bench_lag(args.commits)}
        print(json.dumps(results["lag"]), flush=True)
        results["load"] = bench_load(args.orders)
        print(json.dumps(results["load"]), flush=True)
        results["paced"] = bench_paced(args.paced_orders)
        print(json.dumps(results["paced"]), flush=True)
        results["machine"] = {"cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d")}
        (REPO / "bench" / "results" / "replication.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
