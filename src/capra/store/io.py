"""Imports, exports and templates of the records: CSV, XLSX and Parquet.

Every kind of record (:data:`KINDS`: farms, sites, batches, animals, events, test_days,
product_batches, deliveries, children, measurements) has a file layout: one column per
field, records referred to by their natural key (a farm by ``name``, an animal by ``tag``,
a product batch by ``code``, a child by ``code``), dates as ``YYYY-MM-DD``.

An import

1. reads the file as text and checks the column names (an unknown column is an error that
   names the closest valid one);
2. validates every field of every row, column by column (codes, numbers, ranges, dates,
   references to other records);
3. inside one write transaction: compares each row with what is recorded under the same
   natural key (identical: unchanged, so importing a file twice changes nothing;
   different: rejected), checks the integrity rules against the records and within the
   file (no kidding by a male, no event after death or departure, no event before birth,
   ...), then inserts the new rows in bulk with one audit row each.

By default an import is all-or-nothing: one rejected row raises :class:`RowsRejectedError`
(naming every rejected row, field and reason) and nothing is written. With
``keep_valid=True`` the valid rows are loaded and the rejected ones are returned (and
written by ``capra db import --rejects FILE``) with ``row``, ``field`` and ``reason``.
Rows are numbered from 1, the first data row (line 2 of a CSV file).
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import itertools
import os
import re
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field as dc_field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, func, select

from capra.errors import DataError, InvalidValuesError
from capra.rates import DAYS_PER_MONTH
from capra.scenario import PRODUCTS
from capra.spreadsheet import restore, write_csv, write_xlsx
from capra.store import schema as S
from capra.store.audit import current_user, log_import, log_inserts, utc_now
from capra.store.db import transaction

__all__ = ["FORMATS", "KINDS", "Field", "ImportResult", "Kind", "RowsRejectedError",
           "as_text_table", "describe", "export_frame", "export_table", "import_file",
           "import_frame", "read_table", "template", "write_table"]

#: File formats by suffix.
FORMATS = (".csv", ".xlsx", ".parquet")
#: Accepted years of dates. [-]
YEAR_RANGE = (1900, 2100)
#: Largest integer a column holds (32-bit signed). [-]
INT_MAX = 2**31 - 1
#: Characters refused in any text: control characters other than tab, line feed and
#: carriage return (line breaks are refused separately, except in free text).
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_SEX_ALIASES = {"f": "female", "m": "male"}
#: How many problems an error message lists before "and N more".
MESSAGE_PROBLEMS = 20


# --------------------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    """One column of an import file."""

    name: str
    type: str
    """``text``, ``int``, ``float``, ``date``, ``bool``, ``choice`` or ``ref``."""
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()
    lo: float | None = None
    hi: float | None = None
    ref: str | None = None
    """Kind referred to by its natural key (``ref`` fields)."""
    default: object = None
    max_len: int = 100
    column: str | None = None
    export: bool = True
    multiline: bool = False
    """Free text that may hold line breaks (other text is one line)."""

    @property
    def db(self) -> str:
        """Column of the table that stores it."""
        if self.column:
            return self.column
        return f"{self.name}_id" if self.type == "ref" else self.name

    def describe(self) -> str:
        """Accepted values, for messages and templates."""
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        if self.type == "ref":
            return f"the {REF_KEYS[self.ref]} of a recorded {self.ref[:-1].replace('_', ' ')}"
        if self.type == "date":
            return "a date YYYY-MM-DD"
        if self.type == "bool":
            return "true or false"
        if self.type in ("int", "float"):
            what = "an integer" if self.type == "int" else "a number"
            if self.lo is not None and self.hi is not None:
                return f"{what} in [{self.lo:g}, {self.hi:g}]"
            if self.lo is not None:
                return f"{what} >= {self.lo:g}"
            return what
        return f"text of at most {self.max_len} characters"


@dataclass(frozen=True)
class Kind:
    """A kind of record: its table, file layout and natural key."""

    name: str
    table: Table
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    help: str
    prepare: Callable | None = dc_field(default=None, repr=False)
    rules: Callable | None = dc_field(default=None, repr=False)

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def export_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.export)


#: Natural key column of each kind that others refer to.
REF_KEYS = {"farms": "name", "sites": "name", "batches": "name", "animals": "tag",
            "product_batches": "code", "children": "code"}

_LAT = dict(lo=-90, hi=90)
_LON = dict(lo=-180, hi=180)


def _f(name, type_, required=False, help="", **kw) -> Field:
    return Field(name, type_, required, help, **kw)


_FARMS = (
    _f("name", "text", True, "Farm or quarantine station name, unique."),
    _f("kind", "choice", False, "farm or quarantine.", choices=S.FARM_KINDS, default="farm"),
    _f("district", "text", help="District or county."),
    _f("capacity_head", "int", help="Places for adult goats. [head]", lo=0, hi=INT_MAX),
    _f("latitude", "float", help="[degrees north]", **_LAT),
    _f("longitude", "float", help="[degrees east]", **_LON),
)
_SITES = (
    _f("name", "text", True, "Site name, unique."),
    _f("kind", "choice", False, "Kind of site.", choices=S.SITE_KINDS, default="kindergarten"),
    _f("district", "text", help="District or county."),
    _f("latitude", "float", help="[degrees north]", **_LAT),
    _f("longitude", "float", help="[degrees east]", **_LON),
)
_BATCHES = (
    _f("name", "text", True, "Consignment name or number, unique."),
    _f("origin", "text", help="Where the animals come from.", max_len=200),
    _f("certificate", "text", help="Veterinary certificate number."),
    _f("certificate_date", "date", help="Date of the veterinary certificate."),
    _f("arrival_date", "date", True, "Arrival date."),
    _f("arrival_farm", "ref", True, "Farm or quarantine station of arrival.", ref="farms"),
    _f("quarantine_days", "int", help="Quarantine length. [days]", lo=0, hi=3650, default=0),
    _f("head_count", "int", help="Animals on the certificate. [head]", lo=0, hi=INT_MAX),
)
_ANIMALS = (
    _f("tag", "text", True, "Ear tag, unique in the records.", max_len=50),
    _f("sex", "choice", True, "female or male (f, m).", choices=S.SEXES),
    _f("breed", "text", help="Breed.", default="Saanen", max_len=50),
    _f("birth_date", "date", help="Birth date (or give age_months)."),
    _f("birth_date_estimated", "bool", help="The birth date is an estimate.", default=False),
    _f("age_months", "float", help="Estimated age at entry, when the birth date is "
       "unknown. [months]", lo=0, hi=300, export=False),
    _f("origin", "choice", help="birth (born on a farm) or arrival (with a batch); "
       "default: arrival if batch is given.", choices=S.ANIMAL_ORIGINS),
    _f("batch", "ref", help="Batch it arrived with.", ref="batches"),
    _f("farm", "ref", help="Farm of birth or arrival; default: the batch's arrival farm.",
       ref="farms"),
    _f("entry_date", "date", help="Birth or arrival date; default: the birth date or the "
       "batch's arrival date."),
    _f("dam", "ref", help="Tag of the dam.", ref="animals"),
    _f("sire", "ref", help="Tag of the sire.", ref="animals"),
    _f("parity", "int", help="Kiddings before entry.", lo=0, hi=20, default=0,
       column="entry_parity"),
    _f("last_parturition_date", "date", help="Last kidding before entry.",
       column="entry_last_parturition_date"),
    _f("expected_parturition_date", "date", help="Expected kidding, if pregnant at entry.",
       column="entry_expected_parturition_date"),
    _f("lactating", "bool", help="In milk at entry.", default=False, column="entry_lactating"),
)
_EVENTS = (
    _f("animal", "ref", True, "Tag of the animal.", ref="animals"),
    _f("date", "date", True, "Date of the event."),
    _f("type", "choice", True, "Event type (ICAR names).", choices=S.EVENT_TYPES),
    _f("farm", "ref", help="Where the animal is after the event (a transfer's "
       "destination: required for transfers).", ref="farms"),
    _f("from_farm", "ref", help="A transfer's origin (transfers only).", ref="farms"),
    _f("reason", "choice", help="Death reason (ICAR icarDeathReasonType) or departure "
       "reason (icarDepartureReasonType).",
       choices=tuple(dict.fromkeys(S.DEATH_REASONS + S.DEPARTURE_REASONS))),
    _f("departure_kind", "choice", help="Departures: ICAR icarDepartureKindType.",
       choices=S.DEPARTURE_KINDS),
    _f("litter_size", "int", help="Parturitions: kids born, alive or dead. [kids]", lo=1, hi=8),
    _f("live_kids", "int", help="Parturitions: kids born alive. [kids]", lo=0, hi=8),
    _f("method", "choice", help="Insemination method or pregnancy-check method (ICAR).",
       choices=S.INSEMINATION_METHODS + S.PREGNANCY_METHODS),
    _f("sire", "ref", help="Inseminations: tag of the buck.", ref="animals"),
    _f("result", "choice", help="Pregnancy checks: ICAR icarReproPregnancyResultType.",
       choices=S.PREGNANCY_RESULTS),
    _f("expected_parturition_date", "date", help="Expected kidding date."),
    _f("product", "text", help="Treatments: medicine given."),
    _f("withdrawal_days", "int", help="Treatments: milk withdrawal after the treatment day. "
       "[days]", lo=0, hi=365),
    _f("note", "text", help="Free text.", max_len=2000, multiline=True),
)
_TEST_DAYS = (
    _f("animal", "ref", True, "Tag of the doe.", ref="animals"),
    _f("date", "date", True, "Test day."),
    _f("milk_kg", "float", True, "Milk in 24 hours. [kg/day]", lo=0, hi=20),
    _f("fat_pct", "float", help="Fat. [% by mass]", lo=0, hi=20),
    _f("protein_pct", "float", help="Protein. [% by mass]", lo=0, hi=20),
    _f("somatic_cells_k", "int", help="Somatic cell count. [1000 cells/mL]", lo=0, hi=INT_MAX),
    _f("milkings", "int", help="Milkings per day.", lo=1, hi=4),
)
_PRODUCT_BATCHES = (
    _f("code", "text", True, "Lot code, unique.", max_len=50),
    _f("product", "choice", True, "Product.", choices=PRODUCTS),
    _f("farm", "ref", help="Farm whose milk was used.", ref="farms"),
    _f("plant", "text", help="Dairy plant."),
    _f("production_date", "date", True, "Day it was made."),
    _f("expiry_date", "date", True, "Last day it may be served."),
    _f("quantity_kg", "float", True, "Quantity. [kg product]", lo=0.001, hi=1e9),
    _f("milk_kg", "float", help="Raw milk used. [kg milk]", lo=0, hi=1e9),
)
_DELIVERIES = (
    _f("product_batch", "ref", True, "Lot code.", ref="product_batches"),
    _f("site", "ref", True, "Site name.", ref="sites"),
    _f("date", "date", True, "Delivery date."),
    _f("quantity_kg", "float", True, "Quantity. [kg product]", lo=0.001, hi=1e9),
    _f("servings", "int", help="Child rations. [-]", lo=0, hi=INT_MAX),
)
_CHILDREN = (
    _f("code", "text", True, "Pseudonymous code, unique (no names).", max_len=50),
    _f("sex", "choice", True, "female or male (f, m).", choices=S.SEXES),
    _f("birth_date", "date", True, "Birth date."),
    _f("site", "ref", True, "Site name.", ref="sites"),
)
_MEASUREMENTS = (
    _f("child", "ref", True, "Child code.", ref="children"),
    _f("date", "date", True, "Measurement date."),
    _f("weight_kg", "float", help="Weight. [kg]", lo=0.1, hi=149.9),
    _f("height_cm", "float", help="Length or height. [cm]", lo=10, hi=249.9),
    _f("measured", "choice", help="l lying, h standing.", choices=S.MEASURE_POSITIONS),
    _f("muac_cm", "float", help="Mid-upper arm circumference. [cm]", lo=1, hi=59.9),
    _f("oedema", "bool", help="Bilateral pitting oedema.", default=False),
)


# --------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------

class _Problems:
    """Rejections collected column by column: (row index, field, reason)."""

    def __init__(self):
        self._parts: list[pd.DataFrame] = []

    def add(self, idx, field: str, reason) -> None:
        idx = np.asarray(idx, dtype=np.int64).ravel()
        if idx.size == 0:
            return
        reason = np.asarray(reason, dtype=object)
        reason = np.broadcast_to(reason, idx.shape) if reason.ndim == 0 else reason.ravel()
        self._parts.append(pd.DataFrame({"idx": idx, "field": field,
                                         "reason": reason.astype(str)}))

    def add_mask(self, mask: pd.Series, field: str, reason) -> None:
        """Reject the rows where ``mask`` holds. ``reason``: text, a Series aligned with
        the mask, or a function of the rejected rows' index that returns their reasons
        (so that reasons are only worked out for rejected rows)."""
        mask = mask.fillna(False).astype(bool)
        hit = mask.to_numpy()
        if not hit.any():
            return
        idx = mask.index[hit]
        if callable(reason):
            reason = np.asarray(reason(idx), dtype=object)
        elif isinstance(reason, pd.Series):
            reason = reason[mask].to_numpy()
        self.add(idx, field, reason)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({"idx": pd.Series(dtype="int64"), "field": pd.Series(dtype=str),
                                 "reason": pd.Series(dtype=str)})
        return (pd.concat(self._parts, ignore_index=True)
                .drop_duplicates(["idx", "field", "reason"]).sort_values("idx", kind="stable"))

    def bad(self) -> set[int]:
        return set(self.frame()["idx"].tolist())


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


# --------------------------------------------------------------------------------------
# Reading and parsing
# --------------------------------------------------------------------------------------

def _cell_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA:
        return ""
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.isoformat()
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)) and float(v).is_integer() and abs(v) < 2**53:
        return str(int(v))
    return str(v)


def _as_text(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell as a string ('' for empty); column names stripped."""
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
            out[str(col).strip()] = s.fillna("")  # text columns of a CSV: already strings
            continue
        if s.dtype == object:
            vals = s.to_numpy(dtype=object)
            if all(isinstance(v, str) for v in vals):
                out[str(col).strip()] = pd.Series(vals, index=df.index, dtype=object)
                continue
        out[str(col).strip()] = pd.Series([_cell_text(v) for v in s.to_numpy(dtype=object)],
                                          index=df.index, dtype=object)
    res = pd.DataFrame(out, index=df.index)
    return res.reset_index(drop=True)


