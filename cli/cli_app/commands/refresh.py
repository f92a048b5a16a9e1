"""Rebuild the aggregates from scratch through the warehouse's own procedure, elt.rebuild(name)."""

import difflib
import json

import click
import psycopg

from cli_app import analytics, config
from cli_app.db import connect
from cli_app.options import command

NOT_DEPLOYED = ("the analytics layer is not deployed in this warehouse ({what}): "
                "run `cli-app deploy` with a version that includes it")


@command()
@click.argument("names", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def refresh(names, as_json):
    """Rebuild the named aggregates from scratch (all without NAMES) and time each.

    The answers never need it to be exact or fast: pg_cron folds every change in
    about every second (elt.maintain) and rebuilds nightly. Use it to re-anchor
    at once, e.g. after a bulk load. Each runs `call elt.rebuild('<name>')` in
    its own transaction; the aggregates are the materialized views
    analytics.<name>_hist found in the catalog.

    Example: cli-app refresh open_orders top_dates
    """
    with connect(config.load().warehouse_dsn, "warehouse", autocommit=True) as conn:
        if not analytics.has_procedure(conn, "elt", "rebuild"):
            raise click.ClickException(NOT_DEPLOYED.format(what="procedure elt.rebuild is missing"))
        known = analytics.aggregates(conn)
        if not known and not names:
            raise click.ClickException(NOT_DEPLOYED.format(
                what="no materialized view analytics.<name>_hist"))
        for name in names:
            if name not in known:
                hint = difflib.get_close_matches(name, known, n=1)
                raise click.ClickException(
                    f"no aggregate named {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")
                    + f" Known: {', '.join(known) or 'none'}.")
        results = []
        for name in names or known:
            try:
                result = analytics.refresh(conn, name)
            except psycopg.DatabaseError as e:
                if not e.sqlstate or e.sqlstate.startswith("08"):
                    raise
                done = f" (refreshed before it: {', '.join(r.name for r in results)})" if results else ""
                raise click.ClickException(f"refresh of {name} failed: {str(e).strip()}{done}") from None
            results.append(result)
            if not as_json:
                details = ""
                if result.log:
                    shown = {k: v for k, v in result.log.items()
                             if any(h in k for h in ("row", "watermark"))}
                    details = "  " + " ".join(f"{k}={v}" for k, v in shown.items())
                if result.watermark:
                    details += "  watermark " + " ".join(f"{k}={v}" for k, v in result.watermark.items()
                                                         if v != name)
                click.echo(f"refreshed {name} in {result.seconds:.2f}s{details}")
    if not as_json and len(results) > 1:
        click.echo(f"{len(results)} aggregates refreshed in {sum(r.seconds for r in results):.2f}s")
    if as_json:
        click.echo(json.dumps([{"name": r.name, "seconds": round(r.seconds, 3), "log": r.log,
                                "watermark": r.watermark}
                               for r in results], indent=2, default=str))
