"""The stochastic herd simulator: accounting, reproducibility, and checks against theory."""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from capra.herd.simulate import simulate, simulate_events

from herd_scenarios import build, nampo_dict, one_farm_dict

FLOWS_IN = ("births", "arrivals", "transfers_in")
FLOWS_OUT = ("deaths", "sales", "culls", "transfers_out")
CLASSES = ("kids", "doelings", "bucklings", "bucks", "does_in_milk", "does_dry")


@pytest.fixture(scope="module")
def nampo_run(nampo):
    return simulate(nampo, replicates=6, seed=11, batch_size=4)


def test_stock_balance_every_day_every_replicate(nampo_run):
    ds = nampo_run.data
    head = ds["head"].values.astype(np.int64)
    prev = np.concatenate([np.zeros_like(head[:, :1]), head[:, :-1]], axis=1)
    change = sum(ds[v].values.astype(np.int64) for v in FLOWS_IN) - sum(
        ds[v].values.astype(np.int64) for v in FLOWS_OUT)
    np.testing.assert_array_equal(head, prev + change)
    # the run really exercised every flow
    for v in FLOWS_IN + FLOWS_OUT:
        assert ds[v].values.sum() > 0, v


def test_no_negative_counts_and_classes_sum_to_head(nampo_run):
    ds = nampo_run.data
    for v in ds.data_vars:
        assert ds[v].values.min() >= 0, v
    total = sum(ds[c].values for c in CLASSES)
    np.testing.assert_array_equal(total, ds["head"].values)
    assert (ds["does_pregnant"].values <= ds["head"].values).all()
    # milk accounting: deliverable = gross - colostrum - quarantine - fed to kids (>= 0)
    net = (ds["milk_gross_kg"] - ds["milk_colostrum_kg"] - ds["milk_quarantine_kg"]
           - ds["milk_fed_kids_kg"])
    np.testing.assert_allclose(ds["milk_kg"].values, np.maximum(net.values, 0), atol=1e-3)


def test_capacity_kept_by_the_replacement_rule(nampo_run):
    ds = nampo_run.data
    farms = ds["kind"].values == "farm"
    kept = (ds["doelings"] + ds["does_in_milk"] + ds["does_dry"] + ds["bucks"]).isel(
        farm=np.flatnonzero(farms))
    cap = ds["capacity_head"].values[farms]
    # the kept herd (kids and young males awaiting sale aside) never exceeds capacity ...
    assert (kept.values <= cap[None, None, :]).all()
    # ... and the rule keeps farms near their target once the herd has grown
    last_year = kept.isel(date=slice(-365, None)).mean(("replicate", "date")).values
    assert (last_year > 0.85 * cap).all()


def test_replacement_counts_kept_after_the_surplus_moves_are_a_recount(nampo, monkeypatch):
    """The males' keep-or-sell decision reuses the head counts taken before the surplus
    doelings moved or were sold (they are counted in none of them); counting again every
    time gives the same herd."""
    from capra.herd import rule_kernels

    as_is = simulate(nampo, replicates=2, seed=5, parameter_uncertainty=False)
    moved = as_is.data["transfers_in"].sum().item(), as_is.data["sales"].sum().item()
    assert moved[0] > 0 and moved[1] > 0            # the surplus did move and go
    monkeypatch.setattr(rule_kernels, "doelings_breed", lambda p: True)
    again = simulate(nampo, replicates=2, seed=5, parameter_uncertainty=False)
    for name in ("head", "sales", "transfers_in", "bucks", "milk_kg"):
        np.testing.assert_array_equal(again.data[name].values, as_is.data[name].values)


def test_same_seed_same_numbers_any_batching(nampo, monkeypatch):
    short = nampo.model_copy(update={"horizon_days": 500})
    a = simulate(short, replicates=5, seed=3, batch_size=5)
    b = simulate(short, replicates=5, seed=3, batch_size=2)
    # nor on how often the removed animals' rows are dropped (rows in another order)
    monkeypatch.setattr(importlib.import_module("capra.herd.simulate"), "COMPACT_EVERY_DAYS", 1)
    c = simulate(short, replicates=5, seed=3, batch_size=5)
    for v in a.data.data_vars:
        np.testing.assert_array_equal(a.data[v].values, b.data[v].values, err_msg=v)
        np.testing.assert_array_equal(a.data[v].values, c.data[v].values, err_msg=v)


