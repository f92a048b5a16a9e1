"""Ad-hoc read-only SQL on the warehouse, printed or exported like a named query."""

import sys

import click

from cli_app import export, queries
from cli_app.commands.queries import run_and_report
from cli_app.options import command, output_options, param_option, timeout_option


@command("sql")
@click.argument("query")
@output_options
@param_option
@timeout_option
def sql(query, export_flag, output_dir, output, fmt, force, params, timeout):
    """Run one read-only SELECT or WITH QUERY on the warehouse ('-' reads it from stdin).

    It runs as elt_analyst, which may read the analytics schema and nothing else.
    Anything else (several statements, INSERT, a data-modifying CTE, SELECT INTO)
    is refused before it is sent; the query then runs in a READ ONLY transaction
    under a statement_timeout. EXPLAIN (ANALYZE too) of such a query prints its
    plan. Exports are named sql_result_<timestamp>.<format>.

    Example: cli-app sql "select status, sum(open_orders) from analytics.open_orders group by status" --export
    Example: cli-app sql "explain analyze select * from analytics.top_dates"
    """
    from cli_app import sqlcheck  # sqlglot: imported by the commands that parse SQL only
    if query == "-":
        query = sys.stdin.read()
    sqlcheck.check_read_only(query)
    bound = queries.NamedQuery.parse("sql", query).bind(params)
    if sqlcheck.explained(query) is not None:
        # A plan is lines of text: COPY and to_json cannot wrap an EXPLAIN, and need not.
        if fmt in ("csv", "json"):
            raise click.UsageError("EXPLAIN prints a plan as text: drop --format, or use --format table")
        fmt = "table"
    target = export.resolve_target("sql", export_flag, output_dir, output, fmt, force)
    run_and_report(query, bound, target, timeout)
