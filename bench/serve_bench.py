#!/usr/bin/env python3
"""bench/serve_bench.py: the HTTP API of `cli-app serve` under a bounded load on loopback,
beside `cli-app --query` for the same answers. Not a test (timings assert nothing); run by
`make bench` (or `make bench BENCH=serve ARGS="--orders 20000 --seconds 10"`).

On the bench cluster pair (benchlib): fresh databases, --orders of history loaded and
replicated, every aggregate rebuilt; then `cli-app serve` as a real process and, per endpoint,
--clients concurrent HTTP/1.1 keep-alive clients (10, then 100) asking as fast as they are
answered for --seconds. With 10 the latency is mostly the work of one answer; with 100 it is
mostly the queue, since a closed loop of N clients waits about N / throughput. Reports p50/p99/max latency and requests per second per endpoint, and for the same
answer the wall time of `cli-app --query NAME` (a new process each time: what a script pays)
and of the query alone through one open psycopg connection (the floor). Writes
bench/results/serve.json.

The load generator runs on the same 2 cores as the server and PostgreSQL: at 100 clients it
takes a good part of one core, so the latencies are an upper bound of what a remote client sees.
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import benchlib
import psycopg

from cli_app import deploy, generate, queries

REPO = benchlib.REPO
RESULTS = REPO / "bench" / "results" / "serve.json"
CLI_APP = str(Path(sys.executable).with_name("cli-app"))
SUBSCRIPTION = "serve_bench"
ENDPOINTS = {
    "open_orders": ("/analytics/orders?status=open", []),
    "top_dates": ("/analytics/orders/top?limit=3", ["--param", "limit=3"]),
    "pending_items": ("/analytics/orders/product", []),
    "top_customers": ("/analytics/orders/customers?status=open&limit=3", ["--param", "limit=3"]),
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def prepare(orders: int) -> tuple[str, str]:
    password = benchlib.replication_password()
    with psycopg.connect(benchlib.dsn(benchlib.WAREHOUSE_PORT, "postgres"), autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = 'serve_warehouse'").fetchone():
            with psycopg.connect(benchlib.dsn(benchlib.WAREHOUSE_PORT, "serve_warehouse"), autocommit=True) as old:
                deploy.unsubscribe(old, SUBSCRIPTION)
    source_dsn = benchlib.fresh(benchlib.SOURCE_PORT, "serve_source")
    warehouse_dsn = benchlib.fresh(benchlib.WAREHOUSE_PORT, "serve_warehouse")
    deploy.migrate(source_dsn, "source")
    deploy.migrate(warehouse_dsn, "warehouse")
    with psycopg.connect(source_dsn, autocommit=True) as source, \
            psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
        deploy.apply_objects(source, "source")
        deploy.publish(source, password)
        deploy.apply_objects(warehouse, "warehouse")
        deploy.database_privileges(warehouse)
        deploy.set_passwords(warehouse, {role: (benchlib.PG_DIR / f"{role.removeprefix('elt_')}_password")
                                         .read_text().strip() for role in deploy.ROLES})
        if warehouse.execute("select to_regclass('cron.job') is not null").fetchone()[0]:
            # No maintenance beside the load: the answers read their delta, which is empty.
            warehouse.execute("select cron.unschedule(jobid) from cron.job")
        report = generate.load_history(source, orders=orders, days=365, seed=1)
        print(f"loaded {report.orders} orders, {report.items} items in {report.seconds:.0f}s", flush=True)
        deploy.subscribe(warehouse, deploy.subscription_conninfo(source_dsn, password), name=SUBSCRIPTION)
        benchlib.wait_synced(source, warehouse, SUBSCRIPTION)
        warehouse.execute("vacuum analyze")
        warehouse.execute("call elt.rebuild_all()")
    return source_dsn, warehouse_dsn


async def get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET: its status. A client this small costs the load generator
    little of the 2 cores it shares with the server (httpx's own pool work grows with the
    number of connections and was the bottleneck at 100 clients)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def load(base: str, path: str, clients: int, seconds: float) -> dict:
    host, port = base.removeprefix("http://").split(":")
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def one_client():
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status = await get(reader, writer, request)
                latencies.append(time.perf_counter() - started)
                errors += status != 200
        finally:
            writer.close()
    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {"requests": len(ms), "errors": errors, "requests_per_s": round(len(ms) / elapsed, 1),
            "p50_ms": round(percentile(ms, 50), 2), "p99_ms": round(percentile(ms, 99), 2),
            "max_ms": round(max(ms), 2)}


def cli_times(name: str, params: list[str], env: dict, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([CLI_APP, "--query", name, *params, "--format", "json", "--output", "-"], env=env,
                       check=True, stdout=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    return times


def query_times(analyst_dsn: str, name: str, repeat: int) -> list[float]:
    query = queries.find(name)
    bound = query.bind({})
    times = []
    with psycopg.connect(analyst_dsn, autocommit=True) as conn:
        for _ in range(repeat):
            started = time.perf_counter()
            conn.execute(query.sql, bound).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="history to load [100000]")
    parser.add_argument("--clients", default="10,100",
                        help="concurrent HTTP clients, one load per number given [10,100]")
    parser.add_argument("--seconds", type=float, default=20, help="load per endpoint [20]")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ELT_BENCH_SERVE_PORT", 18090)))
    parser.add_argument("--repeat", type=int, default=7, help="runs of cli-app --query per answer [7]")
    args, _ = parser.parse_known_args()
    clients = [int(n) for n in args.clients.split(",")]
    base = f"http://127.0.0.1:{args.port}"
    results: dict = {"benchmark": "serve: HTTP API under load vs cli-app --query",
                     "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                     "orders": args.orders, "clients": clients, "seconds_per_endpoint": args.seconds,
                     "endpoints": {}}
    with benchlib.clusters():
        source_dsn, warehouse_dsn = prepare(args.orders)
        with tempfile.TemporaryDirectory() as empty:
            env = {**os.environ, "SOURCE_DSN": source_dsn, "WAREHOUSE_DSN": warehouse_dsn, "ELT_PG_DIR": empty,
                   "ELT_SUBSCRIPTION": SUBSCRIPTION, "ELT_QUERIES_DIR": ""}
            server = subprocess.Popen([CLI_APP, "serve", "--port", str(args.port)], env=env)
            try:
                import httpx
                for _ in range(300):
                    if server.poll() is not None:
                        raise SystemExit("cli-app serve did not start (its error is above)")
                    try:
                        if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                            break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                analyst = deploy_analyst_dsn(warehouse_dsn)
                for name, (path, params) in ENDPOINTS.items():
                    asyncio.run(load(base, path, 10, 1))  # warm the pool and the caches
                    loads = {n: asyncio.run(load(base, path, n, args.seconds)) for n in clients}
                    cli = cli_times(name, params, env, args.repeat)
                    alone = query_times(analyst, name, args.repeat * 3)
                    results["endpoints"][name] = {
                        "path": path, "load": {str(n): m for n, m in loads.items()},
                        "cli_query_median_ms": round(statistics.median(cli), 1),
                        "query_alone_median_ms": round(statistics.median(alone), 2)}
                    print(f"{name:<14} " + "  ".join(
                        f"{n} clients: p50 {m['p50_ms']:.1f} ms p99 {m['p99_ms']:.1f} ms {m['requests_per_s']:.0f} req/s"
                        f" ({m['errors']} errors)" for n, m in loads.items())
                        + f"  | cli-app --query {statistics.median(cli):.0f} ms"
                        f"  | query alone {statistics.median(alone):.2f} ms", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
                with psycopg.connect(warehouse_dsn, autocommit=True) as warehouse:
                    deploy.unsubscribe(warehouse, SUBSCRIPTION)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results in {RESULTS.relative_to(REPO)}")
    return 0


def deploy_analyst_dsn(warehouse_dsn: str) -> str:
    from cli_app import config
    return config.as_role(warehouse_dsn, config.ANALYST)


if __name__ == "__main__":
    sys.exit(main())
