"""The inputs of :func:`capra.growth.zscores`: each field found in a table or given as an
array, every code and number checked, every problem of every row listed in one error.

Fields have WHO's argument names (:data:`FIELDS`); in a table they are also found by the
usual names of :data:`COLUMN_NAMES` (any letter case), or mapped by ``columns``. Codes are
those of WHO's packages (sex 1/2, m/f; measure l/h; oedema y/n or a stated coding); a
number that is not finite becomes missing with a :class:`GrowthDataWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from capra.errors import ArgumentError, DataError, InvalidValuesError

__all__ = [
    "AGE_NAME_UNITS", "AGE_UNIT_GUESS_MAX", "COLUMN_NAMES", "FIELDS", "MEASUREMENTS",
    "GrowthDataWarning", "Inputs", "ages_look_like_months", "find_column",
    "missing_column_error", "parse_oedema_codes", "read_inputs",
]


class GrowthDataWarning(UserWarning):
    """Data were changed on the way in (e.g. a negative age set to missing); counts included."""


#: Input fields, with WHO's argument names.
FIELDS = ("sex", "age", "weight", "lenhei", "measure", "oedema", "headc", "armc", "triskin",
          "subskin", "age_unit")
_NUMERIC = ("age", "weight", "lenhei", "headc", "armc", "triskin", "subskin")
#: Measurements: at least one must be found in a table of children.
MEASUREMENTS = ("weight", "lenhei", "headc", "armc", "triskin", "subskin")
#: Column names recognised for each field, in order of preference, in any letter case:
#: WHO's argument names, anthroplus's names, and the usual names with their unit (the
#: names of Capra's records exports among them). Other names are given with ``columns``.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "sex": ("sex", "gender"),
    "age": ("age", "age_days", "agedays", "age_in_days", "age_months", "agemons",
            "agemonths", "age_in_months"),
    "weight": ("weight", "weight_kg"),
    "lenhei": ("lenhei", "height", "length", "lenhei_cm", "height_cm", "length_cm"),
    "measure": ("measure", "measured"),
    "oedema": ("oedema", "edema"),
    "headc": ("headc", "headc_cm", "head_circumference_cm"),
    "armc": ("armc", "armc_cm", "muac_cm"),
    "triskin": ("triskin", "triskin_mm"),
    "subskin": ("subskin", "subskin_mm"),
    "age_unit": ("age_unit",),
}
#: Unit of age implied by the name of the age column (lower case).
AGE_NAME_UNITS = {"age_days": "days", "agedays": "days", "age_in_days": "days",
                  "age_months": "months", "agemons": "months", "agemonths": "months",
                  "age_in_months": "months"}
#: Ages in a column whose unit is neither given nor implied by its name are taken for
#: months, and the unit must be given, when none is above this: WHO's references end at
#: 228 months, so a child survey in months has no age above 240, while one in days almost
#: always has (240 days = 8 months).
AGE_UNIT_GUESS_MAX = 240.0
_MISSING_STRINGS = frozenset({"", "na", "nan", "n/a", ".", "none", "null", "<na>"})
_SEX_CODES = {"1": 1, "2": 2, "m": 1, "f": 2, "male": 1, "female": 2}  # letters: any case
_MEASURE_CODES = {"l": 1, "L": 1, "h": 2, "H": 2}
_UNIT_CODES = {"days": 0, "day": 0, "d": 0, "months": 1, "month": 1, "mo": 1, "m": 1}
# per-row unit codes: 0 = blank, 1 = days, 2 = months (any letter case)
_UNIT_LUT = {v: c + 1 for k, c in _UNIT_CODES.items() for v in (k, k.upper(), k.capitalize())}
_EXPECTED = {
    "sex": "1, 2, m, f, male, female (any case) or blank",
    "measure": "l, L, h, H or blank",
    "age_unit": "days or months",
}
_BAD = -2


def parse_oedema_codes(codes: str | tuple[Sequence[Any], Sequence[Any]] | None = "who"
                       ) -> dict[str, bool]:
    """Turn an oedema coding into ``{code: is_oedema}``.

    ``codes`` is ``"who"`` (WHO's documented codes: y, Y, 1 = oedema; n, N, 2 = no oedema),
    or ``"YES/NO"`` with comma-separated codes on each side — ``"y/n"``, ``"1/2"``
    (1 = yes, 2 = no, as in ``anthro``), ``"2/1"`` (2 = yes, 1 = no, as in one WHO quick guide),
    ``"1/0"``, ``"y,1/n,2"`` — or a pair ``(yes_codes, no_codes)``. Letters match in either
    case. Blank is always accepted and means no oedema, as in WHO's packages.
    """
    if codes is None or (isinstance(codes, str) and codes.strip().lower() == "who"):
        yes, no = ["y", "1"], ["n", "2"]
    elif isinstance(codes, str):
        parts = codes.split("/")
        if len(parts) != 2:
            raise ArgumentError(f"oedema codes {codes!r}: expected 'YES/NO', e.g. 'y/n' or '1/2'")
        yes, no = ([c.strip() for c in p.split(",") if c.strip()] for p in parts)
    else:
        yes, no = ([_norm_code(c) for c in side] for side in codes)
    if not yes or not no:
        raise ArgumentError(f"oedema codes {codes!r}: need at least one code for yes and for no")
    out: dict[str, bool] = {}
    for flag, side in ((True, yes), (False, no)):
        for c in side:
            for variant in {c, c.lower(), c.upper()}:
                if out.get(variant, flag) != flag:
                    raise ArgumentError(f"oedema codes {codes!r}: {c!r} is both yes and no")
                out[variant] = flag
    return out


def _norm_code(v: Any) -> Any:
    """Normalise one raw code: stripped str, integral numbers as '1', None for missing."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str):
        s = v.strip()
        return None if s.lower() in _MISSING_STRINGS else s
    if isinstance(v, (bool, np.bool_)):
        return v  # a boolean is never a valid code
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return None
        return str(int(v)) if float(v).is_integer() else repr(float(v))
    return v


def _as_array(values: Any, n: int) -> Any:
    """Array-like or broadcast scalar of length n (pandas objects keep their dtype)."""
    if isinstance(values, (pd.Series, pd.Index)):
        return values.array if not isinstance(values.dtype, np.dtype) else values.to_numpy()
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        return np.full(n, values, dtype=object)
    if not isinstance(values, np.ndarray):
        if np.ndim(values) != 1:
            raise DataError(f"expected a one-dimensional array, got {np.ndim(values)} dimensions")
        return _as_array(pd.Series(list(values)), n)  # keeps mixed types as they are
    if values.ndim != 1:
        raise DataError(f"expected a one-dimensional array, got shape {values.shape}")
    return values


def _codes(field: str, values: Any, lut: Mapping[str, int], problems: dict) -> np.ndarray:
    """Vectorized code cleaning: factorize, map the few distinct values, take."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=np.int8)
    mapped[-1] = 0  # sentinel -1 (missing) -> 0
    bad_u = []
    for j, u in enumerate(uniques):
        key = _norm_code(u)
        if key is None:
            mapped[j] = 0
        elif isinstance(key, str) and (key in lut or key.lower() in lut):
            mapped[j] = lut[key] if key in lut else lut[key.lower()]
        else:
            mapped[j] = _BAD
            bad_u.append(j)
    out = mapped[codes]
    if bad_u:
        bad_rows = np.flatnonzero(out == _BAD)
        raw = np.asarray(values, dtype=object)
        problems[field] = [(int(r) + 1, _plain(raw[r])) for r in bad_rows]
        out[bad_rows] = 0
    return out


def _plain(v: Any) -> Any:
    """A raw value as a plain Python object, for error messages."""
    return v.item() if isinstance(v, np.generic) else v


def _numbers(field: str, values: Any, problems: dict) -> np.ndarray:
    """Float array [field unit]; non-numbers are reported, blanks/NA become NaN."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None and pd.api.types.is_bool_dtype(dtype):
        obj = np.asarray(values, dtype=object)
        bad = np.flatnonzero(~pd.isna(obj))
        if bad.size:
            problems[field] = [(int(r) + 1, _plain(obj[r])) for r in bad]
        return np.full(len(obj), np.nan)
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return _finite_or_missing(field, values.astype(np.float64, copy=True))
    if dtype is not None and pd.api.types.is_numeric_dtype(dtype):
        return _finite_or_missing(field, np.array(
            pd.array(values).to_numpy(dtype=np.float64, na_value=np.nan)))
    obj = pd.Series(np.asarray(values, dtype=object), dtype=object)
    num = np.array(pd.to_numeric(obj, errors="coerce").to_numpy(dtype=np.float64,
                                                               na_value=np.nan))
    suspects = np.flatnonzero(np.isnan(num) & ~pd.isna(obj).to_numpy())
    bad = []
    for r in suspects:  # only values that did not convert: blanks, NA markers, errors
        v = obj.iat[r]
        if isinstance(v, str) and v.strip().lower() in _MISSING_STRINGS:
            continue
        bad.append((int(r) + 1, _plain(v)))
    if bad:
        problems[field] = bad
    return _finite_or_missing(field, num)


def _finite_or_missing(field: str, num: np.ndarray) -> np.ndarray:
    """Infinite values set to missing (NaN), with a :class:`GrowthDataWarning` naming the
    rows (numbered from 1) and pointing at the caller of :func:`capra.growth.zscores`."""
    bad = np.isinf(num)
    if bad.any():
        rows = (np.flatnonzero(bad) + 1).tolist()
        shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
        warnings.warn(GrowthDataWarning(
            f"{len(rows)} {field} value{'s' if len(rows) > 1 else ''} not finite (inf) set "
            f"to missing (row{'s' if len(rows) > 1 else ''} {shown})"), stacklevel=5)
        num = np.where(bad, np.nan, num)
    return num


def find_column(data: pd.DataFrame, field: str, names: Sequence[str] | None = None
                ) -> str | None:
    """The column of ``data`` that holds ``field``: the first of ``names`` (default
    :data:`COLUMN_NAMES`) that is a column, else the first that matches one column in
    another letter case; None if none does."""
    names = tuple(names or COLUMN_NAMES.get(field, (field,)))
    found = next((c for c in names if c in data.columns), None)
    if found is None:
        lower: dict[str, list] = {}
        for c in data.columns:
            lower.setdefault(str(c).lower(), []).append(c)
        found = next((lower[a][0] for a in names if len(lower.get(a, ())) == 1), None)
    return found


def missing_column_error(field: str, data: pd.DataFrame) -> DataError:
    """A field's column was not found: the error lists the columns found and the names
    expected."""
    names = COLUMN_NAMES.get(field, (field,))
    return DataError(f"no column for {field}; the columns are "
                     f"{', '.join(map(str, data.columns)) or '(none)'}; expected one named "
                     f"{', '.join(names)} (any letter case), or map one (--map "
                     f"{field}=COLUMN; in Python columns={{{field!r}: COLUMN}})", field=field)


def ages_look_like_months(age: np.ndarray) -> bool:
    """Every known age is at most :data:`AGE_UNIT_GUESS_MAX` (a child survey in months)."""
    known = age[np.isfinite(age)]
    return bool(known.size) and bool((known <= AGE_UNIT_GUESS_MAX).all())


def _resolve(data, explicit: dict[str, Any], columns: Mapping[str, str] | None):
    """Find each field's values: explicit keyword, column mapping, own name or alias."""
    columns = dict(columns or {})
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise DataError(f"column mapping has unknown field(s) {', '.join(unknown)}; "
                        f"expected some of {', '.join(FIELDS)}")
    raw: dict[str, Any] = {}
    source: dict[str, str] = {}
    for field in FIELDS:
        value = explicit.get(field)
        if field == "age_unit" and isinstance(value, str):
            if value.strip().lower() in _UNIT_CODES:
                continue  # one unit for every row, handled by the caller
            if data is None or value not in data.columns:
                raise ArgumentError(f"age_unit={value!r}: expected 'days', 'months' or the name "
                                 "of a column of units")
            columns[field] = value
        elif isinstance(value, str) and data is not None:
            columns[field] = value
        elif value is not None:
            raw[field] = value
            source[field] = "argument"
            continue
        if data is None:
            continue
        if field in columns:
            name = columns[field]
            if name not in data.columns:
                raise DataError(f"column {name!r} (mapped to {field!r}) is not in the data; "
                                f"columns are: {', '.join(map(str, data.columns))}", field=field)
            raw[field], source[field] = data[name], name
        elif field in data.columns:
            raw[field], source[field] = data[field], field
        else:
            found = find_column(data, field)
            if found is not None:
                raw[field], source[field] = data[found], found
    return raw, source


@dataclass(frozen=True)
class Inputs:
    """The inputs of :func:`capra.growth.zscores`, found and checked: one value per row."""

    n: int
    """Rows."""
    index: pd.Index
    """Index of the rows (the data's, or of the first Series given)."""
    arrays: dict[str, Any]
    """Each field's values as given, by field name (:data:`FIELDS`)."""
    source: dict[str, str]
    """Where each field came from: a column of the data, or ``"argument"``."""
    sex: np.ndarray
    """0 unknown, 1 male, 2 female."""
    measure: np.ndarray
    """0 not recorded, 1 recumbent length, 2 standing height."""
    oedema: np.ndarray
    """0 blank, 1 oedema, 2 no oedema."""
    numbers: dict[str, np.ndarray]
    """``age`` and the measurements (``weight``, ``lenhei``, ``headc``, ``armc``,
    ``triskin``, ``subskin``) in their units, NaN where missing."""
    is_months: np.ndarray
    """The row's age is in months (else days)."""


def read_inputs(data: pd.DataFrame | None, explicit: Mapping[str, Any],
                columns: Mapping[str, str] | None, oedema_codes) -> Inputs:
    """Find every field (keyword, column mapping, own name or usual name), check every code
    and number of every row, and read the unit of the ages.

    ``explicit`` holds the field keywords of :func:`capra.growth.zscores`; the other
    arguments are those of :func:`~capra.growth.zscores`.

    Raises
    ------
    capra.errors.InvalidValuesError
        Every invalid code or number of every field at once.
    capra.errors.DataError
        A column is missing, lengths differ, or the unit of ages read from a column is
        neither given nor clear.
    """
    oedema_lut_bool = parse_oedema_codes(oedema_codes)
    oedema_lut = {k: (1 if v else 2) for k, v in oedema_lut_bool.items()}
    if data is not None and not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame (or None with array keywords)")
    raw, source = _found_fields(data, explicit, columns)
    n, index, arrays = _rows(data, raw)

    # every problem is collected before raising
    problems: dict[str, list] = {}
    sex_c = _codes("sex", arrays["sex"], _SEX_CODES, problems)
    meas_c = (_codes("measure", arrays["measure"], _MEASURE_CODES, problems)
              if "measure" in arrays else np.zeros(n, np.int8))
    oed_c = (_codes("oedema", arrays["oedema"], oedema_lut, problems)
             if "oedema" in arrays else np.full(n, 2, np.int8))
    num = {f: (_numbers(f, arrays[f], problems) if f in arrays else np.full(n, np.nan))
           for f in _NUMERIC}
    is_months = _age_in_months(explicit["age_unit"], arrays, source, num["age"], problems)

    if problems:
        mapped = [f"{f}={source[f]}" for f in problems if source.get(f, "argument") != "argument"]
        where = f" (data columns: {', '.join(mapped)})" if mapped else ""
        raise InvalidValuesError(f"invalid input values{where}; rows are numbered from 1",
                                 problems=problems, expected=_expected(oedema_lut_bool))
    if ("age_unit" not in arrays and explicit["age_unit"] is None
            and AGE_NAME_UNITS.get(str(source.get("age", "")).lower()) is None
            and source.get("age", "argument") != "argument" and ages_look_like_months(num["age"])):
        raise DataError(f"the ages in column {source['age']!r} are all at most "
                        f"{AGE_UNIT_GUESS_MAX:g}: they may be months; give their unit "
                        "(--age-unit days or --age-unit months)", field="age")
    return Inputs(n, index, arrays, source, sex_c, meas_c, oed_c, num, is_months)


def _found_fields(data: pd.DataFrame | None, explicit: Mapping[str, Any],
                  columns: Mapping[str, str] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Each field's raw values and where they came from; :class:`DataError` when a table
    lacks the sex, the age or every measurement, or no sex is given at all."""
    raw, source = _resolve(data, dict(explicit), columns)
    if data is not None:  # a table without these columns was read under other names
        for field in ("sex", "age"):
            if field not in raw:
                raise missing_column_error(field, data)
        if not any(f in raw for f in MEASUREMENTS):
            raise DataError(
                f"no measurement column; the columns are {', '.join(map(str, data.columns))}; "
                "expected at least one of weight (weight, weight_kg), length or height "
                "(lenhei, height, length, height_cm, length_cm), headc, armc (muac_cm), "
                "triskin, subskin, or map one (--map FIELD=COLUMN)", field="weight")
    if "sex" not in raw:
        raise DataError("no sex values: give a 'sex' column, map one with "
                        "columns={'sex': NAME}, or pass sex=...", field="sex")
    return raw, source


def _rows(data: pd.DataFrame | None, raw: dict[str, Any]
          ) -> tuple[int, pd.Index, dict[str, Any]]:
    """The number of rows, their index and each field's values, one per row (scalars
    repeated); :class:`DataError` when lengths differ."""
    if data is not None:
        n, index = len(data), data.index
    else:
        lengths = {f: len(v) for f, v in raw.items()
                   if not (isinstance(v, (str, bytes)) or np.ndim(v) == 0)}
        n = max(lengths.values(), default=1)
        index = next((v.index for v in raw.values() if isinstance(v, pd.Series)), None)
        if index is None or len(index) != n:
            index = pd.RangeIndex(n)
    arrays: dict[str, Any] = {}
    for f, v in raw.items():
        a = _as_array(v, n)
        if len(a) != n:
            raise DataError(f"{f} has {len(a)} values but there are {n} rows", field=f)
        arrays[f] = a
    return n, index, arrays


def _age_in_months(unit_arg: Any, arrays: dict[str, Any], source: dict[str, str],
                   age: np.ndarray, problems: dict) -> np.ndarray:
    """Whether each row's age is in months: from a column (or array) of units, the
    ``age_unit`` argument, or the name of the age column (else days)."""
    n = len(age)
    if "age_unit" in arrays:
        unit_c = _codes("age_unit", arrays["age_unit"], _UNIT_LUT, problems)
        unit_missing = (unit_c == 0) & ~np.isnan(age)
        if unit_missing.any() and "age_unit" not in problems:
            problems["age_unit"] = [(int(r) + 1, None) for r in np.flatnonzero(unit_missing)]
        return unit_c == 2
    if isinstance(unit_arg, str):
        key = unit_arg.strip()
        if key not in _UNIT_CODES and key.lower() not in _UNIT_CODES:
            raise ArgumentError(f"age_unit={unit_arg!r}: expected 'days' or 'months' "
                                "(or a column of them)")
        return np.full(n, bool(_UNIT_CODES.get(key, _UNIT_CODES.get(key.lower()))))
    implied = AGE_NAME_UNITS.get(str(source.get("age", "")).lower())
    return np.full(n, implied == "months")


def _expected(oedema_lut_bool: dict[str, bool]) -> dict[str, str]:
    """The accepted values of each field, for the error message."""
    expected = dict(_EXPECTED)
    yes = sorted({k for k, v in oedema_lut_bool.items() if v})
    no = sorted({k for k, v in oedema_lut_bool.items() if not v})
    expected["oedema"] = f"{', '.join(yes)} (oedema), {', '.join(no)} (no oedema) or blank"
    for f in _NUMERIC:
        expected[f] = "a number or blank"
    return expected
