"""Schema drift between the source's shop tables and the warehouse's copies, found by comparing
their catalogs, with the exact ALTER that brings the warehouse copy in line.

Logical replication maps columns by name: a column added at the source stops the apply worker
(for every table: PostgreSQL 15 has one per subscription) at the first change of that table,
until the warehouse copy has it; a column dropped at the source leaves the warehouse's null;
a type widened at the source fails at the first value the warehouse's type cannot hold. So
drift is reported as soon as the catalogs differ, before a change hits it."""

from dataclasses import dataclass, asdict

import psycopg

TABLES = ("customers", "products", "orders", "order_items")

COLUMNS = """
    select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnum
    from pg_attribute a join pg_class c on c.oid = a.attrelid
    where c.relnamespace = to_regnamespace('operations') and c.relname = any(%s)
      and a.attnum > 0 and not a.attisdropped
    order by c.relname, a.attnum
"""


@dataclass
class Drift:
    table: str
    column: str
    change: str        # added, dropped, retyped
    source_type: str | None
    warehouse_type: str | None
    alter: str
    # What happens to replication, and whether sync-schema applies the ALTER.
    effect: str

    def as_dict(self) -> dict:
        return asdict(self)


def columns(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {t: {} for t in TABLES}
    for table, column, typ, _ in conn.execute(COLUMNS, [list(TABLES)]).fetchall():
        found[table][column] = typ
    return found


def compare(source: psycopg.Connection, warehouse: psycopg.Connection) -> list[Drift]:
    theirs, ours = columns(source), columns(warehouse)

    def alter(template: str, *names: str) -> str:
        # format() quotes a name only where PostgreSQL needs it, as a person would write it; the
        # type comes from format_type, SQL already.
        return warehouse.execute("select format(%s, " + ", ".join(["%s::text"] * len(names)) + ")",
                                 [template, *names]).fetchone()[0]

    drift = []
    # A table missing on a side is a deploy not done (status says so elsewhere), not drift.
    for table in (t for t in TABLES if theirs[t] and ours[t]):
        for column, typ in theirs[table].items():
            if column not in ours[table]:
                drift.append(Drift(table, column, "added", typ, None,
                                   alter("alter table operations.%I add column %I %s", table, column, typ),
                                   "replication stops at the first change of the table until the warehouse has it"))
            elif ours[table][column] != typ:
                drift.append(Drift(table, column, "retyped", typ, ours[table][column],
                                   alter("alter table operations.%I alter column %I type %s", table, column, typ),
                                   "replication stops at the first value the warehouse's type cannot hold; "
                                   "the change log stores the table's row type, so the ALTER needs a migration"
                                   f" of staging.{table}_changes (sync-schema will not run it)"))
        for column, typ in ours[table].items():
            if column not in theirs[table]:
                drift.append(Drift(table, column, "dropped", None, typ,
                                   alter("alter table operations.%I drop column %I", table, column),
                                   "replication goes on, the warehouse's column is null in new rows;"
                                   " sync-schema --drop drops it, unless the clean layer reads it"))
    return drift


def failing(drift: list[Drift]) -> list[Drift]:
    """The drift that stops replication sooner or later."""
    return [d for d in drift if d.change != "dropped"]
