"""The audit log read back: every change, or every record with who added it.

:func:`read_audit` gives the log in order; with ``expand=True`` an import's one
``insert`` row becomes one row per record it added, with the record's natural key and
values in the layout of the import files (:mod:`capra.store.io`). :func:`inserted_by`
answers "who added this record, when, from which file" for one record. The log is
written by :mod:`capra.store.audit`, in the transaction of each change.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import Connection, select, text

from capra.store.audit import audit_json
from capra.store.io.exports import records_with_ids
from capra.store.io.kinds import KINDS
from capra.store.schema import Audit

__all__ = ["inserted_by", "read_audit"]


def _with_conn(db, fn):
    if hasattr(db, "connect"):
        with db.connect() as conn:
            return fn(conn)
    return fn(db)


def read_audit(db, table: str | None = None, *, expand: bool = False) -> pd.DataFrame:
    """The audit log (optionally of one table) in order, as a DataFrame; ``db`` is an open
    records database or a connection to one.

    With ``expand``, an import's ``insert`` row becomes one row per record it added, with
    ``record_id``, the record's natural key (``row_key``) and its values (``new``) in the
    file layout, as JSON. The values are the recorded ones, with later updates undone
    (their ``old`` values), so they are the values the import wrote.
    """
    def read(conn):
        stmt = select(Audit).order_by(Audit.id)
        if table:
            stmt = stmt.where(Audit.table_name == table)
        log = pd.DataFrame(conn.execute(stmt).mappings().all(),
                           columns=[c.name for c in Audit.__table__.c])
        if not expand or log.empty:
            return log
        return _expand(conn, log)
    return _with_conn(db, read)


def _expand(conn: Connection, log: pd.DataFrame) -> pd.DataFrame:
    ranged = (log["action"] == "insert") & log["first_id"].notna()
    parts = [log[~ranged].assign(record_id=log.loc[~ranged, "first_id"])]
    for name, batch in log[ranged].groupby("table_name", sort=False):
        if name not in KINDS:
            parts.append(batch.assign(record_id=pd.NA))
            continue
        kind = KINDS[name]
        recs = records_with_ids(conn, name)
        ids = recs["id"].to_numpy()
        # the latest insert row covering an id is the one that added the record
        owner = pd.Series(pd.NA, index=recs.index, dtype="Int64")
        for r in batch.sort_values("id").itertuples():
            hit = (ids >= r.first_id) & (ids <= r.last_id)
            owner[hit] = r.id
        recs = recs[owner.notna().to_numpy()]
        owner = owner.dropna().astype("int64")
        updates = log[(log["table_name"] == name) & (log["action"] == "update")]
        key_cols = list(kind.key)
        rows = []
        values = recs.drop(columns="id")
        for rec, rid, aid in zip(_json_records(values), recs["id"].to_numpy(), owner.to_numpy()):
            key = {k: rec.get(k) for k in key_cols}
            for u in updates[updates["id"] > aid].sort_values("id", ascending=False).itertuples():
                if json.loads(u.row_key) == key and u.old:
                    rec.update(json.loads(u.old))
            rows.append({"id": int(aid), "record_id": int(rid), "row_key": audit_json(key),
                         "new": audit_json(rec)})
        per = pd.DataFrame(rows, columns=["id", "record_id", "row_key", "new"])
        head = batch.drop(columns=["row_key", "new"])
        parts.append(per.merge(head, on="id", how="left"))
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else log.assign(record_id=pd.NA).iloc[:0]
    out = out.sort_values(["id", "record_id"], kind="stable").reset_index(drop=True)
    return out[[c.name for c in Audit.__table__.c] + ["record_id"]]


def _json_records(df: pd.DataFrame) -> list[dict]:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").astype(object).where(out[c].notna(), None)
    return [json.loads(line) for line in
            out.to_json(orient="records", lines=True, force_ascii=False).splitlines()]


def inserted_by(db, table: str, record) -> dict | None:
    """Who added a record, when and from which import: ``at``, ``user_name``,
    ``import_id``, ``file``, ``sha256`` and ``audit_id`` (``None`` if no audit row); ``db``
    is an open records database or a connection to one.

    ``record`` is the record's id or its natural key as a dict in the file layout (e.g.
    ``{"animal": "D1", "date": "2025-03-01"}``).
    """
    def find(conn):
        if isinstance(record, dict):
            log = read_audit(conn, table, expand=True)
            if log.empty:
                return None
            want = audit_json(record)
            hit = log[(log["action"] == "insert") & (log["row_key"].map(
                lambda k: audit_json(json.loads(k)) if k else None) == want)]
            if hit.empty:
                return None
            aid = int(hit["id"].iloc[-1])
            cond, params = "a.id = :aid", {"aid": aid}
        else:
            cond = ("a.table_name = :t AND a.action = 'insert' AND a.first_id <= :rid "
                    "AND a.last_id >= :rid")
            params = {"t": table, "rid": int(record)}
        row = conn.execute(text(
            "SELECT a.id AS audit_id, a.at, a.user_name, a.import_id, i.file, i.sha256 "
            "FROM audit a LEFT JOIN imports i ON i.id = a.import_id "
            f"WHERE {cond} ORDER BY a.id DESC LIMIT 1"), params).mappings().first()
        return dict(row) if row else None
    return _with_conn(db, find)
