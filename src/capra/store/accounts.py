"""Accounts: users and roles, passwords, API tokens, browser sessions, login limits, and
what each role may read and write.

Used by ``capra user ...`` and by the web application (:mod:`capra.web`); both only
translate. Every change goes through :func:`capra.store.db.transaction` and is written to
the audit log (table ``users``) with the user who made it.

Roles
-----
``admin``
    Everything, including the accounts.
``manager``
    Every farm and site, plans, reads everything; no account administration.
``farm``
    The records (animals, events, test days) of the user's own farms only.
``vet``
    Health events, quarantine (batches, transfers), deaths and culls on the user's farms.
``nutrition``
    Sites, children, measurements and growth.
``viewer``
    The dashboard, prevalence and plans, read-only.

Secrets
-------
Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 parameters); API tokens and
session keys are 256-bit random values of which only the SHA-256 is stored (a fast hash is
enough for a value that cannot be guessed). Nothing here logs a password, a token or a
session key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import secrets
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, delete, func, insert, select, update

from capra.errors import CapraError
from capra.store.audit import log_change
from capra.store.db import transaction
from capra.store.schema import (
    ROLES,
    ApiToken,
    Farm,
    LoginAttempt,
    User,
    UserFarm,
    WebSession,
    WebSetting,
)

__all__ = [
    "AREAS", "AccountError", "AuthError", "ForbiddenError", "LoginLimitedError", "Principal", "ROLES",
    "SESSION_IDLE_MINUTES", "SESSION_MAX_HOURS", "VET_EVENT_TYPES", "WRITE_KINDS",
    "authenticate", "can", "can_write", "create_user", "disable_user", "end_session",
    "list_users", "new_token", "principal_for_token", "revoke_tokens", "session_principal",
    "session_secret", "start_session", "utc_naive",
]

#: Fewest characters of a password: NIST SP 800-63B, section 5.1.1.2 (at least 8). [-]
PASSWORD_MIN_LENGTH = 8
#: Failed sign-ins of one user name within :data:`LOGIN_WINDOW_MINUTES` after which
#: further attempts are refused until the window has passed. NIST SP 800-63B section
#: 5.2.2 requires a limit of at most 100 consecutive failures; OWASP's Authentication
#: Cheat Sheet suggests a lockout after a small number of failures. [attempts]
MAX_FAILURES_PER_USER = 5
#: Failed sign-ins from one address within the window (several user names tried). [attempts]
MAX_FAILURES_PER_ADDRESS = 20
#: Window of the login limits. [minutes]
LOGIN_WINDOW_MINUTES = 15
#: A session ends after this long without a request: OWASP Session Management Cheat
#: Sheet, 15-30 minutes for low-risk applications. [minutes]
SESSION_IDLE_MINUTES = 30
#: A session ends this long after sign-in whatever its activity (one working day). [hours]
SESSION_MAX_HOURS = 12
#: Last-use times of sessions and tokens are written at most this often (a write per
#: request would queue every reader behind the writers). [seconds]
TOUCH_INTERVAL_S = 60
#: Prefix of API tokens, so that a leaked token is recognisable. [-]
TOKEN_PREFIX = "capra_"

#: Event types a ``vet`` user may record: health (treatment, abortion), quarantine
#: (transfer out of it), deaths and culls (departure).
VET_EVENT_TYPES = ("treatment", "abortion", "transfer", "death", "departure")

#: Kinds of record each role may import or enter (``farm`` and ``vet``: on their farms).
WRITE_KINDS: dict[str, tuple[str, ...]] = {
    "admin": ("farms", "sites", "batches", "animals", "events", "test_days",
              "product_batches", "deliveries", "children", "measurements"),
    "manager": ("farms", "sites", "batches", "animals", "events", "test_days",
                "product_batches", "deliveries", "children", "measurements"),
    "farm": ("animals", "events", "test_days"),
    "vet": ("batches", "events"),
    "nutrition": ("sites", "children", "measurements"),
    "viewer": (),
}

#: What each role may see or do beyond imports, by area of the application.
AREAS: dict[str, tuple[str, ...]] = {
    "dashboard": ROLES,
    "plans": ROLES,                                            # read plans
    "plan_run": ("admin", "manager"),                          # start a plan
    "prevalence": ("admin", "manager", "nutrition", "viewer"),
    "animals": ("admin", "manager", "farm", "vet"),            # farm, vet: their farms
    "children": ("admin", "manager", "nutrition"),
    "exports": ("admin", "manager", "farm", "vet", "nutrition"),
    "users": ("admin",),
}


class AccountError(CapraError):
    """A bad account request: unknown user or farm, bad role, weak password."""

    exit_code = 2


class AuthError(CapraError):
    """Wrong user name or password, or a disabled account (one message for all)."""

    exit_code = 2


class ForbiddenError(AccountError):
    """The user's role may not do this, or not on this farm."""


