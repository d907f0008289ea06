"""Survey prevalence of stunting, wasting, underweight and overweight from WHO z-scores.

Reproduces the prevalence tables of WHO's R packages ``anthro`` (``anthro_prevalence``,
children 0–5 years, WHO Child Growth Standards 2006) and ``anthroplus``
(``anthroplus_prevalence``, 5–19 years, WHO Reference 2007): the same rows in scope, the same
groups, the same column names, and the same design-based estimators as the R ``survey``
package (Taylor linearisation with replacement, ``survey.lonely.psu = "adjust"``, logit
confidence intervals for proportions). The rules are written down in the project's WHO
specification, sections 3.8–3.10.

Units
-----
* z-scores and their means, standard errors, limits and standard deviations: z (SD units);
* prevalences, their standard errors and confidence limits: percent (0–100);
* ``*_pop``: sum of sampling weights (persons represented); ``*_unwpop``: children (count);
* age: days or months (``age_unit``); one month = 30.4375 days.

The input is cleaned and put in scope by :mod:`capra.growth.prevalence_input`; the
design-based sums for every group and every indicator (:mod:`capra.growth.survey`) are
``numpy.bincount`` sums over one stacked (group, PSU) index; no Python loop runs over
children. ``DAYS_PER_MONTH`` and ``DataQualityWarning`` (the warning of rows left out of
scope or changed) are those of :mod:`capra.growth.prevalence_input`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from capra.growth.prevalence_input import (
    DAYS_PER_MONTH,
    TABLE_INDICATORS,
    DataQualityWarning,
    Prepared,
    Reference,
    prepare,
)
from capra.growth.survey import (
    Domains,
    domain_stats,
    domain_stats_many,
    estimate_frame,
    t_quantile,
)

__all__ = [
    "DAYS_PER_MONTH",
    "DataQualityWarning",
    "PrevalenceResult",
    "STANDARD_INDICATORS",
    "analysis_zscores",
    "prevalence",
    "prevalence_5_19",
    "prevalence_and_zscores",
]

# The cut-offs and the indicators reported (WHO specification §3.10)

#: Cut-offs, all strict: (threshold [z], direction, column suffix).
CUTOFFS: tuple[tuple[float, str, str], ...] = (
    (-3.0, "<", "_3"), (-2.0, "<", "_2"), (-1.0, "<", "_1"),
    (1.0, ">", "1"), (2.0, ">", "2"), (3.0, ">", "3"),
)

#: WHO's standard reporting cut-offs (specification §3.10): label → column prefix of the
#: prevalence table (``{prefix}_r`` is the prevalence in percent).
STANDARD_INDICATORS: dict[str, tuple[tuple[str, str], ...]] = {
    "anthro": (
        ("Stunting (HAZ < -2)", "HA_2"),
        ("Severe stunting (HAZ < -3)", "HA_3"),
        ("Wasting (WHZ < -2 or oedema)", "WH_2"),
        ("Severe wasting (WHZ < -3 or oedema)", "WH_3"),
        ("Underweight (WAZ < -2 or oedema)", "WA_2"),
        ("Overweight (WHZ > +2)", "WH2"),
        ("Obesity (WHZ > +3)", "WH3"),
    ),
    "anthroplus": (
        ("Stunting (HAZ < -2)", "HA_2"),
        ("Thinness (BAZ < -2 or oedema)", "BMI_2"),
        ("Severe thinness (BAZ < -3 or oedema)", "BMI_3"),
        ("Overweight (BAZ > +1)", "BMI1"),
        ("Obesity (BAZ > +2)", "BMI2"),
    ),
}

#: Indicator label → (z-score column, description) per reference.
Z_COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "anthro": {"HA": ("zlen", "length/height-for-age"), "WA": ("zwei", "weight-for-age"),
               "BMI": ("zbmi", "BMI-for-age"), "WH": ("zwfl", "weight-for-length/height")},
    "anthroplus": {"HA": ("zhfa", "height-for-age"), "WA": ("zwfa", "weight-for-age"),
                   "BMI": ("zbfa", "BMI-for-age")},
}


@dataclass
class PrevalenceResult:
    """Audit record of one prevalence computation (also in ``table.attrs``).

    Attributes
    ----------
    reference
        ``"anthro"`` (0–5 years) or ``"anthroplus"`` (5–19 years).
    rows_in
        Rows given. [count]
    rows_used
        Rows in scope after the exclusions. [count]
    excluded
        Rows left out of scope or changed, by reason. [count]
    degf
        Design degrees of freedom. [count]
    """

    reference: str
    rows_in: int
    rows_used: int
    excluded: dict[str, int] = field(default_factory=dict)
    degf: int = 0


def prevalence(data: pd.DataFrame, *,
               reference: Reference = "anthro",
               age: str | None = None,
               age_unit: Literal["days", "months"] | None = None,
               sex: str | None = None,
               oedema: str | None = "oedema",
               weights: str | None = None,
               cluster: str | None = None,
               strata: str | None = None,
               typeres: str | None = None,
               gregion: str | None = None,
               wealthq: str | None = None,
               mothered: str | None = None,
               othergr: str | None = None,
               oedema_codes: Mapping[object, bool] | None = None,
               zscore_options: Mapping | None = None,
               file: str | None = None) -> pd.DataFrame:
    """Prevalence table exactly as WHO's ``anthro_prevalence`` / ``anthroplus_prevalence``.

    Parameters
    ----------
    data
        One row per child. It holds the z-scores and WHO flags (``zlen, flen, zwei, fwei,
        zwfl, fwfl, zbmi, fbmi`` for ``anthro``; ``zhfa, fhfa, zwfa, fwfa, zbfa, fbfa`` for
        ``anthroplus``) [z; flags 0/1], plus the columns named below. A missing flag column
        is derived from the WHO flag limits. If no z-score column is present, the raw
        measurements are scored first with :func:`capra.growth.zscore.zscores`
        (``zscores(data, **zscore_options)``).
    reference
        ``"anthro"``: WHO Child Growth Standards, children 0–5 years (rows with age ≤ 1826
        days or missing age). ``"anthroplus"``: WHO Reference 2007, 60–228 months
        (missing ages are dropped).
    age
        Column of ages [d or month, see ``age_unit``]. Default: found by name as
        :func:`capra.growth.zscores` finds it (``age``, ``age_days``, ``age_months``, ...);
        in the output of :func:`~capra.growth.zscores` (z-scores with ``age_days`` and
        ``age_months``), ``age_months``.
    age_unit
        ``"days"`` or ``"months"``. Default: the unit the column's name implies
        (``age_months``: months), else days for ``anthro`` and months for ``anthroplus``;
        but ages that look like the other unit (``anthro``: none above
        :data:`~capra.growth.inputs.AGE_UNIT_GUESS_MAX`; ``anthroplus``: all above 228) raise
        :class:`DataError` asking for it. Months are converted with 30.4375 d/month,
        unrounded.
    sex
        Column of sex codes 1/m/male, 2/f/female (any case) or blank. Default: ``sex`` or
        ``gender``; ``csex`` in the output of :func:`~capra.growth.zscores`.
    oedema
        Column of bilateral-oedema codes, ``None`` if absent (all "no"). The default
        ``"oedema"`` also finds ``edema``, and ``coedema`` (y/n) in the output of
        :func:`~capra.growth.zscores`, which is read with its own codes.
    weights
        Column of sampling weights ≥ 0 [persons represented per child]; blanks become 0
        (the row then counts only in ``*_unwpop``), with a warning.
    cluster, strata
        Columns of cluster (PSU) and stratum labels. Rows with a blank are left out, with a
        warning. Clusters are nested in strata.
    typeres, gregion, wealthq, mothered, othergr
        Optional grouping columns: area, geographical region, wealth quintile (1–5 or
        Q1–Q5; other values become missing with a warning), maternal education, other.
    oedema_codes
        Mapping code → oedema present (bool), replacing the default
        ``{"y": True, "n": False, "1": True, "2": False}``; codes are compared trimmed and
        lower-cased.
    zscore_options
        Keyword arguments for :func:`capra.growth.zscore.zscores` when scoring is needed.
    file
        Name of the source file, quoted in error messages.

    Returns
    -------
    pandas.DataFrame
        One row per group (``Group``; for ``anthroplus`` also ``Years`` and ``Months``),
        with WHO's columns: ``{I}Z_pop`` (sum of weights), ``{I}Z_unwpop`` (count),
        ``{I}_3_*, {I}_2_*, {I}_1_*, {I}1_*, {I}2_*, {I}3_*`` with ``*`` in ``r, se, ll, ul``
        [percent], ``{I}_r, {I}_se, {I}_ll, {I}_ul, {I}_stdev`` [z], for I in HA, WA, BMI
        (and WH), and for ``anthro`` ``HA_2_WH_2_*`` (stunted and wasted) and
        ``HA_2_WH2_*`` (stunted and overweight) [percent]. ``table.attrs["prevalence"]``
        holds a :class:`PrevalenceResult`.

    Raises
    ------
    capra.errors.DataError
        A column is missing, or no row is left in scope.
    capra.errors.InvalidValuesError
        Invalid codes or numbers (sex, oedema, age, weights, z-scores, flags), negative
        weights: every offending row of every field is listed, numbered from 1 = first data
        row, and nothing is computed.

    Notes
    -----
    Estimators are those of the R ``survey`` package as WHO calls it (SPEC §3.8): the group
    is a domain of the whole design; SEs by Taylor linearisation with PSUs sampled with
    replacement; a stratum with one PSU adds its squared total ("adjust"); degrees of
    freedom = PSUs − strata; proportions get a logit interval, means a t interval.
    Two details depend on WHO's code path and are reproduced as such:

    * without cluster and strata (WHO's fast "simple"/"hybrid" paths) the z-score mean's
      interval uses N − 1 degrees of freedom (N = rows in scope) and the SD's ``n/(n-1)``
      counts the group's non-missing z-scores; free grouping levels keep their order of
      first appearance;
    * with a cluster or strata column (``survey`` throughout) the SD's n counts every row of
      the group with a non-zero weight, also rows whose z-score is missing (as
      ``svyvar(..., na.rm = TRUE)`` in a domain), and free grouping levels are sorted.
    """
    prep = prepare(data, reference=reference, age=age, age_unit=age_unit, sex=sex,
                    oedema=oedema, weights=weights, cluster=cluster, strata=strata,
                    typeres=typeres, gregion=gregion, wealthq=wealthq, mothered=mothered,
                    othergr=othergr, oedema_codes=oedema_codes,
                    zscore_options=zscore_options, file=file)
    return _tabulate(prep)


def _tabulate(prep: Prepared) -> pd.DataFrame:
    """WHO's prevalence table from prepared data."""
    reference, design, groups = prep.reference, prep.design, prep.groups
    prev, summ, inds = prep.prev, prep.summ, TABLE_INDICATORS[prep.reference]
    full_design, n = prep.full_design, prep.design.n
    codes = [g[1] for g in groups]
    n_levels = [len(g[2]) for g in groups]
    dm = Domains(design, codes, n_levels)
    t = t_quantile(design.degf)
    # WHO's fast paths (no cluster and no strata) take N - 1 degrees of freedom for the
    # z-score mean, N = rows in scope, and count only non-missing z in the SD; the full
    # survey path takes degf(design) and counts every row of the group (survey::svyvar).
    t_mean = t if full_design else t_quantile(n - 1)

    labels: list[str] = []
    for title, _, levels, _ in groups:
        labels += ["All" if title == "All" else f"{title}: {lv}" for lv in levels]
    columns: dict[str, np.ndarray] = {"Group": np.array(labels, dtype=object)}
    if reference == "anthroplus":
        columns["Years"] = np.array([y for g in groups for y in g[3][0]], dtype=object)
        columns["Months"] = np.array([m for g in groups for m in g[3][1]], dtype=object)

    def binary(x: np.ndarray, thr: float, op: str) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            hit = (x < thr) if op == "<" else (x > thr)
        return np.where(np.isnan(x), np.nan, hit.astype(float))

    for ind in inds:
        x = prev[ind.label]
        ests = domain_stats_many(dm, [binary(x, thr, op) for thr, op, _ in CUTOFFS])
        columns[f"{ind.label}Z_pop"] = ests[0]["pop"]
        columns[f"{ind.label}Z_unwpop"] = ests[0]["n"]
        for est, (_, _, suffix) in zip(ests, CUTOFFS, strict=True):
            fin = estimate_frame(est, t, proportion=True)
            for k in ("r", "se", "ll", "ul"):
                columns[f"{ind.label}{suffix}_{k}"] = fin[k].to_numpy()
        est = domain_stats(dm, summ[ind.label], with_sd=True,
                            sd_count="domain" if full_design else "valid")
        fin = estimate_frame(est, t_mean, proportion=False)
        for k in ("r", "se", "ll", "ul", "stdev"):
            columns[f"{ind.label}_{k}"] = fin[k].to_numpy()

    if reference == "anthro":
        ha, wh = prev["HA"], prev["WH"]
        missing = np.isnan(ha) | np.isnan(wh)
        for name, hit in (("HA_2_WH_2", (ha < -2) & (wh < -2)),
                          ("HA_2_WH2", (ha < -2) & (wh > 2))):
            y = np.where(missing, np.nan, hit.astype(float))
            est = domain_stats(dm, y, with_sd=False)
            if name == "HA_2_WH_2":
                columns[f"{name}_pop"] = est["pop"]
                columns[f"{name}_unwpop"] = est["n"]
            fin = estimate_frame(est, t, proportion=True)
            for k in ("r", "se", "ll", "ul"):
                columns[f"{name}_{k}"] = fin[k].to_numpy()

    table = pd.DataFrame(columns)
    if reference == "anthroplus":
        wa_cols = [c for c in table.columns if c.startswith("WA")]
        table.loc[:2, wa_cols] = np.nan       # All, Sex: Female, Sex: Male
    table.attrs["prevalence"] = PrevalenceResult(reference, prep.n_in, n, prep.excluded,
                                                 design.degf)
    return table


def analysis_zscores(data: pd.DataFrame, *, reference: Reference = "anthro",
                     **kwargs) -> pd.DataFrame:
    """The z-scores that enter the means and SDs of :func:`prevalence`, one row per child.

    Takes the same arguments as :func:`prevalence`. Returns the rows in scope (index of
    ``data`` kept) with one column per indicator (``HA, WA, BMI`` and for ``anthro`` ``WH``)
    in z units: flagged values and weight-based values of oedematous children are missing;
    plus ``weight`` [persons per child] and ``oedema`` (bool).
    """
    return prevalence_and_zscores(data, reference=reference, **kwargs)[1]


def prevalence_and_zscores(data: pd.DataFrame, *, reference: Reference = "anthro",
                           **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`prevalence` and :func:`analysis_zscores` in one pass over the data.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The prevalence table (percent and z units) and the analysis z-scores [z].
    """
    prep = prepare(data, reference=reference, **_prepare_defaults(reference, kwargs))
    out = pd.DataFrame(prep.summ, index=prep.index)
    out["weight"] = prep.design.weights
    out["oedema"] = prep.oedema
    return _tabulate(prep), out


def _prepare_defaults(reference: str, kwargs: dict) -> dict:
    names = ("age", "age_unit", "sex", "oedema", "weights", "cluster", "strata", "typeres",
             "gregion", "wealthq", "mothered", "othergr", "oedema_codes",
             "zscore_options", "file")
    unknown = set(kwargs) - set(names)
    if unknown:
        raise TypeError(f"unknown argument(s): {sorted(unknown)}")
    base = {"oedema": "oedema"}
    return {k: kwargs.get(k, base.get(k)) for k in names}


def prevalence_5_19(data: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Prevalence for ages 5–19 years, as WHO's ``anthroplus_prevalence``.

    Same as :func:`prevalence` with ``reference="anthroplus"``: ages in months (60–228
    inclusive; rows with a missing age are dropped with a warning), z-scores ``zhfa, zwfa,
    zbfa`` [z]; prevalences in percent.
    """
    return prevalence(data, reference="anthroplus", **kwargs)
