"""Running a read-only query and writing its result: an aligned table for people, CSV or JSON
for machines, streamed so memory stays flat however many rows come back.

- CSV goes through COPY (query) TO STDOUT: the server formats, we only move bytes.
- JSON goes through a server-side cursor over to_json(row): PostgreSQL renders dates in ISO 8601
  and numerics exactly, and rows arrive a batch at a time.
- A file appears atomically: written to a temporary file in the same directory, then renamed.
  An interrupted or failed export leaves nothing behind.
"""

import os
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Iterator

import click
import psycopg

# A table is for reading; beyond this many rows, use --export.
TABLE_MAX_ROWS = 10_000
JSON_BATCH = 5_000


@dataclass
class Target:
    """Where a result goes: fmt is table|csv|json; path None means standard output."""
    fmt: str
    path: Path | None

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "standard output"


def resolve_target(name: str, export: bool, output_dir: str | None, output: str | None,
                   fmt: str | None) -> Target:
    if output and (export or output_dir):
        raise click.UsageError("--output names the file itself: use it without --export / --output-dir")
    if output == "-":
        return Target(fmt or "csv", None)
    if output:
        path = Path(output)
        if not path.parent.is_dir():
            raise click.ClickException(f"directory {path.parent} does not exist: create it first")
        inferred = path.suffix.lstrip(".") if path.suffix.lstrip(".") in ("csv", "json") else None
        return Target(fmt or inferred or "csv", path)
    if export or output_dir:
        fmt = fmt or "csv"
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        directory = Path(output_dir or os.getcwd())
        return Target(fmt, directory / f"{name}_result_{stamp}.{'txt' if fmt == 'table' else fmt}")
    return Target(fmt or "table", None)


def query_body(sql_text: str) -> str:
    """The statement without its trailing semicolon(s) and comments, ready to be wrapped in
    parentheses. The newline before the closing parenthesis is there in case a comment is left."""
    # sqlglot costs ~40 ms to import: only the commands that run a query pay it.
    import sqlglot
    from sqlglot.tokens import TokenType
    try:
        tokens = [t for t in sqlglot.Dialect.get_or_raise("postgres").tokenize(sql_text)
                  if t.token_type != TokenType.SEMICOLON]
        if tokens and sql_text[tokens[-1].end + 1:].strip(" \t\r\n;").startswith(("--", "/*")):
            return sql_text[:tokens[-1].end + 1] + "\n"
    except sqlglot.errors.SqlglotError:
        pass
    return sql_text.strip().rstrip(";").rstrip() + "\n"


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def open_target(target: Target) -> Iterator[BinaryIO]:
    if target.path is None:
        sys.stdout.flush()
        stream = sys.stdout.buffer
        yield stream
        stream.flush()
    else:
        with atomic_file(target.path) as f:
            yield f


def write_csv(conn: psycopg.Connection, sql_text: str, params, out: BinaryIO) -> int:
    # COPY takes no server-side parameters: psycopg binds them client-side, quoting each value
    # as a literal, so they still never become SQL.
    statement = f"copy ({query_body(sql_text)}) to stdout with (format csv, header)"
    with conn.cursor() as cur:
        with cur.copy(statement, params) as copy:
            for block in copy:
                out.write(block)
        return cur.rowcount


def write_json(conn: psycopg.Connection, sql_text: str, params, out: BinaryIO) -> int:
    statement = f"select to_json(result)::text from ({query_body(sql_text)}) as result"
    rows = 0
    with conn.cursor(name="cli_app_export") as cur:
        cur.itersize = JSON_BATCH
        cur.execute(statement, params)
        out.write(b"[")
        for (doc,) in cur:
            out.write((b",\n" if rows else b"\n") + doc.encode())
            rows += 1
        out.write(b"\n]\n" if rows else b"]\n")
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def render_table(columns: list[str], rows: list[tuple]) -> str:
    numeric = [all(isinstance(r[i], (int, float, Decimal)) and not isinstance(r[i], bool)
                   for r in rows if r[i] is not None) and any(r[i] is not None for r in rows)
               for i in range(len(columns))]
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def write_table(conn: psycopg.Connection, sql_text: str, params, out: BinaryIO) -> int:
    with conn.cursor() as cur:
        cur.execute(sql_text, params)
        if cur.description is None:
            return 0
        columns = [d.name for d in cur.description]
        rows = cur.fetchmany(TABLE_MAX_ROWS + 1)
    out.write(render_table(columns, rows[:TABLE_MAX_ROWS]).encode())
    if len(rows) > TABLE_MAX_ROWS:
        click.echo(f"(only the first {TABLE_MAX_ROWS} rows are shown: use --export for all)", err=True)
    return min(len(rows), TABLE_MAX_ROWS)


WRITERS = {"csv": write_csv, "json": write_json, "table": write_table}


def run(conn: psycopg.Connection, sql_text: str, params, target: Target,
        timeout: float = 0) -> tuple[int, float]:
    """Run the query in a READ ONLY transaction with a statement_timeout and write the result.
    Returns (rows, seconds). `conn` must not be in autocommit mode."""
    started = time.monotonic()
    conn.read_only = True
    try:
        with conn.transaction():
            conn.execute("select set_config('statement_timeout', %s, true)", [f"{int(timeout * 1000)}ms"])
            with open_target(target) as out:
                rows = WRITERS[target.fmt](conn, sql_text, params, out)
    except psycopg.errors.UndefinedTable as e:
        message = e.diag.message_primary or str(e).strip()
        if any(f'"{schema}.' in message for schema in ("analytics", "elt", "clean")):
            message += ": is the analytics layer deployed in this warehouse? Run `cli-app deploy`."
        raise click.ClickException(message) from None
    except psycopg.errors.QueryCanceled:
        raise click.ClickException(
            f"the query ran past its statement_timeout of {timeout:g}s: raise --timeout "
            "(0 disables it) or narrow the query") from None
    except psycopg.errors.ReadOnlySqlTransaction as e:
        raise click.ClickException(f"refused, the query runs read-only: {e.diag.message_primary}") from None
    except psycopg.DatabaseError as e:
        if not e.sqlstate or e.sqlstate.startswith("08"):
            raise  # the connection, not the query
        # The server rejected the query (syntax, types, data, privileges): the user's to fix.
        raise click.ClickException(str(e).strip()) from None
    return rows, time.monotonic() - started
