"""Apply conflicts: what stopped the subscription, and the way out that loses least.

A conflict (a row already present on the warehouse, say) makes the apply worker fail on the same
source transaction again and again. PostgreSQL 15 counts the failures
(pg_stat_subscription_stats) but keeps the error itself in the server log only, so it is read
from there: the ERROR, DETAIL and CONTEXT lines the worker wrote last, which name the relation,
the operation, the source transaction and the LSN it finished at.

disable_on_error is not used: it also disables the subscription when the source restarts (the
worker's lost connection is an error too; tried, tests/test_server_faults.py then never catches
up), turning a blip into an outage that waits for a person. The retry loop stays, and `cli-app
status` makes it loud, with the error text."""

import re
from dataclasses import dataclass, asdict

import psycopg
from psycopg import sql

# How much of the end of the server log to read: the worker retries every few seconds, so the
# latest failure is near the end.
TAIL_BYTES = 4 << 20

CONTEXT = re.compile(r'processing remote data for replication origin "pg_(?P<suboid>\d+)" during message type '
                     r'"(?P<operation>\w+)"(?: for replication target relation "(?P<relation>[^"]+)")?'
                     r'(?: in transaction (?P<xid>\d+))?(?:, finished at (?P<lsn>[0-9A-F]+/[0-9A-F]+))?')
LINE = re.compile(r"^\S+ \S+ \S+ \[(?P<pid>\d+)\] (?:\S+@\S+ )?(?P<level>[A-Z]+):\s+(?P<text>.*)$")
DUPLICATE = re.compile(r"^Key \((?P<column>[a-z_][a-z0-9_]*)\)=\((?P<value>.*)\) already exists\.$")


@dataclass
class Conflict:
    error: str
    detail: str | None
    operation: str
    relation: str | None
    xid: str | None
    finish_lsn: str | None
    logged_at: str

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def summary(self) -> str:
        where = f" on {self.relation}" if self.relation else ""
        detail = f" ({self.detail})" if self.detail else ""
        return (f"{self.operation}{where} from source transaction {self.xid} failed: {self.error}{detail}; "
                "`cli-app repair` resolves it")


def last_conflict(conn: psycopg.Connection, subscription: str) -> Conflict | None:
    """The newest apply error of the subscription in the server log, or None (no error there, or
    a log this role cannot read: it needs superuser or pg_read_server_files)."""
    row = conn.execute("select oid from pg_subscription where subname = %s", [subscription]).fetchone()
    if row is None:
        return None
    try:
        with conn.transaction():
            text = conn.execute(
                "select pg_read_file(f.name, greatest(s.size - %s, 0), %s)"
                " from pg_current_logfile() as f(name), pg_stat_file(f.name) as s"
                " where f.name is not null", [TAIL_BYTES, TAIL_BYTES]).fetchone()
    except psycopg.Error:
        return None
    if not text or not text[0]:
        return None
    lines = text[0].splitlines()
    for i in range(len(lines) - 1, -1, -1):
        context = CONTEXT.search(lines[i])
        if not context or context["suboid"] != str(row[0]) or "CONTEXT:" not in lines[i]:
            continue
        pid = LINE.match(lines[i])["pid"] if LINE.match(lines[i]) else None
        error = detail = None
        for earlier in reversed(lines[max(0, i - 20):i]):
            parsed = LINE.match(earlier)
            if not parsed or parsed["pid"] != pid:
                continue
            if parsed["level"] == "DETAIL" and detail is None and error is None:
                detail = parsed["text"]
            elif parsed["level"] == "ERROR":
                error = parsed["text"]
                break
        if error is None:
            continue
        return Conflict(error, detail, context["operation"], context["relation"], context["xid"],
                        context["lsn"], " ".join(lines[i].split()[:3]))
    return None


@dataclass
class Repair:
    did: str
    lost: str


def make_way(conn: psycopg.Connection, conflict: Conflict) -> Repair | None:
    """For an INSERT that found its key taken: remove the warehouse's row so the source's row
    can land. Nothing of the source is lost; the removed row, which only the warehouse had
    (only the subscription should write operations.*), is reported. None when the conflict is
    of another kind."""
    match = DUPLICATE.match(conflict.detail or "")
    if conflict.operation != "INSERT" or not match or not conflict.relation:
        return None
    schema, _, table = conflict.relation.partition(".")
    target = sql.Identifier(schema, table)
    where = sql.SQL("{}::text = %s").format(sql.Identifier(match["column"]))
    with conn.transaction():
        # As the apply worker writes: the guard trigger that refuses other writers stands aside,
        # the changelog triggers (ENABLE ALWAYS) log the removal.
        conn.execute("set local session_replication_role = replica")
        removed = conn.execute(sql.SQL("delete from {} as t where {} returning to_jsonb(t)::text").format(
            target, where), [match["value"]]).fetchall()
    rows = ", ".join(r[0] for r in removed) or "none (it was gone already)"
    return Repair(did=f"removed the warehouse's row of {conflict.relation} with {match['column']} = "
                      f"{match['value']}, so the source's INSERT (transaction {conflict.xid}) applies",
                  lost=f"the warehouse-only row {rows}; nothing from the source")


def skip(conn: psycopg.Connection, subscription: str, conflict: Conflict) -> Repair:
    """Skip the failing source transaction: every change it made is then missing here."""
    if not conflict.finish_lsn:
        raise ValueError("the log does not say where the failing transaction finished")
    conn.execute(sql.SQL("alter subscription {} skip (lsn = {})").format(
        sql.Identifier(subscription), sql.Literal(conflict.finish_lsn)))
    return Repair(did=f"skipped source transaction {conflict.xid} (finished at {conflict.finish_lsn})",
                  lost=f"every change of source transaction {conflict.xid}, including its {conflict.operation}"
                       f" on {conflict.relation}: the warehouse no longer matches the source there")


def resume(conn: psycopg.Connection, subscription: str) -> None:
    """Enable the subscription if it was disabled, and clear its error counts, so that status
    reports new errors only."""
    name = sql.Identifier(subscription)
    conn.execute(sql.SQL("alter subscription {} enable").format(name))
    conn.execute("select pg_stat_reset_subscription_stats(oid) from pg_subscription where subname = %s",
                 [subscription])
