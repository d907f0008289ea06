"""The z-score indicators of :func:`capra.growth.zscores`: one definition each
(:class:`Indicator`, the table :data:`TABLE`) and the function that scores it.

The scoring rules are WHO's (``anthro`` and ``anthroplus``; the project's ``SPEC.md``
§3.3–3.6), in three families, one function each:

* **0–5 years by age** (:func:`score_for_age_0_5`: ``zlen, zwei, zbmi, zhc, zac, zts,
  zss``): the WHO Child Growth Standards table at the age in whole days, for children
  under 60 months (``rules="macro"``: to 1856 days) from the table's first day; the
  measurement must be positive, and a weight-based indicator is missing with oedema.
* **weight-for-length/height** (:func:`score_weight_for_length`: ``zwfl``): the length
  table for children under 731 days, the height table from 731 days (age unknown: by the
  measure, else length below 87 cm); missing with oedema; any age to 60 months.
* **5–19 years by age** (:func:`score_for_age_5_19`: ``zhfa, zwfa, zbfa``): the WHO
  Reference 2007 table at the age in months, 60–228 months (weight-for-age to 120), the
  height as given (no ±0.7 cm adjustment) and negative measurements set to missing.

Each function takes the indicator's definition and the cleaned rows (:class:`Cleaned`)
and returns the unrounded z-scores, the rows in the indicator's age range and why the
missing ones are missing (:class:`Scored`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from capra.growth.lms import lms_z
from capra.growth.tables import lookup, table

__all__ = ["INDICATORS", "REFERENCE_0_5", "REFERENCE_5_19", "TABLE", "Cleaned", "Indicator",
           "Scored", "score_for_age_0_5", "score_for_age_5_19", "score_weight_for_length"]

#: Names of the two references in the output's ``reference`` column.
REFERENCE_0_5 = "WHO 2006"
REFERENCE_5_19 = "WHO 2007"
#: Last day of the WHO Child Growth Standards' age tables (60 months). [days]
LAST_DAY_0_5 = 1856
#: ``anthro`` scores the 0–5 standards below this age. [months]
MONTHS_0_5 = 60.0
#: From this age, length/height is standing height (WHO TR 2006: 24 months). [days]
HEIGHT_FROM_DAYS = 731
#: Without an age, a child shorter than this is taken as measured lying (WHO). [cm]
LENGTH_BELOW_CM = 87.0
#: Keys of the weight-for-length and weight-for-height tables. [cm]
WFL_RANGE_CM = (45.0, 110.0)
WFH_RANGE_CM = (65.0, 120.0)
#: First month of the WHO Reference 2007 (``rules="macro"``: the month after). [months]
FIRST_MONTH_5_19 = 60.0
#: Last month of the WHO Reference 2007's height- and BMI-for-age tables. [months]
LAST_MONTH_5_19 = 228.0
#: Last month of its weight-for-age table (10 years). [months]
LAST_MONTH_WFA_5_19 = 120.0


@dataclass(frozen=True)
class Cleaned:
    """The rows of :func:`capra.growth.zscores` after cleaning (SPEC §3.1), as the
    indicators read them. Arrays have one value per row."""

    age_days: np.ndarray
    """Age rounded half up to whole days, NaN if unknown. [days]"""
    age_months: np.ndarray
    """Age, unrounded. [months]"""
    day_index: np.ndarray
    """Whole-day key of the 0–5 tables (-1 if unknown or beyond :data:`LAST_DAY_0_5`)."""
    sex_row: np.ndarray
    """Row of the sex in the tables (0 male, 1 female; 0 when unknown)."""
    sex_ok: np.ndarray
    """Sex known."""
    oedema: np.ndarray
    """Bilateral oedema."""
    measure: np.ndarray
    """0 not recorded (or dropped by the 9-month rule), 1 lying, 2 standing."""
    measure_dropped_9mo: np.ndarray
    """A child under 9 months measured standing: the measure is dropped (SPEC §3.1)."""
    measurements_0_5: dict[str, np.ndarray]
    """``clenhei`` [cm], ``weight`` [kg], ``cbmi`` [kg/m²], ``headc``, ``armc`` [cm],
    ``triskin``, ``subskin`` [mm], as the 0–5 standards score them."""
    measurements_5_19: dict[str, np.ndarray]
    """``height`` [cm], ``weight`` [kg] (missing with oedema), ``bmi`` [kg/m²]: negative
    values set to missing."""
    raw_5_19: dict[str, np.ndarray]
    """The same as given, before negative values and oedema were set to missing."""
    negative_5_19: dict[str, np.ndarray]
    """Rows whose given measurement (or one of its parts, for BMI) is negative."""
    in_age_0_5: np.ndarray
    """Age in the range of the 0–5 standards (by ``rules``)."""
    in_age_5_19: np.ndarray
    """Age from the first month of the 5–19 reference (by ``rules``)."""
    macro: bool
    """``rules="macro"``: the age limits of WHO's older macros."""
    strict_wfl: bool
    """Weight ≤ 0 is missing for weight-for-length/height."""

    @property
    def age_na(self) -> np.ndarray:
        """Age unknown."""
        return np.isnan(self.age_days)


