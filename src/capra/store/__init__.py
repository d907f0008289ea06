"""Records: a database of farms, animals, events, milk tests, deliveries and children.

Library first: :func:`open_db` opens (and migrates) a database, :func:`transaction` is the
one write path, :func:`import_file` / :func:`import_frame` load validated rows,
:func:`export_table` writes them out, :func:`herd_state` answers "what was the herd on
this date". The ``capra db`` commands only parse and format.
"""

from capra.store.db import DEFAULT_URL, StoreError, open_db, resolve_url, transaction, upgrade

__all__ = ["DEFAULT_URL", "StoreError", "open_db", "resolve_url", "transaction", "upgrade"]
