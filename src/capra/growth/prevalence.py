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

Everything is vectorised: the design-based sums for every group and every indicator are
``numpy.bincount`` sums over one stacked (group, PSU) index; no Python loop runs over children.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from capra.errors import DataError, InvalidValuesError
from capra.rates import DAYS_PER_MONTH

__all__ = [
    "DAYS_PER_MONTH",
    "DataQualityWarning",
    "PrevalenceResult",
    "STANDARD_INDICATORS",
    "SurveyDesign",
    "analysis_zscores",
    "domain_estimates",
    "prevalence",
    "prevalence_5_19",
    "prevalence_and_zscores",
    "survey_design",
]

# ---------------------------------------------------------------------------------------
# Constants (WHO specification §3.5, §3.8–3.10)
# ---------------------------------------------------------------------------------------

#: Last age in scope for ``anthro_prevalence``: 1826 days = 59.99 months. [d]
MAX_AGE_DAYS_0_5 = 1826.0
#: Age range in scope for ``anthroplus_prevalence``, inclusive. [month]
AGE_RANGE_5_19 = (60.0, 228.0)
#: Upper age of weight-for-age in the WHO Reference 2007, inclusive. [month]
WFA_MAX_MONTHS_5_19 = 120.0
#: z-score given to children with bilateral oedema in the auxiliary (cut-off) columns. [z]
OEDEMA_AUX_Z = -3.1
#: Confidence level of every interval.
CONFIDENCE_LEVEL = 0.95
#: Cut-offs, all strict: (threshold [z], direction, column suffix).
CUTOFFS: tuple[tuple[float, str, str], ...] = (
    (-3.0, "<", "_3"), (-2.0, "<", "_2"), (-1.0, "<", "_1"),
    (1.0, ">", "1"), (2.0, ">", "2"), (3.0, ">", "3"),
)
#: WHO flag limits (z below the first or above the second is implausible). [z]
FLAG_LIMITS: dict[str, tuple[float, float]] = {
    "zlen": (-6.0, 6.0), "zwei": (-6.0, 5.0), "zwfl": (-5.0, 5.0), "zbmi": (-5.0, 5.0),
    "zhfa": (-6.0, 6.0), "zwfa": (-6.0, 5.0), "zbfa": (-5.0, 5.0),
}
#: Documented oedema codes (after trimming and lower-casing) → bilateral oedema present.
#: ``anthro`` reads 1 as "yes" and 2 as "no"; pass ``oedema_codes`` to state another coding.
DEFAULT_OEDEMA_CODES: dict[str, bool] = {"y": True, "n": False, "1": True, "2": False}
#: Documented sex codes (after trimming and lower-casing) → 1 male, 2 female; the words
#: are accepted too, as by ``capra db import`` and :func:`capra.growth.zscores`.
SEX_CODES: dict[str, int] = {"1": 1, "m": 1, "male": 1, "2": 2, "f": 2, "female": 2}

Reference = Literal["anthro", "anthroplus"]

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


@dataclass(frozen=True)
class _Indicator:
    label: str          # HA, WA, BMI, WH
    z: str              # z-score column
    flag: str           # flag column
    aux: bool           # oedema gives -3.1 in the cut-off column


