"""Records: a database of farms, animals, events, milk tests, deliveries and children.

Library first: :func:`open_db` opens (and migrates) a database, :func:`transaction` is the
one write path, :func:`import_file` / :func:`import_frame` load validated rows,
:func:`export_table` writes them out, :func:`herd_state` answers "what was the herd on
this date". The ``capra db`` commands only parse and format. Public names are imported on
first use (SQLAlchemy is not loaded by ``capra --help``).
"""

from capra._lazy import lazy_exports

_EXPORTS = dict.fromkeys(("DEFAULT_URL", "StoreError", "open_db", "open_existing", "resolve_url",
                          "transaction", "upgrade"), "capra.store.db")

__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS)
