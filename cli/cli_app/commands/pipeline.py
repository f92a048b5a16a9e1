"""The pipeline's own verbs: deploy the objects, load history, run demo traffic, watch rows arrive."""

import sys
import time

import click

from cli_app import config, deploy as deployment, generate as generator
from cli_app.db import connect
from cli_app.options import command, group, source_writes_option


def writable_source(settings, allowed: bool, writes: str) -> str:
    """The source DSN, if we may write there: the embedded source is ours; any other is the
    shop's, where made-up rows would corrupt its data and the answers, unless the user says
    otherwise. `writes` says what would be written, for the refusal."""
    if not settings.source_dsn or settings.embedded_source or allowed:
        return settings.source_dsn
    raise click.ClickException(
        f"refusing to write {writes} into {config.mask(settings.source_dsn)}: it is not the embedded "
        "source (.pg/env), so it may be the shop's own database. If it is yours to write, "
        "pass --allow-source-writes (or set ELT_ALLOW_SOURCE_WRITES=1).")


@command()
@click.option("--source-schema/--no-source-schema", default=None,
              help="Also migrate the demo source schema and traffic procedures. "
                   "Default: only for the embedded source.")
@click.option("--subscribe/--no-subscribe", default=True, show_default=True,
              help="Create the warehouse subscription (it copies existing rows first).")
def deploy(source_schema, subscribe):
    """Apply migrations and object files on both sides, then set up replication.

    Idempotent: run it on every deploy. On a source that is not ours only the
    publication and the elt_replicator role are created. Last, what the deltas
    look up by key is read into the warehouse's shared buffers (elt.prewarm).

    Example: cli-app deploy
    """
    settings = config.load()
    if source_schema is None:
        source_schema = settings.embedded_source
    if not settings.replication_password:
        raise click.ClickException(
            "no password for the replication role: set ELT_REPLICATION_PASSWORD "
            "(or ELT_REPLICATION_PASSWORD_FILE)")
    with connect(settings.source_dsn, "source", autocommit=True) as source:
        if source_schema:
            applied = deployment.migrate(settings.source_dsn, "source")
            click.echo(f"source: {len(applied)} migration(s) applied")
            deployment.apply_objects(source, "source")
            source.execute("create extension if not exists pg_cron")
            click.echo("source: object files applied")
        missing = deployment.missing_source_tables(source)
        if missing:
            raise click.ClickException(
                f"the source has no {', '.join(missing)}: point SOURCE_DSN at the shop's database, "
                "or add --source-schema to create the demo schema there")
        deployment.publish(source, settings.replication_password)
        click.echo(f"source: publication {deployment.PUBLICATION} and role elt_replicator ready")
    with connect(settings.warehouse_dsn, "warehouse", autocommit=True) as warehouse:
        applied = deployment.migrate(settings.warehouse_dsn, "warehouse")
        click.echo(f"warehouse: {len(applied)} migration(s) applied")
        files = deployment.apply_objects(warehouse, "warehouse")
        click.echo(f"warehouse: {len(files)} object file(s) applied")
        changed = deployment.set_passwords(warehouse, settings.role_passwords or {})
        click.echo("warehouse: roles elt_owner (maintenance) and elt_analyst (readers) ready"
                   + (f"; password set for {', '.join(changed)}" if changed else ""))
        # What status reads of the quarantine, counted once now rather than at the job's first run.
        warehouse.execute("call elt.count_quarantine()")
        click.echo(f"warehouse: {deployment.prewarm(warehouse)}")
        if config.ANALYST not in changed:
            click.echo("warning: no password for elt_analyst, so readers (sql, --query, export-all) "
                       "cannot log in: set ELT_ANALYST_PASSWORD_FILE (and a .pgpass line) and deploy again",
                       err=True)
        if subscribe:
            conninfo = deployment.subscription_conninfo(settings.source_dsn, settings.replication_password)
            created = deployment.subscribe(warehouse, conninfo)
            click.echo(f"warehouse: subscription {deployment.SUBSCRIPTION} "
                       + ("created; the initial copy runs in the background" if created else "up to date"))


@command()
@click.option("--orders", type=click.IntRange(min=1), required=True, help="Orders to load.")
@click.option("--days", type=click.IntRange(min=1), default=365, show_default=True,
              help="Spread order dates over this many past days.")
@click.option("--customers", type=click.IntRange(min=1), help="New customers [default: orders/20].")
@click.option("--products", type=click.IntRange(min=1), help="New products [default: orders/200].")
@click.option("--batch", type=click.IntRange(min=1), default=50_000, show_default=True,
              help="Orders per transaction; with a subscriber, each waits until it is applied.")
