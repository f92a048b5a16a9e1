"""roles/warehouse.sql and its use by the CLI: elt_analyst reads analytics and is refused
everything else, elt_owner owns the ELT's layers and runs their maintenance without being a
superuser, and no password shows up where people or logs can see it (issue 9, point 1)."""

import json
import os
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from analytics_changes import check_in_one_snapshot
from cli_app import config, deploy
from cli_support import cli_env, invoke, run_cli  # noqa: F401
from conftest import TEST_PG_DIR, WAREHOUSE_PORT, dsn, replication_password, role_passwords

ANSWERS = ("open_orders", "top_dates", "pending_items", "top_customers", "freshness")


def connect_as(conn: psycopg.Connection, role: str) -> psycopg.Connection:
    """The same test database as `conn`, logged in as `role` with its generated password (found
    in the test clusters' pgpass, through PGPASSFILE), over TCP and scram-sha-256."""
    return psycopg.connect(config.as_role(dsn(WAREHOUSE_PORT, conn.info.dbname), role), autocommit=True)


@pytest.fixture
def analyst(warehouse):
    with connect_as(warehouse, "elt_analyst") as conn:
        yield conn


@pytest.fixture
def owner(warehouse):
    with connect_as(warehouse, "elt_owner") as conn:
        yield conn


def some_orders(source, replicated):
    source.execute("call shop.add_customers(10)")
    source.execute("call shop.add_products(5)")
    source.execute("call shop.place_orders(30)")
    replicated.catch_up()


def test_the_analyst_reads_every_answer_as_the_superuser_sees_it(source, warehouse, replicated, analyst):
    some_orders(source, replicated)
    # Half folded, half in the delta: the analyst's reads go through both.
    warehouse.execute("call elt.fold()")
    source.execute("call shop.place_orders(10)")
    replicated.catch_up()
    for name in ANSWERS:
        # fold_lag is measured against now(), which differs between the two transactions.
        columns = "aggregate, folded_at, changes_pending, last_change_applied_at" if name == "freshness" else "*"
        query = f"select {columns} from analytics.{name} order by 1"
        mine = analyst.execute(query).fetchall()
        assert mine == warehouse.execute(query).fetchall(), name
        assert mine or name == "freshness", name
    assert analyst.execute("select * from analytics.pending_orders_top(3)").fetchall() \
        == warehouse.execute("select * from analytics.pending_orders_top(3)").fetchall()


REFUSED = [
    ("select pg_read_file('/etc/hostname')", "pg_read_file"),
    ("select pg_ls_dir('.')", "pg_ls_dir"),
    ("select lo_import('/etc/hostname')", "lo_import"),
    ("select lo_create(0)", "lo_create"),
    ("select lo_from_bytea(0, 'x')", "lo_from_bytea"),
    ("copy (select 1) to '/tmp/elt_analyst_was_here'", "pg_write_server_files"),
    ("select pg_terminate_backend({superuser_pid})", "pg_terminate_backend"),
    ("select pg_cancel_backend({superuser_pid})", "pg_cancel_backend"),
    ("select * from staging.orders_changes", "schema staging"),
    ("select * from staging.changelog", "schema staging"),
    ("select * from operations.customers", "schema operations"),
    ("select customer_name, customer_address from clean.customers", "schema clean"),
    ("select * from elt.watermark", "schema elt"),
    ("select * from clean.orders_changed_since(pg_current_snapshot())", "schema clean"),
    ("insert into analytics.open_orders_maintained select * from analytics.open_orders_maintained",
     "open_orders_maintained"),
    ("delete from analytics.pending_items_maintained", "pending_items_maintained"),
    ("refresh materialized view analytics.open_orders_hist", "open_orders_hist"),
    ("create table analytics.mine (i int)", "schema analytics"),
    ("create table public.mine (i int)", "schema public"),
    ("create temporary table mine (i int)", "temporary tables"),
    ("call elt.fold()", "schema elt"),
]


@pytest.mark.parametrize("statement, what", REFUSED, ids=[s for s, _ in REFUSED])
def test_the_analyst_is_refused(warehouse, analyst, statement, what):
    superuser_pid = warehouse.info.backend_pid
    with pytest.raises(errors.InsufficientPrivilege) as refused:
        analyst.execute(statement.format(superuser_pid=superuser_pid))
    assert what in str(refused.value)
    assert warehouse.execute("select 1").fetchone() == (1,)


