"""What the README says of the catalog holds (issue 13, point 2): every schema the project
creates or copies, and every table, view, column and function in them, carries a comment, so
`\\dn+` and `\\d+` in psql are the manual; and every object a comment names exists, so comments
describe what is there. The schemas are read from pg_catalog, not listed: a schema, table or
column added later is held to the same rule."""

import re

import psycopg
import pytest

# A project schema is any schema but PostgreSQL's own and those extensions create (pg_cron's
# cron). public is left to PostgreSQL and yoyo's bookkeeping: test_public_holds_nothing_of_ours.
PROJECT_SCHEMAS = """
    select n.oid, n.nspname from pg_namespace as n
    where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'public')
      and n.nspname not like 'pg\\_temp\\_%' and n.nspname not like 'pg\\_toast\\_temp\\_%'
      and not exists (select from pg_depend as d where d.classid = 'pg_namespace'::regclass
                      and d.objid = n.oid and d.deptype = 'e')
"""

UNCOMMENTED = f"""
    with project as ({PROJECT_SCHEMAS})
    select 'schema ' || p.nspname from project as p
    where obj_description(p.oid, 'pg_namespace') is null
    union all
    select 'relation ' || p.nspname || '.' || c.relname
    from pg_class as c join project as p on p.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and obj_description(c.oid, 'pg_class') is null
    union all
    select 'column ' || p.nspname || '.' || c.relname || '.' || a.attname
    from pg_attribute as a join pg_class as c on c.oid = a.attrelid join project as p on p.oid = c.relnamespace
    where c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
      and col_description(c.oid, a.attnum) is null
    union all
    select 'function ' || f.oid::regprocedure::text
    from pg_proc as f join project as p on p.oid = f.pronamespace
    where obj_description(f.oid, 'pg_proc') is null
      and not exists (select from pg_depend as d where d.classid = 'pg_proc'::regclass
                      and d.objid = f.oid and d.deptype = 'e')
    order by 1
"""

COMMENTS = f"""
    with project as ({PROJECT_SCHEMAS})
    select 'schema ' || p.nspname, obj_description(p.oid, 'pg_namespace') from project as p
    union all
    select p.nspname || '.' || c.relname, obj_description(c.oid, 'pg_class')
    from pg_class as c join project as p on p.oid = c.relnamespace
    union all
    select p.nspname || '.' || c.relname || '.' || a.attname, col_description(c.oid, a.attnum)
    from pg_attribute as a join pg_class as c on c.oid = a.attrelid join project as p on p.oid = c.relnamespace
    where a.attnum > 0 and not a.attisdropped
    union all
    select f.oid::regprocedure::text, obj_description(f.oid, 'pg_proc')
    from pg_proc as f join project as p on p.oid = f.pronamespace
"""

# schema.name in a comment; `analytics.<name>_hist` (a pattern, not a name) does not match.
NAMED = re.compile(r"\b([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b(?![<*])")


def uncommented(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(UNCOMMENTED).fetchall()]


def names_that_do_not_exist(conn: psycopg.Connection) -> list[str]:
    schemas = {r[1] for r in conn.execute(PROJECT_SCHEMAS).fetchall()}
    missing = []
    for owner, text in conn.execute(COMMENTS).fetchall():
        for schema, name in NAMED.findall(text or ""):
            if schema not in schemas:
                continue
            exists = conn.execute(
                "select to_regclass(quote_ident(%(s)s) || '.' || quote_ident(%(n)s)) is not null"
                " or exists (select from pg_proc where pronamespace = to_regnamespace(%(s)s) and proname = %(n)s)"
                " or to_regtype(quote_ident(%(s)s) || '.' || quote_ident(%(n)s)) is not null",
                {"s": schema, "n": name}).fetchone()[0]
            if not exists:
                missing.append(f"{owner}: {schema}.{name}")
    return missing


def test_every_warehouse_schema_relation_column_and_function_is_commented(warehouse):
    assert uncommented(warehouse) == []
    schemas = {r[1] for r in warehouse.execute(PROJECT_SCHEMAS).fetchall()}
    assert {"operations", "staging", "clean", "analytics", "elt"} <= schemas


def test_every_source_schema_relation_column_and_function_is_commented(source):
    # The demo source as deploy leaves it: the shop's tables, its traffic procedures, the heartbeat.
    assert uncommented(source) == []
    assert {"operations", "shop", "elt"} <= {r[1] for r in source.execute(PROJECT_SCHEMAS).fetchall()}


@pytest.mark.parametrize("side", ["source", "warehouse"])
def test_every_object_a_comment_names_exists(side, request):
    assert names_that_do_not_exist(request.getfixturevalue(side)) == []


def test_a_new_uncommented_column_or_a_stale_name_is_caught(warehouse):
    # The checks are generic: what someone adds tomorrow, in a schema of tomorrow, is held too.
    warehouse.execute("create schema marts; comment on schema marts is 'Reads analytics.no_such_view.';"
                      " create table marts.t (x int); comment on table marts.t is 'A test table.'")
    assert uncommented(warehouse) == ["column marts.t.x"]
    assert names_that_do_not_exist(warehouse) == ["schema marts: analytics.no_such_view"]


def test_public_holds_nothing_of_ours(warehouse, source):
    for conn in (warehouse, source):
        ours = conn.execute("""
            select c.relname from pg_class as c
            where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
              and c.relname not like '%yoyo%'
            union all
            select f.proname from pg_proc as f
            where f.pronamespace = 'public'::regnamespace
              and not exists (select from pg_depend as d where d.classid = 'pg_proc'::regclass
                              and d.objid = f.oid and d.deptype = 'e')
            """).fetchall()
        assert ours == []
