"""The HTTP API `cli-app serve` publishes: the four answers, the business metrics, the anomaly
flags and the health report as JSON, described by an OpenAPI spec at /openapi.json.

Why FastAPI: the spec is generated from the same type hints that validate the parameters, so
the published contract and the 422s cannot drift apart; its endpoints are async, which suits
psycopg's AsyncConnectionPool under many concurrent clients; it is Starlette underneath (small,
well kept) and the most used Python API framework, so readers know it. Flask and Django need
plug-ins for OpenAPI; Litestar does as much but fewer people know it.

Safety:
- Answers are read through a pool of connections logged in as elt_analyst (SELECT on analytics,
  nothing else), read-only by default and under a statement_timeout; each answer is one
  statement, so its rows and its freshness come from one snapshot.
- The SQL of an answer is its named-query file (cli_app/queries/), the one `cli-app --query`
  runs; parameters are validated here (422 otherwise) and bound by the driver. A metric's view
  is taken from analytics.metric_catalog by the name given, compared as a value, never pasted.
- Errors are JSON with one sentence; no stack trace is ever sent (it goes to the server log).
- The health report and the replication lag need the deployer's view of both servers, as
  `cli-app status` does: they run fixed catalog queries with no input in them."""

import asyncio
import json
import logging
import re
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from importlib import resources
from typing import Annotated, Any, Literal

import click
import psycopg
from fastapi import FastAPI, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from pydantic import BaseModel, BeforeValidator, Field
from starlette.concurrency import run_in_threadpool

from cli_app import config, health, queries, upkeep


def _iso_day(value: Any) -> Any:
    """A day in a query is written YYYY-MM-DD: pydantic alone would also take `0.0` (a Unix time)
    and answer for 1970-01-01, which nobody asked for."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a day is written YYYY-MM-DD")
    return value


# A calendar day in a query string, only as YYYY-MM-DD.
IsoDay = Annotated[date, BeforeValidator(_iso_day)]

log = logging.getLogger("cli_app.api")

# `open`: every status but COMPLETED, what the answers count; or one of those statuses alone.
OrderStatus = Literal["open", "PENDING", "PROCESSING", "REPROCESSING"]
# Pending orders per customer are counted over every open status together.
Status = Literal["open"]
METRIC_NAME = r"^[a-z][a-z0-9_]{0,62}$"
FRESHNESS_JSON = ("select coalesce(json_agg(f), '[]')::text from (select aggregate, folded_at, changes_pending,"
                  " last_change_applied_at from analytics.freshness order by aggregate) as f")
# A metric view answers one row per period: a cap keeps a mistaken declaration from sending millions.
METRIC_MAX_ROWS = 10_000


@dataclass
class ServeOptions:
    analyst_dsn: str | None
    settings: config.Settings
    subscription: str
    pool_size: int = 8
    statement_timeout: float = 5.0
    refresh_seconds: float = 5.0
    lag_every: float = 2.0
    limits: upkeep.Limits | None = None


class AggregateFreshness(BaseModel):
    aggregate: str = Field(description="Aggregate the answer reads (elt.aggregate).")
    folded_at: datetime | None = Field(description="When its maintained part last moved (fold or rebuild).")
    changes_pending: int | None = Field(description="Changelog ids drawn since: what the answer reads besides the maintained part.")


class Freshness(BaseModel):
    as_of: datetime | None = Field(
        description="When the warehouse applied the newest replicated change: the answer includes every change up to then (the watermark plus the delta since).")
    aggregates: list[AggregateFreshness] = Field(description="The watermark of each aggregate the answer reads.")
    replication_lag_seconds: float | None = Field(
        description="How far the warehouse is behind the source (as `cli-app status` measures it); null when it cannot be measured.")
    replication_lag_bytes: int | None = Field(description="WAL the source's slot has not had confirmed.")
    lag_measured_at: datetime | None = Field(description="When the lag was last measured (every few seconds).")


class OpenOrdersRow(BaseModel):
    delivery_date: date | None
    status: str
    open_orders: int


class TopDatesRow(BaseModel):
    delivery_date: date | None
    open_orders: int


class PendingItemsRow(BaseModel):
    product_id: int | None
    pending_items: int


class TopCustomersRow(BaseModel):
    customer_id: int | None
    customer_name: str | None = Field(description="Only for the top 3 (personal data); null below them.")
    pending_orders: int


class Answer(BaseModel):
    query: str = Field(description="The named query (cli_app/queries/NAME.sql) that produced it.")
    params: dict[str, Any]
    freshness: Freshness


class OpenOrders(Answer):
    rows: list[OpenOrdersRow]


class TopDates(Answer):
    rows: list[TopDatesRow]


class PendingItems(Answer):
    rows: list[PendingItemsRow]


class TopCustomers(Answer):
    rows: list[TopCustomersRow]


class Metric(BaseModel):
    metric: str
    view_name: str
    grain: str | None
    description: str | None


class MetricCatalog(BaseModel):
    available: bool = Field(description="False when this warehouse has no analytics.metric_catalog.")
    metrics: list[Metric]


class MetricRows(BaseModel):
    metric: Metric
    columns: list[str]
    rows: list[dict[str, Any]]
    freshness: Freshness


class Anomalies(BaseModel):
    available: bool = Field(description="False when this warehouse has no analytics.anomaly_flags_today.")
    rows: list[dict[str, Any]]
    freshness: Freshness


class Problem(BaseModel):
    detail: Any


def iso(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def plain(value):
    """A database value as JSON: integral numerics as integers, dates in ISO 8601."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


