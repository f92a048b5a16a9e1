"""Peers: what a data engineer would otherwise run, against ours, on the same clusters and data
under the same write mix. Also the initial sync against `pg_dump | psql`, with one and two
table-sync workers, and the export against `psql \\copy` and pandas.

    .venv/bin/python bench/peers_bench.py                          # 1M orders, 100 and 500 tx/s
    .venv/bin/python bench/peers_bench.py --orders 20000 --minutes 0.5   # smoke run, ~5 min
    make bench BENCH=peers SCALE=10m

The peers (bench/peers/): `dbt run` of a dbt-postgres 1.x project whose four models are tables
over the replicated staging tables, and the reference solutions' batch job (pull rows with a
newer updated_at from the source, upsert, recompute). Ours: the served answers
(`analytics.<name>`) with `elt.maintain` folding every 0.1 s.

Per rate and per peer, one phase of --minutes under bench.write_mix (bench/sustained_mix.sql),
after one uncounted run of the peer (one round of elt.maintain for ours) has taken in the
backlog of the phases before:
- the peer runs back to back, the best schedule its run cost allows (ours: elt.maintain);
- a marker order (customer 0, delivered in 1970, so it moves no top 3 and no item sum) is
  committed at the source and timed until the peer's open_orders shows it, then completed;
- every --sample-every seconds, the peer's four answers are compared with
  `analytics.<name>_recompute` in one snapshot: wrong or not, and by how many rows;
- after the phase the traffic stops, replication catches up, the peer runs once more and its
  answers are compared again: what stays wrong for good (the batch job never sees a delete).
Writes bench/results/peers_<orders>.json; bench/peers_report.py turns it into bench/README.md's
peers section and its plots."""

import argparse
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg

import benchlib
from benchlib import REPO, SOURCE_PORT, WAREHOUSE_PORT, dsn, fresh
from cli_app import deploy, generate
from sustained_bench import Cpu, pct, plain, stats

ANSWERS = ("open_orders", "top_dates", "pending_items", "top_customers")
SUBSCRIPTION = "bench_peers"
MARKER_CUSTOMER = 0
PEERS_DIR = REPO / "bench" / "peers"
DBT = str(Path(sys.executable).with_name("dbt"))
SCHEMA = {"ours": "analytics", "dbt": "peer_dbt", "dbt_incremental": "peer_dbt_incremental", "batch": "peer_batch"}
OPERATIONS = ("customers", "products", "orders", "order_items")


def connect(conninfo: str, name: str) -> psycopg.Connection:
    return psycopg.connect(conninfo, autocommit=True, prepare_threshold=None, application_name=f"bench {name}")


# -- setup and initial sync ------------------------------------------------------------------

