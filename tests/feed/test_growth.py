"""Growth curve of the breed: the data it is built on, an independent guideline, its
properties and bad files."""

import numpy as np
import pytest

from capra.errors import ScenarioError
from capra.feed import FeedInputError, body_weight_kg, daily_gain_g, load_growth_curve
from capra.feed.growth import GrowthCurve


@pytest.fixture(scope="module")
def curve() -> GrowthCurve:
    return load_growth_curve("saanen")


# Akbas et al. 2013, Eurasian J Vet Sci 29(2):70-75, Saanen kids at birth and days 30-90
AKBAS = {"female": [3.16, 7.86, 10.82, 14.60], "male": [3.42, 7.92, 11.39, 15.35]}


@pytest.mark.parametrize("sex", ["female", "male"])
def test_passes_through_the_measured_weights(curve, sex):
    assert curve.body_weight_kg([0, 30, 60, 90], sex) == pytest.approx(AKBAS[sex])


def test_mature_weights_are_the_soviet_breed_norms(curve):
    # Great Soviet Encyclopedia: does 50-60 kg, bucks 70-80 kg
    assert 50 <= curve.mature_weight_kg("female") <= 60
    assert 70 <= curve.mature_weight_kg("male") <= 80
    assert curve.body_weight_kg(3650, "female") == pytest.approx(55, abs=0.01)


def test_doelings_reach_breeding_weight_at_7_to_10_months(curve):
    # Independent guideline (texasgoat.com, research note herd.md §4): doelings are bred at
    # 7-10 months once about 36 kg.
    ages = np.arange(0, 500)
    first = ages[np.argmax(curve.body_weight_kg(ages, "female") >= 36)]
    assert 7 * 30.4 <= first <= 10 * 30.4


@pytest.mark.parametrize("sex", ["female", "male"])
def test_weight_increases_and_gain_is_its_slope(curve, sex):
    ages = np.linspace(0, 2000, 4001)
    w = curve.body_weight_kg(ages, sex)
    assert np.all(np.diff(w) >= 0)
    # second method: the gain equals the finite difference of the weight
    mid = (ages[1:] + ages[:-1]) / 2
    numeric = np.diff(w) / np.diff(ages) * 1000
    exact = curve.daily_gain_g(mid, sex)
    assert numeric == pytest.approx(exact, rel=1e-3, abs=0.05)
    # continuous at the junction of the measured part and the Gompertz tail
    assert curve.body_weight_kg(90 + 1e-9, sex) == pytest.approx(curve.body_weight_kg(90, sex))


def test_slower_growth_reaches_the_same_weights_later(curve):
    assert curve.body_weight_kg(300, "female", growth_rate_factor=0.8) == \
        pytest.approx(curve.body_weight_kg(240, "female"))
    assert curve.daily_gain_g(300, "female", growth_rate_factor=0.8) == \
        pytest.approx(0.8 * curve.daily_gain_g(240, "female"))


def test_castrates_follow_males_and_module_functions(curve):
    assert body_weight_kg([100, 200], ["castrate", "male"]) == \
        pytest.approx(curve.body_weight_kg([100, 200], "male"))
    assert daily_gain_g(100, "female") == pytest.approx(curve.daily_gain_g(100, "female"))


def test_bad_arguments(curve):
    with pytest.raises(FeedInputError, match="age_days: 1 invalid value: -1.0 at index 1"):
        curve.body_weight_kg([10, -1])
    with pytest.raises(FeedInputError, match="sex = 'doe'"):
        curve.body_weight_kg(10, "doe")
    with pytest.raises(FeedInputError, match="growth_rate_factor"):
        curve.body_weight_kg(10, growth_rate_factor=0)


def test_unknown_breed_suggests():
    with pytest.raises(ScenarioError, match="no bundled growth curve.*did you mean 'saanen'"):
        load_growth_curve("sanen")


def _write(tmp_path, text):
    path = tmp_path / "breed.toml"
    path.write_text(text, encoding="utf-8")
    return path


POINTS = """
[growth.female]
mature_weight_kg = {mature}
mature_weight_source = "s"
[[growth.female.points]]
age_days = 0
weight_kg = 3
source = "s"
[[growth.female.points]]
age_days = {age}
weight_kg = {weight}
source = "s"
[growth.male]
mature_weight_kg = 70
mature_weight_source = "s"
[[growth.male.points]]
age_days = 0
weight_kg = 3
source = "s"
[[growth.male.points]]
age_days = 30
weight_kg = 8
source = ""
"""


def test_bad_file_names_every_key_path(tmp_path):
    path = _write(tmp_path, "[growth]\n" + POINTS.format(mature=2, age=0, weight=2))
    with pytest.raises(ScenarioError) as info:
        load_growth_curve(path)
    text = str(info.value)
    assert "growth.female.points[1].age_days = 0: ages must increase" in text
    assert "growth.female.points[1].weight_kg = 2: weights must not decrease" in text
    assert "growth.female.mature_weight_kg = 2: must exceed" in text
    assert "growth.male.points[1].source" in text
    assert str(path) in text


def test_file_without_growth_table(tmp_path):
    with pytest.raises(ScenarioError, match=r"missing the \[growth\] table"):
        load_growth_curve(_write(tmp_path, "name = 'x'\n"))


def test_a_breed_file_layout_is_read(tmp_path):
    # the same [growth] table inside a breed file (with its other tables) is read as is
    path = _write(tmp_path, "name = 'Saanen'\n[growth]\n" +
                  POINTS.format(mature=55, age=90, weight=14.6).replace('source = ""',
                                                                         'source = "s"'))
    assert load_growth_curve(path).body_weight_kg(90) == pytest.approx(14.6)
