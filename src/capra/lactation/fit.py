"""Fitting one lactation curve to test-day records (one doe's, or a group's pooled).

:func:`fit_lactation` fits the Wood, Wilmink or extended-lactation curve
(:mod:`capra.lactation.curves`) by bounded nonlinear least squares and returns a
:class:`LactationFit`: the parameters, their standard errors and 95 % intervals, the RMSE
and the optimizer's status. Fitting the curves of a herd from the records database (by
parity class, per doe, cluster-robust intervals) is :mod:`capra.lactation.records`, which
builds on these functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from capra.errors import ArgumentError, DataError
from capra.lactation.curves import (
    MODEL_PARAMETERS,
    WILMINK_K_PER_DAY,
    wilmink,
    wilmink_total,
    wood,
    wood_extended,
    wood_extended_total,
    wood_total,
)

__all__ = ["GOAT_BOUNDS", "LactationFit", "fit_lactation", "wood_jacobian"]

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
