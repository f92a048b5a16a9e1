"""--as-of: a named query read as the warehouse held its answers at a past moment.

The four answers and the metrics have an exact twin as of any moment inside the change logs'
retention, analytics.<name>_as_of(timestamptz) (views/warehouse/analytics/answers_as_of.sql).
A query runs as of a moment by reading those instead: each `analytics.<name>` it names becomes
`analytics.<name>_as_of('<moment>')`, each `analytics.<name>_top(k)` `<name>_top_as_of('<moment>', k)`. The moment is parsed here (so it is pasted as an ISO
literal, never as given) and checked by the warehouse against the retention."""

import re
from datetime import datetime

import click

# The relations with an _as_of twin.
HAVE_AS_OF = ("open_orders", "open_orders_by_date", "pending_orders", "pending_items", "top_dates",
              "top_customers", "revenue_daily", "revenue_weekly", "revenue_by_product",
              "customers_new_returning", "delivery_lag_histogram", "status_funnel_totals")
# A name followed by more of a name (open_orders_by_date) or by "(" (a function) is another one.
RELATION = re.compile(r"\banalytics\.(" + "|".join(HAVE_AS_OF) + r")\b(?!\s*\()", re.IGNORECASE)
# The top-k readers of the ranked ones: analytics.<name>_top(k) becomes <name>_top_as_of(moment, k).
TOP = re.compile(r"\banalytics\.(open_orders_by_date|pending_orders)_top\s*\(", re.IGNORECASE)


def parse_moment(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a moment: write it like '2026-11-22 17:00' or "
                                 "'2026-11-22T17:00:00+01:00' (without a zone: the warehouse's)",
                                 param_hint="--as-of") from None


def rewrite(name: str, sql_text: str, moment: str) -> str:
    """The query reading every answer it names as of the moment."""
    literal = f"'{parse_moment(moment).isoformat()}'::timestamptz"
    rewritten, count = RELATION.subn(lambda m: f"analytics.{m.group(1).lower()}_as_of({literal})", sql_text)
    rewritten, tops = TOP.subn(lambda m: f"analytics.{m.group(1).lower()}_top_as_of({literal}, ", rewritten)
    if count + tops == 0:
        raise click.ClickException(f"query {name} reads nothing that can be asked as of a moment: --as-of works"
                                   f" for queries of {', '.join(HAVE_AS_OF)}")
    return rewritten
