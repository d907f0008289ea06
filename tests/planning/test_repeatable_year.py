"""The repeatable year: closed forms, independence of the warm-up, the wrap-around of shelf
life and ripening, and an independent replay of the plan over consecutive years."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from plan_checks import ALL_WEEK, check_all, tiny

from capra.planning import dispatch, max_enrolment, plan, plan_dates, plan_inputs
from capra.scenario import scenario_from_dict

POWDER_MILK_PER_RATION = 7.55 * 0.0277       # products.toml: kg milk per 6-11 y ration
FRESH_MILK_PER_RATION = 1.02 * 0.206
CHEESE_MILK_PER_RATION = 10.0 * 0.024


def sine_supply(days: int, mean: float = 100.0, amplitude: float = 0.6) -> np.ndarray:
    """One farm's milk over whole years: a sine wave around ``mean``. [kg/day]"""
    t = np.arange(days)
    return (mean * (1 + amplitude * np.sin(2 * np.pi * t / 365.0)))[None, :]


def cyclic(scenario, supply, **kw):
    dates, _ = plan_dates(scenario)
    return plan_inputs(scenario, supply, dates, stock_rule="cyclic", **kw)


def children(inputs) -> float:
    res, _ = max_enrolment(inputs)
    assert res.status == "optimal", res.message
    return -res.objective


def test_a_long_life_product_serves_the_annual_mean_exactly(make):
    # powder, a store large enough: over a repeatable year all the milk is served, so the
    # enrolment is the mean milk over the milk per ration, whatever the season
    sc = make(days=365, products={"milk_powder": 1e6}, storage={"ambient": 1e7})
    supply = sine_supply(365)
    assert children(cyclic(sc, supply)) == pytest.approx(
        supply.mean() / POWDER_MILK_PER_RATION, rel=1e-9)
    # from an empty store with nothing given back, the first months of the trough limit
    # it to the smallest prefix average, which is less
    dates, _ = plan_dates(sc)
    prefix = (np.cumsum(supply[0]) / np.arange(1, 366)).min()
    assert children(plan_inputs(sc, supply, dates)) == pytest.approx(
        prefix / POWDER_MILK_PER_RATION, rel=1e-9)


def _with_warmup(warmup: int, year: str) -> object:
    data = tiny(days=730, products={"milk_powder": 1e6}, storage={"ambient": 1e7})
    data["planning"] = {"start_date": "2026-01-06", "days": 365, "warmup_days": warmup,
                        "year": year}
    return scenario_from_dict(data)


def test_the_repeatable_year_does_not_depend_on_the_warmup():
    supply = sine_supply(730)
    answers = {}
    for year in ("repeatable", "from_stock"):
        for warmup in (0, 180, 300):
            p = plan(_with_warmup(warmup, year), supply, ramp_up=False)
            assert p.status == "optimal"
            answers[year, warmup] = p.children_served_every_day
    repeat = [answers["repeatable", w] for w in (0, 180, 300)]
    assert max(repeat) <= min(repeat) * 1.005
    # the closed form of the planned year (2026-01-06 is day 365 of the supply)
    assert repeat[0] == pytest.approx(supply[0, 365:730].mean() / POWDER_MILK_PER_RATION,
                                      rel=1e-6)
    # counting the warm-up's stock as free (this year from today's stock) moves the answer
    # with the warm-up, and above what can be repeated
    stock = [answers["from_stock", w] for w in (0, 180, 300)]
    assert stock[0] < stock[1] < stock[2]
    assert stock[2] > repeat[0] * 1.05


def test_fresh_milk_without_storage_serves_the_least_day(make):
    sc = make(days=8, products={"fresh_milk": 1e6}, storage={"chilled": 0})
    supply = np.array([[150.0, 50.0, 150.0, 50.0, 150.0, 50.0, 150.0, 50.0]])
    assert children(cyclic(sc, supply)) == pytest.approx(50.0 / FRESH_MILK_PER_RATION)


def test_a_ripening_cheese_wraps_around_the_year(make):
    # hard cheese only, ready 60 days after it is made: from an empty store nothing is
    # ready in the first 60 days, so no one can be served every day; in a repeatable
    # turn the cheese made at the end is served at the start, and all the milk is served
    sc = make(days=120, products={"hard_cheese": 1e6}, storage={"chilled": 1e7})
    supply = np.full((1, 120), 100.0)
    dates, _ = plan_dates(sc)
    assert children(plan_inputs(sc, supply, dates)) == pytest.approx(0.0, abs=1e-9)
    inputs = cyclic(sc, supply)
    assert children(inputs) == pytest.approx(100.0 / CHEESE_MILK_PER_RATION, rel=1e-9)
    res, sol, _ = dispatch(inputs, children(inputs) / inputs.total_children)
    assert res.status == "optimal"
    check_all(inputs, sol)
    # the store holds the cheese while it ripens: 60 days of output (600 kg at 10 kg a
    # day); a store of 300 kg ripens at most 5 kg a day, half the milk
    small = make(days=120, products={"hard_cheese": 1e6}, storage={"chilled": 300.0})
    assert children(cyclic(small, supply)) <= children(inputs) * 0.5 * (1 + 1e-9)