class Lag:
    """The replication lag, measured every few seconds in the background (one probe of each
    server, whatever the request rate) and attached to every answer."""

    def __init__(self, settings: config.Settings, subscription: str):
        self.settings, self.subscription = settings, subscription
        self.seconds = self.bytes = self.measured_at = None
        self.failing: str | None = None

    def measure(self) -> None:
        try:
            with psycopg.connect(self.settings.warehouse_dsn, connect_timeout=5, autocommit=True) as w:
                progress = health.subscription_progress(w, self.subscription)
            with psycopg.connect(self.settings.source_dsn, connect_timeout=5, autocommit=True) as s:
                slot = health.slot_wal(s, self.subscription)
            current = health.lag(progress, slot)
            self.seconds, self.bytes = current.seconds, current.bytes
            if self.failing:
                log.warning("replication lag measured again")
            self.failing = None
        except (psycopg.Error, TypeError) as e:
            reason = str(e).splitlines()[0] if str(e) else type(e).__name__
            if reason != self.failing:  # once per cause, not every 2 s
                log.warning("replication lag not measured (answers carry null): %s", reason)
            self.failing = reason
            self.seconds = self.bytes = None
        self.measured_at = datetime.now(timezone.utc)

    async def run(self, every: float) -> None:
        while True:
            await run_in_threadpool(self.measure)
            await asyncio.sleep(every)


def aggregates_read(sql_text: str, known: list[str]) -> list[str]:
    """The aggregates a query reads, by the names of their views and top-k functions in it."""
    return [a for a in known if re.search(rf"\banalytics\.{re.escape(a)}(_top)?\b", sql_text)]


