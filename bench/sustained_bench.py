"""Sustained traffic: the four served answers under a steady write load at the source, while
maintenance runs as in production, timed every second against their from-scratch recompute;
the business metrics too (METRICS), their recomputes from the facts every 120 s.

    .venv/bin/python bench/sustained_bench.py                 # 1M orders; 100, 500, 1000 tx/s, 10 min each
    .venv/bin/python bench/sustained_bench.py --orders 20000 --rates 100,500 --minutes 1   # smoke run
    .venv/bin/python bench/sustained_bench.py --big           # 10M orders, 500 tx/s only
    .venv/bin/python bench/sustained_bench.py --minutes 5,10,5 --recompute-every 5   # shorter, lighter
    .venv/bin/python bench/sustained_bench.py --big --pin-clusters   # source and warehouse a core each
    make bench BENCH=sustained ARGS="--orders 20000 --rates 100,500 --minutes 1"

Own cluster pair through benchlib (ELT_BENCH_PG_DIR, ELT_BENCH_SOURCE_PORT, ELT_BENCH_WAREHOUSE_PORT).
The history is loaded before subscribing (the initial copy carries it), then rebuilt once. The
warehouse database is `warehouse`, the one pg_cron serves, so maintenance is the production
pg_cron jobs `maintain-answers` and `maintain-metrics` (`call elt.maintain(layer => ...)`); if
the answers' job does not start, the bench calls its command every minute from a background
connection and says so in the results. --without-metrics leaves out the star tables and the
metrics' job (10M orders: their first build alone takes about 40 minutes); --keep, --reuse and
--prepare-only let one load serve several runs.

Per rate: bench.write_mix (bench/sustained_mix.sql) runs the write mix server-side, in one
connection per 100 tx/s, paced. Every second: each served answer is read to the end
(`select * from analytics.<name>`); a marker order (delivered in 1970, customer 0, no items, so
it moves no top-3 and no item sum) is committed at the source and timed until the served
open_orders includes it, then deleted; slot lag, freshness, folds and CPU are sampled. The
recomputes run on their own connection, one round after another, at most one round a second
(`--recompute-every`). The bench's readers (answers, recomputes, metrics) take turns, one query
at a time, served reads first, like one analyst at a psql prompt: a recompute takes a core
for up to a second, and on 2 cores a served answer timed beside it measured the bench's own load
(at 1M orders, p99s 3-4 times those timed in turns); --readers-overlap lets them run at once. The write mix, the
maintenance, the marker and the monitor never wait for a turn.
At the end of the rate every answer is compared with its recompute in one REPEATABLE READ snapshot.
After the last rate, with the maintenance stopped, 0.1% of the orders change and one fold of the
answers' aggregates is timed against their rebuild, three times on other orders, medians compared
(rebuilt_rows_written 0 says the folds kept them exact), and beside each fold its floor: what no
fold of those orders can skip (fold_floor); then a rebuild of every aggregate.
--read-floors reads open_orders' and pending_items' maintained parts bare each second, after the
answers: the floor under their served reads, which no delta or union can go below.
--pin-clusters runs the traffic with the source's processes on core 0 and the warehouse's on
core 1, as if they had a machine each (a shop's source is not on its warehouse's cores); the
fold against rebuild runs unpinned, the rebuild's parallel workers on both cores as otherwise.
Writes bench/results/sustained.json and bench/sustained.png (at 1M orders; sustained_10m.json and
sustained_10m.png at 10M...)."""

import argparse
import bisect
import contextlib
import heapq
import itertools
import json
import math
import os
import random
import statistics
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import psycopg
from psycopg import sql

import benchlib
from benchlib import REPO, SOURCE_PORT, WAREHOUSE_PORT, dsn, fresh
from cli_app import deploy, generate

ANSWERS = ("open_orders", "top_dates", "pending_items", "top_customers")
# The business metrics (analytics.metric_catalog) and the anomaly flags, read every second like
# the answers, each beside the view that computes it from the facts (None: no such view; the
# drop-off views are projections of revenue_*, the flags of the daily metrics). Their recomputes
# run on a connection of their own every --metric-recompute-every seconds: computed from the
# facts they take seconds at 1M orders, and each second they would crowd out the answers'.
METRICS = {
    "revenue_daily": "analytics.revenue_daily_recompute",
    "revenue_weekly": "analytics.revenue_weekly_recompute",
    "revenue_by_product": "analytics.revenue_by_product_recompute",
    "intake_revenue_dropoff_daily": None,
    "intake_revenue_dropoff_weekly": None,
    "delivery_lag_weekly": "analytics.delivery_lag_weekly_recompute",
    "customers_new_returning": "analytics.customers_new_returning_recompute",
    "status_funnel": "analytics.status_funnel_totals_recompute",
    "anomaly_flags_today": None,
}
# With --read-floors, the answers read whole each second are read again bare, their maintained
# part alone (no delta, no union): what no answer of that many rows can be served under.
READ_FLOORS = ("open_orders", "pending_items")
SUBSCRIPTION = "bench_sustained"
# The production jobs: the answers folded every 0.1 s, the star tables and metrics every second.
JOB = "maintain-answers"
METRICS_JOB = "maintain-metrics"
MARKER_CUSTOMER = 0
RESULTS = REPO / "bench" / "results" / "sustained.json"
PLOT = REPO / "bench" / "sustained.png"


def scaled(path, orders: int):
    """sustained.json at 1M orders (what peers_report reads), sustained_10m.json at 10M..."""
    if orders == 1_000_000:
        return path
    label = f"{orders // 1_000_000}m" if orders % 1_000_000 == 0 else f"{orders // 1000}k"
    return path.with_name(f"{path.stem}_{label}{path.suffix}")


def pct(values, p):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))], 2)


def stats(values) -> dict:
    return {"n": len(values), "p50": pct(values, 50), "p99": pct(values, 99), "max": pct(values, 100)}


def median_difference(first, last, resamples=2000) -> dict | None:
    """The last minute's p50 minus the first's, with a 95% bootstrap interval: about 50 samples a
    minute put a few tenths of a millisecond of noise on each p50, so a difference inside the
    interval is no evidence of a slowdown, and a whole interval above zero is."""
    if not first or not last:
        return None
    rng = random.Random(0)
    diffs = sorted(statistics.median(rng.choices(last, k=len(last))) - statistics.median(rng.choices(first, k=len(first)))
                   for _ in range(resamples))
    return {"ms": round(statistics.median(last) - statistics.median(first), 2),
            "ci95": [round(diffs[int(0.025 * resamples)], 2), round(diffs[int(0.975 * resamples) - 1], 2)],
            "slower": diffs[int(0.025 * resamples)] > 0}


def trend(minutes, resamples=2000) -> dict | None:
    """How much slower the run got from its first minute to its last, judged from every minute's
    p50 (minutes: one list of reads per minute): a least-squares line through them, its rise from
    the first minute to the last, and a 95% interval from refitting it to the line plus residuals
    drawn again (the spread between whole minutes is the noise here, which a comparison of the two
    end minutes' reads alone leaves out: that test called a flat run 0.2-0.3 ms slower). Slower
    only when the whole interval is above zero."""
    points = [(i, statistics.median(m)) for i, m in enumerate(minutes) if m]
    if len(points) < 3:
        return None
    xs, ys = [x for x, _ in points], [y for _, y in points]
    fit = statistics.linear_regression(xs, ys)
    span = xs[-1] - xs[0]
    fitted = [fit.intercept + fit.slope * x for x in xs]
    # Scaled up: residuals spread less than the noise does, by the line's two fitted parameters.
    inflate = math.sqrt(len(xs) / (len(xs) - 2))
    residuals = [(y - f) * inflate for y, f in zip(ys, fitted)]
    rng = random.Random(0)
    rises = sorted(statistics.linear_regression(xs, [f + r for f, r in zip(fitted, rng.choices(residuals, k=len(xs)))]).slope
                   * span for _ in range(resamples))
    low, high = rises[int(0.025 * resamples)], rises[int(0.975 * resamples) - 1]
    return {"minutes": len(points), "ms_per_minute": round(fit.slope, 3), "rise_ms": round(fit.slope * span, 2),
            "ci95": [round(low, 2), round(high, 2)], "slower": low > 0}


