"""What binds the enrolment, and by how much: the levers of question (a).

Each limit a manager could change is a column of the question (a) model fixed at its
value (see :func:`capra.planning.model.build_model` with ``levers``). Its reduced cost is
the number of extra children served on every operating day per unit more of the limit
(never negative: a looser limit cannot serve fewer children), and HiGHS's ranging of the
column's bound gives the range of the limit over which that value holds (the optimal
basis stays the same).

Supply levers come from the herd (:func:`herd_levers`): one more head on a farm (farm
capacity when the farm is full, herd size when it is not) and the milk fed to kids.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capra.planning.lp import LinearModel
from capra.planning.problem import SupplyLever
from capra.planning.solve import LPResult, Solver

__all__ = ["BINDING_COLUMNS", "binding_constraints", "herd_levers"]

BINDING_COLUMNS = ["constraint", "item", "unit", "children_per_unit", "valid_from",
                   "valid_to"]

#: A farm whose median head (weaned animals) reaches this share of its target on some
#: planned day is full: more goats delivered would be sold. [fraction]
FULL_SHARE = 0.97


def binding_constraints(model: LinearModel, result: LPResult, solver: Solver | None = None,
                        *, tolerance: float = 1e-6) -> pd.DataFrame:
    """What limits the enrolment of question (a), from the levers of ``model``.

    For each lever, ``children_per_unit`` is the number of extra children served every
    operating day per ``unit`` more of the limit (a marginal value), valid while the limit
    stays between ``valid_from`` and ``valid_to`` (its current value lies between them;
    NaN when the solver gives no range). The milk of a month is one row: at the farm where
    it helps most ("any farm" when they are equal). Rows with no effect are left out.

    ``solver``: the :class:`~capra.planning.solve.Solver` that found ``result`` (for the
    ranges); without it the ranges are NaN.
    """
    if not result.success or model.question != "enrolment" or not model.levers:
        return pd.DataFrame(columns=BINDING_COLUMNS)
    cols = np.array([lv["column"] for lv in model.levers])
    gain = -np.asarray(result.col_dual)[cols]  # the objective is minus the children
    if solver is not None:
        lo, hi = solver.column_ranging(cols)
    else:
        lo = hi = np.full(len(cols), np.nan)
    frame = pd.DataFrame({"constraint": [lv["constraint"] for lv in model.levers],
                          "item": [lv["item"] for lv in model.levers],
                          "unit": [lv["unit"] for lv in model.levers],
                          "children_per_unit": gain, "valid_from": lo, "valid_to": hi,
                          "value": [lv["value"] for lv in model.levers]})
    frame["valid_from"] = frame["valid_from"].clip(upper=frame["value"])
    frame["valid_to"] = frame["valid_to"].clip(lower=frame["value"])
    milk = frame["constraint"] == "milk supply"
    if milk.any():
        m = frame[milk].copy()
        m["month"] = m["item"].str.split(", ", n=1).str[0]
        m["farm"] = m["item"].str.split(", ", n=1).str[1]
        rows = []
        for month, g in m.groupby("month", sort=True):
            best = g.loc[g["children_per_unit"].idxmax()]
            same = np.allclose(g["children_per_unit"], best["children_per_unit"],
                               rtol=1e-6, atol=1e-9)
            rows.append({**best.to_dict(),
                         "item": f"{month}, {'any farm' if same else 'at ' + best['farm']}"})
        frame = pd.concat([frame[~milk], pd.DataFrame(rows)[frame.columns]],
                          ignore_index=True)
    frame = frame[frame["children_per_unit"] > tolerance]
    return (frame.sort_values("children_per_unit", ascending=False)[BINDING_COLUMNS]
            .reset_index(drop=True))


def herd_levers(herd_result, scenario, dates: pd.DatetimeIndex, quantile: float
                ) -> tuple[list[SupplyLever], list[str]]:
    """Supply levers of a herd simulation on the planned ``dates``, and notes about them.

    * one more head on each farm: its milk is the farm's deliverable milk per weaned head
      (median across futures, day by day). When the farm is full (its weaned head reaches
      :data:`FULL_SHARE` of the target on some planned day) the lever is its capacity:
      more goats delivered would be sold; otherwise it is the herd size;
    * kid rearing: the goat milk fed to kids (the ``quantile`` path across futures) given
      instead to the plant, as if the kids were reared on milk replacer (unit: all of it).

    Returns the levers (profiles per farm and day on ``dates``, farms in scenario order)
    and notes in words (which farms are full, from when; when the herd is above capacity).
    """
    from capra.planning.inputs import supply_from_herd

    milk = supply_from_herd(herd_result, scenario, dates)
    head = supply_from_herd(herd_result, scenario, dates, "head")
    kids = supply_from_herd(herd_result, scenario, dates, "kids")
    fed = supply_from_herd(herd_result, scenario, dates, "milk_fed_kids_kg")
    weaned = np.median(head - kids, axis=0)  # (F, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_head = np.where(weaned > 0, np.median(milk, axis=0) / np.maximum(weaned, 1), 0.0)
    fill = scenario.policy.replacement.target_fill
    target = np.array([f.capacity_head for f in scenario.farms], float) * fill
    levers, notes, full_farms = [], [], []
    for f, farm in enumerate(scenario.farms):
        full = weaned[f] >= FULL_SHARE * target[f]
        name = "farm capacity" if full.any() else "herd size"
        if full.any():  # one more head of capacity keeps target_fill more weaned head
            levers.append(SupplyLever(name, farm.name, "+1 head of capacity",
                                      _one_farm(per_head, f) * fill,
                                      base=float(farm.capacity_head)))
        else:
            levers.append(SupplyLever(name, farm.name, "+1 head", _one_farm(per_head, f)))
        if full.any():
            full_farms.append(f"{farm.name} (from {dates[int(np.argmax(full))].date()})")
    if full_farms:
        notes.append("The farms are full: " + ", ".join(full_farms) + ". More goats "
                     "delivered would be sold; only more farm capacity raises the milk.")
    over = np.median(head, axis=0) > np.array([f.capacity_head for f in scenario.farms],
                                              float)[:, None]
    if over.any():
        notes.append("The head counted on the farms is above their capacity on some days "
                     "(spring kids before weaning and sale); capacity limits weaned "
                     "animals only.")
    kid_path = np.quantile(fed, quantile, axis=0) if fed.shape[0] > 1 else fed[0]
    if kid_path.sum() > 0:
        levers.append(SupplyLever("kid rearing", "kids reared on milk replacer instead of "
                                  "goat milk", "share of the kids' milk", kid_path))
    return levers, notes


def _one_farm(per_head: np.ndarray, f: int) -> np.ndarray:
    """A profile (F, T) with farm ``f``'s row of ``per_head`` and zeros elsewhere."""
    out = np.zeros_like(per_head)
    out[f] = per_head[f]
    return out
