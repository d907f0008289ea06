"""Survey design and the design-based estimator of a mean or a proportion in domains, as the
R ``survey`` package computes them for WHO's prevalence tables (``svydesign``, ``svymean``
and ``svyciprop`` by domain, ``survey.lonely.psu = "adjust"``).

:func:`survey_design` builds a stratified cluster design sampled with replacement;
:func:`domain_estimates` gives the mean (or the proportion, in percent) of a variable in
each domain with its Taylor-linearisation standard error and 95 % interval. Many domains and
variables are estimated at once from one stacked (domain, PSU) index (:class:`Domains`,
:func:`domain_stats`, :func:`domain_stats_many`): ``numpy.bincount`` sums, no Python loop
over children. The rules are written down in the project's WHO specification, §3.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from capra.errors import ArgumentError

__all__ = ["CONFIDENCE_LEVEL", "SurveyDesign", "domain_estimates", "survey_design"]

#: Confidence level of every interval.
CONFIDENCE_LEVEL = 0.95



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
        raise ArgumentError(f"weights, cluster and strata must have one common length, got {sizes}")
    size = sizes.pop()
    w = np.ones(size) if weights is None else np.asarray(weights, dtype=float)
    if np.isnan(w).any() or (w < 0).any():
        raise ArgumentError("weights must be non-negative and not missing")
    s_codes = (np.zeros(size, dtype=np.int64) if strata is None
               else pd.factorize(pd.Series(np.asarray(strata, dtype=object)))[0].astype(np.int64))
    if (s_codes < 0).any():
        raise ArgumentError("strata must not be missing")
    if cluster is None or pd.Series(np.asarray(cluster, dtype=object)).nunique(dropna=False) <= 1:
        psu_key = np.arange(size, dtype=np.int64)
    else:
        c_codes = pd.factorize(pd.Series(np.asarray(cluster, dtype=object)))[0].astype(np.int64)
        if (c_codes < 0).any():
            raise ArgumentError("cluster must not be missing")
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


class Domains:
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


def domain_stats_many(dm: Domains, ys: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
    """:func:`domain_stats` for several variables sharing one pattern of missing values."""
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


def _variance(dm: Domains, u: np.ndarray) -> np.ndarray:
    """Taylor-linearisation variance per domain from the PSU totals ``u`` of each cell."""
    usum = np.bincount(dm.dp_dh, weights=u, minlength=dm.n_dh)
    ubar = np.where(dm.dh_single, 0.0, usum / np.maximum(dm.dh_nh, 1.0))
    dev = (np.bincount(dm.dp_dh, weights=(u - ubar[dm.dp_dh]) ** 2, minlength=dm.n_dh)
           + (dm.dh_nh - dm.dh_present) * ubar ** 2)  # PSUs without domain rows count as 0
    return np.bincount(dm.dh_dom, weights=dm.dh_scale * dev, minlength=dm.n_dom)


def domain_stats(dm: Domains, y: np.ndarray, *, with_sd: bool,
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


def t_quantile(degf: int) -> float:
    """Two-sided Student's t quantile of :data:`CONFIDENCE_LEVEL` with ``degf`` degrees of
    freedom (NaN without any)."""
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
    dm = Domains(design, [domains], [n_domains])
    est = domain_stats(dm, y, with_sd=not proportion, sd_count=sd_count)
    return estimate_frame(est, t_quantile(design.degf), proportion)


def estimate_frame(est: dict[str, np.ndarray], t: float, proportion: bool) -> pd.DataFrame:
    """The estimates of :func:`domain_stats` as a table with their intervals (``t``: the
    t quantile): proportions in percent with a logit interval, means with a t interval
    and the standard deviation (see :func:`domain_estimates`)."""
    r, se = est["r"], est["se"]
    if proportion:
        ll, ul = _logit_ci(r, se, t)
        cols = {"r": r * 100, "se": se * 100, "ll": ll * 100, "ul": ul * 100}
    else:
        cols = {"r": r, "se": se, "ll": r - t * se, "ul": r + t * se, "stdev": est["stdev"]}
    return pd.DataFrame({"pop": est["pop"], "unwpop": est["n"], **cols})
