"""The planning linear programme, built as sparse matrices (no Python object per variable).

Flows, per period ``t`` (a day, or several days in the coarse tail of a rolling window):

raw milk ``x[f,k,t]`` from farm f to plant k (the rest ``r[f,t]`` is not collected) →
products ``y[k,p,t]`` (``milk_kg_per_kg[p] * y`` kg of milk each; ready to serve
``ripening_days[p]`` days later) → stock ``I[k,p,t]`` of ready product at the plant, with
waste ``W[k,p,t]`` (expired or discarded) → shipments ``z[k,s,p,t]`` to sites, served the
day they arrive (with a single plant the shipments are the servings' weight and get no
variables of their own) → servings ``q[s,g,p,t]`` (rations) to children of age group g.

Shelf life is kept with the cumulative first-in-first-out form: the stock at the end of a
period may only hold ready product made recently enough to be served the next day
(``I[t] <= sum of y over those periods``, plus opening stock still in date), through
cumulative production variables ``C[k,p,t]``. It is exact for one store under oldest-first
issue.

How the planned days begin and end (:attr:`PlanInputs.stock_rule`):

* ``"free"``: the stock at the start is given (``history``, by age) and what is left at
  the end is free — "this year from today's stock";
* ``"cyclic"``: the planned days are one turn of a cycle the programme repeats (a
  repeatable year): the opening stock is a variable, made at the end of the same days in
  the turn before; shelf life and ripening wrap around the end; and the closing stock of
  every product gives back at least the opening stock. No stock is counted twice.

With ``years`` (programme years, question (a) only) each year has its own enrolment scale,
and the total stock of every product at the end of each year (ready or ripening) is at
least that at its start.

Two questions share the model:

* ``"enrolment"``: maximise the scale ``lam`` of the sites' enrolment such that every
  operating site-day gets the full ration for ``lam`` times its children:
  ``sum_p q[s,g,p,t] = lam * rations[s,g,t]``;
* ``"dispatch"``: for a fixed scale, ``sum_p q + u = scale * rations`` with shortfall ``u``
  split into three segments of a third of the demand each, so that a convex penalty
  spreads unavoidable shortfall; the objectives (worst coverage of any site and age group,
  shortfall, waste, transport) are given as separate cost vectors for a lexicographic solve.

With ``levers`` (question (a)), every limit a manager could change is one column fixed at
its value (plant capacity per product, milk intake, stores, routes, the milk of each farm
per month, and supply levers such as more goats): its reduced cost is the marginal value
of the limit and HiGHS's bound ranging gives the range over which that value holds.

Units: kg of milk or product per period, rations per period.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from capra.planning.network import Network
from capra.planning.products import ProductTable
from capra.scenario import STORAGE_CLASSES

__all__ = ["SHORTFALL_WEIGHTS", "STOCK_RULES", "LinearModel", "PlanInputs", "SupplyLever",
           "build_model", "coarsen"]

#: Penalty per ration short in each third of a site-day's demand: convex, so that a
#: third short on three days costs less than everything short on one day. [-]
SHORTFALL_WEIGHTS = (1.0, 3.0, 9.0)
#: Weights of the single objective used in rolling windows: per ration short (times the
#: segment weight), per kg of milk wasted, per kg·km transported. [-]
ROLLING_WEIGHTS = {"shortfall": 1000.0, "waste": 1.0, "transport": 1e-4}
#: How the planned days begin and end (see the module notes).
STOCK_RULES = ("free", "cyclic")

INF = np.inf


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
            raise ValueError(f"stock_rule {self.stock_rule!r}; expected one of "
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
                raise ValueError("a cyclic plan has no given opening stock")
            if self.period_days.max(initial=1) != 1:
                raise ValueError("a cyclic plan needs daily periods")

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
            raise ValueError("only a plan with a given opening stock can be cut in windows")
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
        raise ValueError("only a plan with a given opening stock can be coarsened")
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


@dataclass
class LinearModel:
    """A linear programme ``min c·x  s.t.  row_lo <= A x <= row_hi, col_lo <= x <= col_hi``.

    ``blocks[name]`` is an index array of the columns of one variable family, shaped like
    the family (``-1`` where a variable does not exist); ``rows[name]`` the same for a
    constraint family. ``costs`` holds the objective vectors by name (for a lexicographic
    solve); ``c`` is the one in use. ``levers`` lists the fixed columns that carry a limit
    (``constraint``, ``item``, ``unit``, ``column``, ``value``).
    """

    A: sp.csc_matrix
    c: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    blocks: dict[str, np.ndarray]
    rows: dict[str, np.ndarray]
    question: str
    inputs: PlanInputs
    scale: float | None = None
    costs: dict[str, np.ndarray] = field(default_factory=dict)
    cost_units: dict[str, float] = field(default_factory=dict)
    levers: list[dict] = field(default_factory=list)
    farm_group: np.ndarray | None = None

    def supply_rows(self, supply_kg: np.ndarray) -> np.ndarray:
        """The right-hand sides of the milk-supply rows for ``supply_kg`` per farm and
        period of the original farms, (F, T): pooled where farms were merged."""
        supply_kg = np.asarray(supply_kg, float)
        if self.farm_group is None:
            return supply_kg
        out = np.zeros((int(self.farm_group.max()) + 1,) + supply_kg.shape[1:])
        np.add.at(out, self.farm_group, supply_kg)
        return out

    @property
    def n_cols(self) -> int:
        return self.A.shape[1]

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    @property
    def nnz(self) -> int:
        return self.A.nnz

    def values(self, name: str, x: np.ndarray, kind: str = "col") -> np.ndarray:
        """Values of a variable (or row) family from a solution vector, 0 where absent."""
        idx = (self.blocks if kind == "col" else self.rows)[name]
        return np.where(idx >= 0, x[np.maximum(idx, 0)], 0.0) if idx.size else np.zeros(idx.shape)

    def size(self) -> dict[str, int]:
        """Columns, rows and non-zeros."""
        return {"columns": self.n_cols, "rows": self.n_rows, "nonzeros": self.nnz}


class _Builder:
    """Collects variable families, constraint families and coefficient triplets."""

    def __init__(self):
        self.n = 0
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.blocks: dict[str, np.ndarray] = {}
        self.m = 0
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.rows: dict[str, np.ndarray] = {}
        self.tr: list[np.ndarray] = []
        self.tc: list[np.ndarray] = []
        self.tv: list[np.ndarray] = []

    def var(self, name, shape, hi=INF, mask=None, lo=0.0) -> np.ndarray:
        mask = np.ones(shape, bool) if mask is None else np.broadcast_to(mask, shape)
        idx = np.full(shape, -1, dtype=np.int64)
        k = int(mask.sum())
        idx[mask] = self.n + np.arange(k)
        self.lo.append(np.broadcast_to(np.asarray(lo, float), shape)[mask].astype(float))
        self.hi.append(np.broadcast_to(np.asarray(hi, float), shape)[mask].astype(float))
        self.n += k
        self.blocks[name] = idx
        return idx

    def fixed(self, name, values, mask=None) -> np.ndarray:
        """Columns fixed at ``values`` (the limits carried by levers)."""
        values = np.asarray(values, float)
        return self.var(name, values.shape, hi=values, lo=values, mask=mask)

    def row(self, name, shape, lo=-INF, hi=INF, mask=None) -> np.ndarray:
        mask = np.ones(shape, bool) if mask is None else np.broadcast_to(mask, shape)
        idx = np.full(shape, -1, dtype=np.int64)
        k = int(mask.sum())
        idx[mask] = self.m + np.arange(k)
        self.rlo.append(np.broadcast_to(np.asarray(lo, float), shape)[mask].astype(float))
        self.rhi.append(np.broadcast_to(np.asarray(hi, float), shape)[mask].astype(float))
        self.m += k
        self.rows[name] = idx
        return idx

    def coef(self, rows, cols, vals=1.0):
        rows, cols, vals = np.broadcast_arrays(rows, cols, np.asarray(vals, float))
        keep = (rows >= 0) & (cols >= 0) & (vals != 0)
        self.tr.append(rows[keep])
        self.tc.append(cols[keep])
        self.tv.append(vals[keep])

    def matrix(self) -> sp.csc_matrix:
        r = np.concatenate(self.tr) if self.tr else np.zeros(0, np.int64)
        c = np.concatenate(self.tc) if self.tc else np.zeros(0, np.int64)
        v = np.concatenate(self.tv) if self.tv else np.zeros(0)
        A = sp.csc_matrix((v, (r, c)), shape=(self.m, self.n))
        A.eliminate_zeros()
        return A

    def cost(self, terms) -> np.ndarray:
        c = np.zeros(self.n)
        for idx, w in terms:
            idx, w = np.broadcast_arrays(idx, np.asarray(w, float))
            keep = idx >= 0
            np.add.at(c, idx[keep], w[keep])
        return c


# --------------------------------------------------------------------------------------
# Timing of products: ripening and shelf life, over periods
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Timing:
    """When each period's output is ready and until when it may be held, per product.

    ``ready_in[p, tau]``: the period in which the output of period ``tau`` is ready (T:
    not within the planned periods; cyclic: modulo T). ``first[p, t]``: the first period
    whose output may still be held at the end of ``t``; ``last_ready[p, t]``: the last
    period whose output is ready by the end of ``t``. Both may be negative in a cyclic
    plan (the periods before wrap to the end).
    """

    ready_in: np.ndarray
    first: np.ndarray
    last_ready: np.ndarray


def _timing(inputs: PlanInputs) -> _Timing:
    prods = inputs.products
    ends = inputs.period_end_day
    T = len(ends)
    ripe = prods.ripening_days
    life = prods.life_days
    if inputs.stock_rule == "cyclic":  # daily periods
        t = np.arange(T)[None, :]
        return _Timing(np.mod(t + ripe[:, None], T), t - (life[:, None] - 2),
                       t - ripe[:, None])
    ready_in = np.stack([np.searchsorted(ends, ends + r, side="left") for r in ripe])
    first = np.stack([np.searchsorted(ends, ends - (L - 2), side="left") for L in life])
    last_ready = np.stack([np.searchsorted(ends, ends - r, side="right") - 1 for r in ripe])
    return _Timing(ready_in.reshape(len(ripe), T), first.reshape(len(ripe), T),
                   last_ready.reshape(len(ripe), T))


def _history_terms(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Opening stock (``"free"``) by period, (K, P, T) each: ready and entering the stock
    in the period, ready and still in date at its end, and made but not yet ready at its
    end. [kg]"""
    hist = inputs.history
    K, P, H = hist.shape
    ends = inputs.period_end_day
    T = len(ends)
    made = -(np.arange(H) + 1)  # day made, relative to the first planned day
    enters = np.zeros((K, P, T))
    in_date = np.zeros((K, P, T))
    unripe = np.zeros((K, P, T))
    prods = inputs.products
    for p in range(P):
        ready_day = np.maximum(made + prods.ripening_days[p], 0)
        period = np.searchsorted(ends, ready_day, side="left")  # (H,)
        entered = period[None, :] <= np.arange(T)[:, None]  # (T, H)
        fresh = made[None, :] >= (ends - (prods.life_days[p] - 2))[:, None]
        lots = hist[:, p, :]  # (K, H)
        ok = period < T
        np.add.at(enters[:, p, :], (slice(None), period[ok]), lots[:, ok])
        in_date[:, p, :] = lots @ (entered & fresh).T
        unripe[:, p, :] = lots @ (~entered).T
    return enters, in_date, unripe


