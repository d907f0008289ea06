"""Lactation curves: daily milk yield of a doe as a function of days in milk.

Pure vectorized curve functions (:func:`wood`, :func:`wilmink`, :func:`wood_extended`)
and their exact totals in closed form (:func:`wood_total`, :func:`wilmink_total`,
:func:`wood_extended_total`), all broadcasting over NumPy arrays. The breed's curves by
parity class, as the herd simulation reads them, are :mod:`capra.lactation.breed`.

Time is days in milk ``t`` [d], counted from kidding (``t = 0``). Before kidding
(``t < 0``) every curve gives 0 kg/day and contributes nothing to a total.

Models
------
Wood (1967)
    ``y = a * t**b * exp(-c * t)``. Peak day ``b / c``, peak yield
    ``a * (b / c)**b * exp(-b)``, persistency ``S = -(b + 1) * ln(c)``.
Wilmink (1987)
    ``y = a + b * exp(-k * t) + c * t`` with a fixed decay rate ``k`` [1/d].
Extended lactation
    Wood up to the rebound day ``r``; afterwards the yield of the rebound day multiplied by
    ``min(1 + rate * (t - r), max_ratio)``: in does milked on without a new kidding, yield
    turns from decreasing to increasing and then levels off.

References: research note ``herd.md`` §3 (models, the Saanen placeholder parameters and
the extended-lactation profile); breed parameters in ``capra/data/breeds/*.toml``,
section ``[lactation]``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from capra import libm

__all__ = [
    "wood",
    "wood_total",
    "wood_peak_day",
    "wood_peak_yield",
    "wood_persistency",
    "wilmink",
    "wilmink_total",
    "wood_extended",
    "wood_extended_total",
    "MODEL_PARAMETERS",
    "WILMINK_K_PER_DAY",
]

#: Decay rate of the Wilmink curve [1/d]. Wilmink (1987) fixed k = 0.05 for cattle; the
#: same value is the usual choice for goats (research note herd.md §3.1).
WILMINK_K_PER_DAY = 0.05

#: Parameter names of each model, in the order used by the curve functions.
MODEL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "wood": ("a", "b", "c"),
    "wilmink": ("a", "b", "c"),
    "wood_extended": ("a", "b", "c", "rebound_day", "rebound_rate_per_day",
                      "rebound_max_ratio"),
}



# --------------------------------------------------------------------------------------
# Curve functions
# --------------------------------------------------------------------------------------

def wood(dim_days: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike) -> NDArray[np.float64]:
    """Daily milk yield of the Wood (1967) curve, ``y = a t^b exp(-c t)``.

    Parameters
    ----------
    dim_days
        Days in milk, ``t``. Values below 0 (before kidding) give 0. [d]
    a
        Scale: the yield at ``t = 1`` d up to the factor ``exp(-c)``. [kg/day]
    b
        Shape of the rise to the peak. [-]
    c
        Rate of decline after the peak. [1/d]

    Returns
    -------
    numpy.ndarray
        Milk yield, broadcast over the inputs. At ``t = 0`` the yield is 0 for ``b > 0``
        and infinite for ``b < 0``. [kg/day]
    """
    t = np.asarray(dim_days, dtype=float)
    a, b, c = (np.asarray(x, dtype=float) for x in (a, b, c))
    tp = np.maximum(t, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = a * libm.power(tp, b) * libm.exp(-c * tp)
    return np.where(t < 0.0, 0.0, y)


def _wood_cumulative_difference(a, b, c, t_end, t_start):
    """Integral of the Wood curve between two times >= 0, closed form. [kg]

    Uses ``int_0^T a t^b e^{-ct} dt = a Gamma(b+1) / c^(b+1) * P(b+1, cT)`` with ``P``
    the regularized lower incomplete gamma function. Where both arguments are in the
    upper tail the difference is taken with the upper function ``Q = 1 - P``, which keeps
    the digits of long lactations.
    """
    s = b + 1.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = a * special.gamma(s) / libm.power(c, s)
        x1 = c * t_start
        x2 = c * t_end
        lower = special.gammainc(s, x2) - special.gammainc(s, x1)
        upper = special.gammaincc(s, x1) - special.gammaincc(s, x2)
        diff = np.where(np.minimum(x1, x2) > s, upper, lower)
        out = scale * diff
    valid = (s > 0.0) & (c > 0.0)
    return np.where(valid, out, np.nan)


def wood_total(a: ArrayLike, b: ArrayLike, c: ArrayLike, t_end: ArrayLike,
               t_start: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Milk produced between two days in milk by a Wood curve, exact closed form.

    ``int_{t_start}^{t_end} a t^b exp(-c t) dt
    = a Gamma(b+1) / c^(b+1) * [P(b+1, c t_end) - P(b+1, c t_start)]``, where ``P`` is the
    regularized lower incomplete gamma function (:func:`scipy.special.gammainc`).

    Parameters
    ----------
    a
        Wood scale. [kg/day]
    b
        Wood shape; must be above -1. [-]
    c
        Wood decline; must be above 0. [1/d]
    t_end
        End of the period, days in milk. [d]
    t_start
        Start of the period, days in milk. Times before 0 count as 0 (no milk before
        kidding). [d]

    Returns
    -------
    numpy.ndarray
        Total milk, broadcast over the inputs; negative if ``t_end < t_start``; NaN where
        ``b <= -1`` or ``c <= 0`` (no finite closed form). [kg]
    """
    a, b, c = (np.asarray(x, dtype=float) for x in (a, b, c))
    t1 = np.maximum(np.asarray(t_start, dtype=float), 0.0)
    t2 = np.maximum(np.asarray(t_end, dtype=float), 0.0)
    return _wood_cumulative_difference(a, b, c, t2, t1)


