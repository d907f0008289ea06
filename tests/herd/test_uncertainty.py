"""Parameter uncertainty (capra.herd.uncertainty): reproducible draws that follow their
distributions, each replicate simulated with its own values, the point values when off,
and the sensitivity table."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from capra.herd import uncertainty as unc
from capra.herd.params import compile_params
from capra.herd.simulate import simulate
from capra.scenario.uncertain import UncertainValue

from herd_scenarios import build, one_farm_dict

LACTATING = [{"count": 300, "sex": "female", "age_months_min": 30, "age_months_max": 40,
              "parity": 2, "lactating": True, "days_in_milk": 30}]


def yield_and_kid_milk(animals=LACTATING, horizon_days=60, **extra):
    """One farm; the parity-2 yield and the kids' milk uncertain."""
    data = one_farm_dict(animals=animals, horizon_days=horizon_days, breed_overrides={
        "lactation": {"wood_a": [1.498, {"low": 1.2, "mode": 1.826, "high": 2.2}, 2.223]},
        "reproduction": {"stillbirth_risk": {"low": 0.0, "high": 0.6}}}, **extra)
    data["policy"].setdefault("lactation", {})["kid_milk_kg_per_day"] = {
        "low": 1.0, "mode": 1.5, "high": 2.0}
    return build(data)


def point_values(scenario):
    """The scenario with every uncertain value replaced by its point value (a float)."""
    pars = unc.uncertain_parameters(scenario)
    return unc.with_values(scenario, pars, [p.distribution.point for p in pars])


# --------------------------------------------------------------------------------------
# Draws
# --------------------------------------------------------------------------------------

def test_uncertain_parameters_of_nampo(nampo):
    pars = unc.uncertain_parameters(nampo)
    names = [p.name for p in pars]
    assert names[:3] == ["breed.reproduction.conception_rate_per_cycle",
                         "breed.reproduction.abortion_risk_per_pregnancy",
                         "breed.mortality.kid_risk_to_weaning"]
    assert "policy.breeding_groups[1].conception_rate_per_cycle" in names
    assert {p.factor for p in pars if p.name.startswith("breed.lactation.wood_a")} == {
        "milk yield"}
    # a distribution without spread (nampo's brucellosis prevalence has low = mode = 0
    # but high 0.01, so it is uncertain; a certain one is not listed)
    certain = build(one_farm_dict(animals=LACTATING, breed_overrides={"reproduction": {
        "stillbirth_risk": {"low": 0.04, "mode": 0.04, "high": 0.04}}}))
    assert unc.uncertain_parameters(certain) == ()


def test_draws_depend_only_on_seed_replicate_and_parameter(nampo):
    pars = unc.uncertain_parameters(nampo)
    all_ten = unc.draw(pars, 7, 10)
    np.testing.assert_array_equal(unc.draw(pars, 7, [3, 8]), all_ten[[3, 8]])
    # a parameter's draws do not depend on which other parameters are drawn
    np.testing.assert_array_equal(unc.draw(pars[5:6], 7, 10)[:, 0], all_ten[:, 5])
    assert not np.array_equal(unc.draw(pars, 8, 10), all_ten)
    # parameters drawn together share their quantile
    yield_cols = [j for j, p in enumerate(pars) if p.factor == "milk yield"]
    u = np.array([[pars[j].distribution.cdf(all_ten[i, j]) for j in yield_cols]
                  for i in range(10)])
    np.testing.assert_allclose(u, u[:, :1].repeat(len(yield_cols), axis=1), atol=1e-9)


def test_replicate_draws_follow_the_stated_distributions(nampo):
    """4000 replicates' draws of every uncertain parameter of nampo: a Kolmogorov-Smirnov
    test against the stated distribution, and mean and variance within sampling error."""
    pars = unc.uncertain_parameters(nampo)
    values = unc.draw(pars, 11, 4000)
    for j, p in enumerate(pars):
        d = p.distribution
        x = values[:, j]
        assert ((x >= d.low) & (x <= d.high)).all(), p.name
        assert stats.kstest(x, d.cdf).pvalue > 1e-3, p.name
        assert abs(x.mean() - d.mean) < 4 * np.sqrt(d.variance / x.size), p.name
        assert x.var() == pytest.approx(d.variance, rel=0.15), p.name


