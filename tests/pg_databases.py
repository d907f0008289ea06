"""Fresh PostgreSQL databases for the tests that also run on PostgreSQL (when
``CAPRA_TEST_POSTGRES_URL`` names a server, as on CI): one database of their own per test,
so that threads and subprocesses opening its URL see the same records.

A test that starts from records gets a copy of a template database (``CREATE DATABASE ...
TEMPLATE``, a file copy on the server: about 0.05 s) built once per test process, instead
of a database migrated and filled for each test (about 1 s on CI). The role of the URL
needs ``CREATEDB`` (``.ci/run`` gives it).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

#: The environment variable with the URL of the test server's database.
PG_ENV = "CAPRA_TEST_POSTGRES_URL"


class PgDatabases:
    """Databases made beside the one of ``base_url`` (same server, role and options), named
    after this process so that test processes never share one; dropped when done."""

    def __init__(self, base_url: str):
        self.base = make_url(base_url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.prefix = f"capra_t_{uuid.uuid4().hex[:8]}"
        self.count = 0
        self.templates: dict[str, str] = {}

    def url(self, name: str) -> str:
        """The URL of database ``name``."""
        return self.base.set(database=name).render_as_string(hide_password=False)

    def new_name(self) -> str:
        self.count += 1
        return f"{self.prefix}_{self.count}"

    def create(self, name: str, template: str | None = None) -> None:
        """Create database ``name``: empty, or a copy of database ``template``."""
        copy = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))

    def drop(self, name: str) -> None:
        """Drop database ``name`` if it exists, ending its connections.

        An autovacuum worker visiting the database is a process the test role may not end
        (PostgreSQL refuses with InsufficientPrivilege); it leaves within moments, so the
        drop is tried again for up to 10 s.
        """
        import time

        from sqlalchemy.exc import ProgrammingError

        deadline = time.monotonic() + 10.0
        while True:
            try:
                with self.admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def template(self, key: str, fill: Callable) -> str:
        """The name of the template database ``key``: migrated and holding what
        ``fill(db)`` records, built on the first call with that key."""
        if key not in self.templates:
            from capra.store.db import open_db

            name = self.new_name()
            self.create(name)
            db = open_db(self.url(name))
            fill(db)
            db.dispose()  # a template must have no connection when it is copied
            self.templates[key] = name
        return self.templates[key]

    def close(self) -> None:
        for name in self.templates.values():
            self.drop(name)
        self.admin.dispose()
