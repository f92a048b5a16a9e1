"""Bring the warehouse copies' columns in line with the source's (cli_app/drift.py), saying
every ALTER it runs: never silently."""

import click
import psycopg

from cli_app import config, drift
from cli_app.db import connect
from cli_app.options import command


@command("sync-schema")
@click.option("--drop", "drop_columns", is_flag=True,
              help="Also drop the warehouse columns the source dropped (their history stays in the change log).")
def sync_schema(drop_columns):
    """Add to the warehouse copies the columns the source added (and drop, with --drop, those it dropped).

    Compares the catalogs of both sides and prints each ALTER before running it,
    each in its own transaction. A column added at the source stops replication at
    the first change of its table until the warehouse has it; once added, the
    apply worker's next retry goes on. A changed type is reported, not applied:
    the change log stores the table's row type, so it needs a migration.

    Example: cli-app sync-schema
    """
    settings = config.load()
    with connect(settings.source_dsn, "source") as source, \
            connect(settings.warehouse_dsn, "warehouse", autocommit=True) as warehouse:
        found = drift.compare(source, warehouse)
        if not found:
            click.echo("nothing to do: the warehouse copies have the source's columns and types")
            return
        left = []
        for d in found:
            if d.change == "retyped" or (d.change == "dropped" and not drop_columns):
                left.append(d)
                continue
            click.echo(f"{d.alter};")
            try:
                with warehouse.transaction():
                    warehouse.execute(d.alter)
            except psycopg.errors.DependentObjectsStillExist as e:
                raise click.ClickException(
                    f"{d.alter} refused: {e.diag.message_primary} ({e.diag.message_detail or 'the clean layer reads it'});"
                    " the column stays, null in new rows") from None
    for d in left:
        click.echo(f"not applied: {d.alter} ({d.effect})", err=True)
    if any(d.change == "retyped" for d in left):
        raise click.ClickException("a column type differs from the source's: see above")