@click.option("--seed", type=int, help="Random seed, for a repeatable load.")
@source_writes_option
def generate(orders, days, customers, products, batch, seed, allow_source_writes):
    """Bulk-load order history into the source with COPY.

    About 5 items per order, with new customers and products. When a subscription
    already reads the source, every batch waits until the warehouse has applied it,
    so the load never outruns the replication slot.

    Only on the embedded source, unless --allow-source-writes: made-up customers
    and orders in a real shop's tables would corrupt its data and every answer.

    Example: cli-app generate --orders 1000000 --days 365
    """
    settings = config.load()
    source_dsn = writable_source(settings, allow_source_writes, f"{orders} made-up orders")
    with connect(source_dsn, "source", autocommit=True) as source:
        paced = generator.slot_lsn_lag(source) is not None
        click.echo("a subscriber is attached: pacing batches to its apply rate" if paced
                   else "no subscriber yet: loading at full speed (the initial copy will carry it)",
                   err=True)
        with click.progressbar(length=orders, label="orders", file=sys.stderr) as bar:
            report = generator.load_history(source, orders, days, customers, products,
                                            batch_orders=batch, seed=seed, progress=bar.update)
    click.echo(f"loaded {report.orders} orders, {report.items} items, {report.customers} customers, "
               f"{report.products} products in {report.seconds:.1f}s "
               f"({report.seconds_waiting_for_apply:.1f}s waiting for the warehouse)")


@group()
def traffic():
    """Live demo traffic on the embedded source, scheduled with pg_cron.

    Example: cli-app traffic start --scale 2
    """


@traffic.command("start")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Orders per tick are 5 x scale.")
@source_writes_option
def traffic_start(scale, allow_source_writes):
    """Schedule the shop simulator every minute (pg_cron job 'shop-simulate').

    Only on the embedded source, unless --allow-source-writes.

    Example: cli-app traffic start
    """
    source_dsn = writable_source(config.load(), allow_source_writes, "simulated orders every minute")
    with connect(source_dsn, "source", autocommit=True) as source:
        source.execute("select cron.schedule('shop-simulate', '* * * * *', %s)",
                       [f"call shop.simulate({scale})"])
    click.echo("scheduled pg_cron job shop-simulate: every minute, on the source")


@traffic.command("stop")
def traffic_stop():
    """Remove the simulator's pg_cron job.

    Example: cli-app traffic stop
    """
    with connect(config.load().source_dsn, "source", autocommit=True) as source:
        found = source.execute("select count(*) from cron.job where jobname = 'shop-simulate'").fetchone()[0]
        if found:
            source.execute("select cron.unschedule('shop-simulate')")
    click.echo("unscheduled shop-simulate" if found else "shop-simulate was not scheduled")


@traffic.command("tick")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="Orders in this tick are 5 x scale.")
@source_writes_option
def traffic_tick(scale, allow_source_writes):
    """Run one tick of the shop simulator now.

    Only on the embedded source, unless --allow-source-writes.

    Example: cli-app traffic tick --scale 10
    """
    source_dsn = writable_source(config.load(), allow_source_writes, "simulated orders")
    with connect(source_dsn, "source", autocommit=True) as source:
        source.execute("call shop.simulate(%s)", [scale])
    click.echo(f"one tick at scale {scale} written to the source")


@command()
@click.option("--seconds", type=click.IntRange(min=1), default=20, show_default=True,
              help="How long to watch.")
@click.option("--every", type=click.FloatRange(min=0.5), default=4, show_default=True,
              help="Seconds between probes.")
@source_writes_option
def watch(seconds, every, allow_source_writes):
    """Beat the heartbeat at the source now and then, and show when it reaches the warehouse.

    The probe is the project's own row, elt.heartbeat (published beside the four
    tables by `cli-app deploy`): nothing is written into the shop's tables. Source
    and warehouse row counts are printed side by side, so rows can be seen
    arriving. Only on the embedded source, unless --allow-source-writes.

    Example: cli-app watch --seconds 30
    """
    settings = config.load()
    source_dsn = writable_source(settings, allow_source_writes, "heartbeats (elt.heartbeat)")
    tables = ("customers", "products", "orders", "order_items")
    count_sql = "select " + ", ".join(f"(select count(*) from operations.{t})" for t in tables)
    deadline = time.monotonic() + seconds
    with connect(source_dsn, "source", autocommit=True) as source, \
            connect(settings.warehouse_dsn, "warehouse", autocommit=True) as warehouse:
        for conn, side in ((source, "source"), (warehouse, "warehouse")):
            if conn.execute("select to_regclass('elt.heartbeat') is null").fetchone()[0]:
                raise click.ClickException(f"the {side} has no elt.heartbeat: run `cli-app deploy`")
        click.echo(f"{'':10}" + "".join(f"{t:>24}" for t in tables) + f"{'probe lag':>12}")
        while time.monotonic() < deadline:
            beat = source.execute("update elt.heartbeat set beat = beat + 1, beat_at = clock_timestamp()"
                                  " where id = 1 returning beat").fetchone()[0]
            written = time.monotonic()
            lag = None
            while time.monotonic() - written < 30:
                seen = warehouse.execute("select beat from elt.heartbeat where id = 1").fetchone()
                if seen and seen[0] >= beat:
                    lag = time.monotonic() - written
                    break
                time.sleep(0.01)
            src = source.execute(count_sql).fetchone()
            dst = warehouse.execute(count_sql).fetchone()
            cells = "".join(f"{f'{s} / {d}':>24}" for s, d in zip(src, dst))
            click.echo(f"{time.strftime('%H:%M:%S'):10}{cells}"
                       + (f"{lag * 1000:>10.0f}ms" if lag is not None else f"{'> 30s':>12}"))
            time.sleep(max(0.0, every - (time.monotonic() - written)))
        click.echo("(counts are source / warehouse)")
