"""What the changelog trigger costs the apply worker, and what the alternatives would cost.

One source transaction inserts N order_items rows (then one updates them all); we time how long
the warehouse takes to apply it (until the slot confirms), for each way of logging, side by side
in one run on one cluster pair (.pg-bench, ports 55482/55483):

  none        no changelog trigger at all (the floor: apply alone)
  noop        a PL/pgSQL row trigger that does nothing (the price of calling PL/pgSQL per row)
  jsonb       ours: staging.log_change, one changelog, old and new rows as jsonb
  json        one changelog, old and new rows as json (text, not parsed into jsonb)
  rowtype     one changelog per table, old and new rows as the table's own row type

Writes bench/results/changelog.json. Run: .venv/bin/python bench/changelog_bench.py [--rows N]
"""

import argparse
import json
import time

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
    "jsonb": "",
    "json": """
        create table staging.bench_changelog_json (
            change_id bigint generated always as identity primary key, table_name text not null,
            operation text not null, old_row json, new_row json,
            applied_at timestamptz not null default now(),
            xact_id xid8 not null default pg_current_xact_id());
        create or replace function staging.bench_log_json() returns trigger language plpgsql as $$
        begin
            if current_setting('elt.in_copy', true) = 'on' then return null; end if;
            insert into staging.bench_changelog_json (table_name, operation, old_row, new_row)
            values (tg_table_name, tg_op, case when tg_op <> 'INSERT' then to_json(old) end,
                    case when tg_op <> 'DELETE' then to_json(new) end);
            return null;
        end $$;
        create or replace trigger log_change after insert or update or delete on operations.order_items
            for each row execute function staging.bench_log_json();
        alter table operations.order_items enable always trigger log_change;""",
    "rowtype": """
        create table staging.bench_changelog_order_items (
            change_id bigint generated always as identity primary key,
            operation text not null, old_row operations.order_items, new_row operations.order_items,
            applied_at timestamptz not null default now(),
            xact_id xid8 not null default pg_current_xact_id());
        create or replace function staging.bench_log_rowtype() returns trigger language plpgsql as $$
        begin
            if current_setting('elt.in_copy', true) = 'on' then return null; end if;
            insert into staging.bench_changelog_order_items (operation, old_row, new_row)
            values (tg_op, case when tg_op <> 'INSERT' then old end, case when tg_op <> 'DELETE' then new end);
            return null;
        end $$;
        create or replace trigger log_change after insert or update or delete on operations.order_items
            for each row execute function staging.bench_log_rowtype();
        alter table operations.order_items enable always trigger log_change;""",
}


def wait_confirmed(source, slot, lsn):
    while not source.execute("select confirmed_flush_lsn >= %s from pg_replication_slots where slot_name = %s",
                             [lsn, slot]).fetchone()[0]:
        time.sleep(0.05)


def drop_leftover_subscription():
    """A run cut short leaves its subscription, whose slot pins the source database."""
    try:
        with psycopg.connect(dsn(WAREHOUSE_PORT, "clog_wh"), autocommit=True) as w:
            deploy.unsubscribe(w, "bench_clog")
    except psycopg.OperationalError:
        pass  # no such database yet


def run_variant(name, rows):
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
        timings = {}
        for step, statement in (
            ("insert", "insert into operations.order_items (order_id, product_id, quanity)"
                       " select g / 5, g %% 1000, 1 + g %% 7 from generate_series(1, %s) g"),
            ("update", "update operations.order_items set quanity = quanity + 1 where %s > 0"),
        ):
            t0 = time.monotonic()
            s.execute(statement, [rows])
            lsn = s.execute("select pg_current_wal_lsn()").fetchone()[0]
            wait_confirmed(s, slot, lsn)
            seconds = time.monotonic() - t0
            timings[step] = {"seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}
        deploy.unsubscribe(w, slot)
    return timings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=300_000)
    args = parser.parse_args()
    with clusters():
        results = {"rows": args.rows}
        for name in VARIANTS:
            results[name] = run_variant(name, args.rows)
            print(name, json.dumps(results[name]), flush=True)
        base = results["none"]
        for name in VARIANTS:
            for step in ("insert", "update"):
                results[name][step]["x_apply_alone"] = round(results[name][step]["seconds"] / base[step]["seconds"], 2)
        (REPO / "bench" / "results").mkdir(exist_ok=True)
        (REPO / "bench" / "results" / "changelog.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
