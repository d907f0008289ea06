"""The compiled stages of the day (capra.herd.day) against the rules written as NumPy
expressions, and the day in compiled calls against the stages called one by one: the
same herd to the bit."""

import dataclasses

import numpy as np
import pytest

from capra.herd import day, rng
from capra.herd.params import compile_params
from capra.herd.state import HerdState

from herd_scenarios import build, one_farm_dict


def _newborn_risks_numpy(rows, t, p, key, dams, kid_dam, kids, light_possible):
    """The extra risks of newborn kids as NumPy expressions over the kids (the rule of
    docs/herd-model.md, "Kid rearing" and "Feed")."""
    rearing, fp = p.rearing, p.feeding
    short = rows.conceptus_short_mj[kid_dam] if light_possible else None
    rr = rearing.kid_risk_ratio[rows.loc[kid_dam]]
    light = short is not None and bool(short.any())
    if kids.size and ((rr > 1.0).any() or light):
        cum = p.varying["cum_death_hazard"][rows.rep[kids], rows.sex[kids].astype(np.int64),
                                            p.weaning_age_days]
        base = -np.expm1(-cum)
        risk = np.minimum(rr * base, 1.0)
        if light:
            parous = (rows.parity[kid_dam] > 1).astype(np.int64)
            expected = (fp.preg_me[fp.preg_first_day:p.gestation_days].sum()
                        * fp.mean_litter[parous])
            withheld = np.clip(short / expected, 0.0, 1.0)
            normal = fp.birth_weight_kg[rows.sex[kids].astype(np.int64)]
            weight = normal * (1.0 - fp.late_share_of_birth_weight * withheld)
            low = fp.risk_at_low_birth_weight
            span = np.maximum(normal - fp.low_birth_weight_kg, 1e-9)
            risk = np.maximum(risk, risk + (np.maximum(low, risk) - risk)
                              * np.clip((normal - weight) / span, 0.0, 1.0))
        extra = np.where(risk > base, 1.0 - (1.0 - risk) / np.maximum(1.0 - base, 1e-12),
                         0.0)
        hit = np.flatnonzero(extra > 0)
        k, uid = rows.rep[kids[hit]], rows.uid[kids[hit]]
        dies = rng.uniform(key[k], uid, t, slot=1) < extra[hit]
        when = t + 1 + np.floor(rng.uniform(key[k], uid, t, slot=2)
                                * p.weaning_age_days).astype(np.int64)
        gone, when = kids[hit][dies], when[dies]
        rows.death_day[gone] = np.minimum(rows.death_day[gone], when)
    if light_possible:
        rows.conceptus_short_mj[dams] = 0.0


@pytest.mark.parametrize("method", ["dam", "milk_replacer"])
def test_newborn_risks_are_the_rule_on_arrays(method):
    """Kids of two replicates with their own hazards, of both sexes, on farms of two kid
    rearing methods, some of dams whose conceptus went short: the compiled rule and the
    NumPy one kill the same kids on the same days."""
    does = {"count": 50, "sex": "female", "age_months_min": 18, "age_months_max": 40}
    data = one_farm_dict(horizon_days=900, animals=[does])
    data["farms"].append({**data["farms"][0], "name": "Other",
                          "kid_rearing": {"method": method}})
    p = compile_params(build(data))
    rr = p.rearing.kid_risk_ratio
    assert p.feeding is not None and rr[0] == 1 and (rr[1] > 1) == (method == "dam")
    hazard = p.cum_death_hazard[None] * np.array([1.0, 1.6])[:, None, None]
    p = dataclasses.replace(p, varying={**p.varying, "cum_death_hazard": hazard})
    g = np.random.default_rng(2)
    n, T = 6000, 500
    state = HerdState(2, p.n_locations)
    rep = g.integers(0, 2, n).astype(np.int32)
    loc = g.integers(0, 2, n)
    dams = state.append(rep, parity=g.integers(1, 4, n), birth=-1000, loc=loc)
    kids = state.append(rep, birth=T, sex=g.integers(0, 2, n), loc=loc)
    state.death_day[:] = np.where(g.random(2 * n) < 0.1, T + 3, np.iinfo(np.int32).max)
    late = (p.feeding.preg_me[p.feeding.preg_first_day:p.gestation_days].sum()
            * p.feeding.mean_litter[1])
    state.conceptus_short_mj[dams] = np.where(g.random(n) < 0.4, g.random(n) * late * 1.3, 0)
    keys = rng.replicate_keys(4, 2)["feeding"]
    want = HerdState(2, p.n_locations)
    want.append(np.zeros(2 * n, np.int32))
    for name in want._buf:
        want._buf[name][:] = state._buf[name][:2 * n]
    _newborn_risks_numpy(want.rows(0), T, p, keys, dams, dams, kids, True)
    day.newborn_risks(T, dams, dams, kids[0], state.rows(0), day.kid_risk(p), keys)
    np.testing.assert_array_equal(state.death_day, want.death_day)
    np.testing.assert_array_equal(state.conceptus_short_mj, want.conceptus_short_mj)
    changed = state.death_day[kids] <= T + p.weaning_age_days
    assert 0.02 < changed.mean() < 0.6 and (state.conceptus_short_mj == 0).all()