def _csv_error(exc: Exception) -> str:
    """A plain message for the CSV parser's errors, with the line of the file."""
    text = str(exc)
    more = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if more:
        return (f"line {more[2]} has {more[3]} fields but the header has {more[1]} columns; "
                "expected one field per column (an extra separator, or a comma in a text "
                "that is not in quotes?)")
    quote = re.search(r"EOF inside string starting at row (\d+)", text)
    if quote:
        return (f"a quote opened in row {quote[1]} (data rows numbered from 1) is never "
                "closed; expected quotes in pairs around a text")
    return f"cannot read: {text}"


def _field_counts(data: bytes) -> np.ndarray:
    """Fields of each record of CSV text (blank lines skipped), header included."""
    if b'"' not in data:  # no quotes: records are lines, fields are commas + 1
        b = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(b == ord("\n"))
        if len(b) and b[-1] != ord("\n"):
            ends = np.append(ends, len(b))
        starts = np.concatenate(([0], ends[:-1] + 1))
        commas = np.flatnonzero(b == ord(","))
        counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
        width = ends - starts - (b[np.maximum(ends - 1, 0)] == ord("\r"))
        return counts[width > 0]
    text = data.decode("utf-8")
    return np.fromiter((len(r) for r in csv.reader(io.StringIO(text, newline="")) if r),
                       dtype=np.int64)


