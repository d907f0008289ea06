"""Databases of records: opened from URLs, the one write path, migrations.

A records database is a SQLite file (default ``capra.db`` in the current folder) or a
PostgreSQL database given by URL (``postgresql+psycopg://user:password@host/dbname``).

* SQLite is opened with write-ahead logging, foreign keys on and a busy timeout; a write
  transaction starts with ``BEGIN IMMEDIATE``, so concurrent writers queue instead of
  failing half-way.
* PostgreSQL write transactions take one transaction-level advisory lock first, so writers
  are serialized the same way (the integrity checks read the records, then write).
* Every change goes through :func:`transaction`: one transaction, committed at the end or
  rolled back on any error, so a failed or killed import leaves the database as it was.
* The schema is created and changed only by Alembic migrations (:func:`upgrade`); an empty
  database is migrated when it is opened.

>>> db = open_db("sqlite://")              # an in-memory database, migrated
>>> with transaction(db) as conn:
...     _ = conn.exec_driver_sql("INSERT INTO farms (name, kind) VALUES ('Kangso', 'farm')")
>>> with db.connect() as conn:
...     conn.exec_driver_sql("SELECT name FROM farms").scalar_one()
'Kangso'
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from capra.errors import CapraError

__all__ = ["DEFAULT_URL", "StoreError", "current_revision", "head_revision", "open_db",
           "open_existing", "resolve_url", "transaction", "upgrade"]

#: Database used when none is given: ``capra.db`` in the current folder.
DEFAULT_URL = "sqlite:///capra.db"
#: Busy timeout of SQLite connections: how long a writer waits for another. [ms]
SQLITE_BUSY_TIMEOUT_MS = 60_000
#: Page cache of each SQLite connection. [KiB]
SQLITE_CACHE_KIB = 65_536
#: Key of the PostgreSQL advisory lock that serializes writers.
PG_WRITE_LOCK_KEY = 0x43415052  # "CAPR"


class StoreError(CapraError):
    """The records database cannot be opened or is at the wrong schema version."""

    exit_code = 4


def resolve_url(db: str | os.PathLike | None = None) -> str:
    """Database URL from a URL, a SQLite file path or ``None`` (the default file).

    >>> resolve_url("records/farm.db")
    'sqlite:///records/farm.db'
    >>> resolve_url("postgresql+psycopg://u:p@localhost/capra")
    'postgresql+psycopg://u:p@localhost/capra'
    """
    if db is None:
        return DEFAULT_URL
    db = str(db)
    if "://" in db:
        return db
    return f"sqlite:///{db}"


def _setup_sqlite(db: Engine, memory: bool) -> None:
    @event.listens_for(db, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # transactions are begun below, explicitly
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")  # safe against a killed process in WAL
            cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cur.close()

    @event.listens_for(db, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("capra_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def create(url: str | None = None) -> Engine:
    """The database at a URL (or SQLite path), opened without migrating it."""
    url = resolve_url(url)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        memory = u.database in (None, "", ":memory:")
        kwargs = {"connect_args": {"check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        else:
            try:
                Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"database {url!r}: cannot create its folder "
                                 f"{str(Path(u.database).parent)!r}: "
                                 f"{exc.strerror or exc}") from None
        db = create_engine(url, **kwargs)
        _setup_sqlite(db, memory)
        return db
    if u.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise StoreError(f"database {url!r}: unsupported; expected a SQLite file or a "
                     f"postgresql+psycopg:// URL")


@contextmanager
def transaction(db: Engine) -> Iterator[Connection]:
    """The one write path: a connection inside a transaction, committed on success.

    Any exception rolls the whole transaction back. Writers are serialized (SQLite
    ``BEGIN IMMEDIATE``, PostgreSQL advisory lock), so checks made inside the transaction
    still hold when it commits.
    """
    with db.connect() as conn:
        conn.execution_options(capra_write=True)
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_WRITE_LOCK_KEY})
            yield conn


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location",
                        str(resources.files("capra.store") / "migrations"))
    return cfg


def head_revision() -> str:
    """Latest migration of this version of Capra."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(db: Engine | Connection) -> str | None:
    """Migration the database (or the database of a connection) is at (``None``: never
    migrated)."""
    from alembic.runtime.migration import MigrationContext

    if isinstance(db, Engine):
        with db.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return MigrationContext.configure(db).get_current_revision()


def upgrade(db: Engine, revision: str = "head") -> str | None:
    """Apply the migrations up to ``revision`` in one transaction; returns the new revision."""
    from alembic import command
    from sqlalchemy.exc import OperationalError

    cfg = _alembic_config()
    try:
        with transaction(db) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            return current_revision(conn)
    except OperationalError as exc:  # cannot open or write the file, server refused ...
        raise StoreError(f"database {db.url.render_as_string(hide_password=True)}: "
                         f"cannot create or change the schema: {exc.orig}") from None


def _is_empty(conn: Connection) -> bool:
    return not inspect(conn).get_table_names()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def open_db(url: str | os.PathLike | None = None, *, migrate: bool = True,
            create_missing: bool = True) -> Engine:
    """Open a records database (a SQLAlchemy ``Engine``, named ``db`` throughout Capra), with
    the schema at the latest migration.

    Parameters
    ----------
    url
        Database URL or SQLite file path; default ``capra.db`` in the current folder.
    migrate
        Migrate an empty database to the latest revision. A database at an older revision
        is never changed silently: it raises :class:`StoreError` asking for
        ``capra db upgrade``.
    create_missing
        Create a SQLite file that does not exist, and the schema of an empty database
        (as ``capra db init`` and imports do). False for commands that only read: a
        missing or empty database raises :class:`StoreError` saying how to create it,
        instead of becoming an empty database that reports "0 animals".
    """
    resolved = resolve_url(url)
    u = make_url(resolved)
    how = (f"create it with 'capra db init --db {url or 'capra.db'}' and import records "
           "('capra db import KIND FILE'), or give the database with --db")
    if (not create_missing and u.get_backend_name() == "sqlite"
            and u.database not in (None, "", ":memory:") and not Path(u.database).is_file()):
        raise StoreError(f"database {_shown(resolved)} does not exist; {how}")
    db = create(resolved)
    try:
        with db.connect() as conn:
            rev = current_revision(conn)
            empty = rev is None and _is_empty(conn)
    except Exception as exc:  # connection refused, bad file, bad credentials
        db.dispose()
        raise StoreError(f"database {db.url.render_as_string(hide_password=True)}: "
                         f"cannot open: {exc}") from exc
    if empty and not create_missing:
        db.dispose()
        raise StoreError(f"database {_shown(resolved)} is empty (no Capra records); {how}")
    if empty and migrate:
        upgrade(db)
        return db
    head = head_revision()
    if rev != head and migrate:
        what = "has tables but no Capra schema version" if rev is None else f"is at {rev}"
        db.dispose()
        raise StoreError(f"database {db.url.render_as_string(hide_password=True)} {what}; "
                         f"expected revision {head}: run 'capra db upgrade'")
    return db


def open_existing(db: Engine | str | os.PathLike | None) -> Engine:
    """``db`` itself if it is an open database, else the database at that URL or SQLite path
    (``None``: the default), which must exist: it is never created (see :func:`open_db`
    with ``create_missing=False``). For functions that only read the records."""
    return db if isinstance(db, Engine) else open_db(db, create_missing=False)
