"""Breeding stock: bucks bought in or rotated between farms, and the inbreeding of a
closed herd.

The scenario's ``[policy.bucks]`` (:class:`capra.scenario.BuckPolicy`) is compiled into
:class:`BuckParams`. Each day :func:`daily`, run after the health processes and before
conception:

- with ``rotation``, on the rotation day of each year passes the kept bucks on to the next
  farm of the scenario's list (the last farm's to the first), each farm keeping its number
  of bucks (:func:`_rotate`), counted as transfers;
- with ``source = "bought"``, on the purchase day of each year buys, for each farm, the
  bucks it lacks (``ceil(females of breeding age / does_per_buck)`` less the kept males
  already there), of the stated age; they are counted as arrivals (and no male kid is kept
  as a buck, :func:`capra.herd.processes.replacement`);
- over the last 365 days of the horizon, records the ages of the does kidding and of the
  bucks (``dam_age_at_kidding_days``, ``buck_age_days``), from which :func:`inbreeding`
  estimates the generation interval.

:func:`inbreeding` gives the expected rate of inbreeding of the herd's breeding units
(each farm, or all farms when the bucks rotate): effective size
``Ne = 4 Nm Nf / (Nm + Nf)`` and ``ΔF = 1 / (2 Ne)`` per generation (Wright 1931;
Falconer and Mackay 1996, *Introduction to Quantitative Genetics*, 4th ed., eq. 4.5 and
4.7), with Nm the bucks and Nf the does that kidded in the last year, the generation
interval ``L`` the mean age of the parents at the birth of their kids, and the coefficient
reached after ``n`` generations ``F = 1 - (1 - ΔF)^n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra import libm
from capra.herd import kernels
from capra.herd.params import FEMALE, MALE, calendar_fields
from capra.rates import DAYS_PER_MONTH, DAYS_PER_YEAR

if TYPE_CHECKING:  # pragma: no cover
    from capra.herd.result import HerdResult

__all__ = ["BREEDING_OUTPUTS", "BuckParams", "compile_bucks", "daily", "inbreeding",
           "inbreeding_dict"]

#: Daily records of the ages of the parents (last 365 days): name -> (units, description).
BREEDING_OUTPUTS = {
    "dam_age_at_kidding_days": ("days/day", "sum of the ages of the does kidding that day "
                                            "(last 365 days of the horizon)"),
    "buck_age_days": ("days", "sum of the ages of the bucks at the end of the day "
                              "(last 365 days of the horizon)"),
}
#: Years over which :func:`inbreeding` also reports the coefficient reached. [years]
OUTLOOK_YEARS = 10


@dataclass(frozen=True)
class BuckParams:
    """The compiled ``[policy.bucks]``."""

    bought: bool                   # bucks bought in, no male kid kept
    purchase_days: np.ndarray      # (n_days,) bool
    purchase_age_days: int
    rotation: bool
    rotation_days: np.ndarray      # (n_days,) bool

    @property
    def keep_male_kids(self) -> bool:
        """Whether male kids are kept as bucks (bred on the farms)."""
        return not self.bought


def _yearly(month_day: str, dates: pd.DatetimeIndex) -> np.ndarray:
    """(n_days,) bool: the day ``"MM-DD"`` of each year (28 February for 02-29 in common
    years)."""
    month, day = (int(x) for x in month_day.split("-"))
    years, months, days = calendar_fields(dates)
    last = (np.where((years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0)), 29, 28)
            if (month, day) == (2, 29) else day)
    return (months == month) & (days == last)


def compile_bucks(scenario, dates: pd.DatetimeIndex) -> BuckParams:
    pol = scenario.policy.bucks
    return BuckParams(
        bought=pol.source == "bought", purchase_days=_yearly(pol.purchase_date, dates),
        purchase_age_days=int(round(pol.purchase_age_months * DAYS_PER_MONTH)),
        rotation=bool(pol.rotation), rotation_days=_yearly(pol.rotation_date, dates))


def daily(state, t: int, p, keys, rec) -> None:
    """Rotation, purchases and the parents' ages of day ``t`` (module docstring)."""
    if p.bucks is None:
        return
    hooks(state, t, p, keys, rec)
    if t >= p.n_days - 365:
        from capra.herd import day

        day.parents_ages(t, state.rows(0), len(state), p.buck_min_breeding_age_days,
                         rec.counts[t], rec.floats[t])


