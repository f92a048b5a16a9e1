"""Connections with errors a person can act on."""

import click
import psycopg

from cli_app.config import mask

START_HINT = "Start the embedded clusters with `make up`, or set SOURCE_DSN / WAREHOUSE_DSN."


ROLE_HINT = ("Readers log in as {role}: `cli-app deploy` sets its password from "
             "ELT_ANALYST_PASSWORD(_FILE), and libpq finds it in .pgpass; or set ELT_ANALYST_DSN.")


def connect(dsn: str | None, what: str, role: str | None = None, **kwargs) -> psycopg.Connection:
    """A connection to `what` (the source, the warehouse); `role` names the role the DSN logs
    in as when it is one of ours, for a hint that fits when it cannot."""
    if not dsn:
        raise click.ClickException(f"no DSN for the {what}. {START_HINT}")
    try:
        return psycopg.connect(dsn, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as e:
        reason = " ".join(line.strip() for line in str(e).splitlines() if line.strip()) or "connection failed"
        refused = "password" in reason or "authentication" in reason
        hint = ROLE_HINT.format(role=role) if role and refused else START_HINT
        raise click.ClickException(f"cannot reach the {what} at {mask(dsn)}: {reason}. {hint}") from None
