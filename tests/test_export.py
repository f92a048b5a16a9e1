"""cli_app/export.py and export-all: an export never replaces a file it was not asked to, two
exports in the same second both survive, and export-all reads every query in one snapshot that
its manifest records (issue 9, point 9)."""

import csv
import hashlib
import io
import json
import re
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest

from cli_app import export
from cli_support import cli_env, invoke, queries_dir, run_cli  # noqa: F401

STAMP = r"\d{8}_\d{6}"


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def test_an_existing_output_is_refused_unless_forced(invoke, queries_dir, tmp_path):
    env = {"ELT_QUERIES_DIR": str(queries_dir)}
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    precious = tmp_path / "precious.csv"
    precious.write_text("do not lose me\n")
    refused = invoke("--query", "numbers", "--output", str(precious), env=env)
    assert refused.exit_code == 1
    assert refused.output.strip() == f"Error: {precious} exists: pass --force to overwrite it, or choose another --output"
    assert precious.read_text() == "do not lose me\n" and names(tmp_path) == ["precious.csv"]
    forced = invoke("--query", "numbers", "--output", str(precious), "--force", env=env)
    assert forced.exit_code == 0, forced.output
    assert precious.read_text().startswith("n,x,d\n")


def test_exports_in_the_same_second_keep_every_file(invoke, queries_dir, tmp_path):
    env = {"ELT_QUERIES_DIR": str(queries_dir)}
    # Whatever second the exports land in, its name is taken already.
    now = datetime.now()
    taken = [tmp_path / f"numbers_result_{(now + timedelta(seconds=s)).strftime('%Y%m%d_%H%M%S')}.csv"
             for s in range(0, 5)]
    for path in taken:
        path.write_text("earlier export\n")
    for _ in range(3):
        result = invoke("--query", "numbers", "--export", "--output-dir", str(tmp_path), env=env)
        assert result.exit_code == 0, result.output
    assert all(path.read_text() == "earlier export\n" for path in taken)
    new = [n for n in names(tmp_path) if re.fullmatch(rf"numbers_result_{STAMP}_\d\.csv", n)]
    assert len(new) == 3, names(tmp_path)
    assert all((tmp_path / n).read_text().startswith("n,x,d\n") for n in new)


def test_a_file_that_appears_while_the_export_runs_is_kept(tmp_path):
    path = tmp_path / "out.csv"
    target = export.Target("csv", path)
    with pytest.raises(click.ClickException) as refused:
        with export.atomic_file(target) as out:
            out.write(b"new rows\n")
            path.write_text("someone else's file\n")
    assert "appeared while the export ran" in refused.value.message
    assert path.read_text() == "someone else's file\n" and names(tmp_path) == ["out.csv"]


def test_export_all_reads_one_snapshot_and_records_it(run_cli, source, warehouse, replication, tmp_path):
    source.execute("call shop.add_customers(5)")
    source.execute("call shop.add_products(5)")
    source.execute("call shop.place_orders(20)")
    replication.start()
    queries = tmp_path / "q"
    queries.mkdir()
    # The first query holds the export long enough for orders to arrive before the second reads.
    (queries / "a_open_then_wait.sql").write_text(
        "-- Open orders, then a pause.\n"
        "select (select sum(open_orders) from analytics.open_orders) as open, pg_sleep(3) is null as waited\n")
    (queries / "b_open_again.sql").write_text(
        "-- Open orders again.\nselect sum(open_orders) as open from analytics.open_orders\n")
    out = tmp_path / "out"
    out.mkdir()

    def more_orders():
        time.sleep(1)
        source.execute("call shop.place_orders(7)")
        replication.catch_up()

    writer = threading.Thread(target=more_orders)
    writer.start()
    result = run_cli("export-all", "a_open_then_wait", "b_open_again", "--output-dir", str(out),
                     env={"ELT_QUERIES_DIR": str(queries)})
    writer.join()
    assert result.returncode == 0, result.stderr
    [manifest_name] = [n for n in names(out) if n.startswith("export_manifest_")]
    manifest = json.loads((out / manifest_name).read_text())
    first, second = (list(csv.DictReader(io.StringIO((out / f["file"]).read_text())))[0]["open"]
                     for f in manifest["files"])
    now = warehouse.execute("select sum(open_orders) from analytics.open_orders").fetchone()[0]
    # The orders arrived during the export, and neither file saw them.
    assert int(first) == int(second) == now - 7
    assert re.fullmatch(r"\d+:\d+:[\d,]*", manifest["snapshot"]) and manifest["isolation"] == "repeatable read"
    assert manifest["user"] == "elt_analyst" and manifest["taken_at"]
    assert [f["query"] for f in manifest["files"]] == ["a_open_then_wait", "b_open_again"]
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["file"]).read_bytes()).hexdigest() == f["sha256"]
    assert {re.sub(STAMP, "T", n) for n in names(out)} == {
        "a_open_then_wait_result_T.csv", "b_open_again_result_T.csv", "export_manifest_T.json"}


