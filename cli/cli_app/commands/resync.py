"""Rebuild staging from a fresh copy of the source, for when the replication slot is lost
(max_slot_wal_keep_size removed WAL the warehouse never read): the warehouse can then no longer
catch up by itself, and only a new initial copy makes its copies exact again."""

import time

import click
from psycopg import sql

from cli_app import config, deploy as deployment
from cli_app.db import connect
from cli_app.options import command

# The replicated tables, heartbeat included: the new subscription's initial copy fills them all.
COPIES = ("operations.customers", "operations.products", "operations.orders", "operations.order_items",
          "elt.heartbeat")


def copying(conn, subscription: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "select r.srrelid::regclass::text from pg_subscription_rel r join pg_subscription s on s.oid = r.srsubid"
        " where s.subname = %s and r.srsubstate <> 'r' order by 1", [subscription]).fetchall()]


@command()
@click.option("--subscription", envvar="ELT_SUBSCRIPTION", default=deployment.SUBSCRIPTION,
              show_default=True, help="Subscription (and slot) to resync [env: ELT_SUBSCRIPTION].")
@click.option("--even-if-not-lost", is_flag=True,
              help="Resync although the slot still holds what the warehouse needs.")
def resync(subscription, even_if_not_lost):
    """Rebuild staging from a fresh copy of the source after the slot was lost.

    Drops the subscription and its lost slot, empties the warehouse's copies (the
    changelog logs every removed row, so it still explains each row), subscribes
    again so the initial copy brings every row, waits until it has caught up,
    then rebuilds every aggregate from the new rows: the answers are exact again.
    Says how long each step took. While it runs the answers read partial copies.

    Example: cli-app resync
    """
    settings = config.load()
    if not settings.replication_password:
        raise click.ClickException("no password for the replication role: set ELT_REPLICATION_PASSWORD "
                                   "(or ELT_REPLICATION_PASSWORD_FILE)")
    started = time.monotonic()
    with connect(settings.source_dsn, "source", autocommit=True) as source, \
            connect(settings.warehouse_dsn, "warehouse", autocommit=True) as warehouse:
        slot = source.execute("select wal_status from pg_replication_slots where slot_name = %s",
                              [subscription]).fetchone()
        if slot and slot[0] != "lost" and not even_if_not_lost:
            raise click.ClickException(
                f"slot {subscription} is not lost (wal_status {slot[0]}): the warehouse catches up by itself. "
                "Pass --even-if-not-lost to replace its copies all the same")
        name = sql.Identifier(subscription)
        if warehouse.execute("select 1 from pg_subscription where subname = %s", [subscription]).fetchone():
            # Detached from its slot first: dropping it would otherwise ask the source to drop a
            # slot that may be gone or unusable.
            warehouse.execute(sql.SQL("alter subscription {} disable").format(name))
            warehouse.execute(sql.SQL("alter subscription {} set (slot_name = none)").format(name))
            warehouse.execute(sql.SQL("drop subscription {}").format(name))
        if slot:
            source.execute("select pg_drop_replication_slot(%s)", [subscription])
        with warehouse.transaction():
            # As the apply worker writes: the guard trigger stands aside, the changelog logs it.
            warehouse.execute("set local session_replication_role = replica")
            warehouse.execute(sql.SQL("truncate {}").format(
                sql.SQL(", ").join(sql.Identifier(*t.split(".")) for t in COPIES)))
        emptied = time.monotonic()
        click.echo(f"dropped {subscription} and its slot, emptied the copies in {emptied - started:.1f}s", err=True)
        deployment.subscribe(warehouse, deployment.subscription_conninfo(settings.source_dsn,
                                                                         settings.replication_password),
                             name=subscription)
        last_said = 0.0
        while pending := copying(warehouse, subscription):
            if time.monotonic() - last_said > 10:
                click.echo(f"copying: {', '.join(pending)}", err=True)
                last_said = time.monotonic()
            time.sleep(0.2)
        target = source.execute("select pg_current_wal_lsn()").fetchone()[0]
        while not source.execute("select confirmed_flush_lsn >= %s from pg_replication_slots"
                                 " where slot_name = %s", [target, subscription]).fetchone()[0]:
            time.sleep(0.2)
        copied = time.monotonic()
        rows = {t: warehouse.execute(sql.SQL("select count(*) from {}").format(
                    sql.Identifier(*t.split(".")))).fetchone()[0] for t in COPIES[:4]}
        warehouse.execute("call elt.rebuild_all()")
        rebuilt = time.monotonic()
    click.echo(f"copied {', '.join(f'{n} {t}' for t, n in rows.items())} in {copied - emptied:.1f}s; "
               f"rebuilt every aggregate in {rebuilt - copied:.1f}s")
    click.echo(f"resynced {subscription} in {rebuilt - started:.1f}s: staging equals the source and the "
               "answers are exact again")
