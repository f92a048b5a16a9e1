"""cli_app/api.py, catalog.py, web/dashboard.html, commands/serve.py (serve, catalog) and the
lineage they show: the HTTP API against the CLI and the recomputes, its safety rules, the
OpenAPI contract (schemathesis), the dashboard in a real browser (Playwright driving Debian's
chromium), and the catalogue.

One replicated pair and one `cli-app serve` subprocess serve the whole module: starting them
costs more than all the checks together."""

import json
import os
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from click.testing import CliRunner
from pytest_postgresql.janitor import DatabaseJanitor

from cli_app import deploy
from cli_app.main import cli
from conftest import REPO, SOURCE_PORT, WAREHOUSE_PORT, Replication, dsn

CLI_APP = str(REPO / ".venv" / "bin" / "cli-app")
PORT = int(os.environ.get("ELT_TEST_SERVE_PORT", 18010))
BASE = f"http://127.0.0.1:{PORT}"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = REPO / "docs" / "dashboard.png"


@contextmanager
def database(server, name: str):
    """A database of this module's own, cloned from the migrated template of `server`."""
    janitor = DatabaseJanitor(user=server.user, host=server.host, port=server.port, dbname=name,
                              template_dbname=server.template_dbname, password=server.password)
    janitor.drop()
    with janitor:
        conn = psycopg.connect(dsn(server.port, name), autocommit=True)
        try:
            yield conn
        finally:
            conn.close()


@pytest.fixture(scope="module")
def pair(source_server, warehouse_server):
    """A replicated source and warehouse with a day or so of simulated shop traffic."""
    with database(source_server, "serve_source") as source, database(warehouse_server, "serve_warehouse") as warehouse:
        deploy.database_privileges(warehouse)
        replication = Replication(source, warehouse).start()
        try:
            for _ in range(3):
                source.execute("call shop.simulate(8)")
            replication.catch_up()
            # The metrics read the star tables, which pg_cron advances in production.
            warehouse.execute("call elt.advance_star()")
            yield source, warehouse, replication
        finally:
            replication.stop()


@pytest.fixture(scope="module")
def env(pair, tmp_path_factory) -> dict[str, str]:
    source, warehouse, replication = pair
    return {"SOURCE_DSN": dsn(SOURCE_PORT, source.info.dbname),
            "WAREHOUSE_DSN": dsn(WAREHOUSE_PORT, warehouse.info.dbname),
            "ELT_PG_DIR": str(tmp_path_factory.mktemp("no-pg-dir")),
            "ELT_QUERIES_DIR": "", "ELT_SUBSCRIPTION": replication.name}


