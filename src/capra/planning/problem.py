"""The planning problem as arrays: what the linear programme of :mod:`capra.planning.model`
is built from.

:class:`PlanInputs` holds the products, the network, the planned periods, the milk
supply, the rations wanted and how the planned days begin and end (the stock rule);
:class:`SupplyLever` is a change of the supply a manager can make, for "what binds".
:func:`coarsen` merges the days after the first ones into longer periods (the tail of a
rolling window). :func:`capra.planning.inputs.plan_inputs` makes the inputs of a scenario.

How the planned days begin and end (:attr:`PlanInputs.stock_rule`):

* ``"free"``: the stock at the start is given (``history``, by age) and what is left at
  the end is free — "this year from today's stock";
* ``"cyclic"``: the planned days are one turn of a cycle the programme repeats (a
  repeatable year): the opening stock is a variable, made at the end of the same days in
  the turn before, and the closing stock of every product gives back at least the opening
  stock.

Units: kg of milk or product per period, rations per period.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capra.errors import ArgumentError
from capra.planning.network import Network
from capra.planning.products import ProductTable

__all__ = ["STOCK_RULES", "PlanInputs", "SupplyLever", "coarsen"]

#: How the planned days begin and end (see the module notes).
STOCK_RULES = ("free", "cyclic")


@dataclass(frozen=True)
class SupplyLever:
    """A change of the milk supply a manager can make, for "what binds": the supply
    becomes ``supply + level * profile_kg`` (e.g. one more head on a farm, or the kids
    reared on milk replacer instead of goat milk).

    Attributes
    ----------
    constraint, item, unit
        What the lever is, where, and its unit, in words. [-]
    profile_kg
        Milk added per unit of the lever, per farm and period, (F, T). [kg/period]
    base
        The lever's value today (e.g. the farm's capacity in head; 0 for a change), so
        that its range is reported in the lever's own terms. [unit]
    """

    constraint: str
    item: str
    unit: str
    profile_kg: np.ndarray
    base: float = 0.0


@dataclass
class PlanInputs:
    """Everything the planning LP needs, as arrays.

    Attributes
    ----------
    products
        The products that some plant can make. [-]
    net
        Farms, plants, sites and links; ``net.plant_capacity_kg`` has one column per
        product of ``products``. [-]
    dates
        First day of each period, length T. [date]
    period_days
        Days in each period, (T,). [days]
    supply_kg
        Deliverable milk per farm and period, (F, T). [kg/period]
    rations
        Rations wanted at full enrolment per site, age group and period, (S, G, T).
        [rations/period]
    open_days
        Operating days of each site in each period, (S, T). [days]
    total_children
        Children enrolled at all sites (the enrolment at scale 1). [children]
    opening_stock
        Stock at each plant before the first period, (K, P) (``"free"`` only). [kg]
    history
        Opening stock by day made, first-in-first-out: ``history[k, p, j]`` was made
        ``j + 1`` days before the first period, (K, P, H) (``"free"`` only). [kg]
    stock_rule
        ``"free"`` or ``"cyclic"`` (see the module notes). [-]
    years
        Programme year of each period, (T,), for one enrolment per year; None: one
        enrolment for all periods. [-]
    levers
        Supply levers reported by "what binds". [-]
    """

    products: ProductTable
    net: Network
    dates: pd.DatetimeIndex
    period_days: np.ndarray
    supply_kg: np.ndarray
    rations: np.ndarray
    open_days: np.ndarray
    total_children: float
    opening_stock: np.ndarray | None = None
    history: np.ndarray | None = None
    stock_rule: str = "free"
    years: np.ndarray | None = None
    levers: tuple[SupplyLever, ...] = ()

    def __post_init__(self):
        if self.stock_rule not in STOCK_RULES:
            raise ArgumentError(f"stock_rule {self.stock_rule!r}; expected one of "
                             f"{', '.join(STOCK_RULES)}")
        K, P = len(self.net.plants), len(self.products.names)
        if self.history is None:
            if self.opening_stock is None:
                self.history = np.zeros((K, P, 1))
            else:  # stock of unknown age: taken as just ready
                depth = int(self.products.ripening_days.max(initial=0)) + 1
                self.history = np.zeros((K, P, depth))
                self.history[:, np.arange(P), np.maximum(self.products.ripening_days, 1) - 1] = \
                    np.asarray(self.opening_stock, float)
        self.opening_stock = self.history.sum(axis=2)
        if self.stock_rule == "cyclic":
            if self.history.any():
                raise ArgumentError("a cyclic plan has no given opening stock")
            if self.period_days.max(initial=1) != 1:
                raise ArgumentError("a cyclic plan needs daily periods")

    @property
    def shape(self) -> dict[str, int]:
        """Sizes: F farms, K plants, S sites, G age groups, P products, T periods."""
        return {"F": len(self.net.farms), "K": len(self.net.plants), "S": len(self.net.sites),
                "G": self.rations.shape[1], "P": len(self.products.names),
                "T": len(self.period_days)}

    @property
    def period_end_day(self) -> np.ndarray:
        """Last day of each period, counted from the first planned day (0). [days]"""
        return np.cumsum(self.period_days) - 1

    def window(self, start: int, stop: int) -> PlanInputs:
        """The periods ``start:stop`` (``"free"`` only), with the opening stock only when
        ``start`` is 0."""
        if self.stock_rule != "free":
            raise ArgumentError("only a plan with a given opening stock can be cut in windows")
        sl = slice(start, stop)
        return PlanInputs(self.products, self.net, self.dates[sl], self.period_days[sl],
                          self.supply_kg[:, sl], self.rations[:, :, sl],
                          self.open_days[:, sl], self.total_children,
                          history=self.history if start == 0 else None,
                          years=None if self.years is None else self.years[sl],
                          levers=tuple(dataclasses.replace(v, profile_kg=v.profile_kg[:, sl])
                                       for v in self.levers))


def coarsen(inputs: PlanInputs, daily: int, tail_period_days: int) -> PlanInputs:
    """Keep the first ``daily`` periods, then merge the rest into periods of
    ``tail_period_days`` days (supply and demand summed)."""
    T = len(inputs.period_days)
    if T <= daily:
        return inputs
    if inputs.stock_rule != "free":
        raise ArgumentError("only a plan with a given opening stock can be coarsened")
    group = np.concatenate([np.arange(daily),
                            daily + (np.arange(T - daily) // tail_period_days)])
    n = group[-1] + 1

    def agg(a):
        out = np.zeros(a.shape[:-1] + (n,))
        np.add.at(out, (..., group), a)
        return out

    first = np.searchsorted(group, np.arange(n))
    return PlanInputs(inputs.products, inputs.net, inputs.dates[first],
                      agg(inputs.period_days.astype(float)).astype(np.int64),
                      agg(inputs.supply_kg), agg(inputs.rations), agg(inputs.open_days),
                      inputs.total_children, history=inputs.history,
                      years=None if inputs.years is None else inputs.years[first],
                      levers=tuple(dataclasses.replace(v, profile_kg=agg(v.profile_kg))
                                   for v in inputs.levers))
