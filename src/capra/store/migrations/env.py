"""Alembic environment of the records database.

Run by :func:`capra.store.db.upgrade` with a connection already inside a transaction
(``config.attributes["connection"]``); or by the ``alembic`` command with
``-x url=...``.
"""

from alembic import context
from sqlalchemy import create_engine

from capra.store.schema import metadata

config = context.config


def _configure(connection) -> None:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite",
                      compare_type=True)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or "sqlite:///capra.db"
    db = create_engine(url)
    with db.begin() as conn:
        _configure(conn)
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; give a database URL")
run_migrations_online()
