"""Breeding stock (capra.herd.bucks): bucks rotating between farms, bucks bought in, and
the expected inbreeding against Wright's formula."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from capra.errors import ScenarioError
from capra.herd.bucks import effective_size, inbreeding, inbreeding_dict, inbreeding_rate
from capra.herd.simulate import simulate, simulate_events

from herd_scenarios import build

START = dt.date(2024, 8, 1)


def herd(bucks_per_farm=(6, 6, 6), does_per_farm=120, bucks=None, horizon_days=200,
         kidding=None):
    """Three farms, each receiving its own batch of does and bucks on the first day
    (``kidding``: the does arrive pregnant, kidding between these two dates)."""
    farms = ["A", "B", "C"]
    batches = []
    for f, nb in zip(farms, bucks_per_farm, strict=True):
        does = {"count": does_per_farm, "sex": "female", "age_months_min": 20,
                "age_months_max": 40, "parity": 1}
        if kidding:
            does.update(pregnant=True, kidding_from=kidding[0], kidding_to=kidding[1])
        animals = [does]
        if nb:
            animals.append({"count": nb, "sex": "male", "age_months_min": 12,
                            "age_months_max": 24})
        batches.append({
            "name": f"to {f}", "arrival_date": START, "arrival_place": f,
            "quarantine_days": 0, "destinations": [f], "animals": animals})
    data = {"name": "bucks", "start_date": START, "horizon_days": horizon_days,
            "breed": "saanen",
            "farms": [{"name": f, "district": "D", "capacity_head": 100_000,
                       "latitude": 38.9, "longitude": 125.5} for f in farms],
            "batches": batches, "policy": {}}
    if bucks is not None:
        data["policy"]["bucks"] = bucks
    return build(data)


ROTATION = {"rotation": True, "rotation_date": "09-01"}


# --------------------------------------------------------------------------------------
# Rotation
# --------------------------------------------------------------------------------------

def test_with_equal_numbers_each_farms_bucks_go_to_the_next_farm():
    """Rotation two days after the bucks arrived (six on each farm, none dead yet)."""
    ev = simulate_events(herd(bucks={"rotation": True, "rotation_date": "08-03"}), seed=2)
    moves = ev["transfers"]
    day = pd.Timestamp("2024-08-03")
    assert (moves["date"] == day).all()
    arrivals = ev["arrivals"].set_index("uid")
    assert (arrivals.loc[moves["uid"], "sex"] == "male").all()
    pairs = set(zip(moves["from_location"], moves["to_location"]))
    assert pairs == {("A", "B"), ("B", "C"), ("C", "A")}
    # every living buck moved, six from each farm
    assert moves.groupby("from_location").size().to_dict() == {"A": 6, "B": 6, "C": 6}


def test_rotation_keeps_each_farms_number_of_bucks():
    sc = herd(bucks_per_farm=(9, 3, 6), bucks=ROTATION)
    res = simulate(sc, replicates=3, seed=4)
    bucks = res.data["bucks"]
    day = int(np.flatnonzero(res.data["date"].values == np.datetime64("2024-09-01"))[0])
    before = bucks.isel(date=day - 1).values
    after = bucks.isel(date=day).values
    deaths = res.data["deaths"].isel(date=day).values
    np.testing.assert_array_equal(after, before)
    assert int(deaths.sum()) == 0                       # (no death that day to blur it)
    assert int(res.data["transfers_out"].isel(date=day).sum()) > 0
    plain = simulate(herd(bucks_per_farm=(9, 3, 6)), replicates=3, seed=4)
    assert int(plain.data["transfers_out"].sum()) == 0


def test_rotation_day_of_02_29_falls_on_28_february_in_common_years():
    from capra.herd.bucks import _yearly

    dates = pd.date_range("2025-01-01", "2028-12-31")
    days = dates[_yearly("02-29", dates)]
    assert [str(d.date()) for d in days] == ["2025-02-28", "2026-02-28", "2027-02-28",
                                            "2028-02-29"]


# --------------------------------------------------------------------------------------
# Bought bucks
# --------------------------------------------------------------------------------------

def test_bought_bucks_replace_the_male_kids():
    """Bucks bought: no male kid is kept; on the purchase day each farm gets the bucks it
    lacks, ceil(females of breeding age / does_per_buck) less the kept males there."""
    sc = herd(bucks_per_farm=(0, 1, 2), bucks={"source": "bought", "purchase_date": "03-01",
                                              "purchase_age_months": 14},
              horizon_days=250, kidding=(dt.date(2024, 9, 1), dt.date(2024, 9, 20)))
    ev = simulate_events(sc, seed=3)
    births = ev["births"]
    # male kids old enough to be kept or sold (90 days) before the horizon ends
    males_born = births[(births["sex"] == "male")
                        & (births["date"] < pd.Timestamp(sc.end_date) - pd.Timedelta(days=90))]
    assert len(males_born) > 100
    sold = set(ev["sales"]["uid"])
    dead = set(ev["deaths"]["uid"])
    assert set(males_born["uid"]) <= sold | dead          # none kept
    day = pd.Timestamp("2025-03-01")
    bought = ev["arrivals"][ev["arrivals"]["date"] == day]
    assert (bought["sex"] == "male").all()
    age = (day - bought["birth_date"]).dt.days
    assert (age == round(14 * 30.4375)).all()
    res = simulate(sc, replicates=1, seed=3)
    at = int(np.flatnonzero(res.data["date"].values == np.datetime64("2025-03-01"))[0])
    bucks = res.data["bucks"].isel(replicate=0, date=at).sel(farm=["A", "B", "C"]).values
    # 120 does and their doelings: the doelings born in September are not yet of breeding
    # age (240 days) in March, so each farm needs ceil(~120 / 30) = 4 bucks
    females = res.data["does_in_milk"] + res.data["does_dry"]
    need = np.ceil(females.isel(replicate=0, date=at - 1).sel(farm=["A", "B", "C"]).values
                   / 30)
    np.testing.assert_array_equal(bucks, need)


def test_buck_policy_errors_are_located():
    with pytest.raises(ScenarioError, match=r'policy\.bucks\.source = "neighbour": not '
                                            r'allowed'):
        herd(bucks={"source": "neighbour"})
    with pytest.raises(ScenarioError, match=r"policy\.bucks\.rotation_date = \"13-01\""):
        herd(bucks={"rotation": True, "rotation_date": "13-01"})


# --------------------------------------------------------------------------------------
# Inbreeding
# --------------------------------------------------------------------------------------

def test_wrights_formula():
    """Ne = 4 Nm Nf / (Nm + Nf), dF = 1 / (2 Ne) = 1/(8 Nm) + 1/(8 Nf): 5 bucks and 100
    does give Ne 19.05 and dF 2.6 %; equal sexes give Ne = Nm + Nf."""
    assert effective_size(5, 100) == pytest.approx(400 / 21)
    assert inbreeding_rate(5, 100) == pytest.approx(1 / 40 + 1 / 800)
    assert effective_size(25, 25) == pytest.approx(50)
    assert inbreeding_rate(25, 25) == pytest.approx(0.01)
    assert np.isnan(effective_size(0, 100))


def test_inbreeding_of_a_simulated_herd_follows_its_counts(nampo):
    """From the result's last year: Nm the mean bucks, Nf the kiddings, L from the
    parents' ages; the table's medians equal the formula on the medians' inputs per
    replicate."""
    res = simulate(nampo, replicates=4, seed=2)
    table = inbreeding(res)
    units = list(table["unit"])
    assert units[0] == "all farms (bucks rotate)" and len(units) == 6
    last = res.last_year().sel(farm=list(nampo.farm_names)).sum("farm")
    nm = (last["bucks"].mean("date")).values
    nf = last["kiddings"].sum("date").values * 365 / last.sizes["date"]
    assert table.loc[0, "bucks_p50"] == pytest.approx(np.median(nm))
    assert table.loc[0, "delta_f_p50"] == pytest.approx(np.median(inbreeding_rate(nm, nf)))
    # the ring breeds as one herd: less inbreeding than any farm on its own
    assert (table.loc[1:, "delta_f_p50"] > table.loc[0, "delta_f_p50"]).all()
    # generation interval of dairy goats: about 3-4 years (DAD-IS takes 4)
    assert 2.0 < table.loc[0, "generation_years_p50"] < 5.0
    d = inbreeding_dict(res)
    assert d["rotation"] is True and d["bucks_source"] == "own"
    assert d["units"][0]["delta_f"]["p50"] == pytest.approx(table.loc[0, "delta_f_p50"])


def test_bucks_bought_from_outside_breed_no_inbreeding():
    res = simulate(herd(bucks={"source": "bought"}, horizon_days=500), replicates=2, seed=1)
    table = inbreeding(res)
    assert (~table["closed"]).all()
    assert (table["delta_f_p50"] == 0).all() and (table["f_outlook_p90"] == 0).all()
