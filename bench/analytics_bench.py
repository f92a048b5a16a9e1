"""Analytics: the answer (maintained part + delta since the watermark) against a full recompute,
and one fold against one rebuild, at 1M orders / ~5M items with 0.1% and 1% of the orders
changed since the watermark, with no maintenance running meanwhile (the worst case the
continuous folds of elt.maintain avoid: see sustained_bench.py). Results in
bench/results/analytics.json.

    .venv/bin/python bench/analytics_bench.py [--orders 1000000]

Starts its own cluster pair (.pg-bench in this checkout, ports 55454/55455 unless
ELT_BENCH_SOURCE_PORT / ELT_BENCH_WAREHOUSE_PORT say otherwise) and stops it at the end. The
history is loaded before subscribing, so the initial copy carries it
(docs/design.md#replication-facts-that-shape-the-design)."""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "cli"))
from benchlib import wait_synced  # noqa: E402
from cli_app import deploy, generate  # noqa: E402

PG_DIR = Path(os.environ.get("ELT_BENCH_PG_DIR", REPO / ".pg-bench"))
SOURCE_PORT = int(os.environ.get("ELT_BENCH_SOURCE_PORT", 55454))
WAREHOUSE_PORT = int(os.environ.get("ELT_BENCH_WAREHOUSE_PORT", 55455))
ENV = {**os.environ, "ELT_PG_DIR": str(PG_DIR), "SOURCE_PORT": str(SOURCE_PORT),
       "WAREHOUSE_PORT": str(WAREHOUSE_PORT)}
ANSWERS = ("open_orders", "top_dates", "pending_items", "top_customers")
SUBSCRIPTION = "bench_analytics"


def dsn(port: int, db: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{db}"


def fresh(port: int, db: str) -> str:
    with psycopg.connect(dsn(port, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {db} with (force)")
        conn.execute(f"create database {db}")
    return dsn(port, db)


def timed(conn, statement: str, runs: int) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute(statement).fetchall()
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 4), "runs": [round(t, 4) for t in times]}


def change_orders(source, n: int, seed: int) -> None:
    """n random orders change: status flips (open <-> COMPLETED) and the delivery date moves;
    one in ten also has an item's quantity changed."""
    source.execute("select setseed(%s)", [seed / 1000])
    source.execute(
        """
        with picked as (
            select (1 + floor(random() * (select max(order_id) from operations.orders)))::bigint as order_id
            from generate_series(1, %s)
        )
        update operations.orders as o
        set status = case when o.status = 'COMPLETED' then 'PENDING' else 'COMPLETED' end,
            delivery_date = o.delivery_date + 1, updated_at = localtimestamp
        where o.order_id in (select order_id from picked)
        """, [n])
    source.execute(
        """
        with picked as (
            select (1 + floor(random() * (select max(order_id) from operations.orders)))::bigint as order_id
            from generate_series(1, %s)
        )
        update operations.order_items as i
        set quanity = i.quanity + 1
        where i.order_id in (select order_id from picked)
        """, [max(1, n // 10)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query")
    args = parser.parse_args()

    subprocess.run([str(REPO / "scripts" / "pg.sh"), "up"], env=ENV, check=True)
    os.environ["PGPASSFILE"] = str(PG_DIR / "pgpass")
    password = (PG_DIR / "replication_password").read_text().strip()
    results: dict = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "orders": args.orders, "machine": f"{os.cpu_count()} cores"}
    warehouse_dsn = dsn(WAREHOUSE_PORT, "bench_analytics")
    try:
        with psycopg.connect(dsn(WAREHOUSE_PORT, "postgres"), autocommit=True) as conn:
            if conn.execute("select 1 from pg_database where datname = 'bench_analytics'").fetchone():
                with psycopg.connect(warehouse_dsn, autocommit=True) as old:
                    deploy.unsubscribe(old, SUBSCRIPTION)
        source_dsn = fresh(SOURCE_PORT, "bench_analytics")
        fresh(WAREHOUSE_PORT, "bench_analytics")
        deploy.migrate(source_dsn, "source")
        deploy.migrate(warehouse_dsn, "warehouse")
        with psycopg.connect(source_dsn, autocommit=True) as source, \
                psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
            deploy.apply_objects(source, "source")
            deploy.publish(source, password)
            deploy.apply_objects(warehouse, "warehouse")

            report = generate.load_history(source, orders=args.orders, days=365, seed=1)
            results["load"] = {"orders": report.orders, "items": report.items, "seconds": round(report.seconds, 1)}
            print(f"loaded {report.orders} orders, {report.items} items in {report.seconds:.0f}s", flush=True)
            deploy.subscribe(warehouse, deploy.subscription_conninfo(source_dsn, password), name=SUBSCRIPTION)
            results["initial_copy_s"] = round(wait_synced(source, warehouse, SUBSCRIPTION), 1)
            print(f"initial copy done in {results['initial_copy_s']}s", flush=True)
            warehouse.execute("vacuum analyze")

            started = time.perf_counter()
            warehouse.execute("call elt.rebuild_all()")
            results["first_rebuild_all_s"] = round(time.perf_counter() - started, 2)

            results["recompute"] = {name: timed(warehouse, f"select * from analytics.{name}_recompute", args.runs)
                                    for name in ANSWERS}
            print("recompute", json.dumps(results["recompute"]), flush=True)
            results["union_nothing_changed"] = {name: timed(warehouse, f"select * from analytics.{name}", args.runs)
                                                for name in ANSWERS}

            for share in (0.001, 0.01):
                warehouse.execute("call elt.rebuild_all()")
                n = int(args.orders * share)
                change_orders(source, n, seed=int(share * 10_000))
                wait_synced(source, warehouse, SUBSCRIPTION)
                entries = warehouse.execute(
                    "select count(*) from staging.changelog where xact_id >= (select min(pg_snapshot_xmin(snapshot))"
                    " from elt.watermark)").fetchone()[0]
                case = {"orders_changed": n, "changelog_entries_since_watermark": entries}
                case["union"] = {name: timed(warehouse, f"select * from analytics.{name}", args.runs)
                                 for name in ANSWERS}
                case["recompute"] = {name: timed(warehouse, f"select * from analytics.{name}_recompute", 1)
                                     for name in ANSWERS}
                case["equal"] = {name: sorted(warehouse.execute(f"select * from analytics.{name}").fetchall(),
                                              key=repr)
                                 == sorted(warehouse.execute(f"select * from analytics.{name}_recompute").fetchall(),
                                           key=repr)
                                 for name in ANSWERS}
                started = time.perf_counter()
                warehouse.execute("call elt.fold()")
                case["fold_s"] = round(time.perf_counter() - started, 2)
                started = time.perf_counter()
                warehouse.execute("call elt.rebuild_all()")
                case["rebuild_all_s"] = round(time.perf_counter() - started, 2)
                case["rebuild_per_aggregate_s"] = dict(warehouse.execute(
                    "select aggregate, round(extract(epoch from finished_at - started_at)::numeric, 2)::float"
                    " from elt.rebuild_log where rebuild_id >"
                    " (select max(rebuild_id) from elt.rebuild_log) - (select count(*) from elt.aggregate)"
                ).fetchall())
                results[f"changed_{share:.1%}"] = case
                print(f"{share:.1%}", json.dumps(case), flush=True)
            deploy.unsubscribe(warehouse, SUBSCRIPTION)
    finally:
        out = REPO / "bench" / "results" / "analytics.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {out}")
        subprocess.run([str(REPO / "scripts" / "pg.sh"), "down"], env=ENV, check=True)


if __name__ == "__main__":
    main()
