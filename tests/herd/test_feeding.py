"""The herd eats: requirements, feeding by priority, responses to a shortage, kid rearing.

References: the requirement functions of capra.feed (themselves checked against the NRC
2007 / Langston worked examples in tests/feed), the herd without feed (same seed), closed
forms (stock and energy balances, the milk the kids drink), and the sourced coefficients of
capra/data/feed/responses.toml and kid_rearing.toml.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from herd_scenarios import build, nampo_dict, one_farm_dict

from capra import feed
from capra.errors import ArgumentError
from capra.feed.responses import kid_rearing, responses
from capra.herd import day, feeding, kernels, rng
from capra.herd.mean_path import project_mean
from capra.herd.params import compile_params
from capra.herd.simulate import simulate
from capra.herd.state import HerdState

DOES = [{"count": 120, "sex": "female", "age_months_min": 18, "age_months_max": 40,
         "parity": 1},
        {"count": 60, "sex": "female", "age_months_min": 5, "age_months_max": 8},
        {"count": 6, "sex": "male", "age_months_min": 10, "age_months_max": 20}]
PASTURE = {"area_ha": 6, "profile": "korean_sown_hill_pasture"}


def farm(feed_table=None, kid_rearing_table=None, horizon_days=730, management=None):
    data = one_farm_dict(animals=copy.deepcopy(DOES), capacity=400, horizon_days=horizon_days)
    if feed_table is not None:
        data["farms"][0]["feed"] = feed_table
    if kid_rearing_table is not None:
        data["farms"][0]["kid_rearing"] = kid_rearing_table
    if management is not None:
        data["management"] = management
    return build(data)


def hay_only(t_dm_per_year: float) -> dict:
    """Pasture in the season, a yearly hay harvest, a little barley, nothing bought."""
    return {"purchase": [], "pasture": PASTURE,
            "stores": [{"feed": "grass_hay", "opening_t_dm": t_dm_per_year / 2,
                        "deliveries": [{"date": "09-01", "t_dm": t_dm_per_year,
                                        "kind": "harvested"}]},
                       {"feed": "barley", "opening_t_dm": 2.0,
                        "deliveries": [{"date": "09-01", "t_dm": 6.0, "kind": "bought"}]}]}


DAILY = ("head", "births", "deaths", "sales", "culls", "conceptions", "kiddings",
         "milk_gross_kg", "milk_kg", "milk_fed_kids_kg")


# --------------------------------------------------------------------------------------
# Requirements: the simulator's tables against capra.feed's functions, animal by animal
# --------------------------------------------------------------------------------------

def _expected(p, t, rows, graze: bool):
    """Requirements of each row by capra.feed's public functions."""
    fp = p.feeding
    preset = feed.management_preset("intensive")
    curve = feed.load_growth_curve("saanen")
    mec = preset.ration_me_mj_per_kg_dm.point
    act = responses().herd.grazing_activity_factor.point if graze else 1.0
    c16, age = rows["c16"], rows["age"]
    male = np.isin(c16, (4, 5, 6, 7))
    parous = np.isin(c16, (8, 9, 10, 11))
    sex = np.where(male, "male", "female")
    weight = curve.body_weight_kg(age, sex)
    gain = curve.daily_gain_g(age, sex)
    stage = np.where(parous | (age >= feeding.MATURE_AGE_DAYS), "mature", "growing")
    args = dict(sex=sex, stage=stage, daily_gain_g=gain, activity_factor=act,
                diet_me_mj_per_kg_dm=mec)
    milk = rows["milk_kg"]
    me = feed.energy_requirement(weight, milk_kg=milk, milk_fat_pct=fp_fat(), **args)
    dmi = feed.dry_matter_intake(weight, milk_kg=milk, milk_fat_pct=fp_fat(), **args)
    fill = responses().herd.min_intake_share_of_body_weight.point * weight
    dmi = np.where(milk > 0, dmi, np.maximum(dmi, fill))
    cp = feed.crude_protein_requirement(weight, milk_kg=milk, milk_fat_pct=fp_fat(), **args)
    # the conceptus: linear in the litter, which the simulator takes as the expected one
    gday = p.gestation_days - (rows["due"] - t)
    late = (rows["due"] >= 0) & (gday >= 95)
    litter = fp.mean_litter[(rows["parity"] > 0).astype(int)]
    day = np.where(late, gday, np.nan)
    one = dict(args, pregnancy_day=day, litter=1)
    preg_me = feed.energy_requirement_parts(weight, **one).pregnancy
    preg_cp = (feed.crude_protein_requirement(weight, **one)
               - feed.crude_protein_requirement(weight, **args))
    me = me + preg_me * litter
    dmi = dmi + preg_me * litter / mec
    cp = cp + preg_cp * litter
    return {"me": me, "dmi": dmi, "cp": cp}


