"""Scenario keys of feeding: management preset and overrides, farms[i].feed, kid rearing.

Each new kind of bad input has its own located error (key path, value, expectation), in
the style of the other scenario errors, and a good scenario round-trips through TOML.
"""

from __future__ import annotations

import tomllib

import pytest

from capra.errors import ScenarioError
from capra.feed.responses import KID_REARING_METHODS as DATA_METHODS
from capra.feed.responses import kid_rearing
from capra.scenario import (
    KID_REARING_METHODS,
    bundled_scenario_path,
    scenario_from_dict,
    scenario_to_toml,
)


@pytest.fixture()
def data():
    with open(bundled_scenario_path("nampo"), "rb") as f:
        return tomllib.load(f)


def problems(data) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, file="my.toml")
    assert "file my.toml" in str(info.value)
    return info.value.problems


def test_the_scenario_and_the_data_know_the_same_rearing_methods():
    assert set(KID_REARING_METHODS) == set(DATA_METHODS) == set(kid_rearing().methods)


def test_feed_management_and_rearing_round_trip(data):
    data.pop("breed_overrides", None)             # nampo's values of the intensive level
    data["management"] = {"preset": "improved_smallholder",
                          "overrides": {"milk_yield_factor": 0.8,
                                        "conception_rate_per_cycle": {"low": 0.4, "mode": 0.5,
                                                                      "high": 0.6}}}
    data["farms"][0]["feed"] = {
        "purchase": [], "pasture": {"area_ha": 12, "profile": "korean_sown_hill_pasture"},
        "stores": [{"feed": "own_hay", "opening_t_dm": 20,
                    "deliveries": [{"date": "07-01", "t_dm": 35, "kind": "harvested"}]}],
        "feeds": {"own_hay": {"kind": "hay", "me_mj_per_kg_dm": 9.1, "cp_pct_dm": 10.5,
                              "dm_fraction": 0.86, "source": "farm analysis"}}}
    data["farms"][1]["kid_rearing"] = {"method": "milk_replacer", "powder_kg_per_kid": 14,
                                       "male_kids_sold": "after_colostrum"}
    sc = scenario_from_dict(data)
    assert sc.farms[0].feed.stores[0].feed == "own_hay"
    assert sc.farms[1].kid_rearing.method == "milk_replacer"
    assert sc.farms[2].feed is None and sc.farms[2].kid_rearing.method == "pooled_pasteurised"
    assert sc.management.preset_values().milk_yield_factor.point == 0.8
    again = scenario_from_dict(tomllib.loads(scenario_to_toml(sc)))
    assert again == sc


def test_negative_stock_bad_date_unknown_feed_each_located(data):
    data["farms"][1]["feed"] = {
        "stores": [{"feed": "grass_hay", "opening_t_dm": -3,
                    "deliveries": [{"date": "02-30", "t_dm": 1, "kind": "harvested"}]}]}
    data["farms"][3]["feed"] = {"purchase": ["barly"], "protein_supplment": "soybean_meal"}
    data["farms"][4]["feed"] = {"pasture": {"area_ha": 3, "profile": "korean"}}
    found = problems(data)
    assert "farms[1].feed.stores[0].opening_t_dm = -3: expected greater than or equal to 0" \
        in found
    assert any(p.startswith('farms[1].feed.stores[0].deliveries[0].date = "02-30": not a day')
               for p in found)
    assert any(p.startswith("farms[3].feed.protein_supplment: unknown key; did you mean "
                            "'protein_supplement'?") for p in found)
    assert any(p.startswith('farms[4].feed.pasture.profile = "korean": unknown pasture '
                            "profile") for p in found)


def test_unknown_feed_name_suggests_the_nearest(data):
    data["farms"][0]["feed"] = {"purchase": ["barly"]}
    (found,) = problems(data)
    assert found.startswith('farms[0].feed.purchase[0] = "barly": unknown feed')
    assert "did you mean 'barley'?" in found


def test_feed_must_be_a_table(data):
    data["farms"][0]["feed"] = "hay"
    (found,) = problems(data)
    assert found.startswith('farms[0].feed = "hay": wrong type (a string); expected a table')


def test_unknown_preset(data):
    data["management"] = {"preset": "low_inptu"}
    (found,) = problems(data)
    assert found == ('management.preset = "low_inptu": no management preset of this name; '
                     'expected one of "intensive", "improved_smallholder", "low_input"; '
                     'did you mean "low_input"?')


def test_override_out_of_range_unknown_field_and_low_above_high(data):
    data["management"] = {"preset": "low_input", "overrides": {
        "milk_yield_factor": 3, "kid_growth_factr": 0.7,
        "conception_rate_per_cycle": {"low": 0.6, "mode": 0.5, "high": 0.4}}}
    found = problems(data)
    assert ("management.overrides.milk_yield_factor = 3: out of range; expected a number in "
            "[0, 2]") in found
    assert any(p.startswith("management.overrides.kid_growth_factr: unknown key; did you "
                            "mean 'kid_growth_factor'?") for p in found)
    assert ("management.overrides.conception_rate_per_cycle.low = 0.6, mode = 0.5, high = "
            "0.4: expected low <= mode <= high") in found


def test_a_breed_value_set_twice(data):
    data["management"] = {"preset": "low_input"}
    data["breed_overrides"] = {"mortality": {"kid_risk_to_weaning": 0.2}}
    (found,) = problems(data)
    assert found.startswith('management.preset = "low_input": sets kid_mortality_to_weaning')
    assert "breed_overrides.mortality.kid_risk_to_weaning = 0.2 also sets to another" in found
    assert found.endswith("expected the value in management.overrides.kid_mortality_to_weaning")


def test_values_that_agree_with_the_preset_are_no_conflict(data):
    """nampo's breed_overrides give distributions whose modes are the breed file's values:
    those of the intensive preset."""
    data["management"] = {"preset": "intensive"}
    sc = scenario_from_dict(data)
    assert sc.breed.mortality.kid_risk_to_weaning.distribution.kind == "triangular"
    data["management"] = {"preset": "low_input"}
    found = problems(data)
    assert len(found) == 3 and all("also sets to another value" in p for p in found)


def test_missing_preset(data):
    data["management"] = {"overrides": {"milk_yield_factor": 0.5}}
    (found,) = problems(data)
    assert found.startswith("management.preset: missing required key")


def test_kid_rearing_errors(data):
    data["farms"][0]["kid_rearing"] = {"method": "bottle"}
    data["farms"][1]["kid_rearing"] = {"method": "dam", "powder_kg_per_kid": 10}
    data["farms"][2]["kid_rearing"] = {"method": "milk_replacer", "powder_kg_per_kid": -1,
                                       "male_kids_sold": "never"}
    found = problems(data)
    assert any(p.startswith('farms[0].kid_rearing.method = "bottle": not allowed; expected')
               for p in found)
    assert ('farms[1].kid_rearing.powder_kg_per_kid = 10.0: only used with method = '
            '"milk_replacer"; got method = "dam"') in found
    assert any(p.startswith("farms[2].kid_rearing.powder_kg_per_kid = -1: out of range")
               for p in found)
    assert any(p.startswith('farms[2].kid_rearing.male_kids_sold = "never": not allowed')
               for p in found)
