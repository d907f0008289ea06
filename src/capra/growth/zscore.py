"""WHO child-growth z-scores, reproducing WHO's R packages ``anthro`` and ``anthroplus``.

:func:`zscores` scores every child of a dataset, 0–5 years against the WHO Child Growth
Standards (2006/2007, as ``anthro_zscores``) and 5–19 years against the WHO Reference 2007 (as
``anthroplus_zscores``), in one vectorized pass: the inputs are found and checked
(:mod:`capra.growth.inputs`), cleaned (SPEC §3.1), then each indicator of
:data:`capra.growth.indicators.TABLE` is scored by its own function. :func:`zscore_summary`
counts scored, flagged and missing values per indicator, with the reason each missing value
is missing. :mod:`capra.growth.lms` holds the LMS method itself.

The rules are those of WHO's packages, written down in the project's ``SPEC.md`` (§3.1–3.7).
Options for the deliberate deviations of §3.7 are keyword arguments of :func:`zscores`; every
one is off by default so that the defaults reproduce WHO digit for digit, except the handling
of negative ages, where WHO stops with an error and Capra sets the age to missing and warns.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from capra.errors import ArgumentError, InvalidValuesError
from capra.growth.indicators import (
    FIRST_MONTH_5_19,
    HEIGHT_FROM_DAYS,
    LAST_DAY_0_5,
    LAST_MONTH_5_19,
    MONTHS_0_5,
    REFERENCE_0_5,
    REFERENCE_5_19,
    TABLE,
    Cleaned,
)
from capra.growth.inputs import FIELDS, GrowthDataWarning, Inputs, read_inputs
from capra.growth.tables import DAYS_PER_MONTH, tables_digest

__all__ = ["OUTPUT_COLUMNS", "GrowthDataWarning", "zscore_summary", "zscores"]

#: Columns returned by :func:`zscores` (without the optional ones), in order.
OUTPUT_COLUMNS = (
    ("age_days", "age_months", "clenhei", "cmeasure", "c9mo_flag", "cbmi", "csex", "coedema")
    + tuple(c for ind in TABLE for c in (ind.z, ind.flag))
    + ("reference",)
)
#: Length lying minus height standing of the same child (WHO TR 2006). [cm]
LYING_STANDING_CM = 0.7
#: ``plausibility=True``: weight and length/height kept for the 0–5 standards (the WHO
#: Anthro Survey Analyser's ranges). [kg], [cm]
PLAUSIBLE_WEIGHT_KG = (0.5, 40.0)
PLAUSIBLE_LENHEI_CM = (35.0, 140.0)


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
            raise ArgumentError(f"{opt}={value!r}: expected one of {', '.join(allowed)}")
    explicit = dict(sex=sex, age=age, age_unit=age_unit, weight=weight, lenhei=lenhei,
                    measure=measure, oedema=oedema, headc=headc, armc=armc, triskin=triskin,
                    subskin=subskin)
    inputs = read_inputs(data, explicit, columns, oedema_codes)
    cleaned, cleaning = _clean(inputs, negative_age=negative_age, plausibility=plausibility,
                               macro=rules == "macro", strict_wfl=strict_wfl)
    scored = {ind.z: ind.score(ind, cleaned) for ind in TABLE}
    result, flagged = _frame(inputs, cleaned, scored, flags=flags, plausibility=plausibility)
    if keep_inputs:
        given = data.copy() if data is not None else pd.DataFrame(
            {f: inputs.arrays[f] for f in FIELDS if f in inputs.arrays}, index=inputs.index)
        given.columns = [f"{c}_input" if c in result.columns else c for c in given.columns]
        result = pd.concat([given, result], axis=1)
    result.attrs["capra.growth"] = {
        "function": "capra.growth.zscores",
        "rows": inputs.n,
        "tables_sha256": tables_digest(),
        "standards": {REFERENCE_0_5: "WHO Child Growth Standards 2006/2007 (0-5 years)",
                      REFERENCE_5_19: "WHO Reference 2007 (5-19 years)"},
        "options": {"rules": rules, "flags": flags, "strict_wfl": strict_wfl,
                    "plausibility": plausibility, "negative_age": negative_age,
                    "oedema_codes": oedema_codes if isinstance(oedema_codes, str)
                    else str(oedema_codes)},
        "columns": {f: inputs.source[f] for f in inputs.source},
        "cleaning": cleaning,
        "in_range": {z: _count(s.in_range) for z, s in scored.items()},
        "flagged": flagged,
        "missing_reasons": {z: s.reasons for z, s in scored.items()},
    }
    return result


def _clean(inputs: Inputs, *, negative_age: str, plausibility: bool, macro: bool,
           strict_wfl: bool) -> tuple[Cleaned, dict[str, int]]:
    """The rows as the indicators read them (SPEC §3.1), and the counts of each change.

    Negative ages become missing with a :class:`GrowthDataWarning` (or raise, with
    ``negative_age="error"``); ages are rounded half up to whole days; length/height is
    adjusted by ±0.7 cm where the other position was measured, after the measure of a child
    under 9 months measured standing is dropped; with ``plausibility``, weight and length
    outside the Survey Analyser ranges become missing for the 0–5 standards.
    """
    num = inputs.numbers
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
            f"(rows {shown})"), stacklevel=3)
    cleaning["negative_age_set_missing"] = n_negative

    sex_ok = inputs.sex > 0
    sex_row = np.where(sex_ok, inputs.sex - 1, 0).astype(np.intp)
    oedema_yes = inputs.oedema == 1
    cleaning["oedema_blank_as_no"] = (_count(inputs.oedema == 0) if "oedema" in inputs.arrays
                                      else 0)

    with np.errstate(invalid="ignore"):
        days_raw = np.where(inputs.is_months, age * DAYS_PER_MONTH, age)
        fl = np.floor(days_raw)
        age_days = fl + ((days_raw - fl) >= 0.5)
        age_months = np.where(inputs.is_months, age, age / DAYS_PER_MONTH)
    age_na = np.isnan(age_days)
    day_index = np.where(age_na | (age_days > LAST_DAY_0_5), -1, age_days).astype(np.intp)

    weight_in = num["weight"]
    lenhei_in = num["lenhei"]
    weight05, lenhei05 = weight_in, lenhei_in
    if plausibility:
        in05 = age_na | (age_months < MONTHS_0_5)
        with np.errstate(invalid="ignore"):
            bad_w = in05 & ((weight_in < PLAUSIBLE_WEIGHT_KG[0])
                            | (weight_in > PLAUSIBLE_WEIGHT_KG[1]))
            bad_l = in05 & ((lenhei_in < PLAUSIBLE_LENHEI_CM[0])
                            | (lenhei_in > PLAUSIBLE_LENHEI_CM[1]))
        weight05 = np.where(bad_w, np.nan, weight_in)
        lenhei05 = np.where(bad_l, np.nan, lenhei_in)
        cleaning["implausible_weight_set_missing"] = _count(bad_w)
        cleaning["implausible_lenhei_set_missing"] = _count(bad_l)

    with np.errstate(all="ignore"):
        c9mo = (inputs.measure == 2) & (age_months < 9)
        measure = np.where(c9mo, 0, inputs.measure).astype(np.int8)
        add = (age_days < HEIGHT_FROM_DAYS) & (measure == 2)
        sub = (age_days >= HEIGHT_FROM_DAYS) & (measure == 1)
        clenhei = lenhei05.copy()
        clenhei[add] = lenhei05[add] + LYING_STANDING_CM
        clenhei[sub] = lenhei05[sub] - LYING_STANDING_CM
        cbmi = weight05 / ((clenhei / 100) ** 2)
    cleaning["measure_set_missing_9mo_rule"] = _count(c9mo)
    cleaning["lenhei_plus_0.7"] = _count(add & ~np.isnan(lenhei05))
    cleaning["lenhei_minus_0.7"] = _count(sub & ~np.isnan(lenhei05))
    cleaning["sex_missing"] = _count(~sex_ok)
    cleaning["age_missing"] = _count(age_na)

    with np.errstate(invalid="ignore"):
        in_age05 = (~age_na) & (age_days <= LAST_DAY_0_5) & (age_days >= 0)
        if not macro:
            in_age05 &= age_months < MONTHS_0_5
    # 5-19 years: the height as given, negative values and oedema set to missing
    height = lenhei_in
    neg_h = height < 0
    neg_w = weight_in < 0
    with np.errstate(all="ignore"):
        in519 = (~age_na) & (age_months >= (FIRST_MONTH_5_19 + 1 if macro
                                            else FIRST_MONTH_5_19))
        height19 = np.where(neg_h, np.nan, height)
        weight19 = np.where(neg_w | oedema_yes, np.nan, weight_in)
        bmi19 = weight19 / ((height19 / 100) ** 2)
        bmi_raw = weight_in / ((height / 100) ** 2)
    cleaning["negative_measurement_5_19_set_missing"] = _count(
        (neg_h | neg_w) & in519 & (age_months <= LAST_MONTH_5_19))
    cleaned = Cleaned(
        age_days=age_days, age_months=age_months, day_index=day_index, sex_row=sex_row,
        sex_ok=sex_ok, oedema=oedema_yes, measure=measure, measure_dropped_9mo=c9mo,
        measurements_0_5={"clenhei": clenhei, "weight": weight05, "cbmi": cbmi,
                          "headc": num["headc"], "armc": num["armc"],
                          "triskin": num["triskin"], "subskin": num["subskin"]},
        measurements_5_19={"height": height19, "weight": weight19, "bmi": bmi19},
        raw_5_19={"height": height, "weight": weight_in, "bmi": bmi_raw},
        negative_5_19={"height": neg_h, "weight": neg_w, "bmi": neg_h | neg_w},
        in_age_0_5=in_age05, in_age_5_19=in519, macro=macro, strict_wfl=strict_wfl)
    return cleaned, cleaning


def _frame(inputs: Inputs, c: Cleaned, scored: dict, *, flags: str,
           plausibility: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    """The result's columns (cleaned inputs, rounded z-scores and flags, reference) and the
    count of flagged values of each indicator."""
    out: dict[str, Any] = {}
    out["age_days"] = c.age_days
    out["age_months"] = c.age_months
    out["clenhei"] = c.measurements_0_5["clenhei"]
    out["cmeasure"] = _categorical(c.measure.astype(np.int8) - 1, ["l", "h"])
    out["c9mo_flag"] = c.measure_dropped_9mo.astype(np.int64)
    out["cbmi"] = c.measurements_0_5["cbmi"]
    out["csex"] = pd.arrays.IntegerArray(inputs.sex.astype(np.int64), ~c.sex_ok)
    out["coedema"] = _categorical(c.oedema.astype(np.int8), ["n", "y"])
    if plausibility:
        out["cweight"] = c.measurements_0_5["weight"]
    flagged: dict[str, int] = {}
    for ind in TABLE:
        z = np.round(scored[ind.z].z, 2)
        out[ind.z] = z
        out[ind.flag], flagged[ind.z] = _flags(z, ind.flag_limits, flags)
    ref = np.full(inputs.n, -1, np.int8)
    with np.errstate(invalid="ignore"):
        ref[c.age_na | (c.in_age_0_5 if c.macro else (c.age_months < MONTHS_0_5))] = 0
        ref[c.in_age_5_19 & ((c.age_months < LAST_MONTH_5_19 + 1) if c.macro
                             else (c.age_months <= LAST_MONTH_5_19))] = 1
    out["reference"] = _categorical(ref, [REFERENCE_0_5, REFERENCE_5_19])
    return pd.DataFrame(out, index=inputs.index, copy=False), flagged


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
    for ind in TABLE:
        zc, fc = ind.z, ind.flag
        if zc not in result.columns:
            continue
        z = result[zc].to_numpy(dtype=np.float64, na_value=np.nan)
        scored = _count(~np.isnan(z))
        f = result[fc].to_numpy(dtype=np.float64, na_value=np.nan)
        in_range = meta.get("in_range", {}).get(zc)
        row = {"indicator": zc, "description": ind.description, "reference": ind.reference,
               "rows": n, "in_age_range": in_range if in_range is not None else pd.NA,
               "scored": scored, "flagged": int(np.nansum(f)),
               "missing": (in_range - scored) if in_range is not None else pd.NA}
        reasons = meta.get("missing_reasons", {}).get(zc, {})
        for r in reason_names:
            row[f"missing_{r}"] = reasons.get(r, 0 if reasons else pd.NA)
        rows.append(row)
    summary = pd.DataFrame(rows).set_index("indicator")
    summary.attrs["cleaning"] = dict(meta.get("cleaning", {}))
    summary.attrs["options"] = dict(meta.get("options", {}))
    return summary
