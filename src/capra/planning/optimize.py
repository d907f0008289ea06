"""Plan a scenario's dairy supply: the two questions, supply uncertainty, rolling horizons.

* :func:`max_enrolment` — question (a): the largest enrolment (a scale on the sites'
  children) served in full on every operating day;
* :func:`dispatch` — question (b): for a given enrolment, the daily plan that maximises
  the worst site's coverage, then minimises shortfall (convex, so that it is spread),
  then waste, then transport, lexicographically;
* :func:`dispatch_rolling` — question (b) over long horizons: a daily window plus a
  coarse tail, re-solved every ``step_days`` with the stock carried over;
* :func:`plan` / :func:`plan_from_herd` — both questions on simulated supply, with the
  confidence across supply futures, the headline metrics and what binds.

Supply uncertainty. With ``futures=None`` the plan uses the ``quantile`` (default P10)
of each farm's daily milk across the simulated futures, and its confidence is the share
of futures whose own largest enrolment reaches the plan's. With ``futures=K`` the largest
enrolment is solved separately in each of K futures, and the plan takes the order
statistic that leaves at most a share ``quantile`` of new futures below it with 90 %
assurance (one LP per future, warm-started; not a joint model; see
:func:`order_statistic`). Replaying a future means re-solving its operations
with the plan's enrolment fixed, with that future's supply known in advance.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from capra.planning.demand import site_demand
from capra.planning.metrics import confidence, headline_metrics, site_table
from capra.planning.model import (
    LinearModel,
    PlanInputs,
    build_model,
    coarsen,
    largest_scale,
    merge_equal_groups,
    merge_free_sites,
)
from capra.planning.network import network
from capra.planning.products import product_table
from capra.planning.result import Plan
from capra.planning.solve import LPResult, Solver, solve, solve_lexicographic

__all__ = ["binding_constraints", "dispatch", "dispatch_rolling", "future_enrolments",
           "max_enrolment", "plan", "plan_dates", "plan_from_herd", "plan_inputs",
           "supply_from_herd"]

#: Longest horizon (warm-up included) solved as one daily model; longer ones roll. [days]
MAX_DAILY_DAYS = 600
#: Lexicographic order of the dispatch objectives.
DISPATCH_ORDER = ("equity", "shortfall", "waste", "transport")
#: Families reported in the dispatch tables.
FAMILIES = ("raw_to_plant", "raw_not_collected", "production", "stock", "waste",
            "shipment", "servings", "shortfall")


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------

def plan_dates(scenario) -> tuple[pd.DatetimeIndex, int]:
    """The planned days, warm-up included, and the number of warm-up days.

    The served days run from ``planning.start_date`` (default: 364 days before the
    scenario's last day) for ``planning.days`` (default: to the last day).
    """
    s = scenario.planning
    end = pd.Timestamp(scenario.end_date)
    first = pd.Timestamp(s.start_date) if s.start_date is not None \
        else max(end - pd.Timedelta(days=364), pd.Timestamp(scenario.start_date))
    last = first + pd.Timedelta(days=s.days - 1) if s.days is not None else end
    warm = min(s.warmup_days, (first - pd.Timestamp(scenario.start_date)).days)
    return pd.date_range(first - pd.Timedelta(days=warm), last, freq="D", name="date"), warm


def supply_from_herd(herd_result, scenario, dates: pd.DatetimeIndex) -> np.ndarray:
    """Deliverable milk per future, farm and day on ``dates``, quarantine stations left out.

    Returns an array (replicate, farm, day) in scenario farm order. [kg/day]
    """
    da = herd_result.data["milk_kg"]
    kind = herd_result.data["kind"].values
    farms = [f for f, k in zip(herd_result.data["farm"].values, kind, strict=True)
             if k != "quarantine"]
    da = da.sel(farm=[f for f in scenario.farm_names if f in farms])
    da = da.sel(date=dates)
    return np.asarray(da.transpose("replicate", "farm", "date").values, dtype=float)


def plan_inputs(scenario, supply_kg: np.ndarray, dates: pd.DatetimeIndex,
                warmup_days: int = 0) -> PlanInputs:
    """Daily :class:`PlanInputs` of a scenario for one supply path.

    Parameters
    ----------
    scenario
        A :class:`capra.scenario.Scenario` with sites, calendars and plants.
    supply_kg
        Deliverable milk per farm and day on ``dates``, (F, T). [kg/day]
    dates
        The days, warm-up first. [date]
    warmup_days
        Leading days on which nothing is served. [days]
    """
    net = network(scenario)
    table = product_table(scenario.products)
    made = net.plant_capacity_kg.sum(axis=0) > 0
    names = [n for n, m in zip(table.names, made, strict=True) if m]
    net = dataclasses.replace(net, plant_capacity_kg=net.plant_capacity_kg[:, made])
    dem = site_demand(scenario, dates)
    rations = dem.rations.copy()
    open_days = dem.open.astype(float)
    rations[:, :, :warmup_days] = 0.0
    open_days[:, :warmup_days] = 0.0
    return PlanInputs(table.subset(names), net, pd.DatetimeIndex(dates),
                      np.ones(len(dates), dtype=np.int64), np.asarray(supply_kg, float),
                      rations, open_days, dem.total_children)


def _with_supply(inputs: PlanInputs, supply_kg: np.ndarray) -> PlanInputs:
    return dataclasses.replace(inputs, supply_kg=np.asarray(supply_kg, float))


# --------------------------------------------------------------------------------------
# Question (a)
# --------------------------------------------------------------------------------------

def enrolment_model(inputs: PlanInputs, *, max_scale: float | None = None,
                    milk_bound_kg: np.ndarray | None = None, merge: bool = True
                    ) -> LinearModel:
    """The question (a) model. With ``merge``, age groups with equal servings and sites
    whose own limits cannot bind are merged (exact, see
    :func:`capra.planning.model.merge_equal_groups` and
    :func:`capra.planning.model.merge_free_sites`).

    ``milk_bound_kg``: the most milk per farm and period of any supply the model will be
    re-solved with, (F, T); default: the supply of ``inputs``. [kg]
    """
    bound = inputs.supply_kg if milk_bound_kg is None else np.asarray(milk_bound_kg, float)
    if merge:
        inputs = merge_free_sites(merge_equal_groups(inputs), largest_scale(inputs, bound))
    return build_model(inputs, "enrolment", max_scale=max_scale,
                       milk_bound_kg=bound.sum(axis=0))


def max_enrolment(inputs: PlanInputs, *, max_scale: float | None = None, threads: int = 1,
                  time_limit: float | None = None, merge: bool = True
                  ) -> tuple[LPResult, LinearModel]:
    """Question (a): the largest scale of the sites' enrolment served in full on every
    operating day.

    Returns the LP result (``x`` holds the solution; ``objective`` is minus the enrolment
    in children) and the model. The enrolment in children is ``scale *
    inputs.total_children``. With ``merge``, sites whose own limits cannot bind are
    solved as one (the answer is the same, the model smaller).
    """
    model = enrolment_model(inputs, max_scale=max_scale, merge=merge)
    return solve(model, threads=threads, time_limit=time_limit), model


def _scale_of(result: LPResult, children: float) -> float:
    return -result.objective / children if result.success else float("nan")


def future_enrolments(inputs: PlanInputs, futures: np.ndarray, *, max_scale=None,
                      threads: int = 1, solver: Solver | None = None
                      ) -> tuple[np.ndarray, list[str]]:
    """Largest scale served every operating day in each supply future, (K,) [-].

    One model is built (or ``solver``'s enrolment model is reused); each future changes
    the milk-supply right-hand sides and is re-solved from the previous basis. Statuses
    other than optimal give NaN.
    """
    fresh = solver is None
    if fresh:
        model = enrolment_model(_with_supply(inputs, futures[0]), max_scale=max_scale,
                                milk_bound_kg=futures.max(axis=0))
        solver = Solver(model, threads=threads)
    rows = solver.model.rows["milk_supply"]
    out, statuses = np.full(len(futures), np.nan), []
    for k, supply in enumerate(futures):
        if k or not fresh:
            solver.set_row_bounds(rows.ravel(), supply.ravel(), supply.ravel())
        res = solver.run()
        statuses.append(res.status)
        out[k] = _scale_of(res, inputs.total_children)
    return out, statuses


def order_statistic(values: np.ndarray, quantile: float, assurance: float = 0.9) -> float:
    """A value that at most a share ``quantile`` of new futures fall below, with
    probability ``assurance`` over the futures drawn.

    With n finite values, the share of new exchangeable futures below the r-th smallest
    follows Beta(r, n + 1 - r); the largest r whose chance of exceeding ``quantile`` is at
    most ``1 - assurance`` is P(Binomial(n, quantile) <= r - 1) <= 1 - assurance. With too
    few futures for that, the smallest value is taken.
    """
    from scipy.stats import binom

    v = np.sort(values[np.isfinite(values)])
    if v.size == 0:
        return float("nan")
    ranks = np.arange(1, v.size + 1)
    ok = binom.cdf(ranks - 1, v.size, quantile) <= 1 - assurance
    r = int(ranks[ok].max()) if ok.any() else 1
    return float(v[r - 1])


# --------------------------------------------------------------------------------------
# Question (b)
# --------------------------------------------------------------------------------------

def _arrays(model: LinearModel, x: np.ndarray) -> dict[str, np.ndarray]:
    # every variable is >= 0; clip solver round-off
    out = {name: np.maximum(model.values(name, x), 0.0) for name in FAMILIES
           if name in model.blocks}
    if "shipment" not in out:  # one plant: shipments are the servings' weight
        out["shipment"] = np.einsum("sgpt,pg->spt", out["servings"],
                                    model.inputs.products.serving_kg)[None]
    return out


def dispatch(inputs: PlanInputs, scale: float, *, lexicographic: bool = True,
             threads: int = 1, time_limit: float | None = None
             ) -> tuple[LPResult, dict[str, np.ndarray], LinearModel]:
    """Question (b): the dispatch for an enrolment of ``scale`` times the sites' children.

    Lexicographic: worst site's coverage, shortfall (convex penalty), waste [kg milk],
    transport [kg·km]. With ``lexicographic=False`` one weighted objective is used.

    Returns the LP result, the solution arrays by family (``servings`` (S, G, P, T),
    ``shortfall`` (3, S, G, T), ``production`` (K, P, T), ...) and the model.
    """
    model = build_model(inputs, "dispatch", scale=scale)
    if lexicographic:
        res = solve_lexicographic(model, DISPATCH_ORDER, threads=threads,
                                  time_limit=time_limit)
    else:
        res = solve(model, threads=threads, time_limit=time_limit)
    sol = _arrays(model, res.x) if res.success else {}
    return res, sol, model


def _fifo_history(production: np.ndarray, stock: np.ndarray, end: int, depth: int
                  ) -> np.ndarray:
    """Opening stock by age (K, P, depth): the most recent production up to ``end``
    (exclusive) that adds up to ``stock``; older remainder is put in the oldest slot."""
    K, P, _ = production.shape
    recent = np.zeros((K, P, depth))
    take = min(depth, end)
    if take:
        recent[:, :, :take] = production[:, :, end - take:end][:, :, ::-1]
    before = np.cumsum(recent, axis=2) - recent
    hist = np.clip(stock[:, :, None] - before, 0, recent)
    hist[:, :, -1] += np.maximum(stock - hist.sum(axis=2), 0)
    return hist


def dispatch_rolling(inputs: PlanInputs, scale: float, *, window_days: int = 56,
                     step_days: int = 28, tail_days: int = 308, tail_period_days: int = 7,
                     threads: int = 1) -> tuple[LPResult, dict[str, np.ndarray], dict]:
    """Question (b) over a long horizon by rolling windows.

    Each window has ``window_days`` daily periods and a tail of ``tail_days`` in periods
    of ``tail_period_days`` days; it is solved with one weighted objective
    (:data:`capra.planning.model.ROLLING_WEIGHTS`), its first ``step_days`` days are
    kept, and the stock (by age, oldest first) is carried into the next window.

    Returns the result (status of the first failing window, or optimal), the daily
    solution arrays and statistics (windows, largest model, seconds; ``per_window``: the
    first day, size, build and solve seconds of each window).
    """
    if inputs.period_days.max(initial=1) != 1:
        raise ValueError("dispatch_rolling needs daily inputs")
    step_days = max(1, min(step_days, window_days))
    d = inputs.shape
    K, P, T = d["K"], d["P"], d["T"]
    depth = int(inputs.products.shelf_life_days.max(initial=1))
    one_day = build_model(inputs.window(0, 1), "dispatch", scale=scale)
    shapes = {k: v.shape[:-1] for k, v in _arrays(one_day, np.zeros(one_day.n_cols)).items()}
    sol = {name: np.zeros(shape + (T,)) for name, shape in shapes.items()}
    stock = inputs.opening_stock.copy()
    history = inputs.history
    start, windows, biggest, seconds = 0, 0, {"columns": 0}, 0.0
    per_window: list[dict] = []
    status = LPResult("optimal", "optimal solution found")
    while start < T:
        daily = min(window_days, T - start)
        stop = min(start + window_days + tail_days, T)
        win = coarsen(inputs.window(start, stop), daily, tail_period_days)
        win.opening_stock = stock
        win.history = history if start == 0 else _fifo_history(
            sol["production"], stock, start, depth)
        t0 = time.perf_counter()
        model = build_model(win, "dispatch", scale=scale)
        built = time.perf_counter() - t0
        # the dual simplex: 1.5-2x faster than the interior-point method on these windows
        res = solve(model, threads=threads, cold="simplex")
        seconds += res.seconds
        windows += 1
        per_window.append({"start": str(inputs.dates[start].date()), **model.size(),
                           "build_seconds": built, "solve_seconds": res.seconds})
        if model.n_cols > biggest["columns"]:
            biggest = model.size()
        if not res.success:
            status = LPResult(res.status, f"window from {inputs.dates[start].date()}: "
                                          f"{res.message}")
            break
        n = min(step_days, T - start)
        for name, values in _arrays(model, res.x).items():
            sol[name][..., start:start + n] = values[..., :n]
        stock = sol["stock"][:, :, start + n - 1] if "stock" in sol else np.zeros((K, P))
        start += n
    return status, sol, {"windows": windows, "largest_window": biggest,
                         "solve_seconds": seconds, "per_window": per_window}


# --------------------------------------------------------------------------------------
# What binds
# --------------------------------------------------------------------------------------

def binding_constraints(model: LinearModel, result: LPResult, *, tolerance: float = 1e-9
                        ) -> pd.DataFrame:
    """What limits the enrolment of question (a), from the LP duals.

    For each constraint family and item, ``children_per_unit`` is the number of extra
    children served every operating day if the limit were raised by one ``unit``
    throughout the item's period. These are marginal values (LP duals): valid for small
    changes only, while the same constraints stay binding.
    """
    columns = ["constraint", "item", "unit", "children_per_unit"]
    if not result.success or model.question != "enrolment":
        return pd.DataFrame(columns=columns)
    inp = model.inputs
    net = inp.net
    days = inp.period_days.astype(float)
    months = inp.dates.strftime("%Y-%m").to_numpy()
    rows_out: list[tuple[str, str, str, float]] = []

    # the objective is minus the enrolment in children: gain = - dual
    def row_gain(name):  # children per unit of row bound, per row
        return -model.values(name, result.row_dual, kind="row")

    def col_gain(name):
        return -model.values(name, result.col_dual)

    # milk supply per month: +1 kg/day through the month at the farm where it helps most
    # (farms that deliver to the same plants have the same value)
    g = row_gain("milk_supply") * days
    frame = pd.DataFrame(g.T, columns=net.farms).groupby(months).sum()
    for month, row in frame.iterrows():
        best = row.max()
        where = ("any farm" if np.allclose(row, best, rtol=1e-6, atol=1e-9)
                 else f"at {row.idxmax()}")
        rows_out.append(("milk supply", f"{month}, {where}", "+1 kg milk/day", best))
    prods = inp.products.names
    for name, label, items, unit in (
            ("production", "plant capacity",
             [f"{k}: {p}" for k in net.plants for p in prods], "+1 kg product/day"),
            ("raw_to_plant", "milk collection route",
             [f"{f} -> {k}" for f in net.farms for k in net.plants], "+1 kg milk/day")):
        v = (col_gain(name) * days).reshape(len(items), -1).sum(axis=1)
        rows_out += [(label, i, unit, x) for i, x in zip(items, v, strict=True)]
    from capra.scenario import STORAGE_CLASSES
    for name, label, items, unit, per_day in (
            ("plant_intake", "plant milk intake", list(net.plants), "+1 kg milk/day", True),
            ("plant_storage", "plant storage",
             [f"{k}: {c}" for k in net.plants for c in STORAGE_CLASSES], "+1 kg stored", False),
            ("route_capacity", "delivery route",
             [f"{k} -> {s}" for k in net.plants for s in net.sites], "+1 kg/day", True),
            ("site_cold_storage", "site cold storage", list(net.sites), "+1 kg/day", True)):
        if name not in model.rows:
            continue
        v = row_gain(name) * (days if per_day else 1.0)
        v = v.reshape(len(items), -1).sum(axis=1)
        rows_out += [(label, i, unit, x) for i, x in zip(items, v, strict=True)]
    out = pd.DataFrame(rows_out, columns=columns)
    out = out[out["children_per_unit"].abs() > tolerance]
    return out.sort_values("children_per_unit", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------

def _long(values: np.ndarray, dims: Sequence[tuple[str, Sequence]], value: str
          ) -> pd.DataFrame:
    """Long table of the non-zero entries of ``values`` with labelled dims."""
    nz = np.nonzero(np.abs(values) > 1e-9)
    data = {name: np.asarray(labels, dtype=object)[i] for (name, labels), i
            in zip(dims, nz, strict=True)}
    data[value] = values[nz]
    return pd.DataFrame(data)


def dispatch_tables(inputs: PlanInputs, sol: dict[str, np.ndarray], scale: float
                    ) -> dict[str, pd.DataFrame]:
    """Long tables of a dispatch, and the daily supply-demand table."""
    net, prods = inputs.net, inputs.products
    dates = inputs.dates
    K, S, P = net.plants, net.sites, prods.names
    G = prods.age_groups
    tables = {
        "production": _long(sol["production"], [("plant", K), ("product", P), ("date", dates)],
                            "kg"),
        "inventory": _long(sol["stock"], [("plant", K), ("product", P), ("date", dates)], "kg"),
        "waste": _long(sol["waste"], [("plant", K), ("product", P), ("date", dates)], "kg"),
        "shipments": _long(sol["shipment"], [("plant", K), ("site", S), ("product", P),
                                             ("date", dates)], "kg"),
        "servings": _long(sol["servings"], [("site", S), ("age_group", G), ("product", P),
                                             ("date", dates)], "rations"),
        "shortfall": _long(sol["shortfall"].sum(axis=0), [("site", S), ("age_group", G),
                                                          ("date", dates)], "rations"),
    }
    serving_milk = (prods.serving_kg * prods.milk_kg_per_kg[:, None]).T  # (G, P) kg milk
    tables["daily"] = pd.DataFrame({
        "supply_kg": inputs.supply_kg.sum(axis=0),
        "collected_kg": sol["raw_to_plant"].sum(axis=(0, 1)),
        "rations_wanted": scale * inputs.rations.sum(axis=(0, 1)),
        "rations_served": sol["servings"].sum(axis=(0, 1, 2)),
        "milk_in_servings_kg": np.einsum("sgpt,gp->t", sol["servings"], serving_milk),
        "waste_kg": sol["waste"].sum(axis=(0, 1)),
    }, index=pd.DatetimeIndex(dates, name="date"))
    classes = {c: [i for i, s in enumerate(prods.storage) if s == c]
               for c in ("chilled", "frozen", "ambient")}
    for c, idx in classes.items():
        tables["daily"][f"stock_{c}_kg"] = sol["stock"][:, idx, :].sum(axis=(0, 1))
    return tables


# --------------------------------------------------------------------------------------
# The whole plan
# --------------------------------------------------------------------------------------

def _failed(status: str, message: str, **kw) -> Plan:
    return Plan(status=status, message=message, **kw)


def plan(scenario, supply_kg: np.ndarray, *, quantile: float | None = None,
         futures: int | None = None, enrolment: float | None = None,
         confidence_futures: int | None = 20, threads: int = 1,
         rolling: bool | None = None) -> Plan:
    """Plan a scenario on simulated supply: both questions, metrics, what binds.

    Parameters
    ----------
    scenario
        A :class:`capra.scenario.Scenario` with sites, calendars and plants.
    supply_kg
        Deliverable milk per future, farm and planned day (R, F, T) (see
        :func:`supply_from_herd`), or one path (F, T). [kg/day]
    quantile
        Share of futures the plan may fail in (default ``scenario.planning.quantile``).
        [fraction]
    futures
        None: plan on the per-day ``quantile`` of supply; an integer K: solve each of the
        first K futures and take the order statistic (see the module notes).
    enrolment
        Children enrolled for the dispatch (question (b)); default: all the sites'
        children. [children]
    confidence_futures
        Futures used to state the confidence when ``futures`` is None (the first ones);
        None: all. [-]
    rolling
        Roll question (b) in windows; default: when the horizon exceeds
        :data:`MAX_DAILY_DAYS`.
    """
    t_start = time.perf_counter()
    q = scenario.planning.quantile if quantile is None else quantile
    dates, warm = plan_dates(scenario)
    info = {"scenario": scenario.name, "quantile": q,
            "first_date": str(dates[warm].date()), "last_date": str(dates[-1].date())}
    supply = np.asarray(supply_kg, float)
    if supply.ndim == 2:
        supply = supply[None]
    if not scenario.sites:
        return _failed("no_sites", "the scenario has no [[sites]] to serve", **info)
    if not scenario.plants:
        return _failed("no_plants", "the scenario has no [[plants]] to make products",
                       **info)
    if supply.shape[1:] != (len(scenario.farms), len(dates)):
        raise ValueError(f"supply has shape {supply.shape[1:]} per future; expected "
                         f"(farms, days) = {(len(scenario.farms), len(dates))}")
    base = plan_inputs(scenario, supply[0], dates, warm)
    info["enrolled_children"] = base.total_children
    if not base.products.names:
        return _failed("no_plants", "no plant has a capacity for any product", **info)
    if base.rations.sum() <= 0:
        return _failed("unbounded", "no site has an operating day with children in the "
                       "planned days, so any enrolment is served", **info)
    rolling = len(dates) > MAX_DAILY_DAYS if rolling is None else rolling
    seconds: dict[str, float] = {}

    # question (a), on the planning supply
    t0 = time.perf_counter()
    n_fut = supply.shape[0]
    if futures is None:
        method = (f"per-day P{round(100 * q)} of each farm's milk across {n_fut} futures"
                  if n_fut > 1 else "one supply path")
        path = np.quantile(supply, q, axis=0) if n_fut > 1 else supply[0]
        a_inputs = _with_supply(base, path)
        eval_futures = supply[: confidence_futures or n_fut] if n_fut > 1 else None
    else:
        k = min(int(futures), n_fut)
        method = (f"largest enrolment solved in each of {k} futures; plan at the order "
                  f"statistic that leaves at most {100 * q:.0f}% of new futures below it, "
                  "with 90% assurance")
        eval_futures = supply[:k]
        a_inputs = base
    solve_in = coarsen(a_inputs, 0, 7) if rolling else a_inputs
    solver_a = None
    if futures is None:
        bound = None if eval_futures is None or rolling else np.maximum(
            eval_futures.max(axis=0), path)
        model_a = enrolment_model(solve_in, milk_bound_kg=bound)
        solver_a = Solver(model_a, threads=threads)
        res_a = solver_a.run()
        scale = _scale_of(res_a, base.total_children)
        if not res_a.success:
            return _failed(res_a.status, f"enrolment: {res_a.message}", **info)
    fut_scale = None
    if eval_futures is not None:
        if rolling:  # weekly periods: one small model per future
            fut_scale = np.array([
                _scale_of(max_enrolment(coarsen(_with_supply(base, f), 0, 7),
                                        threads=threads)[0], base.total_children)
                for f in eval_futures])
        else:
            fut_scale, _ = future_enrolments(base, eval_futures, threads=threads,
                                             solver=solver_a)
    if futures is not None:
        scale = order_statistic(fut_scale, q)
        if not math.isfinite(scale):
            return _failed("infeasible", "no future has an optimal enrolment", **info)
        pick = int(np.nanargmin(np.abs(fut_scale - scale)))
        a_inputs = _with_supply(base, supply[pick])
        solve_in = coarsen(a_inputs, 0, 7) if rolling else a_inputs
        res_a, model_a = max_enrolment(solve_in, threads=threads)
        if not res_a.success:
            return _failed(res_a.status, f"enrolment: {res_a.message}", **info)
    seconds["enrolment"] = time.perf_counter() - t0
    conf = confidence(fut_scale, scale) if fut_scale is not None else None
    binding = binding_constraints(model_a, res_a)

    # question (b), on the planning supply, for the enrolled children
    t0 = time.perf_counter()
    d_scale = 1.0 if enrolment is None else enrolment / base.total_children
    if rolling:
        res_b, sol, roll = dispatch_rolling(a_inputs, d_scale, threads=threads)
        objectives = {"enrolment_scale": scale, "rolling_windows": roll["windows"]}
        sizes = {"enrolment": model_a.size(), "dispatch_window": roll["largest_window"]}
    else:
        res_b, sol, model_b = dispatch(a_inputs, d_scale, threads=threads)
        objectives = {"enrolment_scale": scale, **(res_b.objectives or {})}
        sizes = {"enrolment": model_a.size(), "dispatch": model_b.size()}
    seconds["dispatch"] = time.perf_counter() - t0
    if not res_b.success:
        return _failed(res_b.status, f"dispatch: {res_b.message}", **info)
    metrics = headline_metrics(a_inputs, sol, d_scale)
    tables = dispatch_tables(a_inputs, sol, d_scale)
    tables["sites"] = site_table(metrics)
    tables["interrupted"] = pd.DataFrame(metrics["interrupted"].T,
                                         index=pd.DatetimeIndex(a_inputs.dates, name="date"),
                                         columns=list(a_inputs.net.sites))
    tables["coverage"] = _coverage_frame(a_inputs, sol, d_scale)
    tables["futures"] = (pd.DataFrame({"children": fut_scale * base.total_children})
                         if fut_scale is not None else pd.DataFrame())
    seconds["total"] = time.perf_counter() - t_start
    served_days = slice(warm, None)
    tables = {k: (v.iloc[served_days] if k in ("interrupted", "coverage") else v)
              for k, v in tables.items()}
    return Plan(status="optimal", message="plan found", method=method,
                children_served_every_day=scale * base.total_children, scale=scale,
                confidence=conf,
                future_children=None if fut_scale is None else fut_scale * base.total_children,
                dispatch_enrolment=d_scale * base.total_children, metrics=metrics,
                tables=tables, binding=binding, objectives=objectives, sizes=sizes,
                seconds=seconds, **info)


def _coverage_frame(inputs: PlanInputs, sol: dict, scale: float) -> pd.DataFrame:
    """Share of rations served per site and day (NaN on closed days), date × site."""
    want = scale * inputs.rations.sum(axis=1)
    got = sol["servings"].sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(want > 0, got / np.where(want > 0, want, 1), np.nan)
    return pd.DataFrame(cov.T, index=pd.DatetimeIndex(inputs.dates, name="date"),
                        columns=list(inputs.net.sites))


def plan_from_herd(scenario, herd_result, *, quantile: float | None = None,
                   futures: int | None = None, enrolment: float | None = None,
                   confidence_futures: int | None = 20, threads: int = 1,
                   rolling: bool | None = None) -> Plan:
    """Plan a scenario on the milk of a herd simulation (what ``capra run`` calls).

    Parameters are those of :func:`plan`; the supply is ``herd_result.data["milk_kg"]``
    on the planned days (farms only; quarantine stations discard their milk).
    """
    dates, _ = plan_dates(scenario)
    supply = supply_from_herd(herd_result, scenario, dates)
    return plan(scenario, supply, quantile=quantile, futures=futures, enrolment=enrolment,
                confidence_futures=confidence_futures, threads=threads, rolling=rolling)
