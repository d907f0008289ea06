"""What we do not know, in the bands: one set of uncertain parameters per replicate.

A scenario value written as a distribution (:mod:`capra.scenario.uncertain`) is an
*uncertain parameter*. With parameter uncertainty on (the default of
:func:`capra.herd.simulate`), each replicate draws its own value of every uncertain
parameter, so that the spread across replicates holds what we do not know as well as the
chance of a herd of this size; off, every replicate uses the point values and the spread
is chance alone.

The draws are reproducible: replicate ``r`` of a run with seed ``s`` takes, for the
parameter named ``n``, the quantile ``u`` = :func:`capra.herd.rng.uniform` of the named
stream ``"parameters"`` of ``(s, r)`` at the id ``crc32(n)``, and the value
``distribution.ppf(u)``. Parameters sharing a ``together`` name share their ``u``. A draw
depends on nothing else (not on the other replicates, the batch or the engine).

A batch of replicates is simulated in one set of arrays: :func:`batch_params` compiles the
scenario with each replicate's values and keeps, in :attr:`HerdParams.varying
<capra.herd.params.HerdParams.varying>`, the compiled fields that differ between them, one
row per replicate of the batch; the daily processes read those rows by replicate.

:func:`sensitivity` ranks the uncertain parameters by how strongly they move the
deliverable milk of a year and of its poorest month (Spearman rank correlation across the
replicates).
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from capra.herd import rng
from capra.scenario.fields import _key_path
from capra.scenario.uncertain import Distribution, UncertainValue

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from capra.herd.params import HerdParams
    from capra.herd.result import HerdResult

__all__ = ["PER_REPLICATE_FIELDS", "ParameterDraws", "UncertainParameter", "batch_params",
           "draw", "sensitivity", "sensitivity_dict", "uncertain_parameters",
           "with_values"]

#: The named random stream of the parameter draws (see :mod:`capra.herd.rng`).
STREAM = "parameters"

#: Compiled fields of :class:`~capra.herd.params.HerdParams` the daily processes read per
#: replicate when they differ between the replicates of a batch. A field outside this set
#: that differs is a programming error (an uncertain scenario value whose effect the
#: simulator would ignore), refused by :func:`batch_params`.
PER_REPLICATE_FIELDS = frozenset({
    "cum_death_hazard", "abortion_risk", "stillbirth_risk",
    "service_probability", "ai_probability", "cull_daily_probability",
    "kid_milk_kg_per_day", "milk_table", "low_yield_dim_days",
    "conception_factor_by_day", "milk_factor_by_day", "health",
})
#: Compiled fields the simulator does not read (it reads the curves through
#: ``milk_table``, the death hazard through its cumulative sum).
_NOT_SIMULATED = frozenset({"curves", "death_hazard", "varying"})
#: Compiled fields made only of values that are never uncertain (capra.herd.feeding: kid
#: rearing and the feeding apply the replicates' own kid risk and milk as they run); taken
#: from the batch's parameters, so that ``feed=False`` stays off.
_POINT_ONLY = frozenset({"rearing", "feeding"})


@dataclass(frozen=True)
class UncertainParameter:
    """An uncertain value of a scenario.

    Attributes
    ----------
    name
        Its key path in the scenario, e.g. ``"breed.reproduction.stillbirth_risk"`` or
        ``"policy.breeding_groups[1].conception_rate_per_cycle"``.
    path
        The same as a tuple of keys and indices.
    distribution
        What we know of it.
    """

    name: str
    path: tuple
    distribution: Distribution

    @property
    def factor(self) -> str:
        """What the draws are keyed by: the ``together`` name, else the parameter's."""
        return self.distribution.together or self.name


def uncertain_parameters(scenario) -> tuple[UncertainParameter, ...]:
    """Every value of ``scenario`` given as a distribution with a spread, in the order of
    the scenario's fields."""
    found: list[UncertainParameter] = []

    def walk(value: Any, path: tuple) -> None:
        if isinstance(value, UncertainValue):
            if value.distribution.uncertain:
                found.append(UncertainParameter(_key_path(path), path, value.distribution))
        elif isinstance(value, BaseModel):
            for name in type(value).model_fields:
                walk(getattr(value, name), path + (name,))
        elif isinstance(value, tuple):
            for i, item in enumerate(value):
                walk(item, path + (i,))

    walk(scenario, ())
    return tuple(found)