def _short_rows(path: Path, df: pd.DataFrame) -> dict[int, int]:
    """``{row position: fields}`` of the CSV records with fewer fields than the header. Such
    a record ends in empty fields, so only files where the last column has an empty cell
    are counted."""
    if df.empty or not (df[df.columns[-1]] == "").any():
        return {}
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    counts = _field_counts(data)[1:]
    if len(counts) != len(df):  # a layout the counter does not follow: nothing to report
        return {}
    rows = np.flatnonzero(counts < len(df.columns))
    return dict(zip(rows.tolist(), counts[rows].tolist()))


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    """A CSV, XLSX or Parquet file as a DataFrame of strings ('' for empty cells).

    Texts written by Capra's exports with a protective apostrophe (see
    :mod:`capra.spreadsheet`) are restored. A CSV row with fewer fields than the header (a
    truncated line, or a stray quote that joined two fields) is kept for the import to
    reject: ``df.attrs["short_rows"]`` maps its row position to its number of fields. A
    row with more fields than the header is an error naming its line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    short: dict[int, int] = {}
    try:
        if suffix == ".csv":
            df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                             encoding="utf-8-sig", skip_blank_lines=True)
            if not isinstance(df.index, pd.RangeIndex):  # every row one field longer
                raise DataError(_csv_error(f"Expected {len(df.columns)} fields in line 2, "
                                           f"saw {len(df.columns) + 1}"), file=str(path))
            short = _short_rows(path, df)
        elif suffix == ".xlsx":
            df = pd.read_excel(path, dtype=object, sheet_name=0)
        elif suffix == ".parquet":
            df = pd.read_parquet(path)
        else:
            raise DataError(f"unknown file type {suffix!r}; expected one of {', '.join(FORMATS)}",
                            file=str(path))
    except FileNotFoundError:
        raise DataError("no such file", file=str(path)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError,
            OSError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(_csv_error(exc), file=str(path)) from None
    text = _as_text(df)
    if suffix != ".parquet":
        text = restore(text)
    text.attrs["short_rows"] = short
    return text


def _check_columns(kind: Kind, raw: pd.DataFrame, file: str | None) -> None:
    names = [f.name for f in kind.fields]
    cols = list(raw.columns)
    dup = [c for c in set(cols) if cols.count(c) > 1]
    if dup:
        raise DataError(f"column {dup[0]!r} appears twice", file=file, field=dup[0])
    for c in cols:
        if c not in names:
            close = difflib.get_close_matches(c, names, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise DataError(f"unknown column for {kind.name}; {hint}expected columns: "
                            f"{', '.join(names)}", file=file, field=c)
    missing = [f.name for f in kind.fields if f.required and f.name not in cols]
    if missing:
        raise DataError(f"missing required column{'s' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)} for {kind.name}", file=file, field=missing[0])


def _parse(kind: Kind, raw: pd.DataFrame, P: _Problems) -> pd.DataFrame:
    """Typed values of every field (NaN/NaT/None where empty or invalid).

    Each distinct text of a column is parsed and checked once (a file of a million test
    days holds a few hundred distinct dates and tags), then the values and the problems
    are spread back to the rows that hold that text.
    """
    n = len(raw)
    out = {}
    for f in kind.fields:
        if f.name in raw:
            codes, uniq = pd.factorize(raw[f.name].to_numpy(dtype=object), use_na_sentinel=False)
        else:  # column absent: every cell empty
            codes, uniq = np.zeros(n, dtype=np.intp), np.array([""], dtype=object)
        PU = _Problems()
        typed = _parse_field(f, pd.Series(uniq, dtype=object), PU)
        vals = typed.take(codes)
        vals.index = raw.index
        out[f.name] = vals
        probs = PU.frame()
        if len(probs):
            rows = np.flatnonzero(np.isin(codes, probs["idx"].unique()))
            hits = pd.DataFrame({"row": raw.index[rows], "idx": codes[rows]}).merge(
                probs[["idx", "reason"]], on="idx")
            P.add(hits["row"].to_numpy(), f.name, hits["reason"].to_numpy())
    return pd.DataFrame(out, index=raw.index)


def _parse_field(f: Field, s: pd.Series, P: _Problems) -> pd.Series:
    """Typed values of one field's texts ``s``; problems by position in ``s``."""
    s = s.astype("str").fillna("").str.strip()
    present = s != ""
    if f.required:
        P.add_mask(~present, f.name, "missing; required")
    if f.type in ("text", "ref"):
        long_ = present & (s.str.len() > f.max_len)
        P.add_mask(long_, f.name, f"longer than {f.max_len} characters")
        breaks = present & s.str.contains("[\r\n]", regex=True) & (not f.multiline)
        P.add_mask(breaks, f.name, "contains a line break; expected one line of text (a "
                   "stray quote may have joined two lines)")
        control = present & s.str.contains(_CONTROL, regex=True)
        P.add_mask(control, f.name, lambda i: [
            f"contains the control character U+{ord(re.search(_CONTROL, t)[0]):04X}; "
            "expected printable text" for t in s[i]])
        v = s.astype(object).where(present & ~long_ & ~breaks & ~control, None)
        if f.default is not None:
            v = v.where(present, f.default)
        return v
    elif f.type in ("int", "float"):
        num = pd.to_numeric(s.where(present, None), errors="coerce").astype("float64")
        bad = present & (num.isna() | ~np.isfinite(num))
        if f.type == "int":
            bad |= present & ~bad & (num != np.floor(num))
        P.add_mask(bad, f.name, f"not {'an integer' if f.type == 'int' else 'a number'}")
        ok = present & ~bad
        rng = pd.Series(False, index=s.index)
        if f.lo is not None:
            rng |= ok & (num < f.lo)
        if f.hi is not None:
            rng |= ok & (num > f.hi)
        P.add_mask(rng, f.name, f"out of range; expected {f.describe()}")
        num = num.where(ok & ~rng)
        if f.default is not None:
            num = num.where(present, f.default)
        return num.astype("Int64") if f.type == "int" else num
    elif f.type == "date":
        t = s.str.replace(r"[ T]00:00(:00(\.0+)?)?$", "", regex=True)
        well = t.str.fullmatch(r"\d{4}-\d{2}-\d{2}")
        d = pd.to_datetime(t.where(present & well, None), format="%Y-%m-%d", errors="coerce")
        d = d.astype("datetime64[s]")
        bad = present & d.isna()
        P.add_mask(bad, f.name, "not a date; expected YYYY-MM-DD")
        year = d.dt.year
        rng = present & ~bad & ((year < YEAR_RANGE[0]) | (year > YEAR_RANGE[1]))
        P.add_mask(rng, f.name, f"year out of range; expected {YEAR_RANGE[0]}-{YEAR_RANGE[1]}")
        return d.where(~rng)
    elif f.type == "bool":
        low = s.str.lower()
        v = pd.Series(pd.NA, index=s.index, dtype="boolean")
        v[low.isin(_TRUE)] = True
        v[low.isin(_FALSE)] = False
        bad = present & v.isna()
        P.add_mask(bad, f.name, "not true or false")
        if f.default is not None:
            v = v.where(present, f.default)
        return v
    elif f.type == "choice":
        canon = {c.lower(): c for c in f.choices}
        if f.choices == S.SEXES:
            canon.update(_SEX_ALIASES)
        v = s.str.lower().map(canon)
        bad = present & v.isna()
        P.add_mask(bad, f.name, f"unknown code; expected {f.describe()}")
        v = v.astype(object).where(present & ~bad, None)
        if f.default is not None:
            v = v.where(present, f.default)
        return v
    raise AssertionError(f.type)  # pragma: no cover - layouts are fixed above