class LoginLimitedError(AuthError):
    """Too many failed sign-ins; ``retry_after_s`` says when to try again. [s]"""

    def __init__(self, message: str, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Principal:
    """A signed-in user: who, which role, which farms (``farm`` and ``vet`` roles)."""

    id: int
    name: str
    role: str
    farm_ids: frozenset[int] = frozenset()
    farm_names: tuple[str, ...] = ()

    @property
    def scoped(self) -> bool:
        """Whether the user sees only their own farms' animals."""
        return self.role in ("farm", "vet")


def can(principal: Principal, area: str) -> bool:
    """Whether the user may use an area of :data:`AREAS`."""
    return principal.role in AREAS[area]


def can_write(principal: Principal, kind: str) -> bool:
    """Whether the user may import or enter records of ``kind`` (on some farm)."""
    return kind in WRITE_KINDS.get(principal.role, ())


def utc_naive(t: dt.datetime | None = None) -> dt.datetime:
    """A time as naive UTC (the account tables store UTC without a time zone)."""
    if t is None:
        return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if t.tzinfo is not None:
        return t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


_HASHER = None


def _hasher():
    global _HASHER
    if _HASHER is None:
        from argon2 import PasswordHasher

        _HASHER = PasswordHasher()  # Argon2id, RFC 9106 low-memory profile (64 MiB, t=3)
    return _HASHER


def _principal(conn, user) -> Principal:
    rows = conn.execute(select(Farm.id, Farm.name).join(UserFarm, UserFarm.farm_id == Farm.id)
                        .where(UserFarm.user_id == user.id).order_by(Farm.name)).all()
    return Principal(user.id, user.name, user.role, frozenset(r.id for r in rows),
                     tuple(r.name for r in rows))


_U = User.__table__


def _user(conn, name: str):
    user = conn.execute(select(_U).where(_U.c.name == name)).first()
    if user is None:
        names = [n for (n,) in conn.execute(select(User.name))]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise AccountError(f"no user {name!r}{hint}")
    return user


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------

def create_user(db: Engine, name: str, role: str, password: str, *,
                farms: tuple[str, ...] | list[str] = (), by: str | None = None) -> Principal:
    """Add a user.

    Parameters
    ----------
    name
        User name, unique, 1-100 characters, no spaces at either end.
    role
        One of :data:`ROLES`.
    password
        At least :data:`PASSWORD_MIN_LENGTH` characters; stored as an Argon2id hash.
    farms
        Farm names the user keeps; required for ``farm`` and ``vet``, refused for others
        (every other role sees all farms, or none).
    by
        Who adds the user, for the audit log (default: the OS user).
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise AccountError("user name: expected 1 to 100 characters")
    if role not in ROLES:
        close = difflib.get_close_matches(role, ROLES, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise AccountError(f"role {role!r}: unknown; {hint}expected one of {', '.join(ROLES)}")
    if len(password or "") < PASSWORD_MIN_LENGTH:
        raise AccountError(f"password: too short; expected at least {PASSWORD_MIN_LENGTH} "
                           "characters")
    farms = list(dict.fromkeys(farms))
    if role in ("farm", "vet") and not farms:
        raise AccountError(f"role {role!r} keeps the records of its farms: give at least "
                           "one --farm")
    if role not in ("farm", "vet") and farms:
        raise AccountError(f"role {role!r} is not limited to farms; --farm is only for the "
                           "farm and vet roles")
    hashed = _hasher().hash(password)
    now = utc_naive()
    with transaction(db) as conn:
        if conn.execute(select(User.id).where(User.name == name)).first():
            raise AccountError(f"user {name!r} exists already")
        known = dict(conn.execute(select(Farm.name, Farm.id)).all())
        for f in farms:
            if f not in known:
                close = difflib.get_close_matches(f, list(known), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise AccountError(f"farm {f!r}: not recorded; {hint}import the farms first "
                                   "(capra db import farms FILE)")
        uid = conn.execute(insert(User).values(
            name=name, role=role, password_hash=hashed, active=True, created_at=now)
            .returning(User.id)).scalar_one()
        if farms:
            conn.execute(insert(UserFarm), [{"user_id": uid, "farm_id": known[f]} for f in farms])
        log_change(conn, "users", {"name": name}, "insert", new={"role": role, "farms": farms},
                   user=by, record_id=uid)
        return _principal(conn, conn.execute(select(_U).where(_U.c.id == uid)).one())


def list_users(db: Engine) -> pd.DataFrame:
    """Every user: ``name, role, farms, active, created_at, tokens`` (active tokens)."""
    with db.connect() as conn:
        users = conn.execute(select(_U).order_by(_U.c.name)).all()
        farms = conn.execute(select(UserFarm.user_id, Farm.name)
                             .join(Farm, Farm.id == UserFarm.farm_id).order_by(Farm.name)).all()
        tokens = dict(conn.execute(select(ApiToken.user_id, func.count())
                                   .where(ApiToken.revoked_at.is_(None))
                                   .group_by(ApiToken.user_id)).all())
    by_user: dict[int, list[str]] = {}
    for uid, fname in farms:
        by_user.setdefault(uid, []).append(fname)
    return pd.DataFrame({
        "name": [u.name for u in users], "role": [u.role for u in users],
        "farms": [", ".join(by_user.get(u.id, [])) for u in users],
        "active": [bool(u.active) for u in users],
        "created_at": [u.created_at for u in users],
        "tokens": [int(tokens.get(u.id, 0)) for u in users]},
        columns=["name", "role", "farms", "active", "created_at", "tokens"])


def disable_user(db: Engine, name: str, *, by: str | None = None) -> None:
    """Disable a user: no more sign-ins, their sessions end and their tokens are revoked."""
    now = utc_naive()
    with transaction(db) as conn:
        user = _user(conn, name)
        conn.execute(update(User).where(User.id == user.id).values(active=False,
                                                                   disabled_at=now))
        conn.execute(delete(WebSession).where(WebSession.user_id == user.id))
        conn.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                            ApiToken.revoked_at.is_(None))
                     .values(revoked_at=now))
        log_change(conn, "users", {"name": name}, "update", old={"active": bool(user.active)},
                   new={"active": False}, user=by, record_id=user.id)


# --------------------------------------------------------------------------------------
# API tokens
# --------------------------------------------------------------------------------------

def new_token(db: Engine, name: str, *, by: str | None = None) -> str:
    """A new API token for user ``name`` (printed once; only its SHA-256 is kept)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction(db) as conn:
        user = _user(conn, name)
        if not user.active:
            raise AccountError(f"user {name!r} is disabled")
        tid = conn.execute(insert(ApiToken).values(
            user_id=user.id, token_sha256=_sha(token), created_at=utc_naive())
            .returning(ApiToken.id)).scalar_one()
        log_change(conn, "api_tokens", {"user": name, "id": int(tid)}, "insert",
                   new={"user": name}, user=by, record_id=tid)
    return token


def revoke_tokens(db: Engine, name: str, *, by: str | None = None) -> int:
    """Revoke every active token of user ``name``; returns how many."""
    now = utc_naive()
    with transaction(db) as conn:
        user = _user(conn, name)
        ids = [i for (i,) in conn.execute(select(ApiToken.id).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))]
        if ids:
            conn.execute(update(ApiToken).where(ApiToken.id.in_(ids)).values(revoked_at=now))
        for tid in ids:
            log_change(conn, "api_tokens", {"user": name, "id": int(tid)}, "update",
                       old={"revoked": False}, new={"revoked": True}, user=by, record_id=tid)
    return len(ids)


