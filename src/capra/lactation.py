"""Lactation curves: daily milk yield of a doe as a function of days in milk.

Three layers, as elsewhere in Capra:

* pure vectorized curve functions (:func:`wood`, :func:`wilmink`, :func:`wood_extended`)
  and their exact totals in closed form (:func:`wood_total`, :func:`wilmink_total`,
  :func:`wood_extended_total`), all broadcasting over NumPy arrays;
* :class:`LactationCurves`, the breed curves by parity class with a precomputed lookup
  table, used by the daily herd simulation;
* :func:`fit_lactation`, which fits a curve to test-day records and returns a
  :class:`LactationFit`.

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

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from capra.errors import ArgumentError, DataError

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
    "LactationCurves",
    "LactationFit",
    "fit_lactation",
    "parity_class",
    "MODEL_PARAMETERS",
    "GOAT_BOUNDS",
    "WILMINK_K_PER_DAY",
    "N_PARITY_CLASSES",
]

#: Decay rate of the Wilmink curve [1/d]. Wilmink (1987) fixed k = 0.05 for cattle; the
#: same value is the usual choice for goats (research note herd.md §3.1).
WILMINK_K_PER_DAY = 0.05

#: Number of parity classes of the breed curves: parity 1, parity 2, parity 3 and later.
N_PARITY_CLASSES = 3

#: Parameter names of each model, in the order used by the curve functions.
MODEL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "wood": ("a", "b", "c"),
    "wilmink": ("a", "b", "c"),
    "wood_extended": ("a", "b", "c", "rebound_day", "rebound_rate_per_day",
                      "rebound_max_ratio"),
}

#: Default fitting bounds for goats, ``{model: {parameter: (lower, upper)}}``.
#:
#: Assumption: wide plausibility limits for dairy goats, not literature values. Goat
#: yields are a few kg/day, so the Wood scale ``a`` [kg/day] may lie well below 1 (a
#: first-lactation doe of a local breed); bounds written for cows (``a`` of 10 kg/day or
#: more) would pin such a fit at the bound. ``b`` [-] may be slightly negative (an
#: "atypical" curve without a peak, common in goats with sparse test days) but must stay
#: above -1 so the total is finite; ``c`` [1/d] must be positive for the closed-form total.
#: Wilmink: ``a`` [kg/day], ``b`` [kg/day] (negative: the rise to the peak), ``c``
#: [kg/day per day] (negative: the decline). Extended lactation: rebound day [d], daily
#: rise [1/d] and the cap [-] (the reference profile turns at about 330 d, herd.md §3.1).
GOAT_BOUNDS: dict[str, dict[str, tuple[float, float]]] = {
    "wood": {"a": (0.01, 15.0), "b": (-0.9, 1.5), "c": (1e-6, 0.05)},
    "wilmink": {"a": (-5.0, 20.0), "b": (-20.0, 20.0), "c": (-0.1, 0.1)},
    "wood_extended": {"a": (0.01, 15.0), "b": (-0.9, 1.5), "c": (1e-6, 0.05),
                      "rebound_day": (60.0, 1000.0),
                      "rebound_rate_per_day": (0.0, 0.05),
                      "rebound_max_ratio": (1.0, 3.0)},
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
        y = a * np.power(tp, b) * np.exp(-c * tp)
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
        scale = a * special.gamma(s) / np.power(c, s)
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
        return a * np.power(peak, b) * np.exp(-b)


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
        return -(b + 1.0) * np.log(c)


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
    y = a + b * np.exp(-k * tp) + c * tp
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
    return (a * (t - s) - (b / k) * (np.expm1(-k * t) - np.expm1(-k * s))
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


# --------------------------------------------------------------------------------------
# Breed curves by parity class
# --------------------------------------------------------------------------------------

def parity_class(parity: ArrayLike) -> NDArray[np.intp]:
    """Parity class used to index the breed curves.

    Parameters
    ----------
    parity
        Number of kiddings of the doe (0 for a doe that has not kidded). [-]

    Returns
    -------
    numpy.ndarray
        0 for parity 1, 1 for parity 2, 2 for parity 3 and later, -1 for parity 0 (or
        below): no lactation. [-]
    """
    p = np.asarray(parity).astype(np.intp, copy=False)
    return np.clip(p, 0, N_PARITY_CLASSES) - 1


def _per_class(name: str, value: Any) -> NDArray[np.float64]:
    """Parameter as a float array of one value per parity class, validated."""
    arr = np.array(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(N_PARITY_CLASSES, float(arr))
    if arr.shape != (N_PARITY_CLASSES,):
        raise ArgumentError(f"{name} must be a number or {N_PARITY_CLASSES} values (parity 1, "
                            f"2, 3+), got shape {arr.shape}: {value!r}")
    if not np.all(np.isfinite(arr)):
        raise ArgumentError(f"{name} must be finite, got {value!r}")
    return arr


@dataclass(frozen=True, eq=False)
class LactationCurves:
    """Breed lactation curves by parity class, with a lookup table for the simulation.

    Parameters are one value per parity class (parity 1, 2, 3+) or one value for all.
    The constructor only stores and checks them; the table of daily yields for days in
    milk 0..``max_dim_days`` is built once after construction.

    Parameters
    ----------
    wood_a
        Wood scale per parity class. [kg/day]
    wood_b
        Wood shape per parity class; above -1. [-]
    wood_c
        Wood decline per parity class; above 0. [1/d]
    rebound_day
        Extended lactation: day in milk at which yield turns upward. [d]
    rebound_rate_per_day
        Extended lactation: rise per day as a fraction of the turning-day yield. [1/d]
    rebound_max_ratio
        Extended lactation: cap of the rise as a multiple of the turning-day yield. [-]
    max_dim_days
        Last day in milk held in the lookup table; later days are computed from the
        formula. [d]
    """

    wood_a: Any
    wood_b: Any
    wood_c: Any
    rebound_day: Any
    rebound_rate_per_day: Any
    rebound_max_ratio: Any
    max_dim_days: int = 1500
    _params: NDArray[np.float64] = field(init=False, repr=False)
    _table_extended: NDArray[np.float64] = field(init=False, repr=False)
    _table_wood: NDArray[np.float64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        names = ("wood_a", "wood_b", "wood_c", "rebound_day", "rebound_rate_per_day",
                 "rebound_max_ratio")
        cols = [_per_class(n, getattr(self, n)) for n in names]
        for n, arr in zip(names, cols):
            object.__setattr__(self, n, arr)
            arr.setflags(write=False)
        checks = (("wood_a", cols[0] >= 0.0, ">= 0"), ("wood_b", cols[1] > -1.0, "> -1"),
                  ("wood_c", cols[2] > 0.0, "> 0"), ("rebound_day", cols[3] >= 0.0, ">= 0"),
                  ("rebound_rate_per_day", cols[4] >= 0.0, ">= 0"),
                  ("rebound_max_ratio", cols[5] >= 1.0, ">= 1"))
        for n, ok, rule in checks:
            if not np.all(ok):
                raise ArgumentError(f"{n} must be {rule}, got {getattr(self, n).tolist()}")
        max_dim = int(self.max_dim_days)
        if max_dim < 1:
            raise ArgumentError(f"max_dim_days must be >= 1, got {self.max_dim_days!r}")
        object.__setattr__(self, "max_dim_days", max_dim)
        # Rows 0..2: parity classes; row 3: "no lactation" (a = 0), reached by index -1.
        params = np.zeros((N_PARITY_CLASSES + 1, 6))
        params[:N_PARITY_CLASSES] = np.column_stack(cols)
        params[N_PARITY_CLASSES] = (0.0, 1.0, 1.0, 0.0, 0.0, 1.0)
        params.setflags(write=False)
        object.__setattr__(self, "_params", params)
        # Columns 0..max_dim: days in milk; the last column is 0 kg and is reached by the
        # index -1 (days before kidding) and max_dim + 1 (beyond the table, recomputed).
        dim = np.arange(max_dim + 1, dtype=float)
        p = [params[:, i, None] for i in range(6)]
        # A curve without a rise (b < 0) is infinite at t = 0: its kidding day gets the
        # mean of the curve over that first day, finite for b > -1.
        first_day = _wood_cumulative_difference(p[0][:, 0], p[1][:, 0], p[2][:, 0], 1.0, 0.0)
        for name, values in (("_table_extended", wood_extended(dim, *p)),
                             ("_table_wood", wood(dim, *p[:3]))):
            values[:, 0] = np.where(np.isfinite(values[:, 0]), values[:, 0], first_day)
            table = np.zeros((N_PARITY_CLASSES + 1, max_dim + 2))
            table[:, : max_dim + 1] = values
            table[N_PARITY_CLASSES] = 0.0
            table.setflags(write=False)
            object.__setattr__(self, name, table)

    @classmethod
    def from_breed(cls, breed_lactation: Any, *, max_dim_days: int = 1500) -> "LactationCurves":
        """Curves from a breed's ``[lactation]`` parameters.

        Parameters
        ----------
        breed_lactation
            Any object with attributes ``wood_a``, ``wood_b``, ``wood_c`` (one value per
            parity class: 1, 2, 3+) [kg/day], [-], [1/d], and ``rebound_day`` [d],
            ``rebound_rate_per_day`` [1/d], ``rebound_max_ratio`` [-].
        max_dim_days
            Last day in milk held in the lookup table. [d]

        Returns
        -------
        LactationCurves
        """
        return cls(
            wood_a=breed_lactation.wood_a,
            wood_b=breed_lactation.wood_b,
            wood_c=breed_lactation.wood_c,
            rebound_day=breed_lactation.rebound_day,
            rebound_rate_per_day=breed_lactation.rebound_rate_per_day,
            rebound_max_ratio=breed_lactation.rebound_max_ratio,
            max_dim_days=max_dim_days,
        )

    def daily_kg(self, dim_days: ArrayLike, parity: ArrayLike, effect: ArrayLike = 1.0,
                 extended: bool = True) -> NDArray[np.float64]:
        """Daily milk yield of each doe.

        Integer days in milk are looked up in the precomputed table (the fast path used
        by the daily simulation); floating-point days are evaluated from the formula.
        Both give the same values.

        Parameters
        ----------
        dim_days
            Days in milk of each doe; below 0 gives 0. [d]
        parity
            Number of kiddings of each doe: 1 → first class, 2 → second, 3 or more →
            third; 0 gives 0. Broadcast against ``dim_days``. [-]
        effect
            Multiplicative animal effect (1 for the breed curve). [-]
        extended
            If True, the extended-lactation rebound applies after the rebound day;
            if False, the plain Wood curve. [-]

        Returns
        -------
        numpy.ndarray
            Milk yield of each doe. [kg/day]
        """
        dim = np.asarray(dim_days)
        row = parity_class(parity)
        if dim.dtype.kind in "iu":
            table = self._table_extended if extended else self._table_wood
            col = np.clip(dim, -1, self.max_dim_days + 1)
            out = table[row, col]
            beyond = dim > self.max_dim_days
            if np.any(beyond):
                row_b, dim_b, beyond_b = np.broadcast_arrays(row, dim, beyond)
                out = np.array(out, copy=True)
                out[beyond_b] = self._formula(dim_b[beyond_b], row_b[beyond_b], extended)
        else:
            out = self._formula(dim, row, extended)
        if np.ndim(effect) == 0 and float(effect) == 1.0:
            return out
        return out * np.asarray(effect, dtype=float)

    def _formula(self, dim: NDArray, row: NDArray, extended: bool) -> NDArray[np.float64]:
        """Daily yield from the curve formula for parity-class rows. [kg/day]"""
        p = self._params[row]
        cols = [p[..., i] for i in range(6)]
        if extended:
            return wood_extended(dim, *cols)
        return wood(dim, *cols[:3])

    def total_kg(self, parity: ArrayLike, length_days: ArrayLike, extended: bool = True,
                 effect: ArrayLike = 1.0) -> NDArray[np.float64]:
        """Milk produced by each doe from kidding to a lactation length, exact integral.

        Parameters
        ----------
        parity
            Number of kiddings of each doe (class as in :meth:`daily_kg`). [-]
        length_days
            Lactation length, days in milk at dry-off. [d]
        extended
            If True, include the extended-lactation rebound. [-]
        effect
            Multiplicative animal effect. [-]

        Returns
        -------
        numpy.ndarray
            Total milk of the lactation; 0 for parity 0. [kg]
        """
        p = self._params[parity_class(parity)]
        cols = [p[..., i] for i in range(6)]
        if extended:
            total = wood_extended_total(*cols, t_end=length_days)
        else:
            total = wood_total(*cols[:3], t_end=length_days)
        return total * np.asarray(effect, dtype=float)

    def table(self, extended: bool = True) -> NDArray[np.float64]:
        """Read-only table of daily yields, ``table[parity_class, dim]``.

        Rows are the parity classes 1, 2, 3+; columns are days in milk
        0..``max_dim_days``. [kg/day]
        """
        t = self._table_extended if extended else self._table_wood
        return t[:N_PARITY_CLASSES, : self.max_dim_days + 1]


# --------------------------------------------------------------------------------------
# Fitting to test-day records
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LactationFit:
    """Result of fitting a lactation curve to test-day records.

    Attributes
    ----------
    model
        ``"wood"``, ``"wilmink"`` or ``"wood_extended"``.
    params
        Fitted parameters by name, in the units of the curve function (e.g. Wood ``a``
        [kg/day], ``b`` [-], ``c`` [1/d]).
    stderr
        Standard errors from the Jacobian covariance ``s^2 (J'J)^-1``, same units as the
        parameters; NaN for a parameter the records do not determine.
    ci95
        95 % confidence intervals ``(low, high)`` from the standard errors and Student's t
        with ``n - p`` degrees of freedom.
    rmse
        Root mean square residual. [kg/day]
    n
        Number of test days used. [-]
    success
        Whether the optimizer reported convergence.
    message
        The optimizer's message, plus any caveat (parameters at a bound, parameters not
        determined by the records).
    at_bound
        Names of parameters that ended at a fitting bound; their intervals are not
        reliable.
    k
        Wilmink decay rate used [1/d]; None for the other models.
    """

    model: str
    params: dict[str, float]
    stderr: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    rmse: float
    n: int
    success: bool
    message: str
    at_bound: tuple[str, ...] = ()
    k: float | None = None

    def predict(self, dim_days: ArrayLike) -> NDArray[np.float64]:
        """Fitted daily yield at the given days in milk [d]. [kg/day]"""
        return _MODELS[self.model](dim_days, **self._kwargs())

    def total_kg(self, t_end: ArrayLike, t_start: ArrayLike = 0.0) -> NDArray[np.float64]:
        """Fitted total milk between two days in milk [d], exact. [kg]"""
        kw = self._kwargs()
        if self.model == "wood":
            return wood_total(t_end=t_end, t_start=t_start, **kw)
        if self.model == "wilmink":
            return wilmink_total(t_end=t_end, t_start=t_start, **kw)
        return wood_extended_total(t_end=t_end, t_start=t_start, **kw)

    def _kwargs(self) -> dict[str, float]:
        kw: dict[str, Any] = dict(self.params)
        if self.model == "wilmink":
            kw["k"] = self.k
        return kw


_MODELS = {"wood": wood, "wilmink": wilmink, "wood_extended": wood_extended}


def _as_records(name: str, values: ArrayLike) -> NDArray[np.float64]:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"values must be numbers ({exc})", field=name) from None
    if arr.ndim != 1:
        raise DataError(f"must be a 1-D sequence, got shape {arr.shape}", field=name)
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"values must be finite; index {i} (0-based) is {float(arr[i])!r}",
                        field=name, value=float(arr[i]))
    neg = arr < 0.0
    if neg.any():
        i = int(np.flatnonzero(neg)[0])
        raise DataError(f"values must be >= 0; index {i} (0-based) is {float(arr[i])!r}",
                        field=name, value=float(arr[i]))
    return arr


def wood_jacobian(x, t):
    """Derivatives of the Wood curve with respect to (a, b, c) at days ``t``, one row per
    day: [kg/day per kg/day, kg/day, kg/day per 1/day]."""
    a, b, c = x
    base = wood(t, 1.0, b, c)
    y = a * base
    with np.errstate(divide="ignore"):
        log_t = np.where(t > 0.0, np.log(np.where(t > 0.0, t, 1.0)), 0.0)
    return np.column_stack([base, y * log_t, -t * y])


def _wood_start(t, y, lo, hi):
    """Starting values for Wood from the log-linear regression ln y = ln a + b ln t - c t."""
    ok = (t > 0.0) & (y > 0.0)
    x0 = np.array([max(float(np.mean(y)), 0.1), 0.2, 0.004])
    if ok.sum() >= 3 and np.unique(t[ok]).size >= 3:
        design = np.column_stack([np.ones(ok.sum()), np.log(t[ok]), -t[ok]])
        coef, *_ = np.linalg.lstsq(design, np.log(y[ok]), rcond=None)
        x0 = np.array([math.exp(coef[0]), coef[1], coef[2]])
    return _inside(x0, lo, hi)


def _inside(x0, lo, hi):
    """Clip starting values strictly inside the bounds."""
    span = hi - lo
    margin = np.where(np.isfinite(span), 1e-3 * span, 1e-3)
    return np.clip(x0, lo + margin, hi - margin)


def _covariance(jac: NDArray, ssr: float, n: int, p: int):
    """Parameter covariance ``s^2 (J'J)^+`` and a mask of undetermined parameters."""
    _, s, vt = np.linalg.svd(jac, full_matrices=False)
    tol = np.finfo(float).eps * max(jac.shape) * (s[0] if s.size else 0.0)
    keep = s > tol
    sigma2 = ssr / (n - p)
    vk = vt[keep]
    cov = (vk.T / s[keep] ** 2) @ vk * sigma2
    undetermined = np.zeros(p, dtype=bool)
    if (~keep).any():
        undetermined = np.any(np.abs(vt[~keep]) > 1e-8, axis=0)
    return cov, undetermined


def fit_lactation(dim_days: ArrayLike, milk_kg: ArrayLike,
                  model: Literal["wood", "wilmink", "wood_extended"] = "wood",
                  bounds: dict[str, tuple[float, float]] | None = None,
                  *, k: float = WILMINK_K_PER_DAY) -> LactationFit:
    """Fit a lactation curve to one doe's (or a group's) test-day records.

    Nonlinear least squares (:func:`scipy.optimize.least_squares`, trust-region
    reflective, within goat bounds). Standard errors come from the Jacobian at the
    solution, ``cov = s^2 (J'J)^-1`` with ``s^2 = SSR / (n - p)``; the 95 % intervals use
    Student's t with ``n - p`` degrees of freedom.

    Parameters
    ----------
    dim_days
        Days in milk of each test day, >= 0 (> 0 for the Wood models). [d]
    milk_kg
        Milk yield on each test day, >= 0. [kg/day]
    model
        ``"wood"`` (a, b, c), ``"wilmink"`` (a, b, c with fixed ``k``) or
        ``"wood_extended"`` (Wood plus rebound_day, rebound_rate_per_day,
        rebound_max_ratio). The rebound cap is determined only by records beyond the
        end of the rise.
    bounds
        ``{parameter: (lower, upper)}`` overriding entries of :data:`GOAT_BOUNDS`, in the
        parameters' units.
    k
        Wilmink decay rate. [1/d]

    Returns
    -------
    LactationFit
        Parameters, standard errors, 95 % intervals, RMSE [kg/day] and optimizer status.

    Raises
    ------
    DataError
        If the two sequences differ in length, hold negative or non-finite values, or are
        too few (fewer distinct days than parameters + 1); for the Wood models, if a test
        day is on the day of kidding (``dim_days == 0``).
    ArgumentError
        If ``model`` or a bound name is unknown, or a bound is empty.
    """
    if model not in MODEL_PARAMETERS:
        import difflib
        near = difflib.get_close_matches(str(model), MODEL_PARAMETERS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ArgumentError(f"unknown lactation model {model!r}; valid: "
                            f"{', '.join(MODEL_PARAMETERS)}{hint}")
    names = MODEL_PARAMETERS[model]
    bnd = dict(GOAT_BOUNDS[model])
    for key, value in (bounds or {}).items():
        if key not in bnd:
            raise ArgumentError(f"unknown parameter {key!r} in bounds for model {model!r}; "
                                f"valid: {', '.join(names)}")
        low, high = (float(v) for v in value)
        if not low < high:
            raise ArgumentError(f"bounds for {key!r} must have lower < upper, got {value!r}")
        bnd[key] = (low, high)
    lo = np.array([bnd[n][0] for n in names])
    hi = np.array([bnd[n][1] for n in names])

    from scipy import (  # fitting only: keeps the simulator's import light
        optimize,
        stats,
    )

    t = _as_records("dim_days", dim_days)
    y = _as_records("milk_kg", milk_kg)
    if t.size != y.size:
        raise DataError(f"dim_days has {t.size} values but milk_kg has {y.size}; "
                        "they must pair one to one", field="milk_kg")
    p = len(names)
    n_distinct = np.unique(t).size
    if n_distinct < p + 1:
        raise DataError(f"model {model!r} has {p} parameters and needs test days on at least "
                        f"{p + 1} distinct days in milk; got {n_distinct}",
                        field="dim_days")
    n = int(t.size)
    if model != "wilmink" and np.any(t == 0.0):
        i = int(np.flatnonzero(t == 0.0)[0])
        raise DataError("the Wood curve is 0 or infinite on the day of kidding; test days "
                        f"must have dim_days > 0 (index {i}, 0-based, is 0)",
                        field="dim_days", value=0.0)

    if model == "wood":
        x0 = _wood_start(t, y, lo, hi)
        res = optimize.least_squares(lambda x: wood(t, *x) - y, x0,
                                     jac=lambda x: wood_jacobian(x, t),
                                     bounds=(lo, hi), method="trf", x_scale="jac")
    elif model == "wilmink":
        design = np.column_stack([np.ones_like(t), np.exp(-k * t), t])
        x0 = _inside(np.linalg.lstsq(design, y, rcond=None)[0], lo, hi)
        res = optimize.least_squares(lambda x: design @ x - y, x0,
                                     jac=lambda x: design, bounds=(lo, hi),
                                     method="trf", x_scale="jac")
    else:
        res = _fit_extended(t, y, lo, hi)

    x = res.x
    resid = res.fun
    ssr = float(resid @ resid)
    cov, undetermined = _covariance(res.jac, ssr, n, p)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    se[undetermined] = np.nan
    tq = float(stats.t.ppf(0.975, n - p))
    at_bound = tuple(nm for nm, m in zip(names, res.active_mask) if m != 0)
    notes = [str(res.message).rstrip('.')]
    if at_bound:
        notes.append(f"at a bound: {', '.join(at_bound)}")
    if undetermined.any():
        notes.append("not determined by the records: "
                     + ", ".join(nm for nm, u in zip(names, undetermined) if u))
    return LactationFit(
        model=model,
        params={nm: float(v) for nm, v in zip(names, x)},
        stderr={nm: float(s) for nm, s in zip(names, se)},
        ci95={nm: (float(v - tq * s), float(v + tq * s)) for nm, v, s in zip(names, x, se)},
        rmse=math.sqrt(ssr / n),
        n=n,
        success=bool(res.success),
        message="; ".join(notes),
        at_bound=at_bound,
        k=float(k) if model == "wilmink" else None,
    )


def _fit_extended(t, y, lo, hi):
    """Least squares for the extended model from several rebound-day starts."""
    from scipy import optimize
    wood_x0 = _wood_start(t, y, lo[:3], hi[:3])
    first, last = float(t.min()), float(t.max())
    best = None
    for frac in (0.4, 0.55, 0.7, 0.85):
        x0 = np.concatenate([wood_x0, [first + frac * (last - first), 0.002, 1.3]])
        x0 = _inside(x0, lo, hi)
        res = optimize.least_squares(lambda x: wood_extended(t, *x) - y, x0,
                                     bounds=(lo, hi), method="trf", x_scale="jac")
        if best is None or res.cost < best.cost:
            best = res
    return best
