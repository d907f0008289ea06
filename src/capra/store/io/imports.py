"""Imports of records: validated, compared with what is recorded, written in one transaction.

An import

1. reads the file as text (:mod:`capra.store.io.files`) and checks the column names (an
   unknown column is an error that names the closest valid one);
2. validates every field of every row, column by column (codes, numbers, ranges, dates;
   :mod:`capra.store.io.validate`) and resolves references to other records;
3. inside one write transaction: compares each row with what is recorded under the same
   natural key (identical: unchanged, so importing a file twice changes nothing;
   different: rejected), checks the integrity rules against the records and within the
   file (:mod:`capra.store.io.rules`), then inserts the new rows in bulk
   (:mod:`capra.store.io.bulk`) with one audit row for them all.

By default an import is all-or-nothing: one rejected row raises :class:`RowsRejectedError`
(naming every rejected row, field and reason) and nothing is written. With
``keep_valid=True`` the valid rows are loaded and the rejected ones are returned (and
written by ``capra db import --rejects FILE``) with ``row``, ``field`` and ``reason``.
Rows are numbered from 1, the first data row (line 2 of a CSV file).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from capra.errors import DataError, InvalidValuesError
from capra.store.audit import current_user, log_import, log_inserts, utc_now
from capra.store.db import transaction
from capra.store.io.bulk import bulk_insert, bulk_load
from capra.store.io.context import ImportContext
from capra.store.io.files import as_text, read_table, write_table
from capra.store.io.kinds import REF_KEYS, Kind, get_kind
from capra.store.io.rules import PREPARE, RULES
from capra.store.io.validate import Problems, check_columns, parse

__all__ = ["ImportResult", "RowsRejectedError", "import_file",
           "import_frame", "rejected_rows"]

#: How many problems an error message lists before "and N more".
MESSAGE_PROBLEMS = 20


class RowsRejectedError(InvalidValuesError):
    """An all-or-nothing import found invalid rows; nothing was written.

    ``rejects`` is a DataFrame with ``row``, ``field``, ``reason`` and ``value`` of every
    problem found.
    """

    def __init__(self, kind: str, rejects: pd.DataFrame, n_rows: int, file: str | None = None):
        problems: dict[str, list[tuple[int, object]]] = {}
        for r in rejects.itertuples(index=False):
            problems.setdefault(r.field, []).append((int(r.row), r.value))
        super().__init__("", problems=problems, file=file)
        self.rejects = rejects
        self.kind = kind
        n_bad = rejects["row"].nunique()
        lines = [f"  row {r.row}, field {r.field!r}: {r.reason}"
                 for r in rejects.head(MESSAGE_PROBLEMS).itertuples(index=False)]
        if len(rejects) > MESSAGE_PROBLEMS:
            lines.append(f"  ... and {len(rejects) - MESSAGE_PROBLEMS} more problems")
        self.reason = (f"{kind}: {n_bad} of {n_rows} rows rejected, nothing imported "
                       f"(use --rejects FILE to load the valid rows and write the others):\n"
                       + "\n".join(lines))
        self.args = (self._text(),)


@dataclass
class ImportResult:
    """What an import did.

    Attributes
    ----------
    kind
        Kind of record.
    rows
        Data rows in the file.
    inserted
        New records written.
    unchanged
        Rows identical to a record already there.
    rejects
        One row per problem: ``row`` (1 = first data row), ``field``, ``reason``, ``value``.
    import_id
        Id of the ``imports`` row (``None`` when nothing was written).
    """

    kind: str
    rows: int
    inserted: int
    unchanged: int
    rejects: pd.DataFrame
    import_id: int | None = None

    @property
    def rejected(self) -> int:
        """Rows rejected."""
        return int(self.rejects["row"].nunique()) if len(self.rejects) else 0


def _map_distinct(s: pd.Series, mapping: dict) -> pd.Series:
    """``s.map(mapping)``, looking up each distinct value once."""
    codes, uniq = pd.factorize(s.to_numpy(dtype=object))
    looked = np.array([mapping.get(u, np.nan) for u in uniq] + [np.nan], dtype="float64")
    return pd.Series(looked[codes], index=s.index)


def _resolve_refs(ctx: ImportContext, self_ids: pd.Series | None) -> None:
    """``<field>_id`` columns from natural keys; unknown keys are rejected."""
    kind, val = ctx.kind, ctx.val
    for f in kind.fields:
        if f.type != "ref":
            continue
        m = ctx.keymap(f.ref)
        ids = _map_distinct(val[f.name], m)
        if f.ref == kind.name and self_ids is not None:
            # a parent recorded in the same file
            own = pd.Series(self_ids.values, index=val.loc[self_ids.index, REF_KEYS[kind.name]])
            own = own[~own.index.duplicated()]
            ids = ids.fillna(val[f.name].map(own))
        unknown = val[f.name].notna() & ids.isna()
        what = f.ref[:-1].replace("_", " ") if f.ref != "children" else "child"
        ctx.P.add_mask(unknown, f.name, lambda i, c=f.name, w=what: [
            f"unknown {w} {k!r}" for k in val.loc[i, c]])
        val[f.db] = ids.astype("Int64")


def _db_frame(kind: Kind, val: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for f in kind.fields:
        if f.db in kind.table.c:
            out[f.db] = val[f.db] if f.db in val else val[f.name]
    for c in val.columns:
        if c in kind.table.c and c not in out and c != "id":
            out[c] = val[c]
    return pd.DataFrame(out, index=val.index)


def _fmt(v) -> str:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return "empty"
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    return repr(v) if isinstance(v, str) else str(v)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element-wise equality with empty == empty."""
    an, bn = a.isna(), b.isna()
    eq = (a.astype(object).where(~an, None).to_numpy() == b.astype(object).where(~bn, None)
          .to_numpy())
    return pd.Series(np.asarray(eq, dtype=bool) | (an.to_numpy() & bn.to_numpy()), index=a.index)