@pytest.mark.parametrize("engine", ["processes", "threads"])
def test_same_seed_same_numbers_in_processes_or_threads(nampo, engine):
    short = nampo.model_copy(update={"horizon_days": 400})
    a = simulate(short, replicates=4, seed=5, batch_size=4)
    b = simulate(short, replicates=4, seed=5, batch_size=1, engine=engine, workers=2)
    for v in a.data.data_vars:
        np.testing.assert_array_equal(a.data[v].values, b.data[v].values, err_msg=v)


def test_different_seed_different_numbers(nampo):
    short = nampo.model_copy(update={"horizon_days": 400})
    a = simulate(short, replicates=2, seed=1)
    b = simulate(short, replicates=2, seed=2)
    assert not np.array_equal(a.data["head"].values, b.data["head"].values)
    # replicates within a run differ too
    assert not np.array_equal(a.data["head"].values[0], a.data["head"].values[1])


def test_survival_without_births_follows_constant_hazard():
    risk = 0.30
    data = one_farm_dict(
        horizon_days=730,
        animals=[{"count": 4000, "sex": "male", "age_months_min": 24, "age_months_max": 30}],
        breed_overrides={"mortality": {"adult_male_risk_per_year": risk}},
        policy={"replacement": {"buck_max_age_days": 10000}})
    sc = build(data)
    res = simulate(sc, replicates=3, seed=7)
    head = res.total("head").values.astype(float)          # (replicate, day)
    n0 = 4000
    t = np.arange(head.shape[1])
    p = 1.0 - (1.0 - risk) ** (1.0 / 365.25)                 # compounds to `risk` a year
    expected = n0 * (1 - p) ** (t + 1)                      # risk from the arrival day
    # binomial sampling error of the mean of 3 replicates
    se = np.sqrt(n0 * (1 - p) ** (t + 1) * (1 - (1 - p) ** (t + 1)) / 3)
    z = (head.mean(axis=0) - expected) / np.maximum(se, 1e-9)
    assert np.abs(z).max() < 4.5
    # and after one year: exp(-rate t) with the annual hazard
    one_year = head[:, 365].mean() / n0
    assert one_year == pytest.approx(np.exp(np.log1p(-risk) * 366 / 365.25), abs=0.015)
    assert res.data["births"].values.sum() == 0


def _kiddings_by_month(result, skip_days=365):
    k = result.total("kiddings").isel(date=slice(skip_days, None))
    return k.groupby("date.month").sum().sum("replicate").to_series()


def test_natural_season_kiddings_fall_in_january_to_may():
    data = nampo_dict()
    data["policy"].pop("breeding_groups")           # one natural group all year
    sc = build(data)
    res = simulate(sc, replicates=4, seed=2)
    by_month = _kiddings_by_month(res)
    share = by_month.loc[1:5].sum() / by_month.sum()
    assert by_month.sum() > 1000
    assert share >= 0.80


def test_two_groups_half_a_year_apart_raise_the_trough():
    base = nampo_dict()
    base["policy"].pop("breeding_groups")
    one = simulate(build(base), replicates=4, seed=4)
    two_groups = nampo_dict()
    two_groups["policy"]["breeding_groups"] = [
        {"name": "autumn", "share": 0.5, "method": "natural", "window_start": "09-01",
         "window_days": 90},
        {"name": "spring", "share": 0.5, "method": "induced", "window_start": "03-01",
         "window_days": 90, "conception_rate_per_cycle": 0.6}]
    two = simulate(build(two_groups), replicates=4, seed=4)
    m1 = one.monthly_daily_milk().mean("replicate")
    m2 = two.monthly_daily_milk().mean("replicate")
    trough = int(m1.idxmin())
    assert float(m2.sel(month=trough)) > 1.5 * float(m1.sel(month=trough))
    assert float(m2.min()) > float(m1.min())


