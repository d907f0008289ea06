"""A plan for this year from today's stock: the given stock is used, by age, and nothing
has to be given back; it is never the default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from plan_checks import check_all, tiny

from capra.errors import ScenarioError
from capra.planning import opening_history, plan, plan_dates, plan_inputs
from capra.scenario import scenario_from_dict

POWDER_MILK_PER_RATION = 7.55 * 0.0277


def scenario(stock=(), year="from_stock", days=30, children=100):
    sites = [{"name": "S", "kind": "school", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_6_11": children}}]
    data = tiny(days=days, products={"milk_powder": 1e6}, storage={"ambient": 1e6},
                sites=sites)
    data["planning"] = {"start_date": "2025-01-06", "year": year,
                        "opening_stock": list(stock)}
    return scenario_from_dict(data)


def test_the_repeatable_year_is_the_default():
    data = tiny(days=10)
    assert scenario_from_dict(data).planning.year == "repeatable"


def test_stock_in_store_serves_children_on_top_of_the_milk():
    supply = np.full((1, 30), 30.0)
    none = plan(scenario(), supply)
    assert none.year == "from_stock" and "today's stock" in none.headline()
    base = 30.0 / POWDER_MILK_PER_RATION
    assert none.children_served_every_day == pytest.approx(base, rel=1e-9)
    # 60 kg of powder made a month ago: 60 / 0.0277 rations spread over the 30 days
    stock = [{"plant": "P", "product": "milk_powder", "kg": 60.0, "made": "2024-12-06"}]
    p = plan(scenario(stock), supply)
    assert p.children_served_every_day == pytest.approx(base + 60.0 / 0.0277 / 30, rel=1e-9)
    # powder made 400 days ago is past its shelf life of 365 days: no help
    old = [{"plant": "P", "product": "milk_powder", "kg": 60.0, "made": "2023-12-02"}]
    assert plan(scenario(old), supply).children_served_every_day == pytest.approx(
        base, rel=1e-9)


def test_the_dispatch_uses_the_stock_oldest_first():
    sc = scenario([{"plant": "P", "product": "milk_powder", "kg": 40.0,
                    "made": "2024-01-20"}], children=300)  # 352 days old: 13 days left
    dates, warm = plan_dates(sc)
    supply = np.full((1, 30), 30.0)
    hist = opening_history(sc, dates[0])
    inputs = plan_inputs(sc, supply, dates, warm, history=hist)
    from capra.planning import dispatch

    res, sol, _ = dispatch(inputs, 1.0)
    assert res.status == "optimal"
    check_all(inputs, sol)
    # the old powder is served before it expires: no waste of it
    assert sol["waste"].sum() < 1e-6


def test_a_table_of_stock_from_the_records_gives_the_same_plan():
    stock = pd.DataFrame({"plant": [None], "product": ["milk_powder"], "kg": [60.0],
                          "made": [pd.Timestamp("2024-12-06")]})
    supply = np.full((1, 30), 30.0)
    from_table = plan(scenario(), supply, opening_stock=stock)
    from_file = plan(scenario([{"plant": "P", "product": "milk_powder", "kg": 60.0,
                                "made": "2024-12-06"}]), supply)
    assert from_table.children_served_every_day == pytest.approx(
        from_file.children_served_every_day, rel=1e-12)


def test_bad_opening_stock_is_a_located_error():
    with pytest.raises(ScenarioError, match=r"planning\.opening_stock.*year = \"from_stock\""):
        scenario([{"plant": "P", "product": "milk_powder", "kg": 1.0}], year="repeatable")
    with pytest.raises(ScenarioError, match=r"opening_stock\[0\]\.plant.*Dairy"):
        scenario([{"plant": "Dairy", "product": "milk_powder", "kg": 1.0}])
    sc = scenario([{"plant": "P", "product": "yogurt", "kg": 1.0}])
    with pytest.raises(ScenarioError, match=r"opening_stock\[0\]\.product.*no plant makes"):
        plan(sc, np.full((1, 30), 30.0))
    sc = scenario([{"plant": "P", "product": "milk_powder", "kg": 1.0, "made": "2025-02-01"}])
    with pytest.raises(ScenarioError, match=r"opening_stock\[0\]\.made.*not before"):
        plan(sc, np.full((1, 30), 30.0))
