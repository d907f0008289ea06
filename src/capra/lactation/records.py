"""Lactation curves fitted to the recorded test days, for the simulation to use.

:func:`fit_lactations` reads the test days of the records with the kidding that started
each one's lactation (:func:`capra.store.query.lactation_records`: the last kidding on or
before the test day, a ``parturition`` event or, for a doe in milk at entry, her last
kidding or her entry), and so its days in milk and parity, and fits

* per parity class (1, 2, 3+), the Wood curve ``y = a t^b exp(-c t)`` to the pooled test
  days of the standard lactation (days in milk up to ``standard_length_days``) with SciPy
  (:func:`capra.lactation.fit.fit_lactation`);
* per parity class, where the records reach beyond the breed's rebound day, the Wood curve
  with the extended-lactation rebound (``wood_extended``) to all test days;
* per doe and lactation with at least ``min_test_days_per_doe`` test days, the Wood curve,
  all lactations at once by a vectorized Levenberg-Marquardt iteration;
* the coefficient of variation of the between-doe milk effect.

Uncertainty. Test days of one doe share her milk effect, so the pooled test days are not
independent; the standard errors and 95 % intervals of the class curves are
cluster-robust (sandwich estimator with the lactations as clusters, small-sample factor
``G/(G-1) (n-1)/(n-p)``, Student's t with ``G - 1`` degrees of freedom for ``G``
lactations). The intervals that assume independent test days are kept as ``iid_ci95``.
Per-doe intervals use ``s^2 (J'J)^-1`` and Student's t with ``n - 3`` degrees of freedom.

:func:`write_breed_overrides` writes the fitted values as a ``[breed_overrides.lactation]``
table, and :func:`scenario_with_fits` returns a copy of a scenario that uses them; values a
fit does not determine (a parity class without records, a parameter at a bound) stay those
of the base breed. :func:`doe_lactations` gives one doe's lactations, each with its own
curve (the animal's page of the web application).
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from capra.errors import DataError
from capra.lactation.breed import N_PARITY_CLASSES
from capra.lactation.curves import wood, wood_extended
from capra.lactation.fit import GOAT_BOUNDS, LactationFit, fit_lactation, wood_jacobian
from capra.store.query import lactation_records

__all__ = [
    "CurveFit",
    "LactationFits",
    "doe_lactations",
    "fit_does",
    "fit_lactations",
    "lactation_overrides",
    "scenario_with_fits",
    "write_breed_overrides",
]

#: Parity classes of the breed curves (3 stands for 3 and later). [-]
PARITY_CLASSES = (1, 2, 3)
#: Fewest test days, and lactations, for a class fit. [-]
MIN_CLASS_TEST_DAYS = 20
MIN_CLASS_LACTATIONS = 5
#: Fewest test days beyond the rebound day for the extended fit. [-]
MIN_EXTENDED_TEST_DAYS = 30
#: Iterations of the per-doe Levenberg-Marquardt fit. [-]
DOE_ITERATIONS = 60
#: Fewest test days of one lactation for its own Wood curve on the animal's page (three
#: parameters and one degree of freedom). [-]
MIN_TEST_DAYS_DOE_CURVE = 4


# --------------------------------------------------------------------------------------
# Class fits with cluster-robust errors
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CurveFit:
    """A lactation curve fitted to the pooled test days of one parity class.

    Attributes
    ----------
    parity_class
        1, 2 or 3 (3 and later). [-]
    model
        ``"wood"`` or ``"wood_extended"``.
    params
        Fitted parameters (Wood ``a`` [kg/day], ``b`` [-], ``c`` [1/d]; extended also
        ``rebound_day`` [d], ``rebound_rate_per_day`` [1/d], ``rebound_max_ratio`` [-]).
    stderr, ci95
        Cluster-robust standard errors and 95 % intervals (lactations as clusters), in the
        parameters' units.
    iid_ci95
        95 % intervals that treat test days as independent (from the SciPy fit).
    n_test_days, n_lactations
        Records used. [-]
    rmse
        Root mean square residual. [kg/day]
    fit
        The underlying :class:`capra.lactation.LactationFit`.
    """

    parity_class: int
    model: str
    params: dict[str, float]
    stderr: dict[str, float]
    ci95: dict[str, tuple[float, float]]
    iid_ci95: dict[str, tuple[float, float]]
    n_test_days: int
    n_lactations: int
    rmse: float
    fit: LactationFit
    covariance: np.ndarray = field(repr=False, default=None)

    @property
    def determined(self) -> tuple[str, ...]:
        """Parameters the records determine: finite interval and not at a fitting bound."""
        return tuple(k for k, s in self.stderr.items()
                     if np.isfinite(s) and k not in self.fit.at_bound)

    def predict(self, dim_days) -> np.ndarray:
        """Fitted daily yield at days in milk ``dim_days`` [d]. [kg/day]"""
        return self.fit.predict(dim_days)

    def band(self, dim_days, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise interval of the fitted curve (delta method, robust covariance). [kg/day]"""
        t = np.asarray(dim_days, dtype=float)
        jac = _jacobian(self.model, np.array(list(self.params.values())), t)
        var = np.einsum("ij,jk,ik->i", jac, np.nan_to_num(self.covariance), jac)
        dof = max(self.n_lactations - 1, 1)
        q = float(stats.t.ppf(0.5 + level / 2, dof))
        y = self.predict(t)
        half = q * np.sqrt(np.clip(var, 0.0, None))
        return y - half, y + half