@dataclass(frozen=True)
class Scored:
    """One indicator scored: ``z`` (unrounded, NaN where missing), ``in_range`` (rows in
    its age range, or of unknown age) and ``reasons`` (rows in range but missing, counted by
    their first cause)."""

    z: np.ndarray
    in_range: np.ndarray
    reasons: dict[str, int]


@dataclass(frozen=True)
class Indicator:
    """One z-score of :func:`capra.growth.zscores` and how it is scored."""

    z: str
    """z-score column, e.g. ``zlen``."""
    flag: str
    """Flag column, e.g. ``flen``."""
    table: str
    """LMS table (:data:`capra.growth.tables.TABLES`); ``wfl`` stands for ``wfl`` and
    ``wfh``."""
    measurement: str
    """Key of the measurement scored, in :attr:`Cleaned.measurements_0_5` or
    :attr:`Cleaned.measurements_5_19`."""
    weight_based: bool
    """Missing for a child with oedema."""
    flag_limits: tuple[float, float]
    """WHO's fixed flag limits (SPEC §3.5). [z]"""
    reference: str
    """:data:`REFERENCE_0_5` or :data:`REFERENCE_5_19`."""
    description: str
    score: Callable[[Indicator, Cleaned], Scored]
    """The function that scores it."""
    last_month: float | None = None
    """Last month of the age range (5–19 years). [months]"""


