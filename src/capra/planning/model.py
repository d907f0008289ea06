"""The planning linear programme, built as sparse matrices (no Python object per variable).

Flows, per period ``t`` (a day, or several days in the coarse tail of a rolling window):

raw milk ``x[f,k,t]`` from farm f to plant k (the rest ``r[f,t]`` is not collected) →
products ``y[k,p,t]`` (``milk_kg_per_kg[p] * y`` kg of milk each) → stock ``I[k,p,t]`` at the
plant, with waste ``W[k,p,t]`` (expired or discarded) → shipments ``z[k,s,p,t]`` to sites,
served the day they arrive (with a single plant the shipments are the servings'
weight and get no variables of their own) → servings ``q[s,g,p,t]`` (rations) to children of age group g.

Shelf life is kept with the cumulative first-in-first-out form: the stock at the end of a
period may only hold product made in the periods that end at most ``shelf_life - 2`` days
earlier (``I[t] <= sum of y over those periods``, plus opening stock still in date). It is
exact for one store under oldest-first issue: anything made on day d is served or
discarded by day ``d + shelf_life - 1``.

Two questions share the model:

* ``"enrolment"``: maximise the scale ``lam`` of the sites' enrolment such that every
  operating site-day gets the full ration for ``lam`` times its children:
  ``sum_p q[s,g,p,t] = lam * rations[s,g,t]``;
* ``"dispatch"``: for a fixed scale, ``sum_p q + u = scale * rations`` with shortfall ``u``
  split into three segments of a third of the demand each, so that a convex penalty
  spreads unavoidable shortfall; the objectives (worst-site coverage, shortfall, waste,
  transport) are given as separate cost vectors for a lexicographic solve.

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

__all__ = ["SHORTFALL_WEIGHTS", "LinearModel", "PlanInputs", "build_model", "coarsen"]

#: Penalty per ration short in each third of a site-day's demand: convex, so that a
#: third short on three days costs less than everything short on one day. [-]
SHORTFALL_WEIGHTS = (1.0, 3.0, 9.0)
#: Weights of the single objective used in rolling windows: per ration short (times the
#: segment weight), per kg of milk wasted, per kg·km transported. [-]
ROLLING_WEIGHTS = {"shortfall": 1000.0, "waste": 1.0, "transport": 1e-4}

INF = np.inf


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
        Stock at each plant before the first period, (K, P). [kg]
    history
        Opening stock by day made, first-in-first-out: ``history[k, p, j]`` was made
        ``j + 1`` days before the first period, (K, P, H). [kg]
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

    def __post_init__(self):
        K, P = len(self.net.plants), len(self.products.names)
        if self.opening_stock is None:
            self.opening_stock = np.zeros((K, P))
        if self.history is None:
            self.history = self.opening_stock[:, :, None].copy()

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
        """The periods ``start:stop``, without opening stock."""
        sl = slice(start, stop)
        return PlanInputs(self.products, self.net, self.dates[sl], self.period_days[sl],
                          self.supply_kg[:, sl], self.rations[:, :, sl],
                          self.open_days[:, sl], self.total_children)


def coarsen(inputs: PlanInputs, daily: int, tail_period_days: int) -> PlanInputs:
    """Keep the first ``daily`` periods, then merge the rest into periods of
    ``tail_period_days`` days (supply and demand summed)."""
    T = len(inputs.period_days)
    if T <= daily:
        return inputs
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
                      inputs.total_children, inputs.opening_stock, inputs.history)


@dataclass
class LinearModel:
    """A linear programme ``min c·x  s.t.  row_lo <= A x <= row_hi, col_lo <= x <= col_hi``.

    ``blocks[name]`` is an index array of the columns of one variable family, shaped like
    the family (``-1`` where a variable does not exist); ``rows[name]`` the same for a
    constraint family. ``costs`` holds the objective vectors by name (for a lexicographic
    solve); ``c`` is the one in use.
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

    def var(self, name, shape, hi=INF, mask=None) -> np.ndarray:
        mask = np.ones(shape, bool) if mask is None else np.broadcast_to(mask, shape)
        idx = np.full(shape, -1, dtype=np.int64)
        k = int(mask.sum())
        idx[mask] = self.n + np.arange(k)
        self.lo.append(np.zeros(k))
        self.hi.append(np.broadcast_to(np.asarray(hi, float), shape)[mask].astype(float))
        self.n += k
        self.blocks[name] = idx
        return idx

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