def test_quarantine_holds_animals_then_moves_them(nampo):
    res = simulate(nampo.model_copy(update={"horizon_days": 120}), replicates=2, seed=9)
    ds = res.data
    rason = ds["head"].sel(farm="Rason")
    arrival = (np.datetime64("2024-08-20") - np.datetime64("2024-08-01")).astype(int)
    assert int(ds["arrivals"].sel(farm="Rason").isel(date=arrival).sum()) == 2 * 447
    # held through the quarantine and the journey to the farms (the reactors of the tests
    # culled, deaths, kids born), then moved on
    off_farm = nampo.batches[0].quarantine_days + nampo.batches[0].transit_days
    held = ds.sel(farm="Rason").isel(date=slice(arrival, arrival + off_farm))
    change = (held["arrivals"] + held["births"] - held["deaths"] - held["culls"]).cumsum("date")
    np.testing.assert_array_equal(held["head"].values, change.values)
    assert (held["head"].values > 300).all()
    assert (rason.isel(date=slice(arrival + off_farm, None)).values == 0).all()
    moved = int(ds["transfers_out"].sel(farm="Rason").sum())
    assert moved == int(ds["transfers_in"].sum()) > 0
    # quarantine milk is discarded, never delivered
    assert float(ds["milk_kg"].sel(farm="Rason").sum()) == 0


def test_result_exports_round_trip(tmp_path, nampo_run):
    nc = nampo_run.save(tmp_path / "r.nc")
    back = type(nampo_run).load(nc)
    np.testing.assert_array_equal(back.data["head"].values, nampo_run.data["head"].values)
    csv = nampo_run.save(tmp_path / "r.csv")
    import pandas as pd
    frame = pd.read_csv(csv)
    assert len(frame) == nampo_run.data["head"].size
    assert frame["head"].sum() == int(nampo_run.data["head"].sum())
    pq = nampo_run.save(tmp_path / "r.parquet")
    assert pd.read_parquet(pq)["milk_kg"].sum() == pytest.approx(float(nampo_run.data["milk_kg"].sum()), rel=1e-5)
    with pytest.raises(ValueError, match="unknown result format"):
        nampo_run.save(tmp_path / "r.xyz")


def test_summary_quantiles_are_ordered(nampo_run):
    s = nampo_run.summary_table()
    assert (s["p10"] <= s["p50"]).all() and (s["p50"] <= s["p90"]).all()
    # the same figures as text for the terminal, one line per metric under a title
    lines = nampo_run.summary().splitlines()
    assert lines[0] == "nampo: 6 replicates, 1826 days"
    assert lines[1].split() == ["metric", "p10", "p50", "p90"]
    final = next(line for line in lines if line.startswith("final head [head]"))
    assert final.split()[-1] == f"{s.loc['final head [head]', 'p90']:,.0f}"
    assert len(lines) == 2 + len(s)
    d = nampo_run.summary_dict()
    assert set(d["milk"]["daily_kg_by_month"]) == set(range(1, 13))
    m = d["milk"]["daily_kg_by_month"][3]
    r = d["rations_per_day_by_month"][3]
    # a school child's serving of fresh milk: 206 g, 1.02 kg of milk per kg (products.toml)
    assert r["p50"] == pytest.approx(m["p50"] / (0.206 * 1.02))
    assert d["rations_200ml_per_day_by_month"] == d["rations_per_day_by_month"]


def test_same_seed_same_numbers_on_a_dask_cluster(nampo):
    pytest.importorskip("dask.distributed")
    short = nampo.model_copy(update={"horizon_days": 200})
    a = simulate(short, replicates=3, seed=8, batch_size=3)
    b = simulate(short, replicates=3, seed=8, batch_size=1, engine="dask", workers=2)
    for v in a.data.data_vars:
        np.testing.assert_array_equal(a.data[v].values, b.data[v].values, err_msg=v)