# --------------------------------------------------------------------------------------
# Reading the records
# --------------------------------------------------------------------------------------

def _read(conn: Connection, table: Table, where=None, columns=None) -> pd.DataFrame:
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


def _map_distinct(s: pd.Series, mapping: dict) -> pd.Series:
    """``s.map(mapping)``, looking up each distinct value once."""
    codes, uniq = pd.factorize(s.to_numpy(dtype=object))
    looked = np.array([mapping.get(u, np.nan) for u in uniq] + [np.nan], dtype="float64")
    return pd.Series(looked[codes], index=s.index)


def _key_map(conn: Connection, kind: str) -> dict[str, int]:
    table = S.metadata.tables[kind]
    key = REF_KEYS[kind]
    return {k: int(i) for k, i in conn.execute(select(table.c[key], table.c.id))}


# --------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------

class _Ctx:
    """State of one import inside its transaction."""

    def __init__(self, conn: Connection, kind: Kind, val: pd.DataFrame, P: _Problems):
        self.conn = conn
        self.kind = kind
        self.val = val
        self.P = P
        self.maps: dict[str, dict[str, int]] = {}
        self.new_ids = pd.Series(dtype="int64")  # file index -> id of rows to insert
        self._cache: dict[str, pd.DataFrame] = {}

    def keymap(self, ref: str) -> dict[str, int]:
        if ref not in self.maps:
            self.maps[ref] = _key_map(self.conn, ref)
        return self.maps[ref]

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = _read(self.conn, S.metadata.tables[name])
        return self._cache[name]

    def ok(self) -> pd.Series:
        """Rows not rejected so far."""
        bad = self.P.frame()["idx"].unique()
        return pd.Series(~self.val.index.isin(bad), index=self.val.index, dtype=bool)


def _resolve_refs(ctx: _Ctx, self_ids: pd.Series | None) -> None:
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