def fp_fat():
    return responses().herd.milk_fat_pct.point


@pytest.mark.parametrize("graze", [False, True])
def test_requirements_are_those_of_the_feed_functions(graze):
    p = compile_params(farm({"pasture": PASTURE}))
    t = next(i for i in range(p.n_days) if p.feeding.grazing[0, i] == graze)
    r = np.random.default_rng(4)
    n = 400
    c16 = r.choice([2, 3, 4, 6, 8, 9, 10, 11], n)
    age = np.where(np.isin(c16, (8, 9, 10, 11)), r.integers(300, 3500, n),
                   r.integers(p.weaning_age_days, 900, n))
    pregnant = c16 % 2 == 1
    rows = {"age": age, "c16": c16, "loc": np.zeros(n, int),
            "due": np.where(pregnant, t + r.integers(0, 150, n), -1),
            "parity": np.where(np.isin(c16, (8, 9, 10, 11)), r.integers(1, 5, n), 0),
            "milk_kg": np.where(np.isin(c16, (8, 9)), r.uniform(0.2, 4.5, n), 0.0)}
    got = feeding.requirements(p, t, rows)
    want = _expected(p, t, rows, graze)
    for name in ("me", "dmi", "cp"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-9, err_msg=name)


def test_kids_and_removed_animals_need_nothing_from_the_feed():
    p = compile_params(farm())
    rows = {"age": np.array([10, 50, 2000, 3000]), "c16": np.array([0, 14, 12, 13]),
            "loc": np.zeros(4, int), "due": -np.ones(4, int), "parity": np.zeros(4, int),
            "milk_kg": np.zeros(4)}
    got = feeding.requirements(p, 100, rows)
    assert not any(got[k].any() for k in got)


# --------------------------------------------------------------------------------------
# Feed sufficient: nothing changes
# --------------------------------------------------------------------------------------

def test_feed_as_needed_gives_the_herd_without_feed_bit_for_bit(nampo):
    short = nampo.model_copy(update={"horizon_days": 900})
    on = simulate(short, 4, seed=11, batch_size=2)
    off = simulate(short, 4, seed=11, batch_size=2, feed=False)
    for name in off.data.data_vars:
        np.testing.assert_array_equal(on.data[name].values, off.data[name].values, name)
    assert "feed_dm_fed_t" in on.data and "feed_dm_fed_t" not in off.data
    assert float(on.data["feed_me_unmet_mj"].sum()) < 1e-6
    assert on.feed_budget().by_farm_month["cost"].sum() > 0


def test_plenty_of_own_feed_gives_the_herd_without_feed():
    sc = farm(hay_only(400.0) | {"purchase": ["barley"]})
    on = simulate(sc, 3, seed=5)
    off = simulate(sc, 3, seed=5, feed=False)
    for name in DAILY:
        np.testing.assert_array_equal(on.data[name].values, off.data[name].values, name)
    b = on.feed_budget().by_farm_month
    assert b["pasture_dm_t"].sum() > 0 and b["stored_dm_t"].sum() > 0


# --------------------------------------------------------------------------------------
# A shortage
# --------------------------------------------------------------------------------------

