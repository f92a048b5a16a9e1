"""The commands that write into the source (generate, traffic, watch in
cli_app/commands/pipeline.py) write only into the embedded source unless told otherwise, and
watch's lag probe is the project's own heartbeat row, never a row of the shop's (issue 9,
point 8)."""

import pytest

from cli_support import cli_env, invoke, run_cli  # noqa: F401
from conftest import TABLES, SOURCE_PORT, dsn

WRITERS = [("generate", "--orders", "20", "--seed", "3"), ("traffic", "tick"), ("traffic", "start"),
           ("watch", "--seconds", "1", "--every", "0.5")]


def shop_rows(source) -> dict[str, int]:
    return {t: source.execute(f"select count(*) from operations.{t}").fetchone()[0] for t in TABLES}


def heartbeat(conn) -> int:
    return conn.execute("select beat from elt.heartbeat").fetchone()[0]


@pytest.mark.parametrize("args", WRITERS, ids=[" ".join(a[:2]) for a in WRITERS])
def test_a_source_that_is_not_the_embedded_one_is_refused(run_cli, source, args):
    source.execute("call shop.add_customers(3)")
    source.execute("call shop.add_products(3)")
    before, beat = shop_rows(source), heartbeat(source)
    result = run_cli(*args)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: refusing to write ")
    assert "it is not the embedded source (.pg/env)" in line and "--allow-source-writes" in line
    assert shop_rows(source) == before and heartbeat(source) == beat


def test_the_embedded_source_is_written_without_asking(run_cli, source, tmp_path):
    """The embedded source is the one .pg/env names: `make up` writes it, and it is ours."""
    pg_dir = tmp_path / "pg"
    pg_dir.mkdir()
    embedded = dsn(SOURCE_PORT, source.info.dbname)
    (pg_dir / "env").write_text(f"SOURCE_DSN='{embedded}'\n")
    result = run_cli("generate", "--orders", "20", "--seed", "3", env={"ELT_PG_DIR": str(pg_dir)})
    assert result.returncode == 0, result.stderr
    assert shop_rows(source)["orders"] == 20


def test_the_flag_or_its_variable_allows_another_source(run_cli, source):
    assert run_cli("generate", "--orders", "10", "--allow-source-writes").returncode == 0
    assert run_cli("generate", "--orders", "10", env={"ELT_ALLOW_SOURCE_WRITES": "1"}).returncode == 0
    assert shop_rows(source)["orders"] == 20


def test_watch_probes_with_the_heartbeat_and_leaves_the_shop_alone(run_cli, source, warehouse, replication):
    source.execute("call shop.add_customers(3)")
    replication.start()
    before, beat = shop_rows(source), heartbeat(source)
    result = run_cli("watch", "--seconds", "2", "--every", "0.5", "--allow-source-writes")
    assert result.returncode == 0, result.stderr
    probes = [line for line in result.stdout.splitlines() if line.rstrip().endswith("ms")]
    assert len(probes) >= 2, result.stdout
    assert shop_rows(source) == before
    assert heartbeat(source) >= beat + len(probes)
    replication.catch_up()
    assert heartbeat(warehouse) == heartbeat(source)
    # The heartbeat is published beside the four tables, and nothing else is.
    published = {r[0] for r in source.execute(
        "select schemaname || '.' || tablename from pg_publication_tables where pubname = 'elt_operations'")}
    assert published == {f"operations.{t}" for t in TABLES} | {"elt.heartbeat"}