def test_a_field_the_simulator_reads_once_may_not_differ():
    sc = yield_and_kid_milk()
    params = compile_params(sc)
    other = compile_params(sc.model_copy(update={"breed": sc.breed.model_copy(update={
        "reproduction": sc.breed.reproduction.model_copy(update={"gestation_days": 151})})}))
    with pytest.raises(RuntimeError, match="gestation_days"):
        unc.batch_params(params, [params, other])


# --------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------

def test_each_replicate_simulates_with_its_own_values():
    """Thirty days of 300 lactating parity-2 does: each replicate's gross milk is that of
    the point values times its drawn Wood scale over the point scale (the same animals,
    effects and deaths: only the milk table differs)."""
    sc = yield_and_kid_milk(horizon_days=30)
    on = simulate(sc, replicates=6, seed=2, batch_size=4)
    off = simulate(sc, replicates=6, seed=2, parameter_uncertainty=False)
    drawn = on.data["parameter_value"].sel(parameter="breed.lactation.wood_a[1]").values
    ratio = on.data["milk_gross_kg"].sum(("date", "farm")) / off.data["milk_gross_kg"].sum(
        ("date", "farm"))
    np.testing.assert_allclose(ratio.values, drawn / 1.826, rtol=1e-5)
    np.testing.assert_array_equal(on.data["head"].values, off.data["head"].values)


def test_each_replicate_kids_and_stillbirths_follow_its_draws():
    """Does kidding: the stillborn share of each replicate is its drawn risk within
    sampling error, and the kids drink the replicate's own ration."""
    animals = [{"count": 600, "sex": "female", "age_months_min": 30, "age_months_max": 40,
                "parity": 2, "pregnant": True, "kidding_from": "2024-08-10",
                "kidding_to": "2024-08-30"}]
    sc = yield_and_kid_milk(animals=animals, horizon_days=60)
    res = simulate(sc, replicates=8, seed=4, batch_size=3)
    ds = res.data
    risk = ds["parameter_value"].sel(parameter="breed.reproduction.stillbirth_risk").values
    born = (ds["births"] + ds["stillbirths"]).sum(("date", "farm")).values
    share = ds["stillbirths"].sum(("date", "farm")).values / born
    se = np.sqrt(risk * (1 - risk) / born)
    assert (np.abs(share - risk) < 4 * se + 1e-9).all(), (share, risk)
    ration = ds["parameter_value"].sel(parameter="policy.lactation.kid_milk_kg_per_day").values
    # before weaning, with milk to spare, the kids drink kids x ration
    kids = ds["kids"].sum("farm")
    day = 45
    fed = ds["milk_fed_kids_kg"].sum("farm").isel(date=day).values
    assert (ds["milk_kg"].sum("farm").isel(date=day).values > 0).all()   # not clipped
    assert (fed > 0).all()
    drinking = fed / ration
    np.testing.assert_allclose(drinking, np.round(drinking), atol=1e-3)
    assert (np.round(drinking) <= kids.isel(date=day).values).all()


def test_uncertainty_off_uses_the_point_values():
    sc = yield_and_kid_milk(horizon_days=200)
    off = simulate(sc, replicates=3, seed=5, parameter_uncertainty=False)
    point = simulate(point_values(sc), replicates=3, seed=5)
    assert "parameter_value" not in off.data and "parameter_value" not in point.data
    for v in off.data.data_vars:
        np.testing.assert_array_equal(off.data[v].values, point.data[v].values, err_msg=v)
    assert not isinstance(point_values(sc).breed.lactation.wood_a[1], UncertainValue)