def _scenarios(nampo):
    """Scenarios that take every stage and every stop of the compiled day: nampo (batches
    in quarantine, outbreaks, tests, parameter uncertainty; without the health processes,
    a release from quarantine found by the day's agenda), a farm whose hay runs short
    (the responses to a shortage), male kids kept as bucks with lactating arrivals, an AI
    group, bucks bought, and kids on milk replacer at the dam's farm."""
    from test_feeding import farm, hay_only
    from test_simulate import _bucks_from_male_kids

    does = {"count": 80, "sex": "female", "age_months_min": 18, "age_months_max": 40,
            "parity": 1}
    ai = one_farm_dict(horizon_days=500, animals=[does], groups=[
        {"name": "ai", "share": 0.5, "method": "ai", "window_start": "10-01",
         "window_days": 40, "conception_rate_per_cycle": 0.6},
        {"name": "season", "share": 0.5, "method": "natural", "window_start": "09-01",
         "window_days": 60}], policy={"bucks": {"source": "bought",
                                                 "purchase_date": "08-20"}})
    from capra.scenario.health import Health

    return {"nampo": nampo.model_copy(update={"horizon_days": 700}),
            "nampo without health": nampo.model_copy(update={"horizon_days": 500,
                                                             "health": Health()}),
            "short of hay": farm(hay_only(5.0), horizon_days=700),
            "kept bucks": build(_bucks_from_male_kids(700, 420)),
            "ai and bought bucks": build(ai),
            "milk replacer": farm(kid_rearing_table={"method": "milk_replacer",
                                                     "male_kids_sold": "after_colostrum"},
                                  horizon_days=600)}


def test_the_compiled_day_is_the_stages_one_by_one(nampo, monkeypatch):
    """Every output of every day, every replicate: the same to the bit whether the days
    run in compiled calls (stopping for the Python stages) or stage by stage from
    Python."""
    from capra.herd import processes
    from capra.herd.simulate import simulate

    stops = []
    run = day.run

    def counted(*args):
        out = run(*args)
        stops.append(out[1])
        return out

    for name, sc in _scenarios(nampo).items():
        monkeypatch.setattr(day, "run", counted)
        one_call = simulate(sc, 3, seed=5, batch_size=2)
        monkeypatch.setattr(processes, "COMPILED_DAYS", False)
        by_stage = simulate(sc, 3, seed=5, batch_size=2)
        monkeypatch.setattr(processes, "COMPILED_DAYS", True)
        assert set(one_call.data.data_vars) == set(by_stage.data.data_vars)
        for var in one_call.data.data_vars:
            np.testing.assert_array_equal(one_call.data[var].values,
                                          by_stage.data[var].values, err_msg=f"{name} {var}")
        assert one_call.data["head"].values.sum() > 0
    # every Python stage was stopped for
    assert set(stops) == set(day.PYTHON_STAGES) | {day.END}


