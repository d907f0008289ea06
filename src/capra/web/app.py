"""The web application: :func:`create_app` builds it on a records database.

Pages are rendered on the server (Jinja2, in English or Korean); the JSON API lives under
``/api/v1`` with the same permissions (described at ``/openapi.json`` and on the ``/api``
page). Domain errors become HTTP answers here and nowhere else:

* :class:`~capra.store.accounts.ForbiddenError`: 403;
* any other :class:`~capra.errors.CapraError` (bad input): 400 on pages, 422 in the API;
* no session (pages): 303 to ``/login?next=...``;
* no or bad token (API): 401 with ``WWW-Authenticate: Bearer``;
* an unknown page or record: 404; a request body over the upload limit: 413.

Every answer carries a Content-Security-Policy that allows only this server's own scripts,
styles and images (no inline script, no CDN), and the usual hardening headers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from capra import __version__
from capra.errors import CapraError
from capra.store.accounts import ForbiddenError, session_secret
from capra.store.db import open_db
from capra.web.deps import (
    LANG_COOKIE,
    ApiAuthError,
    LoginRequired,
    Settings,
    gettext,
    render,
)
from capra.web.i18n import negotiate

__all__ = ["CSP", "SETTINGS_ENV", "app_from_environment", "create_app"]

#: Environment variable that passes ``capra serve``'s options to each worker process.
SETTINGS_ENV = "CAPRA_WEB_SETTINGS"

#: Content-Security-Policy of every answer: this server's own files only; inline SVG
#: figures need no more (their colours are classes of the stylesheet).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

API_DESCRIPTION = """The records, plans and growth figures of a Capra programme.

Every request needs an API token: `Authorization: Bearer <token>` (a user's token from
`capra user token NAME`). The token's user has the same permissions as on the pages: a
farm or veterinary user reaches the animals of their own farms only.

Imports (`POST /api/v1/import/{kind}`) take a CSV or XLSX file in the layout of
`capra db template KIND`, or an ODK Collect / KoboToolbox export (`source=odk` or
`source=kobo`: group prefixes and the forms' own metadata columns are dropped, times are
cut to their date). They are all-or-nothing: 200 with the counts, or 422 with every
rejected row (row, field, reason, value) and nothing saved; 403 when the role may not
write that kind or farm.
"""


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413 (by their
    declared length, and by counting when no length is declared)."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await self._refuse(scope, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(scope, send)

    async def _refuse(self, scope, send):
        mb = self.limit / 1024 / 1024
        body = (f'{{"detail": "request body over the upload limit of {mb:g} MiB"}}'
                .encode())
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            *[(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def _error_page(request: Request, status: int, title: str, detail: str, headers=None):
    if _wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    return render(request, "error.html", {"status": status, "title": title, "detail": detail},
                  status_code=status, headers=headers)


def create_app(db: str | Engine | None = None, *, max_upload_mb: float = 20,
               session_idle_minutes: float | None = None,
               secure_cookies: bool | None = None, scenario: str = "nampo",
               run_plans: bool = True) -> FastAPI:
    """The web application on a records database.

    Parameters
    ----------
    db
        An open records database, or its URL or SQLite path (migrated if empty).
    max_upload_mb
        Largest request body (uploads). [MiB]
    session_idle_minutes
        A session ends after this long without a request. [minutes]
    secure_cookies
        Mark cookies ``Secure`` (HTTPS only); default: when the request came over HTTPS.
    scenario
        The programme's scenario (bundled name or TOML file): farms, policy and breed of
        the plans made from the records.
    run_plans
        Run started plans in a background thread (``False``: they stay queued; tests
        run them by hand).
    """
    from capra.web import api, forms, pages, plan_pages

    db = db if isinstance(db, Engine) else open_db(db)
    settings = Settings(db=db, secret=session_secret(db),
                        max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                        secure_cookies=secure_cookies, scenario=scenario)
    if session_idle_minutes is not None:
        settings.session_idle_minutes = session_idle_minutes
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="capra-plan") \
        if run_plans else None
    if executor is not None:
        from capra.store.plans import run_plan

        settings.plan_runner = lambda pid: executor.submit(run_plan, db, pid)

    @asynccontextmanager
    async def lifespan(app):
        yield
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Capra", version=__version__, description=API_DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  lifespan=lifespan)
    app.state.settings = settings

    @app.middleware("http")
    async def language_and_headers(request: Request, call_next):
        request.state.lang = negotiate(request.cookies.get(LANG_COOKIE),
                                       request.headers.get("accept-language"))
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(ApiAuthError)
    async def _api_auth(request: Request, exc: ApiAuthError):
        return JSONResponse({"detail": "a valid API token is required: Authorization: "
                                       "Bearer <token>"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError):
        return _error_page(request, 403, gettext(request, "Not allowed"), str(exc))

    @app.exception_handler(CapraError)
    async def _capra(request: Request, exc: CapraError):
        status = 422 if _wants_json(request) else 400
        return _error_page(request, status, gettext(request, "Bad request"), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if _wants_json(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                          for e in exc.errors())
        return _error_page(request, 400, gettext(request, "Bad request"), where)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Method not allowed", 413: "Too large",
                  429: "Too many requests"}
        title = gettext(request, titles.get(exc.status_code, "Error"))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = gettext(request, "There is no such page or record.")
        return _error_page(request, exc.status_code, title, detail,
                           headers=getattr(exc, "headers", None))

    static = resources.files("capra.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.include_router(pages.router)
    app.include_router(forms.router)
    app.include_router(plan_pages.router)
    app.include_router(api.router)
    return app


def app_from_environment() -> FastAPI:
    """The application of one worker process of ``capra serve --workers N``: the options
    come as JSON in :data:`SETTINGS_ENV` (keyword arguments of :func:`create_app`)."""
    import json
    import os

    return create_app(**json.loads(os.environ[SETTINGS_ENV]))
