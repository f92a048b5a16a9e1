"""Resolve an apply conflict that stopped the subscription (cli_app/conflicts.py), saying what
was done and what, if anything, was lost."""

import time

import click
import psycopg

from cli_app import config, conflicts, deploy as deployment
from cli_app.db import connect
from cli_app.options import command

RESUME_SECONDS = 30


def stuck(conn: psycopg.Connection, subscription: str) -> bool:
    """Whether the subscription is failing now: disabled, or counting apply errors."""
    row = conn.execute(
        "select not s.subenabled or coalesce(st.apply_error_count, 0) > 0"
        " from pg_subscription s left join pg_stat_subscription_stats st on st.subid = s.oid"
        " where s.subname = %s", [subscription]).fetchone()
    if row is None:
        raise click.ClickException(f"subscription {subscription} does not exist: run `cli-app deploy`")
    return row[0]


def resumed(conn: psycopg.Connection, subscription: str, lsn: str | None) -> bool:
    return conn.execute(
        "select w.pid is not null and coalesce(st.apply_error_count, 0) = 0"
        " and (%s::pg_lsn is null or w.received_lsn >= %s::pg_lsn)"
        " from pg_subscription s left join pg_stat_subscription w on w.subid = s.oid and w.relid is null"
        " left join pg_stat_subscription_stats st on st.subid = s.oid where s.subname = %s",
        [lsn, lsn, subscription]).fetchone()[0]


@command()
@click.option("--skip", "skip_transaction", is_flag=True,
              help="When the failing change cannot be let through, skip its whole source transaction "
                   "(its changes are then missing from the warehouse).")
@click.option("--subscription", envvar="ELT_SUBSCRIPTION", default=deployment.SUBSCRIPTION,
              show_default=True, help="Subscription to repair [env: ELT_SUBSCRIPTION].")
def repair(skip_transaction, subscription):
    """Resolve the apply conflict that stops the subscription, and say what was lost.

    The failing change is read from the warehouse's server log (as `cli-app
    status` shows it). An INSERT whose key the warehouse already has: the
    warehouse's row is removed (only the subscription should write operations.*)
    and the source's row lands; nothing of the source is lost. Any other
    conflict: with --skip, the failing source transaction is skipped (ALTER
    SUBSCRIPTION ... SKIP) and its changes are missing here. Then the
    subscription is enabled, its error counts reset, and repair waits until
    replication has moved past the transaction.

    Example: cli-app repair
    """
    with connect(config.load().warehouse_dsn, "warehouse", autocommit=True) as conn:
        if not stuck(conn, subscription):
            click.echo(f"nothing to repair: {subscription} is enabled and counts no apply error")
            return
        conflict = conflicts.last_conflict(conn, subscription)
        if conflict is None:
            raise click.ClickException(
                f"{subscription} is failing but its error is not in the server log this role can read "
                "(pg_read_file on pg_current_logfile()): look there for the worker's ERROR and CONTEXT lines")
        done = conflicts.make_way(conn, conflict)
        if done is None:
            if not skip_transaction:
                raise click.ClickException(
                    f"{conflict.summary.rsplit(';', 1)[0]}. No warehouse row can make way for it: fix the "
                    "warehouse by hand, or run `cli-app repair --skip` to skip the source transaction "
                    "(its changes are then lost here)")
            done = conflicts.skip(conn, subscription, conflict)
        conflicts.resume(conn, subscription)
        deadline = time.monotonic() + RESUME_SECONDS
        while not resumed(conn, subscription, conflict.finish_lsn):
            if time.monotonic() > deadline:
                raise click.ClickException(
                    f"{done.did}, but replication did not resume within {RESUME_SECONDS}s: see `cli-app status`")
            time.sleep(0.2)
    click.echo(f"did: {done.did}")
    click.echo(f"lost: {done.lost}")
    click.echo(f"{subscription} is applying again")
