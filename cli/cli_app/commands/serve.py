"""The answers over HTTP (serve) and the data catalogue as static files (catalog)."""

import logging
import socket
from pathlib import Path

import click

from cli_app import config, deploy as deployment
from cli_app.options import command

MAX_REFRESH = 3600


@command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, envvar="ELT_SERVE_PORT",
              help="TCP port on 127.0.0.1 [env: ELT_SERVE_PORT].")
@click.option("--pool-size", type=click.IntRange(1, 100), default=8, show_default=True,
              help="Most connections (as elt_analyst) the API holds to the warehouse.")
@click.option("--statement-timeout", type=click.FloatRange(min=0.1, max=600), default=5, show_default=True,
              help="statement_timeout in seconds for each answer's query; past it the API answers 504.")
@click.option("--refresh-seconds", type=click.FloatRange(min=1, max=MAX_REFRESH), default=5, show_default=True,
              help="How often the dashboard redraws itself.")
@click.option("--subscription", envvar="ELT_SUBSCRIPTION", default=deployment.SUBSCRIPTION, show_default=True,
              help="Subscription (and slot) whose lag the answers carry [env: ELT_SUBSCRIPTION].")
def serve(port, pool_size, statement_timeout, refresh_seconds, subscription):
    """Serve the answers as a JSON API, a live dashboard and the data catalogue.

    One process on 127.0.0.1: the dashboard at /, the catalogue at /catalog,
    the OpenAPI spec at /openapi.json, and the endpoints it describes:
    /analytics/orders?status=open, /analytics/orders/top?limit=3,
    /analytics/orders/product, /analytics/orders/customers?status=open&limit=3,
    /analytics/metrics[/NAME], /analytics/anomalies and /health (the status
    report; 503 when unhealthy). Answers run the named queries `cli-app
    --query` runs, as the read-only role elt_analyst, through a connection pool
    and under a statement timeout; each carries its watermark and the
    replication lag. Stop it with Ctrl-C.

    Example: cli-app serve --port 8000
    """
    import uvicorn

    from cli_app import api
    settings = config.load()
    if not settings.analyst_dsn:
        raise click.ClickException("no DSN for the warehouse. Start the embedded clusters with `make up`, "
                                   "or set WAREHOUSE_DSN (and ELT_ANALYST_DSN).")
    with socket.socket() as probe:
        # As uvicorn binds: connections of an earlier server still in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise click.ClickException(f"port {port} on 127.0.0.1 is taken: choose another with --port") from None
    app = api.create_app(api.ServeOptions(settings.analyst_dsn, settings, subscription, pool_size,
                                          statement_timeout, refresh_seconds))
    click.echo(f"dashboard: http://127.0.0.1:{port}/   catalogue: http://127.0.0.1:{port}/catalog   "
               f"API spec: http://127.0.0.1:{port}/openapi.json", err=True)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                server_header=False)


@command()
@click.option("--output", "output_dir", required=True, type=click.Path(file_okay=False),
              help="Directory for index.html and catalog.json (created if missing).")
def catalog(output_dir):
    """Write the data catalogue as static files: index.html and catalog.json.

    Every schema, table, view and column of the warehouse's layers with its
    comment, its lineage (as `cli-app lineage` traces it) and which columns hold
    personal data (elt.personal_columns). The same page `cli-app serve` shows at
    /catalog, for a wiki or a file share.

    Example: cli-app catalog --output catalog
    """
    from cli_app import catalog as catalogue
    from cli_app.db import connect
    directory = Path(output_dir)
    if directory.exists() and not directory.is_dir():
        raise click.ClickException(f"{directory} is not a directory")
    with connect(config.load().warehouse_dsn, "warehouse", autocommit=True) as conn:
        built = catalogue.build(conn)
    try:
        written = catalogue.write(directory, built)
    except OSError as e:
        raise click.ClickException(f"cannot write in {directory}: {e.strerror}") from None
    relations = sum(len(s["relations"]) for s in built["schemas"])
    click.echo(f"catalogue of {relations} tables and views written to {written[0]} and {written[1]}")
