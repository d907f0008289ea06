"""The herd rules that the simulator and the mean path apply each in its own way, pinned
together rule by rule.

Most rules have one definition (capra.herd.rules, capra.herd.params) that both use. Some
cannot: the simulator draws an outcome where the mean path takes its expected fraction
(day of death, involuntary culling, gestation length, abortion day, litter size, stillbirth
and sex, conception, the split of a batch between farms). Each case below isolates a few of
them in a small herd where the simulator's capacity and buck limits cannot bind, and checks
that the replicate mean of the simulator stays within sampling error of the mean path,
block of days by block of days. The draws that need no herd (gestation length, litter size)
are checked against their distributions directly.
"""

from __future__ import annotations

import numpy as np
import pytest

from capra.herd import rules
from capra.herd.mean_path import project_mean
from capra.herd.params import compile_params
from capra.herd.simulate import simulate
from herd_scenarios import build, one_farm_dict

REPLICATES = 200
SEED = 20241101
#: Sampling-error multiple allowed between the replicate mean and the mean path. [-]
Z_LIMIT = 4.0

#: A breeding window that does not open within 330 days of a 1 August start.
NO_WINDOW = [{"name": "late", "share": 1.0, "method": "natural", "window_start": "07-01",
              "window_days": 10}]
#: Death risks raised so that a few hundred animals show them clearly.
HIGH_MORTALITY = {"mortality": {"kid_risk_to_weaning": 0.4, "young_risk_per_year": 0.5,
                                "adult_female_risk_per_year": 0.4,
                                "adult_male_risk_per_year": 0.6}}


def _does(count, parity, **more):
    return {"count": count, "sex": "female", "age_months_min": 24, "age_months_max": 60,
            "parity": parity, **more}


def _bucks(count):
    return {"count": count, "sex": "male", "age_months_min": 12, "age_months_max": 30}


def mortality():
    """Deaths by age and sex: kids, young stock and adults of both sexes."""
    return one_farm_dict(horizon_days=330, groups=NO_WINDOW, breed_overrides=HIGH_MORTALITY,
                         animals=[{"count": 200, "sex": "female", "age_months_min": 0,
                                   "age_months_max": 20},
                                  {"count": 150, "sex": "male", "age_months_min": 4,
                                   "age_months_max": 40}])


def culling():
    """Involuntary culls of parous does; culls at max parity on arrival; deaths."""
    return one_farm_dict(horizon_days=330, groups=NO_WINDOW, breed_overrides=HIGH_MORTALITY,
                         policy={"culling": {"involuntary_risk_per_year": 0.5}},
                         animals=[_does(200, 2), _does(50, 7)])


def ai_conception():
    """AI on the first day of a one-day window: conception, failed windows and the cull
    that follows, gestation length, abortion day, litter size, stillbirths, sex, the sale
    of male kids, the milk of the new lactation and its colostrum (not the kids' milk: the
    simulator clips it per replicate where the kids would drink more than the does give,
    docs/herd-model.md)."""
    groups = [{"name": "ai", "share": 1.0, "method": "ai", "window_start": "08-11",
               "window_days": 1, "conception_rate_per_cycle": 0.6}]
    overrides = {"reproduction": {"abortion_risk_per_pregnancy": 0.3,
                                  "gestation_sd_days": 4.0}}
    return one_farm_dict(horizon_days=300, groups=groups, breed_overrides=overrides,
                         policy={"culling": {"max_failed_windows": 1}},
                         animals=[_does(500, 1), _bucks(20)])


def service():
    """Natural service in the season and induced oestrus out of it: the daily conception
    probabilities, eligibility by age (doelings reaching min_breeding_age_days) and after
    kidding (lactating does passing the postpartum interval)."""
    groups = [{"name": "season", "share": 0.7, "method": "natural", "window_start": "09-01",
               "window_days": 60},
              {"name": "spring", "share": 0.3, "method": "induced", "window_start": "08-20",
               "window_days": 30, "conception_rate_per_cycle": 0.5}]
    return one_farm_dict(horizon_days=150, groups=groups, animals=[
        {"count": 150, "sex": "female", "age_months_min": 6, "age_months_max": 9},
        _does(150, 2, lactating=True, days_in_milk=10), _bucks(30)])


def dry_off():
    """Lactation and dry-off: open does at the end of a standard lactation, pregnant does
    before kidding; their milk. (The end of an extended lactation is the same rule,
    rules.lactation_end, with other numbers.)"""
    return one_farm_dict(horizon_days=300, groups=NO_WINDOW,
                         policy={"lactation": {"extended": False,
                                               "kid_milk_kg_per_day": 0.0}},
                         animals=[_does(100, 1, lactating=True, days_in_milk=30),
                                  _does(100, 3, lactating=True, days_in_milk=200),
                                  _does(100, 2, lactating=True, days_in_milk=120,
                                        pregnant=True, kidding_from="2024-10-01",
                                        kidding_to="2024-10-31")])


