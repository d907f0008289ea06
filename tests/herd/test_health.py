"""Health in the daily model (capra.herd.health): tests in quarantine against their
expected counts, infected does' milk, deaths on the journey, outbreaks and abortion
storms, heat stress (simulator and mean path), located errors of [health]."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

from capra.errors import ScenarioError
from capra.herd.health import HEALTH_OUTPUTS, health_dict, health_summary
from capra.herd.mean_path import project_mean
from capra.herd.params import compile_params
from capra.herd.simulate import simulate

from herd_scenarios import build

START = dt.date(2024, 8, 1)
#: Doelings old enough to breed: no involuntary culls (those start at the first kidding).
DOES = {"count": 500, "sex": "female", "age_months_min": 20, "age_months_max": 40}


def scenario(*, animals=(DOES,), health=None, quarantine_days=30, transit_days=0,
             arrival_place="Station", farms=("A",), horizon_days=120, groups=None):
    """Farms of ample room; one batch arriving on day 5 at ``arrival_place``."""
    data = {
        "name": "health", "start_date": START, "horizon_days": horizon_days,
        "breed": "saanen",
        "farms": [{"name": f, "district": "D", "capacity_head": 100_000, "latitude": 38.9,
                   "longitude": 125.5} for f in farms],
        "batches": [{"name": "B", "arrival_date": START + dt.timedelta(days=5),
                     "arrival_place": arrival_place, "quarantine_days": quarantine_days,
                     "transit_days": transit_days, "destinations": list(farms),
                     "animals": [copy.deepcopy(a) for a in animals]}],
    }
    if health is not None:
        data["health"] = copy.deepcopy(health)
    if groups is not None:
        data["policy"] = {"breeding_groups": groups}
    return build(data)


def totals(res, name):
    return res.data[name].sum(("date", "farm")).values.astype(float)


def within(observed, expected, sd, n_sd=4.0):
    """Mean of the replicates within ``n_sd`` standard errors of ``expected``."""
    se = sd / np.sqrt(len(observed))
    assert abs(np.mean(observed) - expected) < n_sd * se, (np.mean(observed), expected, se)


# --------------------------------------------------------------------------------------
# Nothing happens: nothing changes
# --------------------------------------------------------------------------------------

def test_a_health_section_where_nothing_happens_changes_nothing():
    """Tests that find nothing, outbreaks that never start, no heat: the herd's numbers
    are those of the scenario without [health] (same seed), the health counts zero."""
    health = {"tests": [{"disease": "x", "prevalence": 0.0, "sensitivity": 0.9,
                         "specificity": 1.0, "test_days": [0, 10]}],
              "outbreaks": [{"name": "o", "probability_per_farm_year": 0.0,
                             "duration_days": 30, "mortality": 0.5}],
              "heat_stress": {"milk_factor": 1.0, "conception_factor": 1.0}}
    kw = dict(horizon_days=500, animals=(DOES, {"count": 20, "sex": "male",
                                                 "age_months_min": 10, "age_months_max": 20}))
    quiet = simulate(scenario(health=health, **kw), replicates=3, seed=4)
    plain = simulate(scenario(**kw), replicates=3, seed=4)
    for v in plain.data.data_vars:
        np.testing.assert_array_equal(quiet.data[v].values, plain.data[v].values, err_msg=v)
    for v in HEALTH_OUTPUTS:
        assert int(quiet.data[v].sum()) == 0, v
        assert v not in plain.data
    assert health_summary(plain) is None and health_dict(plain) is None


# --------------------------------------------------------------------------------------
# Tests in quarantine
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("days", [[0], [0, 10]])
def test_reactors_and_missed_infections_match_the_test(days):
    """prevalence p, sensitivity Se, specificity Sp, k test days, reactors culled at their
    first positive: culled N [p (1 - (1 - Se)^k) + (1 - p)(1 - Sp^k)], infected released
    N p (1 - Se)^k (binomial, so the sd of a count is sqrt(N q (1 - q)))."""
    p, se, sp, n, k = 0.2, 0.8, 0.9, 500, len(days)
    health = {"tests": [{"disease": "x", "prevalence": p, "sensitivity": se,
                         "specificity": sp, "test_days": days}]}
    res = simulate(scenario(health=health), replicates=30, seed=7)
    culled = 1 - (1 - p) * sp ** k - p * (1 - se) ** k
    missed = p * (1 - se) ** k
    # deaths in quarantine are rare (adult risk 5 %/y over 30 days): within the error
    within(totals(res, "reactors"), n * culled, np.sqrt(n * culled * (1 - culled)) + 1)
    np.testing.assert_array_equal(totals(res, "reactors"),
                                  res.data["culls"].sel(farm="Station").sum("date").values)
    within(totals(res, "infected_released"), n * missed, np.sqrt(n * missed * (1 - missed)) + 1)


def test_reactors_kept_are_counted_on_each_test_day():
    health = {"tests": [{"disease": "x", "prevalence": 0.3, "sensitivity": 0.7,
                         "specificity": 0.8, "test_days": [0, 10], "cull_reactors": False}]}
    res = simulate(scenario(health=health), replicates=30, seed=8)
    assert int(res.data["culls"].sel(farm="Station").sum()) == 0
    q = 0.3 * 0.7 + 0.7 * 0.2
    within(totals(res, "reactors"), 2 * 500 * q, np.sqrt(2 * 500 * q * (1 - q)) * 1.5)
    # each infected animal reaches the farm, none is removed
    within(totals(res, "infected_released"), 500 * 0.3, np.sqrt(500 * 0.3 * 0.7) + 1)


def test_a_shorter_quarantine_is_tested_on_its_own_days():
    """Test days 0 and 10; a second batch of 100 with 5 days of quarantine is tested on day
    0 only (specificity 0: every tested animal reacts, none culled)."""
    health = {"tests": [{"disease": "x", "prevalence": 0.0, "sensitivity": 1.0,
                         "specificity": 0.0, "test_days": [0, 10], "cull_reactors": False}]}
    sc = scenario(health=health)
    other = sc.batches[0].model_copy(update={
        "name": "C", "quarantine_days": 5,
        "animals": (sc.batches[0].animals[0].model_copy(update={"count": 100}),)})
    res = simulate(sc.model_copy(update={"batches": (*sc.batches, other)}), replicates=2,
                   seed=1)
    reactors = totals(res, "reactors")
    # deaths before a test (adult risk 5 %/y over ten days) may take one or two animals
    assert ((reactors <= 2 * 500 + 100) & (reactors >= 2 * 500 + 100 - 5)).all(), reactors


def test_kids_born_in_quarantine_are_not_tested():
    pregnant = {**DOES, "pregnant": True, "kidding_from": START + dt.timedelta(days=8),
                "kidding_to": START + dt.timedelta(days=12)}
    health = {"tests": [{"disease": "x", "prevalence": 0.0, "sensitivity": 1.0,
                         "specificity": 0.0, "test_days": [20], "cull_reactors": False}]}
    res = simulate(scenario(animals=(pregnant,), health=health), replicates=2, seed=1)
    born = res.data["births"].sel(farm="Station").isel(date=slice(0, 25)).sum().item()
    assert born > 100
    # specificity 0: every tested animal is a reactor, but only the arrived does are tested
    reactors = res.data["reactors"].sum().item()
    deaths = res.data["deaths"].sel(farm="Station").isel(date=slice(0, 26)).sum().item()
    assert 2 * 500 - deaths <= reactors <= 2 * 500


def test_an_infected_doe_gives_less_milk():
    """Does in milk arriving on the farm, all infected, milk loss 0.25: 0.75 of the milk of
    the same does without the infection (same seed, same animals)."""
    milking = {**DOES, "parity": 1, "lactating": True, "days_in_milk": 40}
    kw = dict(animals=(milking,), quarantine_days=0, arrival_place="A", horizon_days=60)
    sick = {"tests": [{"disease": "x", "prevalence": 1.0, "sensitivity": 0.0,
                       "specificity": 1.0, "milk_loss": 0.25}]}
    well = {"tests": [{"disease": "x", "prevalence": 0.0, "sensitivity": 0.0,
                       "specificity": 1.0, "milk_loss": 0.25}]}
    a = simulate(scenario(health=sick, **kw), replicates=2, seed=3)
    b = simulate(scenario(health=well, **kw), replicates=2, seed=3)
    np.testing.assert_allclose(totals(a, "milk_gross_kg"), 0.75 * totals(b, "milk_gross_kg"),
                               rtol=1e-5)
    assert totals(a, "infected_released").tolist() == [500.0, 500.0]


def test_an_infected_animal_brings_its_outbreak_to_the_farm():
    """Every animal infected and missed, introduction certain: the linked outbreak starts
    on each farm that received animals, on the first day of its months after the
    release."""
    health = {"tests": [{"disease": "x", "prevalence": 1.0, "sensitivity": 0.0,
                         "specificity": 1.0, "outbreak": "o", "introduction_risk": 1.0}],
              "outbreaks": [{"name": "o", "duration_days": 10, "months": [12]}]}
    res = simulate(scenario(health=health, farms=("A", "B"), horizon_days=200), replicates=3,
                   seed=2)
    starts = res.data["outbreak_starts"]
    assert int(starts.sum()) == 2 * 3
    day = starts.sum(("replicate", "farm"))
    assert str(day["date"].values[int(np.flatnonzero(day.values)[0])])[:10] == "2024-12-01"


# --------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------

def test_the_journey_delays_the_farms_and_kills_with_its_daily_risk():
    n, days, risk = 2000, 10, 0.01
    big = {**DOES, "count": n}
    res = simulate(scenario(animals=(big,), health={"transport_death_risk_per_day": risk},
                            transit_days=days), replicates=10, seed=5)
    ds = res.data
    reach = 5 + 30 + days
    assert (ds["transfers_in"].sel(farm="A").sum("replicate").values.nonzero()[0] == [reach]
            ).all()
    q = 1 - (1 - risk) ** days
    within(totals(res, "transport_deaths"), n * q, np.sqrt(n * q * (1 - q)))
    dead = ds["deaths"].sel(farm="A").isel(date=reach).values
    assert (dead >= ds["transport_deaths"].sel(farm="A").isel(date=reach).values).all()
    # off the farms (quarantine and journey): no milk delivered, no breeding
    assert float(ds["milk_kg"].sel(farm="Station").sum()) == 0


# --------------------------------------------------------------------------------------
# Outbreaks
# --------------------------------------------------------------------------------------

def test_outbreaks_start_in_their_months_with_their_probability():
    """Probability 1 in March: exactly one start per farm and 365-day block (three blocks
    from 1 August contain a March); probability 0.3: 0.3 per block within error."""
    sure = {"outbreaks": [{"name": "o", "probability_per_farm_year": 1.0,
                           "duration_days": 5, "months": [3]}]}
    kw = dict(farms=("A", "B"), horizon_days=3 * 365, quarantine_days=0, arrival_place="A")
    res = simulate(scenario(health=sure, **kw), replicates=4, seed=1)
    starts = res.data["outbreak_starts"]
    assert (starts.sum(("date",)).sel(farm=["A", "B"]).values == 3).all()
    months = res.data["date"].dt.month.values[np.flatnonzero(starts.sum(("replicate", "farm")))]
    assert set(months) == {3}
    rare = copy.deepcopy(sure)
    rare["outbreaks"][0]["probability_per_farm_year"] = 0.3
    res = simulate(scenario(health=rare, **kw), replicates=40, seed=2)
    per_farm_block = res.data["outbreak_starts"].sum("date").sel(farm=["A", "B"]).values / 3
    within(per_farm_block.ravel(), 0.3, np.sqrt(0.3 * 0.7 / 3))


def test_an_outbreak_kills_and_takes_milk_on_its_farm():
    """Certain outbreak in September lasting 30 days: the milk of the farm on its days is
    0.6 of the same herd's without it (mortality 0: the herd is the same), and with
    mortality 0.5 about half of the animals die over it."""
    milking = {**DOES, "parity": 1, "lactating": True, "days_in_milk": 40}
    kw = dict(animals=(milking,), quarantine_days=0, arrival_place="A", horizon_days=90)

    def outbreak(mortality, milk_loss):
        return {"outbreaks": [{"name": "o", "probability_per_farm_year": 1.0,
                               "duration_days": 30, "months": [9], "mortality": mortality,
                               "milk_loss": milk_loss}]}
    sick = simulate(scenario(health=outbreak(0.0, 0.4), **kw), replicates=3, seed=4)
    well = simulate(scenario(health=outbreak(0.0, 0.0), **kw), replicates=3, seed=4)
    start = sick.data["outbreak_starts"].sel(farm="A").argmax("date").values
    for r, s in enumerate(start):
        on = slice(int(s), int(s) + 30)
        a = sick.data["milk_gross_kg"].sel(farm="A").isel(replicate=r)
        b = well.data["milk_gross_kg"].sel(farm="A").isel(replicate=r)
        np.testing.assert_allclose(a.isel(date=on).values, 0.6 * b.isel(date=on).values,
                                   rtol=1e-5)
        np.testing.assert_array_equal(a.isel(date=slice(0, int(s))).values,
                                      b.isel(date=slice(0, int(s))).values)
    deadly = simulate(scenario(health=outbreak(0.5, 0.0), **kw), replicates=6, seed=5)
    killed = totals(deadly, "outbreak_deaths")
    within(killed / 500, 0.5, np.sqrt(0.25 / 500) * 1.5 + 0.02)


def test_an_abortion_storm_ends_the_pregnancies_on_its_farm():
    pregnant = {**DOES, "pregnant": True, "kidding_from": START + dt.timedelta(days=100),
                "kidding_to": START + dt.timedelta(days=110)}
    storm = {"outbreaks": [{"name": "storm", "probability_per_farm_year": 1.0,
                            "duration_days": 20, "months": [9], "abortion_risk": 1.0}]}
    res = simulate(scenario(animals=(pregnant,), health=storm, quarantine_days=0,
                            arrival_place="A", horizon_days=120), replicates=3, seed=6)
    ds = res.data
    # the storm starts in September and ends every pregnancy on its first day (risk 1):
    # no doe kids in November, the storm's abortions are among the herd's
    assert (totals(res, "outbreak_abortions") > 400).all()
    assert (totals(res, "outbreak_abortions") <= totals(res, "abortions")).all()
    assert totals(res, "kiddings").sum() == 0
    assert int(ds["does_pregnant"].isel(date=-1).sum()) == 0
    start = ds["outbreak_starts"].sel(farm="A").argmax("date").values
    for r, s in enumerate(start):
        assert int(ds["does_pregnant"].sel(farm="A").isel(replicate=r, date=int(s))) == 0


# --------------------------------------------------------------------------------------
# Heat stress
# --------------------------------------------------------------------------------------

def test_heat_stress_scales_the_milk_in_its_months_in_both_methods():
    milking = {**DOES, "parity": 1, "lactating": True, "days_in_milk": 40}
    kw = dict(animals=(milking,), quarantine_days=0, arrival_place="A", horizon_days=90)
    hot = scenario(health={"heat_stress": {"months": [9], "milk_factor": 0.5}}, **kw)
    cool = scenario(**kw)
    a = simulate(hot, replicates=2, seed=1).data["milk_gross_kg"].sum("farm")
    b = simulate(cool, replicates=2, seed=1).data["milk_gross_kg"].sum("farm")
    sept = a["date"].dt.month.values == 9
    np.testing.assert_allclose(a.values[:, sept], 0.5 * b.values[:, sept], rtol=1e-5)
    np.testing.assert_array_equal(a.values[:, ~sept], b.values[:, ~sept])
    ma = project_mean(compile_params(hot))["milk_gross_kg"].sum("farm").values
    mb = project_mean(compile_params(cool))["milk_gross_kg"].sum("farm").values
    np.testing.assert_allclose(ma[sept], 0.5 * mb[sept], rtol=1e-9)
    np.testing.assert_allclose(ma[~sept], mb[~sept], rtol=1e-12)


def test_heat_stress_stops_conception_in_its_months():
    bucks = {"count": 30, "sex": "male", "age_months_min": 12, "age_months_max": 20}
    groups = [{"name": "all", "share": 1.0, "method": "induced", "window_start": "08-10",
               "window_days": 120, "conception_rate_per_cycle": 0.6}]
    kw = dict(animals=(DOES, bucks), quarantine_days=0, arrival_place="A", horizon_days=150,
              groups=groups)
    res = simulate(scenario(health={"heat_stress": {"months": [8, 9],
                                                    "conception_factor": 0.0}}, **kw),
                   replicates=2, seed=3)
    conc = res.data["conceptions"].sum(("replicate", "farm"))
    month = conc["date"].dt.month.values
    assert conc.values[np.isin(month, [8, 9])].sum() == 0
    assert conc.values[month == 10].sum() > 300


# --------------------------------------------------------------------------------------
# Located errors
# --------------------------------------------------------------------------------------

TEST = {"disease": "x", "prevalence": 0.1, "sensitivity": 0.9, "specificity": 0.99}


@pytest.mark.parametrize("health, path, message", [
    ({"tests": [{**TEST, "test_days": [0, 30]}]}, "health.tests[0].test_days[1]",
     'after every quarantine (the longest: batch "B", 30 days); expected test days from 0 '
     'to 29'),
    ({"tests": [{**TEST, "outbreak": "storm"}]}, "health.tests[0].outbreak",
     "no [[health.outbreaks]] named so; expected one of none defined"),
    ({"tests": [TEST, {**TEST}]}, "health.tests[1].disease", "duplicate disease"),
    ({"tests": [{**TEST, "introduction_risk": 0.5}]}, "health.tests[0].introduction_risk",
     "given without an outbreak"),
    ({"tests": [{**TEST, "test_days": [3, 3]}]}, "health.tests[0].test_days[1]",
     "listed twice"),
    ({"outbreaks": [{"name": "o", "duration_days": 5}, {"name": "o", "duration_days": 6}]},
     "health.outbreaks[1].name", "duplicate outbreak name"),
    ({"outbreaks": [{"name": "o", "duration_days": 5, "months": [13]}]},
     "health.outbreaks[0].months[0]", "out of range; expected an integer in [1, 12]"),
    ({"outbreaks": [{"name": "o", "duration_days": 0}]}, "health.outbreaks[0].duration_days",
     "out of range"),
    ({"heat_stress": {"months": [7, 7]}}, "health.heat_stress.months[1]", "listed twice"),
    ({"heat_stress": {"milk_factor": 1.2}}, "health.heat_stress.milk_factor",
     "out of range; expected a number in [0, 1]"),
    ({"transport_death_risk_per_day": -0.1}, "health.transport_death_risk_per_day",
     "out of range"),
    ({"vaccination": True}, "health.vaccination", "unknown key"),
])
def test_each_bad_health_value_is_a_located_error(health, path, message):
    with pytest.raises(ScenarioError) as info:
        scenario(health=health)
    assert any(p.startswith(path) and message in p for p in info.value.problems), \
        info.value.problems


def test_transit_days_out_of_range_is_located():
    with pytest.raises(ScenarioError, match=r"batches\[0\]\.transit_days = -1: out of range"):
        scenario(transit_days=-1)


# --------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------

def test_health_summary_of_nampo(nampo):
    res = simulate(nampo.model_copy(update={"horizon_days": 400}), replicates=4, seed=1)
    table = health_summary(res)
    assert table.shape == (6, 3)
    assert (table["p10"] <= table["p50"]).all() and (table["p50"] <= table["p90"]).all()
    d = health_dict(res)
    assert set(d) == {"period", *HEALTH_OUTPUTS, "share_of_replicates_with_an_outbreak"}
    assert d["reactors"]["p50"] == pytest.approx(float(np.quantile(totals(res, "reactors"),
                                                                   0.5)))
