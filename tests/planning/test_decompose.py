"""The dispatch by classes and groups of sites: exact for classes, bounded for groups,
checked against the one LP of every site."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from plan_checks import check_all, tiny

from capra.planning import dispatch, plan, plan_dates, plan_inputs
from capra.planning.decompose import (
    class_objectives,
    dispatch_by_classes,
    site_classes,
)
from capra.scenario import scenario_from_dict

SITE = {"kind": "school", "latitude": 38.9, "longitude": 125.5, "calendar": "all"}


def _sites(spec):
    """Sites from (name, district, children 6-11, children 3-5, fridge kg/day or None)."""
    out = []
    for name, district, older, younger, fridge in spec:
        site = dict(SITE, name=name, district=district,
                    children={"age_6_11": older, "age_3_5": younger})
        if fridge is not None:
            site["cold_storage_kg"] = fridge
        out.append(site)
    return out


# two copies (the same shape, fridges in proportion), free sites, and sites of their own
SPEC = [("A1", "north", 100, 50, 12.0), ("A2", "north", 200, 100, 24.0),
        ("B", "north", 150, 0, None), ("C", "south", 90, 40, None),
        ("D", "south", 120, 60, 10.0), ("E", "south", 80, 120, 9.0),
        ("F", "north", 60, 30, 0.0), ("G", "south", 70, 10, 0.0)]


@pytest.fixture(scope="module")
def inputs():
    cal = [{"name": "all", "weekdays": [1, 2, 3, 4, 5, 6]}]
    sc = scenario_from_dict(tiny(days=42, sites=_sites(SPEC), calendars=cal,
                                 products={"fresh_milk": 1e4, "yogurt": 1e4,
                                           "milk_powder": 1e3},
                                 storage={"chilled": 500.0, "ambient": 500.0}))
    dates, _ = plan_dates(sc)
    t = np.arange(len(dates))
    supply = (150 + 60 * np.sin(2 * np.pi * t / 42))[None, :]
    return plan_inputs(sc, supply, dates, stock_rule="cyclic"), sc


def test_classes_of_sites(inputs):
    inp, sc = inputs
    cl = site_classes(inp, 1.0)
    by = {}
    for name, label in zip(inp.net.sites, cl.label, strict=True):
        by.setdefault(cl.kind[label], set()).add(name)
    assert {"A1", "A2"} in [set(np.array(inp.net.sites)[cl.label == c])
                            for c in range(cl.n) if cl.kind[c] == "copies"]
    assert {"B", "C"} <= by["free"] and {"F", "G"} <= by["free"]  # no limit can bind
    assert {"D", "E"} <= by["single"] and cl.exact
    grouped = site_classes(inp, 1.0, districts=[s.district for s in sc.sites],
                           group_size=1)
    assert "group" in grouped.kind and not grouped.exact
    assert len(grouped.chunks) == 2  # D and E, one each (they are in one district)


@pytest.mark.parametrize("scale", [1.0, 0.4])
def test_classes_give_the_one_lp_answer(inputs, scale):
    inp, _ = inputs
    res_full, sol_full, _ = dispatch(inp, scale)
    full = class_objectives(inp, sol_full)
    res, sol, report = dispatch_by_classes(inp, scale, site_classes(inp, scale))
    assert res.success and report["exact"]
    check_all(inp, sol)
    mine = class_objectives(inp, sol)
    assert mine["equity"] == pytest.approx(full["equity"], rel=1e-6, abs=1e-9)
    assert mine["shortfall"] == pytest.approx(full["shortfall"], rel=1e-6, abs=1e-6)
    assert mine["waste"] == pytest.approx(full["waste"], abs=1e-4)
    assert mine["transport"] >= full["transport"] * (1 - 1e-9)  # the last stage only
    assert sol["servings"].sum() == pytest.approx(sol_full["servings"].sum(), rel=1e-6)


def test_groups_are_bounded_and_their_gap_is_measured(inputs):
    inp, sc = inputs
    cl = site_classes(inp, 1.0, districts=[s.district for s in sc.sites], group_size=1)
    res, sol, report = dispatch_by_classes(inp, 1.0, cl)
    assert res.success and not report["exact"] and report["subproblems"] == 2
    check_all(inp, sol)
    final, top = report["objectives"], report["top"]
    assert final == class_objectives(inp, sol)
    # the top plan relaxes the groups' limits: it is at least as good as any plan
    _, sol_full, _ = dispatch(inp, 1.0)
    full = class_objectives(inp, sol_full)
    tol = 1e-6 * abs(full["equity"])  # the stages keep earlier optima within 1e-7
    assert top["equity"] <= full["equity"] + tol and full["equity"] <= final["equity"] + tol
    assert report["gap"]["equity"] == pytest.approx(
        max(final["equity"] - top["equity"], 0) / max(abs(top["equity"]), 1.0))


def test_the_same_numbers_on_every_engine(inputs):
    inp, sc = inputs
    cl = site_classes(inp, 1.0, districts=[s.district for s in sc.sites], group_size=1)
    _, serial, _ = dispatch_by_classes(inp, 1.0, cl)
    _, procs, _ = dispatch_by_classes(inp, 1.0, cl, engine="processes", workers=2)
    for name in ("servings", "shipment", "waste", "production"):
        np.testing.assert_array_equal(serial[name], procs[name])


def test_a_plan_by_classes_reports_how_and_writes_flows_to_parquet(inputs, tmp_path,
                                                                   monkeypatch):
    inp, sc = inputs
    supply = inp.supply_kg
    whole = plan(sc, supply, decompose=False, ramp_up=False)
    by = plan(sc, supply, decompose=True, ramp_up=False)
    assert by.children_served_every_day == pytest.approx(whole.children_served_every_day)
    fw, fb = whole.full_enrolment["metrics"], by.full_enrolment["metrics"]
    assert fb["coverage"] == pytest.approx(fw["coverage"], rel=1e-6)
    assert fb["interruption_days"] == fw["interruption_days"]
    d = by.to_dict()["dispatch"]
    assert d["method"] == "classes and groups of sites"
    # D and E (south) have their own fridges: a group, with its gap measured
    assert d["full_enrolment"]["exact"] is False
    assert d["full_enrolment"]["classes"]["group"] == 2
    assert set(d["full_enrolment"]["gap"]) == {"equity", "shortfall", "waste", "transport"}
    assert d["full_enrolment"]["gap"]["equity"] < 1e-6
    assert whole.to_dict()["dispatch"]["method"] == "one LP"
    # many sites: the flows to the sites are not held as tables but streamed to Parquet
    import capra.planning.planner as planner

    monkeypatch.setattr(planner, "LONG_TABLE_SITES", 3)
    many = plan(sc, supply, decompose=True, ramp_up=False)
    assert "servings" not in many.tables and many.flows is not None
    files = {p.name for p in many.write(tmp_path).values()}
    assert {"plan_servings.parquet", "plan_shipments.parquet"} <= files
    servings = pd.read_parquet(tmp_path / "plan_servings.parquet")
    assert servings["rations"].sum() == pytest.approx(
        by.tables["servings"]["rations"].sum(), rel=1e-4)  # rounded to 0.01 a row
    assert set(servings["site"]) == set(inp.net.sites)
