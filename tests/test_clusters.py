"""scripts/pg.sh: the embedded clusters, their settings, and `up` being idempotent."""

from pathlib import Path

import psycopg

from conftest import SOURCE_PORT, TEST_PG_DIR, WAREHOUSE_PORT, dsn, pg_sh


def test_up_twice_is_harmless(source):
    source.execute("create table public.marker (x int)")
    source.execute("insert into public.marker values (42)")
    pids = {}
    for port in (SOURCE_PORT, WAREHOUSE_PORT):
        with psycopg.connect(dsn(port, "postgres")) as conn:
            pids[port] = conn.execute("select pid from pg_stat_activity where backend_type = 'checkpointer'").fetchone()[0]
    for _ in range(2):
        result = pg_sh("up")
        assert result.returncode == 0, result.stderr
        assert "already running" in result.stdout
    for port in (SOURCE_PORT, WAREHOUSE_PORT):
        with psycopg.connect(dsn(port, "postgres")) as conn:
            assert conn.execute("select pid from pg_stat_activity where backend_type = 'checkpointer'").fetchone()[0] == pids[port]
    assert source.execute("select x from public.marker").fetchone()[0] == 42


def test_env_file_names_both_clusters_without_a_password():
    env = (TEST_PG_DIR / "env").read_text()
    assert f"SOURCE_DSN='postgresql://postgres@127.0.0.1:{SOURCE_PORT}/finance_db?passfile=" in env
    assert f"WAREHOUSE_DSN='postgresql://postgres@127.0.0.1:{WAREHOUSE_PORT}/warehouse?passfile=" in env
    password = (TEST_PG_DIR / "pgpass").read_text().split(":")[-1].strip()
    assert password and password not in env
    assert (TEST_PG_DIR / "pgpass").stat().st_mode & 0o077 == 0


def test_both_clusters_are_set_for_logical_replication_and_pg_cron():
    for port, db in ((SOURCE_PORT, "finance_db"), (WAREHOUSE_PORT, "warehouse")):
        with psycopg.connect(dsn(port, db)) as conn:
            setting = lambda name: conn.execute("select current_setting(%s)", [name]).fetchone()[0]  # noqa: E731
            assert setting("wal_level") == "logical"
            assert "pg_cron" in setting("shared_preload_libraries")
            assert setting("cron.database_name") == db
            assert setting("max_slot_wal_keep_size") != "-1"
            assert setting("listen_addresses") == "127.0.0.1"
            # Checkpoints minutes apart, not every 50 s under sustained traffic (scripts/pg.sh).
            assert setting("max_wal_size") == "4GB"
            assert setting("checkpoint_timeout") == "10min"
            assert setting("wal_compression") == "lz4"
    # PostgreSQL refuses root: the servers run as a non-root OS user.
    for name in ("source", "warehouse"):
        pid = (TEST_PG_DIR / "data" / name / "postmaster.pid").read_text().split()[0]
        uid = (Path("/proc") / pid).stat().st_uid
        assert uid != 0
