"""What logging changes costs the apply worker: the per-table logs against apply alone and
against the one jsonb changelog they replaced.

One source transaction inserts N order_items rows, then one updates them all; we time how long
the warehouse takes to apply each (until the slot confirms), three rounds keeping the fastest,
for each way of logging, side by side in one run on one cluster pair (.pg-bench, ports
55482/55483, or ELT_BENCH_*: see benchlib):

  none               no changelog trigger at all (the floor: apply alone)
  noop               a PL/pgSQL row trigger that does nothing (the price of calling PL/pgSQL per row)
  ours               staging.log_order_items_change: staging.order_items_changes, old and new rows
                     as the table's row type, one xact_id index, no check constraints
  ours_no_copy_check ours without the per-row elt.in_copy check (measures the check; not a
                     design: it would log the initial copy twice)
  ours_no_index      ours without the xact_id index (measures the index the readers need)
  ours_checks        ours with the two check constraints of the old changelog (INSERT has no old
                     row, DELETE no new row), which PostgreSQL compiles again for every logged row
  jsonb              before migration 0005: one changelog, old and new rows as jsonb, its primary
                     key and two indexes

Besides the wall time, the CPU time of the apply worker (read from /proc, so the benchmark
must run on the warehouse's machine): on a shared machine it moves far less than the wall time.
Writes bench/results/changelog.json, each figure also as a ratio to apply alone (x_apply_alone,
cpu_x_apply_alone). Run: .venv/bin/python bench/changelog_bench.py [--rows N] [--repeats R]
"""

import argparse
import json
import os
import time
from pathlib import Path

import psycopg

from benchlib import REPO, SOURCE_PORT, WAREHOUSE_PORT, clusters, dsn, fresh, replication_password
from cli_app import deploy

VARIANTS = {
    "none": "alter table operations.order_items disable trigger log_change;",
    "noop": """
        create or replace function staging.bench_noop() returns trigger language plpgsql
        as $$ begin return null; end $$;
        create or replace trigger log_change after insert or update or delete on operations.order_items
            for each row execute function staging.bench_noop();
        alter table operations.order_items enable always trigger log_change;""",
    "ours": "",
    "ours_no_copy_check": """
        create or replace function staging.log_order_items_change() returns trigger language plpgsql as $$
        begin
            insert into staging.order_items_changes (operation, old_row, new_row) values (tg_op, old, new);
            return null;
        end $$;""",
    "ours_no_index": "drop index staging.order_items_changes_xact_id_idx;",
    "ours_checks": """
        alter table staging.order_items_changes
            add check ((operation = 'INSERT') = (old_row is not distinct from null)),
            add check ((operation = 'DELETE') = (new_row is not distinct from null));""",
    "jsonb": """
        create table staging.bench_changelog (
            change_id bigint generated always as identity primary key, table_name text not null,
            operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
            old_row jsonb, new_row jsonb,
            applied_at timestamptz not null default now(),
            xact_id xid8 not null default pg_current_xact_id(),
            initial_copy boolean not null default false,
            check ((operation = 'INSERT') = (old_row is null)),
            check ((operation = 'DELETE') = (new_row is null)));
        create index on staging.bench_changelog (table_name, change_id);
        create index on staging.bench_changelog (table_name, xact_id);
        create or replace function staging.bench_log_jsonb() returns trigger language plpgsql as $$
        begin
            if current_setting('elt.in_copy', true) = 'on' then return null; end if;
            if tg_op = 'INSERT' then
                insert into staging.bench_changelog (table_name, operation, new_row)
                values (tg_table_name, 'INSERT', to_jsonb(new));
            elsif tg_op = 'UPDATE' then
                insert into staging.bench_changelog (table_name, operation, old_row, new_row)
                values (tg_table_name, 'UPDATE', to_jsonb(old), to_jsonb(new));
            else
                insert into staging.bench_changelog (table_name, operation, old_row)
                values (tg_table_name, 'DELETE', to_jsonb(old));
            end if;
            return null;
        end $$;
        create or replace trigger log_change after insert or update or delete on operations.order_items
            for each row execute function staging.bench_log_jsonb();
        alter table operations.order_items enable always trigger log_change;""",
}


