"""Where the source and the warehouse are: SOURCE_DSN / WAREHOUSE_DSN from the environment
first, then from .pg/env, the file `make up` writes for the embedded clusters."""

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import psycopg.conninfo

REPO = Path(__file__).resolve().parents[2]


def pg_dir() -> Path:
    return Path(os.environ.get("ELT_PG_DIR", REPO / ".pg"))


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        parts = shlex.split(raw)
        values[key.strip()] = parts[0] if parts else ""
    return values


@dataclass(frozen=True)
class Settings:
    source_dsn: str | None
    warehouse_dsn: str | None
    # True when the source is one of our embedded clusters, where we own the schema too.
    embedded_source: bool
    replication_password: str | None


def load() -> Settings:
    file_values = read_env_file(pg_dir() / "env")
    source = os.environ.get("SOURCE_DSN") or file_values.get("SOURCE_DSN")
    warehouse = os.environ.get("WAREHOUSE_DSN") or file_values.get("WAREHOUSE_DSN")
    password = os.environ.get("ELT_REPLICATION_PASSWORD")
    password_file = os.environ.get("ELT_REPLICATION_PASSWORD_FILE") or file_values.get(
        "ELT_REPLICATION_PASSWORD_FILE"
    )
    if password is None and password_file and Path(password_file).is_file():
        password = Path(password_file).read_text().strip()
    # Exported from .pg/env (`set -a; . .pg/env`) is still the embedded source.
    embedded = source is not None and source == file_values.get("SOURCE_DSN")
    return Settings(source, warehouse, embedded, password)


def mask(dsn: str) -> str:
    """The DSN as it may be shown to a person: any password replaced by ***."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    if "password" in params:
        params["password"] = "***"
    return psycopg.conninfo.make_conninfo(**params)
