"""cli-app: one Click group, subcommands named as verbs (cli_app/commands/<verb>.py)."""

import signal
import sys

import click
import psycopg

from cli_app import deploy as deployment
from cli_app.commands import lineage, monitor, pipeline, queries, refresh, sql, status
from cli_app.options import group, output_options, param_option, timeout_option


@group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--query", "query_name", metavar="NAME",
              help="Run the named query NAME (see `cli-app list`) and print or export its result.")
@output_options
@param_option
@timeout_option
@click.option("--queries-dir", "queries_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Another directory of named queries (repeatable; also ELT_QUERIES_DIR).")
@click.pass_context
def cli(ctx, query_name, export_flag, output_dir, output, fmt, force, params, timeout, queries_dirs):
    """Postgres-native ELT for order analytics.

    Reads SOURCE_DSN and WAREHOUSE_DSN from the environment, or from .pg/env
    (written by `make up` for the embedded clusters). Passwords come from there
    or from a .pgpass file, never from the command line.

    \b
    Exit codes:
      0  success; `status`: healthy
      1  a user error (unknown query, unreachable server, refused SQL...),
         `status`: unhealthy, or interrupted
      2  usage error (unknown option, bad argument)

    Example: cli-app --query open_orders --export
    """
    ctx.ensure_object(dict)
    ctx.obj["queries_dirs"] = queries_dirs
    if ctx.invoked_subcommand is not None:
        if query_name:
            raise click.UsageError("--query runs a named query on its own; drop it or the subcommand")
        return
    if not query_name:
        if export_flag or output_dir or output or fmt or force or params:
            raise click.UsageError("these options need --query NAME")
        click.echo(ctx.get_help())
        ctx.exit(0)
    queries.run_named(query_name, params, export_flag, output_dir, output, fmt, timeout, queries_dirs, force)


for verb in (pipeline.deploy, pipeline.generate, pipeline.traffic, pipeline.watch, status.status,
             refresh.refresh, queries.list_queries, queries.export_all, sql.sql, lineage.lineage,
             monitor.monitor):
    cli.add_command(verb)


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so an export in progress removes its temporary file.
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli()
    except (psycopg.Error, deployment.DeployError) as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(1)
