"""Tables in files: CSV, XLSX and Parquet read as text and written with dates as
``YYYY-MM-DD``.

:func:`read_table` reads every cell as text (the import validates it) and notes the rows of
a damaged CSV file; :func:`write_table` writes exports and rejects files, with texts that a
spreadsheet would run as formulas neutralised (:mod:`capra.spreadsheet`).
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from capra.errors import DataError
from capra.spreadsheet import restore, write_csv, write_xlsx

__all__ = ["FORMATS", "as_text", "as_text_table", "read_table", "write_table"]

#: File formats by suffix.
FORMATS = (".csv", ".xlsx", ".parquet")


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


def as_text(df: pd.DataFrame) -> pd.DataFrame:
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
    text = as_text(df)
    if suffix != ".parquet":
        text = restore(text)
    text.attrs["short_rows"] = short
    return text


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
