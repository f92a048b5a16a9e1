"""Named queries: run one (the group's --query), list them, export them all."""

import hashlib
import json
import os
import sys
from pathlib import Path

import click
import psycopg

from cli_app import as_of as past, config, export, queries
from cli_app.db import connect
from cli_app.options import command, param_option, timeout_option


def run_named(name: str, params: dict, export_flag: bool, output_dir, output, fmt, timeout: float,
              dirs: tuple[str, ...] = (), force: bool = False, as_of: str | None = None) -> None:
    query = queries.find(name, dirs)
    bound = query.bind(params)
    sql_text = query.sql if as_of is None else past.rewrite(name, query.sql, as_of)
    target = export.resolve_target(name, export_flag, output_dir, output, fmt, force)
    run_and_report(sql_text, bound, target, timeout)


def run_and_report(sql_text: str, params, target: export.Target, timeout: float) -> None:
    with connect(config.load().analyst_dsn, "warehouse", role=config.ANALYST) as conn:
        rows, seconds = export.run(conn, sql_text, params, target, timeout)
    if target.path is not None:
        click.echo(f"wrote {rows} row(s) to {target.path} in {seconds:.2f}s", err=True)


@command("list")
@click.pass_context
def list_queries(ctx):
    """List the named queries: name, parameters and description.

    A query is a .sql file in cli_app/queries/, in a directory of ELT_QUERIES_DIR
    or of --queries-dir; its header comment is its description.

    Example: cli-app list
    """
    found = queries.load_all(ctx.obj["queries_dirs"])
    rows = [(q.name, ", ".join(f"{p.name}={p.default}" if p.default is not None else p.name
                               for p in q.params.values()), q.summary)
            for q in found.values()]
    click.echo(export.render_table(["name", "parameters", "description"], rows), nl=False)


@command("export-all")
@click.argument("names", nargs=-1)
@click.option("--output-dir", type=click.Path(file_okay=False),
              help="Directory for the files, created if missing [default: the current one].")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True,
              help="File format.")
@param_option
@timeout_option
@click.pass_context
def export_all(ctx, names, output_dir, fmt, params, timeout):
    """Export every named query (or the NAMES given) to NAME_result_<timestamp> files.

    Every query reads the same REPEATABLE READ snapshot, so the files agree with
    each other however the warehouse changes meanwhile; export_manifest_<timestamp>.json
    beside them records that snapshot, when it was taken, and each file with its
    rows and SHA-256. Parameters go to the queries that declare them. A query that
    fails is reported (and in the manifest) and the others still run; the exit
    code is then 1. Files never replace existing ones.

    Example: cli-app export-all --output-dir exports/ --format json
    """
    found = queries.load_all(ctx.obj["queries_dirs"])
    selected = [queries.find(n, ctx.obj["queries_dirs"]) for n in names] if names else list(found.values())
    unused = set(params) - {p for q in selected for p in q.params}
    if unused:
        raise click.ClickException(f"no selected query takes parameter(s) {', '.join(sorted(unused))}")
    # Check every query's parameters and the directory before writing anything.
    jobs = [(q, q.bind({k: v for k, v in params.items() if k in q.params})) for q in selected]
    directory = Path(output_dir or os.getcwd())
    export.make_directory(directory)
    when = export.stamp()
    failures: list[str] = []
    written: list[str] = []
    files: list[dict] = []
    with connect(config.load().analyst_dsn, "warehouse", role=config.ANALYST) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            snapshot = dict(zip(("snapshot", "taken_at", "user"), conn.execute(
                "select pg_current_snapshot()::text, now(), current_user").fetchone()))
            with click.progressbar(jobs, label="exporting", file=sys.stderr,
                                   item_show_func=lambda job: job[0].name if job else None) as bar:
                for query, bound in bar:
                    target = export.resolve_target(query.name, True, str(directory), None, fmt, when=when)
                    try:
                        rows, seconds = export.run_in(conn, query.sql, bound, target, timeout)
                    except click.ClickException as e:
                        failures.append(f"{query.name}: {e.message}")
                        files.append({"query": query.name, "params": bound, "error": e.message})
                        continue
                    written.append(f"{query.name}: {rows} row(s) in {seconds:.2f}s -> {target.path}")
                    files.append({"query": query.name, "params": bound, "file": target.path.name,
                                  "rows": rows, "sha256": sha256(target.path)})
    manifest = export.Target("json", directory / f"export_manifest_{when}.json", unique=True)
    with export.atomic_file(manifest) as out:
        out.write(json.dumps({**snapshot, "taken_at": snapshot["taken_at"].isoformat(),
                              "isolation": "repeatable read", "format": fmt, "files": files},
                             indent=2).encode() + b"\n")
    for line in written:
        click.echo(line)
    for line in failures:
        click.echo(f"FAILED {line}", err=True)
    click.echo(f"exported {len(written)} of {len(jobs)} queries in one snapshot; manifest {manifest.path}",
               err=True)
    if failures:
        sys.exit(1)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