def wood_peak_day(b: ArrayLike, c: ArrayLike) -> NDArray[np.float64]:
    """Day of peak yield of a Wood curve, ``b / c``.

    Parameters
    ----------
    b
        Wood shape. [-]
    c
        Wood decline. [1/d]

    Returns
    -------
    numpy.ndarray
        Days in milk at the peak; NaN for an "atypical" curve with no interior peak
        (``b <= 0`` or ``c <= 0``). [d]

    The Saanen placeholder curve of parity 1 (``b = 0.1715``, ``c = 0.0035``, breed file
    ``saanen.toml``) peaks 49 days after kidding; a curve without a rise has no peak:

    >>> print(wood_peak_day(0.1715, 0.0035), wood_peak_day(-0.1, 0.002))
    49.0 nan
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    ok = (b > 0.0) & (c > 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, b / np.where(ok, c, 1.0), np.nan)


def wood_peak_yield(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> NDArray[np.float64]:
    """Peak daily yield of a Wood curve, ``a (b/c)^b exp(-b)``.

    Parameters
    ----------
    a
        Wood scale. [kg/day]
    b
        Wood shape. [-]
    c
        Wood decline. [1/d]

    Returns
    -------
    numpy.ndarray
        Yield at the peak day; NaN for a curve with no interior peak. [kg/day]
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    peak = wood_peak_day(b, c)
    with np.errstate(invalid="ignore"):
        return a * libm.power(peak, b) * libm.exp(-b)


def wood_persistency(b: ArrayLike, c: ArrayLike) -> NDArray[np.float64]:
    """Persistency of a Wood curve, ``S = -(b + 1) ln c``.

    Parameters
    ----------
    b
        Wood shape. [-]
    c
        Wood decline; must be above 0. [1/d]

    Returns
    -------
    numpy.ndarray
        Persistency; larger means a flatter decline after the peak. [-]
    """
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(b + 1.0) * libm.log(c)


def wilmink(dim_days: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike,
            k: ArrayLike = WILMINK_K_PER_DAY) -> NDArray[np.float64]:
    """Daily milk yield of the Wilmink (1987) curve, ``y = a + b exp(-k t) + c t``.

    Parameters
    ----------
    dim_days
        Days in milk, ``t``. Values below 0 (before kidding) give 0. [d]
    a
        Level. [kg/day]
    b
        Amplitude of the exponential term; negative for a rise to a peak. [kg/day]
    c
        Slope of the linear decline; negative for a declining curve. [kg/day per day]
    k
        Decay rate of the exponential term. [1/d]

    Returns
    -------
    numpy.ndarray
        Milk yield, broadcast over the inputs. The formula is returned as is: far beyond
        the fitted range a declining curve can become negative. [kg/day]
    """
    t = np.asarray(dim_days, dtype=float)
    a, b, c, k = (np.asarray(x, dtype=float) for x in (a, b, c, k))
    tp = np.maximum(t, 0.0)
    y = a + b * libm.exp(-k * tp) + c * tp
    return np.where(t < 0.0, 0.0, y)


def wilmink_total(a: ArrayLike, b: ArrayLike, c: ArrayLike, t_end: ArrayLike,
                  t_start: ArrayLike = 0.0,
                  k: ArrayLike = WILMINK_K_PER_DAY) -> NDArray[np.float64]:
    """Milk produced between two days in milk by a Wilmink curve, exact closed form.

    ``a (T - S) + (b / k) (exp(-k S) - exp(-k T)) + (c / 2) (T^2 - S^2)``.

    Parameters
    ----------
    a
        Level. [kg/day]
    b
        Amplitude of the exponential term. [kg/day]
    c
        Slope of the linear term. [kg/day per day]
    t_end
        End of the period ``T``, days in milk. [d]
    t_start
        Start of the period ``S``; times before 0 count as 0. [d]
    k
        Decay rate of the exponential term; must be above 0. [1/d]

    Returns
    -------
    numpy.ndarray
        Total milk, broadcast over the inputs. [kg]
    """
    a, b, c, k = (np.asarray(x, dtype=float) for x in (a, b, c, k))
    s = np.maximum(np.asarray(t_start, dtype=float), 0.0)
    t = np.maximum(np.asarray(t_end, dtype=float), 0.0)
    return (a * (t - s) - (b / k) * (libm.expm1(-k * t) - libm.expm1(-k * s))
            + 0.5 * c * (t * t - s * s))