def _compare_existing(ctx: _Ctx) -> pd.Index:
    """Rows already recorded: identical ones are returned (unchanged); others rejected."""
    kind, val, P = ctx.kind, ctx.val, ctx.P
    key_db = [kind.field(k).db for k in kind.key]
    ok = ctx.ok()
    cand = val[ok & val[key_db].notna().all(axis=1)]
    if cand.empty:
        return pd.Index([], dtype="int64")
    existing = ctx.table(kind.table.name)
    if existing.empty:
        return pd.Index([], dtype="int64")
    left = _db_frame(kind, cand).reset_index(names="_idx")
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


def _duplicates(ctx: _Ctx) -> None:
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
def _bulk_load(conn: Connection, table: Table, n_rows: int, n_recorded: int):
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


def _bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame) -> None:
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


def import_frame(engine: Engine, kind: str, data: pd.DataFrame, *, keep_valid: bool = False,
                 user: str | None = None, file: str | None = None,
                 sha256: str | None = None,
                 before_commit: Callable[[ImportResult], None] | None = None) -> ImportResult:
    """Validate and import the rows of ``data`` (a DataFrame with the kind's columns).

    Parameters
    ----------
    engine
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
    k = _kind(kind)
    raw = _as_text(data)
    _check_columns(k, raw, file)
    P = _Problems()
    val = _parse(k, raw, P)
    short = data.attrs.get("short_rows") or {}
    for row, n_fields in short.items():
        P.add([row], str(raw.columns[n_fields]) if n_fields < len(raw.columns) else "",
              f"the row has {n_fields} of {len(raw.columns)} fields; expected one per column "
              "(a truncated line, or a stray quote that joined two fields?)")
    user = current_user(user)
    at = utc_now()
    with transaction(engine) as conn:
        ctx = _Ctx(conn, k, val, P)
        self_ref = any(f.type == "ref" and f.ref == k.name for f in k.fields)
        next_id = int(conn.execute(select(func.coalesce(func.max(k.table.c.id), 0))).scalar_one()) + 1
        # pre-allocated ids of the candidate rows (needed for references within the file)
        self_ids = pd.Series(np.arange(next_id, next_id + len(val)), index=val.index) \
            if self_ref else None
        _resolve_refs(ctx, self_ids)
        if k.prepare:
            k.prepare(ctx)
        _duplicates(ctx)
        unchanged = _compare_existing(ctx)
        ctx.unchanged = unchanged
        for _ in range(10):  # rules, until rejections stop cascading
            before = len(P.frame())
            if k.rules:
                k.rules(ctx)
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
        with _bulk_load(conn, k.table, len(take), next_id - 1):
            _bulk_insert(conn, k.table, rows)
        # one audit row for every record added: the ids lie in [first, last], and no other
        # record does (ids are allocated above every recorded id)
        log_inserts(conn, k.table.name, first_id=int(ids.min()), last_id=int(ids.max()),
                    rows=len(take), user=user, at=at, import_id=import_id)
        if before_commit is not None:
            before_commit(result)
        return result


def _reject_refs_to_rejected(ctx: _Ctx, self_ids: pd.Series) -> None:
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


def import_file(engine: Engine, kind: str, path: str | os.PathLike, *,
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

    return import_frame(engine, kind, raw, keep_valid=keep_valid or rejects_path is not None,
                        user=user, file=str(path), sha256=sha,
                        before_commit=write_rejects if rejects_path is not None else None)


# --------------------------------------------------------------------------------------
# Integrity rules
# --------------------------------------------------------------------------------------

def _date_txt(s: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD text (NaN where empty), each distinct date formatted once."""
    codes, uniq = pd.factorize(pd.to_datetime(s))
    txt = np.append(pd.DatetimeIndex(uniq).strftime("%Y-%m-%d").to_numpy(dtype=object), np.nan)
    return pd.Series(txt[codes], index=s.index, dtype=object)


