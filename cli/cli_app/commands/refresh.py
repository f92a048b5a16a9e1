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
    analytics.<name>_hist found in the catalog. A NAME may also be an answer
    served from aggregates (top_dates, top_customers): those are rebuilt.

    Example: cli-app refresh open_orders top_dates
    """
    with connect(config.load().warehouse_dsn, "warehouse", autocommit=True) as conn:
        if not analytics.has_procedure(conn, "elt", "rebuild"):
            raise click.ClickException(NOT_DEPLOYED.format(what="procedure elt.rebuild is missing"))
        known = analytics.aggregates(conn)
        if not known and not names:
            raise click.ClickException(NOT_DEPLOYED.format(
                what="no materialized view analytics.<name>_hist"))
        targets: dict[str, str | None] = {}  # aggregate -> the answer named for it, if not itself
        for name in names:
            behind = analytics.aggregates_behind(conn, name, known)
            if not behind:
                answers = analytics.answers(conn, known)
                hint = difflib.get_close_matches(name, known + answers, n=1)
                raise click.ClickException(
                    f"no aggregate named {name!r}, nor an answer served from one"
                    + (f"; did you mean {hint[0]!r}?" if hint else ".")
                    + f" Aggregates: {', '.join(known) or 'none'}; answers: {', '.join(answers) or 'none'}.")
            for aggregate in behind:
                targets.setdefault(aggregate, None if aggregate == name else name)
        results = []
        for name in targets or dict.fromkeys(known):
            try:
                result = analytics.refresh(conn, name)
            except psycopg.DatabaseError as e:
                if not e.sqlstate or e.sqlstate.startswith("08"):
                    raise
                done = f" (refreshed before it: {', '.join(r.name for r in results)})" if results else ""
                raise click.ClickException(f"refresh of {name} failed: {str(e).strip()}{done}") from None
            results.append(result)
            if not as_json:
                shown = {k: v for k, v in (result.log or {}).items() if "row" in k}
                # The watermark once, from its own table: the log repeats part of it.
                mark = {k: v for k, v in (result.watermark or {}).items()
                        if v != name and v not in shown.values()}
                details = "  " + " ".join(f"{k}={v}" for k, v in shown.items()) if shown else ""
                seen: set = set()
                if mark:
                    details += "  watermark " + " ".join(f"{k}={v}" for k, v in mark.items()
                                                         if not (v in seen or seen.add(v)))
                served = f" (for {targets[name]})" if targets.get(name) else ""
                click.echo(f"refreshed {name}{served} in {result.seconds:.2f}s{details}")
    if not as_json and len(results) > 1:
        click.echo(f"{len(results)} aggregates refreshed in {sum(r.seconds for r in results):.2f}s")
    if as_json:
        click.echo(json.dumps([{"name": r.name, "seconds": round(r.seconds, 3), "log": r.log,
                                "watermark": r.watermark}
                               for r in results], indent=2, default=str))
