"""``capra serve``: run the web application (parses options, starts the server)."""

from __future__ import annotations

import json
import os
from typing import Annotated, Optional

import typer

from capra.console import cli_errors as _errors
from capra.console import err_console


def serve_command(
    db: Annotated[Optional[str], typer.Option(
        "--db", help="Database: a SQLite file or a URL such as "
                     "postgresql+psycopg://user:password@host/capra. Default: capra.db here.")]
        = None,
    host: Annotated[str, typer.Option(
        help="Address to listen on: 127.0.0.1 for this computer only, 0.0.0.0 for the "
             "farm network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8000,
    scenario: Annotated[str, typer.Option(
        help="The programme's scenario (bundled name or TOML file) for plans made from the "
             "records.")] = "nampo",
    max_upload_mb: Annotated[float, typer.Option(
        min=0.01, help="Largest upload. [MiB]")] = 20.0,
    session_minutes: Annotated[float, typer.Option(
        min=1, help="A session ends after this long without a request. [minutes]")] = 30.0,
    secure_cookies: Annotated[bool, typer.Option(
        help="Send cookies over HTTPS only (behind a TLS proxy).")] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request (method, path, "
                                                  "status).")] = True,
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes (one per core serves more requests at once).")] = 1,
) -> None:
    """Serve the web application: dashboard, records, forms and uploads, plans, growth, and
    the JSON API under /api/v1 (OpenAPI at /openapi.json). Sign in with an account made by
    `capra user add`.

    Example: capra serve --db records/capra.db --host 0.0.0.0 --port 8000
    """
    with _errors():
        import uvicorn

        from capra.scenario import load_scenario
        from capra.store.accounts import list_users
        from capra.store.db import open_db
        from capra.store.plans import mark_interrupted
        from capra.web.app import SETTINGS_ENV, create_app

        given = f" --db {db}" if db else ""
        db = open_db(db)
        load_scenario(scenario)
        if list_users(db).empty:
            err_console.print("no accounts yet: add one with "
                              "capra user add NAME --role admin" + given)
        n = mark_interrupted(db)
        if n:
            err_console.print(f"{n} plans left unfinished by the last run marked failed")
        options = {"max_upload_mb": max_upload_mb, "session_idle_minutes": session_minutes,
                   "secure_cookies": True if secure_cookies else None, "scenario": scenario}
        where = db.url.render_as_string(hide_password=True)
        err_console.print(f"Capra on http://{host}:{port}/  (database {where}; stop with "
                          "Ctrl+C)", highlight=False)
        run = {"host": host, "port": port, "access_log": access_log, "log_level": "info",
               "server_header": False}
        if workers == 1:
            uvicorn.run(create_app(db, **options), **run)
            return
        db.dispose()
        os.environ[SETTINGS_ENV] = json.dumps({"db": str(db.url.render_as_string(
            hide_password=False)), **options})
        uvicorn.run("capra.web.app:app_from_environment", factory=True, workers=workers, **run)


def register(main_app: typer.Typer) -> None:
    """Add the ``serve`` command to the main ``capra`` command."""
    main_app.command(name="serve")(serve_command)
