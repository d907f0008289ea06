"""The daily dispatch at national scale: thousands of sites, by classes and groups of sites.

The full dispatch LP (question (b)) has a servings variable per site, age group, product
and day; at a few hundred sites it no longer solves in minutes. Two reductions keep it
small.

**Classes of sites (exact).** Sites whose own limits (delivery route, cold storage) cannot
bind differ only in their demand; sites whose demand is the same shape (the same
operating days, the same shares of age groups) and whose limits are the same multiple of
their demand are scaled copies of one another. Either kind of class is solved as one
site: any solution of the class splits among its sites in proportion to their rations
(per age group and day), and the split meets every site's limit, gives every site the
class's coverage and shortfall share, and uses the same products, stock and waste. So
the worst coverage, the shortfall, the waste and the headline are exactly the full LP's.
Only the transport objective (the fourth and last) may be higher: the full LP may send
more to nearer sites where the shortfall penalty is flat; that gap is measured and
reported (``transport_gap``).

**Groups of sites (bounded).** Sites left on their own (limits that may bind and that no
other site shares) are pooled by group (their ``district``, cut into groups of at most
``group_size``): each group is one site at the top with the sum of its sites' demand and
limits, a relaxation, so the top plan's objectives bound the full LP's. Each group then
shares out, day by day, the products the top plan sends it among its sites (their own
limits, the worst coverage first, the shortfall counted in milk, then nothing left over,
then transport); these sub-problems are independent and run on any engine. What a group
cannot place is discarded, and the gap between the final plan and the top plan's bound
is reported: a gap of 0 proves the plan optimal.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from capra.planning.lp import LinearModel, LPBuilder
from capra.planning.model import SHORTFALL_WEIGHTS
from capra.planning.problem import PlanInputs
from capra.planning.reduce import milk_per_ration, site_limits, site_products

__all__ = ["SiteClasses", "expand_solution", "reduce_sites", "site_classes"]

#: Relative tolerance when comparing shapes of demand and ratios of limits. [-]
SHAPE_TOLERANCE = 1e-9


@dataclasses.dataclass(frozen=True)
class SiteClasses:
    """Sites pooled into classes (and groups).

    Attributes
    ----------
    label
        Class of each site, (S,). [-]
    kind
        Kind of each class: ``"free"`` (no limit of its sites can bind), ``"copies"``
        (scaled copies of one site, the same limits per child), ``"single"`` (one site),
        ``"group"`` (sites pooled with their limits summed: a relaxation). [-]
    names
        Name of each class: the site's own for a single site. [-]
    """

    label: np.ndarray
    kind: tuple[str, ...]
    names: tuple[str, ...]
    chunk: np.ndarray | None = None

    @property
    def chunks(self) -> list[np.ndarray]:
        """The sites of each share-out sub-problem (a part of a group). [-]"""
        if self.chunk is None:
            return []
        return [np.flatnonzero(self.chunk == c) for c in range(int(self.chunk.max()) + 1)]

    @property
    def n(self) -> int:
        return len(self.kind)

    @property
    def exact(self) -> bool:
        """Whether solving the classes is solving the sites (no group)."""
        return "group" not in self.kind


def _fingerprint(inputs: PlanInputs, route_binds: np.ndarray, cold_binds: np.ndarray
                 ) -> np.ndarray:
    """Per site: its demand per age group and day, its cold limit and route limits (-1
    where they cannot bind), all divided by its total demand (scaled copies share a
    fingerprint), (S, n)."""
    net = inputs.net
    total = inputs.rations.sum(axis=(1, 2))  # (S,)
    scale = np.where(total > 0, total, 1.0)
    shape = inputs.rations.reshape(len(total), -1) / scale[:, None]
    cold = np.where(cold_binds, net.site_cold_kg / scale, -1.0)
    route = np.where(route_binds, net.plant_site_capacity_kg / scale[None, :], -1.0).T
    ambient = (net.site_cold_kg <= 0).astype(float)
    return np.column_stack([shape, cold, route, ambient])


def site_classes(inputs: PlanInputs, top, *, districts: Sequence[str] | None = None,
                 group_size: int | None = None) -> SiteClasses:
    """Classes of the sites of ``inputs`` for a dispatch at scales up to ``top``.

    Parameters
    ----------
    inputs
        The plan's inputs.
    top
        The largest enrolment scale the plan serves (a number, or one per period). [-]
    districts
        Each site's district, (S,), for the groups; None: no groups (every site that fits
        no class stays on its own).
    group_size
        Most sites in one share-out sub-problem of a group; None: no groups. [-]
    """
    net = inputs.net
    S = len(net.sites)
    route, cold = site_limits(inputs, top)
    free = ~(route.any(axis=(0, 2)) | cold.any(axis=1))
    ambient = net.site_cold_kg <= 0
    label = np.full(S, -1, dtype=np.int64)
    kinds: list[str] = []
    names: list[str] = []
    for access in (False, True):
        members = np.flatnonzero(free & (ambient == access))
        if members.size:
            label[members] = len(kinds)
            kinds.append("free" if members.size > 1 else "single")
            names.append(net.sites[members[0]] if members.size == 1 else
                         f"{members.size} sites with "
                         f"{'ambient products only' if access else 'all products'}")
    rest = np.flatnonzero(~free)
    if rest.size:
        prints = _fingerprint(inputs, route.any(axis=2), cold.any(axis=1))[rest]
        scale = np.maximum(np.abs(prints).max(axis=0), 1e-300)
        rounded = np.round(prints / scale / SHAPE_TOLERANCE) * SHAPE_TOLERANCE
        _, first, inverse = np.unique(rounded, axis=0, return_index=True,
                                      return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        counts = np.bincount(inverse)
        singles = []
        for c in np.argsort(first):
            members = rest[inverse == c]
            if counts[c] > 1:
                label[members] = len(kinds)
                kinds.append("copies")
                names.append(f"{members.size} sites like {net.sites[members[0]]}")
            else:
                singles.append(int(members[0]))
        chunk = np.full(S, -1, dtype=np.int64)
        if group_size and districts is not None and len(singles) > 1:
            by_group: dict[tuple[str, bool], list[int]] = {}
            for s in singles:
                by_group.setdefault((str(districts[s]), bool(ambient[s])), []).append(s)
            n_chunks = 0
            for (district, access), members in by_group.items():
                part = np.array(members)
                label[part] = len(kinds)
                if part.size == 1:
                    kinds.append("single")
                    names.append(net.sites[part[0]])
                    continue
                kinds.append("group")
                names.append(f"{part.size} sites of {district or 'no district'}"
                             + (" (ambient products only)" if access else ""))
                for i in range(0, part.size, group_size):
                    chunk[part[i:i + group_size]] = n_chunks
                    n_chunks += 1
            if n_chunks:
                return SiteClasses(label, tuple(kinds), tuple(names), chunk)
        else:
            for s in singles:
                label[s] = len(kinds)
                kinds.append("single")
                names.append(net.sites[s])
    return SiteClasses(label, tuple(kinds), tuple(names))


def reduce_sites(inputs: PlanInputs, classes: SiteClasses) -> PlanInputs:
    """The inputs with one site per class: demand summed, the days any member operates,
    limits summed (exact for copies, a relaxation for groups, none for free sites), the
    distance a demand-weighted mean."""
    net = inputs.net
    C, K = classes.n, len(net.plants)
    lab = classes.label

    def pool(values, axis=0):
        out = np.zeros(values.shape[:axis] + (C,) + values.shape[axis + 1:])
        np.add.at(out, (slice(None),) * axis + (lab,), values)
        return out

    rations = pool(inputs.rations)
    open_days = np.zeros((C,) + inputs.open_days.shape[1:])
    np.maximum.at(open_days, lab, inputs.open_days)
    weight = inputs.rations.sum(axis=(1, 2))
    weight_c = pool(weight)
    km = pool(net.plant_site_km * weight[None, :], axis=1) / np.where(
        weight_c > 0, weight_c, 1.0)[None, :]
    unweighted = pool(net.plant_site_km, axis=1) / np.bincount(lab, minlength=C)[None, :]
    km = np.where(weight_c[None, :] > 0, km, unweighted)
    free = np.array([k == "free" for k in classes.kind])
    route = pool(net.plant_site_capacity_kg, axis=1)  # inf stays inf
    route[:, free] = np.inf
    cold = pool(net.site_cold_kg)
    ambient = np.zeros(C, bool)
    np.logical_or.at(ambient, lab, net.site_cold_kg <= 0)
    cold = np.where(ambient, 0.0, np.where(free, np.inf, cold))
    new_net = dataclasses.replace(net, sites=classes.names, plant_site_km=km,
                                  plant_site_capacity_kg=route.reshape(K, C),
                                  site_cold_kg=cold)
    return dataclasses.replace(inputs, net=new_net, rations=rations, open_days=open_days)


def _shares(inputs: PlanInputs, classes: SiteClasses) -> np.ndarray:
    """Each site's share of its class's rations per age group and day, (S, G, T)."""
    pooled = np.zeros((classes.n,) + inputs.rations.shape[1:])
    np.add.at(pooled, classes.label, inputs.rations)
    mine = pooled[classes.label]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mine > 0, inputs.rations / np.where(mine > 0, mine, 1.0), 0.0)


def expand_solution(inputs: PlanInputs, classes: SiteClasses, sol: dict[str, np.ndarray]
                    ) -> dict[str, np.ndarray]:
    """A dispatch of the classes shared out among the sites in proportion to their
    rations (per age group and day); plant-level arrays are kept as they are."""
    share = _shares(inputs, classes)  # (S, G, T)
    lab = classes.label
    out = dict(sol)
    out["servings"] = sol["servings"][lab] * share[:, :, None, :]
    out["shortfall"] = sol["shortfall"][:, lab] * share[None]
    weight = np.einsum("sgpt,pg->spt", out["servings"], inputs.products.serving_kg)
    pooled = np.zeros((classes.n,) + weight.shape[1:])
    np.add.at(pooled, lab, weight)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(pooled[lab] > 0, weight / np.where(pooled[lab] > 0, pooled[lab], 1.0),
                        0.0)
    out["shipment"] = sol["shipment"][:, lab] * frac[None]
    return out


def class_objectives(inputs: PlanInputs, sol: dict[str, np.ndarray]) -> dict[str, float]:
    """The dispatch objectives of a solution on the sites of ``inputs``, computed from the
    solution (not the solver): worst coverage of any site and age group, shortfall in
    milk with the convex weights, waste [kg milk], transport [kg·km]."""
    prods, net = inputs.products, inputs.net
    wanted = inputs.rations.sum(axis=2)
    served = sol["servings"].sum(axis=(2, 3))
    ok = wanted > 0
    worst = float((served[ok] / wanted[ok]).min()) if ok.any() else 1.0
    per = milk_per_ration(prods)
    ref = per[per > 0].mean() if (per > 0).any() else 1.0
    w = np.asarray(SHORTFALL_WEIGHTS)[:, None, None, None] * (per / ref)[None, None, :, None]
    shortfall = float((sol["shortfall"] * w).sum())
    waste = float(np.einsum("kpt,p->", sol["waste"], prods.milk_kg_per_kg))
    transport = float((sol["raw_to_plant"] * net.farm_plant_km[:, :, None]).sum()
                      + (sol["shipment"] * net.plant_site_km[:, :, None, None]).sum())
    return {"equity": -worst, "shortfall": shortfall, "waste": waste,
            "transport": transport}


# --------------------------------------------------------------------------------------
# Groups: each group shares out what the top plan sends it
# --------------------------------------------------------------------------------------

#: Lexicographic order of a group's objectives.
GROUP_ORDER = ("equity", "shortfall", "unused", "transport")


def group_model(inputs: PlanInputs, alloc_kg: np.ndarray, scale: float):
    """The LP that shares out among the sites of ``inputs`` (one group) the product
    ``alloc_kg`` (K, P, T) the top plan sends the group from each plant each day.

    Variables: shipments from each plant to each site (the servings' weight with one
    plant), servings, the three segments of shortfall, and the product left unused
    (discarded at the plant that day). Objectives, lexicographic: the worst coverage of
    any site and age group, the shortfall counted in milk (convex), the milk left unused,
    transport [kg·km].
    """
    net, prods = inputs.net, inputs.products
    K, S, P = len(net.plants), len(net.sites), len(prods.names)
    G, T = inputs.rations.shape[1], inputs.rations.shape[2]
    days = inputs.period_days.astype(float)
    serving = prods.serving_kg
    site_ok, cold = site_products(inputs)
    want = inputs.rations > 0
    b = LPBuilder()
    z = b.var("shipment", (K, S, P, T), mask=(alloc_kg > 0)[:, None, :, :]
              & site_ok[None, :, :, None] & want.any(axis=1)[None, :, None, :])
    q = b.var("servings", (S, G, P, T), mask=want[:, :, None, :]
              & (serving.T > 0)[None, :, :, None] & site_ok[:, None, :, None])
    seg = b.var("shortfall", (3, S, G, T), hi=(scale * inputs.rations / 3.0)[None],
                mask=want[None])
    u = b.var("unused", (K, P, T), mask=alloc_kg > 0)
    zeta = b.var("worst_coverage", (1,), hi=1.0)
    ra = b.row("allocation", (K, P, T), alloc_kg, alloc_kg, mask=alloc_kg > 0)
    b.coef(ra[:, None], z)
    b.coef(ra, u)
    rd = b.row("delivery", (S, P, T), 0.0, 0.0,
               mask=(z >= 0).any(axis=0) | (q >= 0).any(axis=1))
    b.coef(rd[None], z)
    b.coef(rd[:, None, :, :], q, -serving.T[None, :, :, None])
    fin = np.isfinite(net.plant_site_capacity_kg)
    rr = b.row("route_capacity", (K, S, T),
               hi=np.where(fin, net.plant_site_capacity_kg, 0)[:, :, None] * days,
               mask=fin[:, :, None])
    b.coef(rr[:, :, None, :], z)
    finc = np.isfinite(net.site_cold_kg) & (net.site_cold_kg > 0)
    rc = b.row("site_cold_storage", (S, T),
               hi=np.where(finc, net.site_cold_kg, 0)[:, None] * days, mask=finc[:, None])
    b.coef(rc[None, :, None, :], z, cold[None, None, :, None].astype(float))
    target = scale * inputs.rations
    rq = b.row("demand", (S, G, T), target, target, mask=want)
    b.coef(rq[:, :, None, :], q)
    b.coef(rq[None], seg)
    total = target.sum(axis=2)
    re = b.row("equity", (S, G), lo=0.0, mask=total > 0)
    b.coef(re[:, :, None, None], q)
    b.coef(re, zeta[0], -total)
    A = b.matrix()
    model = LinearModel(A, np.zeros(b.n), np.concatenate(b.lo), np.concatenate(b.hi),
                        np.concatenate(b.rlo), np.concatenate(b.rhi), b.blocks, b.rows,
                        "dispatch", inputs, scale)
    per = milk_per_ration(prods)
    ref = per[per > 0].mean() if (per > 0).any() else 1.0
    weights = np.asarray(SHORTFALL_WEIGHTS)[:, None, None, None] * (per / ref)[None, None, :,
                                                                                  None]
    units = max(float(total.sum()), 1.0)
    model.cost_units = {"equity": units}
    model.costs = {
        "equity": b.cost([(zeta, -units)]),
        "shortfall": b.cost([(seg, weights)]),
        "unused": b.cost([(u, prods.milk_kg_per_kg[None, :, None])]),
        "transport": b.cost([(z, net.plant_site_km[:, :, None, None])]),
    }
    model.c = model.costs["equity"]
    return model


def _group_task(task):
    """Solve one group's share-out (a module-level function, for any engine). With
    ``in_full`` the shortfall is first tried at zero (only what is left unused and
    transport are then solved)."""
    from capra.planning.solve import solve_lexicographic

    inputs, alloc, scale, in_full = task
    model = group_model(inputs, alloc, scale)
    res = None
    if in_full:
        short, zeta = model.blocks["shortfall"], model.blocks["worst_coverage"]
        hi, lo = model.col_hi.copy(), model.col_lo.copy()
        model.col_hi[short[short >= 0]] = 0.0
        model.col_lo[zeta] = model.col_hi[zeta] = 1.0
        res = solve_lexicographic(model, ("unused", "transport"))
        if not res.success:
            model.col_hi, model.col_lo = hi, lo
    if res is None or not res.success:
        res = solve_lexicographic(model, GROUP_ORDER)
    if not res.success:
        return res.status, res.message, None
    out = {name: np.maximum(model.values(name, res.x), 0.0)
           for name in ("shipment", "servings", "shortfall", "unused")}
    return res.status, res.message, out


def _subset(inputs: PlanInputs, members: np.ndarray) -> PlanInputs:
    """The inputs restricted to the sites ``members`` (plants, products and days kept)."""
    net = inputs.net
    new_net = dataclasses.replace(
        net, sites=tuple(net.sites[i] for i in members),
        plant_site_km=net.plant_site_km[:, members],
        plant_site_capacity_kg=net.plant_site_capacity_kg[:, members],
        site_cold_kg=net.site_cold_kg[members])
    return dataclasses.replace(inputs, net=new_net, rations=inputs.rations[members],
                               open_days=inputs.open_days[members])


def dispatch_by_classes(inputs: PlanInputs, scale: float, classes: SiteClasses, *,
                        threads: int = 1, in_full: bool = False, engine: str = "serial",
                        workers: int | None = None, scheduler: str | None = None):
    """Question (b) on the classes of sites, shared out among the sites.

    Returns the top plan's LP result, the solution on the sites (the arrays of
    :func:`capra.planning.optimize.solution_arrays`), and a report: ``classes`` (how
    many of each kind), ``top`` (the top plan's objectives), ``objectives`` (the final
    plan's, recomputed from it), ``gap`` (relative, per objective: 0 where the final plan
    reaches the top plan, which bounds the full LP's), ``exact`` (no group: the first
    three objectives are the full LP's), the groups' statuses and the sizes.
    """
    from capra.engines import map_tasks
    from capra.planning.optimize import dispatch

    reduced = reduce_sites(inputs, classes)
    res, top_sol, model = dispatch(reduced, scale, threads=threads, in_full=in_full)
    if not res.success:
        return res, {}, {"classes": _count(classes), "size": model.size()}
    sol = expand_solution(inputs, classes, top_sol)
    # each part of a group gets the group's products in proportion to its demand (in
    # milk) day by day
    milk = np.einsum("sgt,g->st", inputs.rations, milk_per_ration(inputs.products))
    group_milk = np.zeros((classes.n, milk.shape[1]))
    np.add.at(group_milk, classes.label, milk)
    chunks = classes.chunks
    tasks = []
    for members in chunks:
        c = classes.label[members[0]]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(group_milk[c] > 0, milk[members].sum(axis=0)
                             / np.where(group_milk[c] > 0, group_milk[c], 1.0), 0.0)
        tasks.append((_subset(inputs, members), top_sol["shipment"][:, c] * share, scale,
                      in_full))
    parts = map_tasks(_group_task, tasks, engine=engine, workers=workers,
                      scheduler=scheduler)
    statuses = []
    for members, (status, message, out) in zip(chunks, parts, strict=True):
        statuses.append(status)
        if out is None:
            from capra.planning.solve import LPResult

            return LPResult(status, f"sites {inputs.net.sites[members[0]]}...: {message}"), \
                {}, {}
        sol["servings"][members] = out["servings"]
        sol["shortfall"][:, members] = out["shortfall"]
        sol["shipment"][:, members] = out["shipment"]
        sol["waste"] = sol["waste"] + out["unused"]
    final = class_objectives(inputs, sol)
    bound = class_objectives(reduced, top_sol)
    gap = {k: _relative(final[k], bound[k]) for k in final}
    report = {"classes": _count(classes), "exact": classes.exact, "top": bound,
              "objectives": final, "gap": gap, "subproblems": len(chunks),
              "group_statuses": sorted(set(statuses)), "size": model.size()}
    return res, sol, report


def _relative(value: float, bound: float) -> float:
    """How far ``value`` is above ``bound`` (objectives are minimised), relative. [-]"""
    return max(value - bound, 0.0) / max(abs(bound), 1.0)


def _count(classes: SiteClasses) -> dict[str, int]:
    kinds = np.array(classes.kind)
    sites = np.bincount(classes.label, minlength=classes.n)
    return {k: int(sites[kinds == k].sum()) for k in ("free", "copies", "single", "group")
            if (kinds == k).any()}