@pytest.fixture(scope="module")
def server(env):
    """`cli-app serve` as a real process, the way a user starts it."""
    process = subprocess.Popen([CLI_APP, "serve", "--port", str(PORT), "--refresh-seconds", "1",
                                "--statement-timeout", "2"],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                # Up, and the background lag probe has reported once.
                fresh = httpx.get(f"{BASE}/analytics/orders/product", timeout=5).json()["freshness"]
                if fresh["lag_measured_at"]:
                    break
            except (httpx.HTTPError, KeyError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"cli-app serve did not start: {process.communicate(timeout=5)}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        try:
            _, stderr = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    assert "Traceback" not in stderr, stderr


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=BASE, timeout=30) as client:
        yield client


def cli_json(env, *args) -> list[dict]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--output", "-"], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


ENDPOINTS = {
    "open_orders": ("/analytics/orders?status=open", []),
    "top_dates": ("/analytics/orders/top?limit=3", ["--param", "limit=3"]),
    "pending_items": ("/analytics/orders/product", []),
    "top_customers": ("/analytics/orders/customers?status=open&limit=3", ["--param", "limit=3"]),
}


@pytest.mark.parametrize("name", ENDPOINTS)
def test_each_answer_equals_the_cli_and_carries_its_freshness(api, env, pair, name):
    path, params = ENDPOINTS[name]
    body = api.get(path).json()
    assert body["query"] == name
    assert body["rows"] == cli_json(env, "--query", name, *params)
    assert body["rows"], "the simulated traffic left open orders"
    fresh = body["freshness"]
    assert fresh["as_of"] and fresh["lag_measured_at"]
    assert fresh["replication_lag_seconds"] is not None and fresh["replication_lag_bytes"] is not None
    aggregate = {"open_orders": "open_orders", "top_dates": "open_orders_by_date",
                 "pending_items": "pending_items", "top_customers": "pending_orders"}[name]
    assert [a["aggregate"] for a in fresh["aggregates"]] == [aggregate]


def test_the_filters_of_the_query_files_are_the_apis_too(api, env, pair):
    _, warehouse, _ = pair
    day, status = warehouse.execute("select delivery_date, status from analytics.open_orders"
                                    " where delivery_date is not null order by open_orders desc limit 1").fetchone()
    served = api.get("/analytics/orders", params={"status": status, "delivery_from": day.isoformat(),
                                                  "delivery_to": day.isoformat()}).json()
    assert served["rows"] == cli_json(env, "--query", "open_orders", "--param", f"status={status}",
                                      "--param", f"delivery_from={day}", "--param", f"delivery_to={day}")
    assert [(r["delivery_date"], r["status"]) for r in served["rows"]] == [(day.isoformat(), status)]
    # A day is YYYY-MM-DD: a number (which pydantic would read as a Unix time) is refused.
    for wrong in ("0.0", "1700000000", "24/11/2026"):
        refused = api.get("/analytics/orders", params={"delivery_from": wrong})
        assert refused.status_code == 422 and "YYYY-MM-DD" in refused.text, (wrong, refused.text)
    product = api.get("/analytics/orders/product").json()["rows"][0]
    assert api.get("/analytics/orders/product", params={"product_id": product["product_id"]}).json()["rows"] == [product]


def test_limit_is_honest_beyond_three_with_the_recompute_tie_rules(api, pair):
    _, warehouse, _ = pair
    dates = warehouse.execute(
        "select delivery_date, open_orders from analytics.open_orders_by_date_recompute"
        " order by open_orders desc, delivery_date asc nulls last limit 10").fetchall()
    served = api.get("/analytics/orders/top", params={"limit": 10}).json()["rows"]
    assert [(r["delivery_date"], r["open_orders"]) for r in served] == [
        (d.isoformat() if d else None, n) for d, n in dates]
    customers = warehouse.execute(
        "select customer_id, pending_orders from analytics.pending_orders_recompute"
        " order by pending_orders desc, customer_id limit 12").fetchall()
    assert len(customers) > 3, "enough customers to rank past the names"
    served = api.get("/analytics/orders/customers", params={"limit": 12}).json()["rows"]
    assert [(r["customer_id"], r["pending_orders"]) for r in served] == customers
    # Names are personal data: the three the question asks for, and nobody else's.
    names = dict(warehouse.execute("select customer_id, customer_name from clean.customers").fetchall())
    assert [r["customer_name"] for r in served[:3]] == [names[r["customer_id"]] for r in served[:3]]
    assert all(r["customer_name"] is None for r in served[3:])


@pytest.mark.parametrize("path, says", [
    ("/analytics/orders/top?limit=1001", "limit: Input should be less than or equal to 1000"),
    ("/analytics/orders/top?limit=0", "limit: Input should be greater than or equal to 1"),
    ("/analytics/orders/top?limit=3;drop%20schema%20analytics", "limit: Input should be a valid integer"),
    ("/analytics/orders/customers?status=closed", "status: Input should be 'open'"),
    ("/analytics/orders?status=open'--", "status: Input should be 'open'"),
    ("/analytics/metrics/x%27%3B%20drop%20table%20y", "name: String should match pattern"),
])
def test_bad_parameters_get_422_with_a_clear_message_and_no_trace(api, path, says):
    response = api.get(path)
    assert response.status_code == 422
    assert says in response.json()["detail"]
    assert "Traceback" not in response.text and "File \"" not in response.text


def test_answers_are_read_as_the_analyst_under_a_statement_timeout(api, pair):
    _, warehouse, _ = pair
    api.get("/analytics/orders/product")
    users = warehouse.execute(
        "select distinct usename from pg_stat_activity"
        " where application_name = 'cli-app serve' and datname = current_database()").fetchall()
    assert users == [("elt_analyst",)]
    # An answer stuck behind a lock ends at the statement timeout (--statement-timeout 2): 504.
    with psycopg.connect(dsn(WAREHOUSE_PORT, warehouse.info.dbname)) as blocker:
        blocker.execute("lock table analytics.pending_items_maintained in access exclusive mode")
        stuck = api.get("/analytics/orders/product")
        blocker.rollback()
    assert stuck.status_code == 504
    assert stuck.json() == {"detail": "the query ran past the statement timeout of 2s"}
    assert api.get("/analytics/orders/product").status_code == 200


def test_health_is_the_status_report_and_503_when_unhealthy(api, env):
    response = api.get("/health")
    report = response.json()
    status = CliRunner().invoke(cli, ["status", "--json"], env=env)
    assert {c["name"] for c in report["checks"]} == {c["name"] for c in json.loads(status.output)["checks"]}
    assert response.status_code == (200 if report["healthy"] else 503)
    assert status.exit_code == (0 if report["healthy"] else 1)


def test_every_metric_is_served(api, pair):
    _, warehouse, _ = pair
    catalogue = api.get("/analytics/metrics").json()
    assert catalogue["available"] and catalogue["metrics"]
    served_rows = 0
    for metric in catalogue["metrics"]:
        view = metric["view_name"].split(".")[-1]
        expected = warehouse.execute(psycopg.sql.SQL("select count(*) from {}").format(
            psycopg.sql.Identifier("analytics", view))).fetchone()[0]
        served = api.get(f"/analytics/metrics/{metric['metric']}").json()
        assert len(served["rows"]) == expected and served["freshness"]["as_of"]
        served_rows += expected
    assert served_rows > 0, "the pair's metrics are empty: nothing above was compared"
    unknown = api.get("/analytics/metrics/no_such_metric")
    assert unknown.status_code == 404 and "no metric named 'no_such_metric'" in unknown.json()["detail"]
    flags = api.get("/analytics/anomalies").json()
    assert flags["available"] is (warehouse.execute(
        "select to_regclass('analytics.anomaly_flags_today') is not null").fetchone()[0])


def test_the_openapi_spec_names_every_endpoint_and_its_limits(api):
    spec = api.get("/openapi.json").json()
    assert set(spec["paths"]) >= {"/analytics/orders", "/analytics/orders/top", "/analytics/orders/product",
                                  "/analytics/orders/customers", "/analytics/metrics/{name}", "/health"}
    limit = next(p for p in spec["paths"]["/analytics/orders/top"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == 1000 and limit["schema"]["minimum"] == 1


def test_the_api_keeps_its_contract_under_generated_requests(server):
    """schemathesis against the published spec, valid and invalid requests for every operation:
    each response conforms to the spec, invalid input is refused, and nothing answers 5xx.
    /health is left out: it answers 503 while the test pair has no maintenance jobs, and its own
    test covers it."""
    from schemathesis.generation import GenerationMode
    schema = schemathesis.openapi.from_url(f"{BASE}/openapi.json").exclude(path="/health")
    failures = []
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            # Invalid requests only where there is something to get wrong: a parameter.
            takes = operation.definition.raw.get("parameters")
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)[:2 if takes else 1]:
                @settings(max_examples=20, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
                @given(case=operation.as_strategy(generation_mode=mode))
                def check(case):
                    case.call_and_validate(base_url=BASE, session=session)
                try:
                    check()
                except Exception as e:  # every operation is tried; the failures are reported together
                    failures.append(f"{operation.label} ({mode.value}): {e}")
    assert not failures, "\n\n".join(failures)


def test_the_dashboard_shows_the_numbers_the_api_gives(api, tmp_path):
    """Chromium (Debian's package) opens the dashboard; every number shown equals the API's."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{BASE}/")
            page.wait_for_selector("body[data-loaded=true]", timeout=30_000)
            # A second round proves it redraws by itself (--refresh-seconds 1).
            page.wait_for_function("Number(document.body.dataset.rounds) >= 2", timeout=30_000)
            shown = {name: page.eval_on_selector_all(
                f'[data-table="{name}"] tbody tr',
                "rows => rows.map(r => Object.fromEntries([...r.querySelectorAll('td')]"
                ".map(td => [td.dataset.col, td.textContent])))")
                for name in ENDPOINTS}
            total = page.text_content('[data-answer="open_orders_total"]')
            freshness = page.text_content('[data-fresh="top_dates"]')
            page.screenshot(path=str(SCREENSHOT if os.environ.get("ELT_UPDATE_SCREENSHOT")
                                     else tmp_path / "dashboard.png"), full_page=True)
        finally:
            browser.close()
    assert not errors
    for name, (path, _) in ENDPOINTS.items():
        rows = api.get(path).json()["rows"]
        assert shown[name] == [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows], name
    assert total == str(sum(r["open_orders"] for r in api.get("/analytics/orders").json()["rows"]))
    assert "as of" in freshness and "replication lag" in freshness and "unknown" not in freshness


def test_the_catalogue_lists_every_relation_with_comments_lineage_and_personal_columns(api, env, pair, tmp_path):
    _, warehouse, _ = pair
    out = tmp_path / "catalog"
    result = CliRunner().invoke(cli, ["catalog", "--output", str(out)], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    catalogue = json.loads((out / "catalog.json").read_text())
    listed = {(s["name"], r["name"]) for s in catalogue["schemas"] for r in s["relations"]}
    expected = set(warehouse.execute(
        "select n.nspname::text, c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname in ('operations', 'staging', 'clean', 'analytics', 'elt')"
        " and c.relkind in ('r', 'p', 'v', 'm', 'f') and not c.relispartition").fetchall())
    assert listed == expected
    relations = {(s["name"], r["name"]): r for s in catalogue["schemas"] for r in s["relations"]}
    top = relations[("analytics", "top_customers")]
    assert top["comment"].startswith("Top 3 customers")
    assert {c["name"]: c["personal"] for c in top["columns"]} == {
        "customer_id": "linkable", "customer_name": "direct", "pending_orders": None}
    assert "staging.orders_changes" in top["base_tables"]
    assert all(c["comment"] for c in top["columns"])
    page = api.get("/catalog")
    assert page.status_code == 200 and "analytics.top_customers" in page.text
    assert (out / "index.html").read_text().count("<section") == len(expected)


def test_lineage_names_the_delta_functions_and_carries_only_used_columns(env):
    result = CliRunner().invoke(cli, ["lineage", "top_customers", "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    tree = json.loads(result.output)
    names = json.dumps(tree)
    assert '"clean."' not in names and "clean.orders_changed_since()" in names
    assert {"staging.orders_changes", "staging.customers_changes"} <= set(tree["base_tables"])
    # top_customers uses the customers' id and name, not their audit columns.
    assert tree["base_tables"]["operations.customers"] == ["customer_id", "customer_name"]
    open_orders = json.loads(CliRunner().invoke(cli, ["lineage", "open_orders", "--json"], env=env).output)
    for table, columns in open_orders["base_tables"].items():
        assert not {"created_by", "updated_by"} & set(columns), table