def prepare(orders: int, sync_workers: list[int], results: dict) -> tuple[str, str]:
    """Source loaded; `pg_dump | psql` of its tables timed; then the subscription's initial
    copy timed once per table-sync worker count, each into a fresh warehouse database; the last
    one stays, rebuilt and analysed, for the phases."""
    password = benchlib.replication_password()
    with connect(dsn(WAREHOUSE_PORT, "postgres"), "setup") as conn:
        for (db,) in conn.execute("select datname from pg_database where datname like 'peers_wh%'").fetchall():
            with connect(dsn(WAREHOUSE_PORT, db), "setup") as old:
                deploy.unsubscribe(old, SUBSCRIPTION)
    source_dsn = fresh(SOURCE_PORT, "peers_src")
    deploy.migrate(source_dsn, "source")
    with connect(source_dsn, "setup") as source:
        deploy.apply_objects(source, "source")
        deploy.publish(source, password)
        source.execute((REPO / "bench" / "sustained_mix.sql").read_text())
        source.execute("insert into operations.customers (customer_id, customer_name, customer_address,"
                       " created_at, created_by, updated_at, updated_by)"
                       " values (%s, 'bench marker', 'nowhere', localtimestamp, 0, localtimestamp, 0)",
                       [MARKER_CUSTOMER])
        report = generate.load_history(source, orders=orders, days=365, seed=1)
        results["load"] = {"orders": report.orders, "items": report.items, "seconds": round(report.seconds, 1)}
        print(f"loaded {report.orders} orders, {report.items} items in {report.seconds:.0f}s", flush=True)
        # The history of today is stamped 09:00 today, which may be hours ahead: a batch job's
        # watermark would jump there and skip every change until then. Real rows are not
        # written in the future.
        for table in ("orders", "order_items"):
            source.execute(f"update operations.{table} set updated_at = localtimestamp - interval '1 minute',"
                           " created_at = least(created_at, localtimestamp - interval '1 minute')"
                           " where updated_at > localtimestamp - interval '1 minute'")
        source.execute("vacuum analyze")
        tables = [f"operations.{t}" for t in OPERATIONS]
        heap = source.execute("select sum(pg_table_size(t::regclass))::bigint from unnest(%s::text[]) as t",
                              [tables]).fetchone()[0]
        rows = source.execute("select " + " + ".join(f"(select count(*) from {t})" for t in tables)).fetchone()[0]
    sync = {"table_mb": round(heap / 2**20, 1), "rows": rows, "runs": []}
    results["initial_sync"] = sync

    # The baseline: what a user copying the tables by hand would run. Same tables, indexes and
    # constraints included, into an empty database on the warehouse cluster.
    dump_dsn = fresh(WAREHOUSE_PORT, "peers_dump")
    with connect(dump_dsn, "setup") as conn:
        conn.execute("create schema operations")
    started = time.perf_counter()
    dump = subprocess.Popen(["pg_dump", "--no-owner", "--no-privileges", *sum((["-t", t] for t in tables), []),
                             source_dsn], stdout=subprocess.PIPE)
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=0", "-o", "/dev/null", dump_dsn], stdin=dump.stdout,
                   check=True, stderr=subprocess.DEVNULL)
    dump.wait()
    seconds = time.perf_counter() - started
    sync["pg_dump_psql"] = {"seconds": round(seconds, 1), "mb_per_s": round(sync["table_mb"] / seconds, 1)}
    with connect(dump_dsn, "setup") as conn:
        copied = conn.execute("select " + " + ".join(f"(select count(*) from {t})" for t in tables)).fetchone()[0]
    if copied != rows:
        raise RuntimeError(f"pg_dump | psql copied {copied} rows of {rows}")
    print(f"pg_dump | psql: {seconds:.1f}s", flush=True)
    fresh(WAREHOUSE_PORT, "peers_dump")  # drop its data: the disk and the cache are shared

    warehouse_dsn = None
    with connect(dsn(WAREHOUSE_PORT, "postgres"), "setup") as admin:
        configured = admin.execute("show max_sync_workers_per_subscription").fetchone()[0]
        # The launcher starts no worker within wal_retrieve_retry_interval (5 s) of the last one
        # it started: each subscription after the first would wait for it, which is not the copy.
        admin.execute("alter system set wal_retrieve_retry_interval = '100ms'")
        try:
            for i, workers in enumerate(sync_workers):
                admin.execute(f"alter system set max_sync_workers_per_subscription = {int(workers)}")
                admin.execute("select pg_reload_conf()")
                warehouse_dsn = fresh(WAREHOUSE_PORT, "peers_wh")
                deploy.migrate(warehouse_dsn, "warehouse")
                with connect(warehouse_dsn, "setup") as warehouse, connect(source_dsn, "setup") as source:
                    deploy.apply_objects(warehouse, "warehouse")
                    started = time.perf_counter()
                    deploy.subscribe(warehouse, deploy.subscription_conninfo(source_dsn, password), name=SUBSCRIPTION)
                    benchlib.wait_synced(source, warehouse, SUBSCRIPTION)
                    seconds = time.perf_counter() - started
                    sync["runs"].append({"max_sync_workers_per_subscription": workers, "seconds": round(seconds, 1),
                                         "mb_per_s": round(sync["table_mb"] / seconds, 1)})
                    print(f"initial copy, {workers} sync workers: {seconds:.1f}s", flush=True)
                    if i < len(sync_workers) - 1:
                        deploy.unsubscribe(warehouse, SUBSCRIPTION)
        finally:
            admin.execute("alter system reset max_sync_workers_per_subscription")
            admin.execute("alter system reset wal_retrieve_retry_interval")
            admin.execute("select pg_reload_conf()")
        sync["configured_workers"] = configured
    with connect(warehouse_dsn, "setup") as warehouse:
        warehouse.execute("vacuum analyze")
        started = time.perf_counter()
        warehouse.execute("call elt.rebuild_all()")
        results["rebuild_all_s"] = round(time.perf_counter() - started, 2)
    return source_dsn, warehouse_dsn


