"""Infeasible, unbounded and degenerate inputs give a status and a message, not a crash."""

from __future__ import annotations

import numpy as np
import pytest

from capra.planning import dispatch, max_enrolment, plan, plan_dates, plan_inputs


def inputs_of(scenario, supply):
    dates, warm = plan_dates(scenario)
    return plan_inputs(scenario, supply, dates, warm)


def test_negative_supply_is_infeasible(make):
    sc = make(days=3)
    result, _ = max_enrolment(inputs_of(sc, np.array([[10.0, -5.0, 10.0]])))
    assert result.status == "infeasible"
    assert "no plan satisfies" in result.message
    assert result.x is None and not result.success


def test_no_operating_day_is_unbounded(make):
    cal = [{"name": "never", "weekdays": [7], "holidays": []}]
    sites = [{"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "never", "children": {"age_6_11": 100}}]
    sc = make(days=3, calendars=cal, sites=sites)  # Monday to Wednesday
    result, _ = max_enrolment(inputs_of(sc, np.full((1, 3), 10.0)))
    assert result.status in ("unbounded", "infeasible_or_unbounded")
    p = plan(sc, np.full((1, 3), 10.0))
    assert p.status == "unbounded" and "no site has an operating day" in p.message
    assert p.headline().startswith("No plan (unbounded)")
    assert p.to_dict()["children_served_every_day"] is None


def test_no_milk_serves_no_one_and_the_dispatch_is_all_shortfall(make):
    sc = make(days=4)
    p = plan(sc, np.zeros((1, 4)))
    assert p.status == "optimal"
    assert p.children_served_every_day == pytest.approx(0.0, abs=1e-9)
    assert p.dispatch_enrolment == 0 and p.metrics["interruption_days"] == {"S": 0}
    full = p.full_enrolment["metrics"]
    assert full["coverage"] == pytest.approx(0.0, abs=1e-9)
    assert full["interruption_days"] == {"S": 4}
    assert full["longest_gap_days"] == {"S": 4}
    assert p.to_dict()["full_enrolment"]["interruption_days"] == {"S": 4}


def test_scenarios_without_sites_or_plants(make):
    from plan_checks import tiny

    from capra.scenario import scenario_from_dict

    data = tiny(days=3)
    data["sites"] = []
    assert plan(scenario_from_dict(data), np.ones((1, 3))).status == "no_sites"
    data = tiny(days=3)
    data["plants"] = []
    assert plan(scenario_from_dict(data), np.ones((1, 3))).status == "no_plants"
    p = plan(make(days=3, products={"yogurt": 0.0}), np.ones((1, 3)))
    assert p.status == "no_plants" and "capacity" in p.message


def test_a_group_no_product_can_serve_is_not_served(make):
    # hard cheese is not served to children under 3: a kindergarten of toddlers gets none
    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_1_2": 50}}]
    sc = make(days=3, products={"hard_cheese": 1e6}, storage={"chilled": 1e6}, sites=sites)
    result, _ = max_enrolment(inputs_of(sc, np.full((1, 3), 100.0)))
    assert result.status == "optimal" and -result.objective == pytest.approx(0.0, abs=1e-9)


def test_a_site_without_cold_storage_gets_ambient_products_only(make):
    sites = [{"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_6_11": 100}, "cold_storage_kg": 0.0}]
    sc = make(days=3, products={"fresh_milk": 1e6, "milk_powder": 1e6},
              storage={"ambient": 1e6}, sites=sites)
    inputs = inputs_of(sc, np.full((1, 3), 100.0))
    res, sol, _ = dispatch(inputs, 1.0)
    fresh = inputs.products.index("fresh_milk")
    assert res.status == "optimal"
    assert sol["servings"][:, :, fresh, :].sum() == 0
    assert sol["shortfall"].sum() < 1e-5


def test_bad_arguments_are_errors():
    from capra.planning.model import build_model

    with pytest.raises(ValueError, match="expected 'enrolment' or 'dispatch'"):
        build_model(None, "maximise")
    with pytest.raises(ValueError, match="needs an enrolment scale"):
        build_model(None, "dispatch", scale=-1.0)


def test_supply_of_the_wrong_shape_is_an_error(make):
    with pytest.raises(ValueError, match=r"expected \(farms, days\)"):
        plan(make(days=3), np.ones((1, 5)))
