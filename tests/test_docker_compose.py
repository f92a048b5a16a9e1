"""docker-compose.yml and docker/Dockerfile: the Docker alternative offers the same two servers."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def test_compose_offers_the_same_two_servers():
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) == {"source", "warehouse"}
    for name, port, db in (("source", 55432, "finance_db"), ("warehouse", 55433, "warehouse")):
        service = services[name]
        assert service["build"] == "./docker"
        assert service["ports"] == [f"127.0.0.1:{port}:5432"]
        assert service["environment"]["POSTGRES_DB"] == db
        command = service["command"]
        for setting in ("wal_level=logical", "shared_preload_libraries=pg_cron",
                        f"cron.database_name={db}", "max_slot_wal_keep_size=",
                        "max_wal_size=4GB", "checkpoint_timeout=10min", "wal_compression=lz4"):
            assert setting in command


def test_the_image_is_postgres_15_with_pg_cron():
    dockerfile = (REPO / "docker" / "Dockerfile").read_text()
    assert "FROM postgres:15\n" in dockerfile
    assert "postgresql-15-cron" in dockerfile