def _ramp_length_days(rate, max_ratio):
    """Days from the rebound day until the cap is reached; inf if never. [d]"""
    out = np.full(np.broadcast(rate, max_ratio).shape, np.inf)
    np.divide(max_ratio - 1.0, rate, out=out, where=np.asarray(rate > 0.0))
    return np.maximum(out, 0.0)


def wood_extended(dim_days: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike,
                  rebound_day: ArrayLike, rebound_rate_per_day: ArrayLike,
                  rebound_max_ratio: ArrayLike) -> NDArray[np.float64]:
    """Daily milk yield of a Wood curve with an extended-lactation rebound.

    Up to the rebound day ``r`` the yield is the Wood curve. After it, the yield is the
    Wood yield of day ``r`` times ``min(1 + rate (t - r), max_ratio)``: continuous at
    ``r``, rising linearly, then constant at the cap. This reproduces the profile of does
    milked on without a new kidding, whose yield turns from decreasing to increasing
    (research note herd.md §3.1).

    Parameters
    ----------
    dim_days
        Days in milk, ``t``. Values below 0 give 0. [d]
    a
        Wood scale. [kg/day]
    b
        Wood shape. [-]
    c
        Wood decline. [1/d]
    rebound_day
        Day in milk at which the yield turns, ``r``. [d]
    rebound_rate_per_day
        Rise after the turn, as a fraction of the turning-day yield per day; >= 0. [1/d]
    rebound_max_ratio
        Cap of the rise, as a multiple of the turning-day yield; >= 1. [-]

    Returns
    -------
    numpy.ndarray
        Milk yield, broadcast over the inputs. [kg/day]
    """
    t = np.asarray(dim_days, dtype=float)
    r = np.asarray(rebound_day, dtype=float)
    rate = np.asarray(rebound_rate_per_day, dtype=float)
    cap = np.asarray(rebound_max_ratio, dtype=float)
    y_r = wood(r, a, b, c)
    after = y_r * np.minimum(1.0 + rate * np.maximum(t - r, 0.0), cap)
    return np.where(t <= r, wood(t, a, b, c), after)


def wood_extended_total(a: ArrayLike, b: ArrayLike, c: ArrayLike,
                        rebound_day: ArrayLike, rebound_rate_per_day: ArrayLike,
                        rebound_max_ratio: ArrayLike, t_end: ArrayLike,
                        t_start: ArrayLike = 0.0) -> NDArray[np.float64]:
    """Milk produced between two days in milk by :func:`wood_extended`, exact.

    Piecewise closed form: the Wood part up to the rebound day by the incomplete gamma
    function (:func:`wood_total`), then the linear rise, then the plateau at the cap.

    Parameters
    ----------
    a
        Wood scale. [kg/day]
    b
        Wood shape; above -1. [-]
    c
        Wood decline; above 0. [1/d]
    rebound_day
        Day in milk at which the yield turns. [d]
    rebound_rate_per_day
        Rise after the turn, fraction of the turning-day yield per day; >= 0. [1/d]
    rebound_max_ratio
        Cap of the rise, multiple of the turning-day yield; >= 1. [-]
    t_end
        End of the period, days in milk. [d]
    t_start
        Start of the period; times before 0 count as 0. [d]

    Returns
    -------
    numpy.ndarray
        Total milk, broadcast over the inputs. [kg]
    """
    a, b, c = (np.asarray(x, dtype=float) for x in (a, b, c))
    r = np.asarray(rebound_day, dtype=float)
    rate = np.asarray(rebound_rate_per_day, dtype=float)
    cap = np.asarray(rebound_max_ratio, dtype=float)
    t1 = np.maximum(np.asarray(t_start, dtype=float), 0.0)
    t2 = np.maximum(np.asarray(t_end, dtype=float), 0.0)

    wood_part = _wood_cumulative_difference(a, b, c, np.minimum(t2, r), np.minimum(t1, r))
    y_r = wood(r, a, b, c)
    ramp_days = _ramp_length_days(rate, cap)
    u1 = np.clip(t1 - r, 0.0, ramp_days)
    u2 = np.clip(t2 - r, 0.0, ramp_days)
    ramp = y_r * ((u2 - u1) + 0.5 * rate * (u2 * u2 - u1 * u1))
    with np.errstate(invalid="ignore"):
        v1 = np.maximum(t1 - r - ramp_days, 0.0)
        v2 = np.maximum(t2 - r - ramp_days, 0.0)
    plateau = y_r * cap * (v2 - v1)
    return wood_part + ramp + plateau
