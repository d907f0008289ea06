"""Every dispatch checked independently: mass balance, shelf life, closed days, capacities."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from plan_checks import check_all

from capra.planning import (
    dispatch,
    dispatch_rolling,
    max_enrolment,
    plan,
    plan_dates,
    plan_inputs,
)
from capra.scenario import bundled_scenario_path, scenario_from_dict


def seasonal_supply(farms: int, days: int, seed: int, level: float = 250.0) -> np.ndarray:
    """Milk per farm and day with a trough in the middle. [kg/day]"""
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    curve = level * (0.55 + 0.45 * np.cos(2 * np.pi * t / days))
    return curve[None, :] * rng.lognormal(0.0, 0.1, size=(farms, days))


def nampo_short(days: int = 70, warmup: int = 14, plants: int = 1):
    """The bundled nampo scenario, planned over ``days`` days in 2029 from today's stock
    (after a warm-up)."""
    data = tomllib.loads(bundled_scenario_path("nampo").read_text(encoding="utf-8"))
    data["planning"] = {"start_date": "2029-01-02", "days": days, "warmup_days": warmup,
                        "year": "from_stock"}
    if plants == 2:
        second = dict(data["plants"][0], name="Kangso dairy", latitude=38.92,
                      longitude=125.53, intake_kg_per_day=800.0)
        second["capacity_kg_per_day"] = {"fresh_milk": 300.0, "yogurt": 200.0}
        second["storage_kg"] = {"chilled": 500.0}
        data["plants"] = data["plants"] + [second]
    sc = scenario_from_dict(data)
    dates, warm = plan_dates(sc)
    return sc, dates, warm


@pytest.mark.parametrize("plants", [1, 2])
def test_nampo_dispatch_passes_every_check(plants):
    sc, dates, warm = nampo_short(plants=plants)
    supply = seasonal_supply(len(sc.farms), len(dates), seed=plants)
    inputs = plan_inputs(sc, supply, dates, warm)
    res, model = max_enrolment(inputs)
    assert res.status == "optimal"
    scale = -res.objective / inputs.total_children
    # at the largest enrolment: served in full, every check holds
    res, sol, _ = dispatch(inputs, scale)
    assert res.status == "optimal"
    check_all(inputs, sol)
    assert sol["shortfall"].sum() <= 1e-4 * inputs.rations.sum()
    # at full enrolment (more than the milk allows): shortfall, and still every check
    res, sol, model = dispatch(inputs, 1.0)
    assert res.status == "optimal"
    check_all(inputs, sol)
    assert sol["shortfall"].sum() > 0
    if plants == 2:
        assert "shipment" in model.blocks  # two plants: shipment variables of their own
        assert sol["production"][1].sum() > 0


def test_rolling_dispatch_carries_stock_by_age_across_windows():
    sc, dates, warm = nampo_short(days=100, warmup=20)
    supply = seasonal_supply(len(sc.farms), len(dates), seed=3)
    inputs = plan_inputs(sc, supply, dates, warm)
    _, sol_full, _ = dispatch(inputs, 1.0, lexicographic=False)
    status, sol, stats = dispatch_rolling(inputs, 1.0, window_days=21, step_days=10,
                                          tail_days=42, tail_period_days=7)
    assert status.status == "optimal" and stats["windows"] == 12
    check_all(inputs, sol)
    # the rolling plan cannot beat the one that sees the whole horizon, and is close to it
    full, rolled = sol_full["shortfall"].sum(), sol["shortfall"].sum()
    assert rolled >= full - 1e-3
    assert rolled <= 1.1 * full + 1.0
    assert stats["largest_window"]["columns"] < len(sol_full["servings"].ravel())


def test_plan_rolls_long_horizons():
    sc, dates, _ = nampo_short(days=60, warmup=0)
    supply = seasonal_supply(len(sc.farms), len(dates), seed=4)
    p = plan(sc, supply, rolling=True)
    assert p.status == "optimal"
    assert p.objectives["rolling_windows"] >= 2
    assert "dispatch_window" in p.sizes
    daily = p.tables["daily"]
    assert len(daily) == 60 and (daily["rations_served"] <= daily["rations_wanted"] + 1e-6).all()


# --------------------------------------------------------------------------------------
# Random small instances: every dispatch passes every check
# --------------------------------------------------------------------------------------

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PRODUCT_NAMES = ("fresh_milk", "yogurt", "soft_cheese", "hard_cheese", "milk_powder",
                 "uht_milk", "frozen_milk")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(days=st.integers(3, 16),
       made=st.sets(st.sampled_from(PRODUCT_NAMES), min_size=1, max_size=4),
       capacity=st.floats(5.0, 300.0),
       store=st.tuples(st.floats(0.0, 50.0), st.floats(0.0, 50.0), st.floats(0.0, 50.0)),
       life=st.integers(1, 6),
       scale=st.floats(0.1, 3.0),
       cold=st.one_of(st.none(), st.floats(0.0, 40.0)),
       seed=st.integers(0, 1000))
def test_random_instances_pass_every_check(days, made, capacity, store, life, scale, cold,
                                           seed):
    from plan_checks import check_all, tiny

    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "week", "children": {"age_1_2": 30, "age_3_5": 50}},
             {"name": "S", "kind": "school", "latitude": 38.95, "longitude": 125.6,
              "calendar": "all", "children": {"age_6_11": 120},
              **({} if cold is None else {"cold_storage_kg": cold})}]
    cal = [{"name": "all", "weekdays": [1, 2, 3, 4, 5, 6, 7]},
           {"name": "week", "weekdays": [1, 2, 3, 4, 5], "holidays": ["01-08"]}]
    data = tiny(days=days, farms=2, sites=sites, calendars=cal,
                products={p: capacity for p in made},
                storage=dict(zip(("chilled", "frozen", "ambient"), store, strict=True)))
    data["products"] = {p: {"shelf_life_days": life} for p in made if p != "milk_powder"}
    data["transport"] = {"capacity_kg_per_day": 60.0}
    sc = scenario_from_dict(data)
    dates, warm = plan_dates(sc)
    supply = np.random.default_rng(seed).uniform(0, 80, size=(2, days))
    inputs = plan_inputs(sc, supply, dates, warm)
    res, sol, _ = dispatch(inputs, scale)
    assert res.status == "optimal"
    check_all(inputs, sol)
    res_a, _ = max_enrolment(inputs)
    assert res_a.status == "optimal" and -res_a.objective >= -1e-9


def test_merging_free_sites_gives_the_same_enrolment():
    sc, dates, warm = nampo_short(days=60)
    inputs = plan_inputs(sc, seasonal_supply(len(sc.farms), len(dates), seed=5), dates, warm)
    merged, m_model = max_enrolment(inputs)
    whole, w_model = max_enrolment(inputs, merge=False)
    assert merged.objective == pytest.approx(whole.objective, rel=1e-7)
    assert len(m_model.inputs.net.sites) < len(w_model.inputs.net.sites) == 12
    assert m_model.n_cols < 0.6 * w_model.n_cols