def test_event_log_matches_the_counts(nampo):
    from capra.herd.simulate import simulate_events
    short = nampo.model_copy(update={"horizon_days": 700})
    ev = simulate_events(short, seed=3, replicate=1)
    res = simulate(short, replicates=2, seed=3)
    one = res.data.isel(replicate=1)
    for event, flow in [("births", "births"), ("deaths", "deaths"), ("sales", "sales"),
                        ("culls", "culls"), ("kiddings", "kiddings"), ("arrivals", "arrivals"),
                        ("abortions", "abortions"), ("conceptions", "conceptions")]:
        assert len(ev[event]) == int(one[flow].sum()), event
    assert len(ev["transfers"]) == int(one["transfers_out"].sum())
    # every kid's dam kidded that day; litter sizes add up to live + stillborn kids
    k = ev["kiddings"]
    assert set(zip(ev["births"]["date"], ev["births"]["dam"])) <= set(zip(k["date"], k["uid"]))
    assert k["litter"].sum() == len(ev["births"]) + len(ev["stillbirths"])
    # nobody has an event after leaving the herd
    gone = pd.concat([ev[e][["date", "uid"]] for e in ("deaths", "sales", "culls")])
    last = gone.groupby("uid")["date"].min()
    tests = ev["test_days"].merge(last.rename("gone"), left_on="uid", right_index=True)
    assert (tests["date"] <= tests["gone"]).all()
    assert (ev["test_days"]["milk_kg"] > 0).all()


def test_a_buck_gets_does_per_buck_does_pregnant_in_a_season():
    does = {"count": 300, "sex": "female", "age_months_min": 20, "age_months_max": 30,
            "parity": 1}
    one_buck = {"count": 1, "sex": "male", "age_months_min": 20, "age_months_max": 30}
    sc = build(one_farm_dict(horizon_days=200, animals=[does, one_buck]))
    assert sc.breed.reproduction.does_per_buck == 30
    res = simulate(sc, replicates=3, seed=1)
    per_day = res.data["conceptions"].sel(farm="Farm").values
    # one window in these 200 days: at most 30 does pregnant, and the cap binds (300 does)
    assert (per_day.sum(axis=1) == 30).all()
    # with plenty of bucks the same does conceive by the hundred
    many = build(one_farm_dict(horizon_days=200, animals=[does, {**one_buck, "count": 20}]))
    fast = simulate(many, replicates=3, seed=1).data["conceptions"].sel(farm="Farm").values
    assert (fast.sum(axis=1) > 150).all()


def test_each_window_is_a_season_of_its_own():
    # two groups with a window each: the one buck gets 30 does pregnant in each
    does = {"count": 300, "sex": "female", "age_months_min": 20, "age_months_max": 30,
            "parity": 1}
    one_buck = {"count": 1, "sex": "male", "age_months_min": 20, "age_months_max": 30}
    groups = [{"name": g, "share": 0.5, "method": "induced", "window_start": start,
               "window_days": 25, "conception_rate_per_cycle": 0.6}
              for g, start in (("a", "09-01"), ("b", "10-15"))]
    sc = build(one_farm_dict(horizon_days=150, animals=[does, one_buck], groups=groups))
    res = simulate(sc, replicates=2, seed=4)
    c = res.data["conceptions"].sel(farm="Farm").to_series().unstack("replicate")
    assert (c.loc["2024-09-01":"2024-09-25"].sum() == 30).all()
    assert (c.loc["2024-10-15":"2024-11-08"].sum() == 30).all()
    assert (c.sum() == 60).all()


def test_no_bucks_no_natural_service_but_ai_works():
    does = {"count": 200, "sex": "female", "age_months_min": 20, "age_months_max": 30,
            "parity": 1}
    natural = build(one_farm_dict(horizon_days=300, animals=[does]))
    assert int(simulate(natural, replicates=2, seed=1).data["conceptions"].sum()) == 0
    ai = build(one_farm_dict(horizon_days=300, animals=[does], groups=[
        {"name": "ai", "share": 1.0, "method": "ai", "window_start": "10-01",
         "window_days": 30, "conception_rate_per_cycle": 0.6}]))
    res = simulate(ai, replicates=4, seed=1)
    c = res.data["conceptions"].sel(farm="Farm")
    day = (np.datetime64("2024-10-01") - np.datetime64("2024-08-01")).astype(int)
    first = c.isel(date=day).values
    assert c.sum().values == first.sum()            # all on the insemination day
    # binomial: 60 % of the does alive on that day
    alive = res.data["head"].sel(farm="Farm").isel(date=day - 1).values
    assert abs(first.sum() / alive.sum() - 0.6) < 4 * np.sqrt(0.24 / alive.sum())


