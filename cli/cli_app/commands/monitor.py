"""pg_activity, pointed at the warehouse or the source."""

import os
import shlex
import shutil
import sys
from pathlib import Path

import click
import psycopg

from cli_app import config
from cli_app.db import connect
from cli_app.options import command


def pg_activity_path() -> str:
    beside = Path(sys.executable).with_name("pg_activity")
    found = str(beside) if beside.exists() else shutil.which("pg_activity")
    if not found:
        raise click.ClickException("pg_activity is not installed: run `make setup` "
                                   "(it installs the project's dependencies into .venv)")
    return found


def pg_activity_command(dsn: str, extra: tuple[str, ...] = ()) -> tuple[list[str], dict[str, str]]:
    """argv and environment for pg_activity. The password, if the DSN carries one, travels in
    PGPASSWORD, never in argv where `ps` shows it."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    env = {}
    if "password" in params:
        env["PGPASSWORD"] = params.pop("password")
    return [pg_activity_path(), *extra, psycopg.conninfo.make_conninfo(**params)], env


@command(context_settings={"ignore_unknown_options": True})
@click.option("--source", is_flag=True, help="Watch the source instead of the warehouse.")
@click.option("--print-command", is_flag=True, help="Print the pg_activity command instead of running it.")
@click.argument("pg_activity_args", nargs=-1, type=click.UNPROCESSED)
def monitor(source, print_command, pg_activity_args):
    """Open pg_activity (top for PostgreSQL) on the warehouse, or the source.

    Extra arguments go to pg_activity, e.g. `-- --no-cpu`. Checks the server is
    reachable first, so a stopped cluster gives a clear message.

    Example: cli-app monitor --source
    """
    settings = config.load()
    dsn, what = (settings.source_dsn, "source") if source else (settings.warehouse_dsn, "warehouse")
    with connect(dsn, what):
        pass
    argv, env = pg_activity_command(dsn, pg_activity_args)
    if print_command:
        click.echo(shlex.join(argv))
        return
    os.execve(argv[0], argv, {**os.environ, **env})