def _animal_facts(ctx: _Ctx, ids: pd.Series) -> pd.DataFrame:
    """sex, birth_date, entry_date, first terminal event date and type of animals ``ids``."""
    animals = ctx.table("animals").set_index("id")
    facts = animals.reindex(ids.astype("float64").to_numpy())[
        ["sex", "birth_date", "entry_date", "entry_parity", "entry_last_parturition_date",
         "entry_lactating"]]
    facts.index = ids.index
    return facts


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for every key (NaN/NaT where absent), keys compared as numbers."""
    if len(table) == 0:
        return pd.Series(index=keys.index, dtype=table.dtype)
    idx = pd.Index(table.index.astype("float64"))
    pos = idx.get_indexer(keys.astype("float64").to_numpy())
    out = table.iloc[np.clip(pos, 0, None)]
    out.index = keys.index
    return out.where(pos >= 0)


def _terminal(events: pd.DataFrame) -> pd.DataFrame:
    t = events[events["type"].isin(S.TERMINAL_EVENTS)].sort_values(["date", "id"])
    return t.drop_duplicates("animal_id").set_index("animal_id")[["date", "type"]]


def _rules_events(ctx: _Ctx) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok()
    typ = v["type"]
    # fields that belong to other event types
    only = {"from_farm": ("transfer",), "reason": S.TERMINAL_EVENTS,
            "departure_kind": ("departure",), "litter_size": ("parturition",),
            "live_kids": ("parturition",), "method": ("insemination", "pregnancy_check"),
            "sire": ("insemination",), "result": ("pregnancy_check",),
            "product": ("treatment",), "withdrawal_days": ("treatment",),
            "expected_parturition_date": ("insemination", "pregnancy_check")}
    for name, types in only.items():
        P.add_mask(ok & v[name].notna() & typ.notna() & ~typ.isin(types), name,
                   f"only for {' or '.join(types)} events")
    need = {"litter_size": "parturition", "result": "pregnancy_check",
            "from_farm": "transfer", "farm": "transfer"}
    for name, t in need.items():
        P.add_mask(ok & (typ == t) & v[name].isna(), name, f"missing; required for {t} events")
    P.add_mask(ok & (typ == "death") & v["reason"].notna() & ~v["reason"].isin(S.DEATH_REASONS),
               "reason", "not a death reason; expected one of " + ", ".join(S.DEATH_REASONS))
    P.add_mask(ok & (typ == "departure") & v["reason"].notna()
               & ~v["reason"].isin(S.DEPARTURE_REASONS), "reason",
               "not a departure reason; expected one of " + ", ".join(S.DEPARTURE_REASONS))
    P.add_mask(ok & (typ == "insemination") & v["method"].notna()
               & ~v["method"].isin(S.INSEMINATION_METHODS), "method",
               "not an insemination method; expected one of " + ", ".join(S.INSEMINATION_METHODS))
    P.add_mask(ok & (typ == "pregnancy_check") & v["method"].notna()
               & ~v["method"].isin(S.PREGNANCY_METHODS), "method",
               "not a pregnancy-check method; expected one of " + ", ".join(S.PREGNANCY_METHODS))
    P.add_mask(ok & v["live_kids"].notna() & v["litter_size"].notna()
               & (v["live_kids"] > v["litter_size"]), "live_kids", "more than litter_size")
    P.add_mask(ok & v["from_farm_id"].notna() & (v["from_farm_id"] == v["farm_id"]),
               "from_farm", "same as farm; a transfer moves the animal to another farm")
    _animal_date_rules(ctx, kinds_label="event")
    # the buck
    has_sire = ok & v["sire_id"].notna()
    if has_sire.any():
        sires = _animal_facts(ctx, v.loc[has_sire, "sire_id"])
        P.add_mask((sires["sex"] != "male").reindex(v.index, fill_value=False), "sire",
                   "not a male")


def _animal_date_rules(ctx: _Ctx, kinds_label: str) -> None:
    """Rules shared by events and test days: sex, before birth or entry, after death."""
    v, P = ctx.val, ctx.P
    ok = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    if not ok.any():
        return
    a = _animal_facts(ctx, v.loc[ok, "animal_id"])
    sub = v[ok]
    is_event = "type" in v
    if is_event:
        male = (a["sex"] == "male") & sub["type"].isin(S.FEMALE_ONLY_EVENTS)
        P.add_mask(male.reindex(v.index, fill_value=False), "type",
                   lambda i: "the animal is a male; "
                   + sub.loc[i, "type"].astype(str).str.replace("_", " ") + " is for females only")
    else:
        P.add_mask((a["sex"] == "male").reindex(v.index, fill_value=False), "animal",
                   "the animal is a male; test days are for does")
    before = a["birth_date"].notna() & (sub["date"] < a["birth_date"])
    P.add_mask(before.reindex(v.index, fill_value=False), "date",
               lambda i: "before the animal's birth (" + _date_txt(a.loc[i, "birth_date"]) + ")")
    entry = ~before & (sub["date"] < a["entry_date"])
    P.add_mask(entry.reindex(v.index, fill_value=False), "date",
               lambda i: "before the animal entered the records ("
               + _date_txt(a.loc[i, "entry_date"]) + ")")
    # after death or departure: recorded terminal events, then terminal rows of the file
    events = ctx.table("events")
    ok = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    new = ok & ~v.index.isin(getattr(ctx, "unchanged", []))
    if is_event:
        term_file = v[new & v["type"].isin(S.TERMINAL_EVENTS)]
        if not term_file.empty:
            # a death or departure must not precede recorded events or test days
            later = pd.concat([events[["animal_id", "date"]],
                               ctx.table("test_days")[["animal_id", "date"]]])
            last = later.groupby("animal_id")["date"].max()
            lst = _lookup(term_file["animal_id"], last)
            clash = lst.notna() & (lst > term_file["date"])
            P.add_mask(clash.reindex(v.index, fill_value=False), "date",
                       "the animal has records after this date (latest "
                       + _date_txt(lst.where(clash)).fillna("") + ")")
        new = ctx.ok() & v["animal_id"].notna() & v["date"].notna() & \
            ~v.index.isin(getattr(ctx, "unchanged", []))
        term_file = v[new & v["type"].isin(S.TERMINAL_EVENTS)]
        both = pd.concat([events[events["type"].isin(S.TERMINAL_EVENTS)][["animal_id", "date", "type"]]
                          .assign(_idx=-1),
                          term_file[["animal_id", "date", "type"]].reset_index(names="_idx")],
                         ignore_index=True)
        both["animal_id"] = both["animal_id"].astype("float64")
        both = both.sort_values(["animal_id", "date", "_idx"], kind="stable")
        first = both.drop_duplicates("animal_id").set_index("animal_id")
        # a second death or departure on the same day (or a file row repeating it)
        second = both[both.duplicated("animal_id") & (both["_idx"] >= 0)]
        same_day = second[second["date"].to_numpy() == first.loc[second["animal_id"], "date"].to_numpy()]
        P.add(same_day["_idx"].to_numpy(), "type",
              ("the animal already has a " + first.loc[same_day["animal_id"], "type"].astype(str)
               + " on this day").to_numpy())
    else:
        first = _terminal(events.assign(animal_id=events["animal_id"].astype("float64")))
    cand = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    fd = _lookup(v.loc[cand, "animal_id"], first["date"].astype("datetime64[s]"))
    ft = _lookup(v.loc[cand, "animal_id"], first["type"].astype(object))
    after = fd.notna() & (v.loc[cand, "date"] > fd)
    P.add_mask(after.reindex(v.index, fill_value=False), "date",
               lambda i: "after the animal's " + ft.loc[i].fillna("").astype(str) + " on "
               + _date_txt(fd.loc[i]).fillna(""))


def _rules_test_days(ctx: _Ctx) -> None:
    _animal_date_rules(ctx, kinds_label="test day")
    v, P = ctx.val, ctx.P
    ok = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    if not ok.any():
        return
    a = _animal_facts(ctx, v.loc[ok, "animal_id"])
    ev = ctx.table("events")
    kid = ev[ev["type"] == "parturition"].groupby("animal_id")["date"].min()
    first_kid = _lookup(v.loc[ok, "animal_id"], kid.astype("datetime64[s]"))
    # in milk at entry: from entry on; otherwise only after a kidding recorded as an event
    entry_kid = a["entry_date"].where(a["entry_lactating"].fillna(False).astype(bool))
    earliest = pd.concat([first_kid, entry_kid], axis=1).min(axis=1)
    dry = earliest.isna() | (v.loc[ok, "date"] < earliest)
    P.add_mask(dry.reindex(v.index, fill_value=False), "date",
               "no kidding recorded on or before this date (a doe is in milk after kidding)")


def _prepare_animals(ctx: _Ctx) -> None:
    v, P = ctx.val, ctx.P
    batches = ctx.table("batches").set_index("id")
    has_batch = v["batch_id"].notna()
    v["origin"] = v["origin"].where(v["origin"].notna() | ~v["batch"].notna(), "arrival")
    v["origin"] = v["origin"].where(v["origin"].notna(), "birth")
    arr = v["origin"] == "arrival"
    bid = v["batch_id"].astype("float64")
    b_date = _lookup(bid, batches["arrival_date"].astype("datetime64[s]"))
    b_farm = _lookup(bid, batches["arrival_farm_id"].astype("float64"))
    P.add_mask(arr & v["batch"].isna(), "batch", "missing; required for animals that arrived "
               "with a batch (origin arrival)")
    P.add_mask(~arr & v["batch"].notna(), "batch", "only for animals that arrived with a "
               "batch (origin arrival)")
    v["farm_id"] = v["farm_id"].fillna(b_farm.where(arr).astype("Int64"))
    P.add_mask(~arr & v["farm"].isna(), "farm", "missing; required for animals born on a farm")
    both = v["birth_date"].notna() & v["age_months"].notna()
    P.add_mask(both, "age_months", "give either birth_date or age_months, not both")
    P.add_mask(~arr & v["birth_date"].isna(), "birth_date",
               "missing; required for animals born on a farm (origin birth)")
    entry = v["entry_date"].where(v["entry_date"].notna(),
                                  v["birth_date"].where(~arr, b_date.astype("datetime64[s]")))
    v["entry_date"] = entry.astype("datetime64[s]")
    P.add_mask(has_batch & arr & v["entry_date"].isna() & v["batch_id"].notna(), "entry_date",
               "missing and the batch has no arrival date")
    P.add_mask(~arr & v["entry_date"].notna() & v["birth_date"].notna()
               & (v["entry_date"] != v["birth_date"]), "entry_date",
               "differs from birth_date; an animal born on a farm enters on its birth date")
    est = v["birth_date"].isna() & v["age_months"].notna() & v["entry_date"].notna()
    days = (v["age_months"] * DAYS_PER_MONTH).round()
    derived = (v["entry_date"] - pd.to_timedelta(days.fillna(0), unit="D")).astype("datetime64[s]")
    v["birth_date"] = v["birth_date"].where(~est, derived)
    v["birth_date_estimated"] = v["birth_date_estimated"].where(~est, True)


def _rules_animals(ctx: _Ctx) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok()
    male = v["sex"] == "male"
    P.add_mask(ok & v["entry_date"].notna() & v["birth_date"].notna()
               & (v["entry_date"] < v["birth_date"]), "entry_date", "before birth_date")
    P.add_mask(ok & male & (v["parity"].fillna(0) > 0), "parity", "a male has no kiddings")
    P.add_mask(ok & male & v["lactating"].fillna(False).astype(bool), "lactating",
               "a male is not in milk")
    P.add_mask(ok & male & v["expected_parturition_date"].notna(), "expected_parturition_date",
               "a male cannot be pregnant")
    P.add_mask(ok & v["last_parturition_date"].notna() & (v["parity"].fillna(0) == 0),
               "last_parturition_date", "given but parity is 0")
    P.add_mask(ok & v["last_parturition_date"].notna() & v["entry_date"].notna()
               & (v["last_parturition_date"] > v["entry_date"]), "last_parturition_date",
               "after entry_date; record later kiddings as parturition events")
    P.add_mask(ok & v["expected_parturition_date"].notna() & v["entry_date"].notna()
               & (v["expected_parturition_date"] < v["entry_date"]),
               "expected_parturition_date", "before entry_date")
    # parents: sex and birth dates, from the records or this file
    recorded = ctx.table("animals")[["id", "sex", "birth_date"]]
    file_parents = pd.DataFrame({"sex": v["sex"].to_numpy(), "birth_date": v["birth_date"].to_numpy()},
                                index=v.index)
    for name, sex, label in (("dam", "female", "dam"), ("sire", "male", "sire")):
        col = f"{name}_id"
        has = ctx.ok() & v[col].notna()
        if not has.any():
            continue
        ids = v.loc[has, col].astype("int64")
        rec = recorded.set_index("id")
        par_sex = _lookup(ids, rec["sex"].astype(object))
        par_birth = _lookup(ids, rec["birth_date"].astype("datetime64[s]"))
        # parents in the same file (pre-allocated ids from the file's key)
        in_file = v.loc[has, name].map(pd.Series(v.index, index=v["tag"]).loc[
            lambda s: ~s.index.duplicated()])
        fsex = in_file.map(file_parents["sex"])
        fbirth = in_file.map(file_parents["birth_date"])
        par_sex = par_sex.where(par_sex.notna(), fsex)
        par_birth = pd.to_datetime(par_birth.where(par_birth.notna(), fbirth))
        P.add_mask((par_sex != sex).reindex(v.index, fill_value=False), name,
                   f"the {label} is not a {sex}")
        young = par_birth.notna() & v.loc[has, "birth_date"].notna() & \
            (par_birth >= v.loc[has, "birth_date"])
        P.add_mask(young.reindex(v.index, fill_value=False), name,
                   f"the {label} was not born before this animal")


def _rules_batches(ctx: _Ctx) -> None:
    v = ctx.val
    ctx.P.add_mask(ctx.ok() & v["certificate_date"].notna() & v["arrival_date"].notna()
                   & (v["certificate_date"] > v["arrival_date"]), "certificate_date",
                   "after arrival_date")


def _rules_product_batches(ctx: _Ctx) -> None:
    v = ctx.val
    ctx.P.add_mask(ctx.ok() & (v["expiry_date"] < v["production_date"]), "expiry_date",
                   "before production_date")


def _rules_deliveries(ctx: _Ctx) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok() & v["product_batch_id"].notna()
    pb = ctx.table("product_batches").set_index("id")
    if pb.empty or not ok.any():
        return
    bid = v.loc[ok, "product_batch_id"].astype("int64")
    prod = _lookup(bid, pb["production_date"])
    exp = _lookup(bid, pb["expiry_date"])
    d = v.loc[ok, "date"]
    P.add_mask((d < prod).reindex(v.index, fill_value=False), "date",
               "before the batch was made (" + _date_txt(prod) + ")")
    P.add_mask((d > exp).reindex(v.index, fill_value=False), "date",
               "after the batch's expiry date (" + _date_txt(exp) + ")")
    # no more delivered than the batch holds (recorded deliveries first, then file order)
    ok = ctx.ok() & v["product_batch_id"].notna() & v["quantity_kg"].notna() \
        & ~v.index.isin(getattr(ctx, "unchanged", []))
    if not ok.any():
        return
    done = ctx.table("deliveries").groupby("product_batch_id")["quantity_kg"].sum()
    sub = v[ok]
    bid = sub["product_batch_id"].astype("int64")
    cum = sub.groupby(bid)["quantity_kg"].cumsum() + _lookup(bid, done.astype("float64")).fillna(0.0)
    cap = _lookup(bid, pb["quantity_kg"])
    over = cum > cap * (1 + 1e-9)
    P.add_mask(over.reindex(v.index, fill_value=False), "quantity_kg",
               "more than the batch holds (" + cap.map("{:g}".format) + " kg)")


def _rules_measurements(ctx: _Ctx) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok()
    P.add_mask(ok & v["weight_kg"].isna() & v["height_cm"].isna() & v["muac_cm"].isna(),
               "weight_kg", "no measurement; give weight_kg, height_cm or muac_cm")
    ok = ctx.ok() & v["child_id"].notna() & v["date"].notna()
    ch = ctx.table("children").set_index("id")
    if ch.empty or not ok.any():
        return
    birth = _lookup(v.loc[ok, "child_id"], ch["birth_date"])
    P.add_mask((v.loc[ok, "date"] < birth).reindex(v.index, fill_value=False), "date",
               "before the child's birth (" + _date_txt(birth) + ")")


def _k(name, fields, key, help, prepare=None, rules=None) -> Kind:
    return Kind(name, S.metadata.tables[name], fields, key, help, prepare, rules)


#: Every kind of record that can be imported and exported, in the order to import them.
KINDS: dict[str, Kind] = {k.name: k for k in (
    _k("farms", _FARMS, ("name",), "Farms and quarantine stations."),
    _k("sites", _SITES, ("name",), "Schools, kindergartens and nurseries."),
    _k("batches", _BATCHES, ("name",), "Consignments of animals with their veterinary "
       "certificates.", rules=_rules_batches),
    _k("animals", _ANIMALS, ("tag",), "Goats: identity, parents, entry.",
       prepare=_prepare_animals, rules=_rules_animals),
    _k("events", _EVENTS, ("animal", "date", "type"), "Animal events (ICAR names).",
       rules=_rules_events),
    _k("test_days", _TEST_DAYS, ("animal", "date"), "Test-day milk records.",
       rules=_rules_test_days),
    _k("product_batches", _PRODUCT_BATCHES, ("code",), "Batches of dairy products.",
       rules=_rules_product_batches),
    _k("deliveries", _DELIVERIES, ("product_batch", "site", "date"),
       "Deliveries of products to sites.", rules=_rules_deliveries),
    _k("children", _CHILDREN, ("code",), "Children (pseudonymous codes)."),
    _k("measurements", _MEASUREMENTS, ("child", "date"), "Children's measurements.",
       rules=_rules_measurements),
)}


def _kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(KINDS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise DataError(f"unknown kind of record {name!r}; {hint}expected one of "
                        f"{', '.join(KINDS)}") from None


# --------------------------------------------------------------------------------------
# Templates and exports
# --------------------------------------------------------------------------------------

def describe(kind: str) -> pd.DataFrame:
    """The columns of a kind's file: name, required, accepted values, meaning."""
    k = _kind(kind)
    return pd.DataFrame({
        "column": [f.name for f in k.fields],
        "required": ["yes" if f.required else "" for f in k.fields],
        "values": [f.describe() for f in k.fields],
        "meaning": [f.help for f in k.fields],
        "key": ["yes" if f.name in k.key else "" for f in k.fields]})


