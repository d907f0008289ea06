"""WHO child-growth z-scores, reproducing WHO's R packages ``anthro`` and ``anthroplus``.

:func:`zscores` scores every child of a dataset, 0–5 years against the WHO Child Growth
Standards (2006/2007, as ``anthro_zscores``) and 5–19 years against the WHO Reference 2007 (as
``anthroplus_zscores``), in one vectorized pass. :func:`zscore_summary` counts scored, flagged and
missing values per indicator, with the reason each missing value is missing.
:func:`lms_zscore` and :func:`measurement_at_z` expose the LMS method itself.

The rules are those of WHO's packages, written down in the project's ``SPEC.md`` (§3.1–3.7).
Options for the deliberate deviations of §3.7 are keyword arguments of :func:`zscores`; every
one is off by default so that the defaults reproduce WHO digit for digit, except the handling
of negative ages, where WHO stops with an error and Capra sets the age to missing and warns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from capra.errors import DataError, InvalidValuesError
from capra.growth.tables import DAYS_PER_MONTH, lookup, table, tables_digest

__all__ = [
    "zscores", "zscore_summary", "lms_zscore", "measurement_at_z", "parse_oedema_codes",
    "GrowthDataWarning", "FIELDS", "OUTPUT_COLUMNS", "INDICATORS",
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

# indicator: (z column, flag column, table, measurement, weight-based?, flag limits, scope)
# scope "05": age < 60 months (anthro); "wfl": wfl/wfh rules; "519": WHO Reference 2007.
_IND: dict[str, tuple[str, str, str, str, bool, tuple[float, float], str]] = {
    "zlen": ("zlen", "flen", "lhfa", "clenhei", False, (-6, 6), "05"),
    "zwei": ("zwei", "fwei", "wfa", "weight", True, (-6, 5), "05"),
    "zwfl": ("zwfl", "fwfl", "wfl", "weight", True, (-5, 5), "wfl"),
    "zbmi": ("zbmi", "fbmi", "bfa", "cbmi", True, (-5, 5), "05"),
    "zhc": ("zhc", "fhc", "hcfa", "headc", False, (-5, 5), "05"),
    "zac": ("zac", "fac", "acfa", "armc", False, (-5, 5), "05"),
    "zts": ("zts", "fts", "tsfa", "triskin", False, (-5, 5), "05"),
    "zss": ("zss", "fss", "ssfa", "subskin", False, (-5, 5), "05"),
    "zhfa": ("zhfa", "fhfa", "hfa2007", "height", False, (-6, 6), "519"),
    "zwfa": ("zwfa", "fwfa", "wfa2007", "weight", True, (-6, 5), "519"),
    "zbfa": ("zbfa", "fbfa", "bfa2007", "bmi", True, (-5, 5), "519"),
}
#: z-score columns, in output order (0–5 years first, then 5–19 years).
INDICATORS = tuple(_IND)
_DESCRIPTION = {
    "zlen": "length/height-for-age", "zwei": "weight-for-age",
    "zwfl": "weight-for-length/height", "zbmi": "BMI-for-age",
    "zhc": "head circumference-for-age", "zac": "arm circumference-for-age",
    "zts": "triceps skinfold-for-age", "zss": "subscapular skinfold-for-age",
    "zhfa": "height-for-age", "zwfa": "weight-for-age", "zbfa": "BMI-for-age",
}
_UPPER_MONTHS = {"zhfa": 228.0, "zwfa": 120.0, "zbfa": 228.0}
_REF_2006 = "WHO 2006"
_REF_2007 = "WHO 2007"

#: Columns returned by :func:`zscores` (without the optional ones), in order.
OUTPUT_COLUMNS = (
    ("age_days", "age_months", "clenhei", "cmeasure", "c9mo_flag", "cbmi", "csex", "coedema")
    + tuple(c for ind in INDICATORS for c in (_IND[ind][0], _IND[ind][1]))
    + ("reference",)
)

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
_MISSING = -1
_BAD = -2


# --------------------------------------------------------------------------------------------
# LMS method
# --------------------------------------------------------------------------------------------

def _lms_z(y, l, m, s, *, restricted: bool, l_is_one: bool = False) -> np.ndarray:
    """Unrounded z of measurement ``y`` given L, M, S (WHO TR 2006 ch. 7; order of operations
    as in WHO's code)."""
    with np.errstate(all="ignore"):
        if l_is_one:
            z = (y / m - 1) / s
        else:
            z = ((y / m) ** l - 1) / (s * l)
        if restricted:
            hi = z > 3
            if hi.any():
                i = np.flatnonzero(hi)
                li, mi, si, yi = l[i], m[i], s[i], y[i]
                sd3 = mi * ((1 + li * si * 3) ** (1 / li))
                sd2 = mi * ((1 + li * si * 2) ** (1 / li))
                z[i] = 3 + ((yi - sd3) / (sd3 - sd2))
            lo = z < -3
            if lo.any():
                i = np.flatnonzero(lo)
                li, mi, si, yi = l[i], m[i], s[i], y[i]
                sd3n = mi * ((1 + li * si * -3) ** (1 / li))
                sd2n = mi * ((1 + li * si * -2) ** (1 / li))
                z[i] = -3 + ((yi - sd3n) / (sd2n - sd3n))
    return z


def lms_zscore(name: str, sex, x, y) -> np.ndarray:
    """Unrounded z-score of measurement ``y`` in LMS table ``name``.

    Parameters
    ----------
    name
        Table name from :data:`capra.growth.tables.TABLES` (``"wfa"``, ``"lhfa"``, ``"wfl"``,
        ``"hfa2007"``, ...). Tables that WHO scores with the restricted LMS method (linear
        beyond ±3 SD) are scored that way here too.
    sex
        1 = male, 2 = female.
    x
        Key: age [days] (day tables), length/height [cm] (``wfl``, ``wfh``) or age [months]
        (``*2007`` tables).
    y
        Measurement in the table's unit: [kg], [cm], [kg/m²] or [mm].

    Returns
    -------
    numpy.ndarray
        z, NaN where the key is outside the table or sex is not 1/2. No age limits, oedema or
        measurement checks are applied here; :func:`zscores` does that.
    """
    from capra.growth.tables import lms

    t = table(name)
    sex, x, y = np.broadcast_arrays(np.asarray(sex, dtype=np.float64),
                                    np.asarray(x, dtype=np.float64),
                                    np.asarray(y, dtype=np.float64))
    l, m, s = lms(name, sex, x)
    z = _lms_z(y.ravel(), l.ravel(), m.ravel(), s.ravel(), restricted=t.restricted,
               l_is_one=t.l_is_one)
    return z.reshape(l.shape)


def measurement_at_z(name: str, sex, x, z) -> np.ndarray:
    """Measurement at z-score ``z`` in LMS table ``name``: the inverse of :func:`lms_zscore`.

    Parameters are as for :func:`lms_zscore`, with ``z`` in SD units. For restricted tables the
    inverse is linear beyond ±3 SD, as the forward method. Returns the measurement in the
    table's unit ([kg], [cm], [kg/m²] or [mm]); NaN outside the table, and NaN where ``z`` is so
    low that no positive measurement has it (below the lowest value the Box-Cox curve reaches,
    or where the linear tail of a restricted table crosses zero).
    """
    from capra.growth.tables import lms

    t = table(name)
    sex, x, z = np.broadcast_arrays(np.asarray(sex, dtype=np.float64),
                                    np.asarray(x, dtype=np.float64),
                                    np.asarray(z, dtype=np.float64))
    l, m, s = lms(name, sex, x)

    def sd(k):
        with np.errstate(all="ignore"):
            return m * ((1 + l * s * k) ** (1 / l))

    y = sd(z)
    if t.restricted:
        sd3, sd2, sd3n, sd2n = sd(3.0), sd(2.0), sd(-3.0), sd(-2.0)
        y = np.where(z > 3, sd3 + (z - 3) * (sd3 - sd2), y)
        y = np.where(z < -3, sd3n + (z + 3) * (sd2n - sd3n), y)
    with np.errstate(invalid="ignore"):
        return np.where(y > 0, y, np.nan)


# --------------------------------------------------------------------------------------------
# input parsing
# --------------------------------------------------------------------------------------------

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
            raise ValueError(f"oedema codes {codes!r}: expected 'YES/NO', e.g. 'y/n' or '1/2'")
        yes, no = ([c.strip() for c in p.split(",") if c.strip()] for p in parts)
    else:
        yes, no = ([_norm_code(c) for c in side] for side in codes)
    if not yes or not no:
        raise ValueError(f"oedema codes {codes!r}: need at least one code for yes and for no")
    out: dict[str, bool] = {}
    for flag, side in ((True, yes), (False, no)):
        for c in side:
            for variant in {c, c.lower(), c.upper()}:
                if out.get(variant, flag) != flag:
                    raise ValueError(f"oedema codes {codes!r}: {c!r} is both yes and no")
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
    rows (numbered from 1)."""
    bad = np.isinf(num)
    if bad.any():
        rows = (np.flatnonzero(bad) + 1).tolist()
        shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
        warnings.warn(GrowthDataWarning(
            f"{len(rows)} {field} value{'s' if len(rows) > 1 else ''} not finite (inf) set "
            f"to missing (row{'s' if len(rows) > 1 else ''} {shown})"), stacklevel=4)
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
                raise ValueError(f"age_unit={value!r}: expected 'days', 'months' or the name "
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


# --------------------------------------------------------------------------------------------
# scoring helpers
# --------------------------------------------------------------------------------------------

def _score(name: str, rows: np.ndarray, sex_row, sex_ok, x, y) -> np.ndarray:
    """Unrounded z for the rows where ``rows`` is True (NaN elsewhere)."""
    t = table(name)
    z = np.full(len(rows), np.nan)
    idx = np.flatnonzero(rows)
    if idx.size == 0:
        return z
    if idx.size == len(rows):
        l, m, s = lookup(t, sex_row, sex_ok, x)
        yy = y
    else:
        l, m, s = lookup(t, sex_row[idx], sex_ok[idx], x[idx])
        yy = y[idx]
    zz = _lms_z(yy, l, m, s, restricted=t.restricted, l_is_one=t.l_is_one)
    if idx.size == len(rows):
        return zz
    z[idx] = zz
    return z


def _flags(z: np.ndarray, limits: tuple[float, float], method: str):
    """Nullable integer flags on the rounded z (NA where z is NA), and their count."""
    na = np.isnan(z)
    with np.errstate(invalid="ignore"):
        if method == "smart":
            finite = z[np.isfinite(z)]
            centre = finite.mean() if finite.size else 0.0
            f = np.abs(z - centre) > 3
        else:
            f = (z < limits[0]) | (z > limits[1])
    return pd.arrays.IntegerArray(f.view(np.int8), na), _count(f)


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int8), categories=categories)


def _count(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


# --------------------------------------------------------------------------------------------
# main entry point
# --------------------------------------------------------------------------------------------

def zscores(
    data: pd.DataFrame | None = None,
    *,
    sex: Any = None,
    age: Any = None,
    age_unit: Any = None,
    weight: Any = None,
    lenhei: Any = None,
    measure: Any = None,
    oedema: Any = None,
    headc: Any = None,
    armc: Any = None,
    triskin: Any = None,
    subskin: Any = None,
    columns: Mapping[str, str] | None = None,
    oedema_codes: str | tuple | None = "who",
    negative_age: str = "missing",
    rules: str = "anthro",
    flags: str = "who",
    strict_wfl: bool = False,
    plausibility: bool = False,
    keep_inputs: bool = False,
) -> pd.DataFrame:
    """WHO z-scores and flags for children 0–19 years, as WHO's ``anthro`` and ``anthroplus``.

    Give either a DataFrame ``data`` (columns found by WHO's argument names ``sex, age,
    weight, lenhei, measure, oedema, headc, armc, triskin, subskin`` or the usual names of
    :data:`COLUMN_NAMES`, such as ``age_months``, ``weight_kg``, ``height_cm``, in any letter
    case; other names through ``columns``), or arrays through the keywords, or both (a
    keyword given as a string names a column of ``data``; an array overrides the column).
    Scalars are repeated for every row. A table must have a sex column, an age column and at
    least one measurement column (:data:`MEASUREMENTS`), else :class:`DataError` lists the
    columns found and the names expected.

    Parameters
    ----------
    data
        One row per child.
    sex
        1/"1"/m/male = male, 2/"2"/f/female = female (letters in any case), blank = unknown
        (every z-score NA). Any other value is an error.
    age
        Age [days] or [months] (see ``age_unit``), unrounded. Blank = unknown. A negative age
        is set to missing with a :class:`GrowthDataWarning` (``negative_age="error"`` raises
        instead, like WHO's packages).
    age_unit
        ``"days"`` or ``"months"``, or per row: an array (or, with ``data``, a column name) of
        ``days``/``months``; a column called ``age_unit`` is used automatically. Default: the
        unit the age column's name implies (:data:`AGE_NAME_UNITS`: ``age_months`` months,
        ``age_days`` days, ...), else days (WHO's default), except that ages read from a
        column whose every value is at most :data:`AGE_UNIT_GUESS_MAX` raise
        :class:`DataError` asking for the unit (they may be months). Months are converted
        with 30.4375 days per month.
    weight
        Weight [kg]. Measurements that are not finite (``inf``) are missing, with a
        :class:`GrowthDataWarning` naming the rows.
    lenhei
        Recumbent length or standing height [cm] (``height`` for 5–19 years).
    measure
        l/L = recumbent length, h/H = standing height, blank = not recorded.
    oedema
        Bilateral pitting oedema, coded as ``oedema_codes`` says; blank = no oedema (WHO).
    headc, armc
        Head and mid-upper arm circumference [cm].
    triskin, subskin
        Triceps and subscapular skinfold [mm].
    columns
        ``{field: column name}`` for columns not named as WHO names them, e.g.
        ``{"sex": "GENDER", "age": "agemons", "age_unit": "unit"}``.
    oedema_codes
        ``"who"`` (default: y, Y, 1 = oedema; n, N, 2 = none — WHO's documented codes) or an
        explicit ``"YES/NO"`` coding such as ``"y/n"``, ``"1/2"`` or ``"2/1"``; see
        :func:`parse_oedema_codes`. Values outside the coding are an error.
    negative_age
        ``"missing"`` (default; set to NA, counted, warned) or ``"error"``.
    rules
        ``"anthro"`` (default): the current R packages — 0–5 y scored for age < 60 months,
        5–19 y for 60 ≤ age ≤ 228 months (weight-for-age ≤ 120). ``"macro"``: WHO's older
        igrowup and who2007 macros — 0–5 y up to 1856 days without the 60-month limit, 5–19 y
        for 61 ≤ age < 229 months (weight-for-age < 121).
    flags
        ``"who"`` (default): WHO's fixed flag limits (SPEC §3.5). ``"smart"``: flag when the
        z-score is more than 3 from the observed mean of that indicator in this call (SMART).
    strict_wfl
        Deviation (SPEC §3.7.2), off by default: treat weight ≤ 0 as missing for zwfl. WHO's
        ``anthro`` scores weight 0 (about −15, flagged).
    plausibility
        Deviation (SPEC §3.7.4), off by default: for children scored with the 0–5 standard
        (age < 60 months or unknown), set weight outside 0.5–40 kg and length/height outside
        35–140 cm to missing before scoring (the Survey Analyser ranges). The weight used is
        returned in an extra ``cweight`` column; ``clenhei`` reflects the cleaned length.
    keep_inputs
        Put the input columns (all columns of ``data``, or the given arrays) before the results.
        An input column whose name clashes with a result column gets the suffix ``_input``.

    Returns
    -------
    pandas.DataFrame
        Same rows, order and index as the input. Columns (WHO's names):

        * ``age_days`` (rounded half up, as WHO looks up the tables) [days], ``age_months``
          (unrounded) [months];
        * ``clenhei`` [cm] (length for age < 731 days, height from 731 days: ±0.7 cm when the
          other position was measured), ``cmeasure`` (l/h; NA after the 9-month rule),
          ``c9mo_flag`` (1 when a child under 9 months was measured standing), ``cbmi``
          [kg/m²] from ``clenhei``, ``csex`` (1/2), ``coedema`` (y/n);
        * 0–5 years (``anthro``): ``zlen, flen, zwei, fwei, zwfl, fwfl, zbmi, fbmi, zhc, fhc,
          zac, fac, zts, fts, zss, fss``;
        * 5–19 years (``anthroplus``): ``zhfa, fhfa, zwfa, fwfa, zbfa, fbfa``;
        * ``reference``: ``"WHO 2006"`` (0–5 y standard applies), ``"WHO 2007"`` (5–19 y
          reference applies) or NA (age beyond 228 months).

        **How the two age ranges are filled.** Every row is scored with both sets of rules
        and each set keeps its own age limits, so the ranges never overlap: the 0–5 columns are
        filled for age < 60 months (and ``zwfl`` also when age is unknown, using the measure or
        the 87 cm rule) and are NA from 60 months; the 5–19 columns are filled for
        60–228 months (``zwfa`` 60–120) and are NA otherwise. The 5–19 scores use the height
        as given, without the ±0.7 cm position adjustment (as ``anthroplus``), and their BMI is
        weight/height²; ``clenhei``/``cbmi`` are always ``anthro``'s.

        z-scores are rounded to 2 decimals; flags are 1/0, NA where the z-score is NA, on the
        rounded z. ``result.attrs["capra.growth"]`` keeps the options, the table checksum and
        the counts that :func:`zscore_summary` reports.

    Raises
    ------
    capra.errors.InvalidValuesError
        A code outside its accepted set (sex, measure, oedema, age unit) or a non-number in a
        numeric field; every offending row (1-based position) and value is listed, for all
        fields at once.
    capra.errors.DataError
        A mapped column is missing, there is no sex column, or lengths differ.
    """
    for opt, value, allowed in (("negative_age", negative_age, ("missing", "error")),
                                ("rules", rules, ("anthro", "macro")),
                                ("flags", flags, ("who", "smart"))):
        if value not in allowed:
            raise ValueError(f"{opt}={value!r}: expected one of {', '.join(allowed)}")
    oedema_lut_bool = parse_oedema_codes(oedema_codes)
    oedema_lut = {k: (1 if v else 2) for k, v in oedema_lut_bool.items()}

    explicit = dict(sex=sex, age=age, age_unit=age_unit, weight=weight, lenhei=lenhei,
                    measure=measure, oedema=oedema, headc=headc, armc=armc, triskin=triskin,
                    subskin=subskin)
    if data is not None and not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame (or None with array keywords)")
    raw, source = _resolve(data, explicit, columns)
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

    # number of rows and index
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

    # ---- parse and validate, collecting every problem before raising -----------------------
    problems: dict[str, list] = {}
    sex_c = _codes("sex", arrays["sex"], _SEX_CODES, problems)
    meas_c = (_codes("measure", arrays["measure"], _MEASURE_CODES, problems)
              if "measure" in arrays else np.zeros(n, np.int8))
    oed_c = (_codes("oedema", arrays["oedema"], oedema_lut, problems)
             if "oedema" in arrays else np.full(n, 2, np.int8))
    num = {f: (_numbers(f, arrays[f], problems) if f in arrays else np.full(n, np.nan))
           for f in _NUMERIC}

    implied = AGE_NAME_UNITS.get(str(source.get("age", "")).lower())
    default_unit = 1 if implied == "months" else 0
    unit_arg = explicit["age_unit"]
    if "age_unit" in arrays:
        unit_c = _codes("age_unit", arrays["age_unit"], _UNIT_LUT, problems)
        is_months = unit_c == 2
        unit_missing = (unit_c == 0) & ~np.isnan(num["age"])
        if unit_missing.any() and "age_unit" not in problems:
            problems["age_unit"] = [(int(r) + 1, None) for r in np.flatnonzero(unit_missing)]
    elif isinstance(unit_arg, str):
        key = unit_arg.strip()
        if key not in _UNIT_CODES and key.lower() not in _UNIT_CODES:
            raise ValueError(f"age_unit={unit_arg!r}: expected 'days' or 'months' "
                             "(or a column of them)")
        is_months = np.full(n, bool(_UNIT_CODES.get(key, _UNIT_CODES.get(key.lower()))))
    else:
        is_months = np.full(n, bool(default_unit))

    expected = dict(_EXPECTED)
    yes = sorted({k for k, v in oedema_lut_bool.items() if v})
    no = sorted({k for k, v in oedema_lut_bool.items() if not v})
    expected["oedema"] = f"{', '.join(yes)} (oedema), {', '.join(no)} (no oedema) or blank"
    for f in _NUMERIC:
        expected[f] = "a number or blank"
    if problems:
        mapped = [f"{f}={source[f]}" for f in problems if source.get(f, "argument") != "argument"]
        where = f" (data columns: {', '.join(mapped)})" if mapped else ""
        raise InvalidValuesError(f"invalid input values{where}; rows are numbered from 1",
                                 problems=problems, expected=expected)
    if ("age_unit" not in arrays and unit_arg is None and implied is None
            and source.get("age", "argument") != "argument" and ages_look_like_months(num["age"])):
        raise DataError(f"the ages in column {source['age']!r} are all at most "
                        f"{AGE_UNIT_GUESS_MAX:g}: they may be months; give their unit "
                        "(--age-unit days or --age-unit months)", field="age")

    # ---- cleaning (SPEC §3.1) ----------------------------------------------------------------
    cleaning: dict[str, int] = {}
    age = num["age"]
    negative = age < 0
    n_negative = _count(negative)
    if n_negative:
        rows = (np.flatnonzero(negative) + 1).tolist()
        if negative_age == "error":
            raise InvalidValuesError(
                "negative ages; rows are numbered from 1",
                problems={"age": [(r, float(age[r - 1])) for r in rows]},
                expected={"age": "an age ≥ 0 or blank"})
        age = np.where(negative, np.nan, age)
        shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
        warnings.warn(GrowthDataWarning(
            f"{n_negative} negative age{'s' if n_negative > 1 else ''} set to missing "
            f"(rows {shown})"), stacklevel=2)
    cleaning["negative_age_set_missing"] = n_negative

    sex_ok = sex_c > 0
    sex_row = np.where(sex_ok, sex_c - 1, 0).astype(np.intp)
    oedema_yes = oed_c == 1
    cleaning["oedema_blank_as_no"] = _count(oed_c == 0) if "oedema" in arrays else 0

    with np.errstate(invalid="ignore"):
        days_raw = np.where(is_months, age * DAYS_PER_MONTH, age)
        fl = np.floor(days_raw)
        age_days = fl + ((days_raw - fl) >= 0.5)
        age_months = np.where(is_months, age, age / DAYS_PER_MONTH)
    age_na = np.isnan(age_days)
    day_i = np.where(age_na | (age_days > 1856), -1, age_days).astype(np.intp)

    weight_in = num["weight"]
    lenhei_in = num["lenhei"]
    weight05, lenhei05 = weight_in, lenhei_in
    if plausibility:
        in05 = age_na | (age_months < 60)
        with np.errstate(invalid="ignore"):
            bad_w = in05 & ((weight_in < 0.5) | (weight_in > 40))
            bad_l = in05 & ((lenhei_in < 35) | (lenhei_in > 140))
        weight05 = np.where(bad_w, np.nan, weight_in)
        lenhei05 = np.where(bad_l, np.nan, lenhei_in)
        cleaning["implausible_weight_set_missing"] = _count(bad_w)
        cleaning["implausible_lenhei_set_missing"] = _count(bad_l)

    with np.errstate(all="ignore"):
        c9mo = (meas_c == 2) & (age_months < 9)
        meas_c = np.where(c9mo, 0, meas_c).astype(np.int8)
        add = (age_days < 731) & (meas_c == 2)
        sub = (age_days >= 731) & (meas_c == 1)
        clenhei = lenhei05.copy()
        clenhei[add] = lenhei05[add] + 0.7
        clenhei[sub] = lenhei05[sub] - 0.7
        cbmi = weight05 / ((clenhei / 100) ** 2)
    cleaning["measure_set_missing_9mo_rule"] = _count(c9mo)
    cleaning["lenhei_plus_0.7"] = _count(add & ~np.isnan(lenhei05))
    cleaning["lenhei_minus_0.7"] = _count(sub & ~np.isnan(lenhei05))
    cleaning["sex_missing"] = _count(~sex_ok)
    cleaning["age_missing"] = _count(age_na)

    # ---- 0-5 years (SPEC §3.3, §3.4) -----------------------------------------------------------
    macro = rules == "macro"
    with np.errstate(invalid="ignore"):
        in_age05 = (~age_na) & (age_days <= 1856) & (age_days >= 0)
        if not macro:
            in_age05 &= age_months < 60
    results: dict[str, np.ndarray] = {}
    reasons: dict[str, dict[str, int]] = {}
    scope: dict[str, np.ndarray] = {}
    measurements = {"clenhei": clenhei, "weight": weight05, "cbmi": cbmi,
                    "headc": num["headc"], "armc": num["armc"], "triskin": num["triskin"],
                    "subskin": num["subskin"]}
    for ind in ("zlen", "zwei", "zbmi", "zhc", "zac", "zts", "zss"):
        _, _, tname, meas, weight_based, _, _ = _IND[ind]
        t = table(tname)
        y = measurements[meas]
        with np.errstate(invalid="ignore"):
            in_range = in_age05 & (age_days >= t.x0)
            positive = y > 0
        ok = in_range & sex_ok & positive
        if weight_based:
            ok &= ~oedema_yes
        results[ind] = _score(tname, ok, sex_row, sex_ok, day_i, y)
        scope[ind] = in_range | age_na
        reasons[ind] = _reasons(results[ind], scope[ind], [
            ("age_missing", age_na), ("sex_missing", ~sex_ok),
            ("measurement_missing", np.isnan(y)),
            ("oedema", oedema_yes if weight_based else None),
            ("measurement_not_positive", ~positive)])

    # weight-for-length/height
    with np.errstate(invalid="ignore"):
        join_l = np.where(age_na, (meas_c == 1) | ((meas_c == 0) & (clenhei < 87)),
                          age_days < 731)
        join_h = np.where(age_na, (meas_c == 2) | ((meas_c == 0) & (clenhei >= 87)),
                          age_days >= 731)
        join_l &= ~np.isnan(clenhei) | ~age_na
        join_h &= ~np.isnan(clenhei) | ~age_na
        in_l = join_l & (clenhei >= 45) & (clenhei <= 110)
        in_h = join_h & (clenhei >= 65) & (clenhei <= 120)
        age_ok = age_na | (age_days <= 1856)
        if not macro:
            age_ok &= ~(age_months >= 60)
        wfl_weight_ok = ~np.isnan(weight05)
        if strict_wfl:
            wfl_weight_ok &= weight05 > 0
    base = age_ok & sex_ok & ~oedema_yes & wfl_weight_ok
    z_l = _score("wfl", base & in_l, sex_row, sex_ok, clenhei, weight05)
    z_h = _score("wfh", base & in_h, sex_row, sex_ok, clenhei, weight05)
    results["zwfl"] = np.where(in_l, z_l, z_h)
    scope["zwfl"] = age_ok
    reasons["zwfl"] = _reasons(results["zwfl"], scope["zwfl"], [
        ("sex_missing", ~sex_ok), ("measurement_missing", np.isnan(weight05) | np.isnan(clenhei)),
        ("oedema", oedema_yes),
        ("measurement_not_positive", ~(weight05 > 0) if strict_wfl else None),
        ("length_outside_table", ~(in_l | in_h))])

    # ---- 5-19 years (SPEC §3.6) ------------------------------------------------------------
    height = lenhei_in
    neg_h = height < 0
    neg_w = weight_in < 0
    with np.errstate(all="ignore"):
        in519 = (~age_na) & (age_months >= (61 if macro else 60))
        height19 = np.where(neg_h, np.nan, height)
        weight19 = np.where(neg_w | oedema_yes, np.nan, weight_in)
        bmi19 = weight19 / ((height19 / 100) ** 2)
    measurements19 = {"height": height19, "weight": weight19, "bmi": bmi19}
    for ind in ("zhfa", "zwfa", "zbfa"):
        _, _, tname, meas, weight_based, _, _ = _IND[ind]
        upper = _UPPER_MONTHS[ind]
        with np.errstate(invalid="ignore"):
            in_range = in519 & ((age_months < upper + 1) if macro else (age_months <= upper))
        y = measurements19[meas]
        ok = in_range & sex_ok & ~np.isnan(y)
        results[ind] = _score(tname, ok, sex_row, sex_ok, age_months, y)
        scope[ind] = in_range | age_na
        with np.errstate(all="ignore"):
            raw_y = {"height": height, "weight": weight_in,
                     "bmi": weight_in / ((height / 100) ** 2)}[meas]
        negative_y = (neg_h | neg_w) if meas == "bmi" else (neg_h if meas == "height" else neg_w)
        reasons[ind] = _reasons(results[ind], scope[ind], [
            ("age_missing", age_na), ("sex_missing", ~sex_ok),
            ("measurement_missing", np.isnan(raw_y)),
            ("oedema", oedema_yes if weight_based else None),
            ("measurement_not_positive", negative_y)])
    cleaning["negative_measurement_5_19_set_missing"] = _count(
        (neg_h | neg_w) & in519 & (age_months <= 228))

    # ---- round, flag, assemble ------------------------------------------------------------
    out: dict[str, Any] = {}
    out["age_days"] = age_days
    out["age_months"] = age_months
    out["clenhei"] = clenhei
    out["cmeasure"] = _categorical(meas_c.astype(np.int8) - 1, ["l", "h"])
    out["c9mo_flag"] = c9mo.astype(np.int64)
    out["cbmi"] = cbmi
    out["csex"] = pd.arrays.IntegerArray(sex_c.astype(np.int64), ~sex_ok)
    out["coedema"] = _categorical(oedema_yes.astype(np.int8), ["n", "y"])
    if plausibility:
        out["cweight"] = weight05
    flagged: dict[str, int] = {}
    for ind in INDICATORS:
        zc, fc, _, _, _, limits, _ = _IND[ind]
        z = np.round(results[ind], 2)
        out[zc] = z
        out[fc], flagged[ind] = _flags(z, limits, flags)
    ref = np.full(n, -1, np.int8)
    with np.errstate(invalid="ignore"):
        ref[age_na | (in_age05 if macro else (age_months < 60))] = 0
        ref[in519 & ((age_months < 229) if macro else (age_months <= 228))] = 1
    out["reference"] = _categorical(ref, [_REF_2006, _REF_2007])

    result = pd.DataFrame(out, index=index, copy=False)
    if keep_inputs:
        inputs = data.copy() if data is not None else pd.DataFrame(
            {f: arrays[f] for f in FIELDS if f in arrays}, index=index)
        inputs.columns = [f"{c}_input" if c in result.columns else c for c in inputs.columns]
        result = pd.concat([inputs, result], axis=1)
    result.attrs["capra.growth"] = {
        "function": "capra.growth.zscores",
        "rows": n,
        "tables_sha256": tables_digest(),
        "standards": {_REF_2006: "WHO Child Growth Standards 2006/2007 (0-5 years)",
                      _REF_2007: "WHO Reference 2007 (5-19 years)"},
        "options": {"rules": rules, "flags": flags, "strict_wfl": strict_wfl,
                    "plausibility": plausibility, "negative_age": negative_age,
                    "oedema_codes": oedema_codes if isinstance(oedema_codes, str)
                    else str(oedema_codes)},
        "columns": {f: source[f] for f in source},
        "cleaning": cleaning,
        "in_range": {ind: _count(scope[ind]) for ind in INDICATORS},
        "flagged": flagged,
        "missing_reasons": reasons,
    }
    return result


def _reasons(z: np.ndarray, scope: np.ndarray, causes) -> dict[str, int]:
    """Count missing z in scope by first applicable cause; the rest is 'other'."""
    remaining = np.isnan(z) & scope
    out: dict[str, int] = {}
    for name, mask in causes:
        if mask is None:
            out[name] = 0
            continue
        hit = remaining & mask
        out[name] = _count(hit)
        remaining &= ~hit
    out["other"] = _count(remaining)
    return out


# --------------------------------------------------------------------------------------------
# summary
# --------------------------------------------------------------------------------------------

def zscore_summary(result: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: rows in its age range, scored, flagged and missing values, and why.

    Parameters
    ----------
    result
        A DataFrame returned by :func:`zscores` (its ``attrs`` carry the detailed counts; if
        they were lost, only the counts that can be read off the columns are given).

    Returns
    -------
    pandas.DataFrame
        Indexed by z-score column (``zlen`` ... ``zbfa``), with columns ``description``,
        ``reference``, ``rows`` (all rows), ``in_age_range`` (rows whose age falls in the
        indicator's range, plus rows with unknown age), ``scored`` (non-missing z),
        ``flagged``, ``missing`` (in range but no z), then ``missing_<reason>`` counts that add
        up to ``missing``: ``age_missing``, ``sex_missing``, ``measurement_missing``,
        ``oedema``, ``measurement_not_positive``, ``length_outside_table`` (zwfl only) and
        ``other`` (e.g. a key outside the table, such as arm circumference before 91 days).
        ``summary.attrs["cleaning"]`` holds the counts of input cleaning (negative ages set to
        missing, blank oedema read as "no", 9-month rule, ±0.7 cm adjustments, ...).
    """
    meta = result.attrs.get("capra.growth", {})
    rows = []
    reason_names = ["age_missing", "sex_missing", "measurement_missing", "oedema",
                    "measurement_not_positive", "length_outside_table", "other"]
    n = len(result)
    for ind in INDICATORS:
        zc, fc = _IND[ind][0], _IND[ind][1]
        if zc not in result.columns:
            continue
        z = result[zc].to_numpy(dtype=np.float64, na_value=np.nan)
        scored = _count(~np.isnan(z))
        f = result[fc].to_numpy(dtype=np.float64, na_value=np.nan)
        in_range = meta.get("in_range", {}).get(ind)
        row = {"indicator": ind, "description": _DESCRIPTION[ind],
               "reference": _REF_2007 if _IND[ind][6] == "519" else _REF_2006,
               "rows": n, "in_age_range": in_range if in_range is not None else pd.NA,
               "scored": scored, "flagged": int(np.nansum(f)),
               "missing": (in_range - scored) if in_range is not None else pd.NA}
        reasons = meta.get("missing_reasons", {}).get(ind, {})
        for r in reason_names:
            row[f"missing_{r}"] = reasons.get(r, 0 if reasons else pd.NA)
        rows.append(row)
    summary = pd.DataFrame(rows).set_index("indicator")
    summary.attrs["cleaning"] = dict(meta.get("cleaning", {}))
    summary.attrs["options"] = dict(meta.get("options", {}))
    return summary
