"""Rates and probabilities: the one place where time units are converted.

Literature gives *risks* (the probability of an event over a stated period, e.g. an annual
mortality of 5 %) or *hazards* (instantaneous rates, per day). The simulator needs the
probability of the event in one step of ``step_days`` days. Converting by hand is a classic
source of silent error (5 %/y is not 0.05/365 per day), so every conversion goes through
these functions, which are exact under a constant hazard: compounding the step probability
over one period gives back the period risk, whatever the step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from capra import libm
from capra.errors import ArgumentError

#: Days in a year, for annual risks and ages in years [days]. The Julian year keeps leap
#: years in the average.
DAYS_PER_YEAR = 365.25
#: Days in a month, for ages in months [days/month]: a twelfth of the Julian year,
#: 30.4375, which is also the month of the WHO growth standards and their software.
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


def _as_probability(value: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if np.any((arr < 0) | (arr > 1) | ~np.isfinite(arr)):
        raise ArgumentError(f"{name} must be a probability in [0, 1], got {value!r}")
    return arr


def risk_to_hazard(risk: ArrayLike, period_days: ArrayLike = DAYS_PER_YEAR) -> np.ndarray:
    """Constant hazard that gives ``risk`` over ``period_days``.

    Parameters
    ----------
    risk
        Probability of the event over the period. [-]
    period_days
        Length of the period. [days]

    Returns
    -------
    Hazard. [1/day] (``inf`` for a risk of 1)
    """
    r = _as_probability(risk, "risk")
    with np.errstate(divide="ignore"):
        return -libm.log1p(-r) / np.asarray(period_days, dtype=float)


def hazard_to_probability(hazard: ArrayLike, step_days: ArrayLike = 1.0) -> np.ndarray:
    """Probability of at least one event in ``step_days`` under a constant hazard.

    Parameters
    ----------
    hazard
        Hazard. [1/day]
    step_days
        Step length. [days]
    """
    h = np.asarray(hazard, dtype=float)
    if np.any(h < 0):
        raise ArgumentError(f"hazard must be >= 0, got {hazard!r}")
    return -libm.expm1(-h * np.asarray(step_days, dtype=float))


def risk_to_step_probability(risk: ArrayLike, period_days: ArrayLike = DAYS_PER_YEAR,
                             step_days: ArrayLike = 1.0) -> np.ndarray:
    """Probability per step that compounds to ``risk`` over ``period_days``.

    ``1 - (1 - p) ** (period_days / step_days) == risk`` exactly, so the outcome over a
    period does not depend on the step.

    Parameters
    ----------
    risk
        Probability of the event over the period (e.g. an annual risk). [-]
    period_days
        Length of the period the risk refers to (365.25 for an annual risk). [days]
    step_days
        Length of one simulation step. [days]

    Returns
    -------
    Probability of the event in one step. [-]
    """
    return hazard_to_probability(risk_to_hazard(risk, period_days), step_days)


def annual_risk_to_daily(risk: ArrayLike) -> np.ndarray:
    """Daily probability from an annual risk. [-]

    An annual mortality of 5 % is a daily probability of 1.404e-4, not 0.05 / 365 =
    1.370e-4; compounded over a year it gives back the 5 %:

    >>> p = annual_risk_to_daily(0.05)
    >>> print(f"{p:.4g}")
    0.0001404
    >>> print(f"{1 - (1 - p) ** 365.25:.12f}")
    0.050000000000
    """
    return risk_to_step_probability(risk, DAYS_PER_YEAR, 1.0)


def competing_risks(hazards: ArrayLike, step_days: float = 1.0) -> np.ndarray:
    """Probability of each of several competing events in one step.

    With hazards ``h_k`` (last axis) the probability that event ``k`` happens first within
    the step is ``h_k / H * (1 - exp(-H * step))``, ``H = sum(h_k)``.

    Parameters
    ----------
    hazards
        Hazards of the competing events along the last axis. [1/day]
    step_days
        Step length. [days]

    Returns
    -------
    Probabilities with the shape of ``hazards``; their sum along the last axis is the
    probability that any event happens. [-]
    """
    h = np.asarray(hazards, dtype=float)
    total = h.sum(axis=-1, keepdims=True)
    p_any = hazard_to_probability(total, step_days)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, h / total, 0.0)
    return share * p_any