def template(kind: str, path: str | os.PathLike | None = None) -> str | Path:
    """An empty file to fill in: CSV (header) or XLSX (header, plus a sheet that describes
    each column). Without ``path``, returns the CSV header line."""
    k = _kind(kind)
    header = pd.DataFrame(columns=[f.name for f in k.fields])
    if path is None:
        return ",".join(header.columns) + "\n"
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        write_xlsx({k.name: header, "columns": describe(kind)}, path)
    elif path.suffix.lower() == ".csv":
        write_csv(header, path)
    else:
        raise DataError(f"unknown template type {path.suffix!r}; expected .csv or .xlsx",
                        file=str(path))
    return path


def export_frame(conn_or_engine, kind: str) -> pd.DataFrame:
    """The records of a kind in its file layout (natural keys, dates as dates), in the
    order they were recorded."""
    if isinstance(conn_or_engine, Engine):
        with conn_or_engine.connect() as conn:
            return export_frame(conn, kind)
    return _records_with_ids(conn_or_engine, kind).drop(columns="id")


def _records_with_ids(conn: Connection, kind: str) -> pd.DataFrame:
    """The records of a kind in its file layout, with their ``id`` first, by id."""
    k = _kind(kind)
    rows = _read(conn, k.table).sort_values("id", kind="stable")
    out = {"id": rows["id"].astype("int64").reset_index(drop=True)}
    for f in k.export_fields:
        s = rows[f.db]
        if f.type == "ref":
            rev = {v: kk for kk, v in _key_map(conn, f.ref).items()}
            s = s.map(lambda i: rev.get(int(i)) if pd.notna(i) else None)
        elif f.type == "date":
            s = s.astype("datetime64[s]")
        out[f.name] = s.reset_index(drop=True)
    return pd.DataFrame(out)