def _jacobian(model: str, x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """d curve / d parameters at ``t`` (analytic for Wood, central differences else)."""
    if model == "wood":
        return wood_jacobian(x, t)
    cols = []
    for i in range(x.size):
        h = 1e-6 * max(abs(x[i]), 1e-3)
        up, dn = x.copy(), x.copy()
        up[i] += h
        dn[i] -= h
        cols.append((wood_extended(t, *up) - wood_extended(t, *dn)) / (2 * h))
    return np.column_stack(cols)


def _robust(model: str, fit: LactationFit, t: np.ndarray, y: np.ndarray,
            cluster: np.ndarray) -> tuple[np.ndarray, dict, dict]:
    """Cluster-robust covariance, standard errors and 95 % intervals of a fit."""
    x = np.array(list(fit.params.values()))
    jac = _jacobian(model, x, t)
    resid = fit.predict(t) - y
    n, p = jac.shape
    codes, uniq = pd.factorize(cluster)
    g = len(uniq)
    bread = np.linalg.pinv(jac.T @ jac)
    score = np.zeros((g, p))
    np.add.at(score, codes, jac * resid[:, None])
    meat = score.T @ score
    factor = (g / max(g - 1, 1)) * ((n - 1) / max(n - p, 1))
    cov = bread @ meat @ bread * factor
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    names = list(fit.params)
    bad = np.array([not np.isfinite(fit.stderr[k]) for k in names])
    se[bad] = np.nan
    q = float(stats.t.ppf(0.975, max(g - 1, 1)))
    stderr = {k: float(s) for k, s in zip(names, se)}
    ci = {k: (float(v - q * s), float(v + q * s)) for k, v, s in zip(names, x, se)}
    return cov, stderr, ci


def _class_fit(model: str, sub: pd.DataFrame, cls: int) -> CurveFit:
    t = sub["dim"].to_numpy(float)
    y = sub["milk_kg"].to_numpy(float)
    fit = fit_lactation(t, y, model=model)
    cov, se, ci = _robust(model, fit, t, y, sub["lactation"].to_numpy())
    return CurveFit(parity_class=cls, model=model, params=dict(fit.params), stderr=se, ci95=ci,
                    iid_ci95=dict(fit.ci95), n_test_days=int(t.size),
                    n_lactations=int(sub["lactation"].nunique()), rmse=float(fit.rmse),
                    fit=fit, covariance=cov)


# --------------------------------------------------------------------------------------
# Per-doe fits, all lactations at once
# --------------------------------------------------------------------------------------

def _group_sum(codes: np.ndarray, values: np.ndarray, g: int) -> np.ndarray:
    """Sums of the rows of ``values`` (n, ...) by group code, shape (g, ...)."""
    out = np.zeros((g,) + values.shape[1:])
    np.add.at(out, codes, values)
    return out


def fit_does(records: pd.DataFrame, *, min_test_days: int = 6,
             max_dim_days: int | None = 305) -> pd.DataFrame:
    """Wood curves of single lactations, fitted all at once (vectorized Levenberg-Marquardt).

    Parameters
    ----------
    records
        Test days as returned by :func:`lactation_records`.
    min_test_days
        Fewest test days (on distinct days in milk) for a lactation to be fitted; at least
        4. [-]
    max_dim_days
        Only test days up to this many days in milk (the standard lactation); ``None``
        for all. [days]

    Returns
    -------
    One row per fitted lactation: ``tag``, ``lactation``, ``kidding_date``, ``parity``,
    ``parity_class``, ``n`` (test days), ``a`` [kg/day], ``b`` [-], ``c`` [1/d], their
    standard errors ``se_*`` and 95 % interval limits ``*_low``/``*_high``,
    ``rmse`` [kg/day], ``converged`` (relative step below 1e-8 and no parameter at a
    bound).
    """
    min_test_days = max(int(min_test_days), 4)
    r = records
    if max_dim_days is not None:
        r = r[r["dim"] <= max_dim_days]
    r = r[r["milk_kg"] > 0]
    n_per = r.groupby("lactation")["dim"].transform("nunique")
    r = r[n_per >= min_test_days]
    cols = ["tag", "lactation", "kidding_date", "parity", "parity_class", "n", "a", "b", "c",
            "se_a", "se_b", "se_c", "a_low", "a_high", "b_low", "b_high", "c_low", "c_high",
            "rmse", "converged"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    codes, lacs = pd.factorize(r["lactation"], sort=True)
    g = len(lacs)
    t = r["dim"].to_numpy(float)
    y = r["milk_kg"].to_numpy(float)
    n = np.bincount(codes, minlength=g)
    bounds = GOAT_BOUNDS["wood"]
    lo = np.array([bounds[k][0] for k in "abc"])
    hi = np.array([bounds[k][1] for k in "abc"])
    # start: log-linear least squares ln y = ln a + b ln t - c t, per lactation
    X = np.column_stack([np.ones_like(t), np.log(t), -t])
    XtX = _group_sum(codes, X[:, :, None] * X[:, None, :], g)
    Xty = _group_sum(codes, X * np.log(y)[:, None], g)
    coef = np.linalg.solve(XtX + 1e-9 * np.eye(3), Xty[..., None])[..., 0]
    x = np.column_stack([np.exp(coef[:, 0]), coef[:, 1], coef[:, 2]])
    x = np.clip(x, lo + 1e-6 * (hi - lo), hi - 1e-6 * (hi - lo))

    def resid(x):
        return wood(t, x[codes, 0], x[codes, 1], x[codes, 2]) - y

    def jac(x):
        base = wood(t, 1.0, x[codes, 1], x[codes, 2])
        yy = x[codes, 0] * base
        return np.column_stack([base, yy * np.log(t), -t * yy])

    res = resid(x)
    ssr = np.bincount(codes, res * res, minlength=g)
    lam = np.full(g, 1e-3)
    step_rel = np.full(g, np.inf)
    for _ in range(DOE_ITERATIONS):
        J = jac(x)
        JtJ = _group_sum(codes, J[:, :, None] * J[:, None, :], g)
        Jtr = _group_sum(codes, J * res[:, None], g)
        diag = np.einsum("gii->gi", JtJ)
        A = JtJ + lam[:, None, None] * (np.eye(3)[None] * diag[:, None, :] + 1e-12 * np.eye(3))
        step = -np.linalg.solve(A, Jtr[..., None])[..., 0]
        cand = np.clip(x + step, lo, hi)
        res_c = resid(cand)
        ssr_c = np.bincount(codes, res_c * res_c, minlength=g)
        better = ssr_c <= ssr
        step_rel = np.where(better, np.max(np.abs(cand - x) / np.maximum(np.abs(x), 1e-12),
                                           axis=1), step_rel)
        x = np.where(better[:, None], cand, x)
        ssr = np.where(better, ssr_c, ssr)
        lam = np.where(better, lam / 3.0, lam * 4.0)
        res = resid(x)
    J = jac(x)
    JtJ = _group_sum(codes, J[:, :, None] * J[:, None, :], g)
    dof = np.maximum(n - 3, 1)
    s2 = ssr / dof
    cov = np.linalg.pinv(JtJ) * s2[:, None, None]
    se = np.sqrt(np.clip(np.einsum("gii->gi", cov), 0.0, None))
    q = stats.t.ppf(0.975, dof)
    at_bound = ((np.isclose(x, lo, rtol=0, atol=1e-9 * (hi - lo)))
                | (np.isclose(x, hi, rtol=0, atol=1e-9 * (hi - lo)))).any(axis=1)
    first = r.groupby(codes).first()
    out = pd.DataFrame({
        "tag": first["tag"].to_numpy(), "lactation": np.asarray(lacs),
        "kidding_date": first["kidding_date"].to_numpy(), "parity": first["parity"].to_numpy(),
        "parity_class": first["parity_class"].to_numpy(), "n": n,
        "a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
        "se_a": se[:, 0], "se_b": se[:, 1], "se_c": se[:, 2]})
    for i, k in enumerate("abc"):
        out[f"{k}_low"] = x[:, i] - q * se[:, i]
        out[f"{k}_high"] = x[:, i] + q * se[:, i]
    out["rmse"] = np.sqrt(ssr / n)
    out["converged"] = (step_rel < 1e-8) & ~at_bound
    return out[cols]


def doe_lactations(records: pd.DataFrame) -> list[dict]:
    """One doe's lactations, oldest first, each with her own Wood curve.

    Parameters
    ----------
    records
        Her test days, as from :func:`capra.store.query.lactation_records` with
        ``animal_id``.

    Returns
    -------
    One dict per lactation: ``kidding_date``, ``parity``, ``dim`` (days in milk of the test
    days) [days], ``milk_kg`` [kg/day], ``dates`` of the test days and ``fit`` (a
    :class:`~capra.lactation.LactationFit` of the Wood curve when the test days fall on
    at least :data:`MIN_TEST_DAYS_DOE_CURVE` days in milk and the fit succeeds, else
    ``None``).
    """
    out = []
    for kidding, g in records.groupby("kidding_date", sort=True):
        fit = None
        if g["dim"].nunique() >= MIN_TEST_DAYS_DOE_CURVE:
            try:
                fit = fit_lactation(g["dim"].to_numpy(float), g["milk_kg"].to_numpy(float),
                                    "wood")
            except (DataError, ValueError):
                fit = None
        out.append({"kidding_date": pd.Timestamp(kidding).date(),
                    "parity": int(g["parity"].iloc[0]),
                    "dim": g["dim"].to_numpy(int), "milk_kg": g["milk_kg"].to_numpy(float),
                    "dates": [d.date() for d in g["date"]], "fit": fit})
    return out


# --------------------------------------------------------------------------------------
# All fits
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LactationFits:
    """Lactation curves fitted to the records (see :func:`fit_lactations`).

    Attributes
    ----------
    wood
        Wood fit of each parity class with enough records, by class.
    extended
        Extended-lactation fit of each class whose records reach the rebound, by class.
    does
        Per-lactation Wood fits (:func:`fit_does`).
    records
        The test days used (:func:`lactation_records`).
    effect_cv
        Coefficient of variation of the between-doe milk effect, estimated from each
        lactation's mean log ratio of its test days to its class curve (lactations with 3
        or more test days); NaN without enough data. Test-day noise adds to it. [-]
    wood_max_dim_days
        Last day in milk of the test days in the Wood fits. [days]
    rebound_day
        Day in milk after which test days count as extended lactation. [days]
    """

    wood: dict[int, CurveFit]
    extended: dict[int, CurveFit]
    does: pd.DataFrame
    records: pd.DataFrame
    effect_cv: float
    wood_max_dim_days: int
    rebound_day: int

    def table(self) -> pd.DataFrame:
        """One row per class fit and parameter: estimate, robust SE and 95 % interval."""
        rows = []
        for fits in (self.wood, self.extended):
            for cls, f in sorted(fits.items()):
                for k, v in f.params.items():
                    lo, hi = f.ci95[k]
                    rows.append({"parity_class": _class_label(cls), "model": f.model,
                                 "parameter": k, "estimate": v, "stderr": f.stderr[k],
                                 "ci95_low": lo, "ci95_high": hi,
                                 "at_bound": k in f.fit.at_bound,
                                 "n_test_days": f.n_test_days,
                                 "n_lactations": f.n_lactations, "rmse_kg": f.rmse})
        return pd.DataFrame(rows)

    def figure(self, base=None):
        """Matplotlib figure: test days and fitted curves (with robust 95 % band), one
        panel per parity class; the base breed's curve dashed if ``base`` (a scenario or
        breed) is given."""
        from matplotlib.figure import Figure

        from capra.lactation import LactationCurves

        fig = Figure(figsize=(11, 3.8), constrained_layout=True)
        axes = fig.subplots(1, N_PARITY_CLASSES, sharey=True)
        curves = None
        if base is not None:
            breed = getattr(base, "breed", base)
            curves = LactationCurves.from_breed(breed.lactation)
        top = float(self.records["dim"].max()) if len(self.records) else 305.0
        t = np.linspace(1, max(top, 305.0), 400)
        for i, ax in enumerate(axes):
            cls = i + 1
            sub = self.records[self.records["parity_class"] == cls]
            ax.scatter(sub["dim"], sub["milk_kg"], s=5, alpha=0.25, color="0.4",
                       label="test days", rasterized=True)
            if cls in self.wood:
                f = self.wood[cls]
                tw = t[t <= self.wood_max_dim_days]
                lo, hi = f.band(tw)
                ax.fill_between(tw, lo, hi, color="tab:blue", alpha=0.25, linewidth=0)
                ax.plot(tw, f.predict(tw), color="tab:blue", label="Wood fit (95 % band)")
            if cls in self.extended:
                ax.plot(t, self.extended[cls].predict(t), color="tab:orange", linestyle=":",
                        label="extended fit")
            if curves is not None:
                ax.plot(t, curves.daily_kg(t, np.full(t.shape, cls), extended=True),
                        color="black", linestyle="--", linewidth=1, label="breed curve")
            ax.set_title(f"parity {_class_label(cls)}: {sub['lactation'].nunique()} "
                         f"lactations, {len(sub)} test days", fontsize=9)
            ax.set_xlabel("days in milk [d]")
            ax.grid(alpha=0.3)
        axes[0].set_ylabel("milk [kg/day]")
        axes[0].legend(fontsize=8, loc="upper right")
        return fig


def _class_label(cls: int) -> str:
    return f"{cls}+" if cls == N_PARITY_CLASSES else str(cls)


def fit_lactations(db, *, min_test_days_per_doe: int = 6, wood_max_dim_days: int = 305,
                   rebound_day: int = 330, records: pd.DataFrame | None = None
                   ) -> LactationFits:
    """Fit lactation curves to the test days of the records.

    Parameters
    ----------
    db
        An open records database, or its URL or SQLite path; not read when
        ``records`` is given.
    min_test_days_per_doe
        Fewest test days for a lactation of one doe to get its own fit. [-]
    wood_max_dim_days
        The Wood fits use test days up to this many days in milk (the standard
        lactation; later test days of extended lactations follow another profile). [days]
    rebound_day
        Test days after this many days in milk count as extended lactation; the extended
        fit is made where a class has :data:`MIN_EXTENDED_TEST_DAYS` of them (the breed's
        ``rebound_day`` is a good choice). [days]
    records
        Test days as from :func:`lactation_records`, instead of reading ``db``.

    Returns
    -------
    LactationFits

    Raises
    ------
    DataError
        No test day can be placed in a lactation.
    """
    rec = lactation_records(db) if records is None else records
    if rec.empty:
        raise DataError("no test day with a recorded kidding before it: record parturition "
                        "events (or the last kidding of does in milk at entry) and test days")
    wood_fits: dict[int, CurveFit] = {}
    ext_fits: dict[int, CurveFit] = {}
    for cls in PARITY_CLASSES:
        sub = rec[rec["parity_class"] == cls]
        std = sub[sub["dim"] <= wood_max_dim_days]
        if (len(std) >= MIN_CLASS_TEST_DAYS and std["lactation"].nunique() >= MIN_CLASS_LACTATIONS
                and std["dim"].nunique() >= 4):
            wood_fits[cls] = _class_fit("wood", std, cls)
        late = sub[sub["dim"] > rebound_day]
        if (len(late) >= MIN_EXTENDED_TEST_DAYS and late["lactation"].nunique() >= MIN_CLASS_LACTATIONS
                and sub["dim"].nunique() >= 7):
            ext_fits[cls] = _class_fit("wood_extended", sub, cls)
    does = fit_does(rec, min_test_days=min_test_days_per_doe, max_dim_days=wood_max_dim_days)
    cv = _effect_cv(rec, wood_fits, wood_max_dim_days)
    return LactationFits(wood=wood_fits, extended=ext_fits, does=does, records=rec,
                         effect_cv=cv, wood_max_dim_days=int(wood_max_dim_days),
                         rebound_day=int(rebound_day))


def _effect_cv(rec: pd.DataFrame, fits: dict[int, CurveFit], max_dim: int) -> float:
    """CV of the per-lactation effects (geometric mean of test day / class curve)."""
    if not fits:
        return float("nan")
    r = rec[(rec["dim"] <= max_dim) & (rec["milk_kg"] > 0) & rec["parity_class"].isin(list(fits))]
    if r.empty:
        return float("nan")
    pred = np.full(len(r), np.nan)
    for cls, f in fits.items():
        m = (r["parity_class"] == cls).to_numpy()
        pred[m] = f.predict(r["dim"].to_numpy(float)[m])
    logratio = pd.Series(np.log(r["milk_kg"].to_numpy(float) / pred), index=r.index)
    g = logratio.groupby(r["lactation"])
    eff = np.exp(g.mean()[g.size() >= 3])
    if len(eff) < MIN_CLASS_LACTATIONS:
        return float("nan")
    return float(eff.std(ddof=1) / eff.mean())


# --------------------------------------------------------------------------------------
# Into the scenario
# --------------------------------------------------------------------------------------

def _breed(base):
    from capra.scenario import Breed, Scenario, load_breed, load_scenario

    if base is None:
        return load_breed("saanen")
    if isinstance(base, Breed):
        return base
    if isinstance(base, Scenario):
        return base.breed
    return load_scenario(base).breed


def lactation_overrides(fits: LactationFits, base=None) -> dict:
    """The ``[breed_overrides.lactation]`` values: fitted where determined, else the base
    breed's (default the bundled Saanen breed)."""
    lac = _breed(base).lactation
    a, b, c = list(lac.wood_a), list(lac.wood_b), list(lac.wood_c)
    for cls, f in fits.wood.items():
        det = f.determined
        i = cls - 1
        if "a" in det:
            a[i] = f.params["a"]
        if "b" in det:
            b[i] = f.params["b"]
        if "c" in det:
            c[i] = f.params["c"]
    out = {"wood_a": [round(v, 4) for v in a], "wood_b": [round(v, 4) for v in b],
           "wood_c": [round(v, 6) for v in c]}
    # the rebound: from the class with the most extended test days, if determined
    if fits.extended:
        best = max(fits.extended.values(), key=lambda f: f.n_test_days)
        det = best.determined
        if "rebound_day" in det:
            out["rebound_day"] = round(best.params["rebound_day"])
        if "rebound_rate_per_day" in det:
            out["rebound_rate_per_day"] = round(best.params["rebound_rate_per_day"], 6)
        if "rebound_max_ratio" in det:
            out["rebound_max_ratio"] = round(best.params["rebound_max_ratio"], 4)
    if math.isfinite(fits.effect_cv):
        out["animal_effect_cv"] = round(fits.effect_cv, 4)
    return out


def write_breed_overrides(fits: LactationFits, path: str | os.PathLike, base=None) -> Path:
    """Write the fitted curves as a TOML ``[breed_overrides.lactation]`` table.

    Paste the table into a scenario file (or use :func:`scenario_with_fits`) and the
    simulation uses the fitted curves. Values a fit does not determine are the base
    breed's (``base``: a scenario, breed, scenario name or file; default Saanen).
    """
    values = lactation_overrides(fits, base)
    n = len(fits.records)
    head = [(f"# Lactation curves fitted to {n} test days of "
             f"{fits.records['lactation'].nunique()} lactations (capra milk fit)."),
            ("# Parity classes 1, 2, 3+; values not determined by the records are the "
             "base breed's."), ""]
    body = ["[breed_overrides.lactation]"]
    for key, value in values.items():
        shown = ("[" + ", ".join(repr(v) for v in value) + "]" if isinstance(value, list)
                 else repr(value))
        body.append(f"{key} = {shown}")
    text = "\n".join(head + body) + "\n"
    tomllib.loads(text)  # always valid TOML
    path = Path(path)
    path.write_text(text, encoding="utf-8")
    return path


def scenario_with_fits(base, fits: LactationFits):
    """A copy of scenario ``base`` (object, name or file) whose breed uses the fitted
    lactation curves (see :func:`lactation_overrides`)."""
    from capra.scenario import Scenario, load_scenario, scenario_from_dict

    sc = base if isinstance(base, Scenario) else load_scenario(base)
    data = sc.model_dump(mode="python", exclude_none=True)
    data["breed"] = sc.breed
    data["breed_overrides"] = {"lactation": lactation_overrides(fits, sc)}
    return scenario_from_dict(data)
