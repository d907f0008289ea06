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

import numpy as np

from capra.errors import ArgumentError
from capra.planning.lp import INF, LinearModel, LPBuilder
from capra.planning.problem import PlanInputs
from capra.planning.reduce import (
    largest_scale,
    milk_per_ration,
    site_limits,
    site_products,
)
from capra.planning.timing import add_window, history_terms, product_timing
from capra.scenario import STORAGE_CLASSES

__all__ = ["ROLLING_WEIGHTS", "SHORTFALL_WEIGHTS", "build_model"]

#: Penalty per ration short in each third of a site-day's demand: convex, so that a
#: third short on three days costs less than everything short on one day. [-]
SHORTFALL_WEIGHTS = (1.0, 3.0, 9.0)
#: Weights of the single objective used in rolling windows: per ration short (times the
#: segment weight), per kg of milk wasted, per kg·km transported. [-]
ROLLING_WEIGHTS = {"shortfall": 1000.0, "waste": 1.0, "transport": 1e-4}


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
        raise ArgumentError(f"question {question!r}; expected 'enrolment' or 'dispatch'")
    if question == "dispatch" and (scale is None or scale < 0):
        raise ArgumentError("a dispatch needs an enrolment scale >= 0")
    if question == "dispatch" and inputs.years is not None:
        raise ArgumentError("a dispatch has one enrolment; programme years are for question (a)")
    levers = levers and question == "enrolment"
    d = inputs.shape
    F, K, S, G, P, T = (d[k] for k in "FKSGPT")
    prods, net = inputs.products, inputs.net
    days = inputs.period_days.astype(float)
    alpha = prods.milk_kg_per_kg
    serving = prods.serving_kg  # (P, G)
    cyclic = inputs.stock_rule == "cyclic"
    timing = product_timing(inputs)
    ripening = prods.ripening_days > 0
    b = LPBuilder()
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
    site_ok, cold = site_products(inputs)
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
        hist_enters, hist_in_date, hist_unripe = history_terms(inputs)
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
    add_window(b, shelf, cum, timing.first, timing.last_ready, cyclic, -1.0)
    # product still ripening at the end of t (made, not yet ready): in the store too
    def ripening_rows(rows, weight=1.0):
        if ripening.any():
            lo = np.where(ripening[:, None], timing.last_ready + 1, 0)
            hi = np.where(ripening[:, None], np.arange(T)[None, :], -1)
            add_window(b, rows, cum, lo, hi, cyclic, weight)

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
