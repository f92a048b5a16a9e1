"""The health of the pipeline, for people and for a cron job that alerts."""

import json
import sys

import click
import psycopg

from cli_app import analytics, conflicts, config, deploy as deployment, drift, health, upkeep
from cli_app.db import connect
from cli_app.options import command


def collect(settings, subscription: str, limits: upkeep.Limits) -> dict:
    """Every check either side allows: with one server unreachable, the other's checks are still
    reported, and the report says which side could not be reached."""
    checks: list[health.Check] = []
    layer = {"aggregates": [], "watermarks": None, "refreshes": None, "fold_lag": None, "cron": None,
             "quarantine": None, "history": None, "anomalies": None}
    progress, slot = (None, None, None), None
    unreachable = []
    try:
        with connect(settings.warehouse_dsn, "warehouse") as warehouse:
            checks += health.warehouse_checks(warehouse, subscription)
            progress = health.subscription_progress(warehouse, subscription)
            # Only when replication fails: then reading the server log's tail is worth it.
            if any(c.name in ("apply errors", "apply worker") and c.state == health.FAIL for c in checks):
                conflict = conflicts.last_conflict(warehouse, subscription)
                if conflict is not None:
                    checks.append(health.Check("apply conflict", health.FAIL, conflict.summary))
            layer = warehouse_layer(warehouse)
    except click.ClickException as e:
        unreachable.append("warehouse")
        checks.append(health.Check("warehouse", health.FAIL, e.message.splitlines()[0]))
    try:
        with connect(settings.source_dsn, "source") as source:
            checks += health.source_checks(source, subscription)
            slot = health.slot_wal(source, subscription)
    except click.ClickException as e:
        unreachable.append("source")
        checks.append(health.Check("source", health.FAIL, e.message.splitlines()[0]))
    current = health.lag(progress, slot)
    found_drift = None
    if not unreachable:
        checks += health.lag_checks(current, slot, limits.max_lag_seconds)
        try:
            found_drift = schema_drift(settings)
            checks.append(drift_check(found_drift))
        except (psycopg.Error, click.ClickException) as e:
            # Either side may have gone away since, or be a version without these catalogs.
            checks.append(health.Check("schema drift", health.WARN, f"could not compare the catalogs: "
                                       f"{str(e).splitlines()[0] if str(e) else type(e).__name__}"))
    if "warehouse" not in unreachable:
        checks += upkeep.layer_checks(layer, limits)
    return {
        "healthy": health.healthy(checks),
        "unreachable": unreachable,
        "checks": [c.as_dict() for c in checks],
        "lag": {"bytes": current.bytes, "seconds": current.seconds},
        "slot": slot,
        "drift": [d.as_dict() for d in found_drift] if found_drift is not None else None,
        **{k: v for k, v in layer.items() if k not in ("last_fold", "rebuilt", "jobs", "cron_database",
                                                        "quarantine_age")},
        "last_fold": layer.get("last_fold"),
        "jobs": layer.get("jobs"),
    }


def schema_drift(settings) -> list:
    """The catalogs of both sides compared: two small queries, run only when both answer."""
    with connect(settings.source_dsn, "source") as source, connect(settings.warehouse_dsn, "warehouse") as warehouse:
        return drift.compare(source, warehouse)


def drift_check(found: list) -> health.Check:
    if not found:
        return health.Check("schema drift", health.OK, "the warehouse copies have the source's columns and types")
    failing = drift.failing(found)
    return health.Check("schema drift", health.FAIL if failing else health.WARN,
                        "; ".join(f"operations.{d.table}.{d.column} {d.change} at the source: {d.alter}"
                                  f" ({d.effect})" for d in found)
                        + (" — `cli-app sync-schema` applies what it safely can" if failing else ""))


def warehouse_layer(warehouse) -> dict:
    """What the warehouse says about its analytics layer, each probe a query or two on small
    tables or catalogs: nothing here reads the answers or the clean rows."""
    fold_lag = analytics.fold_lag(warehouse)
    return {
        "aggregates": analytics.aggregates(warehouse),
        "watermarks": analytics.watermarks(warehouse),
        "refreshes": analytics.last_refreshes(warehouse),
        "fold_lag": fold_lag,
        "cron": analytics.cron_runs(warehouse),
        "quarantine": analytics.quarantine_counts(warehouse),
        "quarantine_age": analytics.quarantine_counted_at(warehouse),
        "last_fold": analytics.last_fold(warehouse),
        "rebuilt": {f["name"]: f["rebuilt_age_seconds"] for f in fold_lag or []},
        "jobs": analytics.cron_jobs(warehouse),
        "cron_database": analytics.cron_database(warehouse),
        "history": analytics.history_retention(warehouse),
        "anomalies": analytics.anomaly_flags_today(warehouse),
    }


