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
import re
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

# A table is for reading; beyond this many rows, use --export. Rows come TABLE_BATCH at a time.
TABLE_MAX_ROWS = 10_000
TABLE_BATCH = 1_000
# How a table shows NULL, so it never looks like an empty string (psql: \pset null).
NULL_TEXT = "(null)"
JSON_BATCH = 5_000
# A file being exported is handed to the disk every WRITEBACK_BYTES (see DurableFile).
WRITEBACK_BYTES = 8 << 20


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


def make_directory(directory: Path) -> None:
    """The output directory of an export, created when missing (as `mkdir -p` would), then
    checked writable."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise click.ClickException(f"cannot create directory {directory}: {e.strerror}") from None
    writable_directory(directory)


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
        make_directory(directory)
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
    body = sql_text.strip().rstrip(";").rstrip()
    if "/*" not in body and "--" not in body.rsplit("\n", 1)[-1] and ";" not in body:
        # No comment can trail it (those above the last line, as in the query files' headers,
        # stay inside the parentheses harmlessly): no need to tokenize, nor to import sqlglot
        # for it (~40 ms of every export's start-up).
        return body + "\n"
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


class DurableFile:
    """A file written in large pieces, whose data starts for the disk while it grows: every
    WRITEBACK_BYTES the kernel is asked to write out what came so far (posix_fadvise DONTNEED
    starts the writeback, then drops those pages from the cache). The fsync that ends an export
    then waits for the tail alone: 1 ms instead of 23 ms per 50 MB here, 4-8% of a 1M-row
    export. And the page cache does not fill with a file nobody reads back."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.written = self.handed = 0
        self.fd = f.fileno()

    def write(self, data) -> int:
        n = self.f.write(data)
        self.written += n
        if self.written - self.handed >= WRITEBACK_BYTES and hasattr(os, "posix_fadvise"):
            self.f.flush()
            os.posix_fadvise(self.fd, self.handed, self.written - self.handed, os.POSIX_FADV_DONTNEED)
            self.handed = self.written
        return n

    def flush(self) -> None:
        self.f.flush()


