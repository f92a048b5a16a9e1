"""cli-app: one Click group, subcommands named as verbs (cli_app/commands/<verb>.py)."""

import importlib
import os
import signal
import sys

import click
import psycopg

from cli_app import deploy as deployment
from cli_app.options import Group, output_options, param_option, timeout_option

# Each subcommand and where it lives, imported only when it runs (or --help lists it): an export
# must not pay for the modules of status, deploy or monitor at every start.
COMMANDS = {
    "deploy": "pipeline:deploy", "generate": "pipeline:generate", "traffic": "pipeline:traffic",
    "watch": "pipeline:watch", "status": "status:status", "refresh": "refresh:refresh",
    "repair": "repair:repair", "resync": "resync:resync", "sync-schema": "sync_schema:sync_schema",
    "list": "queries:list_queries", "export-all": "queries:export_all", "sql": "sql:sql",
    "lineage": "lineage:lineage", "monitor": "monitor:monitor", "serve": "serve:serve", "catalog": "serve:catalog",
}


class LazyGroup(Group):
    """The root group: its subcommands come from COMMANDS, each module imported on first use."""

    def list_commands(self, ctx):
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx, name):
        if name not in self.commands and name in COMMANDS:
            module, attr = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(f"cli_app.commands.{module}"), attr), name)
        return self.commands.get(name)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--query", "query_name", metavar="NAME",
              help="Run the named query NAME (see `cli-app list`) and print or export its result.")
@output_options
@param_option
@timeout_option
@click.option("--as-of", "as_of", metavar="MOMENT",
              help="Run --query as of a past moment inside the change logs' retention (e.g. '2026-11-22 17:00';"
                   " `status` shows how far back): exact, from the change logs.")
@click.option("--queries-dir", "queries_dirs", multiple=True, type=click.Path(file_okay=False),
              help="Another directory of named queries (repeatable; also ELT_QUERIES_DIR).")
@click.pass_context
def cli(ctx, query_name, export_flag, output_dir, output, fmt, force, params, timeout, as_of, queries_dirs):
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
        if export_flag or output_dir or output or fmt or force or params or as_of:
            raise click.UsageError("these options need --query NAME")
        click.echo(ctx.get_help())
        ctx.exit(0)
    from cli_app.commands import queries
    queries.run_named(query_name, params, export_flag, output_dir, output, fmt, timeout, queries_dirs, force,
                      as_of=as_of)


def _terminate(signum, frame):
    # SIGTERM unwinds like Ctrl-C, so an export in progress removes its temporary file.
    raise KeyboardInterrupt


def fail(message: str, code: int) -> None:
    """One line on stderr and the exit code: what a person or a cron job needs, never a traceback."""
    click.echo("Error: " + " ".join(line.strip() for line in str(message).splitlines() if line.strip()),
               err=True)
    sys.exit(code)


def main():
    signal.signal(signal.SIGTERM, _terminate)
    try:
        # standalone_mode=False: errors come here to be told in one line; an exit code (from
        # --help, say) comes back as the result.
        code = cli.main(standalone_mode=False)
    except click.UsageError as e:
        # Click would print the usage block first: the hint to --help says the same in a line.
        command = e.ctx.command_path if e.ctx else "cli-app"
        fail(f"{e.format_message()} (see `{command} --help`)", e.exit_code)
    except click.ClickException as e:
        fail(e.format_message(), e.exit_code)
    except click.exceptions.Abort:
        fail("interrupted", 1)
    except (psycopg.Error, deployment.DeployError) as e:
        fail(str(e), 1)
    except BrokenPipeError:
        # The reader went away (`| head`): nothing left to say, and no one to say it to.
        sys.stderr.close()
        sys.exit(1)
    except OSError as e:
        fail(f"{e.strerror}: {e.filename}" if e.filename else str(e), 1)
    except Exception as e:
        # A bug: still one line for the person and the cron job; ELT_DEBUG=1 shows the traceback.
        if os.environ.get("ELT_DEBUG"):
            raise
        fail(f"unexpected {type(e).__name__}: {e} (a bug: run again with ELT_DEBUG=1 and report the traceback)", 1)
    sys.exit(code if isinstance(code, int) else 0)