def _compare_existing(ctx: ImportContext) -> pd.Index:
    """Rows already recorded: identical ones are returned (unchanged); others rejected."""
    kind, val, P = ctx.kind, ctx.val, ctx.P
    key_db = [kind.field(k).db for k in kind.key]
    ok = ctx.ok()
    cand = val[ok & val[key_db].notna().all(axis=1)]
    if cand.empty:
        return pd.Index([], dtype="int64")
    left = _db_frame(kind, cand).reset_index(names="_idx")
    existing = ctx.records(kind.table.name, key_db[0], left[key_db[0]])
    if existing.empty:
        return pd.Index([], dtype="int64")
    right = existing.copy()
    for c in key_db:
        for side in (left, right):
            if pd.api.types.is_integer_dtype(side[c].dtype):
                side[c] = side[c].astype("int64")
            elif not pd.api.types.is_datetime64_any_dtype(side[c].dtype):
                side[c] = side[c].astype(object)
    merged = left.merge(right, on=key_db, how="inner", suffixes=("", "_db"))
    if merged.empty:
        return pd.Index([], dtype="int64")
    same_all = pd.Series(True, index=merged.index)
    inv = {f.db: f for f in kind.fields}
    for c in _db_frame(kind, cand).columns:
        if c in key_db or f"{c}_db" not in merged:
            continue
        same = _same(merged[c], merged[f"{c}_db"])
        diff = ~same
        if diff.any():
            f = inv.get(c)
            name = f.name if f else c
            if f is not None and f.type == "ref":
                rev = {v: k for k, v in ctx.keymap(f.ref).items()}
                rec = merged.loc[diff, f"{c}_db"].map(lambda i: _fmt(rev.get(i) if pd.notna(i) else None))
                fil = merged.loc[diff, c].map(lambda i: _fmt(rev.get(i) if pd.notna(i) else None))
            else:
                rec = merged.loc[diff, f"{c}_db"].map(_fmt)
                fil = merged.loc[diff, c].map(_fmt)
            reason = ("already recorded with " + name + " " + rec + "; the file has " + fil)
            P.add(merged.loc[diff, "_idx"], name, reason.to_numpy())
        same_all &= same
    return pd.Index(merged.loc[same_all, "_idx"].to_numpy(), dtype="int64")


