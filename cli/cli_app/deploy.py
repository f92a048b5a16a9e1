"""Deploying the database objects: yoyo migrations (append-only, things that hold data), then
the idempotent object files under functions/ and views/, re-applied on every deploy, then the
replication (publication on the source, subscription on the warehouse)."""

import os
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg import sql

from cli_app.config import REPO

SUBSCRIPTION = "elt_operations"
PUBLICATION = "elt_operations"


class DeployError(Exception):
    """An object file that cannot be applied; the message names the file."""


def yoyo_url(dsn: str) -> str:
    """A yoyo URL for a libpq DSN: every parameter travels as a query argument, so passfile,
    sslmode and socket directories survive."""
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    dbname = params.pop("dbname", "")
    return f"postgresql+psycopg:///{dbname}?{urlencode(params)}"


def migrate(dsn: str, side: str) -> list[str]:
    """Apply the pending migrations of migrations/<side>; returns the ids applied."""
    # Imported here: every cli-app command imports this module, few migrate (status must start fast).
    from yoyo import get_backend, read_migrations
    backend = get_backend(yoyo_url(dsn))
    migrations = read_migrations(str(REPO / "migrations" / side))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def object_files(side: str) -> list[Path]:
    files: list[Path] = []
    for tree in ("functions", "views"):
        root = REPO / tree / side
        if root.is_dir():
            files += sorted(root.rglob("*.sql"))
    return files


def apply_objects(conn: psycopg.Connection, side: str) -> list[Path]:
    """Re-apply every object file of a side in one transaction. A file that needs an object
    defined by a later file is retried after the others, so files need no ordering header."""
    pending = object_files(side)
    with conn.transaction():
        while pending:
            failed: list[tuple[Path, Exception]] = []
            for path in pending:
                try:
                    with conn.transaction():
                        conn.execute(path.read_text())
                except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction,
                        psycopg.errors.UndefinedObject) as e:
                    failed.append((path, e))
            if len(failed) == len(pending):
                path, error = failed[0]
                raise DeployError(f"{path.relative_to(REPO)}: {error}") from error
            pending = [path for path, _ in failed]
    if side == "warehouse":
        apply_roles(conn)
        schedule_maintenance(conn)
    return object_files(side)


def prewarm(conn: psycopg.Connection) -> str:
    """Read into shared buffers what the deltas and folds look up by key (elt.prewarm), so the
    first folds after a deploy or restart do not read it from disk one page at a time. Returns a
    line saying what was loaded and what did not fit."""
    rows = conn.execute("select relation::text, megabytes, blocks_loaded from elt.prewarm()").fetchall()
    loaded = [r for r in rows if r[2] is not None]
    line = (f"{sum(r[1] for r in loaded):.0f} MB the deltas look up by key read into shared buffers"
            f" ({len(loaded)} of {len(rows)} relations)")
    left = [name for name, _, blocks in rows if blocks is None]
    if left:
        line += f"; not loaded, past three quarters of shared_buffers: {', '.join(left)}"
    return line


ROLES = ("elt_owner", "elt_analyst")


def apply_roles(conn: psycopg.Connection) -> None:
    """Create the warehouse roles if missing and grant each what it needs, nothing more
    (roles/warehouse.sql), then the database-wide part of that."""
    with conn.transaction():
        conn.execute((REPO / "roles" / "warehouse.sql").read_text())
        database_privileges(conn)


def database_privileges(conn: psycopg.Connection) -> None:
    """Temporary tables for elt_owner only. Kept out of roles/warehouse.sql because a database
    cloned from a template starts with the default privileges again (the tests' are)."""
    database = sql.Identifier(conn.info.dbname)
    conn.execute(sql.SQL("revoke temporary on database {} from public").format(database))
    conn.execute(sql.SQL("grant temporary on database {} to elt_owner").format(database))
    conn.execute(sql.SQL("grant connect on database {} to elt_owner, elt_analyst").format(database))


def set_passwords(conn: psycopg.Connection, passwords: dict[str, str]) -> list[str]:
    """Give each role its password, as a SCRAM verifier computed here (as psql's \\password
    does): the password itself never reaches the server, its logs or pg_stat_activity.
    Returns the roles changed."""
    changed = []
    for role, password in passwords.items():
        if not password:
            continue
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        conn.execute(sql.SQL("alter role {} login password {}").format(
            sql.Identifier(role), sql.Literal(verifier.decode())))
        changed.append(role)
    return changed


SOURCE_TABLES = ("operations.customers", "operations.products", "operations.orders",
                 "operations.order_items")


def missing_source_tables(conn: psycopg.Connection) -> list[str]:
    """The published tables the source database lacks."""
    return [t for t in SOURCE_TABLES
            if conn.execute("select to_regclass(%s)", [t]).fetchone()[0] is None]


