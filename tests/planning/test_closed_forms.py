"""Hand-solvable instances: one farm, one site, one or two products, answers in closed form."""

from __future__ import annotations

import numpy as np
import pytest
from plan_checks import check_all

from capra.planning import (
    binding_constraints,
    dispatch,
    plan,
    plan_dates,
    plan_inputs,
)
from capra.planning.optimize import enrolment_model
from capra.planning.solve import Solver

FRESH_ALPHA, FRESH_SERVING = 1.02, 0.206   # products.toml: kg milk/kg, kg per serving (6-11 y)
POWDER_ALPHA, POWDER_SERVING = 7.55, 0.0277
SUPPLY = np.array([[150.0, 50.0, 150.0, 50.0, 150.0, 50.0, 150.0, 50.0]])  # kg/day


def enrolment(scenario, supply, stock_rule="free"):
    """Question (a) with the levers of "what binds": (children, inputs, result, model,
    solver)."""
    dates, warm = plan_dates(scenario)
    inputs = plan_inputs(scenario, supply, dates, warm, stock_rule=stock_rule)
    model = enrolment_model(inputs, levers=True)
    solver = Solver(model)
    result = solver.run()
    assert result.status == "optimal"
    return -result.objective, inputs, result, model, solver


def test_fresh_milk_without_storage_serves_the_minimum_daily_supply(make):
    sc = make(days=8, products={"fresh_milk": 1e6}, storage={"chilled": 0})
    children, *_ = enrolment(sc, SUPPLY)
    assert children == pytest.approx(50.0 / (FRESH_ALPHA * FRESH_SERVING), rel=1e-9)


def test_long_life_product_serves_the_average_supply_less_conversion_losses(make):
    # powder only, a dry store large enough: every prefix of days must have made enough;
    # the smallest prefix average is the overall average (100 kg/day) here
    sc = make(days=8, products={"milk_powder": 1e6}, storage={"ambient": 1e6})
    children, *_ = enrolment(sc, SUPPLY)
    assert children == pytest.approx(100.0 / (POWDER_ALPHA * POWDER_SERVING), rel=1e-9)


def test_long_life_product_closed_form_is_the_smallest_prefix_average(make):
    supply = np.array([[20.0, 200.0, 80.0, 10.0, 90.0, 60.0]])
    sc = make(days=6, products={"milk_powder": 1e6}, storage={"ambient": 1e6})
    children, *_ = enrolment(sc, supply)
    prefix = np.cumsum(supply[0]) / np.arange(1, 7)
    assert children == pytest.approx(prefix.min() / (POWDER_ALPHA * POWDER_SERVING), rel=1e-9)


def test_storage_raises_enrolment_from_the_minimum_towards_the_average(make):
    fresh, *_ = enrolment(make(days=8, products={"fresh_milk": 1e6}), SUPPLY)
    both, *_ = enrolment(make(days=8, products={"fresh_milk": 1e6, "milk_powder": 1e6},
                              storage={"ambient": 1e6}), SUPPLY)
    powder, *_ = enrolment(make(days=8, products={"milk_powder": 1e6},
                                storage={"ambient": 1e6}), SUPPLY)
    # the ceiling: the average supply at the best milk-per-ration of the two products
    # (powder, 7.55 x 0.0277 = 0.2091 kg milk per ration, against 1.02 x 0.206 = 0.2101)
    ceiling = 100.0 / min(FRESH_ALPHA * FRESH_SERVING, POWDER_ALPHA * POWDER_SERVING)
    assert fresh == pytest.approx(50.0 / (FRESH_ALPHA * FRESH_SERVING))
    assert fresh < powder <= both * (1 + 1e-12)
    assert both == pytest.approx(ceiling, rel=1e-9)


def test_a_small_store_limits_the_carry_over(make):
    # the store holds 1 kg of powder: a low day gets that kilogram made on the day before,
    # and its own 50 kg of milk as powder made and served the same day (powder needs less
    # milk per ration than fresh milk)
    sc = make(days=8, products={"fresh_milk": 1e6, "milk_powder": 1e6},
              storage={"ambient": 1.0})
    children, _, result, model, solver = enrolment(sc, SUPPLY)
    expected = 50.0 / (POWDER_ALPHA * POWDER_SERVING) + 1.0 / POWDER_SERVING
    assert children == pytest.approx(expected, rel=1e-9)
    binding = binding_constraints(model, result, solver)
    store = binding[binding["constraint"] == "plant storage"]
    # the dry store binds; so does the empty cold room (fresh milk could be carried too)
    assert set(store["item"]) == {"P: ambient", "P: chilled"}
    store = store[store["item"] == "P: ambient"]
    # one more kg stored serves 1/0.0277 more children on each of the 4 low days, but
    # the enrolment is one number: the dual sums to 1/0.0277 over the binding days
    assert store["children_per_unit"].iloc[0] == pytest.approx(1.0 / POWDER_SERVING, rel=1e-6)