def test_kids_drink_colostrum_first_and_milk_only_after_it():
    # does kidding in early September: each day the milk fed to kids is 1.5 kg for every
    # kid past its colostrum days and not yet weaned, counted from the event log
    from capra.herd.simulate import simulate_events

    does = {"count": 60, "sex": "female", "age_months_min": 20, "age_months_max": 30,
            "parity": 1, "pregnant": True, "kidding_from": "2024-09-01",
            "kidding_to": "2024-09-10"}
    sc = build(one_farm_dict(horizon_days=120, animals=[does]))
    cd = sc.breed.lactation.colostrum_days
    wean = sc.policy.lactation.weaning_age_days
    res = simulate(sc, replicates=1, seed=6)
    fed = res.data["milk_fed_kids_kg"].sel(farm="Farm").isel(replicate=0).values
    ev = simulate_events(sc, seed=6, replicate=0)
    born = ev["births"].set_index("uid")["date"]
    gone = pd.concat([ev[e][["uid", "date"]] for e in ("deaths", "sales", "culls")
                      if e in ev]).groupby("uid")["date"].min()
    days = pd.date_range(sc.start_date, periods=120)
    age = (days.values[:, None] - born.values[None, :]).astype("timedelta64[D]").astype(int)
    left = gone.reindex(born.index).to_numpy("datetime64[D]")
    alive = np.isnat(left)[None, :] | (days.values[:, None] < left[None, :])
    drinking = ((age >= cd) & (age < wean) & alive).sum(axis=1)
    available = (res.data["milk_gross_kg"] - res.data["milk_colostrum_kg"]).sel(
        farm="Farm").isel(replicate=0).values
    expected = np.minimum(drinking * sc.policy.lactation.kid_milk_kg_per_day, available)
    np.testing.assert_allclose(fed, expected, rtol=1e-5, atol=1e-3)
    # the first colostrum days of the first kids: colostrum, no milk for them yet
    first = int(np.flatnonzero(res.data["births"].sel(farm="Farm").isel(replicate=0).values)[0])
    assert fed[first] == 0 and res.data["milk_colostrum_kg"].isel(replicate=0).sum() > 0


@pytest.mark.parametrize("kwargs,field", [({"replicates": 0}, "replicates"),
                                          ({"replicates": 3, "batch_size": 0}, "batch_size")])
def test_no_replicates_or_empty_batches_are_refused_by_name(nampo, kwargs, field):
    from capra.errors import ArgumentError

    with pytest.raises(ArgumentError, match=f"^{field}: expected at least 1"):
        simulate(nampo, **kwargs)


def test_recorders_arrays_are_refused_for_engines_of_other_processes(nampo):
    """A batch's arrays of the run's results can be written in place only in this
    process: handed to local processes or Dask, the call is refused, not run with results
    written into copies that are lost."""
    from capra.errors import ArgumentError
    from capra.herd import processes as pr
    from capra.herd.params import compile_params
    from capra.herd.simulate import run_batches

    p = compile_params(nampo)
    blocks = [pr.Recorder.blocks(1, p.n_days, p.n_locations)]
    for engine in ("processes", "dask"):
        with pytest.raises(ArgumentError, match=f"engine '{engine}'.*this process"):
            run_batches(p, [[0]], 1, lambda i, part: None, engine=engine, blocks=blocks)


def _bucks_from_male_kids(horizon_days: int, buck_max_age_days: int) -> dict:
    """One farm of does in milk and three young bucks, the bucks of later years kept from
    the male kids."""
    return one_farm_dict(
        horizon_days=horizon_days,
        animals=[{"count": 120, "sex": "female", "age_months_min": 24, "age_months_max": 40,
                  "parity": 1, "lactating": True, "days_in_milk": 20},
                 {"count": 3, "sex": "male", "age_months_min": 8, "age_months_max": 9}],
        groups=[{"name": "season", "share": 1.0, "method": "natural", "window_start": "09-01",
                 "window_days": 60}],
        policy={"replacement": {"buck_max_age_days": buck_max_age_days}})