def draw(parameters: Sequence[UncertainParameter], seed: int,
         replicates: int | Sequence[int]) -> np.ndarray:
    """The values of the uncertain parameters of each replicate.

    Parameters
    ----------
    parameters
        From :func:`uncertain_parameters`.
    seed
        The run's seed.
    replicates
        Number of replicates, or the replicate numbers wanted.

    Returns
    -------
    Array (replicates, parameters) in the units of the scenario values.
    """
    reps = np.arange(replicates) if np.isscalar(replicates) else np.asarray(replicates)
    out = np.empty((reps.size, len(parameters)))
    if not parameters or reps.size == 0:
        return out
    key = rng.replicate_keys(seed, reps, processes=(STREAM,))[STREAM]
    for j, par in enumerate(parameters):
        tag = zlib.crc32(par.factor.encode())
        u = rng.uniform(key, np.full(reps.size, tag, dtype=np.int64), 0)
        out[:, j] = par.distribution.ppf(u)
    return out


def with_values(scenario, parameters: Sequence[UncertainParameter], values) -> Any:
    """``scenario`` with the uncertain parameters set to ``values`` (plain numbers, not
    validated again: each lies inside its distribution, whose bounds were checked)."""
    updates: dict[tuple, float] = {par.path: float(v) for par, v in zip(parameters, values,
                                                                        strict=True)}

    def replace(value: Any, subs: dict[tuple, float]) -> Any:
        if () in subs:
            return subs[()]
        heads: dict[Any, dict[tuple, float]] = {}
        for path, v in subs.items():
            heads.setdefault(path[0], {})[path[1:]] = v
        if isinstance(value, BaseModel):
            return value.model_copy(update={k: replace(getattr(value, k), s)
                                            for k, s in heads.items()})
        items = list(value)
        for i, s in heads.items():
            items[i] = replace(items[i], s)
        return tuple(items)

    return replace(scenario, updates) if updates else scenario


def _equal(a: Any, b: Any) -> bool:
    """Deep equality of compiled values (arrays, indexes, dataclasses, tuples)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    if hasattr(a, "equals"):                     # pandas indexes
        return bool(a.equals(b))
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return all(_equal(getattr(a, f.name), getattr(b, f.name))
                   for f in dataclasses.fields(a))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def batch_params(params: HerdParams, per_replicate: Sequence[HerdParams]) -> HerdParams:
    """``params`` with :attr:`~capra.herd.params.HerdParams.varying` set from the
    replicates' own compiled parameters (one per replicate of the batch, in order).

    Raises
    ------
    RuntimeError
        If a field outside :data:`PER_REPLICATE_FIELDS` differs between replicates.
    """
    varying: dict[str, Any] = {}
    for f in dataclasses.fields(params):
        if f.name in _NOT_SIMULATED or f.name in _POINT_ONLY:
            continue
        base = getattr(params, f.name)
        values = [getattr(q, f.name) for q in per_replicate]
        if all(_equal(base, v) for v in values):
            continue
        if f.name not in PER_REPLICATE_FIELDS:
            raise RuntimeError(f"the compiled field {f.name!r} differs between replicates, "
                               "but the simulator reads it once for all")
        if f.name == "health":
            from capra.herd.health import stack_health

            varying.update(stack_health(base, values))
        else:
            varying[f.name] = np.stack([np.asarray(v) for v in values])
    return dataclasses.replace(params, varying=varying)


@dataclass(frozen=True)
class ParameterDraws:
    """The uncertain parameters of a scenario and how to make a batch's parameters from
    them; sent with each batch of replicates to where it runs."""

    scenario: Any
    parameters: tuple[UncertainParameter, ...]

    @classmethod
    def of(cls, scenario) -> ParameterDraws | None:
        """The scenario's uncertain parameters, or None if it has none."""
        parameters = uncertain_parameters(scenario)
        return cls(scenario, parameters) if parameters else None

    def values(self, seed: int, replicates) -> np.ndarray:
        """:func:`draw` for these parameters."""
        return draw(self.parameters, seed, replicates)

    def batch(self, params: HerdParams, replicates: Sequence[int], seed: int) -> HerdParams:
        """The parameters of a batch of replicates: ``params`` (the point values) with the
        fields that differ between the replicates' draws, one row per replicate."""
        from capra.herd.params import compile_params

        values = self.values(seed, replicates)
        per = [compile_params(with_values(self.scenario, self.parameters, row),
                              with_feeding=False)          # _POINT_ONLY: from params
               for row in values]
        return batch_params(params, per)


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------

