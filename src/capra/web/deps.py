"""What every route shares: the application's settings, the signed-in user (session cookie
or API token), CSRF checks, page rendering in the request's language, and retries of
writes that meet a busy database.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, Signer
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from capra.store.accounts import (
    SESSION_IDLE_MINUTES,
    ForbiddenError,
    Principal,
    can,
    principal_for_token,
    session_principal,
)
from capra.web.i18n import LANGUAGES, Formatter, translations

__all__ = ["COOKIE", "LoginRequired", "Settings", "api_user", "check_csrf", "page_user",
           "render", "require", "with_retries"]

#: Name of the session cookie. [-]
COOKIE = "capra_session"
#: Name of the cookie of the sign-in form's CSRF token (before any session). [-]
LOGIN_CSRF_COOKIE = "capra_login_csrf"
#: Name of the language cookie. [-]
LANG_COOKIE = "capra_lang"
#: Attempts of a write that finds the database busy or meets a deadlock. [-]
WRITE_ATTEMPTS = 5
#: First pause between attempts, doubled each time. [s]
RETRY_PAUSE_S = 0.05


@dataclass
class Settings:
    """How the application runs."""

    db: Engine
    secret: str
    max_upload_bytes: int = 20 * 1024 * 1024
    session_idle_minutes: float = SESSION_IDLE_MINUTES
    secure_cookies: bool | None = None
    """Mark cookies ``Secure``; default: when the request came over HTTPS."""
    scenario: str = "nampo"
    plan_runner: Callable | None = None
    cache: dict = field(default_factory=dict)

    @property
    def signer(self) -> Signer:
        return Signer(self.secret, salt="capra-session")


class LoginRequired(Exception):
    """A page was asked for without a live session: the answer is a redirect to /login."""


def settings(request: Request) -> Settings:
    return request.app.state.settings


# --------------------------------------------------------------------------------------
# Who is asking
# --------------------------------------------------------------------------------------

def session_key(request: Request) -> str | None:
    """The session key of the request's signed cookie (``None``: absent or forged)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        return settings(request).signer.unsign(raw).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None


def page_user(request: Request) -> Principal:
    """The user of a page request; redirects to /login without a live session."""
    s = settings(request)
    key = session_key(request)
    found = session_principal(s.db, key, idle_minutes=s.session_idle_minutes) \
        if key else None
    if found is None:
        raise LoginRequired()
    request.state.user, request.state.csrf = found
    return found[0]


def require(area: str):
    """Dependency: the page's user, who must be allowed the area (else 403)."""
    def dep(user: Principal = Depends(page_user)) -> Principal:
        if not can(user, area):
            raise ForbiddenError(f"the {user.role} role may not use this page")
        return user
    return dep


_bearer = HTTPBearer(auto_error=False, description="An API token from `capra user token NAME`.")


class ApiAuthError(Exception):
    """No valid API token: 401."""


def api_user(request: Request,
             cred: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> Principal:
    """The user of an API request (``Authorization: Bearer <token>``); 401 otherwise."""
    if cred is None or cred.scheme.lower() != "bearer":
        raise ApiAuthError()
    user = principal_for_token(settings(request).db, cred.credentials)
    if user is None:
        raise ApiAuthError()
    request.state.user = user
    return user


def check_csrf(request: Request, token: str | None) -> None:
    """Refuse a form whose CSRF token is not the session's (403)."""
    want = getattr(request.state, "csrf", None)
    if not want or not token or not hmac.compare_digest(str(token), want):
        raise ForbiddenError("the form has expired or did not come from this site; "
                             "reload the page and send it again")


def random_token() -> str:
    """A random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(32)


def cookie_secure(request: Request) -> bool:
    s = settings(request)
    return s.secure_cookies if s.secure_cookies is not None else request.url.scheme == "https"


# --------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------

_ENVS: dict[str, Environment] = {}


def environment(lang: str) -> Environment:
    """The Jinja2 environment of a language (autoescaping on, gettext installed)."""
    if lang not in _ENVS:
        env = Environment(loader=PackageLoader("capra.web", "templates"),
                          autoescape=select_autoescape(default=True, default_for_string=True),
                          extensions=["jinja2.ext.i18n"], trim_blocks=True,
                          lstrip_blocks=True)
        env.install_gettext_translations(translations(lang), newstyle=True)
        _ENVS[lang] = env
    return _ENVS[lang]


def render(request: Request, template: str, context: dict | None = None, *,
           status_code: int = 200, headers: dict | None = None) -> HTMLResponse:
    """A page in the request's language."""
    lang = getattr(request.state, "lang", "en")
    user = getattr(request.state, "user", None)
    ctx = {"request": request, "user": user, "csrf": getattr(request.state, "csrf", ""),
           "fmt": Formatter(lang), "lang": lang, "languages": LANGUAGES,
           "can": (lambda area: user is not None and can(user, area)),
           # a value's translation (codes, field names, column descriptions), not formatted
           "tr": translations(lang).gettext}
    ctx.update(context or {})
    html = environment(lang).get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def gettext(request: Request, message: str) -> str:
    """``message`` translated into the request's language."""
    return translations(getattr(request.state, "lang", "en")).gettext(message)


# --------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------

def _transient(exc: OperationalError) -> bool:
    text = str(exc.orig if exc.orig is not None else exc).lower()
    return any(w in text for w in ("database is locked", "database is busy", "deadlock",
                                   "could not serialize", "server closed the connection"))


def with_retries(fn: Callable, *args, **kwargs):
    """Run a write; when the database is busy (SQLite past its busy timeout) or a
    PostgreSQL deadlock or lost connection aborts it, run it again (it was rolled back
    whole), up to :data:`WRITE_ATTEMPTS` times with growing pauses."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return fn(*args, **kwargs)
        except OperationalError as exc:
            if attempt == WRITE_ATTEMPTS - 1 or not _transient(exc):
                raise
            time.sleep(RETRY_PAUSE_S * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover
