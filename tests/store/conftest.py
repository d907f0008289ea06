"""Fixtures of the records-store tests: a fresh database per test, on SQLite and PostgreSQL.

PostgreSQL tests need ``CAPRA_TEST_POSTGRES_URL`` (set by ``.ci/run``); each test gets a
fresh schema of that database, through the URL's ``search_path`` option, so that
subprocesses opening the same URL see the same database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

PG_ENV = "CAPRA_TEST_POSTGRES_URL"


def _pg_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """URL of a fresh, empty database (not yet migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'capra.db'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set: no PostgreSQL server to test against "
                    "(.ci/run installs and starts one)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory):
    """SQLite files built once per test process and copied for each test (building every
    test's database from nothing took most of the time of the store tests):
    ``template(name, fill)`` is the file of a migrated database holding what
    ``fill(db)`` records, built on the first call with that name."""
    from capra.store.db import open_db

    folder = tmp_path_factory.mktemp("templates")
    built: dict[str, Path] = {}

    def template(name: str, fill) -> Path:
        if name not in built:
            path = folder / f"{name}.db"
            eng = open_db(f"sqlite:///{path}")
            fill(eng)
            eng.dispose()
            built[name] = path
        return built[name]

    return template


@pytest.fixture
def records_db(db_url, sqlite_templates):
    """``records_db(name, fill)``: an open, migrated database at ``db_url`` holding what
    ``fill(db)`` records (``name`` names that content): on SQLite a copy of its template,
    on PostgreSQL filled in place."""
    from capra.store.db import open_db

    opened = []

    def make(name: str, fill):
        if db_url.startswith("sqlite:///"):
            shutil.copyfile(sqlite_templates(name, fill), db_url.removeprefix("sqlite:///"))
            eng = open_db(db_url)
        else:
            eng = open_db(db_url)
            fill(eng)
        opened.append(eng)
        return eng

    yield make
    for eng in opened:
        eng.dispose()


@pytest.fixture
def db(records_db):
    """An open, migrated, empty records database."""
    return records_db("empty", lambda _: None)


@pytest.fixture
def base_db(records_db):
    """An open, migrated records database holding the hand-made herd of
    :func:`store_helpers.load_base` (recorded by the user ``tester``)."""
    from store_helpers import load_base

    return records_db("base", load_base)