def winter_hay(t_dm: float) -> dict:
    """Pasture in the season, a hay harvest each October of ``t_dm`` for the winter, a
    yearly barley purchase, nothing bought as needed."""
    return {"purchase": [], "pasture": {"area_ha": 12, "profile": "korean_sown_hill_pasture"},
            "stores": [{"feed": "grass_hay", "opening_t_dm": 20.0,
                        "deliveries": [{"date": "10-15", "t_dm": t_dm, "kind": "harvested"}]},
                       {"feed": "barley", "opening_t_dm": 10.0,
                        "deliveries": [{"date": "09-01", "t_dm": 25.0, "kind": "bought"}]}]}


@pytest.fixture(scope="module")
def shortage_runs():
    """The same herd with less and less hay for the winter (same seed)."""
    return {hay: simulate(farm(winter_hay(hay), horizon_days=900), 8, seed=2)
            for hay in (60.0, 35.0, 15.0)}


def _total(result, name, months=None):
    da = result.data[name]
    if months is not None:
        da = da.where(result.data["date.month"].isin(months))
    return float(da.sum().values) / result.replicates


def test_a_winter_shortfall_lowers_winter_milk_monotonically_in_its_size(shortage_runs):
    hays = sorted(shortage_runs, reverse=True)             # more and more short
    winter = [_total(shortage_runs[h], "milk_gross_kg", [12, 1, 2, 3]) for h in hays]
    short = [float(shortage_runs[h].data["feed_me_unmet_mj"].sum()
                   / shortage_runs[h].data["feed_me_needed_mj"].sum()) for h in hays]
    forgone = [_total(shortage_runs[h], "feed_milk_forgone_kg") for h in hays]
    assert winter == sorted(winter, reverse=True) and winter[-1] < 0.95 * winter[0]
    assert short == sorted(short) and short[0] < 0.005 < 0.1 < short[-1]
    assert forgone == sorted(forgone) and forgone[-1] > 0


def test_more_stored_forage_never_lowers_milk(shortage_runs):
    hays = sorted(shortage_runs)
    for less, more in zip(hays, hays[1:]):
        assert (_total(shortage_runs[more], "milk_gross_kg")
                >= _total(shortage_runs[less], "milk_gross_kg"))
        assert (_total(shortage_runs[more], "milk_kg") >= _total(shortage_runs[less], "milk_kg"))


def test_a_long_shortage_costs_reserves_conceptions_and_lives(shortage_runs):
    full, short = shortage_runs[60.0], shortage_runs[15.0]
    assert _total(short, "deaths") > 1.5 * _total(full, "deaths")
    assert _total(short, "conceptions") < _total(full, "conceptions")
    assert _total(short, "feed_reserves_used_kg") > 10 * max(_total(full, "feed_reserves_used_kg"),
                                                             1.0)


def test_stock_and_energy_balances_close(shortage_runs):
    ds = shortage_runs[15.0].data
    p = compile_params(farm(winter_hay(15.0), horizon_days=900))
    fp = p.feeding
    fed = ds["feed_source_dm_t"].values * 1000.0          # (R, M, L, S) kg DM
    energy = (fed * fp.source_me[None, None]).sum(axis=-1)
    needed = ds["feed_me_needed_mj"].values
    np.testing.assert_allclose(energy + ds["feed_me_unmet_mj"].values, needed, rtol=1e-9,
                               atol=1e-6)
    # stores: opening + deliveries - fed = closing, month by month
    opening = fp.opening_kg[0]
    added = np.add.reduceat(fp.deliveries_kg[0], np.r_[0, np.flatnonzero(
        np.diff(fp.month_of_day)) + 1], axis=-1).T / 1000.0            # (M, S) t
    stock = fp.source_kind[0] == feeding._STOCK
    closing = ds["feed_source_closing_t_dm"].values[:, :, 0, stock]
    eaten = ds["feed_source_dm_t"].values[:, :, 0, stock]
    before = np.concatenate([np.broadcast_to(opening[stock] / 1000.0, closing[:, :1].shape),
                             closing[:, :-1]], axis=1)
    np.testing.assert_allclose(before + added[None, :, stock] - eaten, closing, atol=1e-9)
    assert (closing >= -1e-12).all()


def test_mean_path_refuses_a_herd_that_can_run_short():
    with pytest.raises(NotImplementedError, match="can run short"):
        project_mean(compile_params(farm(hay_only(10.0))))


