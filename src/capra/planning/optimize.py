"""The planning questions, solved: enrolment, dispatch, rolling horizons, futures, years.

* :func:`max_enrolment` — question (a): the largest enrolment (a scale on the sites'
  children) served in full on every operating day;
* :func:`future_enrolments` — question (a) in each of many supply futures, warm-started,
  in chunks that any engine can run (serial, local processes, Dask);
* :func:`programme_enrolments` — question (a) for each programme year, the stock carried
  from one year to the next, lexicographically (the first year first);
* :func:`dispatch` — question (b): for a given enrolment, the daily plan that maximises
  the worst coverage of any site and age group, then minimises shortfall (convex, so that
  it is spread), then waste, then transport, lexicographically;
* :func:`dispatch_rolling` — question (b) over long horizons: a daily window plus a
  coarse tail, re-solved every ``step_days`` with the stock carried over by age.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import numpy as np

from capra.errors import ArgumentError
from capra.planning.decompose import reduce_sites, site_classes
from capra.planning.lp import LinearModel
from capra.planning.model import build_model
from capra.planning.problem import PlanInputs, coarsen
from capra.planning.reduce import (
    largest_scale,
    merge_equal_groups,
    merge_free_farms,
)
from capra.planning.solve import LPResult, Solver, solve, solve_lexicographic

__all__ = ["DISPATCH_ORDER", "FUTURES_PER_TASK", "dispatch", "dispatch_rolling",
           "enrolment_model", "future_enrolments", "max_enrolment", "order_statistic",
           "programme_enrolments", "solution_arrays"]

#: Lexicographic order of the dispatch objectives.
DISPATCH_ORDER = ("equity", "shortfall", "waste", "transport")
#: Families reported in the dispatch tables.
FAMILIES = ("raw_to_plant", "raw_not_collected", "production", "stock", "waste",
            "shipment", "servings", "shortfall", "opening_stock")
#: Supply futures solved one after the other (warm-started) in one task; the tasks are
#: the same whatever the engine, so the numbers are too. [-]
FUTURES_PER_TASK = 50


# --------------------------------------------------------------------------------------
# Question (a)
# --------------------------------------------------------------------------------------

def _with_supply(inputs: PlanInputs, supply_kg: np.ndarray) -> PlanInputs:
    return dataclasses.replace(inputs, supply_kg=np.asarray(supply_kg, float))


def enrolment_model(inputs: PlanInputs, *, max_scale: float | None = None,
                    milk_bound_kg: np.ndarray | None = None, merge: bool = True,
                    levers: bool = False) -> LinearModel:
    """The question (a) model. With ``merge``, age groups with equal servings, classes of
    sites (those whose own limits cannot bind, and scaled copies of one another) and
    farms whose collection cannot bind are merged (exact, see
    :func:`capra.planning.reduce.merge_equal_groups`,
    :func:`capra.planning.decompose.site_classes` and
    :func:`capra.planning.reduce.merge_free_farms`). With ``levers``, each limit is a
    fixed column, for "what binds".

    ``milk_bound_kg``: the most milk per farm and period of any supply the model will be
    re-solved with, (F, T); default: the supply of ``inputs``. [kg]
    """
    bound = inputs.supply_kg if milk_bound_kg is None else np.asarray(milk_bound_kg, float)
    group = None
    if merge:
        inputs = merge_equal_groups(inputs)
        inputs = reduce_sites(inputs, site_classes(inputs, largest_scale(inputs, bound)))
        inputs, group = merge_free_farms(inputs, bound)
    model = build_model(inputs, "enrolment", max_scale=max_scale,
                        milk_bound_kg=bound.sum(axis=0), levers=levers)
    model.farm_group = group
    return model


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


def scale_of(result: LPResult, children: float) -> float:
    """The enrolment scale of a solved question (a); NaN unless optimal. [-]"""
    return -result.objective / children if result.success else float("nan")


def _future_task(task) -> tuple[np.ndarray, list[str]]:
    """Question (a) in each supply future of one task: one model, re-solved from the
    previous basis with each future's milk (a module-level function, so that other
    processes can run it)."""
    inputs, futures, bound, coarse = task
    if coarse:  # long horizons: weekly periods, one small model per future
        out = np.array([scale_of(max_enrolment(coarsen(_with_supply(inputs, f), 0, 7))[0],
                                 inputs.total_children) for f in futures])
        return out, ["optimal" if np.isfinite(v) else "not_optimal" for v in out]
    model = enrolment_model(_with_supply(inputs, futures[0]), milk_bound_kg=bound)
    solver = Solver(model)
    rows = solver.model.rows["milk_supply"]
    out, statuses = np.full(len(futures), np.nan), []
    for k, supply in enumerate(futures):
        if k:
            rhs = model.supply_rows(supply).ravel()
            solver.set_row_bounds(rows.ravel(), rhs, rhs)
        res = solver.run()
        statuses.append(res.status)
        out[k] = scale_of(res, inputs.total_children)
    return out, statuses


def future_enrolments(inputs: PlanInputs, futures: np.ndarray, *, coarse: bool = False,
                      milk_bound_kg: np.ndarray | None = None, engine: str = "serial",
                      workers: int | None = None, scheduler: str | None = None,
                      progress: Callable[[int], None] | None = None
                      ) -> tuple[np.ndarray, list[str]]:
    """Largest scale served every operating day in each supply future, (R,) [-].

    The futures are cut into tasks of :data:`FUTURES_PER_TASK`; each task builds one model
    and re-solves it from the previous basis with each future's milk (the dual simplex).
    The tasks run on ``engine`` (see :func:`capra.engines.map_tasks`) and are the same on
    every engine, so the numbers are too. Statuses other than optimal give NaN.
    ``coarse``: weekly periods (long horizons). ``progress`` is called with the futures
    done.

    ``milk_bound_kg`` (F, T): the most milk per farm and period of any supply that shares
    the pruning of limits; default: the maximum over ``futures``. [kg]
    """
    from capra.engines import map_tasks

    futures = np.asarray(futures, float)
    bound = futures.max(axis=0) if milk_bound_kg is None else milk_bound_kg
    tasks = [(inputs, futures[i:i + FUTURES_PER_TASK], bound, coarse)
             for i in range(0, len(futures), FUTURES_PER_TASK)]
    done = None if progress is None else (lambda i, _: progress(len(tasks[i][1])))
    parts = map_tasks(_future_task, tasks, engine=engine, workers=workers,
                      scheduler=scheduler, on_done=done)
    scales = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0)
    return scales, [s for p in parts for s in p[1]]


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


def programme_enrolments(inputs: PlanInputs, *, threads: int = 1
                         ) -> tuple[LPResult, np.ndarray, LinearModel]:
    """Question (a) for each programme year (``inputs.years``), lexicographically: the
    first year's enrolment as large as it can be, then the second's without lowering the
    first, and so on. The stock is carried from one year to the next, and each year ends
    with at least the stock it began with (no year counts the stock of another).

    Year y's stage is solved on the years up to y only (the later years do not limit it
    as long as they can be planned at all). The last stage holds every year, so its
    success proves each earlier stage exact; if it fails, the stages are solved again on
    the whole model.

    Returns the result of the last stage, the scale of each year (NaN from a stage that
    was not optimal), and the model of the last stage.
    """
    if inputs.years is None:
        raise ArgumentError("programme_enrolments needs inputs with programme years")
    years = np.asarray(inputs.years)
    labels = np.unique(years)
    scales = np.full(len(labels), np.nan)
    res, model = LPResult("error", "no programme year"), None
    for i, yv in enumerate(labels):
        n = int(np.flatnonzero(years == yv)[-1]) + 1
        model = enrolment_model(inputs.window(0, n))
        lam = model.blocks["scale"]
        for j in range(i):  # earlier years keep their enrolment
            cols = lam[years[:n] == labels[j]]
            model.col_lo[cols] = max(scales[j] * (1 - 1e-7) - 1e-9, 0.0)
        model.c = model.costs[f"year_{int(yv)}"]
        # large stages by the interior point (2.5x faster than the dual simplex on the
        # four years of nampo), small ones by the dual simplex (Solver.IPM_COLUMNS)
        res = solve(model, threads=threads)
        if not res.success:
            break
        scales[i] = scale_of(res, inputs.total_children)
    if res.success or model is None:
        return res, scales, model
    model = enrolment_model(inputs)
    res = solve_lexicographic(model, tuple(model.costs), threads=threads)
    scales = np.array([-res.objectives[name] / inputs.total_children
                       if res.objectives and name in res.objectives else np.nan
                       for name in model.costs])
    return res, scales, model


# --------------------------------------------------------------------------------------
# Question (b)
# --------------------------------------------------------------------------------------

def solution_arrays(model: LinearModel, x: np.ndarray) -> dict[str, np.ndarray]:
    """The solution by variable family (``servings`` (S, G, P, T), ``production``
    (K, P, T), ``opening_stock`` (K, P), ...), every value >= 0."""
    # every variable is >= 0; clip solver round-off
    out = {name: np.maximum(model.values(name, x), 0.0) for name in FAMILIES
           if name in model.blocks}
    if "shipment" not in out:  # one plant: shipments are the servings' weight
        out["shipment"] = np.einsum("sgpt,pg->spt", out["servings"],
                                    model.inputs.products.serving_kg)[None]
    if "opening_stock" not in out:  # given
        out["opening_stock"] = model.inputs.opening_stock.copy()
    return out


def dispatch(inputs: PlanInputs, scale: float, *, lexicographic: bool = True,
             threads: int = 1, time_limit: float | None = None, in_full: bool = False
             ) -> tuple[LPResult, dict[str, np.ndarray], LinearModel]:
    """Question (b): the dispatch for an enrolment of ``scale`` times the sites' children.

    Lexicographic: the worst coverage of any site and age group, shortfall (convex
    penalty, counted in milk), waste [kg milk], transport [kg·km]. With
    ``lexicographic=False`` one weighted objective is used. With ``in_full`` (the
    enrolment is known to be served in full, e.g. at most question (a)'s answer) the
    shortfall is fixed at zero and only waste and transport are solved; should that be
    infeasible after all, the whole sequence is solved.

    Returns the LP result, the solution arrays by family (see :func:`solution_arrays`)
    and the model.
    """
    model = build_model(inputs, "dispatch", scale=scale)
    if in_full and lexicographic:
        short, zeta = model.blocks["shortfall"], model.blocks["worst_coverage"]
        saved = model.col_hi.copy(), model.col_lo.copy()
        model.col_hi[short[short >= 0]] = 0.0
        model.col_lo[zeta] = model.col_hi[zeta] = 1.0
        res = solve_lexicographic(model, ("waste", "transport"), threads=threads,
                                  time_limit=time_limit)
        if res.success:
            res.objectives = {"equity": -1.0, "shortfall": 0.0, **res.objectives}
            return res, solution_arrays(model, res.x), model
        model.col_hi, model.col_lo = saved
    if lexicographic:
        res = solve_lexicographic(model, DISPATCH_ORDER, threads=threads,
                                  time_limit=time_limit)
    else:
        res = solve(model, threads=threads, time_limit=time_limit)
    sol = solution_arrays(model, res.x) if res.success else {}
    return res, sol, model


def carried_history(inputs: PlanInputs, production: np.ndarray, stock: np.ndarray,
                    start: int) -> np.ndarray:
    """Stock carried into day ``start`` by age, (K, P, H), first-in-first-out.

    Product still ripening (made in the last ``ripening_days``) is carried whole; the
    ready stock ``stock`` (K, P) is the most recent ready output (of ``production``
    (K, P, T) before ``start``, then of the opening stock); anything older than what is
    known is put in the oldest slot.
    """
    prods = inputs.products
    K, P, _ = production.shape
    depth = int(prods.life_days.max(initial=1))
    made = np.zeros((K, P, depth))  # made[..., a - 1]: made a days before start
    take = min(depth, start)
    if take:
        made[:, :, :take] = production[:, :, start - take:start][:, :, ::-1]
    hist = inputs.history
    if hist.shape[2] and depth > start:
        j = min(hist.shape[2], depth - start)
        made[:, :, start:start + j] += hist[:, :, :j]
    out = np.zeros_like(made)
    for p in range(P):
        r = int(prods.ripening_days[p])
        out[:, p, :r] = made[:, p, :r]
        ready = made[:, p, r:]
        before = np.cumsum(ready, axis=1) - ready
        out[:, p, r:] = np.clip(stock[:, p, None] - before, 0, ready)
        out[:, p, -1] += np.maximum(stock[:, p] - out[:, p, r:].sum(axis=1), 0)
    return out


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
        raise ArgumentError("dispatch_rolling needs daily inputs")
    step_days = max(1, min(step_days, window_days))
    d = inputs.shape
    K, P, T = d["K"], d["P"], d["T"]
    one_day = build_model(inputs.window(0, 1), "dispatch", scale=scale)
    shapes = {k: v.shape[:-1] for k, v in
              solution_arrays(one_day, np.zeros(one_day.n_cols)).items()
              if k != "opening_stock"}
    sol = {name: np.zeros(shape + (T,)) for name, shape in shapes.items()}
    sol["opening_stock"] = inputs.opening_stock.copy()
    stock = inputs.opening_stock.copy()
    start, windows, biggest, seconds = 0, 0, {"columns": 0}, 0.0
    per_window: list[dict] = []
    status = LPResult("optimal", "optimal solution found")
    while start < T:
        daily = min(window_days, T - start)
        stop = min(start + window_days + tail_days, T)
        win = coarsen(inputs.window(start, stop), daily, tail_period_days)
        win.history = inputs.history if start == 0 else carried_history(
            inputs, sol["production"], stock, start)
        win.opening_stock = win.history.sum(axis=2)
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
        for name, values in solution_arrays(model, res.x).items():
            if name != "opening_stock":
                sol[name][..., start:start + n] = values[..., :n]
        stock = sol["stock"][:, :, start + n - 1] if "stock" in sol else np.zeros((K, P))
        start += n
    return status, sol, {"windows": windows, "largest_window": biggest,
                         "solve_seconds": seconds, "per_window": per_window}
