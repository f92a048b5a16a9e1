"""The health of the pipeline, for people and for a cron job that alerts."""

import json
import sys

import click

from cli_app import analytics, config, deploy as deployment, health
from cli_app.db import connect
from cli_app.options import command

SKIP = "skip"
# elt.maintain folds every second, from a pg_cron job started every minute.
MAX_FOLD_LAG_SECONDS = 120


def collect(settings, subscription: str, max_lag_seconds: float) -> dict:
    with connect(settings.warehouse_dsn, "warehouse") as warehouse:
        checks = health.warehouse_checks(warehouse, subscription)
        progress = health.subscription_progress(warehouse, subscription)
        layer = {
            "aggregates": analytics.aggregates(warehouse),
            "watermarks": analytics.watermarks(warehouse),
            "refreshes": analytics.last_refreshes(warehouse),
            "fold_lag": analytics.fold_lag(warehouse),
            "cron": analytics.cron_runs(warehouse),
            "quarantine": analytics.quarantine_counts(warehouse),
        }
    with connect(settings.source_dsn, "source") as source:
        checks += health.source_checks(source, subscription)
        slot = health.slot_wal(source, subscription)
    current = health.lag(progress, slot)
    checks += health.lag_checks(current, slot, max_lag_seconds)
    checks += layer_checks(layer)
    return {
        "healthy": health.healthy(checks),
        "checks": [c.as_dict() for c in checks],
        "lag": {"bytes": current.bytes, "seconds": current.seconds},
        "slot": slot,
        **layer,
    }


def layer_checks(layer: dict) -> list[health.Check]:
    checks = []
    if not layer["aggregates"]:
        checks.append(health.Check("analytics", SKIP, "not deployed: no analytics.<name>_hist materialized view"))
    else:
        checks.append(health.Check("analytics", health.OK, f"{len(layer['aggregates'])} aggregate(s): "
                                   + ", ".join(layer["aggregates"])))
    lags = layer["fold_lag"]
    if lags:
        behind = [f"{f['name']} {f['lag_seconds']:.0f}s" for f in lags if f["lag_seconds"] > MAX_FOLD_LAG_SECONDS]
        checks.append(health.Check("maintenance", health.WARN if behind else health.OK,
                                   "not folded for over "
                                   f"{MAX_FOLD_LAG_SECONDS}s (is the pg_cron job maintain-aggregates running?): "
                                   + ", ".join(behind) if behind else
                                   "folded within the last "
                                   f"{max(f['lag_seconds'] for f in lags):.1f}s, "
                                   f"{max(f['changes_pending'] or 0 for f in lags)} change(s) pending"))
    cron = layer["cron"]
    if cron is None:
        checks.append(health.Check("pg_cron", SKIP, "not installed in this database"))
    else:
        failed = cron["failures_last_day"]
        checks.append(health.Check("pg_cron", health.WARN if failed else health.OK,
                                   ", ".join(f"{job}: {n} failed run(s)" for job, n in failed.items())
                                   + " in the last day" if failed
                                   else f"{len(cron['recent'])} recent run(s), no failure in the last day"))
    quarantine = layer["quarantine"]
    if quarantine is not None:
        total = sum(quarantine.values())
        checks.append(health.Check("quarantine", health.WARN if total else health.OK,
                                   f"{total} row(s) held: " + ", ".join(f"{k} {v}" for k, v in quarantine.items())
                                   if total else "empty"))
    return checks


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
    click.echo("\nhealthy" if report["healthy"] else "\nUNHEALTHY")


@command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--max-lag-seconds", type=click.FloatRange(min=0), default=300, show_default=True,
              help="Replication lag above this is unhealthy.")
@click.option("--subscription", envvar="ELT_SUBSCRIPTION", default=deployment.SUBSCRIPTION,
              show_default=True, help="Subscription (and slot) to check [env: ELT_SUBSCRIPTION].")
def status(as_json, max_lag_seconds, subscription):
    """Health of the pipeline: replication, lag, slot WAL, aggregates, pg_cron, quarantine.

    Replication lag in bytes (the source's slot) and seconds (the warehouse's
    pg_stat_subscription); WAL the slot retains against max_slot_wal_keep_size;
    each aggregate's watermark, fold lag and changes pending; the last rebuild and
    its duration; recent
    pg_cron runs and failures; quarantined rows per rule. Exits 1 when something
    is unhealthy (subscription disabled, apply worker down, slot inactive or near
    its limit, lag over --max-lag-seconds), so a cron job can alert on it.

    Example: cli-app status --json --max-lag-seconds 60
    """
    report = collect(config.load(), subscription, max_lag_seconds)
    if as_json:
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)
    sys.exit(0 if report["healthy"] else 1)
