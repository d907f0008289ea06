"""Bounds and merges that keep the planning LP small without changing its answer.

:func:`largest_scale` bounds the enrolment from the milk; :func:`site_limits` finds the
route and cold-storage limits that could bind at that enrolment (the others are left out
of the model); :func:`merge_free_farms` and :func:`merge_equal_groups` merge farms and
age groups that question (a) cannot tell apart (each merge is exact for it; sites are
merged by classes, :mod:`capra.planning.decompose`). :func:`milk_per_ration` is the least milk one
ration of each age group needs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from capra.planning.problem import PlanInputs
from capra.planning.products import ProductTable

__all__ = ["largest_scale", "merge_equal_groups", "merge_free_farms",
           "milk_per_ration", "site_limits", "site_products"]


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


def site_products(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray]:
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
    ok, cold = site_products(inputs)
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
