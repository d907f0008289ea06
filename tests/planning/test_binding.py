"""What binds: every marginal value is >= 0 and is what a re-solve with the limit moved
within its stated range gives."""

from __future__ import annotations

import numpy as np
import pytest

from capra.planning import binding_constraints, plan_dates, plan_inputs
from capra.planning.problem import SupplyLever
from capra.planning.optimize import enrolment_model, scale_of
from capra.planning.solve import Solver


@pytest.fixture(scope="module")
def solved():
    from plan_checks import ALL_WEEK, tiny

    from capra.scenario import scenario_from_dict

    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_1_2": 60, "age_3_5": 90},
              "cold_storage_kg": 20.0},
             {"name": "S", "kind": "school", "latitude": 38.95, "longitude": 125.55,
              "calendar": "week", "children": {"age_6_11": 250}}]
    cal = [ALL_WEEK, {"name": "week", "weekdays": [1, 2, 3, 4, 5]}]
    sc = scenario_from_dict(tiny(days=60, sites=sites, calendars=cal, farms=2,
                                 products={"fresh_milk": 40.0, "yogurt": 15.0,
                                           "milk_powder": 2.5},
                                 storage={"chilled": 60.0, "ambient": 40.0}))
    dates, _ = plan_dates(sc)
    t = np.arange(len(dates))
    supply = np.vstack([60 + 40 * np.cos(2 * np.pi * t / 60), 30 + 10 * np.sin(t / 5)])
    extra = np.zeros_like(supply)
    extra[0] = 0.5 * supply[0]  # a lever: half as much milk again on farm F0
    lever = SupplyLever("herd size", "F0", "+1 (half the milk again)", extra)
    inputs = plan_inputs(sc, supply, dates, stock_rule="cyclic", levers=(lever,))
    model = enrolment_model(inputs, levers=True)
    solver = Solver(model)
    result = solver.run()
    assert result.status == "optimal"
    return inputs, model, solver, result


def test_every_marginal_value_is_non_negative_and_ranged(solved):
    inputs, model, solver, result = solved
    table = binding_constraints(model, result, solver, tolerance=-1.0)  # every lever
    months = {lv["item"].split(",")[0] for lv in model.levers
              if lv["constraint"] == "milk supply"}
    per_farm = sum(lv["constraint"] == "milk supply" for lv in model.levers)
    assert len(table) == len(model.levers) - per_farm + len(months)  # one row a month
    assert (table["children_per_unit"] >= -1e-7).all()
    assert (table["valid_from"] <= table["valid_to"]).all()
    binding = binding_constraints(model, result, solver)
    assert set(binding["constraint"]) >= {"plant capacity", "herd size"}


def test_each_value_is_what_a_re_solve_within_its_range_gives(solved):
    inputs, model, solver, result = solved
    base = scale_of(result, inputs.total_children) * inputs.total_children
    levers = {(lv["constraint"], lv["item"]): lv for lv in model.levers}
    binding = binding_constraints(model, result, solver)
    checked = 0
    for _, row in binding.iterrows():
        if row["constraint"] == "milk supply":
            continue  # several columns (one per farm) behind one row
        lv = levers[row["constraint"], row["item"]]
        room = row["valid_to"] - lv["value"]
        if not np.isfinite(room) or room <= 1e-6:
            continue
        step = min(1.0, 0.5 * room)
        col = np.array([lv["column"]])
        fresh = Solver(model)
        fresh.set_col_bounds(col, np.array([lv["value"] + step]),
                             np.array([lv["value"] + step]))
        res = fresh.run()
        assert res.status == "optimal"
        gain = scale_of(res, inputs.total_children) * inputs.total_children - base
        assert gain == pytest.approx(row["children_per_unit"] * step, rel=1e-5, abs=1e-6)
        checked += 1
    assert checked >= 2
