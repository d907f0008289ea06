"""Tests of capra.scenario: loading, defaults, breed overrides, round trip, error messages."""

from __future__ import annotations

import inspect
import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from capra import scenario as sc
from capra.errors import ScenarioError
from capra.scenario import (
    AnimalGroup,
    Breed,
    BreedingGroup,
    Culling,
    LactationPolicy,
    Policy,
    Replacement,
    Scenario,
    bundled_breeds,
    bundled_scenario_path,
    bundled_scenarios,
    fields,
    load_breed,
    load_scenario,
    save_scenario,
    scenario_from_dict,
    scenario_to_toml,
    validate_file,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scenario.md"
BREEDS = Path(sc.__file__).parents[1] / "data" / "breeds"


@pytest.fixture(scope="module")
def nampo() -> Scenario:
    return load_scenario("nampo")


@pytest.fixture(scope="module")
def nampo_text() -> str:
    return bundled_scenario_path("nampo").read_text(encoding="utf-8")


def edited(text: str, old: str, new: str, count: int = 1) -> str:
    """``text`` with ``old`` replaced; fails if ``old`` is not there."""
    assert old in text, f"test setup: {old!r} not in the scenario"
    return text.replace(old, new, count)


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str) -> Scenario:
    return load_scenario(write(tmp_path, text))


def with_keys(text: str, table: str, lines: str) -> str:
    """``text`` with ``lines`` added to its table ``[table]`` (a TOML file declares a table
    once: the bundled scenario already has some ``[breed_overrides...]`` tables)."""
    header = f"[{table}]\n"
    if header in text:
        return text.replace(header, header + lines, 1)
    return text + f"\n{header}{lines}"


# --------------------------------------------------------------------------------------
# The bundled scenario
# --------------------------------------------------------------------------------------

def test_bundled_names():
    assert "nampo" in bundled_scenarios()
    assert "saanen" in bundled_breeds()
    assert bundled_scenario_path("nampo").name == "nampo.toml"


def test_nampo_loads_with_the_keys_the_herd_model_reads(nampo):
    assert nampo.name == "nampo"
    assert nampo.start_date == date(2024, 8, 1)
    assert nampo.breed.name == "Saanen"
    assert nampo.breed.reproduction.gestation_days == 150
    assert nampo.breed.reproduction.seasonal_activity[9] == 1.0  # October
    assert nampo.breed.lactation.wood_a == (1.498, 1.826, 2.223)
    assert nampo.policy.breeding_groups[0].window_start == "08-15"
    assert nampo.policy.breeding_groups[1].conception_rate_per_cycle == 0.55
    assert nampo.policy.replacement.decision_age_days == 60
    assert nampo.policy.culling.involuntary_risk_per_year == 0.20
    assert nampo.policy.lactation.kid_milk_kg_per_day == 1.5
    assert nampo.batches[0].animals[0].age_months_min == 5
    assert nampo.farms[0].capacity_head == 300
    # 447 goats in the first batch (250 doelings + 167 does + 30 bucks)
    assert nampo.batches[0].head == 447
    assert nampo.batches[1].animals[1].kidding_from == date(2026, 1, 5)
    assert nampo.batches[0].quarantine_end_date == date(2024, 9, 19)


def test_calendar_properties(nampo):
    # 1826 days from 2024-08-01 (2028 is a leap year): the last day is 2029-07-31.
    assert nampo.end_date == date(2029, 7, 31)
    assert len(nampo.dates) == 1826
    assert nampo.dates[0].date() == nampo.start_date
    assert nampo.dates[-1].date() == nampo.end_date


def test_locations_are_farms_then_quarantine_stations(nampo):
    assert nampo.locations == ("Kangso", "Chollima", "Ryonggang", "Onchon", "Taean", "Rason",
                               "Nampo port")
    assert nampo.farm_index("Onchon") == 3
    assert nampo.location_index("Nampo port") == 6
    with pytest.raises(ScenarioError, match=r'no farm named "Rason"'):
        nampo.farm_index("Rason")
    with pytest.raises(ScenarioError, match=r'did you mean "Taean"\?'):
        nampo.farm_index("Taen")


def test_arrival_place_equal_to_a_farm_is_no_separate_station(tmp_path, nampo_text):
    text = edited(nampo_text, 'arrival_place = "Nampo port"', 'arrival_place = "Onchon"')
    text = edited(text, "arrival_latitude = 38.736\narrival_longitude = 125.409\n", "")
    scenario = load_text(tmp_path, text)
    assert scenario.locations == ("Kangso", "Chollima", "Ryonggang", "Onchon", "Taean",
                                  "Rason")


def test_models_are_frozen_and_hashable(nampo):
    with pytest.raises(ValidationError):
        nampo.name = "other"  # type: ignore[misc]
    assert isinstance(nampo.farms, tuple)
    assert hash(nampo) == hash(load_scenario("nampo"))


def test_validate_file(tmp_path, nampo_text):
    assert validate_file(write(tmp_path, nampo_text)).name == "nampo"


# --------------------------------------------------------------------------------------
# Defaults
# --------------------------------------------------------------------------------------