# --------------------------------------------------------------------------------------
# Responses, rule by rule
# --------------------------------------------------------------------------------------

def _breeding_draws(p, t, state, intake):
    """The simulator's breeding pass on ``state`` (one replicate, on a farm, every group's
    window open, conception certain when fully fed)."""
    return kernels.breeding_draws(
        t, state.due, state.sex, state.alive, state.group, np.ones(p.n_groups, bool),
        state.loc, p.is_farm, state.birth, state.lag, state.kidded, p.min_breeding_age_days,
        p.postpartum_interval_days, state.rep, state.uid,
        rng.replicate_keys(3, 1)["breeding"], np.ones((1, p.n_groups)), intake,
        p.feeding.conception_factor_without_feed)


def test_conception_falls_with_the_share_fed():
    """Does fed all, half and none of their energy requirement conceive (with certainty
    when fully fed) in the share 1, 1 - (1 - f0) / 2 and f0 of the sourced factor f0."""
    p = compile_params(farm())
    n = 6000
    state = HerdState(1, 1)
    farm_loc = int(np.flatnonzero(p.is_farm)[0])
    state.append(np.zeros(3 * n, np.int32), birth=-1000, loc=farm_loc)
    intake = np.repeat(np.float32([1.0, 0.5, 0.0]), n)
    rows, conceives = _breeding_draws(p, 0, state, intake)
    assert rows.size == 3 * n                       # all may be bred
    f0 = responses().conception.factor_without_feed.point
    want = np.array([1.0, 1 - (1 - f0) / 2, f0])
    share = conceives.reshape(3, n).mean(axis=1)
    assert share[0] == 1.0
    np.testing.assert_array_less(np.abs(share - want), 4 * np.sqrt(want * (1 - want) / n) + 1e-12)


def test_first_breeding_waits_for_the_growth_missed():
    """A doeling whose growth fell 30.7 days behind is bred 30 days later."""
    p = compile_params(farm())
    state = HerdState(1, 1)
    farm_loc = int(np.flatnonzero(p.is_farm)[0])
    state.append(np.zeros(2, np.int32), birth=0, loc=farm_loc)
    state.lag[:] = [0.0, 30.7]
    t = p.min_breeding_age_days + 10
    for when, bred in ((t, [0]), (t + 19, [0]), (t + 20, [0, 1])):
        rows, _ = _breeding_draws(p, when, state, np.zeros(0, np.float32))
        np.testing.assert_array_equal(rows, bred, err_msg=str(when))


def test_light_kids_die_more():
    """Kids of a dam whose late-pregnancy conceptus was short: the risk of death to
    weaning rises from the breed's at the normal birth weight to the sourced risk at the
    low birth weight (Snyman: 50 % below 2.0 kg)."""
    p = compile_params(farm())
    fp = p.feeding
    n = 40000
    state = HerdState(1, 1)
    dams = state.append(np.zeros(n, np.int32), parity=2, birth=-1000)
    kids = state.append(np.zeros(n, np.int32), birth=500, sex=0)
    state.death_day[:] = np.iinfo(np.int32).max
    state.feed = feeding.FeedState(fp, 1)
    expected = fp.preg_me[fp.preg_first_day:p.gestation_days].sum() * fp.mean_litter[1]
    state.conceptus_short_mj[dams] = expected          # all the late conceptus withheld
    keys = rng.replicate_keys(3, 1)
    day.newborn_risks(500, dams, dams, kids[0], state.rows(0), day.kid_risk(p),
                      keys["feeding"])
    died = (state.death_day[kids] <= 500 + p.weaning_age_days).mean()
    normal = fp.birth_weight_kg[0]
    weight = normal * (1 - fp.late_share_of_birth_weight)
    base = -np.expm1(-p.cum_death_hazard[0, p.weaning_age_days])
    assert base == pytest.approx(0.094)                   # saanen.toml kid_risk_to_weaning
    low = fp.risk_at_low_birth_weight
    risk = min(base + (low - base) * (normal - weight) / (normal - fp.low_birth_weight_kg), low)
    extra = 1 - (1 - risk) / (1 - base)
    assert died == pytest.approx(extra, abs=4 * np.sqrt(extra * (1 - extra) / n))
    assert (state.conceptus_short_mj[dams] == 0).all()       # the debt is paid at kidding