_INDICATORS: dict[str, tuple[_Indicator, ...]] = {
    "anthro": (
        _Indicator("HA", "zlen", "flen", False),
        _Indicator("WA", "zwei", "fwei", True),
        _Indicator("BMI", "zbmi", "fbmi", True),
        _Indicator("WH", "zwfl", "fwfl", True),
    ),
    "anthroplus": (
        _Indicator("HA", "zhfa", "fhfa", False),
        _Indicator("WA", "zwfa", "fwfa", True),
        _Indicator("BMI", "zbfa", "fbfa", True),
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
# Survey design and the domain estimator
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SurveyDesign:
    """A stratified cluster design, sampled with replacement at the first stage.

    Attributes
    ----------
    weights
        Sampling weight of each row. [persons represented per child]
    psu
        Dense code ``0..n_psu-1`` of each row's primary sampling unit (PSU).
    psu_stratum
        Stratum code ``0..n_strata-1`` of each PSU.
    n_psu_in_stratum
        Number of PSUs of each stratum in the whole design. [count]
    degf
        Design degrees of freedom: PSUs minus strata, counting only rows with a non-zero
        weight (as the R ``survey`` package's ``degf``). [count]
    """

    weights: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu_in_stratum: np.ndarray
    degf: int

    @property
    def n(self) -> int:
        """Number of rows (children). [count]"""
        return int(self.weights.size)


def survey_design(weights: Sequence[float] | np.ndarray | None = None,
                  cluster: Sequence | np.ndarray | None = None,
                  strata: Sequence | np.ndarray | None = None,
                  n: int | None = None) -> SurveyDesign:
    """Build a design like ``svydesign(ids=~cluster, strata=~strata, weights=~w, nest=TRUE)``.

    Parameters
    ----------
    weights
        Sampling weights, ≥ 0, no missing values; ``None`` for equal weights of 1.
        [persons represented per child]
    cluster
        Cluster (PSU) label of each row, no missing values. ``None``, or a single distinct
        value, means every row is its own PSU (``ids = ~1``). Clusters are nested in strata.
    strata
        Stratum label of each row, no missing values; ``None`` for one stratum.
    n
        Number of rows, needed only when all three are ``None``. [count]

    Returns
    -------
    SurveyDesign
    """
    sizes = {len(x) for x in (weights, cluster, strata) if x is not None}
    if n is not None:
        sizes.add(n)
    if len(sizes) != 1:
        raise ValueError(f"weights, cluster and strata must have one common length, got {sizes}")
    size = sizes.pop()
    w = np.ones(size) if weights is None else np.asarray(weights, dtype=float)
    if np.isnan(w).any() or (w < 0).any():
        raise ValueError("weights must be non-negative and not missing")
    s_codes = (np.zeros(size, dtype=np.int64) if strata is None
               else pd.factorize(pd.Series(np.asarray(strata, dtype=object)))[0].astype(np.int64))
    if (s_codes < 0).any():
        raise ValueError("strata must not be missing")
    if cluster is None or pd.Series(np.asarray(cluster, dtype=object)).nunique(dropna=False) <= 1:
        psu_key = np.arange(size, dtype=np.int64)
    else:
        c_codes = pd.factorize(pd.Series(np.asarray(cluster, dtype=object)))[0].astype(np.int64)
        if (c_codes < 0).any():
            raise ValueError("cluster must not be missing")
        psu_key = s_codes * (c_codes.max() + 1) + c_codes      # nest=TRUE
    psu, uniq = pd.factorize(psu_key)
    psu = psu.astype(np.int64)
    n_psu = len(uniq)
    psu_stratum = np.zeros(n_psu, dtype=np.int64)
    psu_stratum[psu] = s_codes
    n_strata = int(s_codes.max()) + 1 if size else 0
    n_psu_in_stratum = np.bincount(psu_stratum, minlength=n_strata)
    inset = w != 0
    degf = int(np.unique(psu[inset]).size - np.unique(s_codes[inset]).size)
    return SurveyDesign(w, psu, psu_stratum, n_psu_in_stratum, degf)


def _dense_codes(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of the integer ``key`` (all < ``size``) and each key's rank."""
    if size <= 20_000_000:                            # counting instead of sorting
        present = np.bincount(key, minlength=size) > 0
        rank = np.cumsum(present) - 1
        return np.flatnonzero(present), rank[key]
    return np.unique(key, return_inverse=True)


class _Domains:
    """Stacked index of (domain, PSU) and (domain, stratum) cells for many domains at once."""

    def __init__(self, design: SurveyDesign, codes: Sequence[np.ndarray],
                 n_levels: Sequence[int]):
        offsets = np.concatenate([[0], np.cumsum(n_levels)]).astype(np.int64)
        rows, dom = [], []
        for c, off in zip(codes, offsets[:-1], strict=True):
            c = np.asarray(c, dtype=np.int64)
            idx = np.flatnonzero(c >= 0)
            rows.append(idx)
            dom.append(c[idx] + off)
        self.n_dom = int(offsets[-1])
        self.rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        self.dom = np.concatenate(dom) if dom else np.zeros(0, np.int64)
        n_psu = max(int(design.psu_stratum.size), 1)
        n_strata = max(int(design.n_psu_in_stratum.size), 1)
        dp_key = self.dom * n_psu + design.psu[self.rows]
        dp_uniq, self.dp = _dense_codes(dp_key, self.n_dom * n_psu)
        self.n_dp = dp_uniq.size
        self.dp_dom = dp_uniq // n_psu
        dp_stratum = design.psu_stratum[dp_uniq % n_psu]
        dh_uniq, self.dp_dh = _dense_codes(self.dp_dom * n_strata + dp_stratum,
                                           self.n_dom * n_strata)
        self.n_dh = dh_uniq.size
        self.dh_dom = dh_uniq // n_strata
        self.dh_nh = design.n_psu_in_stratum[dh_uniq % n_strata].astype(float)
        self.dh_present = np.bincount(self.dp_dh, minlength=self.n_dh).astype(float)
        single = self.dh_nh <= 1
        self.dh_single = single
        self.dh_scale = np.where(single, 1.0, self.dh_nh / np.maximum(self.dh_nh - 1.0, 1.0))
        self.w = design.weights[self.rows]


def _domain_stats_many(dm: _Domains, ys: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """:func:`_domain_stats` for several variables sharing one pattern of missing values."""
    yv0 = ys[0][dm.rows]
    valid = ~np.isnan(yv0)
    wv = np.where(valid, dm.w, 0.0)
    n = np.bincount(dm.dom, weights=valid, minlength=dm.n_dom)
    b = np.bincount(dm.dp, weights=wv, minlength=dm.n_dp)
    wsum = np.bincount(dm.dp_dom, weights=b, minlength=dm.n_dom)
    ok = (n > 0) & (wsum > 0)
    w_dp = np.where(ok[dm.dp_dom], wsum[dm.dp_dom], 1.0)
    out = []
    for y in ys:
        yv = y[dm.rows]
        a = np.bincount(dm.dp, weights=np.where(valid, wv * yv, 0.0), minlength=dm.n_dp)
        ysum = np.bincount(dm.dp_dom, weights=a, minlength=dm.n_dom)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(ok, ysum / np.where(ok, wsum, 1.0), np.nan)
        u = (a - np.nan_to_num(r[dm.dp_dom]) * b) / w_dp
        out.append({"n": n, "pop": wsum, "r": r,
                    "se": np.where(ok, np.sqrt(_variance(dm, u)), np.nan)})
    return out


def _variance(dm: _Domains, u: np.ndarray) -> np.ndarray:
    """Taylor-linearisation variance per domain from the PSU totals ``u`` of each cell."""
    usum = np.bincount(dm.dp_dh, weights=u, minlength=dm.n_dh)
    ubar = np.where(dm.dh_single, 0.0, usum / np.maximum(dm.dh_nh, 1.0))
    dev = (np.bincount(dm.dp_dh, weights=(u - ubar[dm.dp_dh]) ** 2, minlength=dm.n_dh)
           + (dm.dh_nh - dm.dh_present) * ubar ** 2)  # PSUs without domain rows count as 0
    return np.bincount(dm.dh_dom, weights=dm.dh_scale * dev, minlength=dm.n_dom)


def _domain_stats(dm: _Domains, y: np.ndarray, *, with_sd: bool,
                  sd_count: Literal["valid", "domain"] = "valid") -> dict[str, np.ndarray]:
    """Design-based mean and SE of ``y`` (NaN = missing) in every domain of ``dm``.

    ``sd_count`` is the n of the ``n/(n-1)`` factor of the standard deviation: ``"valid"``
    counts the non-missing values of the domain; ``"domain"`` counts every row of the domain
    with a non-zero weight, missing or not (what ``survey::svyvar`` does with
    ``na.rm = TRUE`` in a domain).
    """
    yv = y[dm.rows]
    valid = ~np.isnan(yv)
    wv = np.where(valid, dm.w, 0.0)
    y0 = np.where(valid, yv, 0.0)
    n = np.bincount(dm.dom, weights=valid, minlength=dm.n_dom)
    b = np.bincount(dm.dp, weights=wv, minlength=dm.n_dp)
    a = np.bincount(dm.dp, weights=wv * y0, minlength=dm.n_dp)
    wsum = np.bincount(dm.dp_dom, weights=b, minlength=dm.n_dom)
    ysum = np.bincount(dm.dp_dom, weights=a, minlength=dm.n_dom)
    ok = (n > 0) & (wsum > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(ok, ysum / np.where(ok, wsum, 1.0), np.nan)
        r_dp = np.nan_to_num(r[dm.dp_dom])
        w_dp = np.where(ok[dm.dp_dom], wsum[dm.dp_dom], 1.0)
        u = (a - r_dp * b) / w_dp                     # PSU totals of the influence values
    var = _variance(dm, u)
    out = {"n": n, "pop": wsum, "r": r, "se": np.where(ok, np.sqrt(var), np.nan)}
    if with_sd:
        d = np.where(valid, yv - np.nan_to_num(r[dm.dom]), 0.0)
        ss = np.bincount(dm.dom, weights=wv * d * d, minlength=dm.n_dom)
        if sd_count == "domain":
            n_sd = np.bincount(dm.dom, weights=dm.w != 0, minlength=dm.n_dom)
        else:
            n_sd = n
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(ss / wsum * n_sd / (n_sd - 1.0))
        out["stdev"] = np.where(ok & (n_sd > 1), sd, np.nan)
    return out


def _t_quantile(degf: int) -> float:
    if degf <= 0:
        return float("nan")
    from scipy import stats  # imported here: SciPy takes longer to load than the rest

    return float(stats.t.ppf(0.5 + CONFIDENCE_LEVEL / 2.0, degf))


def _logit_ci(p: np.ndarray, se: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """Logit interval of a proportion ``p`` (0–1) with standard error ``se`` (0–1)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        inner = (p > 0) & (p < 1)
        pc = np.where(inner, p, 0.5)
        half = t * se / (pc * (1.0 - pc))
        logit = np.log(pc / (1.0 - pc))
        ll = np.where(inner, 1.0 / (1.0 + np.exp(-(logit - half))), p)
        ul = np.where(inner, 1.0 / (1.0 + np.exp(-(logit + half))), p)
    return ll, ul


def domain_estimates(design: SurveyDesign, y: np.ndarray,
                     domains: np.ndarray | None = None, n_domains: int | None = None,
                     *, proportion: bool = False,
                     sd_count: Literal["valid", "domain"] = "valid") -> pd.DataFrame:
    """Design-based estimate of the mean of ``y`` in each domain, as the R ``survey`` package.

    Parameters
    ----------
    design
        The survey design (see :func:`survey_design`).
    y
        Values, one per row of the design; NaN = missing (excluded from the domain).
        Any unit; for ``proportion=True`` 0/1 indicators.
    domains
        Domain code of each row, ``0..n_domains-1``, or -1 for rows in no domain.
        ``None``: one domain holding every row.
    n_domains
        Number of domains, including empty ones. [count]
    proportion
        If true, report ``r, se, ll, ul`` in percent with a logit interval (``svyciprop``,
        ``method = "logit"``); otherwise in the unit of ``y`` with a t interval, plus
        ``stdev`` (``sqrt(svyvar)``).
    sd_count
        n of the ``n/(n-1)`` factor of ``stdev``: ``"valid"`` (non-missing values of the
        domain) or ``"domain"`` (every row of the domain with a non-zero weight, as
        ``survey::svyvar`` with ``na.rm = TRUE``).

    Returns
    -------
    pandas.DataFrame
        One row per domain: ``pop`` (sum of weights of non-missing rows), ``unwpop`` (their
        count), ``r``, ``se``, ``ll``, ``ul`` [and ``stdev``]. Intervals use Student's t with
        ``design.degf`` degrees of freedom at 95 %.
    """
    y = np.asarray(y, dtype=float)
    if domains is None:
        domains = np.zeros(design.n, dtype=np.int64)
        n_domains = 1
    domains = np.asarray(domains, dtype=np.int64)
    if n_domains is None:
        n_domains = int(domains.max()) + 1 if domains.size else 0
    dm = _Domains(design, [domains], [n_domains])
    est = _domain_stats(dm, y, with_sd=not proportion, sd_count=sd_count)
    return _finish(est, _t_quantile(design.degf), proportion)


def _finish(est: dict[str, np.ndarray], t: float, proportion: bool) -> pd.DataFrame:
    r, se = est["r"], est["se"]
    if proportion:
        ll, ul = _logit_ci(r, se, t)
        cols = {"r": r * 100, "se": se * 100, "ll": ll * 100, "ul": ul * 100}
    else:
        cols = {"r": r, "se": se, "ll": r - t * se, "ul": r + t * se, "stdev": est["stdev"]}
    return pd.DataFrame({"pop": est["pop"], "unwpop": est["n"], **cols})


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
# The prevalence table
# ---------------------------------------------------------------------------------------

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


_ZCOLS = {"anthro": ("zlen", "zwei", "zwfl", "zbmi"), "anthroplus": ("zhfa", "zwfa", "zbfa")}
_RAW_MEASUREMENTS = {"anthro": ("weight", "lenhei"), "anthroplus": ("weight", "height")}


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
    from capra.growth.zscore import zscores  # imported here: the z engine is optional

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
        :data:`~capra.growth.zscore.AGE_UNIT_GUESS_MAX`; ``anthroplus``: all above 228) raise
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
    prep = _prepare(data, reference=reference, age=age, age_unit=age_unit, sex=sex,
                    oedema=oedema, weights=weights, cluster=cluster, strata=strata,
                    typeres=typeres, gregion=gregion, wealthq=wealthq, mothered=mothered,
                    othergr=othergr, oedema_codes=oedema_codes,
                    zscore_options=zscore_options, file=file)
    return _tabulate(prep)


@dataclass
class _Prepared:
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


def _prepare(data, *, reference, age, age_unit, sex, oedema, weights, cluster, strata,
             typeres, gregion, wealthq, mothered, othergr, oedema_codes, zscore_options,
             file) -> _Prepared:
    """Clean the input, apply WHO's scope rules and build the design and the groups."""
    from capra.growth.zscore import (
        AGE_NAME_UNITS,
        AGE_UNIT_GUESS_MAX,
        ages_look_like_months,
        find_column,
        missing_column_error,
    )

    if reference not in _INDICATORS:
        raise ValueError(f"reference must be 'anthro' or 'anthroplus', not {reference!r}")
    if age_unit not in (None, "days", "months"):
        raise ValueError(f"age_unit must be 'days' or 'months', not {age_unit!r}")
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
    inds = _INDICATORS[reference]
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
    return _Prepared(reference, n_in, excluded, data.index[idx], oed, age_months, summ, prev,
                     design, full_design, groups)


def _tabulate(prep: _Prepared) -> pd.DataFrame:
    """WHO's prevalence table from prepared data."""
    reference, design, groups = prep.reference, prep.design, prep.groups
    prev, summ, inds = prep.prev, prep.summ, _INDICATORS[prep.reference]
    full_design, n = prep.full_design, prep.design.n
    codes = [g[1] for g in groups]
    n_levels = [len(g[2]) for g in groups]
    dm = _Domains(design, codes, n_levels)
    t = _t_quantile(design.degf)
    # WHO's fast paths (no cluster and no strata) take N - 1 degrees of freedom for the
    # z-score mean, N = rows in scope, and count only non-missing z in the SD; the full
    # survey path takes degf(design) and counts every row of the group (survey::svyvar).
    t_mean = t if full_design else _t_quantile(n - 1)

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
        ests = _domain_stats_many(dm, [binary(x, thr, op) for thr, op, _ in CUTOFFS])
        columns[f"{ind.label}Z_pop"] = ests[0]["pop"]
        columns[f"{ind.label}Z_unwpop"] = ests[0]["n"]
        for est, (_, _, suffix) in zip(ests, CUTOFFS, strict=True):
            fin = _finish(est, t, proportion=True)
            for k in ("r", "se", "ll", "ul"):
                columns[f"{ind.label}{suffix}_{k}"] = fin[k].to_numpy()
        est = _domain_stats(dm, summ[ind.label], with_sd=True,
                            sd_count="domain" if full_design else "valid")
        fin = _finish(est, t_mean, proportion=False)
        for k in ("r", "se", "ll", "ul", "stdev"):
            columns[f"{ind.label}_{k}"] = fin[k].to_numpy()

    if reference == "anthro":
        ha, wh = prev["HA"], prev["WH"]
        missing = np.isnan(ha) | np.isnan(wh)
        for name, hit in (("HA_2_WH_2", (ha < -2) & (wh < -2)),
                          ("HA_2_WH2", (ha < -2) & (wh > 2))):
            y = np.where(missing, np.nan, hit.astype(float))
            est = _domain_stats(dm, y, with_sd=False)
            if name == "HA_2_WH_2":
                columns[f"{name}_pop"] = est["pop"]
                columns[f"{name}_unwpop"] = est["n"]
            fin = _finish(est, t, proportion=True)
            for k in ("r", "se", "ll", "ul"):
                columns[f"{name}_{k}"] = fin[k].to_numpy()

    table = pd.DataFrame(columns)
    if reference == "anthroplus":
        wa_cols = [c for c in table.columns if c.startswith("WA")]
        table.loc[:2, wa_cols] = np.nan       # All, Sex: Female, Sex: Male
    table.attrs["prevalence"] = PrevalenceResult(reference, prep.n_in, n, prep.excluded,
                                                 design.degf)
    return table


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
    prep = _prepare(data, reference=reference, **_prepare_defaults(reference, kwargs))
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
