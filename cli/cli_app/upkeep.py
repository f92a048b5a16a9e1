"""Is the analytics layer kept up? The answers stay exact whatever happens (the delta covers
every applied change), so a failing fold or a stopped pg_cron job shows only as answers that
grow slower, and a warehouse that says `healthy` meanwhile is lying. Each of these is a check:
folds and rebuilds that fail or are overdue, the pg_cron jobs that run them, the changelog
backlog, the quarantine against its threshold."""

import re
from dataclasses import dataclass

from cli_app.health import FAIL, OK, WARN, Check

SKIP = "skip"
# What elt.schedule_maintenance schedules: the jobs that must exist and be active.
JOBS = ("maintain-answers", "maintain-metrics", "rebuild-aggregates", "purge-elt-logs", "count-quarantine",
        "prewarm-lookups")
# The loops that start every minute (elt.maintain, one per layer).
LOOPS = ("maintain-answers", "maintain-metrics")
# How pg_cron records a run that was terminated (shutdown, restart, a kill): in a background
# worker, or (scripts/pg.sh since pg_cron#200) over its connection.
INTERRUPTED = re.compile(r'terminating (background worker( "[^"]*")?|connection) due to administrator command'
                         r'|^server closed the connection unexpectedly')


@dataclass(frozen=True)
class Limits:
    # Replication lag (seconds) above which status fails.
    max_lag_seconds: float = 300
    # elt.maintain folds every 0.1 s (answers) or 1 s (metrics) from jobs started every minute.
    max_fold_lag_seconds: float = 120
    # The rebuild is nightly: a day and a bit.
    max_rebuild_age_hours: float = 26
    # Changes drawn since a watermark and not folded yet.
    max_pending_changes: int = 100_000
    # Rows in quarantine above which status fails; None: any row is a warning, never a failure.
    max_quarantined: int | None = None
    # maintain-answers and maintain-metrics start every minute: no start for this long means
    # pg_cron is not running them.
    max_job_silence_seconds: float = 300


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def layer_checks(layer: dict, limits: Limits) -> list[Check]:
    checks = []
    if not layer["aggregates"]:
        checks.append(Check("analytics", SKIP, "not deployed: no analytics.<name>_hist materialized view"))
    else:
        checks.append(Check("analytics", OK, f"{len(layer['aggregates'])} aggregate(s): "
                            + ", ".join(layer["aggregates"])))
    checks += fold_checks(layer["fold_lag"], layer.get("last_fold"), limits)
    checks += rebuild_checks(layer["fold_lag"], layer.get("rebuilt"), limits)
    checks += job_checks(layer.get("jobs"), layer.get("cron_database"), limits)
    checks += cron_failure_checks(layer["cron"])
    checks += quarantine_checks(layer["quarantine"], layer.get("quarantine_age"), limits)
    return checks


def fold_checks(lags: list[dict] | None, last: dict | None, limits: Limits) -> list[Check]:
    checks = []
    if lags:
        behind = [f"{f['name']} {_age(f['lag_seconds'])}" for f in lags
                  if f["lag_seconds"] is not None and f["lag_seconds"] > limits.max_fold_lag_seconds]
        pending = max(f["changes_pending"] or 0 for f in lags)
        problems = []
        if last and last["error"]:
            problems.append(f"the last fold failed: {last['error']}")
        if behind:
            problems.append(f"not folded for over {limits.max_fold_lag_seconds:g}s with changes pending: "
                            + ", ".join(behind) + " (are the pg_cron jobs maintain-answers and maintain-metrics running?)")
        if problems:
            checks.append(Check("folds", FAIL, "; ".join(problems)))
        else:
            recent = f"; {last['failed_last_hour']} failed in the last hour" if last and last["failed_last_hour"] else ""
            checks.append(Check("folds", WARN if recent else OK,
                                f"folded within the last {max(f['lag_seconds'] or 0 for f in lags):.1f}s{recent}"))
        checks.append(Check("changelog backlog", FAIL if pending > limits.max_pending_changes else OK,
                            f"{pending} change(s) pending"
                            + (f", over --max-pending-changes {limits.max_pending_changes}"
                               if pending > limits.max_pending_changes else "")))
    return checks