def _rotate(inputs, k: int):
    roll = lambda a: np.roll(a, -k, axis=-1)  # noqa: E731
    return dataclasses.replace(inputs, supply_kg=roll(inputs.supply_kg),
                               rations=roll(inputs.rations), open_days=roll(inputs.open_days),
                               dates=inputs.dates[np.roll(np.arange(len(inputs.dates)), -k)])


@pytest.mark.parametrize("shift", [1, 37, 90])
def test_a_repeatable_turn_has_no_first_day(make, shift):
    # the same days in the same cyclic order, started elsewhere: the same answer (the
    # turn's end and start are joined, for shelf life and ripening alike)
    cal = [{"name": "week", "weekdays": [1, 2, 3, 4, 5], "holidays": ["01-20"]}]
    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "week", "children": {"age_1_2": 30, "age_3_5": 60}},
             {"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_6_11": 100}, "cold_storage_kg": 15.0}]
    sc = make(days=120, sites=sites, calendars=[ALL_WEEK] + cal,
              products={"fresh_milk": 60.0, "yogurt": 20.0, "hard_cheese": 3.0,
                        "milk_powder": 2.0},
              storage={"chilled": 400.0, "ambient": 200.0})
    rng = np.random.default_rng(shift)
    t = np.arange(120)
    supply = (40 + 30 * np.cos(2 * np.pi * t / 120))[None, :] * rng.uniform(0.9, 1.1, 120)
    inputs = cyclic(sc, supply)
    base = children(inputs)
    assert base > 0
    assert children(_rotate(inputs, shift)) == pytest.approx(base, rel=1e-7)


def test_the_plan_replays_over_consecutive_years(make):
    # a dispatch of the repeatable turn, replayed twice in a row from the stock the first
    # turn leaves: nothing served past its shelf life or before it is ripe, closing >=
    # opening per product (plan_checks.check_all)
    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_1_2": 40, "age_3_5": 60}},
             {"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_6_11": 150}}]
    sc = make(days=90, sites=sites,
              products={"fresh_milk": 50.0, "yogurt": 20.0, "hard_cheese": 2.0,
                        "milk_powder": 3.0},
              storage={"chilled": 300.0, "ambient": 300.0})
    t = np.arange(90)
    supply = (45 - 35 * np.cos(2 * np.pi * t / 90))[None, :]  # the trough at the start
    inputs = cyclic(sc, supply)
    top = children(inputs) / inputs.total_children
    for scale in (top * (1 - 1e-6), 1.0):
        res, sol, _ = dispatch(inputs, scale)
        assert res.status == "optimal"
        check_all(inputs, sol)
        assert sol["opening_stock"].sum() > 0  # the turn does start from stock
    # at the largest enrolment nothing is short
    res, sol, _ = dispatch(inputs, top * (1 - 1e-6))
    assert sol["shortfall"].sum() <= 1e-4 * inputs.rations.sum()


def test_age_groups_share_a_shortage_fairly(make):
    # a kindergarten of toddlers (smaller, cheaper rations) and 3-5-year-olds with milk
    # for about half of them: each group gets about the same share of its rations
    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_1_2": 200, "age_3_5": 300}}]
    sc = make(days=20, sites=sites, products={"fresh_milk": 1e6})
    supply = np.full((1, 20), 50.0)
    inputs = cyclic(sc, supply)
    res, sol, _ = dispatch(inputs, 1.0)
    assert res.status == "optimal"
    wanted = inputs.rations.sum(axis=2)[0]  # (G,)
    served = sol["servings"].sum(axis=(2, 3))[0]
    share = served[wanted > 0] / wanted[wanted > 0]
    assert 0.2 < share.min() and share.max() - share.min() < 0.03
    # and day by day the convex penalty keeps every group within the same third of its
    # demand (here short by 44 % of the milk: between a third and two thirds served)
    daily = sol["servings"].sum(axis=2)[0] / np.where(inputs.rations[0] > 0,
                                                       inputs.rations[0], 1)
    daily = daily[wanted > 0]
    assert daily.min() >= 1 / 3 - 1e-6 and daily.max() <= 2 / 3 + 1e-6