def release():
    """A batch split between farms by their room after quarantine."""
    data = one_farm_dict(horizon_days=120, groups=NO_WINDOW, quarantine_days=30,
                         capacity=300, animals=[_does(240, 2)])
    data["farms"].append({"name": "Farm2", "district": "D", "capacity_head": 100,
                          "latitude": 38.0, "longitude": 125.0})
    data["batches"][0].update(arrival_place="Station", destinations=["Farm", "Farm2"])
    data["batches"].append(dict(data["batches"][0], name="Early", quarantine_days=0,
                                arrival_place="Farm", destinations=["Farm"],
                                animals=[_does(120, 2)]))
    return data


#: Flows [head/day] and milk [kg/day] are compared as sums over blocks of days, stocks
#: [head] as means.
FLOWS = ("deaths", "culls", "sales", "conceptions", "kiddings", "abortions", "births",
         "stillbirths", "transfers_in")

#: (case, scenario, [(variable, days per block)]).
CASES = [
    ("mortality", mortality, [("deaths", 30), ("head", 30), ("kids", 30), ("bucks", 30)]),
    ("culling", culling, [("culls", 1), ("culls", 30), ("deaths", 30), ("does_dry", 30)]),
    ("ai_conception", ai_conception, [
        ("conceptions", 1), ("culls", 1), ("kiddings", 5), ("abortions", 1), ("births", 300),
        ("stillbirths", 10), ("doelings", 10), ("sales", 5), ("does_pregnant", 10),
        ("milk_colostrum_kg", 5), ("milk_gross_kg", 10)]),
    ("service", service, [("conceptions", 7), ("does_pregnant", 7)]),
    ("dry_off", dry_off, [("does_in_milk", 5), ("does_dry", 10), ("milk_gross_kg", 10)]),
    ("release", release, [("transfers_in", 1), ("head", 10)]),
]


def _blocks(x: np.ndarray, days: int, how: str) -> np.ndarray:
    """Sums or means over blocks of ``days`` days along the last axis."""
    n = x.shape[-1] // days * days
    blocks = x[..., :n].reshape(x.shape[:-1] + (-1, days))
    return blocks.sum(axis=-1) if how == "sum" else blocks.mean(axis=-1)


@pytest.mark.parametrize("case,make,checks", CASES, ids=[c[0] for c in CASES])
def test_simulator_mean_is_the_mean_path(case, make, checks):
    scenario = build(make())
    mean = project_mean(compile_params(scenario))
    sim = simulate(scenario, replicates=REPLICATES, seed=SEED).data
    for var, days in checks:
        how = "sum" if var in FLOWS or var.endswith("_kg") else "mean"
        # (replicate, farm, block) and (farm, block); a station holds its quarantine
        s = _blocks(sim[var].transpose("replicate", "farm", "date").values.astype(float),
                    days, how)
        m = _blocks(mean[var].transpose("farm", "date").values, days, how)
        mu = s.mean(axis=0)
        se = s.std(axis=0, ddof=1) / np.sqrt(REPLICATES)
        # what is rare (a tail of the gestation lengths) may happen in no replicate: the
        # standard error is at least that of a Poisson count
        se = np.maximum(se, np.sqrt(np.maximum(m, 0.0) / REPLICATES))
        bad = np.abs(mu - m) > Z_LIMIT * se + 1e-9 * (1.0 + np.abs(m))
        assert not bad.any(), (
            f"{case}: {var} by {days} days differs beyond {Z_LIMIT} SE:\n" + "\n".join(
                f"  farm {f}, days {b * days}-{(b + 1) * days - 1}: simulator "
                f"{mu[f, b]:.3f} ± {se[f, b]:.3f}, mean path {m[f, b]:.3f}"
                for f, b in zip(*np.nonzero(bad), strict=True)))
        assert m.max() > 0, f"{case}: no {var} to compare"


def test_gestation_length_distribution_is_the_law_of_the_draw():
    """The mean path's gestation lengths and probabilities are those of the simulator's
    draw ``gestation_length(z)``, z ~ N(0, 1)."""
    params = compile_params(build(one_farm_dict(animals=[_does(1, 1)], breed_overrides={
        "reproduction": {"gestation_sd_days": 3.3}})))
    lengths, prob = rules.gestation_length_distribution(params)
    n = 400_000
    drawn = rules.gestation_length(params, np.random.default_rng(1).standard_normal(n))
    freq = np.array([(drawn == length).mean() for length in lengths])
    assert freq.sum() == pytest.approx(1.0)             # no draw outside the lengths
    np.testing.assert_array_less(np.abs(freq - prob), Z_LIMIT * np.sqrt(prob / n) + 1e-12)
    assert float(lengths @ prob) == pytest.approx(params.gestation_days, abs=0.01)


def test_mean_litter_size_is_the_mean_of_the_draw():
    params = compile_params(build(one_farm_dict(animals=[_does(1, 1)])))
    n = 400_000
    u = np.random.default_rng(2).random(n)
    expected = rules.mean_litter_size(params)
    for parity, row in ((0, 0), (1, 1), (4, 1)):
        kids = rules.litter_size(params, np.full(n, parity), u)
        assert abs(kids.mean() - expected[row]) < Z_LIMIT * kids.std() / np.sqrt(n)
    # published shares of the bundled breed: 1.45 kids at the first kidding, 1.75 later
    np.testing.assert_allclose(expected, [1.45, 1.75])