# --------------------------------------------------------------------------------------
# Kid rearing
# --------------------------------------------------------------------------------------

def test_milk_replacer_raises_deliverable_milk_by_the_kids_intake(nampo):
    data = nampo_dict()
    for f in data["farms"]:
        f["kid_rearing"] = {"method": "milk_replacer", "powder_kg_per_kid": 12.0,
                            "powder_price_per_kg": 4.0}
    # point values: the kids' milk is then 1.5 kg in every replicate (the powder below)
    replacer = simulate(build(data).model_copy(update={"horizon_days": 900}), 3, seed=8,
                        parameter_uncertainty=False)
    goat_milk = simulate(nampo.model_copy(update={"horizon_days": 900}), 3, seed=8,
                         parameter_uncertainty=False)
    farms = list(nampo.farm_names)
    a, b = goat_milk.data.sel(farm=farms), replacer.data.sel(farm=farms)
    np.testing.assert_array_equal(a["milk_gross_kg"].values, b["milk_gross_kg"].values)
    assert float(b["milk_fed_kids_kg"].sum()) == 0.0
    total = lambda da: float(da.values.sum(dtype=np.float64))   # noqa: E731 (float32 data)
    gain = total(b["milk_kg"]) - total(a["milk_kg"])
    assert gain == pytest.approx(total(a["milk_fed_kids_kg"]), rel=1e-6)
    assert gain > 0.05 * total(a["milk_kg"])
    # the powder: kids drinking x 12 kg over their milk-feeding days, at 4 per kg; the goat
    # milk they drank is the same kid-days x 1.5 kg but on the few days the does gave less
    p = compile_params(build(data))
    per_day = 12.0 / (p.weaning_age_days - p.colostrum_days)
    powder = float(b["feed_milk_replacer_kg"].sel(farm=farms).sum())
    drank = total(a["milk_fed_kids_kg"]) / p.kid_milk_kg_per_day * per_day
    assert drank <= powder <= 1.01 * drank
    assert float(b["feed_milk_replacer_cost"].sum()) == pytest.approx(4.0 * powder)


def test_kid_rearing_methods_follow_their_data():
    sc = farm(kid_rearing_table={"method": "dam", "male_kids_sold": "after_colostrum"})
    p = compile_params(sc)
    rr = kid_rearing().methods["dam"].kid_mortality_relative_risk.point
    assert p.rearing.kid_risk_ratio[0] == rr == pytest.approx(1.22)
    assert p.rearing.male_sale_age_days[0] == p.colostrum_days
    assert p.rearing.tank_milk[0] and p.rearing.spreads_cae[0]
    assert compile_params(farm()).rearing.follows_policy(compile_params(farm()))
    with pytest.raises(NotImplementedError, match="kid_rearing"):
        project_mean(p)


def test_male_kids_sold_after_their_colostrum():
    from capra.herd.simulate import simulate_events

    ev = simulate_events(farm(kid_rearing_table={"male_kids_sold": "after_colostrum"}),
                         seed=1)
    births = ev["births"].set_index("uid")
    males = births[births["sex"] == "male"]
    sold = ev["sales"].set_index("uid").reindex(males.index).dropna(subset=["date"])
    age = (sold["date"] - males.loc[sold.index, "date"]).dt.days
    assert len(age) > 10 and (age == 4).mean() > 0.9        # colostrum_days of saanen.toml


def test_dam_rearing_kills_more_kids():
    n = 30000
    p = compile_params(farm(kid_rearing_table={"method": "dam"}))
    state = HerdState(1, 1)
    dams = state.append(np.zeros(n, np.int32), parity=2, birth=-1000)
    kids = state.append(np.zeros(n, np.int32), birth=500)
    state.death_day[:] = np.iinfo(np.int32).max
    day.newborn_risks(500, dams, dams, kids[0], state.rows(0), day.kid_risk(p),
                      rng.replicate_keys(1, 1)["feeding"])
    base = -np.expm1(-p.cum_death_hazard[0, p.weaning_age_days])
    rr = p.rearing.kid_risk_ratio[0]
    extra = 1 - (1 - rr * base) / (1 - base)      # the breed's risk x RR in all
    died = (state.death_day[kids] <= 500 + p.weaning_age_days).mean()
    assert died == pytest.approx(extra, abs=4 * np.sqrt(extra * (1 - extra) / n))


