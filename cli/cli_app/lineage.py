"""Which tables and columns an analytics object reads, from its definition (pg_get_viewdef)
parsed with sqlglot, followed through views and materialized views down to base tables."""

import logging
from dataclasses import dataclass, field

import psycopg
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import traverse_scope

logging.getLogger("sqlglot").setLevel(logging.ERROR)

KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}


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


def direct_reads(conn: psycopg.Connection, definition: str, default_schema: str) -> dict[str, set[str]]:
    """schema.table -> columns read, for one view definition."""
    tree = sqlglot.parse_one(definition, read="postgres")
    tables = {(t.db or default_schema, t.name) for t in tree.find_all(exp.Table) if t.name}
    try:
        tree = qualify(tree, schema=catalog_schema(conn, tables), dialect="postgres", db=default_schema,
                       validate_qualify_columns=False, identify=False)
    except sqlglot.errors.SqlglotError:
        pass  # columns we cannot place are still listed per table below, as far as they are qualified
    reads: dict[str, set[str]] = {}
    for scope in traverse_scope(tree):
        for column in scope.columns:
            source = scope.sources.get(column.table)
            if isinstance(source, exp.Table):
                reads.setdefault(f"{source.db or default_schema}.{source.name}", set()).add(column.name)
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                reads.setdefault(f"{source.db or default_schema}.{source.name}", set())
    return reads


def lineage(conn: psycopg.Connection, name: str, columns: list[str] | None = None,
            seen: frozenset = frozenset()) -> Node | None:
    found = resolve(conn, name)
    if found is None:
        return None
    oid, qualified, kind = found
    node = Node(qualified, kind, sorted(columns or []))
    if kind not in ("view", "materialized view") or qualified in seen:
        return node
    definition = conn.execute("select pg_get_viewdef(%s::oid)", [oid]).fetchone()[0]
    schema = qualified.split(".")[0]
    for table, cols in sorted(direct_reads(conn, definition, schema).items()):
        child = lineage(conn, table, sorted(cols), seen | {qualified})
        node.reads.append(child or Node(table, "unknown", sorted(cols)))
    return node


def base_tables(node: Node) -> dict[str, set[str]]:
    """The tables at the leaves, with every column read from them."""
    if not node.reads:
        return {node.name: set(node.columns)} if node.kind not in ("view", "materialized view") else {}
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
