"""What the analytics layer looks like in a warehouse, read from the catalogs rather than
assumed: the aggregates are the materialized views analytics.<name>_hist, the on-demand rebuild
is elt.rebuild(name), its log elt.rebuild_log, the watermarks a table of schema elt, the fold lag
analytics.freshness, rule failures
clean.quarantine, the schedule pg_cron. Any of these may be missing (an older warehouse, or a
layer not deployed yet); every probe then says so instead of failing."""

import time
from dataclasses import dataclass

import psycopg


def aggregates(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute(
        r"""
        select left(matviewname, -length('_hist')) from pg_matviews
        where schemaname = 'analytics' and matviewname like '%\_hist'
        order by 1
        """).fetchall()
    return [r[0] for r in rows]


# The parts elt.declare_aggregate derives for aggregate <name>: <name><suffix>.
PART_SUFFIXES = ("", "_maintained", "_delta", "_hist", "_recompute", "_top")


def aggregates_behind(conn: psycopg.Connection, name: str, known: list[str]) -> list[str]:
    """The aggregates an answer is served from: itself when it is one; for a view of analytics
    (top_dates, top_customers), every aggregate whose parts it reads, followed through views in
    the catalog (pg_depend), so an answer added later is found too. Empty when none."""
    if name in known:
        return [name]
    rows = conn.execute(
        """
        with recursive reads(classid, objid) as (
            select 'pg_class'::regclass, c.oid from pg_class as c
            where c.oid = to_regclass('analytics.' || quote_ident(%s)) and c.relkind = 'v'
            union
            select d.refclassid, d.refobjid
            from reads as r
            join pg_rewrite as w on r.classid = 'pg_class'::regclass and w.ev_class = r.objid
            join pg_depend as d on d.classid = 'pg_rewrite'::regclass and d.objid = w.oid
            where d.refobjid <> r.objid
              and d.refclassid in ('pg_class'::regclass, 'pg_proc'::regclass)
        )
        select distinct coalesce(c.relname, p.proname)
        from reads as r
        left join pg_class as c on r.classid = 'pg_class'::regclass and c.oid = r.objid
        left join pg_proc as p on r.classid = 'pg_proc'::regclass and p.oid = r.objid
        join pg_namespace as n on n.oid = coalesce(c.relnamespace, p.pronamespace)
        where n.nspname = 'analytics'
        """, [name]).fetchall()
    read = {r[0] for r in rows}
    return [a for a in known if any(a + suffix in read for suffix in PART_SUFFIXES)]


def answers(conn: psycopg.Connection, known: list[str]) -> list[str]:
    """The views of analytics that are not an aggregate or one of its parts (top_dates...)."""
    views = [r[0] for r in conn.execute(
        "select c.relname from pg_class as c where c.relnamespace = 'analytics'::regnamespace"
        " and c.relkind = 'v' order by 1").fetchall()]
    parts = {a + suffix for a in known for suffix in PART_SUFFIXES}
    return [v for v in views if v not in parts and aggregates_behind(conn, v, known)]


def has_procedure(conn: psycopg.Connection, schema: str, name: str) -> bool:
    return conn.execute(
        "select exists (select from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = %s and p.proname = %s and p.prokind = 'p')", [schema, name]).fetchone()[0]


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", [name]).fetchone()[0]


def columns(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    """Column name -> type name, in order."""
    rows = conn.execute(
        """
        select a.attname, format_type(a.atttypid, a.atttypmod)
        from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped
        order by a.attnum
        """, [schema, table]).fetchall()
    return dict(rows)


def _pick(cols: dict[str, str], *hints: str, types: tuple[str, ...] = ()) -> str | None:
    """The first column whose name contains one of the hints (in hint order), optionally of a
    type starting with one of `types`. The layer's column names are its own to choose."""
    for hint in hints:
        for name, typ in cols.items():
            if hint in name and (not types or typ.startswith(types)):
                return name
    return None


NAME_HINTS = ("aggregate", "view", "object", "target", "name")
TIME_TYPES = ("timestamp",)


@dataclass
class RefreshResult:
    name: str
    seconds: float
    log: dict | None
    watermark: dict | None = None


def rebuild_log_layout(conn: psycopg.Connection) -> dict[str, str | None] | None:
    if not relation_exists(conn, "elt.rebuild_log"):
        return None
    cols = columns(conn, "elt", "rebuild_log")
    return {
        "name": _pick(cols, *NAME_HINTS, types=("text", "character", "name", "regclass")),
        "start": _pick(cols, "start", "began", "begin", types=TIME_TYPES),
        "end": _pick(cols, "end", "finish", "done", "stop", types=TIME_TYPES),
        "order": _pick(cols, "start", "began", "begin", "end", "finish", "logged", "at", types=TIME_TYPES)
                 or _pick(cols, "id"),
    }


def last_refreshes(conn: psycopg.Connection) -> list[dict] | None:
    """The newest elt.rebuild_log row per aggregate (or overall, without a name column), with
    its duration when start and end columns exist; None when there is no log."""
    layout = rebuild_log_layout(conn)
    if layout is None:
        return None
    order = layout["order"]
    if order is None:
        return []
    name = layout["name"]
    duration = (f"extract(epoch from l.{layout['end']} - l.{layout['start']})::float8"
                if layout["start"] and layout["end"] else "null::float8")
    partition = f"partition by l.{name}" if name else ""
    rows = conn.execute(
        f"""
        select row_json, seconds, age from (
            select to_jsonb(l) as row_json, {duration} as seconds,
                   extract(epoch from now() - l.{order})::float8 as age,
                   row_number() over ({partition} order by l.{order} desc nulls last) as rank
            from elt.rebuild_log as l) as newest
        where rank = 1
        order by row_json ->> %s
        """, [name or order]).fetchall()
    return [{"log": r[0], "seconds": r[1], "age_seconds": r[2], "name": r[0].get(name) if name else None}
            for r in rows]


def refresh(conn: psycopg.Connection, name: str) -> RefreshResult:
    """call elt.rebuild(name), timed; with the log row it wrote, if a log can be read.
    `conn` is in autocommit mode, so the procedure may commit as it likes."""
    started = time.monotonic()
    conn.execute("call elt.rebuild(%s)", [name])
    seconds = time.monotonic() - started
    log = None
    for entry in last_refreshes(conn) or []:
        if entry["name"] in (name, None, f"analytics.{name}"):
            log = entry["log"]
    watermark = None
    for entry in watermarks(conn) or []:
        if entry["name"] in (name, f"analytics.{name}"):
            watermark = entry["row"]
    return RefreshResult(name, seconds, log, watermark)


def watermarks(conn: psycopg.Connection) -> list[dict] | None:
    """Every row of the watermark table(s) in schema elt, with an age when a row has a time."""
    tables = conn.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = 'elt' and c.relkind in ('r', 'p', 'v') and c.relname like '%watermark%'"
        " order by 1").fetchall()
    if not tables:
        return None
    found = []
    for (table,) in tables:
        cols = columns(conn, "elt", table)
        name = _pick(cols, *NAME_HINTS, types=("text", "character", "name", "regclass"))
        at = _pick(cols, "at", "time", "refresh", "updated", "built", types=TIME_TYPES) \
            or _pick(cols, "", types=TIME_TYPES)
        age = f"extract(epoch from now() - w.{at})::float8" if at else "null::float8"
        for row, age_seconds in conn.execute(
                f"select to_jsonb(w), {age} from elt.{table} as w").fetchall():
            found.append({"table": f"elt.{table}", "name": row.get(name) if name else None,
                          "row": row, "age_seconds": age_seconds})
    return found


def fold_lag(conn: psycopg.Connection) -> list[dict] | None:
    """Per aggregate, from analytics.freshness: seconds since its watermark last moved and the
    changes pending since; None when the layer has no such view (an older warehouse)."""
    if not relation_exists(conn, "analytics.freshness") or "fold_lag" not in columns(conn, "analytics", "freshness"):
        return None
    rows = conn.execute("select aggregate, extract(epoch from fold_lag)::float8, changes_pending,"
                        " extract(epoch from now() - rebuilt_at)::float8"
                        " from analytics.freshness order by aggregate").fetchall()
    return [{"name": r[0], "lag_seconds": r[1], "changes_pending": r[2], "rebuilt_age_seconds": r[3]}
            for r in rows]


def quarantine_counts(conn: psycopg.Connection) -> dict[str, int] | None:
    """Quarantined rows per rule. From elt.quarantine_count, which the pg_cron job
    count-quarantine refreshes: counting clean.quarantine itself reads every order and item
    (seconds at 1M orders), too slow for a status polled every few seconds. Without that table
    (an older layer) clean.quarantine is counted directly."""
    if relation_exists(conn, "elt.quarantine_count"):
        return dict(conn.execute(
            "select rule, sum(rows)::bigint from elt.quarantine_count group by rule order by rule").fetchall())
    if not relation_exists(conn, "clean.quarantine"):
        return None
    rule = _pick(columns(conn, "clean", "quarantine"), "rule", "check", "reason")
    if rule is None:
        total = conn.execute("select count(*) from clean.quarantine").fetchone()[0]
        return {"(all)": total} if total else {}
    return dict(conn.execute(
        f"select coalesce({rule}::text, '(none)'), count(*) from clean.quarantine group by 1 order by 1"
    ).fetchall())


def cron_runs(conn: psycopg.Connection, limit: int = 10) -> dict | None:
    """Recent pg_cron runs in this database and the failures of the last day; None when pg_cron
    is not installed here (it lives in one database per cluster: cron.database_name)."""
    if not relation_exists(conn, "cron.job_run_details"):
        return None
    recent = conn.execute(
        """
        select j.jobname, d.status, d.start_time, extract(epoch from d.end_time - d.start_time)::float8,
               left(d.return_message, 200)
        from cron.job_run_details d join cron.job j on j.jobid = d.jobid
        order by d.start_time desc nulls last
        limit %s
        """, [limit]).fetchall()
    failures = conn.execute(
        "select j.jobname, count(*) from cron.job_run_details d join cron.job j on j.jobid = d.jobid"
        " where d.status = 'failed' and d.start_time > now() - interval '1 day' group by 1 order by 1"
    ).fetchall()
    return {
        "recent": [{"job": r[0], "status": r[1], "start": r[2].isoformat() if r[2] else None,
                    "seconds": r[3], "message": r[4]} for r in recent],
        "failures_last_day": dict(failures),
    }


def quarantine_counted_at(conn: psycopg.Connection) -> tuple[bool, float | None]:
    """(whether counts are kept in elt.quarantine_count, seconds since they were last taken)."""
    if not relation_exists(conn, "elt.quarantine_count_run"):
        return False, None
    row = conn.execute("select extract(epoch from now() - max(counted_at))::float8"
                       " from elt.quarantine_count_run").fetchone()
    return True, row[0]


def last_fold(conn: psycopg.Connection) -> dict | None:
    """The newest row of elt.fold_log, and the failed folds of the last hour; None without the
    log. Two index lookups, whatever the log's size."""
    if not relation_exists(conn, "elt.fold_log"):
        return None
    row = conn.execute(
        """
        select f.finished_at, extract(epoch from now() - f.finished_at)::float8, f.error,
               (select count(*) from elt.fold_log as e
                where e.finished_at > now() - interval '1 hour' and e.error is not null)
        from elt.fold_log as f order by f.fold_id desc limit 1
        """).fetchone()
    if row is None:
        return {"finished_at": None, "age_seconds": None, "error": None, "failed_last_hour": 0}
    return {"finished_at": row[0].isoformat(), "age_seconds": row[1], "error": row[2], "failed_last_hour": row[3]}


def cron_jobs(conn: psycopg.Connection) -> list[dict] | None:
    """Every pg_cron job of this database with its newest run; None when pg_cron is not here."""
    if not relation_exists(conn, "cron.job"):
        return None
    rows = conn.execute(
        """
        select j.jobname, j.schedule, j.command, j.active, j.username, r.status,
               extract(epoch from now() - r.start_time)::float8, left(r.return_message, 300)
        from cron.job as j
        left join lateral (select d.status, d.start_time, d.return_message from cron.job_run_details as d
                           where d.jobid = j.jobid order by d.runid desc limit 1) as r on true
        where j.database = current_database()
        order by j.jobname
        """).fetchall()
    return [{"job": r[0], "schedule": r[1], "command": r[2], "active": r[3], "username": r[4],
             "last_status": r[5], "last_start_age_seconds": r[6], "last_message": r[7]} for r in rows]


def cron_database(conn: psycopg.Connection) -> str | None:
    """The database pg_cron serves on this server (cron.database_name), if it is loaded."""
    return conn.execute("select current_setting('cron.database_name', true)").fetchone()[0]


def history_retention(conn: psycopg.Connection) -> dict | None:
    """How long the change logs are kept and from when the answers as of a past moment can be
    asked (elt.changelog_retention); None on a warehouse without it."""
    if not relation_exists(conn, "elt.changelog_retention"):
        return None
    # -infinity (nothing purged yet) has no Python datetime: null, "since the logs began".
    keep, changes_from, facts_from = conn.execute(
        "select keep::text, nullif(changes_from, '-infinity'), nullif(facts_from, '-infinity')"
        " from elt.changelog_retention").fetchone()
    return {"keep": keep, "answers_from": changes_from.isoformat() if changes_from else "the logs' start",
            "metrics_from": facts_from.isoformat() if facts_from else "the logs' start"}


def anomaly_flags_today(conn: psycopg.Connection) -> list[dict] | None:
    """The daily metrics outside their usual band today (analytics.anomaly_flags_today); None on
    a warehouse without them. It reads about a month of the folded daily metrics."""
    if not relation_exists(conn, "analytics.anomaly_flags_today"):
        return None
    try:
        # A savepoint: status goes on with its other probes if the metrics cannot be read.
        with conn.transaction():
            rows = conn.execute("select metric, day, value, median, band_low, band_high"
                                " from analytics.anomaly_flags_today order by metric").fetchall()
    except psycopg.DatabaseError:
        return None
    return [{"metric": r[0], "day": r[1].isoformat(), "value": float(r[2]), "median": float(r[3]),
             "band_low": float(r[4]), "band_high": float(r[5])} for r in rows]