def principal_for_token(db: Engine, token: str) -> Principal | None:
    """The active user of an API token, or ``None`` (unknown, revoked, disabled)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _sha(token)
    with db.connect() as conn:
        row = conn.execute(select(_U, ApiToken.id.label("token_id"), ApiToken.last_used_at)
                           .join(ApiToken, ApiToken.user_id == _U.c.id)
                           .where(ApiToken.token_sha256 == digest,
                                  ApiToken.revoked_at.is_(None), _U.c.active)).first()
        if row is None:
            return None
        principal = _principal(conn, row)
    now = utc_naive()
    if row.last_used_at is None or \
            (now - utc_naive(row.last_used_at)).total_seconds() > TOUCH_INTERVAL_S:
        with transaction(db) as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == row.token_id)
                         .values(last_used_at=now))
    return principal


# --------------------------------------------------------------------------------------
# Sign-in and sessions
# --------------------------------------------------------------------------------------

def _limits(conn, name: str, address: str, now: dt.datetime) -> int:
    """Seconds until a sign-in may be tried again (0: now)."""
    since = now - dt.timedelta(minutes=LOGIN_WINDOW_MINUTES)
    wait = 0
    for col, value, most in ((LoginAttempt.user_name, name, MAX_FAILURES_PER_USER),
                             (LoginAttempt.address, address, MAX_FAILURES_PER_ADDRESS)):
        last_ok = conn.execute(select(func.max(LoginAttempt.at)).where(
            col == value, LoginAttempt.success, LoginAttempt.at >= since)).scalar()
        start = max(since, utc_naive(last_ok)) if last_ok else since
        fails = conn.execute(select(func.count(), func.min(LoginAttempt.at)).where(
            col == value, ~LoginAttempt.success, LoginAttempt.at > start)).one()
        if fails[0] >= most:
            free = utc_naive(fails[1]) + dt.timedelta(minutes=LOGIN_WINDOW_MINUTES)
            wait = max(wait, int((free - now).total_seconds()) + 1)
    return wait


def authenticate(db: Engine, name: str, password: str, address: str = "") -> Principal:
    """Check a user name and password; record the attempt.

    Raises
    ------
    LoginLimitedError
        Too many failures for this name or address within the window (the password is
        not even checked).
    AuthError
        Wrong name or password, or a disabled account (the same message for each, so
        that names cannot be probed).
    """
    from argon2.exceptions import (
        InvalidHashError,
        VerificationError,
        VerifyMismatchError,
    )

    name = (name or "").strip()[:100]
    address = (address or "")[:64]
    now = utc_naive()
    with db.connect() as conn:
        wait = _limits(conn, name, address, now)
        row = conn.execute(select(_U).where(_U.c.name == name)).first()
    if wait:
        raise LoginLimitedError(f"too many failed sign-ins; try again in {wait // 60 + 1} "
                                "minutes", retry_after_s=wait)
    user = row
    ok = False
    try:
        # a dummy hash for unknown names, so that both take the same time
        ok = _hasher().verify(user.password_hash if user else _dummy_hash(), password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    ok = bool(ok and user is not None and user.active)
    with transaction(db) as conn:
        conn.execute(insert(LoginAttempt).values(user_name=name, address=address, at=now,
                                                 success=ok))
        if ok:
            return _principal(conn, user)
    raise AuthError("wrong user name or password, or the account is disabled")


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(_hasher().hash(secrets.token_hex(16)))
    return _DUMMY[0]


def session_secret(db: Engine) -> str:
    """The key that signs session cookies, made on first use and kept in the database."""
    with db.connect() as conn:
        value = conn.execute(select(WebSetting.value).where(
            WebSetting.name == "session_key")).scalar()
    if value:
        return value
    with transaction(db) as conn:
        value = conn.execute(select(WebSetting.value).where(
            WebSetting.name == "session_key")).scalar()
        if not value:
            value = secrets.token_hex(32)
            conn.execute(insert(WebSetting).values(name="session_key", value=value))
    return value


def start_session(db: Engine, principal: Principal, *,
                  max_hours: float = SESSION_MAX_HOURS) -> tuple[str, str]:
    """A new session of a signed-in user: ``(session key, CSRF token)``."""
    key = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utc_naive()
    with transaction(db) as conn:
        conn.execute(insert(WebSession).values(
            user_id=principal.id, key_sha256=_sha(key), csrf_token=csrf, created_at=now,
            last_seen_at=now, expires_at=now + dt.timedelta(hours=max_hours)))
        # sessions that ended are removed as new ones start
        conn.execute(delete(WebSession).where(WebSession.expires_at < now))
    return key, csrf


def session_principal(db: Engine, key: str, *,
                      idle_minutes: float = SESSION_IDLE_MINUTES
                      ) -> tuple[Principal, str] | None:
    """The user and CSRF token of a live session, or ``None`` (unknown, idle too long,
    past its end, or the user disabled)."""
    if not key or len(key) > 200:
        return None
    digest = _sha(key)
    now = utc_naive()
    with db.connect() as conn:
        row = conn.execute(select(_U, WebSession.id.label("session_id"), WebSession.csrf_token,
                                  WebSession.last_seen_at, WebSession.expires_at)
                           .join(WebSession, WebSession.user_id == _U.c.id)
                           .where(WebSession.key_sha256 == digest, _U.c.active)).first()
        if row is None:
            return None
        last_seen, expires = utc_naive(row.last_seen_at), utc_naive(row.expires_at)
        if now > expires or now - last_seen > dt.timedelta(minutes=idle_minutes):
            return None
        principal = _principal(conn, row)
    if (now - last_seen).total_seconds() > TOUCH_INTERVAL_S:
        with transaction(db) as conn:
            conn.execute(update(WebSession).where(WebSession.id == row.session_id)
                         .values(last_seen_at=now))
    return principal, row.csrf_token


def end_session(db: Engine, key: str) -> None:
    """Sign out: the session is removed."""
    if not key:
        return
    with transaction(db) as conn:
        conn.execute(delete(WebSession).where(WebSession.key_sha256 == _sha(key)))