def test_policy_defaults_equal_the_nampo_values(nampo):
    assert Replacement() == nampo.policy.replacement
    assert Culling() == nampo.policy.culling
    assert LactationPolicy() == nampo.policy.lactation


def test_default_breeding_group_is_one_natural_season():
    (group,) = Policy().breeding_groups
    assert group == BreedingGroup(name="season", share=1.0, method="natural",
                                  window_start="08-01", window_days=365)
    assert group.conception_rate_per_cycle is None


def test_omitted_policy_and_optional_keys_take_defaults(tmp_path, nampo_text):
    text = nampo_text[: nampo_text.index("[policy]")]
    text = edited(text, 'description = "447', 'comment = "447')
    with pytest.raises(ScenarioError, match=r"comment: unknown key; valid keys here"):
        load_text(tmp_path, text)
    text = re.sub(r'description = .*\n', "", nampo_text[: nampo_text.index("[policy]")])
    scenario = load_text(tmp_path, text)
    assert scenario.description == ""
    assert scenario.policy == Policy()
    doelings = scenario.batches[0].animals[0]
    assert (doelings.pregnant, doelings.lactating, doelings.days_in_milk) == (False, False, 0)
    assert scenario.batches[0].animals[2].parity == 0  # bucks: parity omitted


# --------------------------------------------------------------------------------------
# Breed: by name, by path, inline, overrides
# --------------------------------------------------------------------------------------

def test_breed_overrides_are_merged_deeply(tmp_path, nampo_text, nampo):
    text = with_keys(nampo_text, "breed_overrides.reproduction", "gestation_days = 152\n")
    text = re.sub(r"wood_a = \[\n.*?\n\]\n", "wood_a = [1.2, 1.5, 1.9]\n", text,
                  count=1, flags=re.DOTALL)
    scenario = load_text(tmp_path, text)
    breed = scenario.breed
    assert breed.reproduction.gestation_days == 152
    assert breed.lactation.wood_a == (1.2, 1.5, 1.9)
    # everything else is the bundled breed's
    assert breed.reproduction.oestrous_cycle_days == nampo.breed.reproduction.oestrous_cycle_days
    assert breed.lactation.wood_b == nampo.breed.lactation.wood_b
    assert breed.mortality == nampo.breed.mortality


def test_breed_from_a_path_relative_to_the_scenario(tmp_path, nampo_text):
    saanen = (BREEDS / "saanen.toml").read_text()
    (tmp_path / "breeds").mkdir()
    (tmp_path / "breeds" / "local.toml").write_text(
        edited(saanen, 'name = "Saanen"', 'name = "Local Saanen"'))
    text = edited(nampo_text, 'breed = "saanen"', 'breed = "breeds/local.toml"')
    assert load_text(tmp_path, text).breed.name == "Local Saanen"


def test_breed_inline_table(nampo):
    data = tomllib.loads(bundled_scenario_path("nampo").read_text())
    data["breed"] = nampo.breed.model_dump()
    data["breed"]["name"] = "Inline"
    scenario = scenario_from_dict(data)
    assert scenario.breed.name == "Inline"
    assert scenario.breed.reproduction == nampo.breed.reproduction


def test_load_breed(nampo):
    assert load_breed("saanen") == nampo.breed
    assert isinstance(load_breed("saanen"), Breed)


def test_load_breed_errors_name_the_file(tmp_path):
    saanen = (BREEDS / "saanen.toml").read_text()
    path = write(tmp_path, edited(saanen, "stillbirth_risk = 0.04", "stillbirth_risk = 1.4"),
                 "bad.toml")
    with pytest.raises(ScenarioError, match=r"bad\.toml.*reproduction\.stillbirth_risk = 1\.4: "
                                            r"out of range; expected a number in \[0, 1\]"):
        load_breed(path)
    with pytest.raises(ScenarioError, match=r"bundled breeds: saanen"):
        load_breed("toggenburg")


# --------------------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------------------

def test_round_trip_gives_an_equal_scenario(tmp_path, nampo):
    path = save_scenario(nampo, tmp_path / "copy.toml")
    again = load_scenario(path)
    assert again == nampo
    assert scenario_to_toml(again) == scenario_to_toml(nampo)
    assert 'breed = "saanen"' in path.read_text()
    # the breed's values are written by name, the scenario's own as overrides
    assert set(tomllib.loads(path.read_text())["breed_overrides"]) == {
        "reproduction", "mortality", "lactation"}


def test_round_trip_keeps_breed_overrides(tmp_path, nampo_text):
    text = with_keys(nampo_text, "breed_overrides.mortality", "adult_male_risk_per_year = 0.08\n")
    scenario = load_text(tmp_path, text)
    written = scenario_to_toml(scenario)
    mortality = tomllib.loads(written)["breed_overrides"]["mortality"]
    assert mortality["adult_male_risk_per_year"] == 0.08
    assert mortality["kid_risk_to_weaning"] == {  # a distribution, written as a whole
        "low": 0.05, "mode": 0.094, "high": 0.205,
        "source": scenario.breed.mortality.kid_risk_to_weaning.distribution.source}
    assert load_scenario(save_scenario(scenario, tmp_path / "copy.toml")) == scenario


