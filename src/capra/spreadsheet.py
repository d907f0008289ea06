"""CSV and XLSX files that are safe to open in a spreadsheet and read back unchanged.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel and LibreOffice ("CSV injection", OWASP): a name such as
``=HYPERLINK("http://...")`` in the records would become a live link or worse in an
export. Capra writes such a text with one more apostrophe in front, the spreadsheet
convention for "this cell is text", and removes it when it reads a CSV or XLSX file, so
that every text comes back exactly as it was (:func:`restore_text` undoes
:func:`escape_text` for every string). Numbers, and texts that are plain numbers such as
``-12.5``, are left as they are: they are not formulas.

Characters that an XLSX cell cannot hold (control characters other than tab, line feed
and carriage return) are written to XLSX as U+FFFD.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

__all__ = ["FORMULA_START", "escape_text", "neutralise", "restore", "restore_text",
           "write_csv", "write_xlsx"]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_START = "=+-@\t\r"
_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_RESTORE = re.compile(r"'+[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
# characters an XLSX cell cannot hold (as openpyxl's ILLEGAL_CHARACTERS_RE)
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def escape_text(text: str) -> str:
    """``text`` as written to a spreadsheet file: one apostrophe more in front when it would
    be run as a formula (or when it starts with apostrophes followed by such a character,
    so that :func:`restore_text` can tell them apart)."""
    if _ESCAPE.match(text) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def restore_text(text: str) -> str:
    """The text written by :func:`escape_text`: one leading apostrophe removed before a
    formula character."""
    return text[1:] if _RESTORE.match(text) else text


#: Kinds of object columns (``pandas.api.types.infer_dtype``) that may hold text cells.
_TEXT_KINDS = ("string", "empty", "bytes", "mixed", "mixed-integer")


def _map_text(df: pd.DataFrame, pattern: re.Pattern, fix, *, anywhere: bool = False
              ) -> pd.DataFrame:
    """``df`` with ``fix`` applied to the text cells that ``pattern`` matches at their start
    (``anywhere``: in them); other cells and columns untouched. The matching is vectorized
    (a million cells in a few hundredths of a second); ``fix`` runs on the hits only."""
    out = None
    for col in df.columns:
        s = df[col]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
            continue
        texts = s
        if s.dtype == object:
            kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind not in _TEXT_KINDS:
                continue  # no text cell (e.g. integers too large for int64 read from a CSV)
            if kind == "string":
                texts = s.astype(pd.StringDtype("pyarrow"))  # matched in Arrow, 3x faster
        found = (texts.str.contains(pattern.pattern, regex=True) if anywhere
                 else texts.str.match(pattern.pattern))
        hit = found.fillna(False).to_numpy(dtype=bool)
        if not hit.any():
            continue
        if out is None:
            out = df.copy()
        values = s.to_numpy(dtype=object).copy()
        values[hit] = [fix(v) for v in values[hit]]
        out[col] = pd.Series(values, index=df.index, dtype=object)
    return df if out is None else out


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell passed through :func:`escape_text` (a copy when a cell
    changes); numbers and other typed cells untouched."""
    return _map_text(df, _ESCAPE, escape_text)


def restore(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every text cell passed through :func:`restore_text`: what was written
    by :func:`neutralise`."""
    return _map_text(df, _RESTORE, restore_text)


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = False) -> Path:
    """Write ``df`` as CSV (UTF-8), text cells neutralised."""
    path = Path(path)
    neutralise(df).to_csv(path, index=index)
    return path


def write_xlsx(sheets: Mapping[str, pd.DataFrame], path: str | os.PathLike) -> Path:
    """Write one sheet per ``{name: table}`` as XLSX, text cells neutralised (so none is
    stored as a formula)."""
    path = Path(path)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        for name, df in sheets.items():
            clean = _map_text(neutralise(df), _ILLEGAL_XLSX,
                              lambda v: _ILLEGAL_XLSX.sub("\ufffd", v), anywhere=True)
            clean.to_excel(xw, sheet_name=name, index=False)
    return path
