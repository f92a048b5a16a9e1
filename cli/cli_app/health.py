"""Is replication alive? A dead apply worker or an invalidated slot otherwise shows only in a
server log while the warehouse silently goes stale (DESIGN.md), so each is a check here."""

from dataclasses import dataclass, asdict

import psycopg

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    name: str
    state: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def warehouse_checks(conn: psycopg.Connection, subscription: str) -> list[Check]:
    row = conn.execute(
        """
        select s.subenabled, s.subslotname,
               w.pid, extract(epoch from now() - w.last_msg_receipt_time)::float8,
               coalesce(st.apply_error_count, 0), coalesce(st.sync_error_count, 0),
               (select count(*) from pg_subscription_rel r where r.srsubid = s.oid and r.srsubstate <> 'r')
        from pg_subscription s
        left join pg_stat_subscription w on w.subid = s.oid and w.relid is null
        left join pg_stat_subscription_stats st on st.subid = s.oid
        where s.subname = %s and s.subdbid = (select oid from pg_database where datname = current_database())
        """,
        [subscription],
    ).fetchone()
    if row is None:
        return [Check("subscription", FAIL, f"subscription {subscription} does not exist: run `cli-app deploy`")]
    enabled, slot, pid, silence, apply_errors, sync_errors, syncing = row
    checks = [Check("subscription", OK if enabled else FAIL,
                    f"{subscription} enabled (slot {slot})" if enabled
                    else f"{subscription} is disabled: ALTER SUBSCRIPTION {subscription} ENABLE")]
    if enabled:
        if pid is None:
            checks.append(Check("apply worker", FAIL,
                                "not running: it fails and restarts in a loop; the reason is in the "
                                "warehouse server log (conflict, lost slot, unreachable source)"))
        else:
            checks.append(Check("apply worker", OK,
                                f"pid {pid}, last message {silence:.0f}s ago" if silence is not None
                                else f"pid {pid}"))
    errors = apply_errors + sync_errors
    checks.append(Check("apply errors", FAIL if errors else OK,
                        f"{apply_errors} apply and {sync_errors} sync errors since the statistics were reset"
                        " (pg_stat_reset_subscription_stats clears them)"))
    checks.append(Check("initial copy", OK if syncing == 0 else WARN,
                        "all tables copied" if syncing == 0 else f"{syncing} table(s) still copying"))
    return checks


def source_checks(conn: psycopg.Connection, slot: str) -> list[Check]:
    row = conn.execute(
        """
        select active, wal_status,
               pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint as retained,
               pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint as lag,
               safe_wal_size, current_setting('max_slot_wal_keep_size')
        from pg_replication_slots
        where slot_name = %s
        """,
        [slot],
    ).fetchone()
    if row is None:
        return [Check("slot", FAIL, f"replication slot {slot} does not exist on the source")]
    active, wal_status, retained, lag, safe, limit = row
    if wal_status == "lost":
        return [Check("slot", FAIL,
                      f"slot {slot} was invalidated (WAL past max_slot_wal_keep_size = {limit} was removed): "
                      "the warehouse can no longer catch up; recreate the subscription")]
    state = OK if active and wal_status in ("reserved", "extended") else (WARN if active else FAIL)
    if wal_status == "unreserved":
        state = FAIL
    detail = (f"{'active' if active else 'INACTIVE'}, wal_status {wal_status}, "
              f"{(retained or 0) / 2**20:.1f} MB retained of {limit}, lag {(lag or 0) / 2**20:.1f} MB")
    if safe is not None:
        detail += f", {safe / 2**20:.0f} MB until invalidation"
    return [Check("slot", state, detail)]


def healthy(checks: list[Check]) -> bool:
    return all(c.state != FAIL for c in checks)