def wait_confirmed(source, slot, lsn):
    while not source.execute("select confirmed_flush_lsn >= %s from pg_replication_slots where slot_name = %s",
                             [lsn, slot]).fetchone()[0]:
        time.sleep(0.05)


def cpu_seconds(pid):
    """CPU time a process has used so far (user + system): what the apply worker spends, whatever
    else runs on the machine beside it."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drop_leftover_subscription():
    """A run cut short leaves its subscription, whose slot pins the source database."""
    try:
        with psycopg.connect(dsn(WAREHOUSE_PORT, "clog_wh"), autocommit=True) as w:
            deploy.unsubscribe(w, "bench_clog")
    except psycopg.OperationalError:
        pass  # no such database yet


def run_variant(name, rows, repeats):
    drop_leftover_subscription()
    wh, src = fresh(WAREHOUSE_PORT, "clog_wh"), fresh(SOURCE_PORT, "clog_src")
    password = replication_password()
    deploy.migrate(src, "source")
    deploy.migrate(wh, "warehouse")
    with psycopg.connect(src, autocommit=True) as s, psycopg.connect(wh, autocommit=True) as w:
        deploy.apply_objects(s, "source")
        deploy.publish(s, password)
        deploy.apply_objects(w, "warehouse")
        if VARIANTS[name]:
            w.execute(VARIANTS[name])
        slot = "bench_clog"
        deploy.subscribe(w, deploy.subscription_conninfo(src, password), name=slot)
        # The initial table sync must be over, or its hand-over delays the first measurement.
        while w.execute("select count(*) from pg_subscription_rel where srsubstate <> 'r'").fetchone()[0]:
            time.sleep(0.05)
        wait_confirmed(s, slot, s.execute("select pg_current_wal_lsn()").fetchone()[0])
        worker = w.execute("select pid from pg_stat_subscription where subname = %s and relid is null",
                           [slot]).fetchone()[0]
        samples = {"insert": [], "update": []}
        for _ in range(repeats):
            # Each round inserts N new rows, then updates just those.
            first = s.execute("select coalesce(max(order_item_id), 0) from operations.order_items").fetchone()[0]
            for step, statement in (
                ("insert", "insert into operations.order_items (order_id, product_id, quanity)"
                           " select g / 5, g %% 1000, 1 + g %% 7 from generate_series(1, %s) g"),
                ("update", "update operations.order_items set quanity = quanity + 1"
                           " where order_item_id > %s"),
            ):
                t0, cpu0 = time.monotonic(), cpu_seconds(worker)
                s.execute(statement, [rows if step == "insert" else first])
                lsn = s.execute("select pg_current_wal_lsn()").fetchone()[0]
                wait_confirmed(s, slot, lsn)
                samples[step].append((time.monotonic() - t0, cpu_seconds(worker) - cpu0))
        # The least disturbed round: others' work on a shared machine only ever adds time.
        timings = {}
        for step, taken in samples.items():
            seconds, cpu = min(t for t, _ in taken), min(c for _, c in taken)
            timings[step] = {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
                             "apply_cpu_s": round(cpu, 2),
                             "all_seconds": [round(t, 2) for t, _ in taken]}
        deploy.unsubscribe(w, slot)
    return timings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3, help="rounds per variant; the fastest counts")
    args = parser.parse_args()
    with clusters():
        results = {"rows": args.rows, "repeats": args.repeats}
        for name in VARIANTS:
            results[name] = run_variant(name, args.rows, args.repeats)
            print(name, json.dumps(results[name]), flush=True)
        base = results["none"]
        for name in VARIANTS:
            for step in ("insert", "update"):
                timing = results[name][step]
                timing["x_apply_alone"] = round(timing["seconds"] / base[step]["seconds"], 2)
                timing["cpu_x_apply_alone"] = round(timing["apply_cpu_s"] / base[step]["apply_cpu_s"], 2)
            print(f"{name:18} time / apply alone: insert {results[name]['insert']['x_apply_alone']:.2f},"
                  f" update {results[name]['update']['x_apply_alone']:.2f};"
                  f" apply worker CPU: insert {results[name]['insert']['cpu_x_apply_alone']:.2f},"
                  f" update {results[name]['update']['cpu_x_apply_alone']:.2f}")
        (REPO / "bench" / "results").mkdir(exist_ok=True)
        (REPO / "bench" / "results" / "changelog.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