def test_export_all_records_a_failed_query_in_the_manifest(run_cli, queries_dir, tmp_path):
    (queries_dir / "broken.sql").write_text("-- Divides by zero.\nselect 1 / 0 as x\n")
    result = run_cli("export-all", "broken", "numbers", "--output-dir", str(tmp_path),
                     env={"ELT_QUERIES_DIR": str(queries_dir)})
    assert result.returncode == 1 and "FAILED broken: division by zero" in result.stderr
    [manifest_name] = [n for n in names(tmp_path) if n.startswith("export_manifest_")]
    files = json.loads((tmp_path / manifest_name).read_text())["files"]
    assert files[0]["query"] == "broken" and "division by zero" in files[0]["error"] and "file" not in files[0]
    assert files[1]["query"] == "numbers" and files[1]["rows"] == 3


def test_a_copy_export_has_every_row_and_one_that_fails_midway_leaves_no_file(invoke, tmp_path):
    # Enough rows that libpq buffers many at a time, so export.copy_out takes the end itself.
    whole = tmp_path / "whole.csv"
    done = invoke("sql", "select i, md5(i::text) as h from generate_series(1, 50000) as i", "--output", str(whole))
    assert done.exit_code == 0, done.output
    assert "wrote 50000 row(s)" in done.output
    lines = whole.read_text().splitlines()
    assert len(lines) == 50001 and lines[0] == "i,h" and lines[-1].startswith("50000,")
    broken = tmp_path / "broken.csv"
    failed = invoke("sql", "select 1 / (i - 40000) as n from generate_series(1, 50000) as i", "--output", str(broken))
    assert failed.exit_code == 1 and "division by zero" in failed.output
    assert names(tmp_path) == ["whole.csv"]
    # The connection is usable after it: the next export in the same process works.
    again = invoke("sql", "select 1 as one", "--output", str(tmp_path / "again.csv"))
    assert again.exit_code == 0, again.output


def test_a_large_export_is_whole_however_it_is_written(invoke, tmp_path, monkeypatch):
    # A writeback every 64 kB, so this 2 MB file is handed to the disk in many pieces, and JSON
    # rows across several fetched batches: every byte still lands, in order.
    monkeypatch.setattr(export, "WRITEBACK_BYTES", 1 << 16)
    monkeypatch.setattr(export, "JSON_BATCH", 1_000)
    as_csv = tmp_path / "rows.csv"
    done = invoke("sql", "select i, md5(i::text) as h from generate_series(1, 50000) as i", "--output", str(as_csv))
    assert done.exit_code == 0, done.output
    assert as_csv.read_text() == "i,h\n" + "".join(f"{i},{hashlib.md5(str(i).encode()).hexdigest()}\n"
                                                    for i in range(1, 50001))
    as_json = tmp_path / "rows.json"
    done = invoke("sql", "select i from generate_series(1, 2500) as i", "--output", str(as_json))
    assert done.exit_code == 0, done.output
    assert json.loads(as_json.read_text()) == [{"i": i} for i in range(1, 2501)]
