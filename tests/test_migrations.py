"""migrations/ and the object files: they apply on empty databases, and a second deploy
changes nothing."""

import os
import subprocess

import psycopg
import pytest

from yoyo import get_backend, read_migrations

from cli_app import deploy
from conftest import SOURCE_PORT, WAREHOUSE_PORT, dsn, replication_password

PG_DUMP = "/usr/lib/postgresql/15/bin/pg_dump"


@pytest.fixture
def empty_databases():
    names = {SOURCE_PORT: "empty_source", WAREHOUSE_PORT: "empty_warehouse"}
    for port, name in names.items():
        with psycopg.connect(dsn(port, "postgres"), autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")
            conn.execute(f"create database {name}")
    yield dsn(SOURCE_PORT, names[SOURCE_PORT]), dsn(WAREHOUSE_PORT, names[WAREHOUSE_PORT])
    for port, name in names.items():
        with psycopg.connect(dsn(port, "postgres"), autocommit=True) as conn:
            conn.execute(f"drop database if exists {name} with (force)")


def deploy_both(source_dsn, warehouse_dsn):
    applied = deploy.migrate(source_dsn, "source") + deploy.migrate(warehouse_dsn, "warehouse")
    with psycopg.connect(source_dsn, autocommit=True) as conn:
        deploy.apply_objects(conn, "source")
        deploy.publish(conn, replication_password())
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        deploy.apply_objects(conn, "warehouse")
    return applied


def schema_dump(target: str) -> str:
    dump = subprocess.run([PG_DUMP, "--schema-only", target],
                          check=True, capture_output=True, text=True, env=os.environ).stdout
    # pg_dump fences its output with a random \restrict key; the rest must match exactly.
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def test_migrations_apply_on_empty_databases_and_again_change_nothing(empty_databases):
    source_dsn, warehouse_dsn = empty_databases
    applied = deploy_both(source_dsn, warehouse_dsn)
    assert len(applied) == len(list(deploy.REPO.glob("migrations/*/*.sql")))
    before = schema_dump(source_dsn), schema_dump(warehouse_dsn)

    assert deploy_both(source_dsn, warehouse_dsn) == []
    assert (schema_dump(source_dsn), schema_dump(warehouse_dsn)) == before

    with psycopg.connect(warehouse_dsn) as conn:
        schemas = {r[0] for r in conn.execute("select nspname from pg_namespace")}
        assert {"operations", "staging", "clean", "analytics", "elt"} <= schemas
        assert conn.execute("select count(*) from pg_trigger where tgrelid = 'operations.orders'::regclass"
                            " and tgenabled = 'A'").fetchone()[0] == 4
    with psycopg.connect(source_dsn) as conn:
        published = conn.execute("select schemaname || '.' || tablename from pg_publication_tables"
                                 " where pubname = 'elt_operations' order by 1").fetchall()
        # The four shop tables, and the project's own heartbeat (cli-app watch).
        assert [r[0] for r in published] == ["elt.heartbeat", "operations.customers", "operations.order_items",
                                             "operations.orders", "operations.products"]
        identities = conn.execute("select relname, relreplident from pg_class where relnamespace = 'operations'::regnamespace"
                                  " and relkind = 'r' order by 1").fetchall()
        assert {r[1] for r in identities} == {"f"}


def test_the_replication_role_reads_the_four_tables_and_nothing_else(source):
    role_can = lambda privilege, obj: source.execute(  # noqa: E731
        "select has_table_privilege('elt_replicator', %s, %s)", [obj, privilege]).fetchone()[0]
    for table in ("customers", "products", "orders", "order_items"):
        assert role_can("select", f"operations.{table}")
        assert not role_can("insert", f"operations.{table}")
        assert not role_can("update", f"operations.{table}")
    assert role_can("select", "elt.heartbeat") and not role_can("update", "elt.heartbeat")
    assert source.execute("select rolreplication and not rolsuper and not rolcreatedb and not rolcreaterole"
                          " from pg_roles where rolname = 'elt_replicator'").fetchone()[0]


def test_warehouse_copies_have_the_source_columns_and_types(source, warehouse):
    # Replication matches columns by name; a type drift would break or silently cast.
    query = ("select table_name, column_name, data_type, character_maximum_length, is_nullable"
             " from information_schema.columns where table_schema = 'operations' order by 1, 2")
    assert warehouse.execute(query).fetchall() == source.execute(query).fetchall()


def migrate_warehouse_before(warehouse_dsn: str, first_not_applied: str) -> None:
    backend = get_backend(deploy.yoyo_url(warehouse_dsn))
    migrations = read_migrations(str(deploy.REPO / "migrations" / "warehouse"))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(migrations.filter(lambda m: m.id < first_not_applied)))


