"""The rows of a prevalence table: the input cleaned, WHO's scope rules, the columns of each
indicator and the groups, as WHO's ``anthro_prevalence`` and ``anthroplus_prevalence``
prepare them (the project's WHO specification, sections 3.8–3.10).

:func:`prepare` finds the columns (by their usual names, or those given), scores raw
measurements first when no z-score is given (:func:`capra.growth.zscores`), checks every
code and number of every row (one :class:`~capra.errors.InvalidValuesError` lists them
all), keeps the rows in scope, builds the survey design (:mod:`capra.growth.survey`) and
the groups of the table's rows. :mod:`capra.growth.prevalence` turns the result into the
table.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from capra.errors import ArgumentError, DataError, InvalidValuesError
from capra.growth.indicators import TABLE
from capra.growth.inputs import (
    AGE_NAME_UNITS,
    AGE_UNIT_GUESS_MAX,
    ages_look_like_months,
    find_column,
    missing_column_error,
)
from capra.growth.survey import SurveyDesign, survey_design
from capra.growth.zscore import zscores
from capra.rates import DAYS_PER_MONTH

__all__ = ["DAYS_PER_MONTH", "DataQualityWarning", "Prepared", "Reference", "TABLE_INDICATORS",
           "TableIndicator", "prepare"]

# WHO specification §3.5, §3.8–3.10


#: Last age in scope for ``anthro_prevalence``: 1826 days = 59.99 months. [d]
MAX_AGE_DAYS_0_5 = 1826.0
#: Age range in scope for ``anthroplus_prevalence``, inclusive. [month]
AGE_RANGE_5_19 = (60.0, 228.0)
#: Upper age of weight-for-age in the WHO Reference 2007, inclusive. [month]
WFA_MAX_MONTHS_5_19 = 120.0
#: z-score given to children with bilateral oedema in the auxiliary (cut-off) columns. [z]
OEDEMA_AUX_Z = -3.1
#: WHO flag limits by z-score column (z below the first or above the second is
#: implausible), those of :func:`capra.growth.zscores`. [z]
FLAG_LIMITS: dict[str, tuple[float, float]] = {ind.z: ind.flag_limits for ind in TABLE}
#: Documented oedema codes (after trimming and lower-casing) → bilateral oedema present.
#: ``anthro`` reads 1 as "yes" and 2 as "no"; pass ``oedema_codes`` to state another coding.
DEFAULT_OEDEMA_CODES: dict[str, bool] = {"y": True, "n": False, "1": True, "2": False}
#: Documented sex codes (after trimming and lower-casing) → 1 male, 2 female; the words
#: are accepted too, as by ``capra db import`` and :func:`capra.growth.zscores`.
SEX_CODES: dict[str, int] = {"1": 1, "m": 1, "male": 1, "2": 2, "f": 2, "female": 2}

Reference = Literal["anthro", "anthroplus"]


@dataclass(frozen=True)
class TableIndicator:
    """One indicator of the prevalence table: its label and the columns it reads."""

    label: str          # HA, WA, BMI, WH
    z: str              # z-score column
    flag: str           # flag column
    aux: bool           # oedema gives -3.1 in the cut-off column


#: The indicators of each reference's table, in WHO's column order.
TABLE_INDICATORS: dict[str, tuple[TableIndicator, ...]] = {
    "anthro": (
        TableIndicator("HA", "zlen", "flen", False),
        TableIndicator("WA", "zwei", "fwei", True),
        TableIndicator("BMI", "zbmi", "fbmi", True),
        TableIndicator("WH", "zwfl", "fwfl", True),
    ),
    "anthroplus": (
        TableIndicator("HA", "zhfa", "fhfa", False),
        TableIndicator("WA", "zwfa", "fwfa", True),
        TableIndicator("BMI", "zbfa", "fbfa", True),
    ),
}

_AGE_GROUPS_0_5 = (
    (0, 6, "00-05 mo"), (6, 12, "06-11 mo"), (12, 24, "12-23 mo"),
    (24, 36, "24-35 mo"), (36, 48, "36-47 mo"), (48, 60, "48-59 mo"),
)
_AGE_GROUPS_5_19 = tuple(
    (m, m + 12, f"{m}-{m + 11} mo") for m in range(60, 228, 12)
) + ((228, 229, "228-228 mo"),)
_WIDE_AGE_GROUPS_5_19 = ((60, 120, "60-119 mo"), (120, 180, "120-179 mo"),
                         (180, 229, "180-228 mo"))
_WIDE_YEARS_5_19 = ("Total (5-9)", "Total (10-14)", "Total (15-19)")
_WEALTH_LEVELS = ("Q1: Poorest", "Q2", "Q3", "Q4", "Q5: Richest")
_OPTIONAL_GROUPS = (
    ("typeres", "Area"),
    ("gregion", "Geographical region"),
    ("wealthq", "Wealth quintile"),
    ("mothered", "Maternal education"),
    ("othergr", "Other grouping"),
)


class DataQualityWarning(UserWarning):
    """Rows were left out of scope or values were changed; the message gives the count."""


# ---------------------------------------------------------------------------------------
# Input cleaning
# ---------------------------------------------------------------------------------------


def _code_strings(s: pd.Series) -> pd.Series:
    """Trimmed lower-case codes; integral numbers as ``"1"``; blanks as missing."""
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("Int64")
    if pd.api.types.is_numeric_dtype(s):
        v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        out = np.full(v.size, None, dtype=object)
        ok = ~np.isnan(v)
        integral = ok & (v == np.round(v))
        out[integral] = v[integral].astype(np.int64).astype(str)
        out[ok & ~integral] = v[ok & ~integral].astype(str)
        return pd.Series(out, index=s.index, dtype=object)
    st = s.astype("string").str.strip().str.lower()
    st = st.str.replace(r"^([+-]?\d+)\.0*$", r"\1", regex=True)
    st = st.mask(st == "")
    return st.astype(object).where(st.notna(), None)


class _Problems:
    """Collects every invalid value of every field, then raises one error listing them all."""

    def __init__(self) -> None:
        self.problems: dict[str, list[tuple[int, object]]] = {}
        self.expected: dict[str, str] = {}

    def add(self, column: str, raw: pd.Series, bad: np.ndarray, expected: str) -> None:
        pos = np.flatnonzero(bad)
        if pos.size:
            vals = raw.to_numpy(dtype=object)[pos]
            self.problems.setdefault(column, []).extend(
                (int(p) + 1, v) for p, v in zip(pos, vals, strict=True))
            self.expected[column] = expected

    def raise_if_any(self, file: str | None) -> None:
        if self.problems:
            raise InvalidValuesError(
                "invalid values for the prevalence computation; rows are numbered from 1 = "
                "the first data row", problems=self.problems, expected=self.expected,
                file=file)


def _clean_sex(raw: pd.Series, column: str, problems: _Problems) -> np.ndarray:
    codes = _code_strings(raw)
    mapped = codes.map(SEX_CODES)
    problems.add(column, raw, (codes.notna() & mapped.isna()).to_numpy(),
                 "1, 2, m, f, male, female (any case) or blank")
    return mapped.to_numpy(dtype=float, na_value=np.nan)


def _clean_oedema(raw: pd.Series | None, n: int, column: str,
                  codes_map: Mapping[object, bool] | None, problems: _Problems) -> np.ndarray:
    if raw is None:
        return np.zeros(n, dtype=bool)
    table = _oedema_table(codes_map)
    codes = _code_strings(raw)
    mapped = codes.map(table)
    problems.add(column, raw, (codes.notna() & mapped.isna()).to_numpy(),
                 ", ".join(sorted(table)) + " (any case) or blank")
    return mapped.fillna(False).to_numpy(dtype=bool)


def _oedema_table(codes_map: Mapping[object, bool] | None) -> dict[str, bool]:
    source = DEFAULT_OEDEMA_CODES if codes_map is None else codes_map
    return {str(k).strip().lower(): bool(v) for k, v in source.items()}


def _numeric(data: pd.DataFrame, column: str, problems: _Problems) -> np.ndarray:
    """Numbers of a column [its unit]; non-numbers are problems, infinite values become
    missing with a warning naming the rows."""
    raw = data[column]
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        num = raw.to_numpy(dtype=float, na_value=np.nan)
    else:
        text = raw.astype("string").str.strip()
        parsed = pd.to_numeric(text.mask(text == ""), errors="coerce")
        bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool,
                                                                    na_value=False)
        problems.add(column, raw, bad, "a number or blank")
        num = parsed.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(num)
    if inf.any():
        rows = (np.flatnonzero(inf) + 1).tolist()
        shown = ", ".join(map(str, rows[:20])) + (" ..." if len(rows) > 20 else "")
        _warn(len(rows), f"with a value of {column} that is not finite (inf): set to missing "
                         f"(rows {shown})")
        num = np.where(inf, np.nan, num)
    return num


def _warn(count: int, what: str) -> None:
    if count:
        warnings.warn(f"{count} row{'s' if count != 1 else ''} {what}",
                      DataQualityWarning, stacklevel=4)


def _cut(x: np.ndarray, bins: Sequence[tuple[float, float, str]]) -> np.ndarray:
    """Group codes for half-open intervals [lo, hi); -1 outside every interval or NaN."""
    code = np.full(x.shape, -1, dtype=np.int64)
    for i, (lo, hi, _) in enumerate(bins):
        code[(x >= lo) & (x < hi)] = i
    return code


def _level_codes(values: pd.Series, sort: bool) -> tuple[np.ndarray, list[str]]:
    """Codes and labels of a free grouping variable (area, region, ...).

    Levels come in order of first appearance (WHO's fast paths, no cluster and no strata) or
    sorted, numerically when every value is a number (the R ``survey`` path, ``svyby``).
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    if sort and len(uniq):
        numeric = pd.to_numeric(pd.Series(uniq, dtype=object), errors="coerce")
        keys = numeric.to_numpy() if numeric.notna().all() else np.array([str(u) for u in uniq])
        order = np.argsort(keys, kind="stable")
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[order] = np.arange(len(uniq))
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        uniq = [uniq[i] for i in order]
    labels = []
    for u in uniq:
        if isinstance(u, float) and float(u).is_integer():
            u = int(u)
        labels.append(str(u))
    return np.asarray(codes, dtype=np.int64), labels


# ---------------------------------------------------------------------------------------
# Scope, design and groups
# ---------------------------------------------------------------------------------------

_ZCOLS = {"anthro": ("zlen", "zwei", "zwfl", "zbmi"), "anthroplus": ("zhfa", "zwfa", "zbfa")}


def _ensure_zscores(data: pd.DataFrame, reference: str, zscore_options: Mapping | None, *,
                    age: str, age_unit: str, sex: str, oedema: str | None,
                    oedema_codes: Mapping[object, bool] | None) -> pd.DataFrame:
    """Score raw measurements with :func:`capra.growth.zscore.zscores` if no z is given."""
    present = [c for c in _ZCOLS[reference] if c in data.columns]
    if present:
        missing = [c for c in _ZCOLS[reference] if c not in data.columns]
        if missing:
            warnings.warn(f"z-score column(s) {missing} not in the data: those indicators "
                          "are reported as missing", DataQualityWarning, stacklevel=4)
        return data
    options: dict = {"sex": sex, "age": age, "age_unit": age_unit}
    if oedema is not None:
        options["oedema"] = oedema
        if oedema_codes is not None:
            table = _oedema_table(oedema_codes)
            options["oedema_codes"] = ([k for k, v in table.items() if v],
                                       [k for k, v in table.items() if not v])
    options.update(dict(zscore_options or {}))
    z = pd.DataFrame(zscores(data, **options))
    z.index = data.index
    extra = [c for c in z.columns if c not in data.columns]
    return pd.concat([data, z[extra]], axis=1)


@dataclass
class Prepared:
    """The rows in scope of one prevalence table, cleaned: design, groups and the
    indicator columns (``summ`` for the means and SDs, ``prev`` for the cut-offs)."""

    reference: str
    n_in: int
    excluded: dict
    index: pd.Index
    oedema: np.ndarray
    age_months: np.ndarray
    summ: dict
    prev: dict
    design: SurveyDesign
    full_design: bool
    groups: list


def prepare(data, *, reference, age, age_unit, sex, oedema, weights, cluster, strata,
             typeres, gregion, wealthq, mothered, othergr, oedema_codes, zscore_options,
             file) -> Prepared:
    """Clean the input, apply WHO's scope rules and build the design and the groups."""
    if reference not in TABLE_INDICATORS:
        raise ArgumentError(f"reference must be 'anthro' or 'anthroplus', not {reference!r}")
    if age_unit not in (None, "days", "months"):
        raise ArgumentError(f"age_unit must be 'days' or 'months', not {age_unit!r}")
    if not isinstance(data, pd.DataFrame):
        data = pd.DataFrame(data)
    # columns not named: found by their usual names; the cleaned columns of z-scored data
    scored = (any(c in data.columns for c in _ZCOLS[reference])
              and {"age_days", "age_months", "csex"} <= set(data.columns))
    if age is None:
        age = "age_months" if scored else find_column(data, "age")
        if age is None:
            raise missing_column_error("age", data).in_file(file)
    if sex is None:
        sex = "csex" if scored else find_column(data, "sex")
        if sex is None:
            raise missing_column_error("sex", data).in_file(file)
    if oedema == "oedema":  # the default: the cleaned y/n of z-scored data, else by name
        oedema = "coedema" if scored and "coedema" in data.columns else find_column(
            data, "oedema")
        if oedema == "coedema":
            oedema_codes = None
    implied = AGE_NAME_UNITS.get(str(age).lower()) if age_unit is None else None
    if age_unit is None and implied is None and age in data.columns:
        with warnings.catch_warnings():  # (warned about when the ages are read below)
            warnings.simplefilter("ignore", DataQualityWarning)
            ages = _numeric(data, age, _Problems())
        if reference == "anthro" and ages_look_like_months(ages):
            raise DataError(f"the ages in column {age!r} are all at most "
                            f"{AGE_UNIT_GUESS_MAX:g}: they may be months; give their unit "
                            "(--age-unit days or --age-unit months)", file=file, field=age)
        known = ages[np.isfinite(ages)]
        if reference == "anthroplus" and known.size and (known > AGE_RANGE_5_19[1]).all():
            raise DataError(f"the ages in column {age!r} are all above "
                            f"{AGE_RANGE_5_19[1]:g}: they may be days; give their unit "
                            "(--age-unit days or --age-unit months)", file=file, field=age)
    age_unit = age_unit or implied or ("days" if reference == "anthro" else "months")
    named = {"age": age, "sex": sex, "oedema": oedema, "weights": weights,
             "cluster": cluster, "strata": strata, "typeres": typeres, "gregion": gregion,
             "wealthq": wealthq, "mothered": mothered, "othergr": othergr}
    for role, col in named.items():
        if col is not None and col not in data.columns and role != "oedema":
            raise DataError(f"column {col!r} (for {role}) not found; columns are "
                            f"{list(data.columns)}; name the column with --map ROLE=COLUMN "
                            "(e.g. --map sex=GENDER) or the role's option", file=file,
                            field=col)
    if oedema is not None and oedema not in data.columns:
        oedema = named["oedema"] = None
    try:
        data = _ensure_zscores(data, reference, zscore_options, age=age, age_unit=age_unit,
                               sex=sex, oedema=oedema, oedema_codes=oedema_codes)
    except DataError as err:
        raise err.in_file(file) from None
    n_in = len(data)

    # --- cleaning: every row of every field is checked before anything is computed -------
    problems = _Problems()
    sex_code = _clean_sex(data[sex], sex, problems)
    oed = _clean_oedema(data[oedema] if oedema else None, n_in, oedema or "oedema",
                        oedema_codes, problems)
    age_raw = _numeric(data, age, problems)
    if weights is not None:
        w = _numeric(data, weights, problems)
        problems.add(weights, data[weights], w < 0, "a sampling weight >= 0 or blank")
    else:
        w = np.ones(n_in)
    inds = TABLE_INDICATORS[reference]
    z: dict[str, np.ndarray] = {}
    for ind in inds:
        if ind.z not in data.columns:
            z[ind.z] = np.full(n_in, np.nan)
            continue
        v = _numeric(data, ind.z, problems)
        if ind.flag in data.columns:
            f = _numeric(data, ind.flag, problems)
            problems.add(ind.flag, data[ind.flag], ~np.isnan(f) & (f != 0) & (f != 1),
                         "0, 1 or blank")
            flagged = f == 1
        else:
            lo, hi = FLAG_LIMITS[ind.z]
            flagged = (v < lo) | (v > hi)
        z[ind.z] = np.where(flagged, np.nan, v)       # flagged z-scores leave the analysis
    problems.raise_if_any(file)

    excluded: dict[str, int] = {}
    neg = age_raw < 0
    if neg.any():
        excluded["negative age set to missing"] = int(neg.sum())
        _warn(int(neg.sum()), "with a negative age: age set to missing")
        age_raw = np.where(neg, np.nan, age_raw)
    if age_unit == "months":
        age_days, age_months = age_raw * DAYS_PER_MONTH, age_raw
    else:
        age_days, age_months = age_raw, age_raw / DAYS_PER_MONTH

    # --- rows in scope -----------------------------------------------------------------------
    keep = np.ones(n_in, dtype=bool)
    design_cols = {}
    for role in ("cluster", "strata"):
        col = named[role]
        if col is not None:
            vals = data[col]
            na = vals.isna().to_numpy().copy()
            if vals.dtype == object or pd.api.types.is_string_dtype(vals):
                na |= (vals.astype("string").str.strip() == "").to_numpy(dtype=bool,
                                                                         na_value=False)
            design_cols[role] = vals
            keep &= ~na
    n_design_na = int((~keep).sum())
    if reference == "anthro":
        # WHO rounds the age in days half up before comparing it with 1826 (SPEC §3.1)
        with np.errstate(invalid="ignore"):
            whole = np.floor(age_days)
            rounded = whole + ((age_days - whole) >= 0.5)
        out_age = ~np.isnan(age_days) & (rounded > MAX_AGE_DAYS_0_5)
        oed = oed & ~out_age
        scope_note = "with missing cluster or strata, or age > 1826 days, left out"
    else:
        lo, hi = AGE_RANGE_5_19
        out_age = np.isnan(age_months) | (age_months < lo) | (age_months > hi)
        scope_note = "with missing cluster or strata, or age missing or outside 60–228 " \
                     "months, left out"
    keep &= ~out_age
    n_out = int((~keep).sum())
    if n_out:
        excluded["out of scope (design or age)"] = n_out
        if n_design_na:
            excluded["missing cluster or strata"] = n_design_na
        _warn(n_out, scope_note)
    if not keep.any():
        raise DataError("no rows left in scope for the prevalence computation "
                        f"({n_in} given, {n_out} out of scope)", file=file)
    na_w = np.isnan(w) & keep
    if na_w.any():
        excluded["missing weight set to 0"] = int(na_w.sum())
        _warn(int(na_w.sum()), "with a missing sampling weight: weight set to 0")
    w = np.nan_to_num(w, nan=0.0)

    idx = np.flatnonzero(keep)
    w, sex_code, oed = w[idx], sex_code[idx], oed[idx]
    age_months = age_months[idx]
    z = {k: v[idx] for k, v in z.items()}
    n = idx.size

    labels = {k: v.to_numpy(dtype=object)[idx] for k, v in design_cols.items()}
    design = survey_design(weights=w, cluster=labels.get("cluster"),
                           strata=labels.get("strata"), n=n)

    # --- indicator columns ------------------------------------------------------------------
    summ: dict[str, np.ndarray] = {}
    prev: dict[str, np.ndarray] = {}
    for ind in inds:
        v = z[ind.z]
        if ind.aux:
            v = np.where(oed, np.nan, v)
            aux_rows = oed.copy()
            if reference == "anthroplus" and ind.label == "WA":
                aux_rows &= age_months <= WFA_MAX_MONTHS_5_19
            prev[ind.label] = np.where(aux_rows, OEDEMA_AUX_Z, v)
        else:
            prev[ind.label] = v
        summ[ind.label] = v

    # --- groups ------------------------------------------------------------------------------
    # WHO's full survey path (cluster or strata given) differs from its fast paths in two
    # details: free grouping levels are sorted, and the SD counts every row of the group.
    full_design = cluster is not None or strata is not None
    groups = _groups(reference, data, idx, sex_code, age_months, named, full_design)
    return Prepared(reference, n_in, excluded, data.index[idx], oed, age_months, summ, prev,
                     design, full_design, groups)


def _groups(reference: str, data: pd.DataFrame, idx: np.ndarray, sex_code: np.ndarray,
            age_months: np.ndarray, named: Mapping[str, str | None], sort_levels: bool):
    """List of (title, codes, level labels, (years, months) labels) in WHO's row order."""
    n = idx.size
    sex_g = np.where(sex_code == 2, 0, np.where(sex_code == 1, 1, -1))
    sexes = ["Female", "Male"]
    out = []
    if reference == "anthro":
        age_g = _cut(age_months, _AGE_GROUPS_0_5)
        age_lab = [b[2] for b in _AGE_GROUPS_0_5]
        na = len(age_lab)
        out.append(("All", np.zeros(n, np.int64), ["All"], None))
        out.append(("Age group", age_g, age_lab, None))
        out.append(("Sex", sex_g, sexes, None))
        inter = np.where((age_g >= 0) & (sex_g >= 0), sex_g * na + age_g, -1)
        out.append(("Age + sex", inter, [f"{a}.{s}" for s in sexes for a in age_lab], None))
        for role, title in _OPTIONAL_GROUPS:
            col = named[role]
            if col is None:
                continue
            vals = data[col].iloc[idx].reset_index(drop=True)
            if role == "wealthq":
                codes = _code_strings(vals)
                q = codes.str.replace(r"^q", "", regex=True)
                mapped = q.map({str(i): i - 1 for i in range(1, 6)})
                bad = codes.notna() & mapped.isna()
                if bad.any():
                    _warn(int(bad.sum()), "with a wealth quintile other than 1–5 or Q1–Q5: "
                          "set to missing")
                c = mapped.fillna(-1).to_numpy(dtype=np.int64)
                levels = list(_WEALTH_LEVELS)
            else:
                v = vals.astype(object).where(vals.notna(), None)
                if vals.dtype == object or pd.api.types.is_string_dtype(vals):
                    s = vals.astype("string").str.strip()
                    v = s.astype(object).where(s.notna() & (s != ""), None)
                c, levels = _level_codes(pd.Series(v, dtype=object), sort_levels)
            if (c < 0).all():
                continue
            out.append((title, c, levels, None))
        return out

    lo, hi = AGE_RANGE_5_19
    ag1 = _cut(age_months, _AGE_GROUPS_5_19)
    ag2 = _cut(age_months, _WIDE_AGE_GROUPS_5_19)
    all_lab = ("Total (5-19)", f"({lo:.0f}-{hi:.0f})")
    ag1_lab = [b[2] for b in _AGE_GROUPS_5_19]
    ag2_lab = [b[2] for b in _WIDE_AGE_GROUPS_5_19]
    months = [f"({lab.removesuffix(' mo')})" for lab in ag1_lab]
    wide_months = [f"({lab.removesuffix(' mo')})" for lab in ag2_lab]
    out.append(("All", np.zeros(n, np.int64), ["All"], ([all_lab[0]], [all_lab[1]])))
    out.append(("Sex", sex_g, sexes, ([all_lab[0]] * 2, [all_lab[1]] * 2)))
    out.append(("Age Group 1", ag1, ag1_lab,
                ([str(y) for y in range(5, 5 + len(ag1_lab))], months)))
    out.append(("Age Group 2", ag2, ag2_lab, (list(_WIDE_YEARS_5_19), wide_months)))
    inter = np.where((ag2 >= 0) & (sex_g >= 0), ag2 * 2 + sex_g, -1)
    out.append(("Age + Sex", inter, [f"{s}.{a}" for a in ag2_lab for s in sexes],
                ([y for y in _WIDE_YEARS_5_19 for _ in sexes],
                 [m for m in wide_months for _ in sexes])))
    return out