def test_round_trip_with_a_breed_that_is_not_bundled(tmp_path, nampo):
    breed = nampo.breed.model_copy(update={"name": "Alpine"})
    scenario = nampo.model_copy(update={"breed": breed})
    written = scenario_to_toml(scenario)
    assert tomllib.loads(written)["breed"]["name"] == "Alpine"
    assert load_scenario(save_scenario(scenario, tmp_path / "copy.toml")) == scenario


# --------------------------------------------------------------------------------------
# Errors: one kind per test, each naming the key path, the value and the expectation
# --------------------------------------------------------------------------------------

def problem_of(tmp_path: Path, text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_text(tmp_path, text)
    return info.value


#: One problem per row: ``(edits, message)``. Each edit ``(old, new[, count])`` replaces
#: the first ``old`` in the bundled nampo scenario by ``new`` (a function: the text it
#: returns); the message, a regular expression, names the key path, the value and what
#: was expected.
ERRORS = {
    "unknown key": (
        [("capacity_head = 300", "capacity = 300")],
        r"scenario\.toml.*farms\[0\]\.capacity: unknown key; did you mean 'capacity_head'\?"),
    "unknown top-level key": (
        [("horizon_days = 1826", "horizon_day = 1826")],
        r"horizon_day: unknown key; did you mean 'horizon_days'\?"),
    "unknown key in breed overrides": (
        [lambda t: with_keys(t, "breed_overrides.reproduction", "gestaton_days = 152\n")],
        r"breed_overrides\.reproduction\.gestaton_days: unknown key; did you mean "
        r"'gestation_days'\?"),
    "wrong type": (
        [("capacity_head = 300", 'capacity_head = "many"')],
        r'farms\[0\]\.capacity_head = "many": wrong type \(a string\); expected an integer'),
    "table instead of array of tables": (
        [("[[farms]]", "[farms]"), ("[[farms]]", "[[oldfarms]]", -1)],
        r"farms = \{ name = .*: wrong type \(a table\); expected an array of tables, each "
        r"written \[\[farms\]\]"),
    "boolean is not a number": (
        [("count = 250", "count = true")],
        r"batches\[0\]\.animals\[0\]\.count = true: wrong type \(a boolean\); expected an "
        r"integer"),
    "negative capacity": (
        [("capacity_head = 250", "capacity_head = -5")],
        r"farms\[1\]\.capacity_head = -5: out of range; expected an integer in "
        r"\[0, 10000000\]"),
    "probability out of range": (
        [lambda t: re.sub(r"involuntary_risk_per_year = \{[^}]*\}",
                          "involuntary_risk_per_year = 1.0", t, count=1)],
        r"policy\.culling\.involuntary_risk_per_year = 1\.0: out of range; expected a number "
        r"in \[0, 1\)"),
    "batch to an unknown farm": (
        [('["Onchon", "Taean", "Ryonggang"]', '["Onchon", "Taen", "Ryonggang"]')],
        r'batches\[1\]\.destinations\[1\] = "Taen": not a farm of this scenario; expected '
        r'one of "Kangso", .*did you mean "Taean"\?'),
    "kidding_to before kidding_from": (
        [("kidding_to = 2026-02-05", "kidding_to = 2025-11-01")],
        r"batches\[1\]\.animals\[1\]\.kidding_to = 2025-11-01: before kidding_from = "
        r"2026-01-05"),
    "kidding dates required when pregnant": (
        [("kidding_to = 2026-02-05\n", "")],
        r"batches\[1\]\.animals\[1\]\.kidding_to: missing; expected .* when pregnant = true"),
    "kidding dates only when pregnant": (
        [("pregnant = true\n", "")],
        r"batches\[1\]\.animals\[1\]\.kidding_from = 2026-01-05: given for animals that are "
        r"not pregnant"),
    "kidding before arrival": (
        [("kidding_from = 2026-01-05", "kidding_from = 2025-09-01")],
        r"batches\[1\]\.animals\[1\]\.kidding_from = 2025-09-01: not after the batch "
        r"arrival_date = 2025-09-10"),
    "arrival before the start": (
        [("arrival_date = 2024-08-20", "arrival_date = 2024-07-20")],
        r"batches\[0\]\.arrival_date = 2024-07-20: before the scenario start_date = "
        r"2024-08-01; expected a date from 2024-08-01 to 2029-07-31"),
    "arrival after the horizon": (
        [("horizon_days = 1826", "horizon_days = 365")],
        r"batches\[1\]\.arrival_date = 2025-09-10: after the last simulated day 2025-07-31"),
    "shares not summing to one": (
        [("share = 0.25", "share = 0.2")],
        r"policy\.breeding_groups: shares sum to 0\.95 \(season 0\.75 \+ spring 0\.2\); "
        r"expected a sum of 1"),
    "a day past the month's end": (
        [('window_start = "04-01"', 'window_start = "04-31"')],
        r'policy\.breeding_groups\[1\]\.window_start = "04-31": April has no day 31; '
        r'expected a day in 01\.\.30'),
    "a month that does not exist": (
        [('window_start = "04-01"', 'window_start = "13-01"')],
        r'policy\.breeding_groups\[1\]\.window_start = "13-01": month 13 does not exist'),
    "a month-day not written MM-DD": (
        [('window_start = "04-01"', 'window_start = "4-1"')],
        r'policy\.breeding_groups\[1\]\.window_start = "4-1": not written "MM-DD"'),
    "conception rate required for induced groups": (
        [lambda t: re.sub(r"\n  conception_rate_per_cycle = \{[^}]*\}", "", t, count=1)],
        r"policy\.breeding_groups\[1\]\.conception_rate_per_cycle: missing; .* method = "
        r'"induced"'),
    "age range reversed": (
        [("age_months_max = 8\n", "age_months_max = 4\n")],
        r"batches\[0\]\.animals\[0\]\.age_months_max = 4\.0: less than age_months_min = 5\.0"),
    "males have parity zero": (
        [("age_months_max = 24\n", "age_months_max = 24\nparity = 2\n")],
        r"batches\[0\]\.animals\[2\]\.parity = 2: males have no kiddings"),
    "lactating needs a doe that has kidded": (
        [("parity = 0\n", "parity = 0\nlactating = true\ndays_in_milk = 30\n")],
        r"batches\[0\]\.animals\[0\]\.lactating = true: a doe with parity = 0 has not kidded"),
    "wrong literal": (
        [('sex = "male"', 'sex = "buck"')],
        r'batches\[0\]\.animals\[2\]\.sex = "buck": not allowed; expected \'female\' or '
        r"'male'"),
    "duplicate farm names": (
        [('name = "Chollima"', 'name = "Kangso"')],
        r'farms\[1\]\.name = "Kangso": duplicate farm name \(also farms\[0\]\.name\)'),
    "arrival place confusable with a farm": (
        [('arrival_place = "Nampo port"', 'arrival_place = "onchon"')],
        r'batches\[1\]\.arrival_place = "onchon": differs from farm "Onchon" only by case or '
        r'spaces'),
    "breed override of the wrong length": (
        [lambda t: with_keys(t, "breed_overrides.reproduction",
                             "seasonal_activity = [0.1, 0.2]\n")],
        r"breed_overrides\.reproduction\.seasonal_activity = \[0\.1, 0\.2\]: has 2 values; "
        r"expected exactly 12"),
    "litter probabilities not summing to one": (
        [lambda t: with_keys(t, "breed_overrides.reproduction",
                             "litter_size_probabilities_parity1 = [0.5, 0.4]\n")],
        r"litter_size_probabilities_parity1 = \[0\.5, 0\.4\]: the probabilities sum to 0\.9"),
    "unknown breed": (
        [('breed = "saanen"', 'breed = "sanen"')],
        r'breed = "sanen": no bundled breed named "sanen";.*\(bundled breeds: saanen\); did '
        r'you mean "saanen"\?'),
}


def with_edits(text: str, edits) -> str:
    for edit in edits:
        text = edit(text) if callable(edit) else edited(text, *edit)
    return text


@pytest.mark.parametrize("edits, message", ERRORS.values(), ids=ERRORS)
def test_each_problem_is_located_and_explained(tmp_path, nampo_text, edits, message):
    with pytest.raises(ScenarioError, match=message):
        load_text(tmp_path, with_edits(nampo_text, edits))


def test_a_problem_carries_its_key_path_and_value(tmp_path, nampo_text):
    error = problem_of(tmp_path, edited(nampo_text, "capacity_head = 250", "capacity_head = -5"))
    assert (error.path, error.value) == ("farms[1].capacity_head", -5)
    # a misspelt required key is reported once, not also as missing
    error = problem_of(tmp_path, edited(nampo_text, "capacity_head = 300", "capacity = 300"))
    assert error.problems == ["farms[0].capacity: unknown key; did you mean 'capacity_head'?"]
    assert error.path == "farms[0].capacity"


def test_impossible_date_gives_line_and_column(tmp_path, nampo_text):
    text = edited(nampo_text, "arrival_date = 2024-08-20", "arrival_date = 2024-02-30")
    line = text.splitlines().index("arrival_date = 2024-02-30") + 1
    with pytest.raises(ScenarioError, match=rf"scenario\.toml: TOML syntax error at line {line}, "
                                            rf"column 16: .*date.*2024-02-30"):
        load_text(tmp_path, text)


def test_toml_syntax_error_gives_line_and_column(tmp_path, nampo_text):
    text = edited(nampo_text, 'name = "Kangso"', "name = Kangso")
    line = text.splitlines().index("name = Kangso") + 1
    error = problem_of(tmp_path, text)
    assert f"TOML syntax error at line {line}, column 8" in str(error)
    assert "name = Kangso" in str(error)  # the line is quoted
    assert error.file.endswith("scenario.toml")


def test_impossible_date_given_as_text(nampo):
    data = tomllib.loads(bundled_scenario_path("nampo").read_text())
    data["start_date"] = "2024-02-30"
    with pytest.raises(ScenarioError, match=r'start_date = "2024-02-30": not a real calendar '
                                            r"date"):
        scenario_from_dict(data)


def test_problem_in_a_breed_file_names_that_file(tmp_path, nampo_text):
    saanen = (BREEDS / "saanen.toml").read_text()
    write(tmp_path, edited(saanen, "gestation_days = 150", "gestation_days = 0"), "goat.toml")
    text = edited(nampo_text, 'breed = "saanen"', 'breed = "goat.toml"')
    with pytest.raises(ScenarioError, match=r"breed\.reproduction\.gestation_days = 0: out of "
                                            r"range; expected an integer in \[1, 366\] "
                                            r"\(in breed file "
                                            r".*goat\.toml\)"):
        load_text(tmp_path, text)


def test_all_problems_are_collected(tmp_path, nampo_text):
    text = edited(nampo_text, "capacity_head = 300", "capacity = 300")
    text = edited(text, "age_months_max = 8\n", "age_months_max = 4\n")
    text = edited(text, '"Taean", "Ryonggang"]', '"Taen", "Ryonggang"]')
    text = edited(text, "share = 0.25", "share = 0.2")
    text = edited(text, 'window_start = "04-01"', 'window_start = "04-31"')
    error = problem_of(tmp_path, text)
    paths = [p.split(":")[0].split(" = ")[0] for p in error.problems]
    # in file order, each once
    assert paths == ["farms[0].capacity", "batches[0].animals[0].age_months_max",
                     "batches[1].destinations[1]", "policy.breeding_groups",
                     "policy.breeding_groups[1].window_start"]
    assert str(error).startswith(f"file {tmp_path / 'scenario.toml'}: 5 problems")
    for problem in error.problems:
        assert problem in str(error)


def test_errors_are_never_pydantic_errors(tmp_path, nampo_text):
    text = edited(nampo_text, "capacity_head = 300", 'capacity_head = "many"')
    error = problem_of(tmp_path, text)
    assert not isinstance(error, ValidationError)
    assert error.__cause__ is None and error.__suppress_context__


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(ScenarioError, match=r'no bundled scenario named "nampho".*bundled '
                                            r'scenarios: nampo\); did you mean "nampo"\?'):
        load_scenario("nampho")
    with pytest.raises(ScenarioError, match=r"none\.toml: scenario file not found; .*\(nampo\)"):
        load_scenario(tmp_path / "none.toml")
    with pytest.raises(ScenarioError, match=r"bundled scenarios: nampo"):
        bundled_scenario_path("pyongyang")


# --------------------------------------------------------------------------------------
# Field validators, directly
# --------------------------------------------------------------------------------------

@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2000, 12, 31)))
def test_every_real_month_day_is_accepted(day):
    text = day.strftime("%m-%d")
    group = BreedingGroup(name="g", share=1.0, method="natural", window_start=text,
                          window_days=30)
    assert group.window_month_day == (day.month, day.day)