def _cum_at(cum: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Columns ``cum[k, p, tau[p, t]]``, (K, P, T); -1 where ``tau`` is outside the
    periods or the column does not exist."""
    T = cum.shape[2]
    ok = (tau >= 0) & (tau < T)
    at = np.take_along_axis(cum, np.broadcast_to(np.clip(tau, 0, T - 1)[None], cum.shape),
                            axis=2)
    return np.where(ok[None], at, -1)


def _add_window(b: _Builder, rows, cum, lo, hi, cyclic: bool, weight=1.0) -> None:
    """Add ``weight * sum of y over periods lo..hi`` (inclusive, (P, T) each) to ``rows``
    (K, P, T), through the cumulative production ``cum`` (K, P, T). In a cyclic plan the
    periods before 0 are those at the end (whole turns included)."""
    T = cum.shape[2]
    lo, hi = np.asarray(lo), np.asarray(hi)
    length = np.maximum(hi - lo + 1, 0)
    last = cum[:, :, T - 1:T]
    if not cyclic:
        lo = np.maximum(lo, 0)
        ok = hi >= lo
        b.coef(rows, _cum_at(cum, np.where(ok, hi, -1)), weight)
        b.coef(rows, _cum_at(cum, np.where(ok, lo - 1, -1)), -weight)
        return
    turns, rem = length // T, length % T
    b.coef(rows, last, weight * turns[None])
    h = np.mod(hi, T)
    lo = h - rem + 1
    has = rem > 0
    b.coef(rows, _cum_at(cum, np.where(has, h, -1)), weight)
    b.coef(rows, _cum_at(cum, np.where(has & (lo >= 1), lo - 1, -1)), -weight)
    wraps = has & (lo < 0)  # days lo..-1 are the last ones of the turn before
    b.coef(rows, np.where(wraps[None], last, -1), weight)
    b.coef(rows, _cum_at(cum, np.where(wraps, lo + T - 1, -1)), -weight)


# --------------------------------------------------------------------------------------
# Bounds that keep the model small
# --------------------------------------------------------------------------------------

def largest_scale(inputs: PlanInputs, milk_kg: np.ndarray | None = None) -> np.ndarray:
    """An upper bound on the enrolment scale in each period, (T,). [-]

    By the end of any period, the rations served cannot need more milk (at the least milk
    per ration of any product) than the milk supplied so far plus the opening stock; with
    programme years, within each year's own demand; in a cyclic plan, the rations of the
    whole turn cannot need more than its milk.

    ``milk_kg`` replaces the supply of ``inputs.supply_kg``, per period (T,) or per farm and
    period (F, T), e.g. the maximum over several futures that will be solved in one model.
    [kg]
    """
    prods = inputs.products
    milk = inputs.supply_kg if milk_kg is None else np.asarray(milk_kg, float)
    milk = milk.sum(axis=0) if milk.ndim == 2 else milk
    T = len(milk)
    opening = float((inputs.opening_stock * prods.milk_kg_per_kg).sum())
    per_ration = prods.serving_kg * prods.milk_kg_per_kg[:, None]  # (P, G)
    per_ration = np.where(prods.serving_kg > 0, per_ration, np.inf).min(axis=0)  # (G,)
    wanted = inputs.rations.sum(axis=0)  # (G, T)
    with np.errstate(invalid="ignore"):  # no demand times no servable product: nothing
        need = np.where(wanted > 0, wanted * per_ration[:, None], 0.0).sum(axis=0)  # (T,)

    def ratio(m, n):
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(n > 0, m / np.where(n > 0, n, 1), np.inf)
        return float(r.min()) if r.size else np.inf

    if inputs.stock_rule == "cyclic":
        return np.full(T, ratio(milk.sum(), need.sum()))
    cum_milk = np.cumsum(milk) + opening
    if inputs.years is None:
        return np.full(T, ratio(cum_milk, np.cumsum(need)))
    out = np.full(T, np.inf)
    for y in np.unique(inputs.years):  # each year gives back the stock it began with
        mine = inputs.years == y
        out[mine] = min(ratio(cum_milk[mine], np.cumsum(need[mine])),
                        ratio(milk[mine].sum(), need[mine].sum()))
    return out


def _site_products(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray]:
    """Products each site can take (S, P) and which products are kept cold (P,)."""
    cold = np.array([s != "ambient" for s in inputs.products.storage])
    ok = ~((inputs.net.site_cold_kg[:, None] <= 0) & cold[None, :])
    return ok, cold


def site_limits(inputs: PlanInputs, top) -> tuple[np.ndarray, np.ndarray]:
    """Which route (K, S, T) and site cold-storage (S, T) limits could bind at a scale of
    at most ``top`` (a number, or one per period): a site's load on a day cannot exceed
    its rations times the heaviest serving it can take. The others are redundant."""
    net, serving = inputs.net, inputs.products.serving_kg
    days = inputs.period_days.astype(float)
    top = np.broadcast_to(np.asarray(top, float), days.shape)
    ok, cold = _site_products(inputs)
    heaviest = np.where(ok[:, :, None], serving[None, :, :], 0.0)  # (S, P, G)
    heaviest_cold = np.where(cold[None, :, None], heaviest, 0.0)
    with np.errstate(invalid="ignore"):  # an infinite bound times no demand: no load
        load_max = np.nan_to_num(top * np.einsum("sgt,sg->st", inputs.rations,
                                                 heaviest.max(axis=1)), nan=0.0)
        cold_max = np.nan_to_num(top * np.einsum("sgt,sg->st", inputs.rations,
                                                 heaviest_cold.max(axis=1)), nan=0.0)
    fin = np.isfinite(net.plant_site_capacity_kg)
    cap_route = np.where(fin, net.plant_site_capacity_kg, 0)[:, :, None] * days
    route = fin[:, :, None] & (load_max[None] > cap_route)
    finc = np.isfinite(net.site_cold_kg) & (net.site_cold_kg > 0)
    cap_cold = np.where(finc, net.site_cold_kg, 0)[:, None] * days
    cold_rows = finc[:, None] & (cold_max > cap_cold)
    return route, cold_rows


def merge_free_sites(inputs: PlanInputs, top) -> PlanInputs:
    """Sites none of whose own limits (route, cold storage) can bind, merged into one site
    per kind of access (all products; ambient products only).

    For question (a) this is exact: such sites differ only in their demand, and any mix of
    products served to the merged site can be split among them in proportion to their
    rations. Sites with a limit that may bind are kept as they are.
    """
    route, cold_rows = site_limits(inputs, top)
    free = ~(route.any(axis=(0, 2)) | cold_rows.any(axis=1))
    ambient_only = inputs.net.site_cold_kg <= 0
    groups = [np.flatnonzero(free & (ambient_only == a)) for a in (False, True)]
    groups = [g for g in groups if g.size > 1]
    if not groups:
        return inputs
    keep = np.flatnonzero(~np.isin(np.arange(len(free)), np.concatenate(groups)))
    net = inputs.net

    def stack(values, merged):
        return np.concatenate([values[keep]] + merged)

    rations = stack(inputs.rations, [inputs.rations[g].sum(axis=0, keepdims=True)
                                     for g in groups])
    open_days = stack(inputs.open_days, [inputs.open_days[g].max(axis=0, keepdims=True)
                                         for g in groups])
    names = [net.sites[i] for i in keep] + [
        f"{len(g)} sites with {'ambient products only' if ambient_only[g[0]] else 'all products'}"
        for g in groups]
    K = len(net.plants)
    new_net = dataclasses.replace(
        net, sites=tuple(names),
        plant_site_km=np.concatenate([net.plant_site_km[:, keep]]
                                     + [net.plant_site_km[:, g].mean(axis=1, keepdims=True)
                                        for g in groups], axis=1),
        plant_site_capacity_kg=np.concatenate([net.plant_site_capacity_kg[:, keep]]
                                              + [np.full((K, 1), np.inf) for _ in groups],
                                              axis=1),
        site_cold_kg=stack(net.site_cold_kg,
                           [np.array([0.0 if ambient_only[g[0]] else np.inf]) for g in groups]))
    return dataclasses.replace(inputs, net=new_net, rations=rations, open_days=open_days)


def merge_free_farms(inputs: PlanInputs, milk_bound_kg: np.ndarray | None = None
                     ) -> tuple[PlanInputs, np.ndarray]:
    """Farms whose milk-collection limits cannot bind, merged into one (for question (a)).

    A farm's collection limit cannot bind when it exceeds the farm's largest milk of any
    period (``milk_bound_kg`` (F, T), default the supply). Such farms differ only in
    their distances, which question (a) does not use, so their milk can be pooled: the
    answer is the same. Returns the inputs and the merged farm of each farm, (F,).
    """
    net = inputs.net
    bound = inputs.supply_kg if milk_bound_kg is None else np.asarray(milk_bound_kg, float)
    days = inputs.period_days.astype(float)
    cap = net.farm_plant_capacity_kg[:, :, None] * days[None, None, :]  # (F, K, T)
    free = (cap >= bound[:, None, :]).all(axis=(1, 2))
    F = len(net.farms)
    group = np.arange(F)
    if free.sum() < 2:
        return inputs, group
    keep = np.flatnonzero(~free)
    merged = len(keep)
    group[keep] = np.arange(merged)
    group[free] = merged

    def pool(a):
        out = np.zeros((merged + 1,) + a.shape[1:])
        np.add.at(out, group, a)
        return out

    names = tuple(net.farms[i] for i in keep) + (
        f"{int(free.sum())} farms" if len(keep) else "all farms",)
    new_net = dataclasses.replace(
        net, farms=names,
        farm_plant_km=np.concatenate([net.farm_plant_km[keep],
                                      net.farm_plant_km[free].mean(axis=0, keepdims=True)]),
        farm_plant_capacity_kg=np.concatenate([net.farm_plant_capacity_kg[keep],
                                               np.full((1, len(net.plants)), np.inf)]))
    levers = tuple(dataclasses.replace(v, profile_kg=pool(v.profile_kg)) for v in inputs.levers)
    return dataclasses.replace(inputs, net=new_net, supply_kg=pool(inputs.supply_kg),
                               levers=levers), group


def merge_equal_groups(inputs: PlanInputs) -> PlanInputs:
    """Age groups with the same serving of every product, merged into one.

    For question (a) this is exact: such groups draw on the same products in the same
    amounts per ration, so only their total demand matters.
    """
    prods = inputs.products
    _, first, label = np.unique(prods.serving_kg.T, axis=0, return_index=True,
                                return_inverse=True)
    label = np.asarray(label).ravel()
    if len(first) == prods.serving_kg.shape[1]:
        return inputs
    order = np.argsort(first)  # keep the groups in their first appearance order
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    new_label = rank[label]
    n = len(order)
    keep = first[order]
    names = tuple("+".join(g for g, lab in zip(prods.age_groups, new_label, strict=True)
                           if lab == k) for k in range(n))
    rations = np.zeros((inputs.rations.shape[0], n, inputs.rations.shape[2]))
    np.add.at(rations, (slice(None), new_label), inputs.rations)
    table = dataclasses.replace(prods, serving_kg=prods.serving_kg[:, keep],
                                nutrients_per_serving=prods.nutrients_per_serving[:, keep],
                                needs=prods.needs[keep], age_groups=names)
    return dataclasses.replace(inputs, products=table, rations=rations)


def milk_per_ration(products: ProductTable) -> np.ndarray:
    """The least milk that one ration of each age group needs, over the products served
    to it, (G,). [kg milk/ration]"""
    per = products.serving_kg * products.milk_kg_per_kg[:, None]
    per = np.where(products.serving_kg > 0, per, np.inf).min(axis=0)
    return np.where(np.isfinite(per), per, 0.0)


# --------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------

def build_model(inputs: PlanInputs, question: str = "enrolment", *, scale: float | None = None,
                max_scale: float | None = None, milk_bound_kg: np.ndarray | None = None,
                levers: bool = False) -> LinearModel:
    """Build the planning LP.

    Parameters
    ----------
    inputs
        The data (see :class:`PlanInputs`).
    question
        ``"enrolment"``: the largest scale of enrolment served in full on every operating
        day (one per programme year with ``inputs.years``); ``"dispatch"``: the best
        dispatch for the enrolment ``scale``.
    scale
        Enrolment as a multiple of the sites' children (``"dispatch"`` only). [-]
    max_scale
        Upper bound on the scale (``"enrolment"`` only); None: no bound. [-]
    milk_bound_kg
        Most milk per period, over all farms, of any supply this model will be solved with
        (when its supply rows are changed later), (T,); default: that of ``inputs``.
        Limits that cannot bind with this much milk are left out. [kg]
    levers
        Carry each limit in a fixed column, for "what binds" (``"enrolment"`` only).
    """
    if question not in ("enrolment", "dispatch"):
        raise ValueError(f"question {question!r}; expected 'enrolment' or 'dispatch'")
    if question == "dispatch" and (scale is None or scale < 0):
        raise ValueError("a dispatch needs an enrolment scale >= 0")
    if question == "dispatch" and inputs.years is not None:
        raise ValueError("a dispatch has one enrolment; programme years are for question (a)")
    levers = levers and question == "enrolment"
    d = inputs.shape
    F, K, S, G, P, T = (d[k] for k in "FKSGPT")
    prods, net = inputs.products, inputs.net
    days = inputs.period_days.astype(float)
    alpha = prods.milk_kg_per_kg
    serving = prods.serving_kg  # (P, G)
    cyclic = inputs.stock_rule == "cyclic"
    timing = _timing(inputs)
    ripening = prods.ripening_days > 0
    b = _Builder()
    lever_list: list[dict] = []

    def lever(constraint, items, unit, cols, values):
        for item, col, value in zip(items, np.ravel(cols), np.ravel(values), strict=True):
            if col >= 0:
                lever_list.append({"constraint": constraint, "item": item, "unit": unit,
                                   "column": int(col), "value": float(value)})

    # ---- variables ---------------------------------------------------------------
    route_fk = np.isfinite(net.farm_plant_capacity_kg)
    x = b.var("raw_to_plant", (F, K, T), hi=INF if levers else
              net.farm_plant_capacity_kg[:, :, None] * days)
    r = b.var("raw_not_collected", (F, T))
    makes = net.plant_capacity_kg > 0  # (K, P)
    y = b.var("production", (K, P, T), hi=INF if levers else
              net.plant_capacity_kg[:, :, None] * days, mask=makes[:, :, None])
    holds = makes | (inputs.opening_stock > 0)
    inv = b.var("stock", (K, P, T), mask=holds[:, :, None])
    w = b.var("waste", (K, P, T), mask=(inv >= 0))
    opening = b.var("opening_stock", (K, P), mask=holds) if cyclic else None
    cum = b.var("cumulative_production", (K, P, T), mask=(y >= 0))
    site_ok, cold = _site_products(inputs)
    want = inputs.rations > 0  # (S, G, T)
    serve_day = want.any(axis=1)  # (S, T)
    # with one plant, shipments are the servings' weight: no shipment variables
    direct = K == 1
    if not direct:
        z = b.var("shipment", (K, S, P, T), mask=((inv >= 0).any(axis=2)[:, None, :, None]
                                                  & site_ok[None, :, :, None]
                                                  & serve_day[None, :, None, :]))
    q = b.var("servings", (S, G, P, T),
              mask=want[:, :, None, :] & (serving.T > 0)[None, :, :, None]
              & site_ok[:, None, :, None])
    if question == "enrolment":
        # one copy of the scale per period, chained equal within a year: a single column
        # in every demand row would be dense and slow the interior-point method down
        lam = b.var("scale", (T,), hi=INF if max_scale is None else max_scale)
    else:
        seg = b.var("shortfall", (3, S, G, T), hi=(scale * inputs.rations / 3.0)[None],
                    mask=want[None])
        zeta = b.var("worst_coverage", (1,), hi=1.0)

    def ship(rows, weight=1.0):
        """Add ``weight * shipment[k,s,p,t]`` to ``rows`` (both broadcast to (K,S,P,T))."""
        rows, weight = np.broadcast_arrays(rows, np.asarray(weight, float))
        rows = np.broadcast_to(rows, (K, S, P, T))
        weight = np.broadcast_to(weight, (K, S, P, T))
        if not direct:
            b.coef(rows, z, weight)
        else:
            b.coef(rows[0][:, None, :, :], q, weight[0][:, None, :, :]
                   * serving.T[None, :, :, None])

    # ---- milk --------------------------------------------------------------------
    # with levers the supply is supply + sum of (level - base) * profile, levels fixed at
    # their base
    rhs = inputs.supply_kg - sum((sl.base * np.asarray(sl.profile_kg, float)
                                  for sl in inputs.levers), np.zeros((F, T))) \
        if levers else inputs.supply_kg
    rs = b.row("milk_supply", (F, T), rhs, rhs)
    b.coef(rs[:, None, :], x)
    b.coef(rs, r)
    if levers:
        months = inputs.dates.to_period("M")
        labels, month_of = np.unique(months.astype(str), return_inverse=True)
        extra = b.fixed("lever_milk_month", np.zeros((F, len(labels))))
        b.coef(rs, extra[:, month_of], -days[None, :])
        for f, farm in enumerate(net.farms):
            lever("milk supply", [f"{m}, {farm}" for m in labels], "+1 kg milk/day",
                  extra[f], np.zeros(len(labels)))
        for v, sl in enumerate(inputs.levers):  # supply + (level - base) * profile
            col = b.fixed(f"lever_supply_{v}", np.full(1, sl.base))
            b.coef(rs, col[0], -np.asarray(sl.profile_kg, float))
            lever(sl.constraint, [sl.item], sl.unit, col, [sl.base])
        cap = b.fixed("lever_collection", np.where(route_fk, net.farm_plant_capacity_kg, 0),
                      mask=route_fk)
        rcol = b.row("collection_capacity", (F, K, T), hi=0.0,
                     mask=route_fk[:, :, None])
        b.coef(rcol, x)
        b.coef(rcol, cap[:, :, None], -days)
        lever("milk collection route",
              [f"{f} -> {k}" for f in net.farms for k in net.plants], "+1 kg milk/day",
              cap, net.farm_plant_capacity_kg)
    finite = np.isfinite(net.plant_intake_kg)
    if levers:
        cap = b.fixed("lever_intake", np.where(finite, net.plant_intake_kg, 0), mask=finite)
        ri = b.row("plant_intake", (K, T), hi=0.0, mask=finite[:, None])
        b.coef(ri, cap[:, None], -days)
        lever("plant milk intake", list(net.plants), "+1 kg milk/day", cap,
              net.plant_intake_kg)
    else:
        ri = b.row("plant_intake", (K, T), hi=(np.where(finite, net.plant_intake_kg, 0)[:, None]
                                               * days), mask=finite[:, None])
    b.coef(ri[None, :, :], x)

    # ---- processing --------------------------------------------------------------
    rp = b.row("processing", (K, T), 0.0, 0.0)
    b.coef(rp[:, None, :], y, alpha[None, :, None])
    b.coef(rp[None, :, :], x, -1.0)
    if levers:
        cap = b.fixed("lever_capacity", np.where(makes, net.plant_capacity_kg, 0), mask=makes)
        rpc = b.row("plant_capacity", (K, P, T), hi=0.0, mask=makes[:, :, None])
        b.coef(rpc, y)
        b.coef(rpc, cap[:, :, None], -days)
        lever("plant capacity", [f"{k}: {p}" for k in net.plants for p in prods.names],
              "+1 kg product/day", cap, net.plant_capacity_kg)
    # cumulative production C[t] = C[t-1] + y[t]
    rcum = b.row("cumulative_production", (K, P, T), 0.0, 0.0, mask=cum >= 0)
    b.coef(rcum, cum)
    b.coef(rcum[:, :, 1:], cum[:, :, :-1], -1.0)
    b.coef(rcum, y, -1.0)

    # ---- stock -------------------------------------------------------------------
    if cyclic:
        hist_enters = hist_in_date = hist_unripe = np.zeros((K, P, T))
    else:
        hist_enters, hist_in_date, hist_unripe = _history_terms(inputs)
    rb = b.row("stock_balance", (K, P, T), hist_enters, hist_enters, mask=inv >= 0)
    b.coef(rb, inv)
    b.coef(rb[:, :, 1:], inv[:, :, :-1], -1.0)
    ready_rows = np.take_along_axis(
        rb, np.broadcast_to(np.minimum(timing.ready_in, T - 1)[None], rb.shape), axis=2)
    b.coef(np.where((timing.ready_in < T)[None], ready_rows, -1), y, -1.0)
    ship(rb[:, None, :, :])
    b.coef(rb, w)
    if cyclic:
        b.coef(rb[:, :, 0], opening, -1.0)
        rclose = b.row("closing_stock", (K, P), lo=0.0, mask=opening >= 0)
        b.coef(rclose, inv[:, :, T - 1])
        b.coef(rclose, opening, -1.0)
    # shelf life: I[t] <= output of the periods whose product is ready and still in date
    # at the end of t, plus opening stock still in date
    if cyclic:
        need = np.ones((P, T), bool)
    else:  # implied by the balance where the window starts at 0 and no old stock is stale
        entered = np.cumsum(hist_enters, axis=2).sum(axis=0)  # (P, T)
        stale = hist_in_date.sum(axis=0) < entered - 1e-9
        need = ~((timing.first == 0) & ~stale)
    shelf = b.row("shelf_life", (K, P, T), -INF, hist_in_date,
                  mask=need[None] & (inv >= 0))
    b.coef(shelf, inv)
    _add_window(b, shelf, cum, timing.first, timing.last_ready, cyclic, -1.0)
    # product still ripening at the end of t (made, not yet ready): in the store too
    def ripening_rows(rows, weight=1.0):
        if ripening.any():
            lo = np.where(ripening[:, None], timing.last_ready + 1, 0)
            hi = np.where(ripening[:, None], np.arange(T)[None, :], -1)
            _add_window(b, rows, cum, lo, hi, cyclic, weight)

    # storage by class
    classes = np.array([STORAGE_CLASSES.index(s) for s in prods.storage])
    present = np.isin(np.arange(len(STORAGE_CLASSES)), classes)
    cap_store = net.plant_storage_kg
    store_mask = present[None, :] & np.isfinite(cap_store)  # (K, C)
    unripe_by_class = np.zeros((K, len(STORAGE_CLASSES), T))
    np.add.at(unripe_by_class, (slice(None), classes), hist_unripe)
    if levers:
        cap = b.fixed("lever_storage", np.where(store_mask, cap_store, 0), mask=store_mask)
        rst = b.row("plant_storage", (K, len(STORAGE_CLASSES), T), hi=-unripe_by_class,
                    mask=store_mask[:, :, None])
        b.coef(rst, cap[:, :, None], -1.0)
        lever("plant storage", [f"{k}: {c}" for k in net.plants for c in STORAGE_CLASSES],
              "+1 kg stored", cap, cap_store)
    else:
        rst = b.row("plant_storage", (K, len(STORAGE_CLASSES), T),
                    hi=np.where(store_mask, cap_store, 0)[:, :, None] - unripe_by_class,
                    mask=store_mask[:, :, None])
    b.coef(rst[:, classes, :], inv)
    ripening_rows(rst[:, classes, :])

    # programme years: each year ends with at least the stock (ready or ripening) it began
    # with: I[e_y] + ripening(e_y) - I[e_(y-1)] - ripening(e_(y-1)) >= constants (the given
    # opening stock in year 0, and stock ripening that was made before the first period)
    if inputs.years is not None:
        years = np.asarray(inputs.years)
        labels = np.unique(years)
        ends = np.array([np.flatnonzero(years == yv)[-1] for yv in labels])
        lo_ret = np.zeros((K, P, len(labels)))
        lo_ret[:, :, 0] = inputs.history.sum(axis=2) - hist_unripe[:, :, ends[0]]
        lo_ret[:, :, 1:] = hist_unripe[:, :, ends[:-1]] - hist_unripe[:, :, ends[1:]]
        rret = b.row("year_stock", (K, P, len(labels)), lo=lo_ret, mask=holds[:, :, None])
        at_end = np.full((K, P, T), -1, dtype=np.int64)
        at_end[:, :, ends] = rret
        b.coef(at_end, inv)
        ripening_rows(at_end)
        at_start = np.full((K, P, T), -1, dtype=np.int64)
        at_start[:, :, ends[:-1]] = rret[:, :, 1:]
        b.coef(at_start, inv, -1.0)
        ripening_rows(at_start, -1.0)

    # ---- transport plant -> site, site cold storage --------------------------------
    # limits that cannot bind at the largest possible scale are left out (redundant)
    top = largest_scale(inputs, milk_bound_kg) if question == "enrolment" else scale
    if max_scale is not None:
        top = np.minimum(top, max_scale)
    route_rows, cold_rows = site_limits(inputs, top)
    fin = np.isfinite(net.plant_site_capacity_kg)
    if levers:
        used = route_rows.any(axis=2)
        cap = b.fixed("lever_route", np.where(used, net.plant_site_capacity_kg, 0), mask=used)
        rr = b.row("route_capacity", (K, S, T), hi=0.0, mask=route_rows)
        b.coef(rr, cap[:, :, None], -days)
        lever("delivery route", [f"{k} -> {s}" for k in net.plants for s in net.sites],
              "+1 kg/day", cap, net.plant_site_capacity_kg)
    else:
        cap_route = np.where(fin, net.plant_site_capacity_kg, 0)[:, :, None] * days
        rr = b.row("route_capacity", (K, S, T), hi=cap_route, mask=route_rows)
    ship(rr[:, :, None, :])
    finc = np.isfinite(net.site_cold_kg) & (net.site_cold_kg > 0)
    if levers:
        used = cold_rows.any(axis=1)
        cap = b.fixed("lever_site_cold", np.where(used, net.site_cold_kg, 0), mask=used)
        rc = b.row("site_cold_storage", (S, T), hi=0.0, mask=cold_rows)
        b.coef(rc, cap[:, None], -days)
        lever("site cold storage", list(net.sites), "+1 kg/day", cap, net.site_cold_kg)
    else:
        cap_cold = np.where(finc, net.site_cold_kg, 0)[:, None] * days
        rc = b.row("site_cold_storage", (S, T), hi=cap_cold, mask=cold_rows)
    ship(rc[None, :, None, :], cold[None, None, :, None].astype(float))
    # deliveries are served the day they arrive
    if not direct:
        rd = b.row("delivery", (S, P, T), 0.0, 0.0,
                   mask=(z >= 0).any(axis=0) | (q >= 0).any(axis=1))
        b.coef(rd[None], z)
        b.coef(rd[:, None, :, :], q, -serving.T[None, :, :, None])

    # ---- demand ------------------------------------------------------------------
    if question == "enrolment":
        rq = b.row("demand", (S, G, T), 0.0, 0.0, mask=want)
        b.coef(rq[:, :, None, :], q)
        b.coef(rq, lam[None, None, :], -inputs.rations)
        same = np.ones(T - 1, bool) if inputs.years is None else \
            np.asarray(inputs.years)[1:] == np.asarray(inputs.years)[:-1]
        rl = b.row("scale_link", (T - 1,), 0.0, 0.0, mask=same)
        b.coef(rl, lam[1:])
        b.coef(rl, lam[:-1], -1.0)
    else:
        target = scale * inputs.rations
        rq = b.row("demand", (S, G, T), target, target, mask=want)
        b.coef(rq[:, :, None, :], q)
        b.coef(rq[None], seg)
        # the worst coverage over sites and age groups: each group of each site gets at
        # least that share of its own rations over the horizon
        group_total = target.sum(axis=2)  # (S, G)
        re = b.row("equity", (S, G), lo=0.0, mask=group_total > 0)
        b.coef(re[:, :, None, None], q)
        b.coef(re, zeta[0], -group_total)

    A = b.matrix()
    model = LinearModel(A, np.zeros(b.n), np.concatenate(b.lo), np.concatenate(b.hi),
                        np.concatenate(b.rlo) if b.rlo else np.zeros(0),
                        np.concatenate(b.rhi) if b.rhi else np.zeros(0),
                        b.blocks, b.rows, question, inputs, scale, levers=lever_list)
    waste_cost = b.cost([(w, alpha[None, :, None])])
    km = net.plant_site_km
    ship_cost = ((z, km[:, :, None, None]) if not direct
                 else (q, km[0][:, None, None, None] * serving.T[None, :, :, None]))
    transport_cost = b.cost([(x, net.farm_plant_km[:, :, None]), ship_cost])
    if question == "enrolment":
        # in children, so that reduced costs are well above the solver's tolerances
        if inputs.years is None:
            model.costs = {"enrolment": b.cost([(lam[:1], -inputs.total_children)])}
        else:
            years = np.asarray(inputs.years)
            model.costs = {f"year_{int(yv)}": b.cost(
                [(lam[np.flatnonzero(years == yv)[:1]], -inputs.total_children)])
                for yv in np.unique(years)}
        model.c = next(iter(model.costs.values()))
    else:
        # shortfall is counted in milk: a ration short weighs the milk it needs, so a
        # younger child's smaller ration is not cheaper to leave unserved; each third of a
        # site-day-group's demand costs more than the one before (convex)
        per = milk_per_ration(prods)
        ref = per[per > 0].mean() if (per > 0).any() else 1.0
        weights = np.asarray(SHORTFALL_WEIGHTS)[:, None, None, None] \
            * (per / ref)[None, None, :, None]
        shortfall_cost = b.cost([(seg, weights)])
        # the worst coverage is a share in [0, 1] while its rows hold a group's rations
        # over the horizon (up to ~1e5): with a cost of 1 the row duals would be ~1e-5
        # per ration, too close to the solvers' tolerances to prove optimality (the dual
        # simplex and the interior-point method stopped 0.1 % short of the optimum on a
        # one-year dispatch). The coverage is therefore priced in rations: the total
        # demand times the share (reported back as a share).
        equity_units = max(float(group_total.sum()), 1.0)
        model.cost_units = {"equity": equity_units}
        model.costs = {"equity": b.cost([(zeta, -equity_units)]), "shortfall": shortfall_cost,
                       "waste": waste_cost, "transport": transport_cost}
        model.c = (ROLLING_WEIGHTS["shortfall"] * shortfall_cost
                   + ROLLING_WEIGHTS["waste"] * waste_cost
                   + ROLLING_WEIGHTS["transport"] * transport_cost)
    return model
