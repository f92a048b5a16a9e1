"""Is replication alive? A dead apply worker or an invalidated slot otherwise shows only in a
server log while the warehouse silently goes stale (docs/design.md#replication-facts-that-shape-the-design),
so each is a check here."""

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


@dataclass
class Lag:
    """How far the warehouse is behind. bytes: WAL the source's slot has not had confirmed.
    seconds: 0 when nothing is pending, else the time since the warehouse last confirmed a
    position to the source (pg_stat_subscription.latest_end_time): it grows while the apply
    worker is stuck or behind, and resets each time it reports progress."""
    bytes: int | None
    seconds: float | None
    received_lsn: str | None = None
    latest_end_lsn: str | None = None


def subscription_progress(conn: psycopg.Connection, subscription: str) -> tuple[str | None, str | None, float | None]:
    row = conn.execute(
        """
        select w.received_lsn::text, w.latest_end_lsn::text,
               extract(epoch from now() - w.latest_end_time)::float8
        from pg_subscription s join pg_stat_subscription w on w.subid = s.oid and w.relid is null
        where s.subname = %s
        """, [subscription]).fetchone()
    return tuple(row) if row else (None, None, None)


def slot_wal(conn: psycopg.Connection, slot: str) -> dict | None:
    """WAL the slot holds back, and how it compares to max_slot_wal_keep_size (-1: no limit)."""
    row = conn.execute(
        """
        select pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint,
               pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint,
               safe_wal_size, wal_status, active,
               (select setting::bigint from pg_settings where name = 'max_slot_wal_keep_size')
        from pg_replication_slots where slot_name = %s
        """, [slot]).fetchone()
    if row is None:
        return None
    retained, lag, safe, wal_status, active, limit_mb = row
    limit = None if limit_mb is None or limit_mb < 0 else limit_mb * 2**20
    return {"retained_bytes": retained, "lag_bytes": lag, "safe_wal_size": safe,
            "limit_bytes": limit, "wal_status": wal_status, "active": active,
            "retained_fraction": (retained or 0) / limit if limit else None}


def lag(warehouse_progress: tuple, slot: dict | None) -> Lag:
    received, latest_end, since_confirmed = warehouse_progress
    lag_bytes = slot["lag_bytes"] if slot else None
    if lag_bytes is None:
        seconds = None
    elif lag_bytes <= 0:
        seconds = 0.0
    else:
        seconds = max(0.0, since_confirmed) if since_confirmed is not None else None
    return Lag(lag_bytes, seconds, received, latest_end)


def lag_checks(current: Lag, slot: dict | None, max_lag_seconds: float,
               warn_fraction: float = 0.5, fail_fraction: float = 0.8) -> list[Check]:
    checks = []
    if current.bytes is None:
        checks.append(Check("replication lag", FAIL, "unknown: no replication slot on the source"))
    elif current.seconds is None:
        checks.append(Check("replication lag", FAIL,
                            f"{current.bytes / 2**20:.1f} MB behind and no apply worker reporting"))
    else:
        over = current.seconds > max_lag_seconds
        checks.append(Check("replication lag", FAIL if over else OK,
                            f"{current.bytes / 2**20:.2f} MB, {current.seconds:.0f}s"
                            + (f" (over --max-lag-seconds {max_lag_seconds:g})" if over else "")))
    if slot is not None and slot.get("wal_status") == "lost":
        pass  # the slot check says it: no WAL is retained for it any more
    elif slot is not None and slot["limit_bytes"]:
        fraction = slot["retained_fraction"]
        state = FAIL if fraction >= fail_fraction else WARN if fraction >= warn_fraction else OK
        checks.append(Check("slot WAL", state,
                            f"{(slot['retained_bytes'] or 0) / 2**20:.1f} MB retained of "
                            f"{slot['limit_bytes'] / 2**20:.0f} MB ({fraction:.0%})"
                            + ("; near max_slot_wal_keep_size, the slot will be invalidated"
                               if state != OK else "")))
    elif slot is not None:
        checks.append(Check("slot WAL", WARN, f"{(slot['retained_bytes'] or 0) / 2**20:.1f} MB retained "
                            "and max_slot_wal_keep_size is unlimited: a stalled slot can fill the disk"))
    return checks