@given(st.integers(1, 12), st.integers(29, 40))
def test_days_past_the_month_end_are_rejected(month, day):
    last = {2: 29, 4: 30, 6: 30, 9: 30, 11: 30}.get(month, 31)
    text = f"{month:02d}-{day:02d}"
    if day <= last:
        BreedingGroup(name="g", share=1.0, method="natural", window_start=text, window_days=1)
    else:
        with pytest.raises(ValidationError, match="has no day"):
            BreedingGroup(name="g", share=1.0, method="natural", window_start=text,
                          window_days=1)


def test_february_29_opens_on_the_28th_in_common_years():
    group = BreedingGroup(name="g", share=1.0, method="ai", window_start="02-29",
                          window_days=10, conception_rate_per_cycle=0.5)
    assert group.window_start_date(2024) == date(2024, 2, 29)
    assert group.window_start_date(2025) == date(2025, 2, 28)


def test_animal_group_defaults():
    group = AnimalGroup(count=3, sex="female", age_months_min=6, age_months_max=9)
    assert (group.parity, group.pregnant, group.lactating, group.days_in_milk) == (0, False,
                                                                                   False, 0)
    assert group.kidding_from is None and group.kidding_to is None


# --------------------------------------------------------------------------------------
# Documentation cannot drift
# --------------------------------------------------------------------------------------