def test_turning_uncertainty_off_collapses_the_band_to_chance():
    """The P10-P90 spread of the milk of 40 replicates: wide with the yield uncertain
    (the P10-P90 of the drawn Wood scale is about 30 % of its median), back to the chance
    of a herd of 300 without (doe effects of CV 0.2: about 2.6 x 0.2 / sqrt(300) = 3 %)."""
    sc = yield_and_kid_milk(horizon_days=60)
    spread = {}
    for on in (True, False):
        milk = simulate(sc, replicates=40, seed=6, parameter_uncertainty=on).data[
            "milk_gross_kg"].sum(("date", "farm")).values
        p10, p50, p90 = np.quantile(milk, (0.1, 0.5, 0.9))
        spread[on] = (p90 - p10) / p50
    assert spread[True] > 0.2
    assert spread[False] < 0.07
    assert spread[True] > 4 * spread[False]


def test_same_draws_and_numbers_in_separate_processes():
    sc = yield_and_kid_milk(horizon_days=40)
    a = simulate(sc, replicates=4, seed=9, batch_size=4)
    b = simulate(sc, replicates=4, seed=9, batch_size=1, engine="processes", workers=2)
    assert np.ptp(a.data["parameter_value"].values, axis=0).max() > 0
    for v in a.data.data_vars:
        np.testing.assert_array_equal(a.data[v].values, b.data[v].values, err_msg=v)


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------

def test_sensitivity_ranks_the_parameter_that_moves_the_milk():
    """Yield moves the milk; the transport risk cannot (no batch travels): yield ranks
    first, near-perfectly correlated, the transport risk is not told from zero."""
    data = one_farm_dict(animals=LACTATING, horizon_days=400, breed_overrides={
        "lactation": {"wood_a": [
            {"low": 1.2, "mode": 1.498, "high": 1.8, "together": "yield"},
            {"low": 1.4, "mode": 1.826, "high": 2.2, "together": "yield"},
            {"low": 1.8, "mode": 2.223, "high": 2.6, "together": "yield"}]}})
    data["health"] = {"transport_death_risk_per_day": {"low": 0.0, "high": 0.1}}
    res = simulate(build(data), replicates=40, seed=3)
    table = unc.sensitivity(res)
    assert list(table["factor"]) == ["yield", "health.transport_death_risk_per_day"]
    top = table.iloc[0]
    assert top["rho_milk_per_year"] > 0.9 and top["p_milk_per_year"] < 1e-6
    assert top["parameters"].count("wood_a") == 3
    noise = table.iloc[1]
    assert abs(noise["rho_milk_per_year"]) < 0.5 and noise["p_milk_per_year"] > 0.001
    assert 1 <= table.attrs["trough_month"] <= 12 and table.attrs["replicates"] == 40
    d = unc.sensitivity_dict(res)
    assert d["factors"][0]["factor"] == "yield" and d["factors"][0]["rank"] == 1
    assert set(d["outputs"]) == {"milk_per_year", "trough_month_milk"}


def test_no_sensitivity_without_draws():
    sc = yield_and_kid_milk(horizon_days=40)
    assert unc.sensitivity(simulate(sc, 3, seed=1, parameter_uncertainty=False)) is None
    assert unc.sensitivity_dict(simulate(point_values(sc), 3, seed=1)) is None


def test_the_trough_month_is_the_month_of_lowest_median_milk():
    sc = yield_and_kid_milk(horizon_days=400)
    res = simulate(sc, replicates=6, seed=1)
    monthly = res.monthly_daily_milk().median("replicate")
    assert unc.sensitivity(res).attrs["trough_month"] == int(monthly.idxmin())


def test_draws_are_kept_through_a_netcdf_file(tmp_path):
    from capra.herd.result import HerdResult

    res = simulate(yield_and_kid_milk(horizon_days=400), replicates=5, seed=2)
    back = HerdResult.load(res.save(tmp_path / "r.nc"))
    np.testing.assert_array_equal(back.data["parameter_value"].values,
                                  res.data["parameter_value"].values)
    assert list(back.data["factor"].values) == list(res.data["factor"].values)
    assert unc.sensitivity(back).equals(unc.sensitivity(res))
    frame = res.to_frame()
    assert "parameter_value" not in frame and len(frame) == res.data["head"].size