@contextmanager
def atomic_file(target: Target) -> Iterator[BinaryIO]:
    path = target.path
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as e:
        raise click.ClickException(f"cannot write in {path.parent}: {e.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            yield DurableFile(f)
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
            rows = copy_out(copy, out)
        return cur.rowcount if rows is None else rows


def copy_out(copy: psycopg.Copy, out: BinaryIO) -> int | None:
    """Write the data of a COPY TO as it arrives; returns the rows copied when it counted them.

    psycopg's own loop (`for block in copy`) waits through a generator for every row, about 2 us
    each: 2 s of CPU per 1M rows, most of what made the export 0.6x of psql's speed. Here the rows
    libpq has already received are taken in a plain loop, and psycopg waits (interruptibly, as
    before) only when none is buffered. When this loop takes the end of the COPY itself, it
    collects the final result as psycopg would: the row count, or the error of a query that
    failed midway."""
    if not hasattr(copy, "_finished"):  # a psycopg whose Copy works otherwise: its own loop
        for block in copy:
            out.write(block)
        return None
    pgconn = copy.connection.pgconn
    take, write = pgconn.get_copy_data, out.write
    # The rows are written together whenever libpq has no more of them: one write per
    # network read, not per row.
    rows: list = []
    keep = rows.append
    while True:
        nbytes, data = take(1)
        if nbytes > 0:
            keep(data)
        elif nbytes == 0:
            if rows:
                write(b"".join(rows))
                rows.clear()
            block = copy.read()
            if not block:
                return None
            write(block)
        else:
            break
    if rows:
        write(b"".join(rows))
    copy._finished = True  # the end is taken: psycopg must not read past it on exit
    results = []
    while (result := pgconn.get_result()) is not None:  # every one, or the connection stays busy
        results.append(result)
    for result in results:
        if result.status != psycopg.pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(result, encoding=copy.connection.info.encoding)
    return results[-1].command_tuples if results else None


def write_json(conn: psycopg.Connection, sql_text: str, params, out: BinaryIO) -> int:
    statement = f"select to_json(result)::text from ({query_body(sql_text)}) as result"
    rows = 0
    with conn.cursor(name="cli_app_export") as cur:
        cur.itersize = JSON_BATCH
        cur.execute(statement, params)
        out.write(b"[")
        while batch := cur.fetchmany(JSON_BATCH):
            out.write((b",\n" if rows else b"\n") + ",\n".join(doc for (doc,) in batch).encode())
            rows += len(batch)
        out.write(b"\n]\n" if rows else b"]\n")
    return rows


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def render_table(columns: list[str], rows: list[tuple]) -> str:
    """A small table of Python values (`cli-app list`); query results go through write_table."""
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


# psql right-aligns these types (int2, int4, int8, oid, float4, float8, money, numeric).
NUMERIC_OIDS = {20, 21, 23, 26, 700, 701, 790, 1700}
EXPLAIN = re.compile(r"\s*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)\s*)*explain\b", re.IGNORECASE | re.DOTALL)


def is_explain(sql_text: str) -> bool:
    return EXPLAIN.match(sql_text) is not None


class TablePrinter:
    """Rows as PostgreSQL's text output shows them, aligned like psql's, printed a batch at a time
    (as psql does with FETCH_COUNT): a column widens when a later batch needs it, and only one
    batch is ever held. A value with newlines takes several lines; NULL prints as NULL_TEXT."""

    def __init__(self, out: BinaryIO, columns: list[str], numeric: list[bool]):
        self.out, self.columns, self.numeric = out, columns, numeric
        self.widths = [len(c) for c in columns]
        self.rows = 0
        self.headed = False

    def _line(self, cells: list[str]) -> bytes:
        return ("  ".join(c.rjust(w) if num else c.ljust(w)
                          for c, w, num in zip(cells, self.widths, self.numeric)).rstrip() + "\n").encode()

    def batch(self, rows: list[list[str | None]]) -> None:
        split = [[(NULL_TEXT if v is None else v).split("\n") for v in row] for row in rows]
        for row in split:
            for i, lines in enumerate(row):
                self.widths[i] = max(self.widths[i], *(len(line) for line in lines))
        if not self.headed:
            self.headed = True
            self.out.write(self._line(self.columns))
            self.out.write(("  ".join("-" * w for w in self.widths) + "\n").encode())
        for row in split:
            for depth in range(max((len(lines) for lines in row), default=1)):
                self.out.write(self._line([lines[depth] if depth < len(lines) else "" for lines in row]))
        self.rows += len(rows)

    def footer(self, more: bool) -> None:
        self.batch([])
        self.out.write(f"({self.rows} row{'s' if self.rows != 1 else ''})\n".encode())
        if more:
            click.echo(f"(only the first {TABLE_MAX_ROWS} rows are shown: a table stops there; "
                       "use --export or --format csv for all)", err=True)


def _text_rows(cur: psycopg.Cursor) -> list[list[str | None]]:
    """The rows of the cursor's last result exactly as the server sent them, in text: PostgreSQL's
    own output (t/f, JSON, intervals, arrays...), never converted to Python values and back."""
    result = cur.pgresult
    if result is None:
        return []
    encoding = cur.connection.info.encoding
    return [[None if (value := result.get_value(row, col)) is None else value.decode(encoding)
             for col in range(result.nfields)]
            for row in range(result.ntuples)]


def write_table(conn: psycopg.Connection, sql_text: str, params, out: BinaryIO) -> int:
    """Stream the result through a server-side cursor, TABLE_BATCH rows at a time, up to
    TABLE_MAX_ROWS: memory stays flat whatever the query. EXPLAIN cannot be a cursor's query;
    its plan is small, so it runs as it is."""
    with conn.cursor() as cur:
        if is_explain(sql_text):
            cur.execute(sql_text, params)
            fetch = None
        else:
            cur.execute(f"declare cli_app_table no scroll cursor for {query_body(sql_text)}", params)
            fetch = f"fetch forward {TABLE_BATCH} from cli_app_table"
            cur.execute(fetch)
        if cur.description is None:
            return 0
        printer = TablePrinter(out, [d.name for d in cur.description],
                               [d.type_code in NUMERIC_OIDS for d in cur.description])
        rows = _text_rows(cur)
        while True:
            room = TABLE_MAX_ROWS - printer.rows
            more = len(rows) > room
            printer.batch(rows[:room])
            if more or fetch is None or len(rows) < TABLE_BATCH:
                break
            cur.execute(fetch)
            rows = _text_rows(cur)
        printer.footer(more)
    return printer.rows


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