def test_the_analyst_cannot_become_anyone_else(warehouse, analyst):
    row = warehouse.execute("select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls"
                            " from pg_roles where rolname = 'elt_analyst'").fetchone()
    assert row == (False, False, False, False, False)
    assert warehouse.execute("select count(*) from pg_auth_members m join pg_roles r on r.oid = m.member"
                             " where r.rolname = 'elt_analyst'").fetchone()[0] == 0
    for role in ("postgres", "elt_owner", "pg_read_server_files"):
        with pytest.raises(errors.InsufficientPrivilege):
            analyst.execute(f"set role {role}")


def test_the_owner_owns_the_elt_layers_and_is_not_a_superuser(warehouse):
    assert warehouse.execute("select rolsuper, rolcreaterole, rolreplication from pg_roles"
                             " where rolname = 'elt_owner'").fetchone() == (False, False, False)
    owners = dict(warehouse.execute(
        """
        select n.nspname, array_agg(distinct c.relowner::regrole::text)
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('operations', 'staging', 'clean', 'analytics', 'elt') and c.relkind in ('r', 'v', 'm')
        group by n.nspname
        """).fetchall())
    assert owners == {"clean": ["elt_owner"], "analytics": ["elt_owner"], "elt": ["elt_owner"],
                      # The subscription's owner is the only writer of these two.
                      "operations": ["postgres"], "staging": ["postgres"]}
    assert warehouse.execute(
        "select count(*) from pg_proc where pronamespace in ('clean'::regnamespace, 'analytics'::regnamespace,"
        " 'elt'::regnamespace) and proowner <> 'elt_owner'::regrole").fetchone()[0] == 0


def test_the_owner_cannot_write_what_the_subscription_writes(owner):
    for statement in ("insert into staging.orders_changes (operation) values ('INSERT')",
                      "insert into operations.orders (order_id) values (1)",
                      "update operations.customers set customer_name = 'x'"):
        with pytest.raises(errors.InsufficientPrivilege):
            owner.execute(statement)
    with pytest.raises(errors.InsufficientPrivilege):
        owner.execute("select pg_read_file('/etc/hostname')")


def test_the_owner_runs_the_maintenance(source, warehouse, replicated, owner):
    some_orders(source, replicated)
    # The star tables' advance logs its changes to the facts into staging, which the owner only reads.
    owner.execute("call elt.advance_star()")
    owner.execute("call elt.fold()")
    owner.execute("call elt.rebuild('pending_items')")
    owner.execute("call elt.maintain(interval '0.3 seconds')")
    owner.execute("call elt.purge()")
    assert owner.execute("select count(*) from elt.fold_log where error is not null").fetchone()[0] == 0
    assert owner.execute("select count(*) from elt.star_log where error is not null").fetchone()[0] == 0
    assert check_in_one_snapshot(warehouse) == {}


def test_roles_apply_twice_and_change_nothing_the_second_time(warehouse):
    def acl():
        return warehouse.execute(
            "select c.oid::regclass::text, c.relowner::regrole::text, c.relacl::text from pg_class c"
            " where c.relnamespace in ('operations'::regnamespace, 'staging'::regnamespace, 'clean'::regnamespace,"
            " 'analytics'::regnamespace, 'elt'::regnamespace) order by 1").fetchall()
    before = acl()
    deploy.apply_roles(warehouse)
    deploy.apply_roles(warehouse)
    assert acl() == before


def test_sql_and_named_queries_run_as_the_analyst(invoke, tmp_path):
    whoami = invoke("sql", "select current_user as who, session_user as login", "--format", "csv")
    assert whoami.exit_code == 0, whoami.output
    assert whoami.output == "who,login\nelt_analyst,elt_analyst\n"
    queries = tmp_path / "q"
    queries.mkdir()
    (queries / "peek.sql").write_text("-- Read a server file.\nselect pg_read_file('/etc/hostname') as secret\n")
    env = {"ELT_QUERIES_DIR": str(queries)}
    for args in (("sql", "select pg_read_file('/etc/hostname')"), ("--query", "peek"),
                 ("sql", "select count(*) from staging.orders_changes"),
                 ("sql", "select pg_terminate_backend(pg_backend_pid() + 1)")):
        result = invoke(*args, env=env)
        assert result.exit_code == 1, (args, result.output)
        assert result.output.startswith("Error: permission denied for "), (args, result.output)
    exported = invoke("export-all", "peek", "--output-dir", str(tmp_path), env=env)
    assert exported.exit_code == 1 and "FAILED peek: permission denied for function pg_read_file" in exported.output


