"""Fixtures of the records-store tests: a fresh database per test, on SQLite and PostgreSQL.

PostgreSQL tests need ``CAPRA_TEST_POSTGRES_URL`` (set by ``.ci/run``); each test gets a
fresh schema of that database, through the URL's ``search_path`` option, so that
subprocesses opening the same URL see the same database.
"""

from __future__ import annotations

import os
import uuid
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


@pytest.fixture
def db(db_url):
    """An open, migrated, empty records database."""
    from capra.store.db import open_db

    eng = open_db(db_url)
    yield eng
    eng.dispose()