def plain(value):
    """A database value as JSON: intervals in seconds, times in ISO."""
    if isinstance(value, timedelta):
        return round(value.total_seconds(), 3)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


class Cpu:
    """CPU since the last call: the machine's busy share of all cores (/proc/stat), and the cores
    each cluster used: its postmaster, its live children, and through the postmaster's cutime
    the children that ended (parallel workers, cron jobs) since."""

    def __init__(self):
        self.tick = os.sysconf("SC_CLK_TCK")
        self.postmasters = {}
        for name in ("source", "warehouse"):
            pid_file = benchlib.PG_DIR / "data" / name / "postmaster.pid"
            self.postmasters[name] = int(pid_file.read_text().split()[0])
        self.last = self.read()
        self.bench = time.process_time()

    @staticmethod
    def _stat(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), [int(x) for x in fields[11:15]]  # ppid; utime stime cutime cstime

    def read(self):
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:]]
        clusters = {}
        for name, pm in self.postmasters.items():
            _, times = self._stat(pm)
            clusters[name] = sum(times)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                ppid, times = self._stat(entry)
            except (OSError, IndexError):
                continue  # ended while we looked: its time is in the postmaster's cutime now
            for name, pm in self.postmasters.items():
                if ppid == pm:
                    clusters[name] += times[0] + times[1]
        return time.monotonic(), sum(cpu), cpu[3] + cpu[4], clusters

    def warehouse_seconds(self) -> float:
        """CPU seconds the warehouse cluster has used so far, ended children included."""
        return self.read()[3]["warehouse"] / self.tick

    def sample(self) -> dict:
        now = self.read()
        (t0, total0, idle0, cl0), (t1, total1, idle1, cl1) = self.last, now
        self.last = now
        bench, self.bench = time.process_time() - self.bench, time.process_time()
        busy = 100 * (1 - (idle1 - idle0) / max(1, total1 - total0))
        return {"machine_busy_pct": round(busy, 1), "bench_cores": round(bench / max(1e-3, t1 - t0), 2),
                **{f"{name}_cores": round((cl1[name] - cl0[name]) / self.tick / max(1e-3, t1 - t0), 2)
                   for name in cl1}}


def pin_clusters(cores: dict[str, set[int]] | None) -> None:
    """Each cluster's postmaster and processes on the given cores, or back on every core (None);
    backends started later inherit their postmaster's."""
    everything = set(range(os.cpu_count()))
    postmasters = {name: int((benchlib.PG_DIR / "data" / name / "postmaster.pid").read_text().split()[0])
                   for name in ("source", "warehouse")}
    children = {pm: [] for pm in postmasters.values()}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid, _ = Cpu._stat(entry)
            except (OSError, IndexError):
                continue
            if ppid in children:
                children[ppid].append(int(entry))
    for name, pm in postmasters.items():
        for pid in [pm] + children[pm]:
            try:
                os.sched_setaffinity(pid, cores[name] if cores else everything)
            except ProcessLookupError:
                pass  # ended meanwhile


class Turns:
    """One reader at a time: the served reads first, then in the order they asked. A served read
    waits for at most the one recompute running, so the answers are still sampled every second
    (in turn order alone, each of their four reads waited for a recompute: one sample in 1.9 s).
    A plain Lock would not do either: the recompute loop, asking again as soon as it lets go,
    kept it for whole rounds."""

    def __init__(self, overlap: bool = False):
        self.overlap = overlap
        self.changed = threading.Condition()
        self.waiting: list[tuple[int, int]] = []
        self.tickets = itertools.count()
        self.busy = False

    @contextlib.contextmanager
    def turn(self, served: bool = False):
        if self.overlap:
            yield
            return
        with self.changed:
            me = (0 if served else 1, next(self.tickets))
            heapq.heappush(self.waiting, me)
            self.changed.wait_for(lambda: not self.busy and self.waiting[0] == me)
            heapq.heappop(self.waiting)
            self.busy = True
        try:
            yield
        finally:
            with self.changed:
                self.busy = False
                self.changed.notify_all()