def _count(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def _reasons(z: np.ndarray, in_range: np.ndarray, causes) -> dict[str, int]:
    """Count missing z in range by first applicable cause; the rest is 'other'."""
    remaining = np.isnan(z) & in_range
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


def _lms_rows(name: str, rows: np.ndarray, c: Cleaned, x: np.ndarray, y: np.ndarray
              ) -> np.ndarray:
    """Unrounded z in table ``name`` for the rows where ``rows`` is True (NaN elsewhere)."""
    t = table(name)
    z = np.full(len(rows), np.nan)
    idx = np.flatnonzero(rows)
    if idx.size == 0:
        return z
    if idx.size == len(rows):
        l, m, s = lookup(t, c.sex_row, c.sex_ok, x)
        yy = y
    else:
        l, m, s = lookup(t, c.sex_row[idx], c.sex_ok[idx], x[idx])
        yy = y[idx]
    zz = lms_z(yy, l, m, s, restricted=t.restricted, l_is_one=t.l_is_one)
    if idx.size == len(rows):
        return zz
    z[idx] = zz
    return z


def score_for_age_0_5(ind: Indicator, c: Cleaned) -> Scored:
    """An indicator of the WHO Child Growth Standards by age in days (see the module)."""
    y = c.measurements_0_5[ind.measurement]
    with np.errstate(invalid="ignore"):
        in_range = c.in_age_0_5 & (c.age_days >= table(ind.table).x0)
        positive = y > 0
    ok = in_range & c.sex_ok & positive
    if ind.weight_based:
        ok &= ~c.oedema
    z = _lms_rows(ind.table, ok, c, c.day_index, y)
    scope = in_range | c.age_na
    return Scored(z, scope, _reasons(z, scope, [
        ("age_missing", c.age_na), ("sex_missing", ~c.sex_ok),
        ("measurement_missing", np.isnan(y)),
        ("oedema", c.oedema if ind.weight_based else None),
        ("measurement_not_positive", ~positive)]))


def score_weight_for_length(ind: Indicator, c: Cleaned) -> Scored:
    """Weight-for-length/height (see the module)."""
    clenhei, weight = c.measurements_0_5["clenhei"], c.measurements_0_5[ind.measurement]
    age_na, age_days = c.age_na, c.age_days
    with np.errstate(invalid="ignore"):
        join_l = np.where(age_na, (c.measure == 1) | ((c.measure == 0)
                                                      & (clenhei < LENGTH_BELOW_CM)),
                          age_days < HEIGHT_FROM_DAYS)
        join_h = np.where(age_na, (c.measure == 2) | ((c.measure == 0)
                                                      & (clenhei >= LENGTH_BELOW_CM)),
                          age_days >= HEIGHT_FROM_DAYS)
        join_l &= ~np.isnan(clenhei) | ~age_na
        join_h &= ~np.isnan(clenhei) | ~age_na
        in_l = join_l & (clenhei >= WFL_RANGE_CM[0]) & (clenhei <= WFL_RANGE_CM[1])
        in_h = join_h & (clenhei >= WFH_RANGE_CM[0]) & (clenhei <= WFH_RANGE_CM[1])
        age_ok = age_na | (age_days <= LAST_DAY_0_5)
        if not c.macro:
            age_ok &= ~(c.age_months >= MONTHS_0_5)
        weight_ok = ~np.isnan(weight)
        if c.strict_wfl:
            weight_ok &= weight > 0
    base = age_ok & c.sex_ok & ~c.oedema & weight_ok
    z_l = _lms_rows("wfl", base & in_l, c, clenhei, weight)
    z_h = _lms_rows("wfh", base & in_h, c, clenhei, weight)
    z = np.where(in_l, z_l, z_h)
    return Scored(z, age_ok, _reasons(z, age_ok, [
        ("sex_missing", ~c.sex_ok),
        ("measurement_missing", np.isnan(weight) | np.isnan(clenhei)),
        ("oedema", c.oedema),
        ("measurement_not_positive", ~(weight > 0) if c.strict_wfl else None),
        ("length_outside_table", ~(in_l | in_h))]))


def score_for_age_5_19(ind: Indicator, c: Cleaned) -> Scored:
    """An indicator of the WHO Reference 2007 by age in months (see the module)."""
    with np.errstate(invalid="ignore"):
        in_range = c.in_age_5_19 & ((c.age_months < ind.last_month + 1) if c.macro
                                    else (c.age_months <= ind.last_month))
    y = c.measurements_5_19[ind.measurement]
    ok = in_range & c.sex_ok & ~np.isnan(y)
    z = _lms_rows(ind.table, ok, c, c.age_months, y)
    scope = in_range | c.age_na
    return Scored(z, scope, _reasons(z, scope, [
        ("age_missing", c.age_na), ("sex_missing", ~c.sex_ok),
        ("measurement_missing", np.isnan(c.raw_5_19[ind.measurement])),
        ("oedema", c.oedema if ind.weight_based else None),
        ("measurement_not_positive", c.negative_5_19[ind.measurement])]))


def _0_5(z: str, flag: str, table: str, measurement: str, description: str, *,
         weight_based: bool, flag_limits: tuple[float, float],
         score=score_for_age_0_5) -> Indicator:
    return Indicator(z, flag, table, measurement, weight_based, flag_limits, REFERENCE_0_5,
                     description, score)


def _5_19(z: str, flag: str, table: str, measurement: str, description: str, *,
          weight_based: bool, flag_limits: tuple[float, float], last_month: float
          ) -> Indicator:
    return Indicator(z, flag, table, measurement, weight_based, flag_limits, REFERENCE_5_19,
                     description, score_for_age_5_19, last_month)


#: Every indicator, in the output's column order (0–5 years first, then 5–19 years).
TABLE: tuple[Indicator, ...] = (
    _0_5("zlen", "flen", "lhfa", "clenhei", "length/height-for-age",
         weight_based=False, flag_limits=(-6, 6)),
    _0_5("zwei", "fwei", "wfa", "weight", "weight-for-age",
         weight_based=True, flag_limits=(-6, 5)),
    _0_5("zwfl", "fwfl", "wfl", "weight", "weight-for-length/height",
         weight_based=True, flag_limits=(-5, 5), score=score_weight_for_length),
    _0_5("zbmi", "fbmi", "bfa", "cbmi", "BMI-for-age",
         weight_based=True, flag_limits=(-5, 5)),
    _0_5("zhc", "fhc", "hcfa", "headc", "head circumference-for-age",
         weight_based=False, flag_limits=(-5, 5)),
    _0_5("zac", "fac", "acfa", "armc", "arm circumference-for-age",
         weight_based=False, flag_limits=(-5, 5)),
    _0_5("zts", "fts", "tsfa", "triskin", "triceps skinfold-for-age",
         weight_based=False, flag_limits=(-5, 5)),
    _0_5("zss", "fss", "ssfa", "subskin", "subscapular skinfold-for-age",
         weight_based=False, flag_limits=(-5, 5)),
    _5_19("zhfa", "fhfa", "hfa2007", "height", "height-for-age",
          weight_based=False, flag_limits=(-6, 6), last_month=LAST_MONTH_5_19),
    _5_19("zwfa", "fwfa", "wfa2007", "weight", "weight-for-age",
          weight_based=True, flag_limits=(-6, 5), last_month=LAST_MONTH_WFA_5_19),
    _5_19("zbfa", "fbfa", "bfa2007", "bmi", "BMI-for-age",
          weight_based=True, flag_limits=(-5, 5), last_month=LAST_MONTH_5_19),
)
#: z-score columns, in output order.
INDICATORS: tuple[str, ...] = tuple(ind.z for ind in TABLE)