def schedule_maintenance(conn: psycopg.Connection, replace: bool = False) -> bool:
    """On the database pg_cron serves (cron.database_name), install pg_cron if needed and
    schedule the analytics jobs (elt.schedule_maintenance: fold every second within a job each
    minute, rebuild nightly, purge daily). Jobs that exist keep their schedule unless replace.
    Returns True when pg_cron serves this database; elsewhere (the per-test databases) does
    nothing."""
    served = conn.execute("select current_setting('cron.database_name', true) = current_database()"
                          " and exists (select from pg_available_extensions where name = 'pg_cron')").fetchone()[0]
    if not served:
        return False
    with conn.transaction():
        conn.execute("create extension if not exists pg_cron")
        conn.execute("grant usage on schema cron to elt_owner")
        # The jobs run as the user that scheduled them: elt_owner, not a superuser. Jobs an
        # older deploy scheduled as someone else change hands first, so none runs twice.
        conn.execute("select cron.alter_job(j.jobid, username => 'elt_owner') from cron.job as j"
                     " where j.database = current_database() and j.username <> 'elt_owner'"
                     " and (j.jobname in ('maintain-answers', 'maintain-metrics', 'maintain-aggregates', 'advance-star-tables',"
                     " 'rebuild-aggregates', 'purge-elt-logs', 'count-quarantine', 'prewarm-lookups')"
                     " or j.jobname like 'refresh-%')")
        conn.execute("set local role elt_owner")
        conn.execute("call elt.schedule_maintenance(%s)", [replace])
        conn.execute("reset role")
        # Outside background workers a job connects where cron.host said when it was scheduled
        # (the embedded clusters: their own socket, see scripts/pg.sh); one scheduled before
        # that changed is pointed there too.
        conn.execute("update cron.job set nodename = current_setting('cron.host'),"
                     " nodeport = current_setting('port')::int"
                     " where database = current_database() and (nodename, nodeport) is distinct from"
                     " (current_setting('cron.host'), current_setting('port')::int)")
    return True


def publish(conn: psycopg.Connection, replication_password: str) -> None:
    """Create or update the publication and the replication role on the source."""
    with conn.transaction():
        conn.execute("select set_config('elt.replication_password', %s, true)",
                     [replication_password])
        conn.execute((REPO / "replication" / "publication.sql").read_text())


def subscription_conninfo(source_dsn: str, replication_password: str) -> str:
    """How the warehouse server logs in to the source, as the replication role: the source
    DSN's address, unless ELT_SUBSCRIPTION_CONNINFO says how the warehouse server reaches it
    (from inside a container network, say)."""
    override = os.environ.get("ELT_SUBSCRIPTION_CONNINFO")
    params = psycopg.conninfo.conninfo_to_dict(override or source_dsn)
    keep = {k: v for k, v in params.items() if k in ("host", "hostaddr", "port", "dbname", "sslmode")}
    return psycopg.conninfo.make_conninfo(**keep, user="elt_replicator", password=replication_password)


def subscribe(conn: psycopg.Connection, conninfo: str, name: str = SUBSCRIPTION,
              slot_name: str | None = None) -> bool:
    """Create the subscription if it is missing (it then copies existing rows first, then
    streams changes); otherwise keep its connection current. Returns True when created.
    The connection must be in autocommit mode: CREATE SUBSCRIPTION refuses a transaction."""
    exists = conn.execute("select 1 from pg_subscription where subname = %s", [name]).fetchone()
    # The statement carries the replication password (PostgreSQL 15 keeps it in the
    # subscription's conninfo): if it fails, the server must not log its text.
    conn.execute("set log_min_error_statement = panic")
    if exists:
        conn.execute(sql.SQL("alter subscription {} connection {}").format(
            sql.Identifier(name), sql.Literal(conninfo)))
        # Tables the publication gained since (elt.heartbeat, say) start their copy now.
        conn.execute(sql.SQL("alter subscription {} refresh publication").format(sql.Identifier(name)))
        return False
    conn.execute(sql.SQL(
        "create subscription {name} connection {conninfo} publication {publication}"
        " with (slot_name = {slot})").format(
            name=sql.Identifier(name), conninfo=sql.Literal(conninfo),
            publication=sql.Identifier(PUBLICATION), slot=sql.Identifier(slot_name or name)))
    return True


def unsubscribe(conn: psycopg.Connection, name: str = SUBSCRIPTION) -> None:
    """Drop the subscription and, through it, its slot on the source. Must run before the
    source database goes away, or the slot is left behind holding WAL."""
    if conn.execute("select 1 from pg_subscription where subname = %s", [name]).fetchone():
        conn.execute(sql.SQL("drop subscription {}").format(sql.Identifier(name)))
