"""Where an analytics object's data comes from."""

import json

import click

from cli_app import config
from cli_app.db import connect
from cli_app.options import command


@command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the tree as JSON.")
def lineage(name, as_json):
    """Show the tables and columns NAME reads, down to the base tables.

    NAME is a view or materialized view (analytics.NAME unless schema-qualified).
    Its definition (pg_get_viewdef) is parsed with sqlglot, and every view it
    reads is followed in turn, carrying only the columns each step uses. A
    function read in FROM (the deltas' changes since a watermark) is named and
    followed through its own SQL down to the staging tables it reads.

    Example: cli-app lineage open_orders
    """
    from cli_app import lineage as lineage_  # sqlglot: imported by the commands that parse SQL only
    with connect(config.load().warehouse_dsn, "warehouse", autocommit=True) as conn:
        tree = lineage_.lineage(conn, name)
        if tree is None:
            known = [r[0] for r in conn.execute(
                "select schemaname || '.' || viewname from pg_views where schemaname = 'analytics'"
                " union select schemaname || '.' || matviewname from pg_matviews where schemaname = 'analytics'"
                " order by 1").fetchall()]
            raise click.ClickException(
                f"no relation named {name!r} in the warehouse"
                + (f"; analytics has: {', '.join(known)}" if known
                   else "; the analytics layer is not deployed here (`cli-app deploy`)"))
    bases = lineage_.base_tables(tree)
    if as_json:
        click.echo(json.dumps({**tree.as_dict(),
                               "base_tables": {t: sorted(c) for t, c in sorted(bases.items())}}, indent=2))
        return
    click.echo("\n".join(lineage_.render(tree)))
    if tree.reads:
        click.echo("\nbase tables:")
        for table, cols in sorted(bases.items()):
            click.echo(f"  {table}: {', '.join(sorted(cols))}" if cols else f"  {table}")