def test_a_reader_without_its_password_gets_a_hint(run_cli, cli_env, tmp_path):
    empty = tmp_path / "pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    result = run_cli("sql", "select 1", env={"PGPASSFILE": str(empty)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Readers log in as elt_analyst" in result.stderr and "user=elt_analyst" in result.stderr


def secrets() -> dict[str, str]:
    pgpass = (TEST_PG_DIR / "pgpass").read_text().splitlines()
    found = {f"{line.split(':')[3]} password": line.split(":")[4] for line in pgpass}
    found["replication password"] = replication_password()
    found.update({f"{role} password": p for role, p in role_passwords().items()})
    assert len(found) >= 4 and all(len(p) >= 16 for p in found.values())
    return found


def log_sizes() -> dict[Path, int]:
    return {path: path.stat().st_size for path in TEST_PG_DIR.glob("data/*/log/*.log")}


def server_logs_since(sizes: dict[Path, int]) -> str:
    """What both test clusters logged since `sizes` were taken."""
    text = []
    for path in TEST_PG_DIR.glob("data/*/log/*.log"):
        with open(path, "rb") as log:
            log.seek(sizes.get(path, 0))
            text.append(log.read().decode(errors="replace"))
    return "".join(text)


def argv_of_every_process() -> str:
    seen = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            seen.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass  # the process ended meanwhile
    return "\n".join(seen)


def test_no_password_in_argv_logs_errors_or_exports(run_cli, cli_env, source, warehouse, replication, tmp_path):
    logged = log_sizes()
    replication.start()
    source.execute("call shop.add_customers(3)")
    replication.catch_up()
    env = {"ELT_PG_DIR": str(TEST_PG_DIR),  # its password files, as `make up` leaves them
           "ELT_REPLICATION_PASSWORD": "", "ELT_REPLICATION_PASSWORD_FILE": str(TEST_PG_DIR / "replication_password")}
    outputs = []
    for args, extra in [
        (("deploy", "--no-subscribe"), {}),
        # A subscription that cannot connect: CREATE SUBSCRIPTION fails with the password in its text.
        (("deploy",), {"ELT_SUBSCRIPTION_CONNINFO": "host=127.0.0.1 port=1 dbname=nowhere"}),
        (("sql", "select 1 / 0"), {}),
        (("sql", "select * from analytics.open_orders", "--export", "--output-dir", str(tmp_path)), {}),
        (("export-all", "--output-dir", str(tmp_path), "--format", "json"), {}),
        (("status", "--json", "--subscription", replication.name), {}),
        (("sql", "select 1"), {"WAREHOUSE_DSN": "postgresql://elt_analyst:wrong-password-xyz@127.0.0.1:1/x"}),
    ]:
        result = run_cli(*args, env={**env, **extra})
        outputs.append(result.stdout + result.stderr)
    assert "could not connect" in outputs[1] or "cannot reach" in outputs[1] or "connection" in outputs[1], outputs[1]
    assert "wrong-password-xyz" not in outputs[-1] and "cannot reach the warehouse" in outputs[-1]
    exports = "".join(p.read_text() for p in tmp_path.iterdir() if p.is_file())
    assert exports
    places = {"CLI output": "\n".join(outputs), "exports": exports, "server logs": server_logs_since(logged),
              "argv": argv_of_every_process()}
    for what, secret in secrets().items():
        for where, text in places.items():
            assert secret not in text, f"the {what} appears in the {where}"


def test_the_embedded_clusters_keep_passwords_private_and_use_scram():
    for name in ("pgpass", "replication_password", "owner_password", "analyst_password"):
        assert oct((TEST_PG_DIR / name).stat().st_mode & 0o777) == "0o600", name
    for side in ("source", "warehouse"):
        hba = [line.split() for line in (TEST_PG_DIR / "data" / side / "pg_hba.conf").read_text().splitlines()
               if line.strip() and not line.lstrip().startswith("#")]
        tcp = [line for line in hba if line[0].startswith("host")]
        assert tcp and all(line[-1] == "scram-sha-256" for line in tcp), tcp
        conf = (TEST_PG_DIR / "data" / side / "postgresql.conf").read_text()
        assert "listen_addresses = '127.0.0.1'" in conf
