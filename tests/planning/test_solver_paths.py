"""The solver's paths (interior point or simplex first, warm stages, rolling windows)
reach the same optimum, and the worst site's coverage is the one checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from plan_checks import check_all
from test_solution_checks import nampo_short, seasonal_supply

from capra.planning.model import build_model
from capra.planning import dispatch_rolling, plan_inputs
from capra.planning.optimize import DISPATCH_ORDER
from capra.planning.solve import Solver, solve, solve_lexicographic


@pytest.fixture(scope="module")
def inputs():
    sc, dates, warm = nampo_short(days=120, warmup=14)
    return plan_inputs(sc, seasonal_supply(len(sc.farms), len(dates), seed=7), dates, warm)


def test_worst_coverage_is_the_same_from_either_algorithm_and_checks_by_hand(inputs,
                                                                              monkeypatch):
    model = build_model(inputs, "dispatch", scale=1.0)
    model.c = model.costs["equity"]
    values = {}
    for cold in ("ipm", "simplex"):
        res = solve(model, cold=cold)
        assert res.status == "optimal"
        values[cold] = -res.objective / model.cost_units["equity"]
        # by hand: the least share of its rations any age group of any site gets over the
        # horizon
        served = model.values("servings", res.x).sum(axis=(2, 3))
        wanted = inputs.rations.sum(axis=2)
        share = served[wanted > 0] / wanted[wanted > 0]
        assert share.min() == pytest.approx(values[cold], rel=1e-7)
    assert values["ipm"] == pytest.approx(values["simplex"], rel=1e-7)
    assert 0 < values["ipm"] < 1


def test_lexicographic_stages_agree_whichever_algorithm_starts(inputs, monkeypatch):
    model = build_model(inputs, "dispatch", scale=1.0)
    first = solve_lexicographic(model, DISPATCH_ORDER)
    monkeypatch.setattr(Solver, "IPM_COLUMNS", 0 if model.n_cols > Solver.IPM_COLUMNS
                        else 10**9)
    other = solve_lexicographic(model, DISPATCH_ORDER)
    assert first.status == other.status == "optimal"
    assert set(first.objectives) == set(DISPATCH_ORDER)
    for name in DISPATCH_ORDER:
        assert first.objectives[name] == pytest.approx(other.objectives[name], rel=1e-6,
                                                       abs=1e-6)
    assert first.objectives["equity"] < 0  # minus the worst site's coverage


def test_a_warm_primal_stage_gives_the_cold_optimum(inputs):
    # stage 2 from the basis of stage 1 (primal simplex) against a fresh solve of the
    # same LP (stage 1's row added) from nothing
    model = build_model(inputs, "dispatch", scale=1.0)
    warm = Solver(model)
    model.c = model.costs["equity"]
    first = warm.run()
    bound = first.objective + 1e-6 + 1e-7 * abs(first.objective)
    warm.add_row(model.costs["equity"], bound)
    warm.set_cost(model.costs["shortfall"])
    second = warm.run()
    cold = Solver(model, cold="simplex")
    cold.add_row(model.costs["equity"], bound)
    cold.set_cost(model.costs["shortfall"])
    fresh = cold.run()
    assert second.status == fresh.status == "optimal"
    assert second.objective == pytest.approx(fresh.objective, rel=1e-7)


def test_rolling_reports_each_window(inputs):
    status, sol, stats = dispatch_rolling(inputs, 1.0, window_days=28, step_days=14,
                                          tail_days=56, tail_period_days=7)
    assert status.status == "optimal"
    check_all(inputs, sol)
    per = stats["per_window"]
    assert len(per) == stats["windows"]
    assert sum(w["solve_seconds"] for w in per) == pytest.approx(stats["solve_seconds"])
    assert max(w["columns"] for w in per) == stats["largest_window"]["columns"]
    assert np.all([w["build_seconds"] >= 0 for w in per])