def hooks(state, t: int, p, keys, rec) -> None:
    """The rotation and the purchases of day ``t`` (on the days of :func:`hook_days`)."""
    b = p.bucks
    if b is None:
        return
    if b.rotation and b.rotation_days[t]:
        _rotate(state, t, p, rec)
    if b.bought and b.purchase_days[t]:
        _buy(state, t, p, keys, rec)


def hook_days(p) -> np.ndarray:
    """The days on which bucks are rotated or bought, (n_days,) bool."""
    b = p.bucks
    days = np.zeros(p.n_days, bool)
    if b is not None:
        days |= (b.rotation & b.rotation_days) | (b.bought & b.purchase_days)
    return days


def _kept_males(state, p) -> np.ndarray:
    idx = kernels.kept_males(state.sex, state.kept, state.alive)
    return idx[p.is_farm[state.loc[idx]]]


def _rotate(state, t, p, rec) -> None:
    """Pass the kept bucks on around the ring of farms, each farm keeping its number.

    In each replicate the bucks are listed farm by farm in the scenario's order (by id
    within a farm), the list is turned by the largest number of bucks on one farm, and the
    farms take their places in the turned list: with the same number of bucks on every
    farm, each farm's bucks go to the next farm (the last farm's to the first).
    """
    from capra.herd.processes import _split_by_quota

    farms = np.flatnonzero(p.is_farm)
    if farms.size < 2:
        return
    idx = _kept_males(state, p)
    if idx.size == 0:
        return
    ring = np.full(p.n_locations, -1, np.int64)
    ring[farms] = np.arange(farms.size)
    rep = state.rep[idx].astype(np.int64)
    place = ring[state.loc[idx]]
    counts = np.bincount(rep * farms.size + place,
                         minlength=state.n_replicates * farms.size).reshape(-1, farms.size)
    order = np.lexsort((state.uid[idx], place, rep))
    pos = np.empty(idx.size, np.int64)
    start = np.cumsum(counts.sum(axis=1)) - counts.sum(axis=1)
    pos[order] = np.arange(idx.size) - start[rep[order]]
    total = np.maximum(counts.sum(axis=1), 1)
    turned = (pos + counts.max(axis=1)[rep]) % total[rep]
    dest = farms[_split_by_quota(rep, turned.astype(float), counts)]
    movers = dest != state.loc[idx]
    if not movers.any():
        return
    rec.count("transfers_out", state, idx[movers])
    state.move(idx[movers], dest[movers])
    rec.count("transfers_in", state, idx[movers])


def _buy(state, t, p, keys, rec) -> None:
    from capra.herd.processes import _head_per_cell, new_animals

    age = t - state.birth
    females = _head_per_cell(state, rec, (state.sex == FEMALE) & (age >= p.min_breeding_age_days))
    males = _head_per_cell(state, rec, (state.sex == MALE) & state.kept)
    need = np.where(p.is_farm[None, :], np.maximum(np.ceil(females / p.does_per_buck) - males,
                                                   0), 0).astype(np.int64)   # (R, L)
    if not need.any():
        return
    cells = np.repeat(np.arange(need.size), need.ravel())
    rep, loc = cells // p.n_locations, cells % p.n_locations
    idx = new_animals(state, p, keys, t, rep.astype(np.int32), sex=MALE,
                      birth=t - p.bucks.purchase_age_days, loc=loc, kept=True)
    rec.count("arrivals", state, idx, sex=state.sex[idx], birth=state.birth[idx],
              parity=state.parity[idx], due=state.due[idx], kidded=state.kidded[idx],
              lactating=state.lactating[idx], batch=-1)


# --------------------------------------------------------------------------------------
# Inbreeding
# --------------------------------------------------------------------------------------