def rebuild_checks(lags: list[dict] | None, rebuilt: dict | None, limits: Limits) -> list[Check]:
    """Per aggregate, the age of its last full rebuild (elt.watermark.rebuilt_at)."""
    if not rebuilt:
        return []
    limit = limits.max_rebuild_age_hours * 3600
    never = [name for name, age in rebuilt.items() if age is None]
    overdue = [f"{name} {_age(age)} ago" for name, age in rebuilt.items() if age is not None and age > limit]
    if overdue:
        return [Check("rebuilds", FAIL, f"not rebuilt for over {limits.max_rebuild_age_hours:g}h: "
                      + ", ".join(overdue) + " (pg_cron job rebuild-aggregates, or `cli-app refresh`)")]
    if never:
        return [Check("rebuilds", WARN, "never rebuilt: " + ", ".join(never))]
    oldest = max(rebuilt.values())
    return [Check("rebuilds", OK, f"every aggregate rebuilt within {_age(oldest)}")]


def job_checks(jobs: list[dict] | None, cron_database: str | None, limits: Limits) -> list[Check]:
    if jobs is None:
        where = f" (cron.database_name is {cron_database})" if cron_database else ""
        return [Check("maintenance jobs", WARN,
                      f"pg_cron is not installed in this database{where}: nothing folds or rebuilds here on its own")]
    by_name = {j["job"]: j for j in jobs}
    problems, notes = [], []
    for name in JOBS:
        job = by_name.get(name)
        if job is None:
            problems.append(f"{name} is missing (cli-app deploy schedules it)")
        elif not job["active"]:
            problems.append(f"{name} is inactive (cron.alter_job(..., active => true))")
        elif job["last_status"] == "failed" and INTERRUPTED.search(job["last_message"] or ""):
            # A server stop or restart ends a running job this way; the next run comes within
            # its schedule, and the silence check below fails if it does not.
            notes.append(f"{name}'s last run was interrupted by a server stop or pg_terminate_backend")
        elif job["last_status"] == "failed":
            problems.append(f"{name}'s last run failed: {(job['last_message'] or '').splitlines()[0]}")
    for name in LOOPS:
        loop = by_name.get(name)
        if loop and loop["active"] and (loop["last_start_age_seconds"] or 0) > limits.max_job_silence_seconds:
            problems.append(f"{name} has not started for {_age(loop['last_start_age_seconds'])}"
                            " (is pg_cron running? see the server log)")
    if problems:
        return [Check("maintenance jobs", FAIL, "; ".join(problems + notes))]
    if notes:
        return [Check("maintenance jobs", WARN, "; ".join(notes))]
    return [Check("maintenance jobs", OK, f"{len(JOBS)} jobs scheduled and active, last runs succeeded")]


def cron_failure_checks(cron: dict | None) -> list[Check]:
    if cron is None:
        return [Check("pg_cron", SKIP, "not installed in this database")]
    failed = cron["failures_last_day"]
    return [Check("pg_cron", WARN if failed else OK,
                  ", ".join(f"{job}: {n} failed run(s)" for job, n in failed.items()) + " in the last day"
                  if failed else f"{len(cron['recent'])} recent run(s), no failure in the last day")]


def quarantine_checks(quarantine: dict | None, age: tuple[bool, float | None] | None,
                      limits: Limits) -> list[Check]:
    if quarantine is None:
        return []
    kept, seconds = age or (False, None)
    if kept and seconds is None:
        return [Check("quarantine", WARN, "not counted yet: call elt.count_quarantine()"
                      " (the pg_cron job count-quarantine runs it hourly)")]
    total = sum(quarantine.values())
    when = f" (counted {_age(seconds)} ago)" if kept else ""
    detail = (f"{total} row(s) held: " + ", ".join(f"{k} {v}" for k, v in quarantine.items())
              if total else "empty") + when
    if limits.max_quarantined is None:
        return [Check("quarantine", WARN if total else OK, detail)]
    over = total > limits.max_quarantined
    return [Check("quarantine", FAIL if over else OK,
                  detail + (f", over --max-quarantined {limits.max_quarantined}" if over
                            else f", within --max-quarantined {limits.max_quarantined}"))]