def _duplicates(ctx: ImportContext) -> None:
    kind, val = ctx.kind, ctx.val
    key = list(kind.key)
    has_key = val[key].notna().all(axis=1)
    sub = val[has_key & ctx.ok()]
    dup = sub.duplicated(key, keep="first")
    if dup.any():
        first = sub[~dup].reset_index(names="_first").set_index(key)["_first"]
        firsts = sub.loc[dup, key].apply(tuple, axis=1).map(
            lambda k: first.get(k if len(k) > 1 else k[0]))
        ctx.P.add(sub.index[dup.to_numpy()], key[-1] if len(key) == 1 else key[0],
                  ("same " + "/".join(key) + " as row " + (firsts + 1).astype(str)).to_numpy())


def import_frame(db: Engine, kind: str, data: pd.DataFrame, *, keep_valid: bool = False,
                 user: str | None = None, file: str | None = None,
                 sha256: str | None = None,
                 before_commit: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Validate and import the rows of ``data`` (a DataFrame with the kind's columns).

    Parameters
    ----------
    db
        An open records database (:func:`capra.store.db.open_db`).
    kind
        One of :data:`KINDS`.
    data
        Rows to import; cells may be text or typed values.
    keep_valid
        Load the valid rows and return the rejected ones, instead of all-or-nothing.
    user
        User recorded in the audit log; default the OS user.
    file, sha256
        Recorded in the ``imports`` table.
    before_commit
        Called with the result inside the import's transaction, after the rows are written
        and before they are committed (e.g. to write the rejected rows to a file): if it
        raises, nothing is imported.

    Rows of ``data`` with fewer fields than the header (``data.attrs["short_rows"]``, set
    by :func:`read_table`) are rejected.

    Raises
    ------
    RowsRejectedError
        Some rows are invalid and ``keep_valid`` is false; nothing was written.
    DataError
        Unknown or missing columns, or an unknown kind.
    """
    k = get_kind(kind)
    raw = as_text(data)
    check_columns(k, raw, file)
    P = Problems()
    val = parse(k, raw, P)
    short = data.attrs.get("short_rows") or {}
    for row, n_fields in short.items():
        P.add([row], str(raw.columns[n_fields]) if n_fields < len(raw.columns) else "",
              f"the row has {n_fields} of {len(raw.columns)} fields; expected one per column "
              "(a truncated line, or a stray quote that joined two fields?)")
    user = current_user(user)
    at = utc_now()
    with transaction(db) as conn:
        ctx = ImportContext(conn, k, val, P)
        self_ref = any(f.type == "ref" and f.ref == k.name for f in k.fields)
        next_id = int(conn.execute(select(func.coalesce(func.max(k.table.c.id), 0))).scalar_one()) + 1
        # pre-allocated ids of the candidate rows (needed for references within the file)
        self_ids = pd.Series(np.arange(next_id, next_id + len(val)), index=val.index) \
            if self_ref else None
        _resolve_refs(ctx, self_ids)
        prepare, check = PREPARE.get(k.name), RULES.get(k.name)
        if prepare:
            prepare(ctx)
        _duplicates(ctx)
        unchanged = ctx.unchanged = _compare_existing(ctx)
        for _ in range(10):  # rules, until rejections stop cascading
            before = len(P.frame())
            if check:
                check(ctx)
            if self_ref:
                _reject_refs_to_rejected(ctx, self_ids)
            if len(P.frame()) == before:
                break
        probs = P.frame()
        bad = set(probs["idx"].tolist())
        rejects = _rejects_frame(probs, raw)
        if bad and not keep_valid:
            raise RowsRejectedError(k.name, rejects, len(raw), file=file)
        take = val.index[~val.index.isin(list(bad)) & ~val.index.isin(unchanged)]
        result = ImportResult(k.name, len(raw), len(take), len(unchanged), rejects)
        if len(take) == 0:
            if before_commit is not None:
                before_commit(result)
            return result
        rows = _db_frame(k, val.loc[take] if len(take) < len(val) else val)
        ids = (self_ids.loc[take].to_numpy() if self_ref
               else np.arange(next_id, next_id + len(take)))
        rows.insert(0, "id", ids)
        import_id = log_import(conn, kind=k.name, file=file, sha256=sha256, user=user, at=at,
                               rows=len(raw), inserted=len(take), unchanged=len(unchanged),
                               rejected=result.rejected)
        result.import_id = import_id
        with bulk_load(conn, k.table, len(take), next_id - 1):
            bulk_insert(conn, k.table, rows)
        # one audit row for every record added: the ids lie in [first, last], and no other
        # record does (ids are allocated above every recorded id)
        log_inserts(conn, k.table.name, first_id=int(ids.min()), last_id=int(ids.max()),
                    rows=len(take), user=user, at=at, import_id=import_id)
        if before_commit is not None:
            before_commit(result)
        return result


def _reject_refs_to_rejected(ctx: ImportContext, self_ids: pd.Series) -> None:
    """Rows that refer to a parent rejected in the same file are rejected too."""
    bad = ctx.P.bad()
    if not bad:
        return
    bad_ids = set(self_ids.loc[list(bad)].tolist())
    for f in ctx.kind.fields:
        if f.type == "ref" and f.ref == ctx.kind.name:
            hit = ctx.val[f.db].isin(bad_ids) & ctx.ok()
            ctx.P.add_mask(hit, f.name, ctx.val[f.name].map(
                lambda t: f"refers to {t!r}, rejected in this file"))


def _rejects_frame(probs: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    if probs.empty:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "field": pd.Series(dtype=str),
                             "reason": pd.Series(dtype=str), "value": pd.Series(dtype=str)})
    vals = [raw.at[i, f] if f in raw.columns else "" for i, f in zip(probs["idx"], probs["field"])]
    return pd.DataFrame({"row": probs["idx"].to_numpy() + 1, "field": probs["field"].to_numpy(),
                         "reason": probs["reason"].to_numpy(), "value": vals})


def rejected_rows(result_or_rejects, raw: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows of ``raw``, one per row, with ``row``, ``field`` and ``reason``
    first (fields and reasons of one row joined by ``; ``), then the row's own columns. A
    leading name that is also a column of the file (``reason`` of events) is written
    ``rejected_reason``, so that the row's own columns keep their names."""
    rej = result_or_rejects.rejects if isinstance(result_or_rejects, ImportResult) \
        else result_or_rejects
    names = {c: f"rejected_{c}" if c in raw.columns else c for c in ("row", "field", "reason")}
    if rej.empty:
        return pd.DataFrame(columns=[*names.values(), *raw.columns])
    g = rej.groupby("row", sort=True)
    head = pd.DataFrame({"field": g["field"].agg("; ".join), "reason": g["reason"].agg("; ".join)})
    body = raw.iloc[head.index.to_numpy() - 1].reset_index(drop=True)
    head = head.reset_index().rename(columns=names)
    return pd.concat([head, body], axis=1)


def import_file(db: Engine, kind: str, path: str | os.PathLike, *,
                keep_valid: bool = False, rejects_path: str | os.PathLike | None = None,
                user: str | None = None) -> ImportResult:
    """Import a CSV, XLSX or Parquet file; see :func:`import_frame`.

    With ``rejects_path`` the valid rows are loaded and the rejected rows are written there
    (CSV or XLSX by suffix) with ``row``, ``field`` and ``reason`` first. The file is
    written before the import commits: if it cannot be written, nothing is imported.
    """
    path = Path(path)
    if rejects_path is not None and Path(rejects_path).suffix.lower() not in (".csv", ".xlsx"):
        raise DataError(f"unknown type {Path(rejects_path).suffix!r} for the rejects file; "
                        "expected .csv or .xlsx", file=str(rejects_path))
    raw = read_table(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()

    def write_rejects(res: ImportResult) -> None:
        try:
            write_table(rejected_rows(res, raw), rejects_path)
        except OSError as exc:
            raise DataError(f"cannot write the rejected rows: {exc.strerror or exc}; nothing "
                            "was imported", file=str(rejects_path)) from None

    return import_frame(db, kind, raw, keep_valid=keep_valid or rejects_path is not None,
                        user=user, file=str(path), sha256=sha,
                        before_commit=write_rejects if rejects_path is not None else None)