def effective_size(bucks, does):
    """Effective population size ``4 Nm Nf / (Nm + Nf)`` (Wright 1931). [head]"""
    nm, nf = np.asarray(bucks, float), np.asarray(does, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((nm > 0) & (nf > 0), 4.0 * nm * nf / (nm + nf), np.nan)


def inbreeding_rate(bucks, does):
    """Expected rise of the inbreeding coefficient per generation,
    ``ΔF = 1 / (2 Ne) = 1 / (8 Nm) + 1 / (8 Nf)``. [-]"""
    return 1.0 / (2.0 * effective_size(bucks, does))


def inbreeding(result: HerdResult) -> pd.DataFrame | None:
    """The expected inbreeding of the herd's breeding units, from the last 365 days.

    A breeding unit is a farm, or all farms together when the bucks rotate (then each farm
    follows, as it would breed if its bucks stayed, for comparison). Per replicate:
    ``bucks`` Nm (mean head of bucks), ``does`` Nf (kiddings of the year), ``Ne``,
    ``delta_f`` per generation, ``generation_years`` L (mean age of the does at kidding
    and of the bucks plus a gestation, averaged), ``delta_f_per_year`` = ΔF / L, and the
    coefficient after the horizon and after :data:`OUTLOOK_YEARS` years from the first
    day. Bucks bought in from outside the herd sire kids that are not inbred: their units
    show ``closed`` false and ΔF 0. Does bred by artificial insemination are counted as if
    bred by the farm's own bucks, so with AI groups the figures are an upper bound.

    Returns
    -------
    DataFrame, one row per unit, with the P10/P50/P90 across replicates of each figure
    (columns ``<figure>_p10`` ...), or None if the result has no ages recorded.
    """
    ds = result.data
    if "buck_age_days" not in ds:
        return None
    attrs = ds.attrs
    rotation = bool(attrs.get("bucks_rotation", 0))
    bought = attrs.get("bucks_source", "own") == "bought"
    gestation = float(attrs.get("gestation_days", 150))
    last = result.last_year()
    farms = [str(f) for f, kind in zip(ds["farm"].values, ds["kind"].values)
             if kind == "farm"]
    units = [(f, [f]) for f in farms]
    if rotation:     # the herd as it breeds, then each farm as it would breed on its own
        units = [("all farms (bucks rotate)", farms)] + [
            (f"{f} (if its bucks stayed)", [f]) for f in farms]
    years_horizon = ds.sizes["date"] / DAYS_PER_YEAR
    rows = []
    for name, members in units:
        sel = last.sel(farm=members).sum("farm")
        days = sel.sizes["date"]
        nm = (sel["bucks"].sum("date") / days).values.astype(float)
        nf = (sel["kiddings"].sum("date") * 365.0 / days).values.astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            dam_age = (sel["dam_age_at_kidding_days"].sum("date")
                       / sel["kiddings"].sum("date")).values
            buck_age = (sel["buck_age_days"].sum("date") / sel["bucks"].sum("date")).values
        generation = (dam_age + buck_age + gestation) / 2.0 / DAYS_PER_YEAR
        delta = np.zeros_like(nm) if bought else inbreeding_rate(nm, nf)
        ne = effective_size(nm, nf)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_year = delta / generation
            f_horizon = 1.0 - libm.power(1.0 - delta, years_horizon / generation)
            f_outlook = 1.0 - libm.power(1.0 - delta, OUTLOOK_YEARS / generation)
        row = {"unit": name, "farms": ", ".join(members), "closed": not bought}
        for key, v in (("bucks", nm), ("does", nf), ("Ne", ne), ("delta_f", delta),
                       ("generation_years", generation), ("delta_f_per_year", per_year),
                       ("f_horizon", f_horizon), ("f_outlook", f_outlook)):
            v = np.asarray(v, float)
            ok = v[np.isfinite(v)]
            q = np.quantile(ok, (0.1, 0.5, 0.9)) if ok.size else (math.nan,) * 3
            row.update({f"{key}_p10": float(q[0]), f"{key}_p50": float(q[1]),
                        f"{key}_p90": float(q[2])})
        rows.append(row)
    table = pd.DataFrame(rows)
    table.attrs.update(horizon_years=years_horizon, outlook_years=OUTLOOK_YEARS,
                       rotation=rotation, bought=bought)
    return table


def inbreeding_dict(result: HerdResult) -> dict | None:
    """:func:`inbreeding` as plain data (the ``breeding`` key of ``capra run --json``)."""
    table = inbreeding(result)
    if table is None:
        return None

    def num(x):
        return None if not math.isfinite(x) else float(x)

    figures = ("bucks", "does", "Ne", "delta_f", "generation_years", "delta_f_per_year",
               "f_horizon", "f_outlook")
    return {
        "method": "Ne = 4 Nm Nf / (Nm + Nf), delta F = 1 / (2 Ne) per generation "
                  "(Wright 1931); Nm bucks, Nf does kidding, over the last 365 days",
        "bucks_source": "bought" if table.attrs["bought"] else "own",
        "rotation": table.attrs["rotation"],
        "horizon_years": table.attrs["horizon_years"],
        "outlook_years": table.attrs["outlook_years"],
        "units": [{"unit": r["unit"], "farms": r["farms"].split(", "), "closed": r["closed"],
                   **{f: {q: num(r[f"{f}_{q}"]) for q in ("p10", "p50", "p90")}
                      for f in figures}}
                  for _, r in table.iterrows()],
    }
