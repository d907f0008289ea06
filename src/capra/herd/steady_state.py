"""The DynMod six-cohort steady state of a herd, in the daily form of FAO's GLEAM-X.

:func:`steady_state` is the six-cohort DynMod model ("STEADY1", Lesnoff 2013) in its daily
form as published by FAO's GLEAM-X herd module: constant death and offtake rates per
sex-age cohort, a constant parturition rate, and the stable structure of the herd with its
growth rate. Implemented from the equations stated in words in
``shared/data/herd/README.md`` (the published model, not its code). It is deterministic
and independent of Capra's own daily herd model (:mod:`capra.herd.simulate`,
:mod:`capra.herd.mean_path`).

Units: durations and ages in days [d], rates as probabilities over a stated period [-],
hazards per day [1/d], stocks in head.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from capra.errors import ArgumentError, DataError
from capra.rates import competing_risks, risk_to_hazard

__all__ = [
    "COHORTS",
    "STATES",
    "DYNMOD_DAYS_PER_YEAR",
    "SteadyState",
    "StableDistance",
    "cohort_daily_probabilities",
    "class_exit_probability",
    "offtake_hazard",
    "projection_matrix",
    "steady_state",
    "distance_from_stable",
]


#: The six sex-age cohorts of DynMod: female/male (F/M) juvenile, sub-adult, adult (J/S/A).
COHORTS = ("FJ", "FS", "FA", "MJ", "MS", "MA")

#: States of the daily projection: each sex has a one-day birth cohort (B), the three
#: cohorts, and a one-day cull cohort (C) whose animals are all taken off.
STATES = ("FB", "FJ", "FS", "FA", "FC", "MB", "MJ", "MS", "MA", "MC")

#: Length of the year in the DynMod/GLEAM equations (fecundity per day = annual rate / 365;
#: a cohort rate is annual when the cohort lasts 365 days or more). [d] Part of the
#: published model, hence not :data:`capra.rates.DAYS_PER_YEAR` (365.25), which converts
#: Capra's own annual rates.
DYNMOD_DAYS_PER_YEAR = 365

_FIELDS = ("duration_days", "offtake_rate", "death_rate")

#: Largest offtake hazard tried over a cohort period before giving up (the offtake
#: share x / (H + x) of any realistic death hazard H is then 1 to 15 digits). [-]
_MAX_PERIOD_HAZARD = 1e15



def _check_cohort_names(names, what: str, field: str) -> None:
    """Every name a known cohort (with the nearest one suggested), and none missing."""
    for name in names:
        if name not in COHORTS:
            near = difflib.get_close_matches(name, COHORTS, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise DataError(f"unknown cohort {name!r}; valid cohorts: {', '.join(COHORTS)}"
                            f"{hint}", field="cohort", value=name)
    missing = [c for c in COHORTS if c not in names]
    if missing:
        raise DataError(f"{what} {', '.join(missing)} are missing; all of {', '.join(COHORTS)} "
                        "are needed", field=field, value=missing)

def _cohort_table(cohorts) -> pd.DataFrame:
    """Validate the cohort inputs and return them as a float table indexed by cohort."""
    if isinstance(cohorts, pd.DataFrame):
        table = cohorts.copy()
        if "cohort" in table.columns:
            table = table.set_index("cohort")
        rows = {str(k): table.loc[k].to_dict() for k in table.index}
    elif isinstance(cohorts, Mapping):
        rows = {str(k): dict(v) for k, v in cohorts.items()}
    else:
        raise ArgumentError("cohorts must be a pandas DataFrame indexed by cohort or a "
                            f"mapping {{cohort: {{field: value}}}}, got "
                            f"{type(cohorts).__name__}")
    _check_cohort_names(rows, "cohorts", "cohort")
    out = {}
    for name in COHORTS:
        row = rows[name]
        values = {}
        for fld in _FIELDS:
            if fld not in row:
                raise DataError(f"cohort {name!r} has no {fld!r}", field=fld)
            try:
                v = float(row[fld])
            except (TypeError, ValueError):
                raise DataError(f"cohort {name!r}: {fld} must be a number, got {row[fld]!r}",
                                field=fld, value=row[fld]) from None
            if not math.isfinite(v):
                raise DataError(f"cohort {name!r}: {fld} must be finite, got {v!r}",
                                field=fld, value=v)
            values[fld] = v
        low = 2.0 if name[1] == "J" else 1.0       # juveniles: birth day + at least one day
        if values["duration_days"] < low:
            raise DataError(f"cohort {name!r}: duration_days must be >= {low:g} days, got "
                            f"{values['duration_days']!r}", field="duration_days",
                            value=values["duration_days"])
        for fld in ("offtake_rate", "death_rate"):
            if not 0.0 <= values[fld] < 1.0:
                raise DataError(f"cohort {name!r}: {fld} must be a probability in [0, 1), "
                                f"got {values[fld]!r}", field=fld, value=values[fld])
        out[name] = values
    return pd.DataFrame.from_dict(out, orient="index")[list(_FIELDS)]


def offtake_hazard(offtake_rate: float, death_hazard: float, period_days: float,
                   *, cohort: str | None = None) -> float:
    """Offtake hazard that gives ``offtake_rate`` over a period, competing with death.

    Solves ``x / (H + x) * (1 - exp(-(H + x))) = offtake_rate`` for ``x`` with
    ``H = death_hazard * period_days`` (Brent's method; the left side increases from 0 to 1
    with ``x``, so a rate in [0, 1) has exactly one solution), and returns
    ``x / period_days``.

    Parameters
    ----------
    offtake_rate
        Probability of being taken off during the period, death competing. [-]
    death_hazard
        Death hazard. [1/d]
    period_days
        Period the rate refers to. [d]
    cohort
        Name used in error messages.

    Returns
    -------
    float
        Offtake hazard. [1/d]

    Raises
    ------
    DataError
        If no finite hazard gives the rate (rate outside [0, 1) or non-finite death hazard).
    """
    where = f"cohort {cohort!r}: " if cohort else ""
    o = float(offtake_rate)
    big_h = float(death_hazard) * float(period_days)
    if not 0.0 <= o < 1.0 or not math.isfinite(big_h) or big_h < 0.0:
        raise DataError(f"{where}no offtake hazard gives offtake_rate {o!r} with a death "
                        f"hazard of {death_hazard!r} per day over {period_days!r} days",
                        field="offtake_rate", value=o)
    if o == 0.0:
        return 0.0

    def excess(x: float) -> float:
        total = big_h + x
        share = x / total if total > 0.0 else 0.0
        return share * -math.expm1(-total) - o

    hi = 1.0
    while excess(hi) <= 0.0:
        hi *= 2.0
        if hi > _MAX_PERIOD_HAZARD:
            raise DataError(f"{where}no offtake hazard below {_MAX_PERIOD_HAZARD:g} per "
                            f"period gives offtake_rate {o!r}", field="offtake_rate", value=o)
    x = brentq(excess, 0.0, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
    return x / float(period_days)


def class_exit_probability(survival: ArrayLike, duration_days: ArrayLike) -> np.ndarray:
    """Daily probability that a survivor leaves its class, geometric "steady" approach.

    ``g = (s^(D-1) - s^D) / (1 - s^D)``: the exit probability that makes the class, with
    daily survival ``s``, hold the stable number of animals of a class ``D`` days long
    (DynMod, Lesnoff 2013). For ``s = 1`` the limit ``1 / D``.

    Parameters
    ----------
    survival
        Daily probability of staying in the herd (neither dying nor taken off). [-]
    duration_days
        Duration of the class. [d]

    Returns
    -------
    numpy.ndarray
        Daily exit probability of a surviving animal. [-]
    """
    s = np.asarray(survival, dtype=float)
    d = np.asarray(duration_days, dtype=float)
    log_s = np.log(s)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.exp((d - 1.0) * log_s) * -np.expm1(log_s) / -np.expm1(d * log_s)
    return np.where(s >= 1.0, 1.0 / d, g)



def cohort_daily_probabilities(cohorts) -> pd.DataFrame:
    """Daily death, offtake, survival and class-exit probabilities of each cohort.

    For cohort ``k`` with duration ``D_k`` [d], ``T_k = min(D_k, 365)`` [d] is the period
    its rates refer to. Death hazard ``h_d = -ln(1 - death_rate) / T_k`` [1/d]; offtake
    hazard ``h_o`` from :func:`offtake_hazard`; daily probabilities as competing risks
    (:func:`capra.rates.competing_risks`); survival ``s = 1 - p_death - p_offtake``; the
    class exit probability ``g`` from :func:`class_exit_probability` with the time spent in
    the class, which for juveniles is ``D - 1`` (their first day is the birth cohort).

    Parameters
    ----------
    cohorts
        DataFrame indexed by cohort (FJ FS FA MJ MS MA), or a mapping ``{cohort: {field:
        value}}``, with ``duration_days`` [d], ``offtake_rate`` [-] and ``death_rate`` [-]
        (over the duration when it is under 365 days, else annual).

    Returns
    -------
    pandas.DataFrame
        Indexed by cohort: ``period_days`` [d], ``days_in_class`` [d],
        ``death_hazard_per_day`` [1/d], ``offtake_hazard_per_day`` [1/d], ``p_death`` [-],
        ``p_offtake`` [-], ``survival`` [-], ``exit_probability`` [-].

    Raises
    ------
    DataError
        For an unknown or missing cohort, a missing or non-numeric field, a rate outside
        [0, 1) or a duration below 1 day (2 days for juveniles); the message names the
        cohort and the field.
    """
    table = _cohort_table(cohorts)
    rows = {}
    for name, row in table.iterrows():
        period = min(row.duration_days, DYNMOD_DAYS_PER_YEAR)
        h_d = float(risk_to_hazard(row.death_rate, period))
        h_o = offtake_hazard(row.offtake_rate, h_d, period, cohort=name)
        p_death, p_off = competing_risks([h_d, h_o])
        surv = 1.0 - p_death - p_off
        in_class = row.duration_days - 1.0 if name[1] == "J" else row.duration_days
        rows[name] = dict(period_days=period, days_in_class=in_class,
                          death_hazard_per_day=h_d, offtake_hazard_per_day=h_o,
                          p_death=float(p_death), p_offtake=float(p_off), survival=surv,
                          exit_probability=float(class_exit_probability(surv, in_class)))
    return pd.DataFrame.from_dict(rows, orient="index")


def _herd_inputs(parturition_rate, litter_size, female_fraction, herd_size=None):
    checks = [("parturition_rate", parturition_rate, lambda v: v >= 0.0, ">= 0"),
              ("litter_size", litter_size, lambda v: v > 0.0, "> 0"),
              ("female_fraction", female_fraction, lambda v: 0.0 <= v <= 1.0, "in [0, 1]")]
    if herd_size is not None:
        checks.append(("herd_size", herd_size, lambda v: v > 0.0, "> 0"))
    for name, value, ok, rule in checks:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ArgumentError(f"{name} must be a number, got {value!r}") from None
        if not math.isfinite(v) or not ok(v):
            raise ArgumentError(f"{name} must be {rule}, got {value!r}")


def projection_matrix(cohorts, parturition_rate: float, litter_size: float,
                      female_fraction: float) -> tuple[np.ndarray, pd.DataFrame]:
    """Daily projection matrix of the ten-state DynMod herd.

    ``n(t + 1) = A @ n(t)`` over the states :data:`STATES` (head at the start of a day).
    Each day, an animal of cohort ``k`` dies with ``p_death``, is taken off with
    ``p_offtake``, or survives; a survivor moves to the next cohort with the exit
    probability ``g_k``. Adult females present at the start of the day give
    ``litter_size * parturition_rate / 365`` newborns each, a fraction ``female_fraction``
    of them female, who spend one day in the birth cohort (juvenile hazards, all
    survivors move on to the juvenile cohort). Adults that move on enter the one-day cull
    cohort, whose animals are all taken off the next day.

    Parameters
    ----------
    cohorts
        Cohort inputs as for :func:`cohort_daily_probabilities`.
    parturition_rate
        Parturitions per adult female per year. [1/yr]
    litter_size
        Newborns per parturition. [head]
    female_fraction
        Fraction of newborns that are female. [-]

    Returns
    -------
    (numpy.ndarray, pandas.DataFrame)
        The 10 × 10 matrix (rows: state tomorrow, columns: state today) [-], and the daily
        probabilities of :func:`cohort_daily_probabilities`.
    """
    _herd_inputs(parturition_rate, litter_size, female_fraction)
    prob = cohort_daily_probabilities(cohorts)
    idx = {s: i for i, s in enumerate(STATES)}
    a = np.zeros((len(STATES), len(STATES)))
    births = litter_size * parturition_rate / DYNMOD_DAYS_PER_YEAR
    for sex, share in (("F", female_fraction), ("M", 1.0 - female_fraction)):
        b, j, s, ad, c = (idx[sex + x] for x in "BJSAC")
        pj, ps, pa = (prob.loc[sex + x] for x in "JSA")
        a[j, b] = pj.survival
        a[j, j] = pj.survival * (1.0 - pj.exit_probability)
        a[s, j] = pj.survival * pj.exit_probability
        a[s, s] = ps.survival * (1.0 - ps.exit_probability)
        a[ad, s] = ps.survival * ps.exit_probability
        a[ad, ad] = pa.survival * (1.0 - pa.exit_probability)
        a[c, ad] = pa.survival * pa.exit_probability
        a[b, idx["FA"]] = births * share
    return a, prob


def _offtake_vector(prob: pd.DataFrame) -> np.ndarray:
    """Daily probability of being taken off, per state (cull cohort: all). [-]"""
    p = np.empty(len(STATES))
    for i, state in enumerate(STATES):
        sex, part = state
        if part == "C":
            p[i] = 1.0
        else:
            p[i] = prob.loc[sex + ("J" if part == "B" else part), "p_offtake"]
    return p


def _state_to_cohort(values: np.ndarray) -> np.ndarray:
    """Sum state values into the six cohorts: juveniles with their birth cohort; the cull
    cohort with the adults (used for offtake only: cull-cohort animals leave the herd on
    their day and are not in the stock)."""
    v = dict(zip(STATES, values))
    return np.array([v["FB"] + v["FJ"], v["FS"], v["FA"] + v["FC"],
                     v["MB"] + v["MJ"], v["MS"], v["MA"] + v["MC"]])


def _stock_from_states(values: np.ndarray) -> np.ndarray:
    """Stock per cohort from state values: juveniles include the birth cohort; the cull
    cohort is not counted (its animals are taken off on the day they are in it). [head]"""
    v = dict(zip(STATES, values))
    return np.array([v["FB"] + v["FJ"], v["FS"], v["FA"], v["MB"] + v["MJ"], v["MS"],
                     v["MA"]])


@dataclass(frozen=True)
class SteadyState:
    """Stable structure of a DynMod herd.

    Attributes
    ----------
    stock
        Indexed by cohort FJ FS FA MJ MS MA: ``stock`` [head] (juveniles include the
        one-day birth cohort), ``share`` [-] (sums to 1), ``annual_offtake_heads``
        [head/yr]: animals taken off during the year that starts from the stable structure
        scaled to ``herd_size`` (the herd changes by ``growth_rate_per_year`` over the
        year; adults include their one-day cull cohort, juveniles their birth cohort).
    daily_lambda
        Dominant eigenvalue of the daily projection matrix: the herd's growth factor per
        day. [-]
    growth_rate_per_year
        ``daily_lambda ** 365 - 1``. [1/yr]
    damping_ratio
        ``daily_lambda / |second eigenvalue|``: how fast a herd converges to the stable
        structure (closer to 1 is slower). [-]
    transient_half_life_days
        Days for the distance from the stable structure to halve, ``ln 2 / ln(damping)``.
        [d]
    states
        Stock at the start of a day in each of the ten states :data:`STATES`, scaled like
        ``stock``. [head]
    matrix
        The daily projection matrix (rows: tomorrow, columns: today). [-]
    rates
        Daily probabilities per cohort (:func:`cohort_daily_probabilities`).
    herd_size
        Total stock the structure is scaled to. [head]
    """

    stock: pd.DataFrame
    daily_lambda: float
    growth_rate_per_year: float
    damping_ratio: float
    transient_half_life_days: float
    states: pd.Series
    matrix: np.ndarray
    rates: pd.DataFrame
    herd_size: float

    def to_frame(self) -> pd.DataFrame:
        """The stock table (a copy)."""
        return self.stock.copy()

    def summary(self) -> str:
        """A short text summary."""
        lines = [f"growth {100 * self.growth_rate_per_year:+.2f} %/yr "
                 f"(daily lambda {self.daily_lambda:.8f}); transient half-life "
                 f"{self.transient_half_life_days:.0f} d"]
        for c, row in self.stock.iterrows():
            lines.append(f"{c}: {row.stock:12.1f} head  {100 * row.share:6.2f} %  "
                         f"offtake {row.annual_offtake_heads:10.1f} head/yr")
        return "\n".join(lines)


def steady_state(cohorts, parturition_rate: float, litter_size: float,
                 female_fraction: float, herd_size: float) -> SteadyState:
    """Stable structure and growth rate of a six-cohort DynMod herd, daily time step.

    The DynMod "STEADY1" model in the daily form of FAO's GLEAM-X herd module (equations
    in ``shared/data/herd/README.md``; :func:`projection_matrix`). The stable structure is
    the dominant right eigenvector of the daily projection matrix, the growth factor its
    eigenvalue. This is the *true* stable structure: iterating the daily map from an
    arbitrary herd converges to it only slowly (``transient_half_life_days``), so a
    structure taken after a short iteration can differ from it.

    Parameters
    ----------
    cohorts
        DataFrame indexed by cohort FJ FS FA MJ MS MA (or with a ``cohort`` column), or a
        mapping ``{cohort: {field: value}}``, with ``duration_days`` [d], ``offtake_rate``
        [-] and ``death_rate`` [-]; the rates are over the cohort's duration when it is
        under 365 days, else annual.
    parturition_rate
        Parturitions per adult female per year. [1/yr]
    litter_size
        Newborns per parturition. [head]
    female_fraction
        Fraction of newborns that are female. [-]
    herd_size
        Total stock to scale the structure to. [head]

    Returns
    -------
    SteadyState

    Raises
    ------
    DataError
        For bad cohort inputs (the message names the cohort and the field).
    ArgumentError
        For bad herd-level inputs (the message names the argument), or inputs whose
        matrix has no positive dominant eigenvalue.

    Examples
    --------
    >>> import pandas as pd
    >>> cohorts = pd.DataFrame(
    ...     {"duration_days": [60, 564, 2110, 60, 600, 2600],
    ...      "offtake_rate": [0.359, 0.359, 0, 0.644, 0.644, 0],
    ...      "death_rate": [0.33, 0.127, 0.127, 0.33, 0.127, 0.127]},
    ...     index=["FJ", "FS", "FA", "MJ", "MS", "MA"])
    >>> result = steady_state(cohorts, 0.91, 1.7, 0.5, 200_000)
    >>> round(100 * result.growth_rate_per_year, 1)
    -11.2
    """
    _herd_inputs(parturition_rate, litter_size, female_fraction, herd_size)
    a, prob = projection_matrix(cohorts, parturition_rate, litter_size, female_fraction)
    values, vectors = np.linalg.eig(a)
    order = np.argsort(-values.real)
    lam = values[order[0]]
    if abs(lam.imag) > 1e-12 or lam.real <= 0.0:
        raise ArgumentError(f"the inputs give a projection matrix with no positive "
                            f"dominant eigenvalue (got {lam})")
    lam = float(lam.real)
    vec = vectors[:, order[0]].real
    vec = vec / vec.sum()
    if np.any(vec < -1e-12):
        raise ArgumentError("the inputs give a dominant eigenvector with negative entries; "
                            "the herd has no stable structure")
    vec = np.clip(vec, 0.0, None)
    stock = _stock_from_states(vec)
    scale = float(herd_size) / stock.sum()
    states = vec * scale
    stock = stock * scale
    # Offtake over one year from the stable structure: sum_t lambda^t * p_off * n.
    years = np.arange(DYNMOD_DAYS_PER_YEAR)
    factor = float(np.sum(lam ** years))
    offtake = _state_to_cohort(_offtake_vector(prob) * states) * factor
    table = pd.DataFrame({"stock": stock, "share": stock / stock.sum(),
                          "annual_offtake_heads": offtake}, index=pd.Index(COHORTS,
                                                                           name="cohort"))
    others = np.abs(values[order[1:]])
    second = float(others.max()) if others.size else 0.0
    damping = lam / second if second > 0 else math.inf
    half_life = math.log(2.0) / math.log(damping) if damping > 1.0 else math.inf
    return SteadyState(stock=table, daily_lambda=lam,
                       growth_rate_per_year=lam ** DYNMOD_DAYS_PER_YEAR - 1.0,
                       damping_ratio=damping, transient_half_life_days=half_life,
                       states=pd.Series(states, index=pd.Index(STATES, name="state")),
                       matrix=a, rates=prob, herd_size=float(herd_size))


@dataclass(frozen=True)
class StableDistance:
    """How far a herd's structure is from the stable structure.

    Attributes
    ----------
    delta
        Keyfitz's distance, half the sum of the absolute share differences: 0 for the
        stable structure, 1 for a herd with no animal in any cohort the stable structure
        holds. [-]
    shares
        Indexed by cohort: ``observed`` and ``stable`` shares [-] and their ``difference``
        (observed − stable) [-].
    years_to_halve
        Years for the distance to halve under the daily map (the transient half-life of
        the projection). [yr]
    """

    delta: float
    shares: pd.DataFrame
    years_to_halve: float


def distance_from_stable(result: SteadyState, stock) -> StableDistance:
    """Distance of a herd from the stable structure of :func:`steady_state`.

    Parameters
    ----------
    result
        The steady state.
    stock
        Head per cohort FJ FS FA MJ MS MA (a mapping, Series, or a DataFrame with a
        ``stock`` column); juveniles include newborns, as in ``result.stock``. [head]

    Returns
    -------
    StableDistance

    Raises
    ------
    DataError
        For an unknown or missing cohort, or a negative or non-finite stock, or a herd of
        zero head.
    """
    if isinstance(stock, pd.DataFrame):
        stock = stock["stock"]
    values = {str(k): v for k, v in dict(stock).items()}
    _check_cohort_names(values, "stock of cohorts", "stock")
    obs = np.array([float(values[c]) for c in COHORTS])
    if np.any(~np.isfinite(obs) | (obs < 0)):
        bad = COHORTS[int(np.flatnonzero(~np.isfinite(obs) | (obs < 0))[0])]
        raise DataError(f"cohort {bad!r}: stock must be a finite number >= 0, got "
                        f"{values[bad]!r}", field="stock", value=values[bad])
    if obs.sum() <= 0:
        raise DataError("the herd has no animals", field="stock", value=0)
    share = obs / obs.sum()
    stable = result.stock["share"].to_numpy()
    table = pd.DataFrame({"observed": share, "stable": stable, "difference": share - stable},
                         index=pd.Index(COHORTS, name="cohort"))
    return StableDistance(delta=0.5 * float(np.abs(share - stable).sum()), shares=table,
                          years_to_halve=result.transient_half_life_days
                          / DYNMOD_DAYS_PER_YEAR)
