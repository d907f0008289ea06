"""The audit log: every change to the records, with what, when and by whom.

Audit rows are written by the same transaction as the change they describe, so the log
and the records cannot disagree: a rolled-back import leaves neither records nor audit
rows. Each row names the table, the record's natural key (JSON), the action (``insert``,
``update``, ``delete``), the values before and after (JSON), the user and the time (UTC).
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os

import pandas as pd
from sqlalchemy import Connection, insert, select

from capra.store.schema import Audit, Import

__all__ = ["current_user", "log_change", "read_audit", "utc_now"]


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


def _json(value) -> str | None:
    if value is None:
        return None
    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)


def log_change(conn: Connection, table: str, key, action: str, *, old: dict | None = None,
               new: dict | None = None, user: str | None = None,
               at: dt.datetime | None = None) -> None:
    """Write one audit row in the caller's transaction."""
    conn.execute(insert(Audit), [{
        "at": at or utc_now(), "user_name": current_user(user), "table_name": table,
        "row_key": _json(key), "action": action, "old": _json(old), "new": _json(new),
        "import_id": None}])


def log_import(conn: Connection, *, kind: str, file: str | None, sha256: str | None,
               user: str, at: dt.datetime, rows: int, inserted: int, unchanged: int,
               rejected: int) -> int:
    """Record one import; returns its id."""
    res = conn.execute(insert(Import).values(
        kind=kind, file=file, sha256=sha256, user_name=user, at=at, rows=rows,
        inserted=inserted, unchanged=unchanged, rejected=rejected).returning(Import.id))
    return int(res.scalar_one())


def read_audit(conn_or_engine, table: str | None = None) -> pd.DataFrame:
    """The audit log (optionally of one table) in order, as a DataFrame."""
    stmt = select(Audit).order_by(Audit.id)
    if table:
        stmt = stmt.where(Audit.table_name == table)
    if hasattr(conn_or_engine, "connect"):
        with conn_or_engine.connect() as conn:
            return pd.DataFrame(conn.execute(stmt).mappings().all())
    return pd.DataFrame(conn_or_engine.execute(stmt).mappings().all())
