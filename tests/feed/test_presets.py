"""Management presets: the bundled data, the link to the breed file, sampling, bad input."""

import numpy as np
import pytest

from capra.errors import ScenarioError
from capra.feed import STANDARD_PRESETS, load_presets, management_preset
from capra.feed.presets import BOUNDS
from capra.scenario import load_breed


@pytest.fixture(scope="module")
def presets():
    return load_presets()


def test_standard_presets_every_value_sourced(presets):
    assert set(STANDARD_PRESETS) <= set(presets)
    for preset in presets.values():
        for name in BOUNDS:
            estimate = getattr(preset, name)
            assert estimate.source.strip()
            low, high = estimate.interval
            assert low <= estimate.point <= high


def test_intensive_is_the_breed_file(presets):
    breed = load_breed("saanen")
    intensive = presets["intensive"].point_values()
    assert intensive["milk_yield_factor"] == 1.0
    assert intensive["kid_growth_factor"] == 1.0
    assert intensive["conception_rate_per_cycle"] == breed.reproduction.conception_rate_per_cycle
    assert intensive["kid_mortality_to_weaning"] == breed.mortality.kid_risk_to_weaning
    assert intensive["adult_female_mortality_per_year"] == \
        breed.mortality.adult_female_risk_per_year
    assert intensive["min_breeding_age_days"] == breed.reproduction.min_breeding_age_days


def test_levels_are_ordered(presets):
    levels = [presets[name].point_values() for name in STANDARD_PRESETS]
    for key in ("milk_yield_factor", "conception_rate_per_cycle", "kid_growth_factor",
                "ration_me_mj_per_kg_dm", "ration_cp_pct_dm", "concentrate_share"):
        assert levels[0][key] >= levels[1][key] >= levels[2][key], key
    for key in ("kid_mortality_to_weaning", "adult_female_mortality_per_year",
                "min_breeding_age_days"):
        assert levels[0][key] <= levels[1][key] <= levels[2][key], key


def test_sampling_follows_the_triangle(presets):
    estimate = presets["low_input"].kid_mortality_to_weaning
    draws = estimate.sample(np.random.default_rng(7), 20_000)
    low, mode, high = estimate.low, estimate.mode, estimate.high
    mean = (low + mode + high) / 3
    sd = np.sqrt((low**2 + mode**2 + high**2 - low * mode - low * high - mode * high) / 18)
    assert draws.min() >= low and draws.max() <= high
    assert abs(draws.mean() - mean) < 4 * sd / np.sqrt(draws.size)
    certain = presets["intensive"].milk_yield_factor.sample(np.random.default_rng(1), 3)
    assert list(certain) == [1.0, 1.0, 1.0]


def test_override_single_values():
    preset = management_preset("improved_smallholder",
                               overrides={"milk_yield_factor": 0.6,
                                          "kid_mortality_to_weaning": {"low": 0.1, "mode": 0.12,
                                                                       "high": 0.2}})
    assert preset.milk_yield_factor.point == 0.6
    assert preset.milk_yield_factor.source == "override"
    assert preset.kid_mortality_to_weaning.interval == (0.1, 0.2)
    assert preset.conception_rate_per_cycle == \
        management_preset("improved_smallholder").conception_rate_per_cycle


def test_unknown_preset_suggests():
    with pytest.raises(ScenarioError, match="no management preset named 'low-input'.*"
                       "did you mean 'low_input'"):
        management_preset("low-input")


def test_override_low_above_high_and_unknown_field():
    with pytest.raises(ScenarioError) as info:
        management_preset("intensive", where="management.overrides", overrides={
            "kid_mortality_to_weaning": {"low": 0.3, "mode": 0.2, "high": 0.1},
            "milk_factor": 1.0})
    text = str(info.value)
    assert ("management.overrides.kid_mortality_to_weaning.low = 0.3, mode = 0.2, high = 0.1: "
            "expected low <= mode <= high") in text
    assert "management.overrides.milk_factor: unknown key; did you mean 'milk_yield_factor'" \
        in text


def test_bad_presets_file_lists_every_problem(tmp_path):
    values = load_presets()["intensive"].point_values()
    values.update(conception_rate_per_cycle=1.6, min_breeding_age_days=240.5)
    del values["concentrate_share"]
    lines = ['[intensive]', 'description = "x"',
             'milk_yield_factor = { value = "1.0", source = "" }',
             'concentrat_share = { value = 0.5, source = "s" }']
    lines += [f'{name} = {{ value = {value}, source = "s" }}' for name, value in values.items()
              if name != "milk_yield_factor"]
    text = "\n".join(lines) + "\n"
    path = tmp_path / "presets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_presets(path)
    text = str(info.value)
    assert str(path) in text
    assert "intensive.conception_rate_per_cycle.value = 1.6: out of range; expected a number " \
        "in [0, 1]" in text
    assert "intensive.min_breeding_age_days.value = 240.5: expected a whole number" in text
    assert "intensive.milk_yield_factor.value = '1.0': not a number" in text
    assert "intensive.concentrat_share: unknown key; did you mean 'concentrate_share'" in text
    assert "concentrate_share: missing" not in text


def test_estimate_needs_value_or_triangle(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[x]\ndescription = "d"\nmilk_yield_factor = { low = 0.5, source = "s" }\n',
                    encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"x.milk_yield_factor.mode: missing"):
        load_presets(path)