def all_models() -> list[type[BaseModel]]:
    return [m for m in vars(sc).values()
            if isinstance(m, type) and issubclass(m, fields._Model)
            and m is not fields._Model]


def test_every_field_has_a_description_with_a_unit():
    for model in all_models():
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"
            assert re.search(r"\[[^\]]+\]$", field.description), (
                f"{model.__name__}.{name}: description does not end with a [unit]")


def test_every_key_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for model in all_models():
        for name in model.model_fields:
            # as `key`, or inside a table header such as `[policy.culling]`
            assert re.search(rf"`[^`\n]*\b{name}\b[^`\n]*`", text), (
                f"{model.__name__}.{name} missing in docs/scenario.md")
    assert "`breed_overrides`" in text


# --------------------------------------------------------------------------------------
# Planning sections: products, calendars, sites, plants, transport, planning
# --------------------------------------------------------------------------------------

def test_nampo_planning_sections(nampo):
    assert len(nampo.sites) == 12 and len(nampo.plants) == 1
    assert {s.kind for s in nampo.sites} == {"kindergarten", "school"}
    assert {c.name for c in nampo.calendars} == {"kindergarten", "school"}
    assert nampo.calendars[1].closed[0].start == "01-15"
    kangso = nampo.sites[0]
    assert (kangso.children.age_1_2, kangso.children.age_3_5, kangso.children.total) == (
        536, 804, 1340)
    assert nampo.plants[0].capacity_kg_per_day.milk_powder == 120.0
    assert nampo.plants[0].capacity_kg_per_day.uht_milk == 0.0
    assert nampo.plants[0].storage_kg.frozen == 0.0
    assert nampo.transport.road_factor == 1.3
    assert nampo.transport.routes[0].destination == "Onchon schools"
    assert nampo.planning.year == "repeatable" and nampo.planning.quantile == 0.1
    assert nampo.planning.warmup_days == 0 and nampo.planning.opening_stock == ()


