"""Is an ad-hoc statement a single read-only query? Checked with sqlglot (dialect postgres)
before it is sent; the READ ONLY transaction and the statement_timeout are the second wall,
for what a parser cannot see (a function that writes, a query that never ends).

EXPLAIN of such a query is accepted too, EXPLAIN ANALYZE included: how analysts check a query.
The query it explains passes the same check (EXPLAIN ANALYZE runs it, in the same READ ONLY
transaction)."""

import logging
import re

import click
import sqlglot
from sqlglot import exp

# sqlglot warns on stderr when it falls back to a generic Command; we refuse those anyway.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter,
          exp.TruncateTable, exp.Command)


# EXPLAIN [ ( option [, ...] ) ] statement, or the older EXPLAIN [ ANALYZE ] [ VERBOSE ] statement,
# after any leading comments. sqlglot reads EXPLAIN as an opaque command, so it is taken off here.
EXPLAIN = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*explain\s+"
                     r"(?:\([^()]*\)\s*|(?:(?:analy[sz]e|verbose)\s+)*)", re.IGNORECASE | re.DOTALL)


def explained(sql_text: str) -> str | None:
    """The statement an EXPLAIN explains, or None when sql_text is no EXPLAIN."""
    match = EXPLAIN.match(sql_text)
    return sql_text[match.end():] if match else None


def check_read_only(sql_text: str) -> exp.Expression:
    """The parsed statement (for EXPLAIN, the statement it explains), or a ClickException saying
    why it is refused."""
    inner = explained(sql_text)
    if inner is not None:
        sql_text = inner
    try:
        statements = [s for s in sqlglot.parse(sql_text, read="postgres") if s is not None]
    except sqlglot.errors.ParseError as e:
        first = e.errors[0]["description"] if e.errors else str(e)
        raise click.ClickException(f"cannot parse the query ({first}); only a single SELECT or WITH query is accepted") from None
    except sqlglot.errors.SqlglotError as e:
        # The tokenizer's errors (an unterminated quote) are not ParseErrors.
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise click.ClickException(f"cannot parse the query ({first}); only a single SELECT or WITH query is accepted") from None
    if not statements:
        raise click.ClickException("the query is empty: give one SELECT or WITH query")
    if len(statements) > 1:
        raise click.ClickException(f"{len(statements)} statements given: give exactly one SELECT or WITH query")
    tree = statements[0]
    if not isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)):
        kind = tree.key.upper() if not isinstance(tree, exp.Command) else str(tree.this).upper()
        raise click.ClickException(f"refused: {kind} is not a query; `cli-app sql` runs only a single "
                                   "SELECT or WITH query, read-only")
    for node in tree.walk():
        if isinstance(node, WRITES):
            raise click.ClickException(f"refused: the query contains {node.key.upper()} "
                                       "(a data-modifying CTE?); only read-only queries run here")
        if isinstance(node, exp.Select) and node.args.get("into") is not None:
            raise click.ClickException("refused: SELECT ... INTO creates a table; only read-only queries run here")
    return tree
