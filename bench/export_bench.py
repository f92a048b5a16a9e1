#!/usr/bin/env python3
"""bench/export_bench.py: `cli-app --query NAME --export` and `cli-app sql ... --export` against `psql -c "\\copy (...) to ..."` and pandas,
same query, same run, on the warehouse of the bench clusters. Not a test: run by hand.

    ELT_PG_DIR=$PWD/.pg-bench SOURCE_PORT=55474 WAREHOUSE_PORT=55475 scripts/pg.sh up
    export ELT_PG_DIR=$PWD/.pg-bench
    .venv/bin/cli-app deploy --no-subscribe && .venv/bin/cli-app generate --orders 200000 --seed 7
    .venv/bin/cli-app deploy          # the subscription's initial copy brings ~1M order_items over
    .venv/bin/python bench/export_bench.py
    ELT_PG_DIR=$PWD/.pg-bench scripts/pg.sh down

The CLI is measured two ways: `cli-app --query NAME --export` (a named query) and
`cli-app sql QUERY --export` (ad-hoc SQL, which imports sqlglot to check it first).
Measures wall time (rows/s) and peak memory (max RSS from /usr/bin/time -v) of each tool,
the median of --repeat runs, at two result sizes so a flat memory curve shows: if RSS does not
grow from 100k to 1M rows, it will not at 10M either. Writes bench/results/export.json.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from cli_app import config

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "export.json"
CLI_APP = str(Path(sys.executable).with_name("cli-app"))
TIME = "/usr/bin/time"


def wait_for_initial_copy(dsn: str, timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while conn.execute("select count(*) from pg_subscription_rel where srsubstate <> 'r'").fetchone()[0]:
            if time.monotonic() > deadline:
                raise SystemExit("the initial copy did not finish: check `cli-app status`")
            time.sleep(1)


def measure(argv: list[str], env: dict) -> tuple[float, int]:
    """(wall seconds, max RSS in kB) of one run."""
    started = time.monotonic()
    result = subprocess.run([TIME, "-v", *argv], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed:\n{result.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    return seconds, rss


PANDAS = """
import sys
import pandas
import psycopg
import sqlalchemy
engine = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: psycopg.connect(sys.argv[1]))
pandas.read_sql(sys.argv[2], engine).to_csv(sys.argv[3], index=False)
"""


def compare(dsn: str, table: str, sizes: list[int], repeat: int) -> dict:
    """Each tool on `select * from table [limit N]` for each size N, interleaved, median of
    `repeat` runs: cli-app (csv and json), psql \\copy, and pandas read_sql + to_csv when pandas
    is installed (the `peers` extra)."""
    # The export path against psql's, on a replicated table: readers are elt_analyst, who may not
    # read operations.*, so the CLI reads as the same role psql does here.
    env = {**os.environ, "WAREHOUSE_DSN": dsn, "ELT_ANALYST_DSN": dsn}
    # psql gets the DSN in argv, where `ps` shows it: a password goes in PGPASSWORD instead.
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    if "password" in params:
        env["PGPASSWORD"] = params.pop("password")
    psql_dsn = psycopg.conninfo.make_conninfo(**params)
    has_pandas = subprocess.run([sys.executable, "-c", "import pandas, sqlalchemy"], capture_output=True).returncode == 0
    with psycopg.connect(dsn) as conn:
        total = conn.execute(f"select count(*) from {table}").fetchone()[0]
    runs = []
    with tempfile.TemporaryDirectory(dir=REPO / "bench" / "results") as tmp, \
            tempfile.TemporaryDirectory() as queries_dir:
        for rows in sorted({min(size, total) for size in sizes}):
            query = f"select * from {table}" + (f" limit {rows}" if rows < total else "")
            # The same query as a named query (what `cli-app --query NAME --export` runs: the
            # project's own file, not parsed) and as ad-hoc SQL (`cli-app sql`, parsed by sqlglot
            # before it is sent, to refuse anything but one read-only query).
            Path(queries_dir, "export_bench.sql").write_text(f"-- The export benchmark's query.\n{query}\n")
            tools = {
                "cli-app --query NAME --export (csv, COPY)": [CLI_APP, "--queries-dir", queries_dir, "--query",
                                                              "export_bench", "--export", "--output-dir", tmp],
                "cli-app sql --export (csv, COPY)": [CLI_APP, "sql", query, "--export", "--output-dir", tmp],
                "cli-app sql --export --format json": [CLI_APP, "sql", query, "--export", "--format", "json",
                                                       "--output-dir", tmp],
                "psql \\copy (csv)": ["psql", psql_dsn, "-X", "-q", "-c",
                                      f"\\copy ({query}) to '{tmp}/psql.csv' with (format csv, header)"],
            }
            if has_pandas:
                tools["pandas read_sql + to_csv"] = [sys.executable, "-c", PANDAS, psql_dsn, query, f"{tmp}/pandas.csv"]
            samples: dict[str, list[tuple[float, int]]] = {name: [] for name in tools}
            for _ in range(repeat):
                for name, argv in tools.items():  # interleaved, so drift hits every tool alike
                    samples[name].append(measure(argv, env))
                    for f in Path(tmp).iterdir():
                        f.unlink()
            for name, values in samples.items():
                seconds = statistics.median(s for s, _ in values)
                rss = statistics.median(r for _, r in values)
                runs.append({"tool": name, "rows": rows, "seconds": round(seconds, 3),
                             "rows_per_second": round(rows / seconds), "max_rss_mb": round(rss / 1024, 1),
                             "samples": [{"seconds": round(s, 3), "max_rss_kb": r} for s, r in values]})
                print(f"{rows:>9} rows  {name:<36} {seconds:7.2f}s  {rows / seconds:>10,.0f} rows/s  "
                      f"{rss / 1024:7.1f} MB max RSS", flush=True)
        baseline = statistics.median(measure([CLI_APP, "sql", "select 1", "--output", f"{tmp}/one.csv", "--force"], env)[1]
                                     for _ in range(repeat))
        startup = statistics.median(measure([CLI_APP, "--help"], env)[0] for _ in range(repeat))
    return {
        "benchmark": "export: cli-app vs psql \\copy and pandas",
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "postgres": psycopg.connect(dsn).info.server_version},
        "query": f"select * from {table} [limit N]",
        "repeat": repeat,
        "cli_app_baseline_rss_mb": round(baseline / 1024, 1),
        "cli_app_help_s": round(startup, 3),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--table", default="operations.order_items")
    args = parser.parse_args()

    settings = config.load()
    dsn = settings.warehouse_dsn
    if not dsn:
        print("export_bench: no WAREHOUSE_DSN (see the docstring); bench/peers_bench.py measures the export"
              " on its own clusters")
        return 0
    wait_for_initial_copy(dsn)
    report = compare(dsn, args.table, [100_000, 10**12], args.repeat)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"cli-app baseline (select 1): {report['cli_app_baseline_rss_mb']} MB max RSS; results in"
          f" {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