def test_planning_sections_are_optional(tmp_path):
    sc = scenario_from_dict({
        "name": "bare", "start_date": "2025-01-01", "horizon_days": 30, "breed": "saanen",
        "farms": [{"name": "F", "district": "d", "capacity_head": 1, "latitude": 0.0,
                   "longitude": 0.0}]})
    assert sc.sites == () and sc.plants == () and sc.calendars == ()
    assert sc.transport.capacity_kg_per_day == 2000.0
    assert sc.planning.start_date is None and sc.planning.quantile == 0.1
    assert sc.products.milk_powder is None
    assert load_scenario(save_scenario(sc, tmp_path / "bare.toml")) == sc


PLANNING_TEXT = '''
[[calendars]]
name = "week"
weekdays = [1, 2, 3, 4, 5]

[[sites]]
name = "Kangso school 1"
kind = "school"
latitude = 38.92
longitude = 125.53
calendar = "week"
children = { age_6_11 = 300 }

[[plants]]
name = "Nampo plant"
latitude = 38.74
longitude = 125.41
capacity_kg_per_day = { fresh_milk = 500.0 }

[transport]

  [[transport.routes]]
  origin = "Nampo plant"
  destination = "Kangso school 1"
  distance_km = 31.0
'''


def planning_text(nampo_text: str) -> str:
    """The nampo scenario with its planning sections replaced by PLANNING_TEXT."""
    head = nampo_text.split("# Planning: where the milk goes")[0].rstrip().rstrip("-#").rstrip()
    return head + "\n" + PLANNING_TEXT


def test_planning_text_is_valid(tmp_path, nampo_text):
    sc = load_text(tmp_path, planning_text(nampo_text))
    assert sc.sites[0].attendance == 1.0 and sc.sites[0].cold_storage_kg is None
    assert sc.transport.routes[0].distance_km == 31.0


@pytest.mark.parametrize("old, new, message", [
    ("children = { age_6_11 = 300 }", "children = { age_6_to_11 = 300 }",
     r"sites\[0\]\.children\.age_6_to_11: unknown key; did you mean 'age_6_11'\?"),
    ('calendar = "week"', 'calendar = "weak"',
     (r'sites\[0\]\.calendar = "weak": not a calendar .*expected one of "week"; '
     r'did you mean "week"\?')),
    ('destination = "Kangso school 1"', 'destination = "Kangso school 2"',
     (r'transport\.routes\[0\]\.destination = "Kangso school 2": not a site .*did you mean '
     r'"Kangso school 1"\?')),
    ('origin = "Nampo plant"', 'origin = "Nampho plant"',
     (r'transport\.routes\[0\]\.origin = "Nampho plant": not a farm or a plant .*did you '
     r'mean "Nampo plant"\?')),
    ('name = "Nampo plant"', 'name = "Kangso"',
     r'plants\[0\]\.name = "Kangso": name already used by farms\[0\]'),
    ("capacity_kg_per_day = { fresh_milk = 500.0 }",
     "capacity_kg_per_day = { fresh_milks = 500.0 }",
     (r"plants\[0\]\.capacity_kg_per_day\.fresh_milks: unknown key; did you mean "
     r"'fresh_milk'\?")),
    ("weekdays = [1, 2, 3, 4, 5]", "weekdays = [1, 2, 8]",
     r"calendars\[0\]\.weekdays\[2\] = 8: out of range; expected an integer in \[1, 7\]"),
    ('kind = "school"', 'kind = "college"',
     r'sites\[0\]\.kind = "college": not allowed'),
    ("[transport]", "[transport]\nroad_factor = 0.9",
     r"transport\.road_factor = 0\.9: out of range; expected a number in \[1, 5\]"),
])
def test_planning_errors_are_located(tmp_path, nampo_text, old, new, message):
    text = edited(planning_text(nampo_text), old, new)
    with pytest.raises(ScenarioError, match=message):
        load_text(tmp_path, text)