#: The outputs :func:`sensitivity` relates to the parameters, with their descriptions.
OUTPUTS = {
    "milk_per_year": "deliverable milk over the last 365 days [kg/year]",
    "trough_month_milk": ("mean daily deliverable milk of the poorest calendar month of the "
                          "last 365 days (the month with the lowest median) [kg/day]"),
}


def sensitivity(result: HerdResult) -> pd.DataFrame | None:
    """Which uncertain parameters move deliverable milk most.

    For each uncertain parameter (or group of parameters drawn ``together``), the
    Spearman rank correlation across replicates between its drawn value and (a) the
    deliverable milk of the last 365 days, (b) the mean daily deliverable milk of the
    trough month (the calendar month of the last 365 days with the lowest median).
    A correlation near ±1 means the parameter alone orders the outcomes; near 0, that it
    does not move them (within the chance of the other draws).

    Returns
    -------
    DataFrame, one row per factor, sorted by the larger of the two absolute correlations:
    ``factor``, ``parameters`` (the key paths), ``distribution``, ``rho_milk_per_year``,
    ``p_milk_per_year``, ``rho_trough_month_milk``, ``p_trough_month_milk``, ``rank``; its
    ``attrs`` hold ``trough_month`` (1-12), ``replicates`` and ``outputs``. None if the
    result has no parameter draws (uncertainty off, or no uncertain parameter).
    """
    import pandas as pd
    from scipy.stats import spearmanr

    ds = result.data
    if "parameter_value" not in ds or ds.sizes.get("parameter", 0) == 0:
        return None
    n = int(ds.sizes["replicate"])
    last = result.last_year()
    years = last.sizes["date"] / 365.25
    annual = (last["milk_kg"].sum(("date", "farm")) / years).values.astype(float)
    monthly = result.monthly_daily_milk()
    trough = int(monthly["month"].values[int(np.argmin(monthly.median("replicate").values))])
    trough_milk = monthly.sel(month=trough).values.astype(float)
    values = ds["parameter_value"].values
    names = [str(x) for x in ds["parameter"].values]
    factors = [str(x) for x in ds["factor"].values]
    dists = [str(x) for x in ds["distribution"].values]
    rows = []
    for factor in dict.fromkeys(factors):
        cols = [j for j, f in enumerate(factors) if f == factor]
        x = values[:, cols[0]]
        row = {"factor": factor, "parameters": ", ".join(names[j] for j in cols),
               "distribution": "; ".join(dists[j] for j in cols)}
        for key, y in (("milk_per_year", annual), ("trough_month_milk", trough_milk)):
            if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
                rho, p = float("nan"), float("nan")
            else:
                res = spearmanr(x, y)
                rho, p = float(res.statistic), float(res.pvalue)
            row[f"rho_{key}"], row[f"p_{key}"] = rho, p
        rows.append(row)
    table = pd.DataFrame(rows)
    strength = np.fmax(table["rho_milk_per_year"].abs(),
                       table["rho_trough_month_milk"].abs()).fillna(-1.0)
    table = table.iloc[np.argsort(-strength.to_numpy(), kind="stable")].reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    table.attrs.update(trough_month=trough, replicates=n, outputs=dict(OUTPUTS))
    return table


def sensitivity_dict(result: HerdResult) -> dict | None:
    """:func:`sensitivity` as plain data (the ``sensitivity`` key of ``capra run --json``),
    or None without parameter draws."""
    table = sensitivity(result)
    if table is None:
        return None

    def num(x):
        return None if not np.isfinite(x) else float(x)

    return {
        "method": "Spearman rank correlation across replicates between each uncertain "
                  "parameter's drawn value and the output",
        "replicates": table.attrs["replicates"],
        "trough_month": table.attrs["trough_month"],
        "outputs": table.attrs["outputs"],
        "factors": [{"rank": int(r["rank"]), "factor": r["factor"],
                     "parameters": r["parameters"].split(", "),
                     "distribution": r["distribution"],
                     "rho_milk_per_year": num(r["rho_milk_per_year"]),
                     "p_milk_per_year": num(r["p_milk_per_year"]),
                     "rho_trough_month_milk": num(r["rho_trough_month_milk"]),
                     "p_trough_month_milk": num(r["p_trough_month_milk"])}
                    for _, r in table.iterrows()],
    }
