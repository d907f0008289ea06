"""Fixtures of the records-store tests: a fresh database per test, on SQLite and PostgreSQL.

PostgreSQL tests need ``CAPRA_TEST_POSTGRES_URL`` (set by ``.ci/run``); each test gets a
database of its own on that server (``pg_databases`` of ``tests/conftest.py``), so that
subprocesses opening the same URL see the same database.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """URL of a fresh, empty database (not yet migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'capra.db'}"
        return
    pg = request.getfixturevalue("pg_databases")
    name = pg.new_name()
    pg.create(name)
    try:
        yield pg.url(name)
    finally:
        pg.drop(name)


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
def records_db(request, db_url, sqlite_templates):
    """``records_db(name, fill)``: an open, migrated database at ``db_url`` holding what
    ``fill(db)`` records (``name`` names that content): a copy of its template, built once
    per test process (on PostgreSQL a template database, ``pg_databases``)."""
    from capra.store.db import open_db

    opened = []

    def make(name: str, fill):
        if db_url.startswith("sqlite:///"):
            shutil.copyfile(sqlite_templates(name, fill), db_url.removeprefix("sqlite:///"))
        else:  # the empty database of db_url made again as a copy of the template
            pg = request.getfixturevalue("pg_databases")
            database = make_url(db_url).database
            pg.drop(database)
            pg.create(database, template=pg.template(name, fill))
        eng = open_db(db_url)
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