# --------------------------------------------------------------------------------------
# Management level
# --------------------------------------------------------------------------------------

def test_the_intensive_preset_is_the_herd_of_today():
    plain = simulate(farm(), 2, seed=4, feed=False)
    intensive = simulate(farm(management={"preset": "intensive"}), 2, seed=4, feed=False)
    for name in DAILY:
        np.testing.assert_array_equal(plain.data[name].values, intensive.data[name].values)


def test_a_preset_sets_the_herds_values():
    values = feed.management_preset("low_input", overrides={"milk_yield_factor": 0.4})
    p = compile_params(farm(management={"preset": "low_input",
                                        "overrides": {"milk_yield_factor": 0.4}}))
    base = compile_params(farm())
    np.testing.assert_allclose(p.milk_table, 0.4 * base.milk_table, rtol=1e-12)
    assert p.min_breeding_age_days == values.min_breeding_age_days.point
    kid = values.kid_mortality_to_weaning.point
    assert 1 - np.exp(-p.cum_death_hazard[0, p.weaning_age_days]) == pytest.approx(kid)
    assert p.feeding.ration_me == values.ration_me_mj_per_kg_dm.point
    assert p.feeding.concentrate_share == values.concentrate_share.point


def test_simulate_refuses_a_bad_replicate_count():
    with pytest.raises(ArgumentError):
        simulate(farm(), 0)


# --------------------------------------------------------------------------------------
# Parameter uncertainty
# --------------------------------------------------------------------------------------

def test_feeding_and_rearing_do_not_depend_on_uncertain_values(nampo):
    """capra.herd.uncertainty takes the feeding and kid rearing from the point values
    (_POINT_ONLY): every replicate's own compilation must give the same."""
    from capra.herd.uncertainty import _equal, draw, uncertain_parameters, with_values

    data = nampo_dict()
    data["farms"][0]["kid_rearing"] = {"method": "dam"}
    data["farms"][1]["kid_rearing"] = {"method": "milk_replacer"}
    data["farms"][2]["feed"] = winter_hay(40.0)
    sc = build(data)
    point = compile_params(sc)
    parameters = uncertain_parameters(sc)
    assert parameters
    for row in draw(parameters, seed=3, replicates=4):
        q = compile_params(with_values(sc, parameters, row))
        assert _equal(q.feeding, point.feeding) and _equal(q.rearing, point.rearing)


def test_the_intensive_preset_keeps_nampos_distributions(nampo):
    short = nampo.model_copy(update={"horizon_days": 400})
    data = nampo_dict()
    data["management"] = {"preset": "intensive"}
    managed = build(data).model_copy(update={"horizon_days": 400})
    a, b = simulate(short, 3, seed=6), simulate(managed, 3, seed=6)
    for name in DAILY:
        np.testing.assert_array_equal(a.data[name].values, b.data[name].values)
    np.testing.assert_array_equal(a.data["parameter_value"].values,
                                  b.data["parameter_value"].values)


def test_does_in_milk_fed_as_kids_under_a_late_weaning_age_go_short_without_error():
    """A weaning age later than the does' age (the limit the scenario allows): the does in
    milk and in late pregnancy are fed as kids, and a shortage's responses pass over
    them (they used to index the weaned animals out of range)."""
    data = one_farm_dict(animals=copy.deepcopy(DOES), capacity=400, horizon_days=400,
                         policy={"lactation": {"weaning_age_days": 14600}})
    data["farms"][0]["feed"] = hay_only(5.0)
    res = simulate(build(data), 2, seed=3)
    assert res.data["feed_me_unmet_mj"].max() > 0
    assert np.isfinite(res.data["milk_kg"].values).all()
    assert (res.data["milk_kg"].values >= 0).all()
