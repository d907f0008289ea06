"""Tests of the expected-value herd path (capra.herd.mean_path.project_mean).

Closed-form checks (constant mortality without births; the milk of one kidding cohort
against the lactation curve), the stock balance, and the bad-input errors. The comparison
with the stochastic simulator is in test_mean_path_vs_simulation.py.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from capra.herd.mean_path import project_mean
from capra.herd.params import compile_params
from capra.lactation import wood_total
from capra.scenario import scenario_from_dict

START = dt.date(2024, 8, 1)

#: A breeding window that never opens within the short horizons used here (next 1 July).
NO_WINDOW = [{"name": "late", "share": 1.0, "method": "natural", "window_start": "07-01",
              "window_days": 10}]


def daily(annual_risk: float) -> float:
    """The daily probability that compounds to an annual risk over 365.25 days, written
    out here (not taken from capra.rates). [-]"""
    return 1.0 - (1.0 - annual_risk) ** (1.0 / 365.25)


def scenario(animals, *, horizon_days=300, groups=NO_WINDOW, breed_overrides=None,
             policy=None, quarantine_days=0):
    """One farm with a very large capacity and one batch arriving on the first day."""
    data = {
        "name": "cohort-test", "start_date": START, "horizon_days": horizon_days,
        "breed": "saanen",
        "farms": [{"name": "Farm", "district": "D", "capacity_head": 1_000_000,
                   "latitude": 38.9, "longitude": 125.5}],
        "batches": [{"name": "B", "origin": "O", "certificate": "C", "arrival_date": START,
                     "arrival_place": "Station" if quarantine_days else "Farm",
                     "quarantine_days": quarantine_days, "destinations": ["Farm"],
                     "animals": animals}],
        "policy": dict(policy or {}),
    }
    data["policy"]["breeding_groups"] = groups
    if breed_overrides:
        data["breed_overrides"] = breed_overrides
    return scenario_from_dict(data)


def test_constant_mortality_males_closed_form():
    """No births, constant hazard: head(t) = N0 (1 - p)^(t + 1) (death risk from day 0)."""
    sc = scenario([{"count": 100, "sex": "male", "age_months_min": 14,
                    "age_months_max": 14}], horizon_days=365)
    ds = project_mean(compile_params(sc))
    p = daily(sc.breed.mortality.adult_male_risk_per_year)
    t = np.arange(365)
    np.testing.assert_allclose(ds["head"].sel(farm="Farm"), 100 * (1 - p) ** (t + 1),
                               rtol=1e-12)
    np.testing.assert_allclose(ds["bucks"].sel(farm="Farm"), ds["head"].sel(farm="Farm"))
    assert float(ds.deaths.sum()) == pytest.approx(100 * (1 - (1 - p) ** 365), rel=1e-12)


def test_constant_mortality_and_culling_does_closed_form():
    """Open dry does outside any breeding window: deaths from day 0, involuntary culls from
    the day after arrival, so head(t) = N0 (1 - pd)^(t + 1) (1 - pc)^t."""
    sc = scenario([{"count": 200, "sex": "female", "age_months_min": 30,
                    "age_months_max": 30, "parity": 2}])
    params = compile_params(sc)
    ds = project_mean(params)
    pd_ = daily(sc.breed.mortality.adult_female_risk_per_year)
    pc = daily(sc.policy.culling.involuntary_risk_per_year)
    t = np.arange(params.n_days)
    expected = 200 * (1 - pd_) ** (t + 1) * (1 - pc) ** t
    np.testing.assert_allclose(ds["head"].sel(farm="Farm"), expected, rtol=1e-12)
    np.testing.assert_allclose(ds["does_dry"].sel(farm="Farm"), expected, rtol=1e-12)
    assert float(ds.culls[0].sum()) == 0.0
    assert float(ds.culls[1].sum()) == pytest.approx(expected[0] * (1 - pd_) * pc)


def _kidding_cohort(extended: bool):
    overrides = {"reproduction": {"abortion_risk_per_pregnancy": 0.0},
                 "mortality": {"kid_risk_to_weaning": 0.0, "young_risk_per_year": 0.0,
                               "adult_female_risk_per_year": 0.0,
                               "adult_male_risk_per_year": 0.0}}
    policy = {"culling": {"involuntary_risk_per_year": 0.0},
              "lactation": {"extended": extended, "kid_milk_kg_per_day": 0.0}}
    kidding = START + dt.timedelta(days=20)
    sc = scenario([{"count": 50, "sex": "female", "age_months_min": 24,
                    "age_months_max": 30, "parity": 1, "pregnant": True,
                    "kidding_from": kidding, "kidding_to": kidding}],
                  horizon_days=330, breed_overrides=overrides, policy=policy)
    return sc, compile_params(sc), 20


def test_milk_of_one_kidding_cohort_equals_the_curve():
    """50 does kid on day 20, no deaths, no culls, no breeding: the projected milk is the
    parity-2 curve summed over days in milk 0..304 (dried off at 305 d, not extended)."""
    sc, params, day = _kidding_cohort(extended=False)
    ds = project_mean(params).sel(farm="Farm")
    assert float(ds.kiddings.sum()) == pytest.approx(50.0)
    assert float(ds.kiddings[day]) == pytest.approx(50.0)
    length = sc.breed.lactation.standard_length_days
    dim = np.arange(length)
    daily = params.curves.daily_kg(dim, 2, 1.0, extended=False)
    np.testing.assert_allclose(ds.milk_gross_kg[day:day + length], 50 * daily, rtol=1e-12)
    assert float(ds.milk_gross_kg[day + length:].sum()) == 0.0
    assert float(ds.does_in_milk[day + length - 1]) == pytest.approx(50.0)
    assert float(ds.does_in_milk[day + length]) == 0.0
    lac = sc.breed.lactation
    closed = wood_total(lac.wood_a[1], lac.wood_b[1], lac.wood_c[1], length)
    per_doe = float(ds.milk_gross_kg.sum()) / 50
    # the model sums daily yields at whole days in milk 0..304 (a midpoint rule over
    # [-0.5, 304.5], with no milk before kidding): 704.0 kg against the exact integral
    # 705.3 kg over [0, 305] and 704.6 kg over [0, 304.5]; the gap is the steep rise of
    # the Wood curve in the first days (b = 0.19).
    assert per_doe == pytest.approx(float(closed), rel=0.002)
    assert per_doe == pytest.approx(float(wood_total(lac.wood_a[1], lac.wood_b[1],
                                                     lac.wood_c[1], length - 0.5)), abs=0.7)
    colostrum = daily[: lac.colostrum_days].sum() * 50
    assert float(ds.milk_colostrum_kg.sum()) == pytest.approx(colostrum, rel=1e-12)
    assert float(ds.milk_kg.sum()) == pytest.approx(float(ds.milk_gross_kg.sum()) - colostrum)


def test_kids_of_one_kidding_cohort():
    """Litter of later parities (mean 1.75), 4 % stillborn, half female."""
    sc, params, day = _kidding_cohort(extended=True)
    ds = project_mean(params).sel(farm="Farm")
    litter = float(params.litter_probabilities[1] @ np.arange(1, 4))
    assert float(ds.births[day]) == pytest.approx(50 * litter * 0.96)
    assert float(ds.stillbirths[day]) == pytest.approx(50 * litter * 0.04)
    # male kids are sold at male_sale_age_days, female kids stay (no mortality here)
    sale = day + sc.policy.replacement.male_sale_age_days
    assert float(ds.sales[sale]) == pytest.approx(50 * litter * 0.96 * 0.5)
    assert float(ds.doelings[-1]) == pytest.approx(50 * litter * 0.96 * 0.5)


def test_stock_balance_and_classes_nampo(nampo):
    params = compile_params(nampo.model_copy(update={"horizon_days": 800}))
    ds = project_mean(params)
    flows = (ds.births + ds.arrivals - ds.deaths - ds.sales - ds.culls + ds.transfers_in
             - ds.transfers_out).values
    head = ds["head"].values
    np.testing.assert_allclose(head[1:] - head[:-1], flows[1:], atol=1e-9)
    np.testing.assert_allclose(head[0], flows[0], atol=1e-9)
    classes = sum(ds[n] for n in ("kids", "doelings", "bucklings", "bucks", "does_in_milk",
                                  "does_dry"))
    np.testing.assert_allclose(classes, ds["head"], atol=1e-9)
    assert float(ds.transfers_in.sum()) == pytest.approx(float(ds.transfers_out.sum()))
    assert (ds.does_pregnant <= ds["head"] + 1e-9).all()
    assert float(ds.sel(farm="Rason").milk_kg.sum()) == 0.0      # quarantine milk discarded
    assert list(ds.farm.values) == list(params.locations)
    for name in ("head", "kids", "doelings", "bucklings", "bucks", "does_in_milk",
                 "does_dry", "does_pregnant", "births", "stillbirths", "kiddings", "deaths",
                 "sales", "culls", "arrivals", "transfers_in", "transfers_out",
                 "milk_gross_kg", "milk_kg"):
        assert name in ds
        assert float(ds[name].min()) >= -1e-9, name


def test_max_age_reached_is_refused():
    sc = scenario([{"count": 10, "sex": "female", "age_months_min": 95,
                    "age_months_max": 96, "parity": 3}], horizon_days=200)
    with pytest.raises(NotImplementedError, match="max_age_days"):
        project_mean(compile_params(sc))
