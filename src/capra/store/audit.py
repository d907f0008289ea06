"""The audit log: every change to the records, with what, when and by whom.

Audit rows are written by the same transaction as the change they describe, so the log
and the records cannot disagree: a rolled-back import leaves neither records nor audit
rows.

* The records added by one import are **one** ``insert`` row: the table, the ids of the
  first and last record added (``first_id``, ``last_id``), the import (``import_id``: file,
  SHA-256 of its content, row counts), the user and the time (UTC). Every record of the
  table whose id lies in that range was added by that import (ids are allocated above
  every recorded id, and the range holds no other record; if a range ever covers an id
  again after a delete, the latest audit row is the one that added the record).
* Updates and deletes are one row per record: table, natural key (JSON), action, values
  before and after (JSON), user, time.

This module writes the log; :mod:`capra.store.history` reads it back (per change, or per
record in the layout of the import files).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os

from sqlalchemy import Connection, insert

from capra.store.schema import Audit, Import

__all__ = ["audit_json", "current_user", "log_change", "log_import", "log_inserts", "utc_now"]


def current_user(user: str | None = None) -> str:
    """The user a change is recorded for: ``user`` if given, else the OS user."""
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name (containers without a passwd entry)
        return os.environ.get("USER") or f"uid:{os.getuid()}"


def utc_now() -> dt.datetime:
    """Now, UTC, without time zone (the audit log is in UTC on every database)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def audit_json(value) -> str | None:
    """A key or values as the audit log stores them: JSON text with sorted keys, dates as
    text; None stays None."""
    if value is None:
        return None
    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)


def log_change(conn: Connection, table: str, key, action: str, *, old: dict | None = None,
               new: dict | None = None, user: str | None = None,
               at: dt.datetime | None = None, record_id: int | None = None) -> None:
    """Write one audit row (one record's change) in the caller's transaction."""
    conn.execute(insert(Audit), [{
        "at": at or utc_now(), "user_name": current_user(user), "table_name": table,
        "row_key": audit_json(key), "action": action, "old": audit_json(old),
        "new": audit_json(new),
        "import_id": None, "first_id": record_id, "last_id": record_id}])


def log_inserts(conn: Connection, table: str, *, first_id: int, last_id: int, rows: int,
                user: str, at: dt.datetime, import_id: int | None) -> None:
    """Write the one audit row of the records an import added (ids ``first_id`` to
    ``last_id``, ``rows`` of them) in the caller's transaction."""
    conn.execute(insert(Audit), [{
        "at": at, "user_name": user, "table_name": table,
        "row_key": audit_json({"ids": [int(first_id), int(last_id)]}), "action": "insert",
        "old": None, "new": audit_json({"rows": int(rows)}), "import_id": import_id,
        "first_id": int(first_id), "last_id": int(last_id)}])


def log_import(conn: Connection, *, kind: str, file: str | None, sha256: str | None,
               user: str, at: dt.datetime, rows: int, inserted: int, unchanged: int,
               rejected: int) -> int:
    """Record one import; returns its id."""
    res = conn.execute(insert(Import).values(
        kind=kind, file=file, sha256=sha256, user_name=user, at=at, rows=rows,
        inserted=inserted, unchanged=unchanged, rejected=rejected).returning(Import.id))
    return int(res.scalar_one())