def _age(seconds) -> str:
    if seconds is None:
        return "?"
    seconds = float(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def print_report(report: dict) -> None:
    width = max(len(c["name"]) for c in report["checks"])
    for c in report["checks"]:
        click.echo(f"{c['state'].upper():4}  {c['name']:<{width}}  {c['detail']}")
    if report["watermarks"]:
        click.echo("\nwatermarks")
        for w in report["watermarks"]:
            rest = {k: v for k, v in w["row"].items() if v != w["name"]}
            click.echo(f"  {w['name'] or w['table']}: age {_age(w['age_seconds'])}  "
                       + " ".join(f"{k}={v}" for k, v in rest.items()))
    if report["fold_lag"]:
        click.echo("\nfold lag")
        for f in report["fold_lag"]:
            click.echo(f"  {f['name']}: {_age(f['lag_seconds'])} behind, {f['changes_pending']} change(s) pending")
    if report["refreshes"]:
        click.echo("\nlast rebuild")
        for r in report["refreshes"]:
            took = f"took {r['seconds']:.2f}s" if r["seconds"] is not None else ""
            click.echo(f"  {r['name'] or '(any)'}: {_age(r['age_seconds'])} ago {took}".rstrip())
    if report["cron"] and report["cron"]["recent"]:
        click.echo("\nrecent pg_cron runs")
        for run in report["cron"]["recent"]:
            click.echo(f"  {run['start']}  {run['job']}  {run['status']}"
                       + (f"  {run['message']}" if run["status"] == "failed" else ""))
    if report.get("history"):
        h = report["history"]
        click.echo(f"\nhistory: change logs kept {h['keep']}; answers as of a moment from {h['answers_from']},"
                   f" metrics from {h['metrics_from']} (--as-of)")
    if report.get("anomalies") is not None:
        click.echo("\nanomaly flags today" + ("" if report["anomalies"] else ": none"))
        for a in report["anomalies"]:
            click.echo(f"  {a['metric']}: {a['value']:g} outside [{a['band_low']:g}, {a['band_high']:g}]"
                       f" (28-day median {a['median']:g})")
    click.echo("\nhealthy" if report["healthy"] else "\nUNHEALTHY")


@command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--max-lag-seconds", type=click.FloatRange(min=0), default=300, show_default=True,
              help="Replication lag above this is unhealthy.")
@click.option("--max-fold-lag-seconds", type=click.FloatRange(min=0), default=120, show_default=True,
              help="Changes waiting longer than this to be folded are unhealthy.")
@click.option("--max-rebuild-age-hours", type=click.FloatRange(min=0), default=26, show_default=True,
              help="An aggregate not rebuilt for longer is unhealthy (the rebuild is nightly).")
@click.option("--max-pending-changes", type=click.IntRange(min=0), default=100_000, show_default=True,
              help="A changelog backlog (changes not folded yet) above this is unhealthy.")
@click.option("--max-quarantined", type=click.IntRange(min=0), envvar="ELT_MAX_QUARANTINED",
              help="Quarantined rows above this are unhealthy, up to it fine; without it any "
                   "quarantined row is a warning [env: ELT_MAX_QUARANTINED].")
@click.option("--subscription", envvar="ELT_SUBSCRIPTION", default=deployment.SUBSCRIPTION,
              show_default=True, help="Subscription (and slot) to check [env: ELT_SUBSCRIPTION].")
def status(as_json, max_lag_seconds, max_fold_lag_seconds, max_rebuild_age_hours, max_pending_changes,
           max_quarantined, subscription):
    """Health of the pipeline: replication, lag, slot WAL, aggregates, pg_cron, quarantine.

    Replication lag in bytes (the source's slot) and seconds (the warehouse's
    pg_stat_subscription); WAL the slot retains against max_slot_wal_keep_size;
    each aggregate's watermark, fold lag and changes pending; the last fold and
    rebuild; the pg_cron jobs and their last runs; quarantined rows per rule (as
    of the last count by the job count-quarantine); the change logs' retention
    (how far back --as-of reaches); the daily metrics flagged today as outside
    their rolling 28-day band. Exits 1 when something is
    unhealthy: subscription disabled, apply worker down, slot inactive or near its
    limit, lag over --max-lag-seconds, a fold failed or overdue, a rebuild
    overdue, a maintenance job missing, inactive or failing, a changelog backlog
    or a quarantine over its limit, or a server unreachable. With one server
    down, every check of the other is still reported. Reads only catalogs and
    small tables, so it stays cheap enough to poll.

    Example: cli-app status --json --max-lag-seconds 60 --max-quarantined 500
    """
    limits = upkeep.Limits(max_lag_seconds=max_lag_seconds, max_fold_lag_seconds=max_fold_lag_seconds,
                           max_rebuild_age_hours=max_rebuild_age_hours,
                           max_pending_changes=max_pending_changes, max_quarantined=max_quarantined)
    report = collect(config.load(), subscription, limits)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)
    sys.exit(0 if report["healthy"] else 1)
