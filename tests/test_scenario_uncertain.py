"""Scenario values given as distributions (capra.scenario.uncertain): the three kinds,
their point values and quantiles against SciPy's, located errors for each kind of bad
table, merging and writing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from capra.errors import ScenarioError
from capra.herd.uncertainty import uncertain_parameters
from capra.scenario import load_scenario, save_scenario, scenario_to_toml
from capra.scenario.uncertain import Distribution, UncertainValue, is_distribution_table

from herd.herd_scenarios import build, nampo_dict, one_farm_dict

ANIMALS = [{"count": 10, "sex": "female", "age_months_min": 12, "age_months_max": 24}]


def scenario_with(overrides: dict | None = None, policy: dict | None = None,
                  health: dict | None = None):
    data = one_farm_dict(animals=ANIMALS, breed_overrides=overrides, policy=policy)
    if health is not None:
        data["health"] = health
    return build(data)


def error_of(**kwargs) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        scenario_with(**kwargs)
    return info.value


# --------------------------------------------------------------------------------------
# The distributions
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, kind, point, reference", [
    ({"low": 0.2, "mode": 0.5, "high": 0.6}, "triangular", 0.5,
     stats.triang(c=0.75, loc=0.2, scale=0.4)),
    ({"low": 0.2, "high": 0.6}, "uniform", 0.4, stats.uniform(loc=0.2, scale=0.4)),
    ({"alpha": 2.0, "beta": 5.0}, "beta", 2 / 7, stats.beta(2, 5)),
    ({"alpha": 3.0, "beta": 1.5, "low": 1.0, "high": 2.5}, "beta", 1.0 + 1.5 * 3 / 4.5,
     stats.beta(3, 1.5, loc=1.0, scale=1.5)),
    ({"distribution": "uniform", "low": 0.0, "high": 1.0}, "uniform", 0.5, stats.uniform()),
])
def test_kind_point_moments_and_quantiles_agree_with_scipy(table, kind, point, reference):
    d = Distribution.from_table(table)
    assert d.kind == kind
    assert d.point == pytest.approx(point)
    assert d.mean == pytest.approx(reference.mean())
    assert d.variance == pytest.approx(reference.var())
    u = np.linspace(0.0, 1.0, 41)
    np.testing.assert_allclose(d.ppf(u), reference.ppf(u), rtol=1e-9, atol=1e-12)
    x = reference.ppf(np.linspace(0.01, 0.99, 17))
    np.testing.assert_allclose(d.cdf(x), reference.cdf(x), rtol=1e-9, atol=1e-12)


def test_a_distribution_without_spread_is_its_point():
    d = Distribution.from_table({"low": 0.3, "mode": 0.3, "high": 0.3})
    assert not d.uncertain
    np.testing.assert_array_equal(d.ppf([0.0, 0.5, 1.0]), [0.3, 0.3, 0.3])


def test_the_field_holds_a_float_equal_to_the_point_value():
    sc = scenario_with({"reproduction": {"conception_rate_per_cycle": {
        "low": 0.45, "mode": 0.6, "high": 0.7, "source": "a study", "together": "fert"}}})
    value = sc.breed.reproduction.conception_rate_per_cycle
    assert isinstance(value, UncertainValue) and isinstance(value, float)
    assert value == 0.6 and value * 2 == 1.2
    assert value.distribution.source == "a study"
    assert value.distribution.together == "fert"
    assert repr(value) == "0.6"


def test_distributions_are_accepted_only_where_documented():
    """gestation_days is an integer field without a distribution: a table is refused as a
    wrong type, located at the key."""
    err = error_of(overrides={"reproduction": {"gestation_days": {"low": 145, "high": 155}}})
    assert err.path == "breed_overrides.reproduction.gestation_days"
    assert "wrong type (a table); expected an integer" in str(err)


# --------------------------------------------------------------------------------------
# Bad tables: one located error for each kind of problem
# --------------------------------------------------------------------------------------

KEY = "breed_overrides.reproduction.conception_rate_per_cycle"


@pytest.mark.parametrize("table, where, message", [
    ({"low": 0.7, "mode": 0.6, "high": 0.5}, "low",
     "low = 0.7: above high = 0.5; expected low ≤ mode ≤ high"),
    ({"low": 0.7, "high": 0.5}, "low", "above high = 0.5; expected low ≤ high"),
    ({"low": 0.2, "mode": 0.1, "high": 0.5}, "mode", "below low = 0.2"),
    ({"low": 0.2, "mode": 0.6, "high": 0.5}, "mode", "above high = 0.5"),
    ({"low": 0.2, "mode": 0.5}, "", "high missing; a triangular distribution needs low, "
                                    "mode, high"),
    ({"low": 0.2, "mode": 0.5, "high": 1.5}, "high", "out of range; expected a number in "
                                                     "(0, 1]"),
    ({"low": 0.0, "high": 0.5}, "low", "out of range; expected a number in (0, 1]"),
    ({"low": "0.2", "high": 0.5}, "low", "wrong type (a string); expected a number"),
    ({"low": 0.2, "high": 0.5, "median": 0.3}, "median", "unknown key in a distribution"),
    ({"distribution": "normal", "low": 0.2, "high": 0.5}, "distribution",
     "unknown distribution; expected one of 'triangular', 'uniform', 'beta'"),
    ({"alpha": 0.0, "beta": 2.0, "low": 0.1, "high": 0.9}, "alpha",
     "out of range; expected a number in (0, 1000000]"),
    ({"alpha": 2.0, "beta": True, "low": 0.1, "high": 0.9}, "beta",
     "wrong type (a boolean); expected a number"),
    ({"alpha": 2.0, "beta": 2.0, "low": 0.1}, "", "high missing; a beta distribution takes "
                                                  "both low and high"),
    ({"alpha": 2.0, "beta": 2.0}, "", "a beta without low and high lies on [0, 1], but 0 "
                                      "is refused here"),
    ({"alpha": 2.0, "beta": 2.0, "mode": 0.5, "low": 0.1, "high": 0.9}, "mode",
     "not used by a beta distribution"),
    ({"low": 0.2, "high": 0.5, "together": " "}, "together", "empty; expected the name"),
    ({"low": 0.2, "high": 0.5, "source": 3}, "source", "wrong type (an integer); expected a "
                                                       "string"),
])
def test_each_bad_table_is_a_located_error(table, where, message):
    err = error_of(overrides={"reproduction": {"conception_rate_per_cycle": table}})
    key = f"{KEY}.{where}" if where else f"{KEY}:"
    assert any(p.startswith(key) and message in p for p in err.problems), err.problems


def test_a_bad_distribution_in_policy_and_health_names_its_key():
    groups = [{"name": "g", "share": 1.0, "method": "induced", "window_start": "04-01",
               "window_days": 45, "conception_rate_per_cycle": {"low": 0.6, "high": 0.5}}]
    err = error_of(policy={"breeding_groups": groups})
    assert err.path == "policy.breeding_groups[0].conception_rate_per_cycle.low"
    err = error_of(health={"heat_stress": {"milk_factor": {"low": 0.9, "mode": 1.2,
                                                           "high": 1.0}}})
    assert "health.heat_stress.milk_factor.mode" in str(err)


def test_a_bad_element_of_wood_a_is_located_by_index():
    err = error_of(overrides={"lactation": {"wood_a": [
        1.5, {"low": 2.0, "mode": 1.8, "high": 2.2}, 2.2]}})
    assert err.path == "breed_overrides.lactation.wood_a[1].mode"


# --------------------------------------------------------------------------------------
# Merging and writing
# --------------------------------------------------------------------------------------

def test_is_distribution_table():
    assert is_distribution_table({"low": 1, "high": 2})
    assert is_distribution_table({"alpha": 1, "beta": 2, "source": "x"})
    assert not is_distribution_table({"source": "x"})
    assert not is_distribution_table({"age_1_2": 3})
    assert not is_distribution_table(0.5)


def test_an_override_replaces_a_distribution_as_a_whole():
    """nampo's kid mortality is a triangular distribution; a beta override replaces it
    (tables of a distribution are not merged key by key), and so does a number."""
    data = nampo_dict()
    data["breed_overrides"]["mortality"]["kid_risk_to_weaning"] = {"alpha": 2.0, "beta": 18.0}
    sc = build(data)
    d = sc.breed.mortality.kid_risk_to_weaning.distribution
    assert (d.kind, d.alpha, d.beta, d.low, d.high) == ("beta", 2.0, 18.0, 0.0, 1.0)
    data["breed_overrides"]["mortality"]["kid_risk_to_weaning"] = 0.12
    sc = build(data)
    assert sc.breed.mortality.kid_risk_to_weaning == 0.12
    assert not isinstance(sc.breed.mortality.kid_risk_to_weaning, UncertainValue)


def test_round_trip_keeps_every_distribution(tmp_path):
    sc = load_scenario("nampo")
    again = load_scenario(save_scenario(sc, tmp_path / "copy.toml"))
    before, after = uncertain_parameters(sc), uncertain_parameters(again)
    assert len(before) == 28
    assert [(p.name, p.distribution) for p in before] == \
           [(p.name, p.distribution) for p in after]
    text = scenario_to_toml(sc)
    assert 'wood_a = [{ low = 1.1235, mode = 1.498, high = 1.5729, source = ' in text
    assert scenario_to_toml(again) == text


def test_a_beta_with_bounds_and_a_uniform_are_written_with_their_kind(tmp_path):
    sc = scenario_with({"mortality": {
        "kid_risk_to_weaning": {"alpha": 2.0, "beta": 8.0, "low": 0.05, "high": 0.3},
        "young_risk_per_year": {"low": 0.01, "high": 0.04}}})
    again = load_scenario(save_scenario(sc, tmp_path / "s.toml"))
    m = again.breed.mortality
    assert m.kid_risk_to_weaning.distribution == sc.breed.mortality.kid_risk_to_weaning \
        .distribution
    assert m.young_risk_per_year.distribution.kind == "uniform"
    assert m.young_risk_per_year == pytest.approx(0.025)