def test_product_overrides_and_planning_dates_are_checked(tmp_path, nampo_text):
    text = planning_text(nampo_text) + '''
[products.milk_pwder]
shelf_life_days = 100

[planning]
start_date = 2020-01-01
'''
    with pytest.raises(ScenarioError) as err:
        load_text(tmp_path, text)
    problems = "\n".join(err.value.problems)
    assert "products.milk_pwder: unknown key; did you mean 'milk_powder'?" in problems
    assert ("planning.start_date = 2020-01-01: outside the simulated days; expected a date "
            "from 2024-08-01 to 2029-07-31") in problems
    text = planning_text(nampo_text) + '''
[planning]
start_date = 2024-08-10
warmup_days = 20
days = 2000
'''
    with pytest.raises(ScenarioError) as err:
        load_text(tmp_path, text)
    problems = "\n".join(err.value.problems)
    assert "planning.warmup_days = 20: reaches before the scenario start_date" in problems
    assert "planning.days = 2000: runs past the last simulated day 2029-07-31" in problems


def test_duplicate_planning_names(tmp_path, nampo_text):
    text = planning_text(nampo_text) + PLANNING_TEXT.split("[transport]")[0]
    with pytest.raises(ScenarioError) as err:
        load_text(tmp_path, text)
    problems = "\n".join(err.value.problems)
    assert "calendars[1].name = \"week\": duplicate calendar name" in problems
    assert 'sites[1].name = "Kangso school 1": name already used by sites[0]' in problems
    assert 'plants[1].name = "Nampo plant": name already used by plants[0]' in problems


# --------------------------------------------------------------------------------------
# Limits: every value a run cannot take is refused by validation, with its key path
# --------------------------------------------------------------------------------------

OVERRIDE = '[breed_overrides.lactation]\n'


@pytest.mark.parametrize("old, new, path", [
    ("start_date = 2024-08-01", "start_date = 9999-12-01", "start_date"),
    ("horizon_days = 1826", "horizon_days = 3000000", "horizon_days"),
    ("horizon_days = 1826", "horizon_days = 1e21", "horizon_days"),
    ("parity = 1", "parity = 40000", "batches[0].animals[1].parity"),
    ("count = 250", "count = 1e30", "batches[0].animals[0].count"),
    ("count = 250", "count = 1000000000", "batches[0].animals[0].count"),
    ("age_1_2 = 536", "age_1_2 = 1000000000000000000", "sites[0].children.age_1_2"),
    ('year = "repeatable"', 'year = "from_stock"\ndays = 1000000000', "planning.days"),
    ('year = "repeatable"', 'year = "repeatable"\nstart_date = 2025-08-01', "planning.start_date"),
    ("quarantine_days = 30", "quarantine_days = 2000000000", "batches[0].quarantine_days"),
    (OVERRIDE, f'{OVERRIDE}wood_b = [-50.0, 0.2, 0.2]\n',
     "breed_overrides.lactation.wood_b[0]"),
    ("{ low = 1.1235, mode = 1.498, high = 1.5729, together = \"milk yield\", "
     "source = \"assumption: 0.75-1.05 x the breed curve\" },", "1e300,",
     "breed_overrides.lactation.wood_a[0]"),
    (OVERRIDE, f'{OVERRIDE}animal_effect_cv = 1e300\n',
     "breed_overrides.lactation.animal_effect_cv"),
    ("max_parity = 7", "max_parity = 30000", "policy.culling.max_parity"),
])
def test_values_a_run_cannot_take_are_located_errors(tmp_path, nampo_text, old, new, path):
    """Overflows, out-of-memory sizes and NaN-making values are refused by validation (the
    values of issue 11, item 10), with the key path and the expected range."""
    error = problem_of(tmp_path, edited(nampo_text, old, new))
    assert error.path == path, str(error)
    assert "expected" in str(error)


def test_an_out_of_range_start_date_is_one_problem(tmp_path, nampo_text):
    """Cross-checks skip values validation rejects (no follow-on errors about batches)."""
    error = problem_of(tmp_path, edited(nampo_text, "start_date = 2024-08-01",
                                        "start_date = 9999-12-01"))
    assert error.problems == ["start_date = 9999-12-01: out of range; expected a date from "
                              "1900-01-01 to 2100-12-31"]


@pytest.mark.parametrize("depth", [25, 300, 5000])
@pytest.mark.parametrize("kind", ["array", "table"])
def test_deep_nesting_is_a_located_error(tmp_path, nampo_text, depth, kind):
    value = "[" * depth + "]" * depth if kind == "array" else "{a=" * depth + "1" + "}" * depth
    path = write(tmp_path, f"x = {value}\n" + nampo_text)
    with pytest.raises(ScenarioError, match="nested more than 20 levels") as info:
        load_scenario(path)
    assert str(path) in str(info.value)


def test_wood_b_refused_by_the_run_is_refused_by_validation(tmp_path, nampo_text):
    """What the lactation model rejects (b <= -1), validation rejects, located; a value just
    inside is accepted by both."""
    from capra.lactation import LactationCurves

    text = edited(nampo_text, OVERRIDE, f"{OVERRIDE}wood_b = [-1.0, 0.2, 0.2]\n")
    assert problem_of(tmp_path, text).path == "breed_overrides.lactation.wood_b[0]"
    lac = load_text(tmp_path, text.replace("-1.0, 0.2", "-0.999, 0.2")).breed.lactation
    LactationCurves(lac.wood_a, lac.wood_b, lac.wood_c, lac.rebound_day,
                    lac.rebound_rate_per_day, lac.rebound_max_ratio)


