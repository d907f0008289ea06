"""Uploads and form entries through the records import: the same rules, all-or-nothing.

:func:`import_upload` reads an uploaded CSV or XLSX file, maps an ODK Collect or
KoboToolbox export to the import layout (:func:`field_export`), refuses rows beyond the
user's farms or event types (nothing is written), and imports the rest with
:func:`capra.store.io.import_frame`, the user recorded in the audit log.

Field exports
-------------
ODK Collect (ODK Central's CSV export) and KoboToolbox write one column per question,
named by the question's ``name`` and prefixed by its groups: ``meta-instanceID`` or
``child_info-weight_kg`` (ODK Central, ``-`` between group and question), ``group/name``
(KoboToolbox). A form whose questions are named as the columns of ``capra db template
KIND`` imports as it is:

* a column's last group segment is its name (``visit/child`` -> ``child``);
* the forms' own columns are dropped: ``SubmissionDate``, ``KEY``, ``SubmitterID``,
  ``SubmitterName``, ``AttachmentsPresent``, ``AttachmentsExpected``, ``Status``,
  ``ReviewState``, ``DeviceID``, ``Edits``, ``FormVersion``, ``instanceID``,
  ``instanceName``, ``start``, ``end``, ``today``, ``deviceid``, ``username``,
  ``audit``, and every column starting with ``_`` (KoboToolbox: ``_id``, ``_uuid``,
  ``_submission_time``, ``_index``, ``_validation_status``, ...);
* a date-time (``2025-03-01T09:30:00.000+09:00``) in a date column keeps its date;
* ``select_one`` answers are the choice names (``female``, ``yes``), which the import
  reads as it reads a file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from capra.errors import DataError
from capra.store.accounts import ForbiddenError, Principal
from capra.store.io import (
    KINDS,
    ImportResult,
    RowsRejectedError,
    import_frame,
    read_table,
)
from capra.store.scope import write_scope_problems
from capra.web.deps import with_retries

__all__ = ["FIELD_SOURCES", "ImportOutcome", "ScopeRejected", "field_export", "import_rows",
           "import_upload"]

#: Where an uploaded file comes from.
FIELD_SOURCES = ("capra", "odk", "kobo")
#: Columns the field-data tools add to every export (dropped).
FORM_COLUMNS = {"submissiondate", "key", "submitterid", "submittername", "attachmentspresent",
                "attachmentsexpected", "status", "reviewstate", "deviceid", "edits",
                "formversion", "instanceid", "instancename", "start", "end", "today",
                "username", "audit", "simserial", "phonenumber", "parent_key", "meta"}
#: Upload file types.
UPLOAD_SUFFIXES = (".csv", ".xlsx")


class ScopeRejected(ForbiddenError):
    """Rows of an import reach beyond the user's farms or event types (403); ``rejects``
    lists them (row, field, reason, value). Nothing was written."""

    def __init__(self, kind: str, rejects: pd.DataFrame):
        n = rejects["row"].nunique()
        super().__init__(f"{kind}: {n} rows are outside your farms or permissions; "
                         "nothing imported")
        self.rejects = rejects
        self.kind = kind


@dataclass
class ImportOutcome:
    """What an upload did: ``result`` when imported, else ``rejects`` (nothing saved)."""

    kind: str
    file: str
    rows: int
    result: ImportResult | None = None
    rejects: pd.DataFrame | None = None
    status: int = 200

    def to_dict(self) -> dict:
        if self.result is not None:
            r = self.result
            return {"kind": r.kind, "file": self.file, "rows": r.rows, "inserted": r.inserted,
                    "unchanged": r.unchanged, "rejected": 0}
        rej = self.rejects if self.rejects is not None else pd.DataFrame()
        return {"kind": self.kind, "file": self.file, "rows": self.rows, "inserted": 0,
                "unchanged": 0, "rejected": int(rej["row"].nunique()) if len(rej) else 0,
                "errors": [{"row": int(r.row), "field": str(r.field), "reason": str(r.reason),
                            "value": "" if pd.isna(r.value) else str(r.value)}
                           for r in rej.itertuples(index=False)]}


def field_export(raw: pd.DataFrame, kind: str) -> pd.DataFrame:
    """An ODK Collect / KoboToolbox export in the import layout of ``kind`` (see the
    module); columns that are neither form metadata nor the kind's are kept, so that the
    import names them."""
    k = KINDS[kind] if kind in KINDS else None
    names = {f.name for f in k.fields} if k else set()
    out = {}
    for col in raw.columns:
        c = str(col).strip()
        last = c.replace("/", "-").split("-")[-1] if c not in names else c
        if c.startswith("_") or last.startswith("_") or last.lower() in FORM_COLUMNS \
                or c.lower() in FORM_COLUMNS:
            continue
        if last in out:
            raise DataError(f"columns {c!r} and another both map to {last!r}", field=c)
        out[last] = raw[col]
    df = pd.DataFrame(out, index=raw.index)
    if k is not None:
        for f in k.fields:
            if f.type == "date" and f.name in df:
                s = df[f.name].astype(str)
                dated = s.str.fullmatch(r"\d{4}-\d{2}-\d{2}[T ].*")
                df[f.name] = s.where(~dated, s.str.slice(0, 10))
    return df


def import_rows(db, user: Principal, kind: str, raw: pd.DataFrame, *, file: str,
                sha256: str | None = None) -> ImportOutcome:
    """Import rows (the kind's layout, as text) for a user: scope first, then the import,
    all-or-nothing. Rejections are returned (status 422), not raised; a role
    that may not write the kind raises :class:`ForbiddenError`; rows beyond the user's
    farms raise :class:`ScopeRejected`."""
    scope = write_scope_problems(db, user, kind, raw)
    if len(scope):
        raise ScopeRejected(kind, scope)
    try:
        res = with_retries(import_frame, db, kind, raw, user=user.name, file=file,
                           sha256=sha256)
    except RowsRejectedError as exc:
        return ImportOutcome(kind, file, len(raw), rejects=exc.rejects, status=422)
    return ImportOutcome(kind, file, len(raw), result=res)


def import_upload(db, user: Principal, kind: str, filename: str, content: bytes, *,
                  source: str = "capra") -> ImportOutcome:
    """Import an uploaded CSV or XLSX file (see :func:`import_rows`)."""
    if kind not in KINDS:
        raise DataError(f"unknown kind of record {kind!r}; expected one of {', '.join(KINDS)}")
    if source not in FIELD_SOURCES:
        raise DataError(f"source {source!r}: expected one of {', '.join(FIELD_SOURCES)}")
    name = os.path.basename(filename or "upload.csv") or "upload.csv"
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise DataError(f"unknown file type {suffix or '(none)'!r}; expected .csv or .xlsx",
                        file=name)
    if not content:
        raise DataError("the file is empty", file=name)
    # read_table reads by path: the upload is written to a private temporary file
    with tempfile.TemporaryDirectory(prefix="capra-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(content)
        try:
            raw = read_table(path)
        except DataError as exc:
            raise DataError(str(exc).replace(str(path), name), file=None) from None
    if source in ("odk", "kobo"):
        raw = field_export(raw, kind)
    return import_rows(db, user, kind, raw, file=name,
                       sha256=hashlib.sha256(content).hexdigest())


def frame_of(values: dict[str, str]) -> pd.DataFrame:
    """One row of text values (a form), as the import reads a file."""
    return pd.DataFrame([{k: ("" if v is None else str(v)) for k, v in values.items()}],
                        dtype=object)