def _shelf_windows(period_end: np.ndarray, life: int) -> np.ndarray:
    """First period whose output may still be in stock at the end of each period."""
    return np.searchsorted(period_end, period_end - (life - 2), side="left")


def largest_scale(inputs: PlanInputs, milk_kg: np.ndarray | None = None) -> float:
    """An upper bound on the enrolment scale. [-]

    By the end of any period, the rations served cannot need more milk (at the least milk
    per ration of any product) than the milk supplied so far plus the opening stock; the
    bound is the smallest such ratio over the periods.

    ``milk_kg`` replaces the supply of ``inputs.supply_kg``, per period (T,) or per farm and
    period (F, T), e.g. the maximum over several futures that will be solved in one model.
    [kg]
    """
    prods = inputs.products
    milk = inputs.supply_kg if milk_kg is None else np.asarray(milk_kg, float)
    milk = milk.sum(axis=0) if milk.ndim == 2 else milk
    opening = float((inputs.opening_stock * prods.milk_kg_per_kg).sum())
    per_ration = prods.serving_kg * prods.milk_kg_per_kg[:, None]  # (P, G)
    per_ration = np.where(prods.serving_kg > 0, per_ration, np.inf).min(axis=0)  # (G,)
    wanted = inputs.rations.sum(axis=0)  # (G, T)
    with np.errstate(invalid="ignore"):  # no demand times no servable product: nothing
        need = np.where(wanted > 0, wanted * per_ration[:, None], 0.0).sum(axis=0)  # (T,)
    cum_need, cum_milk = np.cumsum(need), np.cumsum(milk) + opening
    ratio = np.where(cum_need > 0, cum_milk / np.where(cum_need > 0, cum_need, 1), np.inf)
    return float(ratio.min()) if ratio.size else np.inf


def _site_products(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray]:
    """Products each site can take (S, P) and which products are kept cold (P,)."""
    cold = np.array([s != "ambient" for s in inputs.products.storage])
    ok = ~((inputs.net.site_cold_kg[:, None] <= 0) & cold[None, :])
    return ok, cold