def test_the_fitting_bounds_are_valid_scenario_values(nampo):
    """A curve fitted by `capra milk fit` (inside capra.lactation.GOAT_BOUNDS) is a valid
    scenario value, so the fitted scenario it writes always validates."""
    from capra.lactation import GOAT_BOUNDS

    lac = nampo.breed.lactation
    for model in ("wood", "wood_extended"):
        b = GOAT_BOUNDS[model]
        for corner in (0, 1):
            values = lac.model_dump() | {
                "wood_a": (b["a"][corner],) * 3, "wood_b": (b["b"][corner],) * 3,
                "wood_c": (b["c"][corner],) * 3}
            if model == "wood_extended":
                values |= {"rebound_day": int(b["rebound_day"][corner]),
                           "rebound_rate_per_day": b["rebound_rate_per_day"][corner],
                           "rebound_max_ratio": b["rebound_max_ratio"][corner]}
            sc.BreedLactation.model_validate(values)


def _bounded_fields():
    """(model, key, (lo, hi, lo_open, hi_open)) of every bounded number of the schema."""
    import typing

    def bounds(annotation):
        for meta in getattr(annotation, "__metadata__", ()):
            found = getattr(getattr(meta, "func", None), "bounds", None)
            if found is not None:
                return found
        for arg in typing.get_args(annotation):
            found = bounds(arg)
            if found is not None:
                return found
        return None

    for model in all_models():
        for key, field in model.model_fields.items():
            found = bounds(field.rebuild_annotation() if hasattr(field, "rebuild_annotation")
                           else field.annotation)
            if found is None:
                for meta in field.metadata:
                    found = found or getattr(getattr(meta, "func", None), "bounds", None)
            if found is not None:
                yield model, key, found


def _interval(lo, hi, lo_open, hi_open) -> str:
    num = fields._fmt_number
    return f"{'(' if lo_open else '['}{num(lo)}, {num(hi)}{')' if hi_open else ']'}"


def test_every_number_has_an_upper_bound():
    """No number is left without an upper limit (latitudes, shares and probabilities have
    theirs from their meaning)."""
    unbounded = [f"{m.__name__}.{k}" for m, k, (lo, hi, *_) in _bounded_fields() if hi is None]
    assert unbounded == []


def test_documented_ranges_are_the_schema_ranges():
    """Each row `key | type` of docs/scenario.md that gives an interval gives the schema's."""
    text = DOCS.read_text(encoding="utf-8").replace("−", "-")
    rows = re.findall(r"^\| `(\w+)` \| ([^|]*?) \|", text, flags=re.MULTILINE)
    schema: dict[str, set[str]] = {}
    for _, key, b in _bounded_fields():
        if b[1] is not None:
            schema.setdefault(key, set()).add(_interval(*b))
    checked = 0
    for key, type_text in rows:
        shown = re.search(r"[\[(][-\d.]+, [-\d.]+[\])]", type_text)
        if shown and key in schema:
            assert shown[0] in schema[key], (key, shown[0], schema[key])
            checked += 1
    assert checked >= 40


def test_every_limit_is_documented_with_its_reason():
    text = DOCS.read_text(encoding="utf-8")
    names = [n for n in vars(sc) if n.startswith(("MAX_", "WOOD_")) or n == "DATE_RANGE"]
    assert len(names) > 25
    assert [n for n in names if f"`{n}`" not in text] == []


def test_validation_time_grows_linearly_with_the_problems(nampo_text, monkeypatch):
    """Thousands of bad animal groups are reported in linear time (the duplicate check was
    quadratic): the work, counted as values shown, doubles with the groups."""
    data = tomllib.loads(nampo_text)
    calls = {"n": 0}
    show = fields._show

    def counting(value, limit=70):
        calls["n"] += 1
        return show(value, limit)

    for module in vars(sc).values():    # the schema's modules, each with its own reference
        if inspect.ismodule(module) and getattr(module, "_show", None) is show:
            monkeypatch.setattr(module, "_show", counting)

    def work(n: int) -> int:
        bad = dict(data["batches"][0]["animals"][0], count=-1, sex="x")
        doc = dict(data, batches=[dict(data["batches"][0], animals=[bad] * n)])
        calls["n"] = 0
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict(doc)
        assert len(info.value.problems) == 2 * n
        return calls["n"]

    small = work(200)
    assert 0 < small and work(400) <= 2.2 * small


def test_a_repeatable_year_longer_than_the_planner_solves_whole_is_refused(nampo_text):
    """Validation refuses the repeatable years the planner cannot solve whole; a plan
    from today's stock that long rolls."""
    data = tomllib.loads(nampo_text)
    data["planning"] = {"start_date": "2026-01-01", "days": sc.MAX_REPEATABLE_DAYS + 1}
    with pytest.raises(ScenarioError, match=r"planning\.days"):
        scenario_from_dict(data)
    data["planning"]["year"] = "from_stock"
    assert scenario_from_dict(data).planning.days == sc.MAX_REPEATABLE_DAYS + 1
