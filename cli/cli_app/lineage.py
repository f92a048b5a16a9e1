"""Which tables and columns an analytics object reads, from its definition (pg_get_viewdef)
parsed with sqlglot, followed through views, materialized views and functions down to base
tables.

Each step carries only the columns its reader uses: a view's output columns that nobody above
asks for do not make it "read" their sources. A function read in FROM (the deltas'
clean.orders_changed_since) is a node of its own: PostgreSQL records no dependencies for a
PL/pgSQL body, so its reads come from its own SQL. A body that runs `return query <select>` is
parsed like a view; one that runs `return query execute <schema>.<name>_sql(...)` (this
project's convention: the statement as text, to EXPLAIN it) is followed by rendering that text
for the current snapshot and parsing it. Below a function, every column its statement uses is
listed: which of them its caller's columns need cannot be traced back through the call."""

import logging
import re
from dataclasses import dataclass, field

import psycopg
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

logging.getLogger("sqlglot").setLevel(logging.ERROR)

KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}
FOLLOWED = ("view", "materialized view", "function")
RETURN_QUERY = re.compile(r"\breturn\s+query\s+(.*?);\s*end\b", re.I | re.S)
EXECUTE_SQL = re.compile(r"^execute\s+(\w+)\.(\w+_sql)\s*\(", re.I)


@dataclass
class Node:
    name: str                       # schema.relation
    kind: str
    columns: list[str] = field(default_factory=list)   # the columns of this relation read by its parent
    reads: list["Node"] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "columns": self.columns,
                "reads": [r.as_dict() for r in self.reads]}


def resolve(conn: psycopg.Connection, name: str) -> tuple[int, str, str] | None:
    """(oid, schema.name, kind) of a relation; a bare name is looked up in analytics first."""
    candidates = [name] if "." in name else [f"analytics.{name}", name]
    for candidate in candidates:
        try:
            # A set-returning function read in FROM parses as a table with a name no relation can have.
            with conn.transaction():
                row = conn.execute(
                    "select c.oid, n.nspname || '.' || c.relname, c.relkind from pg_class c"
                    " join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass(%s)",
                    [candidate]).fetchone()
        except psycopg.errors.InvalidName:
            row = None
        if row:
            return row[0], row[1], KINDS.get(row[2], row[2])
    return None


def catalog_schema(conn: psycopg.Connection, tables: set[tuple[str, str]]) -> dict:
    schema: dict = {}
    for db, table in tables:
        try:
            with conn.transaction():
                cols = conn.execute(
                    "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a"
                    " where a.attrelid = to_regclass(%s) and a.attnum > 0 and not a.attisdropped"
                    " order by a.attnum", [f'"{db}"."{table}"']).fetchall()
        except psycopg.errors.InvalidName:
            cols = []
        if cols:
            schema.setdefault(db, {})[table] = {c: "text" for c, _ in cols}
    return schema


def function_name(table: exp.Table, default_schema: str) -> str | None:
    """schema.name() of a set-returning function read in FROM, else None."""
    if isinstance(table.this, exp.Func):
        name = table.this.name if isinstance(table.this, exp.Anonymous) else table.this.sql_name().lower()
        return f"{table.db or default_schema}.{name}()"
    return None


def output_selects(tree: exp.Expression) -> list[exp.Select]:
    """The SELECTs whose projections are the statement's output: one, or every branch of a union."""
    if isinstance(tree, exp.Union):
        return output_selects(tree.left) + output_selects(tree.right)
    if isinstance(tree, exp.Subquery):
        return output_selects(tree.this)
    return [tree] if isinstance(tree, exp.Select) else []


def projection_of(column: exp.Column, select: exp.Select) -> int | None:
    """The position of the output column `column` sits in, or None when it is used elsewhere
    in `select` (a join, a filter, a grouping): then every output needs it."""
    node = column
    while node.parent is not None and node.parent is not select:
        node = node.parent
    if node.parent is select and node.arg_key == "expressions":
        return select.expressions.index(node)
    return None


