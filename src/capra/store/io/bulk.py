"""Rows written in bulk inside the import's transaction: SQLite multi-row ``INSERT``
statements through the driver's cursor, PostgreSQL ``COPY``; and the settings of a large
SQLite load (page cache, plain indexes rebuilt after the insert).
"""

from __future__ import annotations

import itertools
import sqlite3
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table

__all__ = ["BULK_ROWS", "bulk_insert", "bulk_load"]


def _driver_values(s: pd.Series, typ, pg: bool) -> list:
    """One column as Python values for the database driver (``None`` where empty)."""
    pyt = getattr(typ, "python_type", None)
    name = getattr(pyt, "__name__", "")
    if name in ("date", "datetime"):
        # each distinct date formatted once
        fmt = "%Y-%m-%d" if name == "date" else "%Y-%m-%d %H:%M:%S.%f"
        codes, uniq = pd.factorize(pd.to_datetime(s))
        txt = np.append(pd.DatetimeIndex(uniq).strftime(fmt).to_numpy(dtype=object), None)
        return txt[codes].tolist()
    if pyt is bool:
        v = s.astype("boolean")
        b = v.fillna(False).to_numpy(dtype=bool)
        out = b.astype(object) if pg else b.astype(np.int64).astype(object)
        out[v.isna().to_numpy()] = None
        return out.tolist()
    if pyt is int:
        v = s.astype("Int64")
        if not v.isna().any():
            return v.to_numpy(dtype=np.int64).tolist()
        return v.astype(object).where(v.notna(), None).tolist()
    if pyt is float:
        v = s.astype("float64").to_numpy()
        nan = np.isnan(v)
        if not nan.any():
            return v.tolist()
        out = v.astype(object)
        out[nan] = None
        return out.tolist()
    return s.astype(object).where(s.notna(), None).tolist()


#: Rows per COPY message on PostgreSQL. [rows]
COPY_CHUNK_ROWS = 50_000
#: Rows per INSERT statement on SQLite (multi-row VALUES). [rows]
SQLITE_ROWS_PER_INSERT = 500
#: Imports of at least this many new rows are bulk loads (SQLite: a larger page cache
#: for the transaction). [rows]
BULK_ROWS = 50_000
#: SQLite page cache of a bulk load. [KiB]
BULK_CACHE_KIB = 524_288


@contextmanager
def bulk_load(conn: Connection, table: Table, n_rows: int, n_recorded: int):
    """Settings of a large insert, inside the import transaction, restored after it.

    SQLite, when at least :data:`BULK_ROWS` rows go in and they are at least as many as
    the rows already recorded:

    * a larger page cache, so that the table and its indexes stay in memory while the
      rows go in (fewer pages spilled to the write-ahead log before the commit);
    * the table's plain (non-unique) indexes are dropped before the insert and created
      again after it, in the same transaction: one sorted build instead of a million
      scattered updates. Unique indexes stay, so keys are still enforced row by row. DDL
      is transactional in SQLite: a failed or killed import rolls the indexes back too.

    The durability settings are not touched (see :mod:`capra.store.db`).
    """
    if conn.dialect.name != "sqlite" or n_rows < BULK_ROWS:
        yield
        return
    dbapi = conn.connection.driver_connection
    old = dbapi.execute("PRAGMA cache_size").fetchone()[0]
    dbapi.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    rebuild = []
    if n_rows >= n_recorded:
        q = conn.dialect.identifier_preparer.quote
        for _seq, idx, unique, origin, _partial in dbapi.execute(
                f"PRAGMA index_list({q(table.name)})").fetchall():
            if not unique and origin == "c":
                sql = dbapi.execute("SELECT sql FROM sqlite_master WHERE type = 'index' "
                                    "AND name = ?", (idx,)).fetchone()[0]
                rebuild.append(sql)
                dbapi.execute(f"DROP INDEX {q(idx)}")
    try:
        yield
        for sql in rebuild:
            dbapi.execute(sql)
    finally:
        dbapi.execute(f"PRAGMA cache_size = {int(old)}")


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_texts(values: list, pyt) -> list[str]:
    """One column's values as fields of ``COPY ... FROM STDIN`` (text format): ``\\N`` is
    NULL; backslash, tab, newline and carriage return in text are escaped."""
    if pyt is bool:
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if pyt is float:
        return ["\\N" if v is None else repr(v) for v in values]
    if pyt is int:
        return ["\\N" if v is None else str(v) for v in values]
    if getattr(pyt, "__name__", "") in ("date", "datetime"):
        return ["\\N" if v is None else v for v in values]
    return ["\\N" if v is None else str(v).translate(_COPY_ESCAPES) for v in values]


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
    """Insert rows (columns = table columns, ``id`` included) in bulk, in the caller's
    transaction: SQLite ``executemany`` on the driver's cursor, PostgreSQL ``COPY``."""
    if frame.empty:
        return
    cols = list(frame.columns)
    pg = conn.dialect.name == "postgresql"
    values = [_driver_values(frame[c], table.c[c].type, pg) for c in cols]
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in cols)
    name = conn.dialect.identifier_preparer.quote(table.name)
    dbapi = conn.connection.driver_connection
    if pg:
        # COPY (text format): the fields made column by column, the lines joined in C, a
        # chunk at a time (the server stores one chunk while the next is made)
        types = [getattr(table.c[c].type, "python_type", None) for c in cols]
        with dbapi.cursor() as cur:
            with cur.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                for i in range(0, len(frame), COPY_CHUNK_ROWS):
                    texts = [_copy_texts(v[i:i + COPY_CHUNK_ROWS], t)
                             for v, t in zip(values, types)]
                    copy.write("\n".join(map("\t".join, zip(*texts))) + "\n")
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT MAX(id) FROM {name}))")
    else:
        # multi-row VALUES: one statement per SQLITE_ROWS_PER_INSERT rows (within the
        # driver's limit on bound parameters), fewer statement steps than row by row
        n, width = len(frame), len(cols)
        limit = dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = max(1, min(SQLITE_ROWS_PER_INSERT, limit // width))
        flat = list(itertools.chain.from_iterable(zip(*values)))
        one = "(" + ", ".join("?" * width) + ")"

        def sql(k: int) -> str:
            return f"INSERT INTO {name} ({quoted}) VALUES " + ", ".join([one] * k)
        full = n // per
        step = per * width
        cur = dbapi.cursor()
        try:
            if full:
                cur.executemany(sql(per), (flat[i * step:(i + 1) * step] for i in range(full)))
            if n % per:
                cur.execute(sql(n % per), flat[full * step:])
        finally:
            cur.close()
