"""Connections with errors a person can act on."""

import click
import psycopg

from cli_app.config import mask

START_HINT = "Start the embedded clusters with `make up`, or set SOURCE_DSN / WAREHOUSE_DSN."


def connect(dsn: str | None, what: str, **kwargs) -> psycopg.Connection:
    if not dsn:
        raise click.ClickException(f"no DSN for the {what}. {START_HINT}")
    try:
        return psycopg.connect(dsn, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as e:
        reason = str(e).strip().splitlines()[-1] if str(e).strip() else "connection failed"
        raise click.ClickException(
            f"cannot reach the {what} at {mask(dsn)}: {reason}\n{START_HINT}"
        ) from None
