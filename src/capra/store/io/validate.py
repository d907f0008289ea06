"""Validation of an import file's rows, field by field: codes (any letter case), numbers and
their ranges, dates, text lengths, line breaks and control characters.

:func:`parse` returns the typed values of every field and records each problem (row,
field, reason) in a :class:`Problems`; references to other records and the integrity
rules are checked later, against the records, by :mod:`capra.store.io.imports`.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra.errors import DataError
from capra.store import schema as S

if TYPE_CHECKING:
    from capra.store.io.kinds import Field, Kind

__all__ = ["YEAR_RANGE", "Problems", "check_columns", "parse"]

#: Accepted years of dates. [-]
YEAR_RANGE = (1900, 2100)
#: Characters refused in any text: control characters other than tab, line feed and
#: carriage return (line breaks are refused separately, except in free text).
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_SEX_ALIASES = {"f": "female", "m": "male"}


class Problems:
    """Rejections collected column by column: (row index, field, reason).

    The rules ask for the rows rejected so far many times per import (:meth:`frame`,
    :meth:`bad`): the table is built once after each new rejection, not at each question
    (most of the time of a small import went into building it again)."""

    def __init__(self):
        self._parts: list[pd.DataFrame] = []
        self._frame: pd.DataFrame | None = None

    def __bool__(self) -> bool:
        """Whether any row was rejected."""
        return bool(self._parts)

    def add(self, idx, field: str, reason) -> None:
        idx = np.asarray(idx, dtype=np.int64).ravel()
        if idx.size == 0:
            return
        reason = np.asarray(reason, dtype=object)
        reason = np.broadcast_to(reason, idx.shape) if reason.ndim == 0 else reason.ravel()
        self._parts.append(pd.DataFrame({"idx": idx, "field": field,
                                         "reason": reason.astype(str)}))
        self._frame = None

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
        """The problems, one row per (row index, field, reason), by row index; not to be
        changed (the same table is returned until a rejection is added)."""
        if self._frame is None:
            if not self._parts:
                self._frame = pd.DataFrame({"idx": pd.Series(dtype="int64"),
                                            "field": pd.Series(dtype=str),
                                            "reason": pd.Series(dtype=str)})
            else:
                self._frame = (pd.concat(self._parts, ignore_index=True)
                               .drop_duplicates(["idx", "field", "reason"])
                               .sort_values("idx", kind="stable"))
        return self._frame

    def bad(self) -> set[int]:
        return set(self.frame()["idx"].tolist())


def check_columns(kind: Kind, raw: pd.DataFrame, file: str | None) -> None:
    """The file's columns are the kind's: none unknown (the error names the closest valid
    one), none twice, every required one present; :class:`DataError` otherwise."""
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


def parse(kind: Kind, raw: pd.DataFrame, P: Problems) -> pd.DataFrame:
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
        if len(uniq) == 1 and isinstance(uniq[0], str) and uniq[0] == "":
            # every cell empty: most fields of a small file
            typed, probs = _parse_empty(f)
        else:
            PU = Problems()
            typed = _parse_field(f, pd.Series(uniq, dtype=object), PU)
            probs = PU.frame() if PU else None
        vals = typed.take(codes)
        vals.index = raw.index
        out[f.name] = vals
        if probs is not None:
            rows = np.flatnonzero(np.isin(codes, probs["idx"].unique()))
            hits = pd.DataFrame({"row": raw.index[rows], "idx": codes[rows]}).merge(
                probs[["idx", "reason"]], on="idx")
            P.add(hits["row"].to_numpy(), f.name, hits["reason"].to_numpy())
    return pd.DataFrame(out, index=raw.index)


@functools.lru_cache(maxsize=None)
def _parse_empty(f: Field) -> tuple[pd.Series, pd.DataFrame | None]:
    """:func:`_parse_field` of one empty text, and its problems (None without): the same
    for every file, so worked out once per field. Not to be changed."""
    P = Problems()
    typed = _parse_field(f, pd.Series([""], dtype=object), P)
    return typed, (P.frame() if P else None)


def _parse_field(f: Field, s: pd.Series, P: Problems) -> pd.Series:
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
