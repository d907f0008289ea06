"""The whole plan of a scenario: both questions on simulated milk, the headline across
futures, the programme's years, what binds and what to make.

:func:`plan` takes the deliverable milk of the simulated futures; :func:`plan_from_herd`
takes a herd simulation (what ``capra run`` and ``capra plan`` call).

The headline is the largest enrolment served on every operating day of a **repeatable
year** (``planning.year = "repeatable"``, the default): the planned days are one turn of a
cycle, whose closing stock gives back its opening stock, so no stock is counted twice.
``planning.year = "from_stock"`` plans this year from today's stock instead (given
opening stock, the end free), clearly labelled.

Supply uncertainty. With ``futures=None`` the plan uses the ``quantile`` (default P10) of
each farm's daily milk across the simulated futures; question (a) is then solved in every
future (or the first ``confidence_futures``), giving the headline's P10/P50/P90 across
futures and the confidence: the share of futures whose own largest enrolment reaches the
plan's. With ``futures=K`` question (a) is solved in each of K futures and the plan takes
the order statistic that leaves at most a share ``quantile`` of new futures below it with
90 % assurance (see :func:`~capra.planning.optimize.order_statistic`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from capra.errors import ArgumentError, ScenarioError
from capra.planning.binding import binding_constraints, herd_levers
from capra.planning.decompose import dispatch_by_classes, site_classes
from capra.planning.demand import programme_years
from capra.planning.inputs import (
    opening_history,
    plan_dates,
    plan_inputs,
    supply_from_herd,
)
from capra.planning.metrics import confidence, headline_metrics, site_table
from capra.planning.optimize import (
    dispatch,
    dispatch_rolling,
    enrolment_model,
    future_enrolments,
    order_statistic,
    programme_enrolments,
    scale_of,
)
from capra.planning.problem import PlanInputs, SupplyLever, coarsen
from capra.planning.result import Plan
from capra.planning.solve import Solver
from capra.planning.tables import (
    LONG_TABLE_SITES,
    coverage_frame,
    dispatch_tables,
    production_by_month,
)
from capra.scenario import MAX_REPEATABLE_DAYS

__all__ = ["MAX_DAILY_DAYS", "plan", "plan_from_herd"]

#: Sites from which the dispatch is solved by classes and groups of sites
#: (:mod:`capra.planning.decompose`); below it, as one LP. [-]
DECOMPOSE_SITES = 40
#: Most sites in one share-out sub-problem of a group. [-]
GROUP_SIZE = 20
#: Longest horizon (warm-up included) solved as one daily model; longer ones roll (a
#: repeatable year may not be longer, which the scenario's validation checks). [days]
MAX_DAILY_DAYS = MAX_REPEATABLE_DAYS


def _failed(status: str, message: str, **kw) -> Plan:
    return Plan(status=status, message=message, **kw)


def _on_dates(values: np.ndarray, have: pd.DatetimeIndex, want: pd.DatetimeIndex) -> np.ndarray:
    """``values[..., day]`` on ``have`` taken on the days ``want``."""
    return values[..., have.get_indexer(want)]


def _dispatch(inputs: PlanInputs, scale: float, rolling: bool, threads: int,
              in_full: bool = False, sites: dict | None = None):
    """Question (b): rolled, by classes and groups of sites (``sites``: their districts
    and the engine of the groups), or as one LP. Returns the result, the solution, the
    objectives (with the decomposition's report) and the size of the largest LP."""
    if rolling:
        res, sol, roll = dispatch_rolling(inputs, scale, threads=threads)
        return res, sol, {"rolling_windows": roll["windows"]}, roll["largest_window"]
    if sites is not None:
        classes = site_classes(inputs, scale, districts=sites["districts"],
                               group_size=GROUP_SIZE)
        res, sol, report = dispatch_by_classes(
            inputs, scale, classes, threads=threads, in_full=in_full,
            engine=sites["engine"], workers=sites["workers"], scheduler=sites["scheduler"])
        return res, sol, {**report.get("objectives", {}), "by_classes": report}, \
            report.get("size", {})
    res, sol, model = dispatch(inputs, scale, threads=threads, in_full=in_full)
    return res, sol, dict(res.objectives or {}), model.size()


def _programme(scenario, supply: np.ndarray, threads: int) -> tuple[list[dict], dict]:
    """The programme's years, each with the children served on every operating day, from
    the milk ``supply`` (F, D) on the days of the programme's years."""
    years = programme_years(scenario)
    dates = pd.date_range(years[0][0], years[-1][1], freq="D", name="date")
    label = np.zeros(len(dates), dtype=np.int64)
    for y, (a, _) in enumerate(years):
        label[dates >= a] = y
    inputs = plan_inputs(scenario, supply, dates, stock_rule="free", years=label)
    t0 = time.perf_counter()
    res, scales, model = programme_enrolments(inputs, threads=threads)
    seconds = time.perf_counter() - t0
    children = inputs.total_children
    out = []
    for y, ((a, b), s) in enumerate(zip(years, scales, strict=True)):
        can = math.floor(s * children + 1e-6) if math.isfinite(s) else None
        out.append({"start": str(a.date()), "end": str(b.date()),
                    "children_served_every_day": None if can is None
                    else min(can, round(children)),
                    "children_the_milk_can_serve": can,
                    "milk_kg": float(supply[:, label == y].sum())})
    return out, {"size": model.size(), "seconds": seconds, "status": res.status}


def plan(scenario, supply_kg: np.ndarray, *, quantile: float | None = None,
         futures: int | None = None, enrolment: float | None = None,
         confidence_futures: int | None = None, threads: int = 1,
         rolling: bool | None = None, opening_stock: pd.DataFrame | None = None,
         levers: tuple[SupplyLever, ...] = (), notes: tuple[str, ...] = (),
         ramp_up: bool = True, decompose: bool | None = None, engine: str = "serial",
         workers: int | None = None, scheduler: str | None = None,
         progress: Callable[[str, int, int], None] | None = None) -> Plan:
    """Plan a scenario on simulated supply: both questions, the headline across futures,
    the programme's years, metrics, what binds and what to make.

    Parameters
    ----------
    scenario
        A :class:`capra.scenario.Scenario` with sites, calendars and plants.
    supply_kg
        Deliverable milk per future, farm and day (R, F, D), or one path (F, D), on all the
        simulated days (``scenario.dates``; the programme's years need them) or on the
        planned days only (see :func:`~capra.planning.inputs.plan_dates`). [kg/day]
    quantile
        Share of futures the plan may fail in (default ``scenario.planning.quantile``).
        [fraction]
    futures
        None: plan on the per-day ``quantile`` of supply; an integer K: solve each of the
        first K futures and take the order statistic (see the module notes).
    enrolment
        Children enrolled, for the dispatch at full enrolment; default: all the sites'
        children. [children]
    confidence_futures
        Futures in which question (a) is solved for the range and the confidence when
        ``futures`` is None (the first ones); None: all. [-]
    rolling
        Roll question (b) in windows; default: when a plan from today's stock exceeds
        :data:`MAX_DAILY_DAYS`. A repeatable year never rolls.
    opening_stock
        A plan from today's stock: the stock at the start (columns ``plant``,
        ``product``, ``kg``, ``made``); default: the scenario's ``planning.opening_stock``.
    levers
        Supply levers for "what binds" (profiles (F, D) on the days of ``supply_kg``).
    notes
        Notes to report with the plan (e.g. why a lever is what it is).
    ramp_up
        Solve the programme's years too (needs the supply of all the simulated days).
    decompose
        Solve the dispatch by classes and groups of sites (:mod:`capra.planning.decompose`:
        exact for classes, with a measured gap for groups); default: from
        :data:`DECOMPOSE_SITES` sites.
    engine, workers, scheduler
        Where the futures are solved (see :func:`capra.engines.map_tasks`).
    progress
        Called with (step, done, total) as the plan advances.
    """
    t_start = time.perf_counter()
    s = scenario.planning
    q = s.quantile if quantile is None else quantile
    repeatable = s.year == "repeatable"
    dates, warm = plan_dates(scenario)
    info = {"scenario": scenario.name, "quantile": q, "year": s.year,
            "first_date": str(dates[warm].date()), "last_date": str(dates[-1].date())}
    say = progress or (lambda *_: None)
    supply = np.asarray(supply_kg, float)
    if supply.ndim == 2:
        supply = supply[None]
    if not scenario.sites:
        return _failed("no_sites", "the scenario has no [[sites]] to serve", **info)
    if not scenario.plants:
        return _failed("no_plants", "the scenario has no [[plants]] to make products",
                       **info)
    sim_dates = pd.DatetimeIndex(scenario.dates)
    if supply.ndim != 3 or supply.shape[1] != len(scenario.farms) \
            or supply.shape[2] not in (len(sim_dates), len(dates)):
        raise ArgumentError(f"supply has shape {supply.shape[1:]} per future; expected "
                         f"(farms, days) = ({len(scenario.farms)}, {len(sim_dates)}) for "
                         f"the simulated days or ({len(scenario.farms)}, {len(dates)}) for "
                         "the planned days")
    full = supply if supply.shape[2] == len(sim_dates) else None
    on_plan = _on_dates(full, sim_dates, dates) if full is not None else supply
    if repeatable and len(dates) > MAX_DAILY_DAYS:
        raise ScenarioError(f"a repeatable year of {len(dates)} days; expected at most "
                            f"{MAX_DAILY_DAYS} (or planning.year = \"from_stock\")",
                            path="planning.days", value=len(dates))
    if rolling and repeatable:
        raise ArgumentError("a repeatable year is solved whole; rolling windows are for a plan "
                         "from today's stock")
    rolling = (not repeatable) and len(dates) > MAX_DAILY_DAYS if rolling is None else rolling
    history = None if repeatable else opening_history(scenario, dates[0], opening_stock)
    lever_profiles = tuple(dataclasses.replace(v, profile_kg=_on_dates(
        v.profile_kg, sim_dates, dates) if v.profile_kg.shape[-1] == len(sim_dates)
        and full is not None else v.profile_kg) for v in levers)
    base = plan_inputs(scenario, on_plan[0], dates, warm,
                       stock_rule="cyclic" if repeatable else "free", history=history,
                       levers=lever_profiles)
    info["enrolled_children"] = base.total_children
    if not base.products.names:
        return _failed("no_plants", "no plant has a capacity for any product", **info)
    if base.rations.sum() <= 0:
        return _failed("unbounded", "no site has an operating day with children in the "
                       "planned days, so any enrolment is served", **info)
    seconds: dict[str, float] = {}
    n_fut = on_plan.shape[0]

    # ---- the planning supply --------------------------------------------------------
    t0 = time.perf_counter()
    fut_scale = None
    pick = None
    if futures is None:
        method = (f"per-day P{round(100 * q)} of each farm's milk across {n_fut} futures"
                  if n_fut > 1 else "one supply path")
        path = np.quantile(on_plan, q, axis=0) if n_fut > 1 else on_plan[0]
        evaluate = on_plan[: confidence_futures or n_fut] if n_fut > 1 else None
    else:
        k = min(int(futures), n_fut)
        method = (f"largest enrolment solved in each of {k} futures; plan at the order "
                  f"statistic that leaves at most {100 * q:.0f}% of new futures below it, "
                  "with 90% assurance")
        evaluate = on_plan[:k]
    bound = None if evaluate is None else evaluate.max(axis=0)
    if evaluate is not None:
        say("futures", 0, len(evaluate))
        done = [0]

        def tick(n):
            done[0] += n
            say("futures", done[0], len(evaluate))

        bound = np.maximum(bound, path) if futures is None else bound
        fut_scale, _ = future_enrolments(base, evaluate, coarse=rolling, milk_bound_kg=bound,
                                         engine=engine, workers=workers, scheduler=scheduler,
                                         progress=tick)
    if futures is not None:
        target = order_statistic(fut_scale, q)
        if not math.isfinite(target):
            return _failed("infeasible", "no future has an optimal enrolment", **info)
        pick = int(np.nanargmin(np.abs(fut_scale - target)))
        path = on_plan[pick]
    seconds["futures"] = time.perf_counter() - t0

    # ---- question (a) on the planning supply, with the levers -----------------------
    t0 = time.perf_counter()
    say("enrolment", 0, 1)
    a_inputs = dataclasses.replace(base, supply_kg=np.asarray(path, float))
    solve_in = coarsen(a_inputs, 0, 7) if rolling else a_inputs
    model_a = enrolment_model(solve_in, milk_bound_kg=bound, levers=True)
    solver_a = Solver(model_a, threads=threads)
    res_a = solver_a.run()
    if not res_a.success:
        return _failed(res_a.status, f"enrolment: {res_a.message}", **info)
    scale = scale_of(res_a, base.total_children)
    binding = binding_constraints(model_a, res_a, solver_a)
    what_if = _what_if(model_a, solver_a, base.total_children, scale)
    seconds["enrolment"] = time.perf_counter() - t0
    conf = confidence(fut_scale, scale) if fut_scale is not None else None

    # ---- question (b): at the headline enrolment and at full enrolment ----------------
    t0 = time.perf_counter()
    say("dispatch", 0, 1)
    children = base.total_children
    full_scale = 1.0 if enrolment is None else enrolment / children
    head_children = min(math.floor(scale * children + 1e-6), full_scale * children)
    head_scale = head_children / children
    by_sites = None
    if decompose if decompose is not None else len(scenario.sites) >= DECOMPOSE_SITES:
        by_sites = {"districts": [st.district for st in scenario.sites], "engine": engine,
                    "workers": workers, "scheduler": scheduler}
    # question (a) served this enrolment in full on the same supply: no shortfall to spread
    res_b, sol, objectives, size_b = _dispatch(a_inputs, head_scale, rolling, threads,
                                               in_full=not rolling, sites=by_sites)
    if not res_b.success:
        return _failed(res_b.status, f"dispatch: {res_b.message}", **info)
    dispatch_info = {"method": "rolling windows" if rolling else
                     "classes and groups of sites" if by_sites else "one LP",
                     "headline": _decomposition(objectives)}
    metrics = headline_metrics(a_inputs, sol, head_scale)
    full_metrics, sol_full = metrics, sol
    if full_scale > head_scale * (1 + 1e-9):
        res_f, sol_full, obj_f, _ = _dispatch(a_inputs, full_scale, rolling, threads,
                                              sites=by_sites)
        if not res_f.success:
            return _failed(res_f.status, f"dispatch at full enrolment: {res_f.message}",
                           **info)
        objectives = {**objectives, "full_enrolment": obj_f}
        dispatch_info["full_enrolment"] = _decomposition(obj_f)
        full_metrics = headline_metrics(a_inputs, sol_full, full_scale)
    seconds["dispatch"] = time.perf_counter() - t0

    # ---- the programme's years ----------------------------------------------------
    years, year_info = [], {}
    if ramp_up and full is not None and programme_years(scenario):
        say("programme years", 0, 1)
        path_full = (np.quantile(full, q, axis=0) if futures is None and n_fut > 1
                     else full[pick if pick is not None else 0])
        prog = programme_years(scenario)
        window = pd.date_range(prog[0][0], prog[-1][1], freq="D")
        supply_years = _on_dates(path_full, sim_dates, window)
        years, year_info = _programme(scenario, supply_years, threads)
        seconds["programme_years"] = year_info["seconds"]
        if years and years[0]["children_served_every_day"] == 0:
            milk_days = np.flatnonzero(supply_years.sum(axis=0) > 0)
            first_milk = (f"its first deliverable milk comes on "
                          f"{window[milk_days[0]].date()}" if milk_days.size
                          else "it has no deliverable milk")
            notes = (f"No child can be served on every operating day of the first "
                     f"programme year ({years[0]['start']} to {years[0]['end']}): "
                     f"{first_milk}. Its milk builds the stock the next year starts "
                     "from.",) + tuple(notes)

    # ---- tables -----------------------------------------------------------------------
    per_site = len(scenario.sites) <= LONG_TABLE_SITES
    tables = dispatch_tables(a_inputs, sol, head_scale, per_site=per_site)
    served = slice(warm, None)
    districts = [st.district for st in scenario.sites]
    tables["sites"] = site_table(metrics, districts)
    tables["sites_full_enrolment"] = site_table(full_metrics, districts)
    tables["interrupted"] = pd.DataFrame(full_metrics["interrupted"].T,
                                         index=pd.DatetimeIndex(a_inputs.dates, name="date"),
                                         columns=list(a_inputs.net.sites)).iloc[served]
    tables["coverage"] = coverage_frame(a_inputs, sol, head_scale).iloc[served]
    tables["coverage_full_enrolment"] = coverage_frame(a_inputs, sol_full,
                                                       full_scale).iloc[served]
    tables["futures"] = (pd.DataFrame({"children": fut_scale * children})
                         if fut_scale is not None else pd.DataFrame())
    seconds["total"] = time.perf_counter() - t_start
    sizes = {"enrolment": model_a.size(),
             ("dispatch_window" if rolling else "dispatch"): size_b}
    if year_info:
        sizes["programme_years"] = year_info["size"]
    return Plan(status="optimal", message="plan found", method=method,
                children_served_every_day=scale * children, scale=scale,
                confidence=conf,
                future_children=None if fut_scale is None else fut_scale * children,
                dispatch_enrolment=head_children, metrics=metrics,
                full_enrolment={"children": full_scale * children, "metrics": full_metrics},
                programme_years=years, production=production_by_month(a_inputs, sol),
                tables=tables, binding=binding, what_if=what_if,
                notes=list(notes), objectives={"enrolment_scale": scale, **objectives},
                dispatch=dispatch_info, flows=None if per_site else (a_inputs, sol),
                sizes=sizes, seconds=seconds, **info)


def _decomposition(objectives: dict) -> dict | None:
    """The decomposition's report of a dispatch (taken out of its objectives), or None."""
    report = objectives.pop("by_classes", None)
    if report is None:
        return None
    return {k: report[k] for k in ("classes", "exact", "subproblems", "gap", "top")
            if k in report}


def _what_if(model, solver: Solver, children: float, scale: float) -> list[dict]:
    """Re-solves for the herd levers whose whole change is meaningful (the kids' milk to
    the plant): the exact extra children, not a marginal value."""
    out = []
    for lv in model.levers:
        if lv["constraint"] != "kid rearing":
            continue
        col = np.array([lv["column"]])
        solver.set_col_bounds(col, np.ones(1), np.ones(1))
        res = solver.run()
        solver.set_col_bounds(col, np.zeros(1), np.zeros(1))
        if res.success:
            out.append({"lever": lv["item"],
                        "children_served_every_day": math.floor(
                            scale_of(res, children) * children + 1e-6),
                        "extra_children": scale_of(res, children) * children
                        - scale * children})
    return out


def plan_from_herd(scenario, herd_result, *, quantile: float | None = None,
                   futures: int | None = None, enrolment: float | None = None,
                   confidence_futures: int | None = None, threads: int = 1,
                   rolling: bool | None = None, opening_stock: pd.DataFrame | None = None,
                   ramp_up: bool = True, decompose: bool | None = None,
                   engine: str = "serial", workers: int | None = None,
                   scheduler: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> Plan:
    """Plan a scenario on the milk of a herd simulation (what ``capra run`` calls).

    Parameters are those of :func:`plan`; the supply is ``herd_result.data["milk_kg"]``
    (farms only; quarantine stations discard their milk), and the herd gives the supply
    levers of "what binds" (farm capacity or herd size, kid rearing).
    """
    supply = supply_from_herd(herd_result, scenario)
    q = scenario.planning.quantile if quantile is None else quantile
    levers, notes = herd_levers(herd_result, scenario, pd.DatetimeIndex(scenario.dates), q)
    return plan(scenario, supply, quantile=quantile, futures=futures, enrolment=enrolment,
                confidence_futures=confidence_futures, threads=threads, rolling=rolling,
                opening_stock=opening_stock, levers=tuple(levers), notes=tuple(notes),
                ramp_up=ramp_up, decompose=decompose, engine=engine, workers=workers,
                scheduler=scheduler, progress=progress)