# -- the peers -------------------------------------------------------------------------------

def dbt_env(warehouse_dsn: str, tmp: Path, schema: str) -> dict:
    params = psycopg.conninfo.conninfo_to_dict(warehouse_dsn)
    return {**os.environ, "DBT_HOST": params.get("host", "127.0.0.1"), "DBT_PORT": str(params.get("port", 5432)),
            "DBT_USER": params.get("user", "postgres"), "DBT_PASSWORD": params.get("password", ""),
            "DBT_DATABASE": params["dbname"], "DBT_SCHEMA": schema,
            "DBT_TARGET_PATH": str(tmp / "target"), "DBT_LOG_PATH": str(tmp / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}


def peer_command(peer: str, source_dsn: str, warehouse_dsn: str) -> tuple[list[str], dict]:
    if peer.startswith("dbt"):
        project = str(PEERS_DIR / "dbt")
        tmp = REPO / "bench" / "results" / peer
        incremental = ["--vars", "{incremental: true}"] if peer == "dbt_incremental" else []
        return ([DBT, "run", "--project-dir", project, "--profiles-dir", project, "--quiet", *incremental],
                dbt_env(warehouse_dsn, tmp, SCHEMA[peer]))
    return [sys.executable, str(PEERS_DIR / "batch_job.py"), source_dsn, warehouse_dsn], dict(os.environ)


def run_peer(peer: str, source_dsn: str, warehouse_dsn: str) -> dict:
    """One run as a scheduler would start it: a process, its wall time and its own CPU."""
    argv, env = peer_command(peer, source_dsn, warehouse_dsn)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise RuntimeError(f"{peer} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    outcome = {"seconds": round(seconds, 3),
               "client_cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 3)}
    if peer.startswith("dbt"):
        # What the models' SQL took, from dbt's own record: the rest is dbt starting and parsing.
        results = json.loads((Path(env["DBT_TARGET_PATH"]) / "run_results.json").read_text())
        outcome["sql_s"] = round(sum(r.get("execution_time") or 0 for r in results["results"]), 3)
    return outcome


def differences(conn, schema: str) -> dict:
    """Per answer, rows of the peer's answer that the recompute lacks plus the reverse, in one
    snapshot (0: equal)."""
    conn.execute("begin isolation level repeatable read")
    try:
        wrong, read_ms = {}, {}
        for name in ANSWERS:
            started = time.perf_counter()
            peer = Counter(conn.execute(f"select * from {schema}.{name}").fetchall())
            read_ms[name] = round(1000 * (time.perf_counter() - started), 2)
            truth = Counter(conn.execute(f"select * from analytics.{name}_recompute").fetchall())
            wrong[name] = sum(((peer - truth) + (truth - peer)).values())
        return wrong, read_ms
    finally:
        conn.execute("rollback")


# Per peer that keeps copies, each copy: (its table, the replicated table, the key, and the
# columns the answers read, as named in the copy and in the replicated table).
COPIES = {
    "batch": [("peer_batch.orders", "orders", "order_id", "status, delivery_date, customer_id",
               "status, delivery_date, customer_id"),
              ("peer_batch.order_items", "order_items", "order_item_id", "quanity, product_id, order_id",
               "quanity, product_id, order_id")],
    "dbt_incremental": [("peer_dbt_incremental.clean_orders", "orders", "order_id",
                         "status, delivery_date, customer_id", "status::text, delivery_date, customer_id"),
                        ("peer_dbt_incremental.clean_order_items", "order_items", "order_item_id",
                         "quantity, product_id, order_id", "quanity, product_id, order_id")],
}


def drift(warehouse, peer: str) -> dict:
    """Why a peer's copies differ from the replicated tables once traffic has stopped: rows the
    source deleted, and rows whose last change it never took."""
    out = {}
    for copy, table, key, mine, theirs in COPIES[peer]:
        mine = ", ".join(f"b.{c}" for c in mine.split(", "))
        theirs = ", ".join(f"o.{c}" for c in theirs.split(", "))
        out[table] = dict(zip(("deleted_at_source", "stale"), warehouse.execute(
            f"select count(*) filter (where o.{key} is null), count(*) filter (where o.{key} is not null)"
            f" from {copy} as b left join operations.{table} as o using ({key})"
            f" where o.{key} is null or ({mine}) is distinct from ({theirs})").fetchone()))
    return out


class Phase:
    """One peer at one rate: the traffic, the peer at its best schedule, the markers, the samples."""

    def __init__(self, peer, rate, seconds, source_dsn, warehouse_dsn, sample_every, marker_day):
        self.peer, self.rate, self.seconds = peer, rate, seconds
        self.source_dsn, self.warehouse_dsn = source_dsn, warehouse_dsn
        self.sample_every, self.marker_day = sample_every, marker_day
        self.stop = threading.Event()
        self.runs, self.markers, self.samples, self.traffic, self.errors = [], [], [], [], []

    def since(self) -> float:
        return round(time.monotonic() - self.t0, 3)

    def guarded(self, body):
        def target():
            try:
                body()
            except Exception as e:  # a thread that dies must show in the results
                self.errors.append(f"{body.__name__}: {e!r}")
                self.stop.set()
                raise
        return threading.Thread(target=target, name=body.__name__, daemon=True)

    def run(self) -> dict:
        def traffic(rate):
            with connect(self.source_dsn, "write_mix") as c:
                commits, errors = c.execute("call bench.write_mix(%s, %s)",
                                            [rate, timedelta(seconds=self.seconds)]).fetchone()
            self.traffic.append({"commits": commits, "errors": errors})

        def runner():
            if self.peer == "ours":
                with connect(self.warehouse_dsn, "maintain") as c:
                    c.execute("call elt.maintain(run_for => %s)", [timedelta(seconds=self.seconds)])
                return
            while not self.stop.is_set():
                start = self.since()
                outcome = run_peer(self.peer, self.source_dsn, self.warehouse_dsn)
                self.runs.append({"t": start, "t_end": self.since(), **outcome})

        def marker():
            src, wh = connect(self.source_dsn, "marker"), connect(self.warehouse_dsn, "marker")
            table = f"{SCHEMA[self.peer]}.open_orders"
            while not self.stop.is_set():
                self.marker_day += timedelta(days=1)
                day = self.marker_day
                order_id = src.execute(
                    "insert into operations.orders (order_date, delivery_date, customer_id, status,"
                    " created_at, created_by, updated_at, updated_by)"
                    " values (%s, %s, %s, 'PENDING', localtimestamp, 0, localtimestamp, 0) returning order_id",
                    [day, day, MARKER_CUSTOMER]).fetchone()[0]
                committed = time.perf_counter()
                sample = {"t": self.since(), "delivery_date": day.isoformat()}
                while not self.stop.is_set():
                    if wh.execute(f"select 1 from {table} where delivery_date = %s", [day]).fetchone():
                        sample["correct_after_s"] = round(time.perf_counter() - committed, 4)
                        break
                    time.sleep(0.02)
                else:
                    sample["cut_off_after_s"] = round(time.perf_counter() - committed, 3)
                self.markers.append(sample)
                src.execute("update operations.orders set status = 'COMPLETED', updated_at = localtimestamp"
                            " where order_id = %s", [order_id])
                self.stop.wait(random.uniform(0, 1))
            src.close()
            wh.close()

        def sampler():
            with connect(self.warehouse_dsn, "sampler") as wh:
                while not self.stop.is_set():
                    t = self.since()
                    wrong, read_ms = differences(wh, SCHEMA[self.peer])
                    self.samples.append({"t": t, "t_end": self.since(), "wrong_rows": wrong, "read_ms": read_ms})
                    self.stop.wait(max(0.0, t + self.sample_every - self.since()))

        workers = max(1, math.ceil(self.rate / 100))
        writers = [threading.Thread(target=traffic, args=(self.rate / workers,), daemon=True) for _ in range(workers)]
        helpers = [self.guarded(runner), self.guarded(marker), self.guarded(sampler)]
        # Each peer starts from its steady state, not from the backlog of the other peers' phases:
        # one round of maintenance for ours, one run (not counted) for the others.
        if self.peer == "ours":
            with connect(self.warehouse_dsn, "maintain") as c:
                c.execute("call elt.maintain(run_for => '0 seconds')")
        else:
            warm = run_peer(self.peer, self.source_dsn, self.warehouse_dsn)["seconds"]
            # At least three runs in the phase, however long a run takes at this scale.
            self.seconds = max(self.seconds, 3 * warm)
        cpu = Cpu()
        self.t0 = time.monotonic()
        with connect(self.source_dsn, "count") as src:
            commits0 = src.execute("select last_value from bench.mix_commits").fetchone()[0]
            for thread in writers + helpers:
                thread.start()
            for thread in writers:
                thread.join()
            elapsed = time.monotonic() - self.t0
            commits = src.execute("select last_value from bench.mix_commits").fetchone()[0] - commits0
            self.stop.set()
            for thread in helpers:
                thread.join(timeout=900)
            machine = cpu.sample()
            generate.wait_for_apply(src, src.execute("select pg_current_wal_lsn()::text").fetchone()[0])
        return self.settle(elapsed, commits, machine)

    def settle(self, elapsed, commits, machine) -> dict:
        """The traffic has stopped and replication caught up: one more run of the peer, then what
        is still wrong is wrong for good."""
        if self.peer != "ours":
            self.runs.append({"t": self.since(), "settling": True,
                              **run_peer(self.peer, self.source_dsn, self.warehouse_dsn)})
        with connect(self.warehouse_dsn, "settle") as wh:
            settled, _ = differences(wh, SCHEMA[self.peer])
            copies_drift = drift(wh, self.peer) if self.peer in COPIES else None
            folds = None
            if self.peer == "ours":
                folds = wh.execute(
                    "select count(*), percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at)::float8),"
                    " max(extract(epoch from finished_at - started_at))::float8, sum(changes)::bigint"
                    " from elt.fold_log where started_at > now() - %s and error is null",
                    [timedelta(seconds=elapsed + 5)]).fetchone()
        return self.summary(elapsed, commits, machine, settled, copies_drift, folds)

    def summary(self, elapsed, commits, machine, settled, copies_drift, folds) -> dict:
        runs = [r for r in self.runs if not r.get("settling")]
        if self.peer == "ours":
            n, p50, worst, changes = folds
            cost = {"runs": n, "run_s": {"n": n, "p50": round(p50 or 0, 4), "max": round(worst or 0, 4)},
                    "changes_folded": changes}
        else:
            cost = {"runs": len(runs), "run_s": stats([r["seconds"] for r in runs]),
                    "client_cpu_s_total": round(sum(r["client_cpu_s"] for r in runs), 2),
                    **({"sql_s": stats([r["sql_s"] for r in runs])} if self.peer.startswith("dbt") else {}),
                    "client_cpu_s": stats([r["client_cpu_s"] for r in runs])}
        latencies = [1000 * m["correct_after_s"] for m in self.markers if "correct_after_s" in m]
        # A marker the phase's end cut short is not counted as missed, unless it had waited
        # through several runs already (the batch job can miss one for good).
        patience = 3 * max([r["seconds"] for r in runs] + [0.1])
        cut_off = sum(1 for m in self.markers if m.get("cut_off_after_s", patience) < patience)
        wrong = {}
        for name in ANSWERS:
            flags = [(s["t"], s["wrong_rows"][name] > 0) for s in self.samples]
            stretches, start = [], None
            for t, bad in flags + [(flags[-1][0] + self.sample_every if flags else 0, False)]:
                if bad and start is None:
                    start = t
                elif not bad and start is not None:
                    stretches.append(t - start)
                    start = None
            wrong[name] = {"samples": len(flags), "wrong_share": round(sum(b for _, b in flags) / max(1, len(flags)), 3),
                           "longest_wrong_s": round(max(stretches, default=0), 1),
                           "wrong_rows_p50": pct([s["wrong_rows"][name] for s in self.samples], 50),
                           "wrong_rows_max": max((s["wrong_rows"][name] for s in self.samples), default=0),
                           "wrong_rows_after_settling": settled[name]}
        out = {"peer": self.peer, "rate_target": self.rate, "seconds": round(elapsed, 1),
               "achieved_tx_per_s": round(commits / elapsed, 1), "traffic": self.traffic, **cost,
               "correct_after_ms": {**stats(latencies), "markers": len(self.markers),
                                   "never_seen": len(self.markers) - len(latencies) - cut_off},
               "correct_after_s_from_runs": from_runs(runs),
               "answer_read_ms": {name: stats([s["read_ms"][name] for s in self.samples]) for name in ANSWERS},
               "wrong": wrong, "machine_cpu": machine, "errors": self.errors}
        if copies_drift is not None:
            out["drift"] = copies_drift
        return out


def from_runs(runs: list[dict]) -> dict:
    """For commits spread evenly over the phase, the time until the end of the first run that
    started after each: what back-to-back runs give when nothing else goes wrong."""
    if len(runs) < 2:
        return stats([])
    waits, t = [], runs[0]["t"]
    step = (runs[-1]["t"] - t) / 1000
    for run in runs[1:]:
        while t < run["t"]:
            waits.append(run["t_end"] - t)
            t += step
    return stats(waits)


# -- export ----------------------------------------------------------------------------------

def export(warehouse_dsn: str, repeat: int) -> dict:
    """bench/export_bench.py's comparison on this warehouse: cli-app, psql \\copy and pandas."""
    import export_bench
    return export_bench.compare(warehouse_dsn, "operations.order_items", [100_000, 1_000_000], repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rates", default="100,500", help="source transactions per second, comma-separated")
    parser.add_argument("--minutes", type=float, default=1.0,
                        help="of traffic per peer and rate (longer if three of the peer's runs take longer)")
    parser.add_argument("--peers", default="ours,dbt,batch",
                        help="of ours, dbt, dbt_incremental (its clean inputs incremental tables), batch")
    parser.add_argument("--sample-every", type=float, default=None,
                        help="seconds between answer checks (default: 5 s per 1M orders, at least 1 s: a check"
                             " recomputes the four answers, ~1.5 s of a core at 1M)")
    parser.add_argument("--sync-workers", default="1,2",
                        help="max_sync_workers_per_subscription values to time the initial copy with; the last stays")
    parser.add_argument("--export-repeat", type=int, default=3, help="runs per export tool (0: no export)")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    peers = args.peers.split(",")
    sample_every = args.sample_every or max(1.0, 5 * args.orders / 1_000_000)
    results = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), "orders": args.orders, "minutes_per_phase": args.minutes,
               "sample_every_s": sample_every, "timings_s": {}, "phases": []}
    out = REPO / "bench" / "results" / f"peers_{scale_name(args.orders)}.json"
    out.parent.mkdir(exist_ok=True)
    began = time.perf_counter()
    with benchlib.clusters():
        try:
            source_dsn, warehouse_dsn = prepare(args.orders, [int(w) for w in args.sync_workers.split(",")], results)
            results["timings_s"]["setup_and_sync"] = round(time.perf_counter() - began, 1)
            started = time.perf_counter()
            results["first_runs"] = {}
            for peer in peers:
                if peer != "ours":
                    results["first_runs"][peer] = run_peer(peer, source_dsn, warehouse_dsn)
                    print(f"first {peer} run: {results['first_runs'][peer]}", flush=True)
            results["timings_s"]["first_runs"] = round(time.perf_counter() - started, 1)
            marker_day = date(1970, 1, 1)
            started = time.perf_counter()
            for rate in rates:
                for peer in peers:
                    phase = Phase(peer, rate, args.minutes * 60, source_dsn, warehouse_dsn, sample_every, marker_day)
                    print(f"{peer} at {rate} tx/s for {args.minutes} min", flush=True)
                    summary = phase.run()
                    marker_day = phase.marker_day
                    results["phases"].append({"summary": summary, "runs": phase.runs, "markers": phase.markers,
                                              "samples": phase.samples})
                    print(json.dumps(brief(summary)), flush=True)
            results["timings_s"]["phases"] = round(time.perf_counter() - started, 1)
            if args.export_repeat:
                started = time.perf_counter()
                results["export"] = export(warehouse_dsn, args.export_repeat)
                results["timings_s"]["export"] = round(time.perf_counter() - started, 1)
            with connect(warehouse_dsn, "teardown") as warehouse:
                deploy.unsubscribe(warehouse, SUBSCRIPTION)
        finally:
            results["timings_s"]["total"] = round(time.perf_counter() - began, 1)
            out.write_text(json.dumps(results, indent=1, default=as_json) + "\n")
            print(f"wrote {out.relative_to(REPO)} ({results['timings_s']})", flush=True)
    import peers_report
    peers_report.main([])


def as_json(value):
    return float(value) if isinstance(value, Decimal) else plain(value)


def scale_name(orders: int) -> str:
    if orders % 1_000_000 == 0:
        return f"{orders // 1_000_000}m"
    if orders % 1000 == 0:
        return f"{orders // 1000}k"
    return str(orders)


def machine() -> dict:
    mem = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    return {"cores": os.cpu_count(), "cpu": model, "memory_gb": round(mem / 2**20, 1),
            "python": platform.python_version(), "postgres": subprocess.run(
                ["pg_config", "--version"], capture_output=True, text=True).stdout.strip() or "?",
            "note": "cores shared with other sessions' work: compare ratios from one run"}


def brief(summary: dict) -> dict:
    return {"peer": summary["peer"], "rate": summary["rate_target"], "tx_per_s": summary["achieved_tx_per_s"],
            "runs": summary["runs"], "run_s": summary["run_s"], "correct_after_ms": summary["correct_after_ms"],
            "wrong_share": {n: w["wrong_share"] for n, w in summary["wrong"].items()},
            "wrong_after_settling": {n: w["wrong_rows_after_settling"] for n, w in summary["wrong"].items()},
            **({"drift": summary["drift"]} if "drift" in summary else {}),
            "errors": summary["errors"]}


if __name__ == "__main__":
    main()