def as_text_table(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` as written to CSV and XLSX: dates as YYYY-MM-DD, booleans as
    true/false (empty where missing)."""
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d").astype(object).where(out[c].notna(), None)
        elif pd.api.types.is_bool_dtype(out[c]) or str(out[c].dtype) == "boolean":
            out[c] = out[c].astype(object).map(
                lambda b: None if b is None or b is pd.NA else ("true" if b else "false"))
    return out


def write_table(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write a table as CSV, XLSX or Parquet (by suffix); dates as YYYY-MM-DD. Texts that a
    spreadsheet would run as formulas are neutralised in CSV and XLSX
    (:mod:`capra.spreadsheet`); :func:`read_table` reads them back unchanged."""
    path = Path(path)
    suffix = path.suffix.lower()
    out = as_text_table(df) if suffix in (".csv", ".xlsx") else df.copy()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(out, path)
    elif suffix == ".xlsx":
        write_xlsx({"Sheet1": out}, path)
    elif suffix == ".parquet":
        out.to_parquet(path, index=False)
    else:
        raise DataError(f"unknown file type {suffix!r}; expected one of {', '.join(FORMATS)}",
                        file=str(path))
    return path


def export_table(engine: Engine, kind: str, path: str | os.PathLike) -> Path:
    """Export the records of a kind to a CSV, XLSX or Parquet file."""
    return write_table(export_frame(engine, kind), path)