# Rows as the jsonb trigger of before 0005 wrote them: to_jsonb of each table's row, nulls,
# numerics and millisecond timestamps included; entries of several transactions.
OLD_STYLE_CHANGES = """
    insert into staging.changelog (table_name, operation, old_row, new_row, initial_copy)
    select 'customers', 'INSERT', null::jsonb,
           to_jsonb(row(1, 'Ana Silva', true, null, '2026-11-01 10:00:00.123', 0, '2026-11-01 10:00:00.123', 0)
                    ::operations.customers), true
    union all
    select 'products', 'INSERT', null::jsonb,
           to_jsonb(row(5, 'Tea', '789', 12.50, null, null, null, null, null)::operations.products), true;
    insert into staging.changelog (table_name, operation, old_row, new_row)
    select 'orders', 'INSERT', null::jsonb,
           to_jsonb(row(9, '2026-11-02', null, 1, 'PENDING', null, null, null, null)::operations.orders)
    union all
    select 'order_items', 'INSERT', null::jsonb,
           to_jsonb(row(90, 9, 5, 3, null, null, null, null)::operations.order_items);
    insert into staging.changelog (table_name, operation, old_row, new_row)
    select 'orders', 'UPDATE',
           to_jsonb(row(9, '2026-11-02', null, 1, 'PENDING', null, null, null, null)::operations.orders),
           to_jsonb(row(9, '2026-11-02', '2026-11-05', 1, 'PROCESSING', null, null, null, null)::operations.orders)
    union all
    select 'order_items', 'DELETE', to_jsonb(row(90, 9, 5, 3, null, null, null, null)::operations.order_items), null;
"""


def test_0005_moves_the_jsonb_changelog_into_the_per_table_logs_unchanged(empty_databases):
    _, warehouse_dsn = empty_databases
    migrate_warehouse_before(warehouse_dsn, "0005")
    read_back = "select * from staging.changelog order by change_id"
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        conn.execute(OLD_STYLE_CHANGES)
        before = conn.execute(read_back).fetchall()

    assert deploy.migrate(warehouse_dsn, "warehouse")[0] == "0005_changelog_per_table"
    with psycopg.connect(warehouse_dsn, autocommit=True) as conn:
        deploy.apply_objects(conn, "warehouse")
        assert conn.execute("select relkind from pg_class where oid = 'staging.changelog'::regclass"
                            ).fetchone()[0] == "v"
        assert conn.execute(read_back).fetchall() == before
        assert conn.execute("select (new_row).unity_price from staging.products_changes").fetchone()[0] == 12.5
        # The next change (written here as the apply worker would) continues the ids.
        conn.execute("set session_replication_role = replica")
        conn.execute("insert into operations.customers (customer_id, customer_name) values (2, 'Rui')")
        newest = conn.execute("select change_id from staging.customers_changes where (new_row).customer_id = 2"
                              ).fetchone()[0]
        assert newest == max(row[0] for row in before) + 1 == conn.execute("select staging.last_change_id()"
                                                                           ).fetchone()[0]