def test_one_compiled_day_for_feed_on_and_off(nampo):
    """The day is compiled once whatever the scenario: the feeding off, or no health
    processes, hand over empty records of the same types (a second version of the kernel
    would cost its whole compile again), and the recorder's arrays are handed over as
    their memory, shape and strides whatever their layout (a day's outputs of one day
    only, or of one replicate at one location, are contiguous views). (In one process:
    other tests of this process may only call it with the same types.)"""
    from capra.herd.simulate import simulate
    from capra.scenario.health import Health

    sc = nampo.model_copy(update={"horizon_days": 40})
    for kwargs in ({}, {"feed": False}, {"parameter_uncertainty": False}):
        simulate(sc, 2, seed=1, **kwargs)
    simulate(sc.model_copy(update={"health": Health()}), 2, seed=1)
    does = {"count": 30, "sex": "female", "age_months_min": 18, "age_months_max": 40}
    simulate(build(one_farm_dict(horizon_days=40, animals=[does])), 2, seed=1)  # no health
    simulate(build(one_farm_dict(horizon_days=40, animals=[does])), 1, seed=1)  # one place
    simulate(sc.model_copy(update={"horizon_days": 1}), 2, seed=1)              # one day
    simulate(sc, 3, seed=1, batch_size=2)                   # a part of the run's arrays
    assert len(day.run.signatures) == 1


def test_the_compiled_day_times_its_stages(nampo):
    """The compiled day's clock (for ``bench/herd.py --stages``): every stage that runs
    every day counts ticks, and the stages' ticks fit within the run's."""
    from capra.compiled import cycles_now
    from capra.herd.simulate import simulate

    if cycles_now() == 0:
        pytest.skip("this processor has no cycle counter")
    sc = nampo.model_copy(update={"horizon_days": 60})
    simulate(sc, 2, seed=1, engine="serial")                  # compiled before the clock
    day.STAGE_CYCLES[:] = 0
    before = cycles_now()
    simulate(sc, 2, seed=1, engine="serial")
    elapsed = cycles_now() - before
    ticks = dict(zip(day.TIMED_STAGES, day.STAGE_CYCLES.tolist()))
    for stage in ("agenda", "removals", "births", "outbreaks", "breeding", "dry-off",
                  "replacement", "census and feed", "milk"):
        assert ticks[stage] > 0, stage
    assert 0 < sum(ticks.values()) < elapsed


def test_the_days_conception_probabilities_are_the_rule_of_the_mean_path(nampo):
    """Every day, the probabilities of conception by group (each replicate's own tables,
    under parameter uncertainty; AI on a group's first day) are those of
    capra.herd.rules.conception_probability, which the mean path applies."""
    from capra.herd import rules
    from capra.herd.uncertainty import ParameterDraws

    ai = _scenarios(nampo)["ai and bought bucks"]
    cases = [(compile_params(ai), 1)]
    p = compile_params(nampo)
    cases.append((ParameterDraws.of(nampo).batch(p, [0, 1, 2], 4), 3))
    for p, n_rep in cases:
        rule = day.day_rules(p, n_rep).breeding
        seen_ai = False
        for t in range(p.n_days):
            got, by_ai = day.conception_today(t, rule, n_rep)
            want, want_ai = rules.conception_probability(
                p, t, service_probability=p.varying.get("service_probability"),
                ai_probability=p.varying.get("ai_probability"),
                conception_factor_by_day=p.varying.get("conception_factor_by_day"))
            np.testing.assert_array_equal(by_ai, want_ai)
            np.testing.assert_array_equal(got, np.broadcast_to(want, got.shape))
            assert got.shape[0] == (n_rep if np.ndim(want) == 2 else 1)
            seen_ai |= bool(by_ai.any())
        assert seen_ai == (n_rep == 1)            # the AI group's first days