def site_limits(inputs: PlanInputs, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Which route (K, S, T) and site cold-storage (S, T) limits could bind at a scale of
    at most ``top``: a site's load on a day cannot exceed its rations times the heaviest
    serving it can take. The others are redundant."""
    net, serving = inputs.net, inputs.products.serving_kg
    days = inputs.period_days.astype(float)
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


def merge_free_sites(inputs: PlanInputs, top: float) -> PlanInputs:
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


def build_model(inputs: PlanInputs, question: str = "enrolment", *, scale: float | None = None,
                max_scale: float | None = None, milk_bound_kg: np.ndarray | None = None
                ) -> LinearModel:
    """Build the planning LP.

    Parameters
    ----------
    inputs
        The data (see :class:`PlanInputs`).
    question
        ``"enrolment"``: the largest scale of enrolment served in full on every operating
        day; ``"dispatch"``: the best dispatch for the enrolment ``scale``.
    scale
        Enrolment as a multiple of the sites' children (``"dispatch"`` only). [-]
    max_scale
        Upper bound on the scale (``"enrolment"`` only); None: no bound. [-]
    milk_bound_kg
        Most milk per period, over all farms, of any supply this model will be solved with
        (when its supply rows are changed later), (T,); default: that of ``inputs``.
        Limits that cannot bind with this much milk are left out. [kg]
    """
    if question not in ("enrolment", "dispatch"):
        raise ValueError(f"question {question!r}; expected 'enrolment' or 'dispatch'")
    if question == "dispatch" and (scale is None or scale < 0):
        raise ValueError("a dispatch needs an enrolment scale >= 0")
    d = inputs.shape
    F, K, S, G, P, T = (d[k] for k in "FKSGPT")
    prods, net = inputs.products, inputs.net
    days = inputs.period_days.astype(float)
    alpha = prods.milk_kg_per_kg
    serving = prods.serving_kg  # (P, G)
    b = _Builder()

    # ---- variables ---------------------------------------------------------------
    x = b.var("raw_to_plant", (F, K, T), hi=net.farm_plant_capacity_kg[:, :, None] * days)
    r = b.var("raw_not_collected", (F, T))
    y = b.var("production", (K, P, T), hi=net.plant_capacity_kg[:, :, None] * days,
              mask=(net.plant_capacity_kg > 0)[:, :, None])
    inv = b.var("stock", (K, P, T), mask=(net.plant_capacity_kg > 0)[:, :, None]
                | (inputs.opening_stock > 0)[:, :, None])
    w = b.var("waste", (K, P, T), mask=(inv >= 0))
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
        # one copy of the scale per period, chained equal: a single column in every
        # demand row would be dense and slow the interior-point method down
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

    # ---- constraints -------------------------------------------------------------
    rs = b.row("milk_supply", (F, T), inputs.supply_kg, inputs.supply_kg)
    b.coef(rs[:, None, :], x)
    b.coef(rs, r)
    finite = np.isfinite(net.plant_intake_kg)
    ri = b.row("plant_intake", (K, T), hi=(np.where(finite, net.plant_intake_kg, 0)[:, None]
                                         * days), mask=finite[:, None])
    b.coef(ri[None, :, :], x)
    rp = b.row("processing", (K, T), 0.0, 0.0)
    b.coef(rp[:, None, :], y, alpha[None, :, None])
    b.coef(rp[None, :, :], x, -1.0)
    opening = np.zeros((K, P, T))
    opening[:, :, 0] = inputs.opening_stock
    rb = b.row("stock_balance", (K, P, T), opening, opening, mask=inv >= 0)
    b.coef(rb, inv)
    b.coef(rb[:, :, 1:], inv[:, :, :-1], -1.0)
    b.coef(rb, y, -1.0)
    ship(rb[:, None, :, :])
    b.coef(rb, w)
    # shelf life: I[t] <= C[t] - C[first(t) - 1] + opening stock still in date, with the
    # cumulative production C[t] = C[t-1] + y[t] (keeps the matrix sparse for long lives)
    ends = inputs.period_end_day
    hist = inputs.history
    H = hist.shape[2]
    firsts = np.stack([_shelf_windows(ends, int(life)) for life in prods.shelf_life_days])
    shelf_hi = np.zeros((K, P, T))
    need = np.zeros((P, T), bool)
    for p in range(P):
        life = int(prods.shelf_life_days[p])
        # opening stock made j+1 days before the start, still in date at the end of t
        in_date = (-(np.arange(H) + 1))[None, :] >= (ends - (life - 2))[:, None]  # (T, H)
        shelf_hi[:, p, :] = hist[:, p, :] @ in_date.T
        held = hist[:, p, :].sum(axis=0) > 0
        need[p] = ~((firsts[p] == 0) & in_date[:, held].all(axis=1))
    cum = b.var("cumulative_production", (K, P, T), mask=(y >= 0) & need.any(axis=1)[None, :, None])
    rcum = b.row("cumulative_production", (K, P, T), 0.0, 0.0, mask=cum >= 0)
    b.coef(rcum, cum)
    b.coef(rcum[:, :, 1:], cum[:, :, :-1], -1.0)
    b.coef(rcum, y, -1.0)
    shelf = b.row("shelf_life", (K, P, T), -INF, shelf_hi,
                  mask=need[None] & (inv >= 0))
    b.coef(shelf, inv)
    b.coef(shelf, cum, -1.0)
    before = firsts - 1  # (P, T): cumulative production up to the period before the window
    ok = before >= 0
    p_idx, t_idx = np.nonzero(ok)
    b.coef(shelf[:, p_idx, t_idx], cum[:, p_idx, before[p_idx, t_idx]], 1.0)
    # storage by class
    classes = np.array([STORAGE_CLASSES.index(s) for s in prods.storage])
    present = np.isin(np.arange(len(STORAGE_CLASSES)), classes)
    cap = net.plant_storage_kg
    rst = b.row("plant_storage", (K, len(STORAGE_CLASSES), T), hi=cap[:, :, None],
                mask=present[None, :, None] & np.isfinite(cap)[:, :, None])
    b.coef(rst[:, classes, :], inv)
    # transport plant -> site, site cold storage
    # limits that cannot bind at the largest possible scale are left out (redundant)
    top = largest_scale(inputs, milk_bound_kg) if question == "enrolment" else scale
    route_rows, cold_rows = site_limits(inputs, top)
    fin = np.isfinite(net.plant_site_capacity_kg)
    cap_route = np.where(fin, net.plant_site_capacity_kg, 0)[:, :, None] * days
    rr = b.row("route_capacity", (K, S, T), hi=cap_route, mask=route_rows)
    ship(rr[:, :, None, :])
    finc = np.isfinite(net.site_cold_kg) & (net.site_cold_kg > 0)
    cap_cold = np.where(finc, net.site_cold_kg, 0)[:, None] * days
    rc = b.row("site_cold_storage", (S, T), hi=cap_cold, mask=cold_rows)
    ship(rc[None, :, None, :], cold[None, None, :, None].astype(float))
    # deliveries are served the day they arrive
    if not direct:
        rd = b.row("delivery", (S, P, T), 0.0, 0.0,
                   mask=(z >= 0).any(axis=0) | (q >= 0).any(axis=1))
        b.coef(rd[None], z)
        b.coef(rd[:, None, :, :], q, -serving.T[None, :, :, None])
    # demand
    if question == "enrolment":
        rq = b.row("demand", (S, G, T), 0.0, 0.0, mask=want)
        b.coef(rq[:, :, None, :], q)
        b.coef(rq, lam[None, None, :], -inputs.rations)
        rl = b.row("scale_link", (T - 1,), 0.0, 0.0)
        b.coef(rl, lam[1:])
        b.coef(rl, lam[:-1], -1.0)
    else:
        target = scale * inputs.rations
        rq = b.row("demand", (S, G, T), target, target, mask=want)
        b.coef(rq[:, :, None, :], q)
        b.coef(rq[None], seg)
        site_total = scale * inputs.rations.sum(axis=(1, 2))
        re = b.row("equity", (S,), lo=0.0, mask=site_total > 0)
        b.coef(re[:, None, None, None], q)
        b.coef(re, zeta[0], -site_total)

    A = b.matrix()
    model = LinearModel(A, np.zeros(b.n), np.concatenate(b.lo), np.concatenate(b.hi),
                        np.concatenate(b.rlo) if b.rlo else np.zeros(0),
                        np.concatenate(b.rhi) if b.rhi else np.zeros(0),
                        b.blocks, b.rows, question, inputs, scale)
    waste_cost = b.cost([(w, alpha[None, :, None])])
    km = net.plant_site_km
    ship_cost = ((z, km[:, :, None, None]) if not direct
                 else (q, km[0][:, None, None, None] * serving.T[None, :, :, None]))
    transport_cost = b.cost([(x, net.farm_plant_km[:, :, None]), ship_cost])
    if question == "enrolment":
        # in children, so that reduced costs are well above the solver's tolerances
        model.costs = {"enrolment": b.cost([(lam[:1], -inputs.total_children)])}
        model.c = model.costs["enrolment"]
    else:
        weights = np.asarray(SHORTFALL_WEIGHTS)[:, None, None, None]
        shortfall_cost = b.cost([(seg, weights)])
        # the worst coverage is a share in [0, 1] while its row holds a site's rations
        # over the horizon (up to ~1e5): with a cost of 1 the row duals would be ~1e-5
        # per ration, too close to the solvers' tolerances to prove optimality (the dual
        # simplex and the interior-point method stopped 0.1 % short of the optimum on a
        # one-year dispatch). The coverage is therefore priced in rations: the total
        # demand times the share (reported back as a share).
        equity_units = max(float(site_total.sum()), 1.0)
        model.cost_units = {"equity": equity_units}
        model.costs = {"equity": b.cost([(zeta, -equity_units)]), "shortfall": shortfall_cost,
                       "waste": waste_cost, "transport": transport_cost}
        model.c = (ROLLING_WEIGHTS["shortfall"] * shortfall_cost
                   + ROLLING_WEIGHTS["waste"] * waste_cost
                   + ROLLING_WEIGHTS["transport"] * transport_cost)
    return model
