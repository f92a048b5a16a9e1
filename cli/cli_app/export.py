"""Running a read-only query and writing its result: an aligned table for people, CSV or JSON
for machines, streamed so memory stays flat however many rows come back.

- CSV goes through COPY (query) TO STDOUT: the server formats, we only move bytes.
- JSON goes through a server-side cursor over to_json(row): PostgreSQL renders dates in ISO 8601
  and numerics exactly, and rows arrive a batch at a time.
- A file appears atomically: written to a temporary file in the same directory, then linked
  under its name. An interrupted or failed export leaves nothing behind.
- A file never replaces another unless asked (--force): a name chosen for the user
  (NAME_result_<timestamp>) takes a suffix _2, _3... when taken, and a name the user gave
  (--output) that exists is refused before the query runs. Linking fails if the name exists,
  so two exports finishing in the same second cannot overwrite each other either.
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
    """Where a result goes: fmt is table|csv|json; path None means standard output. `unique`:
    the name was chosen for the user, so a taken one gets a suffix; `force`: the user's own name
    may replace a file. path is the name the file finally got."""
    fmt: str
    path: Path | None
    unique: bool = False
    force: bool = False

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "standard output"


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d_%H%M%S")


def writable_directory(directory: Path) -> None:
    if not directory.is_dir():
        raise click.ClickException(f"directory {directory} does not exist: create it first")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise click.ClickException(f"directory {directory} is not writable: choose another one")


def resolve_target(name: str, export: bool, output_dir: str | None, output: str | None,
                   fmt: str | None, force: bool = False, when: str | None = None) -> Target:
    """Where the result of query `name` goes; checked before anything runs, so a bad target
    costs no query. `when` is the timestamp of auto-named files (export-all shares one)."""
    if output and (export or output_dir):
        raise click.UsageError("--output names the file itself: use it without --export / --output-dir")
    if output == "-":
        return Target(fmt or "csv", None)
    if output:
        path = Path(output)
        writable_directory(path.parent)
        if path.is_dir():
            raise click.ClickException(f"{path} is a directory: --output names a file")
        if path.exists() and not force:
            raise click.ClickException(f"{path} exists: pass --force to overwrite it, or choose another --output")
        inferred = path.suffix.lstrip(".") if path.suffix.lstrip(".") in ("csv", "json") else None
        return Target(fmt or inferred or "csv", path, force=force)
    if export or output_dir:
        fmt = fmt or "csv"
        directory = Path(output_dir or os.getcwd())
        writable_directory(directory)
        return Target(fmt, directory / f"{name}_result_{when or stamp()}.{'txt' if fmt == 'table' else fmt}",
                      unique=True)
    return Target(fmt or "table", None)


def _place(tmp: str, target: Target) -> None:
    """Give the finished temporary file its name without replacing anything not meant to be."""
    if target.force:
        os.replace(tmp, target.path)
        return
    path, n = target.path, 1
    while True:
        try:
            os.link(tmp, path)
            break
        except FileExistsError:
            if not target.unique:
                raise click.ClickException(f"{path} appeared while the export ran: pass --force to "
                                           "overwrite it, or choose another --output") from None
            n += 1
            path = target.path.with_name(f"{target.path.stem}_{n}{target.path.suffix}")
    os.unlink(tmp)
    target.path = path


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
def atomic_file(target: Target) -> Iterator[BinaryIO]:
    path = target.path
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as e:
        raise click.ClickException(f"cannot write in {path.parent}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        _place(tmp, target)
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
        with atomic_file(target) as f:
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
    conn.read_only = True
    return run_in(conn, sql_text, params, target, timeout)


def run_in(conn: psycopg.Connection, sql_text: str, params, target: Target,
           timeout: float = 0) -> tuple[int, float]:
    """Like run, in a transaction of its own, or in a savepoint of the one under way (export-all
    reads every query in one snapshot): a failure then undoes the query alone."""
    started = time.monotonic()
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
        # The server rejected the query (syntax, types, data, privileges): the user's to fix, in
        # one line; the position marker psql draws under the query says little on a terminal.
        hint = f" ({e.diag.message_hint})" if e.diag.message_hint else ""
        raise click.ClickException(f"{e.diag.message_primary or str(e).strip()}{hint}") from None
    return rows, time.monotonic() - started
