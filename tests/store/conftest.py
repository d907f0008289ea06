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


class OwnDatabase:
    """The database of one test: its URL, and on PostgreSQL whether it was made yet (it is
    made when first asked for: empty, or as a copy of a template)."""

    def __init__(self, url: str, pg=None):
        self.url, self.pg, self.made = url, pg, False

    def make(self, template: str | None = None) -> None:
        if self.pg is None:
            return
        name = make_url(self.url).database
        if self.made:
            self.pg.drop(name)
        self.pg.create(name, template=template)
        self.made = True


@pytest.fixture(params=["sqlite", "postgres"])
def own_database(request, tmp_path):
    """The database of this test (:class:`OwnDatabase`) on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield OwnDatabase(f"sqlite:///{tmp_path / 'capra.db'}")
        return
    pg = request.getfixturevalue("pg_databases")
    target = OwnDatabase(pg.url(pg.new_name()), pg)
    yield target
    if target.made:
        pg.drop(make_url(target.url).database)


@pytest.fixture
def db_url(own_database):
    """URL of a fresh, empty database (not yet migrated); the same database as
    ``records_db`` when a test asks for both."""
    if not own_database.made:
        own_database.make()
    return own_database.url


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
def records_db(request, own_database, sqlite_templates):
    """``records_db(name, fill)``: an open, migrated database (the test's own,
    ``own_database``) holding what ``fill(db)`` records (``name`` names that content): a
    copy of its template, built once per test process (on PostgreSQL a template database,
    ``pg_databases``)."""
    from capra.store.db import open_db

    opened = []

    def make(name: str, fill):
        url = own_database.url
        if url.startswith("sqlite:///"):
            shutil.copyfile(sqlite_templates(name, fill), url.removeprefix("sqlite:///"))
        else:
            pg = request.getfixturevalue("pg_databases")
            own_database.make(template=pg.template(name, fill))
        eng = open_db(url)
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