def test_closed_days_let_a_long_life_product_build_up(make):
    # Monday to Friday only; 7 days of 100 kg: Monday's 100 kg serves Monday, and the
    # weekend milk adds to nothing after Friday
    cal = [{"name": "week", "weekdays": [1, 2, 3, 4, 5]}]
    sites = [{"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "week", "children": {"age_6_11": 100}}]
    sc = make(days=7, products={"milk_powder": 1e6}, storage={"ambient": 1e6},
              calendars=cal, sites=sites)  # 2025-01-06 is a Monday
    supply = np.array([[10.0, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0]])
    children, inputs, *_ = enrolment(sc, supply)
    prefix = np.cumsum(supply[0])[:5] / np.arange(1, 6)
    assert children == pytest.approx(prefix.min() / (POWDER_ALPHA * POWDER_SERVING))
    res, sol, _ = dispatch(inputs, children / inputs.total_children)
    assert res.status == "optimal"
    check_all(inputs, sol)
    assert sol["servings"][:, :, :, 5:].sum() == 0  # Saturday and Sunday


def test_supply_dual_is_children_per_kg_on_the_binding_day(make):
    sc = make(days=8, products={"fresh_milk": 1e6})
    supply = SUPPLY.copy()
    supply[0, 3] = 40.0  # the one binding day
    children, _, result, model, solver = enrolment(sc, supply)
    binding = binding_constraints(model, result, solver)
    milk = binding[binding["constraint"] == "milk supply"]
    # +1 kg/day through the month (January 2025): only the binding day counts
    assert milk["item"].iloc[0] == "2025-01, any farm"
    assert milk["children_per_unit"].iloc[0] == pytest.approx(
        1 / (FRESH_ALPHA * FRESH_SERVING), rel=1e-6)
    # and re-solving with one more kg a day gives that many more children
    assert milk["valid_from"].iloc[0] <= 0 < 1 <= milk["valid_to"].iloc[0]
    children2, *_ = enrolment(sc, supply + 1.0)
    assert children2 - children == pytest.approx(milk["children_per_unit"].iloc[0], rel=1e-6)


def test_plant_capacity_binds_and_its_dual_says_by_how_much(make):
    sc = make(days=4, products={"fresh_milk": 10.0})
    supply = np.full((1, 4), 100.0)
    children, _, result, model, solver = enrolment(sc, supply)
    assert children == pytest.approx(10.0 / FRESH_SERVING)
    binding = binding_constraints(model, result, solver)
    row = binding[binding["constraint"] == "plant capacity"].iloc[0]
    assert row["item"] == "P: fresh_milk"
    assert row["children_per_unit"] == pytest.approx(1.0 / FRESH_SERVING, rel=1e-6)


def test_dispatch_below_capacity_serves_everyone_and_above_spreads_the_shortfall(make):
    sc = make(days=8, products={"fresh_milk": 1e6})
    dates, warm = plan_dates(sc)
    inputs = plan_inputs(sc, SUPPLY, dates, warm)
    top = 50.0 / (FRESH_ALPHA * FRESH_SERVING) / inputs.total_children
    res, sol, _ = dispatch(inputs, top * 0.99)
    assert res.status == "optimal" and sol["shortfall"].sum() < 1e-5
    check_all(inputs, sol)
    # twice the enrolment: the low days fall short by the same amount each
    res, sol, _ = dispatch(inputs, 2 * top)
    short = sol["shortfall"].sum(axis=(0, 1, 2))
    assert res.status == "optimal"
    np.testing.assert_allclose(short[1::2], short[1], rtol=1e-6)
    assert short[1] == pytest.approx(2 * top * 100 - 50.0 / (FRESH_ALPHA * FRESH_SERVING))
    check_all(inputs, sol)


def test_worst_site_first(make):
    # two sites, supply for 150 % of one; equity gives both 75 %
    sites = [{"name": n, "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_6_11": 100}} for n in ("A", "B")]
    sc = make(days=3, products={"fresh_milk": 1e6}, sites=sites)
    dates, warm = plan_dates(sc)
    supply = np.full((1, 3), 150 * FRESH_ALPHA * FRESH_SERVING)
    inputs = plan_inputs(sc, supply, dates, warm)
    res, sol, _ = dispatch(inputs, 1.0)
    served = sol["servings"].sum(axis=(1, 2, 3))
    np.testing.assert_allclose(served, [225.0, 225.0], rtol=1e-5)
    assert res.objectives["equity"] == pytest.approx(-0.75)


def test_plan_reports_the_closed_form(make):
    sc = make(days=8, products={"fresh_milk": 1e6})
    p = plan(sc, SUPPLY)
    assert p.status == "optimal"
    assert p.children_served_every_day == pytest.approx(50.0 / (FRESH_ALPHA * FRESH_SERVING))
    # the milk serves 237.96 children but only 100 are enrolled: never more served than
    # enrolled
    assert p.headline().startswith("All 100 enrolled children served every operating day "
                                   "of a repeatable year, with room for 137 more")
    d = p.to_dict()
    assert d["children_served_every_day"] == 100
    assert d["children_the_milk_can_serve"] == 237  # floor of 237.96
    assert d["room_for_more"] == 137
    assert d["interruption_days"] == {"S": 0}
    assert d["full_enrolment"]["interruption_days"] == {"S": 0}
    assert d["waste_kg"] == pytest.approx(0.0, abs=1e-6)
    # 200 children: the milk falls short on the low days, and the headline says so
    sc = make(days=8, products={"fresh_milk": 1e6},
              sites=[{"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
                      "calendar": "all", "children": {"age_6_11": 300}}])
    p = plan(sc, SUPPLY)
    d = p.to_dict()
    assert d["children_served_every_day"] == 237 and d["room_for_more"] == 0
    assert d["interruption_days"] == {"S": 0}            # at the headline enrolment
    assert d["full_enrolment"]["interruption_days"] == {"S": 4}  # the four low days
    assert p.headline().startswith("237 children served every operating day")