def create_app(options: ServeOptions) -> FastAPI:
    named = queries.load_all()
    for needed in ("open_orders", "top_dates", "pending_items", "top_customers"):
        if needed not in named:
            raise click.ClickException(f"the named query {needed} is missing: the API serves it")

    def maximum(query: str) -> int:
        return named[query].params["limit"].maximum or 1000

    lag = Lag(options.settings, options.subscription)

    pool = AsyncConnectionPool(
        options.analyst_dsn or "", min_size=min(2, options.pool_size), max_size=options.pool_size,
        open=False, timeout=10, name="analyst",
        # Every answer is a single statement, so autocommit costs no consistency and saves the
        # BEGIN and COMMIT round trips; read-only is the server's default for these sessions.
        kwargs={"autocommit": True, "connect_timeout": 10, "application_name": "cli-app serve",
                "options": f"-c statement_timeout={int(options.statement_timeout * 1000)}"
                           " -c default_transaction_read_only=on"})

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await pool.open(wait=False)
        task = asyncio.create_task(lag.run(options.lag_every))
        try:
            yield
        finally:
            task.cancel()
            await pool.close()

    app = FastAPI(
        title="cli-app answers", version="1",
        description="Exact, always-current answers about open orders, read from the warehouse as the "
                    "read-only role elt_analyst. Every answer carries its freshness: when the newest "
                    "replicated change was applied, each aggregate's watermark, and the replication lag.",
        lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.pool, app.state.lag = pool, lag

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        messages = [f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"detail": "; ".join(messages)}, status_code=422)

    @app.exception_handler(click.ClickException)
    async def refused(request: Request, exc: click.ClickException):
        return JSONResponse({"detail": exc.message}, status_code=422)

    @app.exception_handler(psycopg.errors.QueryCanceled)
    async def too_slow(request: Request, exc):
        return JSONResponse({"detail": f"the query ran past the statement timeout of "
                                       f"{options.statement_timeout:g}s"}, status_code=504)

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(psycopg.OperationalError)
    async def unavailable(request: Request, exc):
        log.warning("warehouse unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return JSONResponse({"detail": "the warehouse cannot be reached or is too busy; try again shortly"},
                            status_code=503)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception):
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"detail": "internal error (the server log has the details)"}, status_code=500)

    def freshness_of(rows: list[dict], sql_text: str) -> dict:
        read = set(aggregates_read(sql_text, [r["aggregate"] for r in rows]))
        applied = max((r["last_change_applied_at"] for r in rows if r["last_change_applied_at"]), default=None)
        return {"as_of": applied,
                "aggregates": [{k: r[k] for k in ("aggregate", "folded_at", "changes_pending")}
                               for r in rows if r["aggregate"] in read],
                "replication_lag_seconds": lag.seconds, "replication_lag_bytes": lag.bytes,
                "lag_measured_at": lag.measured_at}

    async def freshness(conn: psycopg.AsyncConnection, sql_text: str) -> dict:
        cur = await conn.execute(FRESHNESS_JSON)
        return freshness_of(json.loads((await cur.fetchone())[0]), sql_text)

    # Each answer is one statement: PostgreSQL renders the rows as JSON beside the freshness
    # rows, in one snapshot and one round trip, and the text goes out as it comes (no Python
    # object per row). The statement wraps the named query's own text; nothing from a request
    # is in it but the bound parameters. json_agg reads the rows in the order the query sorts
    # them (a sort under a plain aggregate is consumed in order); a test compares with the CLI.
    from cli_app.export import query_body
    statements = {name: sql.SQL("select coalesce(json_agg(r), '[]')::text, ({}) from ({}) as r").format(
        sql.SQL(FRESHNESS_JSON), sql.SQL(query_body(q.sql))) for name, q in named.items()}

    async def answer(name: str, params: dict, extra: dict | None = None) -> Response:
        query = named[name]
        bound = query.bind({k: str(v) for k, v in params.items()})
        async with pool.connection() as conn:
            cur = await conn.execute(statements[name], bound)
            rows, fresh = await cur.fetchone()
        head = json.dumps({"query": name, "params": {**(bound or {}), **params, **(extra or {})},
                           "freshness": freshness_of(json.loads(fresh), query.sql)}, default=iso)
        return Response(head[:-1] + ', "rows": ' + rows + "}", media_type="application/json")

    errors = {422: {"model": Problem, "description": "A parameter is not valid."},
              503: {"model": Problem, "description": "The warehouse cannot be reached."}}

    @app.get("/analytics/orders", response_model=OpenOrders, responses=errors, tags=["answers"],
             summary="Open orders per delivery date and status")
    async def open_orders(
            status: OrderStatus = Query("open", description="`open` (every status but COMPLETED) or one of them."),
            delivery_from: IsoDay | None = Query(None, description="Only delivery dates from this day on."),
            delivery_to: IsoDay | None = Query(None, description="Only delivery dates up to this day.")):
        filters = {k: v.isoformat() for k, v in (("delivery_from", delivery_from), ("delivery_to", delivery_to)) if v}
        if status != "open":
            filters["status"] = status
        return await answer("open_orders", filters, {"status": status})

    @app.get("/analytics/orders/top", response_model=TopDates, responses=errors, tags=["answers"],
             summary="Delivery dates with the most open orders")
    async def top_dates(limit: int = Query(3, ge=1, le=maximum("top_dates"),
                                           description="How many dates, ties to the earlier date.")):
        return await answer("top_dates", {"limit": limit})

    @app.get("/analytics/orders/product", response_model=PendingItems, responses=errors, tags=["answers"],
             summary="Items still to deliver per product")
    async def pending_items(product_id: int | None = Query(None, ge=1, le=2**63 - 1,
                                                           description="Only this product.")):
        return await answer("pending_items", {"product_id": product_id} if product_id else {})

    @app.get("/analytics/orders/customers", response_model=TopCustomers, responses=errors, tags=["answers"],
             summary="Customers with the most pending orders (names for the top 3 only)")
    async def top_customers(status: Status = Query("open", description="Only `open` (pending: not COMPLETED)."),
                            limit: int = Query(3, ge=1, le=maximum("top_customers"),
                                               description="How many customers, ties to the smaller id.")):
        return await answer("top_customers", {"limit": limit}, {"status": status})

    async def relation_exists(conn, name: str) -> bool:
        return (await (await conn.execute("select to_regclass(%s) is not null", [name])).fetchone())[0]

    async def metric_list(conn) -> list[dict]:
        if not await relation_exists(conn, "analytics.metric_catalog"):
            return None
        cur = await conn.execute("select metric, view_name, grain, description from analytics.metric_catalog"
                                 " order by metric")
        return [dict(zip(("metric", "view_name", "grain", "description"), r)) for r in await cur.fetchall()]

    @app.get("/analytics/metrics", response_model=MetricCatalog, responses=errors, tags=["metrics"],
             summary="The business metrics (analytics.metric_catalog)")
    async def metrics():
        async with pool.connection() as conn:
            found = await metric_list(conn)
        return {"available": found is not None, "metrics": found or []}

    @app.get("/analytics/metrics/{name}", response_model=MetricRows, tags=["metrics"],
             responses={**errors, 404: {"model": Problem, "description": "No such metric."}},
             summary="One business metric's rows")
    async def metric(name: str = Path(pattern=METRIC_NAME, description="A metric of /analytics/metrics.")):
        async with pool.connection() as conn:
            found = await metric_list(conn)
            if found is None:
                return JSONResponse({"detail": "this warehouse has no metrics (analytics.metric_catalog "
                                               "does not exist)"}, status_code=404)
            entry = next((m for m in found if m["metric"] == name), None)
            if entry is None:
                known = ", ".join(m["metric"] for m in found) or "none"
                return JSONResponse({"detail": f"no metric named {name!r}; known: {known}"}, status_code=404)
            # The view's name comes from the catalogue row, never from the request, and is quoted.
            view = entry["view_name"].split(".")[-1]
            if not await relation_exists(conn, sql.Identifier("analytics", view).as_string(conn)):
                return JSONResponse({"detail": f"metric {name!r} names a view that does not exist"},
                                    status_code=404)
            cur = await conn.execute(sql.SQL("select * from {} order by 1 limit {}").format(
                sql.Identifier("analytics", view), sql.Literal(METRIC_MAX_ROWS)))
            columns = [d.name for d in cur.description]
            rows = [dict(zip(columns, map(plain, r))) for r in await cur.fetchall()]
            fresh = await freshness(conn, "")
        return {"metric": entry, "columns": columns, "rows": rows, "freshness": fresh}

    @app.get("/analytics/anomalies", response_model=Anomalies, responses=errors, tags=["metrics"],
             summary="Today's anomaly flags (analytics.anomaly_flags_today)")
    async def anomalies():
        async with pool.connection() as conn:
            fresh = await freshness(conn, "")
            if not await relation_exists(conn, "analytics.anomaly_flags_today"):
                return {"available": False, "rows": [], "freshness": fresh}
            cur = await conn.execute("select metric, day, value, median, band_low, band_high"
                                     " from analytics.anomaly_flags_today order by metric, day")
            columns = [d.name for d in cur.description]
            rows = [dict(zip(columns, map(plain, r))) for r in await cur.fetchall()]
        return {"available": True, "rows": rows, "freshness": fresh}

    @app.get("/health", tags=["health"], summary="The `cli-app status` report (503 when unhealthy)",
             responses={200: {"description": "Healthy: the report."},
                        503: {"description": "Unhealthy: the same report, saying which check failed."}})
    async def health_report() -> dict[str, Any]:
        from cli_app.commands.status import collect
        report = await run_in_threadpool(collect, options.settings, options.subscription,
                                         options.limits or upkeep.Limits())
        return JSONResponse(jsonable_encoder(report, custom_encoder={Decimal: plain}),
                            status_code=200 if report["healthy"] else 503)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard():
        page = resources.files("cli_app").joinpath("web/dashboard.html").read_text()
        return page.replace("{{REFRESH_SECONDS}}", f"{options.refresh_seconds:g}")

    @app.get("/catalog", response_class=HTMLResponse, include_in_schema=False)
    async def catalog_page():
        from cli_app import catalog
        return await run_in_threadpool(catalog.cached_html, options.settings)

    app.state.started = time.time()
    return app
