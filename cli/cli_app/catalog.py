"""The data catalogue: every schema, table, view and column of the project's layers in the
warehouse, with its comment, its lineage (cli_app/lineage.py, as `cli-app lineage` shows it) and
which columns hold personal data (elt.personal_columns). The dbt-docs of this warehouse: served
at /catalog by `cli-app serve`, written as static files by `cli-app catalog --output DIR`.

It reads catalogs and elt.personal_columns, which the analyst role may not read, so it connects
as the deployer, like `cli-app lineage` and `status`; nothing from a request reaches a query."""

import html
import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from cli_app.db import connect

SCHEMAS = ("operations", "staging", "clean", "analytics", "elt")
KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}
CACHE_SECONDS = 60


def build(conn: psycopg.Connection) -> dict:
    """The catalogue as plain data (the JSON file, and what the page is drawn from)."""
    from cli_app import lineage  # sqlglot: imported where SQL is parsed only
    schemas = [dict(zip(("name", "comment"), r)) for r in conn.execute(
        "select n.nspname, obj_description(n.oid, 'pg_namespace') from pg_namespace n"
        " where n.nspname = any(%s) order by array_position(%s, n.nspname::text)",
        [list(SCHEMAS), list(SCHEMAS)]).fetchall()]
    personal = {}
    if conn.execute("select to_regclass('elt.personal_columns') is not null").fetchone()[0]:
        personal = {(s, t, c): (k, h) for s, t, c, k, h in conn.execute(
            "select schema_name, table_name, column_name, kind, holds from elt.personal_columns").fetchall()}
    relations = conn.execute(
        "select n.nspname, c.relname, c.relkind, obj_description(c.oid, 'pg_class'), c.oid"
        " from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition"
        " order by n.nspname, c.relname", [list(SCHEMAS)]).fetchall()
    columns: dict[int, list] = {}
    for oid, name, typ, comment in conn.execute(
            "select a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod),"
            " col_description(a.attrelid, a.attnum) from pg_attribute a"
            " join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = any(%s) and a.attnum > 0 and not a.attisdropped"
            " order by a.attrelid, a.attnum", [list(SCHEMAS)]).fetchall():
        columns.setdefault(oid, []).append((name, typ, comment))
    by_schema = {s["name"]: [] for s in schemas}
    for schema, name, kind, comment, oid in relations:
        entry = {"name": name, "kind": KINDS[kind], "comment": comment, "columns": [
            {"name": c, "type": t, "comment": d,
             "personal": personal[(schema, name, c)][0] if (schema, name, c) in personal else None,
             "personal_holds": personal[(schema, name, c)][1] if (schema, name, c) in personal else None}
            for c, t, d in columns.get(oid, [])]}
        if KINDS[kind] in ("view", "materialized view"):
            try:
                with conn.transaction():
                    tree = lineage.lineage(conn, f"{schema}.{name}")
                entry["lineage"] = lineage.render(tree)[1:]
                entry["base_tables"] = {t: sorted(c) for t, c in sorted(lineage.base_tables(tree).items())}
            except Exception as e:  # a definition sqlglot cannot parse: say so, list the rest
                entry["lineage"] = [f"(not traced: {type(e).__name__})"]
                entry["base_tables"] = {}
        by_schema[schema].append(entry)
    for s in schemas:
        s["relations"] = by_schema[s["name"]]
    return {"built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "database": conn.info.dbname, "schemas": schemas}


def render(catalogue: dict) -> str:
    """One self-contained HTML page: an index of schemas and relations, then each relation."""
    e = html.escape
    out = [PAGE_HEAD, f"<h1>Data catalogue <small>{e(catalogue['database'])}, built "
                      f"{e(catalogue['built_at'])}</small></h1>",
           "<p>Every schema, table, view and column of the warehouse's layers, with its comment, "
           "its lineage down to the base tables, and the columns that hold "
           "<span class='personal'>personal data</span> (<code>elt.personal_columns</code>).</p><nav>"]
    for s in catalogue["schemas"]:
        out.append(f"<div><a href='#{e(s['name'])}'><b>{e(s['name'])}</b></a>: "
                   + ", ".join(f"<a href='#{e(s['name'])}.{e(r['name'])}'>{e(r['name'])}</a>"
                               for r in s["relations"]) + "</div>")
    out.append("</nav>")
    for s in catalogue["schemas"]:
        out.append(f"<h2 id='{e(s['name'])}'>schema {e(s['name'])}</h2><p>{e(s['comment'] or '')}</p>")
        for r in s["relations"]:
            anchor = f"{s['name']}.{r['name']}"
            out.append(f"<section id='{e(anchor)}'><h3>{e(anchor)} <small>{e(r['kind'])}</small></h3>"
                       f"<p>{e(r['comment'] or '(no comment)')}</p>"
                       "<table><tr><th>column</th><th>type</th><th>comment</th><th>personal</th></tr>")
            for c in r["columns"]:
                flag = (f"<span class='personal' title='{e(c['personal_holds'] or '')}'>{e(c['personal'])}</span>"
                        if c["personal"] else "")
                out.append(f"<tr><td><code>{e(c['name'])}</code></td><td>{e(c['type'])}</td>"
                           f"<td>{e(c['comment'] or '')}</td><td>{flag}</td></tr>")
            out.append("</table>")
            if r.get("lineage"):
                out.append("<details><summary>lineage</summary><pre>"
                           + e("\n".join(r["lineage"])) + "</pre>"
                           + "<p>base tables: " + "; ".join(
                               f"<a href='#{e(t)}'>{e(t)}</a>" + (f" ({e(', '.join(c))})" if c else "")
                               for t, c in r["base_tables"].items()) + "</p></details>")
            out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)


PAGE_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data catalogue</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5rem auto; max-width: 1100px; color: #1d2733; padding: 0 1rem; }
h1 small, h3 small { color: #6b7785; font-weight: normal; font-size: 0.8em; }
nav div { margin: 0.2rem 0; } nav a { color: #3b7dd8; }
section { border-top: 1px solid #e3e7ec; padding: 0.4rem 0; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 2px 8px; border-bottom: 1px solid #eef1f4; vertical-align: top; }
th { color: #6b7785; font-weight: 500; } pre { background: #f5f7fa; padding: 0.5rem; overflow: auto; }
.personal { background: #fdecea; color: #a93226; padding: 0 4px; border-radius: 3px; }
</style></head><body>"""


def write(directory: Path, catalogue: dict) -> list[Path]:
    """index.html and catalog.json in `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    page, data = directory / "index.html", directory / "catalog.json"
    page.write_text(render(catalogue))
    data.write_text(json.dumps(catalogue, indent=2) + "\n")
    return [page, data]


_cache: dict = {"at": 0.0, "html": None}
_lock = threading.Lock()


def cached_html(settings) -> str:
    """The page for /catalog, rebuilt at most once a minute: it changes with a deploy, not with data."""
    with _lock:
        if _cache["html"] is None or time.monotonic() - _cache["at"] > CACHE_SECONDS:
            with connect(settings.warehouse_dsn, "warehouse", autocommit=True) as conn:
                _cache["html"] = render(build(conn))
            _cache["at"] = time.monotonic()
        return _cache["html"]