class Run:
    """One rate: the traffic and the samplers, each on its own connection and thread."""

    def __init__(self, source_dsn, warehouse_dsn, rate, seconds, marker_day, recompute_every,
                 metric_recompute_every=30, with_metrics=True, readers_overlap=False, read_floors=False):
        self.source_dsn, self.warehouse_dsn = source_dsn, warehouse_dsn
        self.turns = Turns(overlap=readers_overlap)
        self.read_floors = read_floors
        self.floors: list[dict] = []
        self.with_metrics = with_metrics
        self.recompute_every = recompute_every
        self.metric_recompute_every = metric_recompute_every
        self.rate, self.seconds = rate, seconds
        self.marker_day = marker_day
        self.stop = threading.Event()
        self.served, self.recomputed, self.markers, self.monitor = [], [], [], []
        self.metrics_served, self.metrics_recomputed = [], []
        self.traffic, self.errors = [], []
        self.t0 = None

    def since(self):
        return round(time.monotonic() - self.t0, 3)

    def every_second(self, body):
        """Run body once a second (on the second since the start) until stopped; a slow body
        delays the next tick rather than piling them up."""
        def loop():
            try:
                tick = 0
                while not self.stop.is_set():
                    body()
                    tick = max(tick + 1, math.ceil(time.monotonic() - self.t0))
                    self.stop.wait(max(0.0, self.t0 + tick - time.monotonic()))
            except Exception as e:  # a sampler that dies must show, not just thin out the data
                self.errors.append(f"{body.__name__}: {e!r}")
                raise
        return threading.Thread(target=loop, name=body.__name__, daemon=True)

    def start(self):
        def connect(conninfo, name):
            # Never auto-prepared: each query is planned as a psql user's would be, so a plan made
            # for a small delta is not reused when the delta has grown.
            return psycopg.connect(conninfo, autocommit=True, prepare_threshold=None,
                                   application_name=f"bench {name}")
        wh = connect(self.warehouse_dsn, "served")
        rc = connect(self.warehouse_dsn, "recompute")
        mw, mr = connect(self.warehouse_dsn, "metrics served"), connect(self.warehouse_dsn, "metrics recompute")
        mk_src, mk_wh = connect(self.source_dsn, "marker"), connect(self.warehouse_dsn, "marker")
        mon_src, mon_wh = connect(self.source_dsn, "monitor"), connect(self.warehouse_dsn, "monitor")
        self.connections = [wh, rc, mk_src, mk_wh, mon_src, mon_wh, mw, mr]
        # Without the metrics' loop (--without-metrics) their reads and recomputes are left out
        # too, even where a kept pair has them: the run measures the answers alone.
        metrics = [m for m in METRICS if self.with_metrics and mw.execute(
            "select to_regclass(%s) is not null", [f"analytics.{m}"]).fetchone()[0]]
        has_fold_log = mon_wh.execute("select to_regclass('elt.fold_log') is not null").fetchone()[0]
        cpu = Cpu()
        last = {"commits": None, "t": None}

        def timed(conn, sample, name, query, served=False):
            """One reader's query in its turn: its milliseconds, its rows, and when it ran.
            ms is until the rows are Python objects; received_ms until the last row has reached
            the client (psycopg's execute returns with the whole result in hand), which is what
            the database and the wire cost, whatever the client then does with the rows."""
            with self.turns.turn(served):
                t0, started = self.since(), time.perf_counter()
                cursor = conn.execute(query)
                received = time.perf_counter()
                rows = cursor.fetchall()
                sample["ms"][name] = round((time.perf_counter() - started) * 1000, 2)
                sample.setdefault("received_ms", {})[name] = round((received - started) * 1000, 2)
                sample["spans"][name] = [t0, self.since()]
            return rows

        def served():
            sample = {"t": self.since(), "ms": {}, "rows": {}, "spans": {}}
            for name in ANSWERS:
                sample["rows"][name] = len(timed(wh, sample, name, f"select * from analytics.{name}", served=True))
            sample["t_end"] = self.since()
            self.served.append(sample)
            if self.read_floors:
                floor = {"t": self.since(), "ms": {}, "rows": {}, "spans": {}}
                for name in READ_FLOORS:
                    floor["rows"][name] = len(timed(wh, floor, name, f"select * from analytics.{name}_maintained",
                                                    served=True))
                self.floors.append(floor)

        def recompute():
            while not self.stop.is_set():
                sample = {"t": self.since(), "ms": {}, "spans": {}}
                for name in ANSWERS:
                    timed(rc, sample, name, f"select * from analytics.{name}_recompute")
                sample["t_end"] = self.since()
                self.recomputed.append(sample)
                self.stop.wait(max(0.0, sample["t"] + self.recompute_every - self.since()))

        def metrics_served():
            sample = {"t": self.since(), "ms": {}, "rows": {}, "spans": {}}
            for name in metrics:
                sample["rows"][name] = len(timed(mw, sample, name, f"select * from analytics.{name}", served=True))
            sample["t_end"] = self.since()
            self.metrics_served.append(sample)

        def metrics_recompute():
            while not self.stop.is_set():
                sample = {"t": self.since(), "ms": {}, "spans": {}}
                for name in metrics:
                    if METRICS[name] and not self.stop.is_set():
                        timed(mr, sample, name, f"select * from {METRICS[name]}")
                sample["t_end"] = self.since()
                self.metrics_recomputed.append(sample)
                self.stop.wait(max(0.0, sample["t"] + self.metric_recompute_every - self.since()))

        def marker():
            self.marker_day += timedelta(days=1)
            day = self.marker_day
            sample = {"t": self.since(), "delivery_date": day.isoformat()}
            order_id = mk_src.execute(
                "insert into operations.orders (order_date, delivery_date, customer_id, status,"
                " created_at, created_by, updated_at, updated_by)"
                " values (%s, %s, %s, 'PENDING', localtimestamp, 0, localtimestamp, 0) returning order_id",
                [day, day, MARKER_CUSTOMER]).fetchone()[0]
            committed = time.perf_counter()  # autocommit: the insert has committed
            deadline = committed + 120
            while not mk_wh.execute("select 1 from operations.orders where order_id = %s", [order_id]).fetchone():
                if time.perf_counter() > deadline:
                    break
                time.sleep(0.005)
            else:
                sample["applied_ms"] = round((time.perf_counter() - committed) * 1000, 2)
                while True:
                    started = time.perf_counter()
                    seen = mk_wh.execute("select open_orders from analytics.open_orders where delivery_date = %s",
                                         [day]).fetchone()
                    if seen or time.perf_counter() > deadline:
                        break
                    time.sleep(0.005)
                if seen:
                    sample["served_ms"] = round((time.perf_counter() - committed) * 1000, 2)
                    sample["query_ms"] = round((time.perf_counter() - started) * 1000, 2)
            mk_src.execute("delete from operations.orders where order_id = %s", [order_id])
            self.markers.append(sample)

        def monitor():
            sample = {"t": self.since(), **cpu.sample()}
            commits, sample["slot_lag_bytes"] = mon_src.execute(
                "select (select last_value from bench.mix_commits),"
                " (select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint"
                "  from pg_replication_slots where slot_name = %s)", [SUBSCRIPTION]).fetchone()
            now = time.monotonic()
            if last["commits"] is not None:
                sample["tx_per_s"] = round((commits - last["commits"]) / (now - last["t"]), 1)
            last["commits"], last["t"] = commits, now
            started = time.perf_counter()
            # Whatever columns the view has today: they are changing under another branch.
            cur = mon_wh.execute("select * from analytics.freshness")
            names = [c.name for c in cur.description]
            sample["freshness"] = [{k: plain(v) for k, v in zip(names, row)} for row in cur.fetchall()]
            sample["freshness_query_ms"] = round((time.perf_counter() - started) * 1000, 2)
            if has_fold_log:
                row = mon_wh.execute("select extract(epoch from now() - max(finished_at))::float8,"
                                     " count(*) filter (where finished_at > now() - interval '1 second')"
                                     " from elt.fold_log").fetchone()
                sample["since_last_fold_s"], sample["folds_last_second"] = row
            self.monitor.append(sample)

        def traffic(rate):
            with psycopg.connect(self.source_dsn, autocommit=True, application_name="bench write_mix") as c:
                commits, errors = c.execute("call bench.write_mix(%s, %s)",
                                            [rate, timedelta(seconds=self.seconds)]).fetchone()
            self.traffic.append({"rate": rate, "commits": commits, "errors": errors})

        # One loop is bound by its commit latency, not by CPU: on a busy 2-core machine one
        # managed 200 tx/s of 500 while using a tenth of a core. Several keep the rate.
        workers = max(1, math.ceil(self.rate / 100))
        self.writers = [threading.Thread(target=traffic, args=(self.rate / workers,), name=f"write_mix {i}")
                        for i in range(workers)]
        self.samplers = [self.every_second(served), self.every_second(marker), self.every_second(monitor),
                         threading.Thread(target=recompute, name="recompute", daemon=True),
                         self.every_second(metrics_served),
                         threading.Thread(target=metrics_recompute, name="metrics recompute", daemon=True)]
        self.wal_conns = {"source": mon_src, "warehouse": mon_wh}
        self.wal_started = {name: wal_counters(c) for name, c in self.wal_conns.items()}
        self.t0 = time.monotonic()
        self.wall_started = datetime.now(timezone.utc)
        for thread in self.writers + self.samplers:
            thread.start()

    def finish(self):
        for thread in self.writers:
            thread.join()
        self.elapsed = time.monotonic() - self.t0
        self.wal = {}
        for name, conn in self.wal_conns.items():
            (records0, fpi0, bytes0, checkpoints0), (records, fpi, size, checkpoints) = \
                self.wal_started[name], wal_counters(conn)
            self.wal[name] = {"mb_per_s": round((size - bytes0) / 1e6 / self.elapsed, 2),
                              "full_page_images_per_s": round((fpi - fpi0) / self.elapsed, 1),
                              "records_per_s": round((records - records0) / self.elapsed, 1),
                              "checkpoints": checkpoints - checkpoints0}
        self.stop.set()
        for thread in self.samplers:
            thread.join(timeout=180)
        for conn in self.connections:
            conn.close()


def wal_counters(conn) -> tuple:
    """The cluster's WAL written so far: records, full-page images, bytes, and checkpoints."""
    return conn.execute("select w.wal_records, w.wal_fpi, w.wal_bytes::bigint,"
                        " b.checkpoints_timed + b.checkpoints_req"
                        " from pg_stat_wal as w, pg_stat_bgwriter as b").fetchone()


