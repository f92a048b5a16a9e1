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


ANALYST = "elt_analyst"
OWNER = "elt_owner"


@dataclass(frozen=True)
class Settings:
    source_dsn: str | None
    # The deployer's: a superuser, for deploy (migrations, the subscription) and status.
    warehouse_dsn: str | None
    # True when the source is one of our embedded clusters, where we own the schema too.
    embedded_source: bool
    replication_password: str | None
    # Every reader of answers (sql, --query, export-all) connects as elt_analyst, through this.
    analyst_dsn: str | None = None
    # Passwords deploy gives elt_owner and elt_analyst (as SCRAM verifiers), when it has them.
    role_passwords: dict[str, str] | None = None


def as_role(dsn: str | None, role: str) -> str | None:
    """The same server and database as `dsn`, as another role; its password then comes from
    the .pgpass file (passfile=) or PGPASSWORD, never from the DSN given."""
    if not dsn:
        return None
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return dsn  # connect() reports the unparseable DSN, masked
    params.pop("password", None)
    params["user"] = role
    return psycopg.conninfo.make_conninfo(**params)


def _secret(name: str, file_values: dict[str, str]) -> str | None:
    """NAME from the environment, else the file named by NAME_FILE (environment or .pg/env)."""
    value = os.environ.get(name) or None
    path = os.environ.get(f"{name}_FILE") or file_values.get(f"{name}_FILE")
    if value is None and path and Path(path).is_file():
        value = Path(path).read_text().strip()
    return value


def load() -> Settings:
    file_values = read_env_file(pg_dir() / "env")
    source = os.environ.get("SOURCE_DSN") or file_values.get("SOURCE_DSN")
    warehouse = os.environ.get("WAREHOUSE_DSN") or file_values.get("WAREHOUSE_DSN")
    analyst = os.environ.get("ELT_ANALYST_DSN") or as_role(warehouse, ANALYST)
    # Exported from .pg/env (`set -a; . .pg/env`) is still the embedded source.
    embedded = source is not None and source == file_values.get("SOURCE_DSN")
    passwords = {OWNER: _secret("ELT_OWNER_PASSWORD", file_values),
                 ANALYST: _secret("ELT_ANALYST_PASSWORD", file_values)}
    return Settings(source, warehouse, embedded, _secret("ELT_REPLICATION_PASSWORD", file_values),
                    analyst, {k: v for k, v in passwords.items() if v})


def mask(dsn: str) -> str:
    """The DSN as it may be shown to a person: any password replaced by ***."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    if "password" in params:
        params["password"] = "***"
    return psycopg.conninfo.make_conninfo(**params)