def test_male_kids_kept_as_bucks_retire_at_the_stated_age():
    """A male kid kept as a buck at his keep-or-sell age is culled on the day he reaches
    ``buck_max_age_days`` (his retirement is put on his agenda when he is kept)."""
    retire = 420
    data = _bucks_from_male_kids(1000, retire)
    ev = simulate_events(build(data), seed=3, replicate=0, parameter_uncertainty=False)
    births = ev["births"]
    males = births[births["sex"] == "male"].set_index("uid")["date"]
    gone = pd.concat([ev[k][["uid", "date"]] for k in ("culls", "deaths", "sales")])
    culled = ev["culls"].set_index("uid")["date"]
    sold = set(ev["sales"]["uid"])
    kept = [u for u in males.index if u not in sold]
    retired = [u for u in kept if u in culled.index
               and (culled[u] - males[u]).days == retire]
    assert len(retired) >= 2
    end = pd.Timestamp(data["start_date"]) + pd.Timedelta(days=data["horizon_days"] - 1)
    for u in kept:                     # none outlives his retirement age
        left = gone.loc[gone["uid"] == u, "date"]
        last = left.iloc[0] if left.size else end
        assert (last - males[u]).days <= retire, u


def test_the_agenda_by_next_days_is_the_full_agenda_every_day(nampo, monkeypatch):
    """Every day of a simulation, the agenda that looks only at the animals whose next day
    has come is the agenda of every animal: no rule that sets a day of an event left an
    animal's next day too late (nampo: kiddings, conceptions, culls, deaths, bucks bought;
    a farm short of hay: deaths of starvation; male kids kept as bucks: retirements)."""
    from test_feeding import farm, hay_only

    from capra.herd import kernels, processes

    agenda = kernels.agenda
    days = []

    def both(t, next_day, *fields):
        full = agenda(t, np.full(next_day.size, -1, np.int32), *fields)
        got = agenda(t, next_day, *fields)
        for x, y in zip(got, full):
            np.testing.assert_array_equal(x, y, err_msg=f"day {t}")
        days.append(got[0].size)
        return got

    monkeypatch.setattr(processes, "COMPILED_DAYS", False)      # the stages from Python
    monkeypatch.setattr(kernels, "agenda", both)
    bucks = _bucks_from_male_kids(900, 420)
    short = simulate(farm(hay_only(5.0), horizon_days=800), 2, seed=7)
    assert short.data["deaths"].sum() > 0 and short.data["feed_me_unmet_mj"].max() > 0
    simulate(build(bucks), 2, seed=3)
    simulate(nampo.model_copy(update={"horizon_days": 600}), 3, seed=2)
    assert len(days) == 800 + 900 + 600 and sum(days) > 0


def test_outbreak_draws_in_spans_are_those_of_every_row(nampo, monkeypatch):
    """Every day with an outbreak, the deaths and abortions among the rows of the
    replicates with one (HerdState.spans) are those among every row (no replicate's rows
    grouped: one span of every row), on a copy of the herd."""
    from capra.herd import day, kernels, processes

    outbreaks = day.outbreaks
    days = []

    def both(t, ob, rows, n, rep_rows, grouped, key, gestation_days, cull, counts):
        on, active, survive, keep, _, spans = kernels.outbreak_cells(
            t, ob.rep, ob.loc, ob.kind, ob.start, ob.end, ob.death_daily, ob.abortion_daily,
            ob.milk_factor, rep_rows, grouped, n, counts[day.OUTBREAK_STARTS].copy(),
            counts.shape[2])
        every = kernels.outbreak_draws(
            t, np.array([[0, n]]), active, survive, keep, rows.cell, rows.alive.copy(),
            rows.rep, rows.uid, rows.due, key, gestation_days,
            day.ABORTION_FROM_GESTATION_DAY, day.SLOT_OUTBREAK_DEATH,
            day.SLOT_OUTBREAK_ABORTION)
        got = outbreaks(t, ob, rows, n, rep_rows, grouped, key, gestation_days, cull, counts)
        for x, y in zip(got[1:3], every):
            np.testing.assert_array_equal(x, y, err_msg=f"day {t}")
        if on:
            days.append((spans[:, 1] - spans[:, 0]).sum() < n)
        return got

    monkeypatch.setattr(processes, "COMPILED_DAYS", False)      # the stages from Python
    monkeypatch.setattr(day, "outbreaks", both)
    res = simulate(nampo.model_copy(update={"horizon_days": 900}), 6, seed=4)
    assert res.data["outbreak_deaths"].sum() > 0 and any(days) and len(days) > 50