def check_equal(warehouse_dsn) -> dict:
    """Every answer against its recompute, in one REPEATABLE READ snapshot."""
    result = {}
    with psycopg.connect(warehouse_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        for name in ANSWERS:
            served = Counter(conn.execute(f"select * from analytics.{name}").fetchall())
            spec = Counter(conn.execute(f"select * from analytics.{name}_recompute").fetchall())
            only_served, only_spec = served - spec, spec - served
            result[name] = {"equal": not only_served and not only_spec, "rows": sum(spec.values()),
                            "only_served": [list(map(plain, r)) for r in list(only_served)[:10]],
                            "only_recompute": [list(map(plain, r)) for r in list(only_spec)[:10]]}
        # The metrics' declared aggregates (status_funnel_totals under status_funnel), same snapshot.
        for name in [m for m in (*METRICS, "status_funnel_totals", "delivery_lag_histogram")
                     if m not in ("status_funnel", "delivery_lag_weekly")]:
            if not conn.execute("select to_regclass(%s) is not null", [f"analytics.{name}_recompute"]).fetchone()[0]:
                continue
            served = Counter(conn.execute(f"select * from analytics.{name}").fetchall())
            spec = Counter(conn.execute(f"select * from analytics.{name}_recompute").fetchall())
            result[name] = {"equal": served == spec, "rows": sum(spec.values()),
                            "only_served": [list(map(plain, r)) for r in list(served - spec)[:10]],
                            "only_recompute": [list(map(plain, r)) for r in list(spec - served)[:10]]}
        conn.rollback()
    return result


class Recomputes:
    """When the recomputes ran, query by query: each loop runs one at a time, so sorted by start
    its spans are sorted by end too, and one bisection finds the one a span could overlap."""

    def __init__(self, *loops: list[dict]):
        self.loops = []
        for rounds in loops:
            spans = sorted(span for r in rounds for span in r["spans"].values())
            self.loops.append(([a for a, _ in spans], [b for _, b in spans]))

    def beside(self, span) -> bool:
        start, end = span
        for starts, ends in self.loops:
            i = bisect.bisect_right(ends, start)  # the first that ends after this one starts
            if i < len(starts) and starts[i] < end:
                return True
        return False


def summarise(run: Run, warehouse) -> dict:
    minute = min(60, run.elapsed / 2)
    served = {}
    for name in ANSWERS:
        ms = [s["ms"][name] for s in run.served]
        first = [s["ms"][name] for s in run.served if s["t"] < minute]
        last = [s["ms"][name] for s in run.served if s["t"] >= run.elapsed - minute]
        served[name] = {**stats(ms), "first_minute_p50": pct(first, 50), "last_minute_p50": pct(last, 50),
                        "last_minus_first_minute_p50": median_difference(first, last),
                        "trend_over_minutes": trend([[s["ms"][name] for s in run.served if m * 60 <= s["t"] < (m + 1) * 60]
                                                     for m in range(int(run.elapsed // 60))]),
                        "received": stats([s["received_ms"][name] for s in run.served if "received_ms" in s])}
    recompute = {name: stats([s["ms"][name] for s in run.recomputed]) for name in ANSWERS}
    metric_names = sorted({n for s in run.metrics_served for n in s["ms"]})
    metrics_served = {name: stats([s["ms"][name] for s in run.metrics_served if name in s["ms"]])
                      for name in metric_names}
    metrics_recompute = {name: stats([s["ms"][name] for s in run.metrics_recomputed if name in s["ms"]])
                         for name in metric_names if METRICS.get(name)}
    # The bench's own recomputes take a core for about a second: on 2 cores a served answer
    # timed meanwhile waits for CPU that no user's traffic takes. Both halves are reported, read
    # by read: with the readers taking turns (the default) none is beside a recompute.
    # The metrics' recomputes from the facts too (seconds each at 1M orders).
    recomputes = Recomputes(run.recomputed, run.metrics_recomputed)
    served_split = {}
    for name in ANSWERS:
        split = {True: [], False: []}
        for s in run.served:
            split[recomputes.beside(s["spans"][name])].append(s["ms"][name])
        served_split[name] = {"clear_of_recomputes": stats(split[False]), "beside_a_recompute": stats(split[True])}
    rounds = [s["t"] for s in run.recomputed]
    commits = sum(w["commits"] for w in run.traffic)
    summary = {
        "rate_target": run.rate, "seconds": round(run.elapsed, 1),
        "readers": "overlap" if run.turns.overlap else "take turns",
        "achieved_tx_per_s": round(commits / run.elapsed, 1), "commits": commits,
        "errors": sum(w["errors"] for w in run.traffic), "writers": run.traffic,
        "tx_per_s_per_second": stats([m["tx_per_s"] for m in run.monitor if "tx_per_s" in m]),
        "served_ms": served, "served_ms_by_recompute_overlap": served_split, "recompute_ms": recompute,
        **({"read_floor_ms": {name: {**stats([f["ms"][name] for f in run.floors]),
                                     "received": stats([f["received_ms"][name] for f in run.floors])}
                              for name in READ_FLOORS}} if run.floors else {}),
        "metrics_served_ms": metrics_served, "metrics_recompute_ms": metrics_recompute,
        "recompute_rounds": len(rounds),
        "recompute_round_every_s": round((rounds[-1] - rounds[0]) / (len(rounds) - 1), 2) if len(rounds) > 1 else None,
        "ratio_recompute_to_served_p50": {
            name: round(recompute[name]["p50"] / served[name]["p50"], 1) if served[name]["p50"] else None
            for name in ANSWERS},
        "ratio_recompute_to_served_p99": {
            name: round(recompute[name]["p99"] / served[name]["p99"], 1) if served[name]["p99"] else None
            for name in ANSWERS},
        "freshness_ms": stats([m["served_ms"] for m in run.markers if "served_ms" in m]),
        "apply_ms": stats([m["applied_ms"] for m in run.markers if "applied_ms" in m]),
        "markers": len(run.markers), "markers_not_seen": sum("served_ms" not in m for m in run.markers),
        "slot_lag_bytes": stats([m["slot_lag_bytes"] for m in run.monitor if m["slot_lag_bytes"] is not None]),
        "served_ticks": len(run.served),
        "cpu": {key: {"mean": round(sum(m[key] for m in run.monitor) / max(1, len(run.monitor)), 2),
                      "max": max((m[key] for m in run.monitor), default=None)}
                for key in ("machine_busy_pct", "source_cores", "warehouse_cores", "bench_cores")},
        "sampler_errors": run.errors,
        "wal": run.wal,
    }
    # Per layer: the answers' loop folds every 0.1 s, the metrics' every second (and not at all
    # with --without-metrics, where their lag only grows).
    answers = set(warehouse.execute("select elt.aggregates_in('answers')").fetchone()[0])
    for key, layer in (("fold_lag_s", lambda a: a in answers), ("metrics_fold_lag_s", lambda a: a not in answers)):
        fold_lags = [f.get("fold_lag") for m in run.monitor for f in m["freshness"]
                     if f.get("fold_lag") is not None and layer(f.get("aggregate"))]
        if fold_lags:
            summary[key] = stats(fold_lags)
    if any("since_last_fold_s" in m for m in run.monitor):
        summary["since_last_fold_s"] = stats([m.get("since_last_fold_s") for m in run.monitor])
        row = warehouse.execute(
            "select count(*), percentile_cont(array[0.5, 0.99]) within group"
            " (order by extract(epoch from finished_at - started_at) * 1000),"
            " max(extract(epoch from finished_at - started_at) * 1000)::float8,"
            " percentile_cont(0.5) within group (order by changes), max(changes)"
            " from elt.fold_log where started_at >= %s and aggregates <@ %s",
            [run.wall_started, sorted(answers)]).fetchone()
        summary["folds"] = {"n": row[0], "ms_p50_p99": [round(x, 1) for x in row[1] or []],
                            "ms_max": row[2], "changes_p50": row[3], "changes_max": row[4]}
    if warehouse.execute("select to_regclass('cron.job_run_details') is not null").fetchone()[0]:
        summary["cron_runs"] = [
            {"status": s, "runs": n, "message": msg} for s, n, msg in warehouse.execute(
                "select d.status, count(*), max(d.return_message) from cron.job_run_details d"
                " join cron.job j using (jobid) where j.jobname = %s and d.start_time >= %s"
                " group by d.status", [JOB, run.wall_started]).fetchall()]
        # The other jobs that ran during the traffic, with when (seconds into the run): at 10M
        # orders count-quarantine's full count took minutes under the traffic and slowed every
        # answer while it ran.
        summary["other_cron_runs"] = [
            {"command": cmd, "status": status, "from_s": start, "to_s": end} for cmd, status, start, end in
            warehouse.execute(
                "select d.command, d.status, round(extract(epoch from d.start_time - %s)::numeric, 1)::float8,"
                " round(extract(epoch from coalesce(d.end_time, now()) - %s)::numeric, 1)::float8"
                " from cron.job_run_details as d"
                " where d.start_time >= %s and d.start_time < %s::timestamptz + make_interval(secs => %s)"
                " and d.command not like 'call elt.maintain(%%' order by d.start_time",
                [run.wall_started, run.wall_started, run.wall_started, run.wall_started, run.elapsed]).fetchall()]
    return summary


def start_maintenance(warehouse, warehouse_dsn, deploy_jobs, stop) -> dict:
    """The deploy's pg_cron jobs back, with the production job among them, or, if pg_cron does not
    run it here, the same call once a minute from a background connection."""
    jobs = {name: (schedule, cmd) for name, schedule, cmd in deploy_jobs}
    info = {"command": jobs[JOB][1] if JOB in jobs else "call elt.maintain(layer => 'answers')",
            "scheduled_by": "the deploy" if JOB in jobs else "the bench"}
    jobs.setdefault(JOB, ("* * * * *", info["command"]))
    if warehouse.execute("select to_regclass('cron.job') is not null").fetchone()[0]:
        for name, (schedule, cmd) in jobs.items():
            warehouse.execute("select cron.schedule(%s, %s, %s)", [name, schedule, cmd])
        info["jobs"] = [dict(zip(("jobname", "schedule", "command"), r)) for r in
                        warehouse.execute("select jobname, schedule, command from cron.job order by jobname")]
        print(f"waiting for pg_cron to start {JOB} ({info['command']}) at the next minute", flush=True)
        deadline = time.monotonic() + 75
        while time.monotonic() < deadline:
            if warehouse.execute("select count(*) from cron.job_run_details d join cron.job j using (jobid)"
                                 " where j.jobname = %s", [JOB]).fetchone()[0]:
                info["runner"] = "pg_cron"
                return info
            time.sleep(1)
        warehouse.execute("select cron.unschedule(%s)", [JOB])
        info["pg_cron_failed"] = "the job did not start within 75 s"

    def every_minute():
        with psycopg.connect(warehouse_dsn, autocommit=True, application_name="bench maintenance") as conn:
            while not stop.wait(60 - time.time() % 60):
                conn.execute(info["command"])
    info["runner"] = "a background connection, every minute"
    threading.Thread(target=every_minute, name="maintenance", daemon=True).start()
    return info


def plot(results: dict) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing (pip install -e '.[bench]'): no plot")
        return
    rates = results["rates"]
    fig, axes = plt.subplots(len(rates), 1, figsize=(10, 3.2 * len(rates)), sharey=True, squeeze=False)
    for ax, rate in zip(axes[:, 0], rates):
        for i, name in enumerate(ANSWERS):
            colour = f"C{i}"
            ax.plot([s["t"] for s in rate["samples"]["served"]], [s["ms"][name] for s in rate["samples"]["served"]],
                    lw=0.8, color=colour, label=name)
            spec = rate["summary"]["recompute_ms"][name]["p50"]
            if spec:
                ax.axhline(spec, color=colour, ls=":", lw=0.8)
        summary = rate["summary"]
        ax.set_yscale("log")
        ax.set_title(f"{summary['rate_target']} tx/s target, {summary['achieved_tx_per_s']} achieved",
                     fontsize=10)
        ax.set_ylabel("served ms")
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].legend(loc="upper left", fontsize=8, ncol=4)
    axes[-1, 0].set_xlabel("seconds of traffic (dotted: recompute p50)")
    fig.suptitle(f"Served answers under sustained traffic, {results['orders']:,} orders, "
                 f"maintenance: {results['maintenance'].get('command')} by {results['maintenance'].get('runner')}",
                 fontsize=10)
    fig.tight_layout()
    plot_path = scaled(PLOT, results["orders"])
    fig.savefig(plot_path, dpi=110)
    print(f"wrote {plot_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rates", default="100,500,1000", help="source transactions per second, comma-separated")
    parser.add_argument("--minutes", default="10",
                        help="of traffic per rate: one number for all, or one per rate, comma-separated")
    parser.add_argument("--recompute-every", type=float, default=1,
                        help="seconds between the starts of two rounds of recomputes (they load the machine)")
    # At 1M orders a round of the metrics' recomputes takes 20-35 s of a core: every 30 s it never
    # stopped, and with the answers' recomputes it held both cores (the folds fell minutes behind).
    parser.add_argument("--metric-recompute-every", type=float, default=120,
                        help="seconds between the starts of two rounds of the metrics' recomputes from the facts")
    parser.add_argument("--readers-overlap", action="store_true",
                        help="let the bench's readers (answers, recomputes, metrics) run at once, not in turns")
    parser.add_argument("--big", action="store_true", help="10M orders, 500 tx/s only")
    # The star tables' first build reads the whole log: about 3.5 minutes at 1M orders, about 40
    # at 10M. Without it the metrics are neither built nor maintained, and the answers alone run.
    parser.add_argument("--without-metrics", action="store_true",
                        help="no star tables and no metrics: the four answers only (for 10M orders)")
    parser.add_argument("--keep", action="store_true",
                        help="leave the pair loaded and subscribed at the end, for --reuse")
    parser.add_argument("--reuse", action="store_true",
                        help="start from a pair a --keep run left with as many orders: deploy, re-anchor, run")
    parser.add_argument("--prepare-only", action="store_true", help="load and sync the pair, keep it, stop")
    parser.add_argument("--read-floors", action="store_true",
                        help="each second also read open_orders' and pending_items' maintained parts bare, "
                             "after the answers: what their served reads cannot go under")
    parser.add_argument("--pin-clusters", action="store_true",
                        help="during the traffic, the source on core 0 and the warehouse on core 1, as on two machines")
    args = parser.parse_args()
    if args.prepare_only:
        args.keep = True
    if args.big:
        args.orders, args.rates = 10_000_000, "500"
    if args.pin_clusters and (os.cpu_count() or 1) < 2:
        parser.error("--pin-clusters needs two cores")
    rates = [int(r) for r in args.rates.split(",")]
    minutes = [float(m) for m in args.minutes.split(",")]
    if len(minutes) == 1:
        minutes *= len(rates)
    if len(minutes) != len(rates):
        parser.error(f"--minutes gives {len(minutes)} durations for {len(rates)} rates")

    results: dict = {"measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": f"{os.cpu_count()} cores", "orders": args.orders, "minutes": dict(zip(rates, minutes)),
                     "recompute_every_s": args.recompute_every,
                     "readers": "overlap" if args.readers_overlap else "take turns",
                     "maintenance": {}, "deploy_jobs": [], "rates": []}
    pinned = {"source": {0}, "warehouse": {1}} if args.pin_clusters else None
    if pinned:
        results["pinned_during_traffic"] = {name: sorted(cores) for name, cores in pinned.items()}
    stop_maintenance = threading.Event()
    RESULTS.parent.mkdir(exist_ok=True)
    with benchlib.clusters():
        try:
            source_dsn, warehouse_dsn = prepare(args.orders, results, metrics=not args.without_metrics,
                                                reuse=args.reuse)
            if args.prepare_only:
                print(f"the pair is loaded and kept: run again with --reuse --orders {args.orders}")
                return
            with psycopg.connect(source_dsn, autocommit=True) as source, \
                    psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
                # As the deploy does last (cli-app deploy): what the deltas look up by key, read
                # into shared buffers rather than from disk by the first folds and reads.
                started = time.perf_counter()
                results["prewarm"] = {"loaded": deploy.prewarm(warehouse),
                                      "seconds": round(time.perf_counter() - started, 1)}
                print("prewarm:", json.dumps(results["prewarm"]), flush=True)
                jobs = [j for j in results.get("deploy_jobs", [])
                        if not (args.without_metrics and j[0] == METRICS_JOB)]
                results["maintenance"] = start_maintenance(warehouse, warehouse_dsn, jobs, stop_maintenance)
                print("maintenance:", json.dumps(results["maintenance"]), flush=True)
                marker_day = date(1970, 1, 1)
                if pinned:
                    pin_clusters(pinned)
                for rate, duration in zip(rates, minutes):
                    run = Run(source_dsn, warehouse_dsn, rate, duration * 60, marker_day, args.recompute_every,
                              args.metric_recompute_every, with_metrics=not args.without_metrics,
                              readers_overlap=args.readers_overlap, read_floors=args.read_floors)
                    print(f"{rate} tx/s for {duration} min", flush=True)
                    run.start()
                    run.finish()
                    marker_day = run.marker_day
                    summary = summarise(run, warehouse)
                    summary["equal"] = check_equal(warehouse_dsn)
                    summary["catch_up_s"] = round(generate.wait_for_apply(
                        source, source.execute("select pg_current_wal_lsn()::text").fetchone()[0]), 1)
                    results["rates"].append({"summary": summary, "samples": {
                        "served": run.served, "recompute": run.recomputed, "markers": run.markers,
                        "metrics_served": run.metrics_served, "metrics_recompute": run.metrics_recomputed,
                        "monitor": run.monitor, "read_floors": run.floors}})
                    print(json.dumps(brief(summary)), flush=True)
                    if not all(e["equal"] for e in summary["equal"].values()):
                        print("DIFFERENCE between served and recompute:",
                              json.dumps(summary["equal"], default=str), flush=True)
                stop_maintenance.set()
                if pinned:
                    pin_clusters(None)
                results["fold_vs_rebuild"] = fold_versus_rebuild(source, warehouse, args.orders)
                print("fold vs rebuild:", json.dumps(results["fold_vs_rebuild"]), flush=True)
                teardown(source, warehouse, keep=args.keep)
        finally:
            stop_maintenance.set()
            if not args.prepare_only:
                path = scaled(RESULTS, args.orders)
                path.write_text(json.dumps(results, indent=1, default=str) + "\n")
                print(f"wrote {path}")
    if results["rates"]:
        plot(results)


def reusable(orders: int) -> bool:
    """Whether a --keep run left the pair subscribed with (about) this many orders loaded."""
    try:
        with psycopg.connect(dsn(WAREHOUSE_PORT, "warehouse"), autocommit=True) as wh, \
                psycopg.connect(dsn(SOURCE_PORT, "sustained"), autocommit=True) as src:
            subscribed = wh.execute("select 1 from pg_subscription where subname = %s", [SUBSCRIPTION]).fetchone()
            have = src.execute("select count(*) from operations.orders where customer_id <> %s",
                               [MARKER_CUSTOMER]).fetchone()[0]
    except psycopg.Error:
        return False
    # A run's traffic adds about a fifth of its commits as orders and deletes a few: the load
    # is what counts, within a tenth.
    return bool(subscribed) and abs(have - orders) <= orders / 10


def deploy_held_back(source_dsn: str, warehouse_dsn: str, password: str, results: dict) -> None:
    """Migrations and objects on both (the SQL under test), the write mix on the source; the
    deploy's pg_cron jobs recorded and held back until the load and the first rebuild are done,
    so that their timings are theirs alone."""
    deploy.migrate(source_dsn, "source")
    deploy.migrate(warehouse_dsn, "warehouse")
    with psycopg.connect(source_dsn, autocommit=True) as source, \
            psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
        deploy.apply_objects(source, "source")
        deploy.publish(source, password)
        deploy.apply_objects(warehouse, "warehouse")
        if warehouse.execute("select to_regclass('cron.job') is not null").fetchone()[0]:
            results["deploy_jobs"] = warehouse.execute(
                "select jobname, schedule, command from cron.job order by jobname").fetchall()
            warehouse.execute("select cron.unschedule(jobid) from cron.job")
        source.execute((REPO / "bench" / "sustained_mix.sql").read_text())


def prepare(orders: int, results: dict, metrics: bool = True, reuse: bool = False) -> tuple[str, str]:
    """Fresh databases, history loaded, subscribed, synced, analysed and rebuilt; or, with reuse
    and a pair a --keep run left, that pair with today's objects deployed and re-anchored."""
    password = benchlib.replication_password()
    if reuse and reusable(orders):
        return prepare_reused(orders, results, metrics, password)
    if reuse:
        print(f"no kept pair with {orders} orders: loading one", flush=True)
    with psycopg.connect(dsn(WAREHOUSE_PORT, "postgres"), autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = 'warehouse'").fetchone():
            with psycopg.connect(dsn(WAREHOUSE_PORT, "warehouse"), autocommit=True) as old:
                deploy.unsubscribe(old, SUBSCRIPTION)
    source_dsn = fresh(SOURCE_PORT, "sustained")
    warehouse_dsn = fresh(WAREHOUSE_PORT, "warehouse")
    # pg_cron's launcher exits for good when its database is dropped (seen: "pg_cron scheduler
    # shutting down", never restarted): a restart attaches it to the new one.
    benchlib.restart()
    deploy_held_back(source_dsn, warehouse_dsn, password, results)
    with psycopg.connect(source_dsn, autocommit=True) as source, \
            psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
        source.execute("insert into operations.customers (customer_id, customer_name, customer_address,"
                       " created_at, created_by, updated_at, updated_by)"
                       " values (%s, 'bench marker', 'nowhere', localtimestamp, 0, localtimestamp, 0)",
                       [MARKER_CUSTOMER])
        report = generate.load_history(source, orders=orders, days=365, seed=1)
        results["load"] = {"orders": report.orders, "items": report.items, "seconds": round(report.seconds, 1)}
        print(f"loaded {report.orders} orders, {report.items} items in {report.seconds:.0f}s", flush=True)
        source.execute("vacuum analyze")
        deploy.subscribe(warehouse, deploy.subscription_conninfo(source_dsn, password), name=SUBSCRIPTION)
        results["initial_copy_s"] = round(benchlib.wait_synced(source, warehouse, SUBSCRIPTION), 1)
        warehouse.execute("vacuum analyze")
        rebuild = "call elt.rebuild_all()"
        started = time.perf_counter()
        warehouse.execute(rebuild)
        results["rebuild"] = {"command": rebuild, "seconds": round(time.perf_counter() - started, 2)}
        print(f"initial copy {results['initial_copy_s']}s, {rebuild} {results['rebuild']['seconds']}s", flush=True)
        if not metrics:
            return source_dsn, warehouse_dsn
        # The star tables' first advance reads the whole log (minutes at 1M orders): done here,
        # as a deploy on a warehouse with history would, so the traffic meets their steady state.
        started = time.perf_counter()
        warehouse.execute("call elt.advance_star()")
        results["star_initial_build_s"] = round(time.perf_counter() - started, 1)
        print(f"star tables built in {results['star_initial_build_s']}s", flush=True)
        # The first build logged every fact (millions of entries): the metrics are re-anchored
        # past them, as the first maintenance rounds after a deploy would, before the traffic.
        started = time.perf_counter()
        warehouse.execute("vacuum analyze")
        warehouse.execute(rebuild)
        results["rebuild_after_star_s"] = round(time.perf_counter() - started, 1)
        print(f"{rebuild} after the star tables' build: {results['rebuild_after_star_s']}s", flush=True)
    return source_dsn, warehouse_dsn


def prepare_reused(orders: int, results: dict, metrics: bool, password: str) -> tuple[str, str]:
    """The kept pair: objects deployed again (the SQL under test), jobs held back, caught up,
    re-anchored; the star tables advanced when the metrics run."""
    source_dsn, warehouse_dsn = dsn(SOURCE_PORT, "sustained"), dsn(WAREHOUSE_PORT, "warehouse")
    results["reused_pair"] = True
    deploy_held_back(source_dsn, warehouse_dsn, password, results)
    with psycopg.connect(source_dsn, autocommit=True) as source, \
            psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
        warehouse.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                          " where query like 'call elt.maintain%' and pid <> pg_backend_pid()")
        generate.wait_for_apply(source, source.execute("select pg_current_wal_lsn()::text").fetchone()[0])
        if metrics:
            started = time.perf_counter()
            warehouse.execute("call elt.advance_star()")
            results["star_advance_s"] = round(time.perf_counter() - started, 1)
        warehouse.execute("vacuum analyze")
        started = time.perf_counter()
        warehouse.execute("call elt.rebuild_all()")
        results["rebuild"] = {"command": "call elt.rebuild_all()", "seconds": round(time.perf_counter() - started, 2)}
        print(f"reused the kept pair of {orders} orders; rebuild_all {results['rebuild']['seconds']}s", flush=True)
    return source_dsn, warehouse_dsn


def fold_versus_rebuild(source, warehouse, orders: int, fraction: float = 0.001, trials: int = 3) -> dict:
    """With the maintenance stopped: 0.1% of the orders change status at the source, and once
    they are applied one fold of the answers' aggregates takes them in; then a rebuild of the same
    aggregates, on the same data. Three times, each on other orders picked at random (one fold's
    time depends on how many of its orders' pages happen to be cached: single folds at 10M gave
    11-14x), and the medians compared; then a rebuild of every aggregate (the metrics' too).
    The fold timed is the first, on whatever the traffic left cached, as a round of maintenance
    would find it; it is undone and the same fold runs again, on the pages the first read
    (warm_fold_s), and is kept: at 10M the items of 10k random orders are mostly not cached, and
    the first fold's time is as much their reading as its work.
    Each is also costed in CPU seconds of the whole warehouse cluster (its backends, and the
    parallel workers the rebuild's REFRESH starts): the rebuild's wall time counts both cores,
    the fold's one, so the machine pays for a rebuild more than its seconds say."""
    cpu = Cpu()
    warehouse.execute("select cron.unschedule(jobid) from cron.job")
    warehouse.execute("select pg_terminate_backend(pid) from pg_stat_activity"
                      " where query like 'call elt.maintain%' and pid <> pg_backend_pid()")
    answers = warehouse.execute("select elt.aggregates_in('answers')").fetchone()[0]
    changed = max(1, int(orders * fraction))

    def in_the_layers_transaction(statement: str, keep: bool = True) -> tuple[float, float]:
        # As elt.maintain's round: the layer's lock before the snapshot, then the work.
        warehouse.execute("begin isolation level repeatable read")
        warehouse.execute("lock table elt.answers_maintenance_lock in share row exclusive mode")
        cpu_before, started = cpu.warehouse_seconds(), time.perf_counter()
        warehouse.execute(statement, [answers])
        seconds, cpu_seconds = time.perf_counter() - started, cpu.warehouse_seconds() - cpu_before
        warehouse.execute("commit" if keep else "rollback")
        return seconds, cpu_seconds

    runs = []
    for _ in range(trials):
        warehouse.execute("call elt.fold()")
        ids = [r[0] for r in source.execute(
            "update operations.orders set status = case status when 'COMPLETED' then 'REPROCESSING'"
            " else 'COMPLETED' end, updated_at = localtimestamp"
            " where order_id in (select order_id from operations.orders"
            " where customer_id <> %s order by random() limit %s) returning order_id",
            [MARKER_CUSTOMER, changed]).fetchall()]
        generate.wait_for_apply(source, source.execute("select pg_current_wal_lsn()::text").fetchone()[0])
        pending = warehouse.execute("select max(changes_pending) from analytics.freshness").fetchone()[0]
        since = keep_before(warehouse, answers)
        fold_s, fold_cpu_s = in_the_layers_transaction("select elt.fold_aggregates(%s)", keep=False)
        warm_fold_s, warm_fold_cpu_s = in_the_layers_transaction("select elt.fold_aggregates(%s)")
        floor_s, floor_cpu_s = fold_floor(warehouse, answers, ids, since, cpu)
        rebuild_s, rebuild_cpu_s = in_the_layers_transaction(
            "select elt.rebuild_aggregate(n) from unnest(%s::text[]) as n")
        rebuilt_rows = warehouse.execute(
            "select sum(rows_written)::bigint from (select rows_written from elt.rebuild_log"
            " where aggregate = any(%s) order by rebuild_id desc limit %s) as r",
            [answers, len(answers)]).fetchone()[0]
        runs.append({"changes_pending": pending, "fold_s": round(fold_s, 3), "warm_fold_s": round(warm_fold_s, 3),
                     "floor_s": round(floor_s, 3), "rebuild_s": round(rebuild_s, 3),
                     "rebuild_over_fold": round(rebuild_s / fold_s, 1),
                     "rebuild_over_warm_fold": round(rebuild_s / warm_fold_s, 1),
                     "rebuild_over_floor": round(rebuild_s / floor_s, 1), "rebuilt_rows_written": rebuilt_rows,
                     "cpu_s": {"fold": round(fold_cpu_s, 2), "warm_fold": round(warm_fold_cpu_s, 2),
                               "floor": round(floor_cpu_s, 2), "rebuild": round(rebuild_cpu_s, 2)}})
    started = time.perf_counter()
    warehouse.execute("call elt.rebuild_all()")
    rebuild_all_s = time.perf_counter() - started
    fold_s, warm_fold_s, floor_s, rebuild_s = (statistics.median(r[k] for r in runs)
                                               for k in ("fold_s", "warm_fold_s", "floor_s", "rebuild_s"))
    # CPU is counted in clock ticks (10 ms): a fold of 0.4 s is known to a few percent.
    cpu_s = {k: statistics.median(r["cpu_s"][k] for r in runs) for k in ("fold", "warm_fold", "floor", "rebuild")}
    return {"orders_changed": changed, "aggregates": answers, "trials": runs,
            "fold_s": round(fold_s, 3), "warm_fold_s": round(warm_fold_s, 3), "floor_s": round(floor_s, 3),
            "rebuild_s": round(rebuild_s, 3), "rebuild_over_fold": round(rebuild_s / fold_s, 1),
            "rebuild_over_warm_fold": round(rebuild_s / warm_fold_s, 1), "rebuild_over_floor": round(rebuild_s / floor_s, 1),
            "cpu_s": {k: round(v, 2) for k, v in cpu_s.items()},
            "rebuild_over_fold_cpu": round(cpu_s["rebuild"] / max(cpu_s["fold"], 0.01), 1),
            "rebuild_over_warm_fold_cpu": round(cpu_s["rebuild"] / max(cpu_s["warm_fold"], 0.01), 1),
            "rebuild_over_floor_cpu": round(cpu_s["rebuild"] / max(cpu_s["floor"], 0.01), 1),
            "rebuild_all_s": round(rebuild_all_s, 3),
            "rebuilt_rows_written": sum(r["rebuilt_rows_written"] or 0 for r in runs)}


def keep_before(warehouse, answers: list[str]) -> str:
    """Each answer's maintained part as it stands, in a temporary table, so that fold_floor can
    tell what the fold then wrote; returns their watermark. Copied rather than the delta computed:
    the delta would read the changed orders' pages and warm them for the fold it is timed against."""
    for name in answers:
        warehouse.execute(sql.SQL("create temporary table {before} as select * from analytics.{table}").format(
            before=sql.Identifier(f"before_{name}"), table=sql.Identifier(f"{name}_maintained")))
    # Folded together (elt.fold just before), the answers share one watermark.
    return warehouse.execute("select w.snapshot::text from elt.watermark as w where w.aggregate = any(%s) limit 1",
                             [answers]).fetchone()[0]


def fold_floor(warehouse, answers: list[str], order_ids: list[int], since: str,
               cpu: "Cpu") -> tuple[float, float]:
    """Seconds of what no fold of these changed orders can skip, with the maintained parts as
    they are (a row per key, indexed for the top-k): reading the orders' log entries since the
    watermark (their images then and now, where the fold reads them: cheaper than the orders
    table, whose pages nothing had read), their items by key, and writing again each maintained
    row the fold wrote (those keep_before had otherwise, or not at all); undone after. No rule is
    checked, no customer or product looked up and no delta summed, so rebuild_over_floor is more
    than any fold of these maintained parts could reach."""
    for name in answers:
        warehouse.execute(sql.SQL("create temporary table {written} as select * from analytics.{table}"
                                  " except all select * from {before}").format(
            written=sql.Identifier(f"written_{name}"), table=sql.Identifier(f"{name}_maintained"),
            before=sql.Identifier(f"before_{name}")))
    warehouse.execute("begin")
    cpu_before, started = cpu.warehouse_seconds(), time.perf_counter()
    warehouse.execute("select count(*), sum((c.old_row).customer_id), sum((c.new_row).customer_id)"
                      " from staging.orders_changes as c where c.xact_id >= pg_snapshot_xmin(%s::pg_snapshot)"
                      " and not pg_visible_in_snapshot(c.xact_id, %s::pg_snapshot)", [since, since])
    warehouse.execute("select count(*), sum(product_id + quanity) from operations.order_items where order_id = any(%s)",
                      [order_ids])
    for name, keys, measures in warehouse.execute(
            "select name, keys, measures from elt.aggregate where name = any(%s) order by name", [answers]).fetchall():
        columns = sql.SQL(", ").join(map(sql.Identifier, keys + measures))
        warehouse.execute(sql.SQL(
            "insert into analytics.{table} as t ({columns}) select {columns} from {written}"
            " on conflict ({keys}) do update set {add}").format(
                table=sql.Identifier(f"{name}_maintained"), columns=columns,
                written=sql.Identifier(f"written_{name}"), keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
                add=sql.SQL(", ").join(sql.SQL("{m} = t.{m} + excluded.{m}").format(m=sql.Identifier(m))
                                       for m in measures)))
    seconds, cpu_seconds = time.perf_counter() - started, cpu.warehouse_seconds() - cpu_before
    warehouse.execute("rollback")
    for name in answers:
        warehouse.execute(sql.SQL("drop table {before}, {written}").format(
            before=sql.Identifier(f"before_{name}"), written=sql.Identifier(f"written_{name}")))
    return seconds, cpu_seconds


def teardown(source, warehouse, keep: bool = False) -> None:
    """No job and no slot left behind on the bench clusters (unless keep, for --reuse); the data
    stays for a look."""
    if warehouse.execute("select to_regclass('cron.job') is not null").fetchone()[0]:
        warehouse.execute("select cron.unschedule(jobid) from cron.job")
    if not keep:
        deploy.unsubscribe(warehouse, SUBSCRIPTION)
    source.execute("delete from operations.orders where customer_id = %s", [MARKER_CUSTOMER])


def brief(summary: dict) -> dict:
    """What the console shows per rate; the JSON has everything."""
    return {"rate": summary["rate_target"], "achieved_tx_per_s": summary["achieved_tx_per_s"],
            "errors": summary["errors"],
            "served_p50_p99_ms": {n: [summary["served_ms"][n]["p50"], summary["served_ms"][n]["p99"]] for n in ANSWERS},
            "served_first_last_minute_p50_ms": {n: [summary["served_ms"][n]["first_minute_p50"],
                                                     summary["served_ms"][n]["last_minute_p50"]] for n in ANSWERS},
            "served_last_minus_first_minute_p50_ms": {n: summary["served_ms"][n]["last_minus_first_minute_p50"]
                                                      for n in ANSWERS},
            "served_trend_over_minutes": {n: summary["served_ms"][n]["trend_over_minutes"] for n in ANSWERS},
            "served_received_p50_p99_ms": {n: [summary["served_ms"][n]["received"][k] for k in ("p50", "p99")]
                                           for n in ANSWERS},
            "served_clear_of_recomputes_p50_p99_ms": {
                n: [summary["served_ms_by_recompute_overlap"][n]["clear_of_recomputes"][k] for k in ("p50", "p99")]
                for n in ANSWERS},
            "recompute_p50_p99_ms": {n: [summary["recompute_ms"][n][k] for k in ("p50", "p99")] for n in ANSWERS},
            "recompute_rounds": summary["recompute_rounds"],
            "freshness_ms": summary["freshness_ms"], "apply_ms": summary["apply_ms"],
            "slot_lag_bytes_max": summary["slot_lag_bytes"]["max"], "cpu": summary["cpu"], "wal": summary["wal"],
            "equal": {n: e["equal"] for n, e in summary["equal"].items()},
            "metrics_served_p50_p99_ms": {n: [s["p50"], s["p99"]] for n, s in summary["metrics_served_ms"].items()},
            "metrics_recompute_p50_ms": {n: s["p50"] for n, s in summary["metrics_recompute_ms"].items()},
            **({"read_floor_p50_p99_ms": {n: [f["p50"], f["p99"]] for n, f in summary["read_floor_ms"].items()}}
               if "read_floor_ms" in summary else {}),
            **{k: summary[k] for k in ("fold_lag_s", "metrics_fold_lag_s", "folds", "cron_runs", "other_cron_runs", "sampler_errors")
               if summary.get(k)}}


if __name__ == "__main__":
    main()