def direct_reads(conn: psycopg.Connection, definition: str, default_schema: str,
                 wanted: set[str] | None = None) -> dict[str, set[str]]:
    """schema.table (or schema.function()) -> columns read, for one view definition; with
    `wanted`, only what producing those output columns takes (filters and joins included)."""
    tree = sqlglot.parse_one(definition, read="postgres")
    tables = {(t.db or default_schema, t.name) for t in tree.find_all(exp.Table) if t.name}
    try:
        tree = qualify(tree, schema=catalog_schema(conn, tables), dialect="postgres", db=default_schema,
                       validate_qualify_columns=False, identify=False)
    except sqlglot.errors.SqlglotError:
        pass  # columns we cannot place are still listed per table below, as far as they are qualified
    outputs = output_selects(tree)
    positions = None
    if wanted is not None and outputs:
        names = [p.alias_or_name for p in outputs[0].expressions]
        if "*" not in names:
            positions = {i for i, n in enumerate(names) if n in wanted}

    def key(source: exp.Table) -> str:
        return function_name(source, default_schema) or f"{source.db or default_schema}.{source.name}"

    reads: dict[str, set[str]] = {}
    for scope in traverse_scope(tree):
        for column in scope.columns:
            if positions is not None and scope.expression in outputs:
                position = projection_of(column, scope.expression)
                if position is not None and position not in positions:
                    continue
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                reads.setdefault(key(source), set()).add(column.name)
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                reads.setdefault(key(source), set())
    return reads


def function_reads(conn: psycopg.Connection, qualified: str) -> dict[str, set[str]]:
    """What a function's own SQL reads (see the module's docstring): every column its statement
    uses, since which of them the caller's columns need cannot be traced through the call."""
    schema, name = qualified.removesuffix("()").split(".", 1)
    bodies = conn.execute(
        "select p.prosrc from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = %s and p.proname = %s", [schema, name]).fetchall()
    reads: dict[str, set[str]] = {}
    for (body,) in bodies:
        for statement in RETURN_QUERY.findall(body) or [body]:
            text = statement.strip()
            call = EXECUTE_SQL.match(text)
            if call:
                text = render_statement(conn, call.group(1), call.group(2))
                if text is None:
                    continue
            try:
                found = direct_reads(conn, text, schema)
            except sqlglot.errors.SqlglotError:
                continue
            for table, cols in found.items():
                reads.setdefault(table, set()).update(cols)
    reads.pop(qualified, None)
    return reads


def render_statement(conn: psycopg.Connection, schema: str, name: str) -> str | None:
    """The text a <name>_sql(...) function makes for the current snapshot, when every argument
    is a snapshot (the deltas' statements), else None."""
    row = conn.execute(
        "select p.oid::regprocedure::text, p.proargtypes::regtype[]::text[]"
        " from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
        " where n.nspname = %s and p.proname = %s and p.prorettype = 'text'::regtype",
        [schema, name]).fetchone()
    if row is None or any(t != "pg_snapshot" for t in row[1]):
        return None
    arguments = ", ".join(["pg_current_snapshot()"] * len(row[1]))
    with conn.transaction():
        # Only a function this catalog names, with snapshots for arguments: no input reaches it.
        return conn.execute(f"select {row[0].split('(')[0]}({arguments})").fetchone()[0]


def lineage(conn: psycopg.Connection, name: str, columns: list[str] | None = None,
            seen: frozenset = frozenset()) -> Node | None:
    """The tree of what `name` reads. `columns`: the ones its reader uses (None: all of them)."""
    if name.endswith("()"):
        node = Node(name, "function")
        if name not in seen:
            for table, cols in sorted(function_reads(conn, name).items()):
                child = lineage(conn, table, sorted(cols), seen | {name})
                node.reads.append(child or Node(table, "unknown", sorted(cols)))
        return node
    found = resolve(conn, name)
    if found is None:
        return None
    oid, qualified, kind = found
    node = Node(qualified, kind, sorted(columns or []))
    if kind not in ("view", "materialized view") or qualified in seen:
        return node
    definition = conn.execute("select pg_get_viewdef(%s::oid)", [oid]).fetchone()[0]
    schema = qualified.split(".")[0]
    wanted = set(columns) if columns else None
    for table, cols in sorted(direct_reads(conn, definition, schema, wanted).items()):
        child = lineage(conn, table, sorted(cols), seen | {qualified})
        node.reads.append(child or Node(table, "unknown", sorted(cols)))
    return node


def base_tables(node: Node) -> dict[str, set[str]]:
    """The tables at the leaves, with every column read from them."""
    if not node.reads:
        return {node.name: set(node.columns)} if node.kind not in FOLLOWED else {}
    found: dict[str, set[str]] = {}
    for child in node.reads:
        for table, cols in base_tables(child).items():
            found.setdefault(table, set()).update(cols)
    return found


def render(node: Node, depth: int = 0) -> list[str]:
    cols = f": {', '.join(node.columns)}" if node.columns else ""
    lines = [f"{'  ' * depth}{node.name} ({node.kind}){cols}"]
    for child in node.reads:
        lines += render(child, depth + 1)
    return lines
