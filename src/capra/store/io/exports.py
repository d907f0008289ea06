"""The records read back: tables typed for the import's checks, and each kind in its file
layout for exports (natural keys instead of ids, dates as dates).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, Engine, Table, select

from capra.store import schema as S
from capra.store.io.files import write_table
from capra.store.io.kinds import REF_KEYS, get_kind

__all__ = ["export_frame", "export_table", "key_map", "read_records", "records_with_ids"]


def read_records(conn: Connection, table: Table, where=None, columns=None) -> pd.DataFrame:
    """The rows of ``table`` (optionally ``where`` holds, only ``columns``) as a DataFrame
    typed by column: dates ``datetime64[s]``, booleans and integers nullable."""
    cols = [table.c[c] for c in columns] if columns else list(table.c)
    stmt = select(*cols)
    if where is not None:
        stmt = stmt.where(where)
    res = conn.execute(stmt)
    names = list(res.keys())
    data = list(zip(*res.fetchall())) or [() for _ in names]
    # built column by column (row objects would be inspected one by one)
    df = pd.DataFrame({c: pd.Series(list(v)) if v else pd.Series(dtype=object)
                       for c, v in zip(names, data)}, columns=names)
    for c in df.columns:
        typ = table.c[c].type.python_type if hasattr(table.c[c].type, "python_type") else None
        if typ is not None and typ.__name__ == "date":
            df[c] = pd.to_datetime(df[c]).astype("datetime64[s]")
        elif typ is bool:
            df[c] = df[c].astype("boolean")
        elif typ is int and c != "id":
            df[c] = df[c].astype("Int64")
        elif typ is float:
            df[c] = df[c].astype("float64")
    return df


def key_map(conn: Connection, kind: str) -> dict[str, int]:
    """``{natural key: id}`` of the records of ``kind`` (a kind others refer to)."""
    table = S.metadata.tables[kind]
    key = REF_KEYS[kind]
    return {k: int(i) for k, i in conn.execute(select(table.c[key], table.c.id))}


def export_frame(db: Engine | Connection, kind: str) -> pd.DataFrame:
    """The records of a kind in its file layout (natural keys, dates as dates), in the
    order they were recorded; ``db`` is an open records database or a connection to one."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            return export_frame(conn, kind)
    return records_with_ids(db, kind).drop(columns="id")


def records_with_ids(conn: Connection, kind: str) -> pd.DataFrame:
    """The records of a kind in its file layout, with their ``id`` first, by id."""
    k = get_kind(kind)
    rows = read_records(conn, k.table).sort_values("id", kind="stable")
    out = {"id": rows["id"].astype("int64").reset_index(drop=True)}
    for f in k.export_fields:
        s = rows[f.db]
        if f.type == "ref":
            rev = {v: kk for kk, v in key_map(conn, f.ref).items()}
            s = s.map(lambda i: rev.get(int(i)) if pd.notna(i) else None)
        elif f.type == "date":
            s = s.astype("datetime64[s]")
        out[f.name] = s.reset_index(drop=True)
    return pd.DataFrame(out)


def export_table(db: Engine, kind: str, path: str | os.PathLike) -> Path:
    """Export the records of a kind to a CSV, XLSX or Parquet file."""
    return write_table(export_frame(db, kind), path)
