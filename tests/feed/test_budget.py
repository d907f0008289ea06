"""Feed resources and the feed budget: closed forms, balances, monotonicity, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from capra.errors import ScenarioError
from capra.feed import (
    FeedInputError,
    FeedResources,
    feed_budget,
    feed_library,
    feed_resources_from_dict,
)

DAYS = pd.date_range("2025-01-01", "2025-12-31")
HAY = feed_library().feeds["grass_hay"]
BARLEY = feed_library().feeds["barley"]
SOY = feed_library().feeds["soybean_meal"]


def flat(value, farms=1, days=DAYS):
    return np.full((farms, len(days)), float(value))


def resources(**tables) -> FeedResources:
    return feed_resources_from_dict(tables)


# --------------------------------------------------------------------------------------
# The library
# --------------------------------------------------------------------------------------

def test_library_values_are_sourced_and_sane():
    library = feed_library()
    for feed in library.feeds.values():
        assert feed.source.strip()
        assert feed.price_per_t is None or feed.price_source
    assert library.feeds["barley"].me_mj_per_kg_dm > library.feeds["grass_hay"].me_mj_per_kg_dm \
        > library.feeds["rice_straw"].me_mj_per_kg_dm
    profile = library.pastures["korean_sown_hill_pasture"]
    assert sum(profile.monthly_share) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------
# Closed forms and balances
# --------------------------------------------------------------------------------------

def test_feed_as_needed_buys_hay_and_reports_its_cost():
    # 100 MJ and 1500 g CP a day, nothing grazed or stored: hay covers the energy, soybean
    # meal the protein hay lacks.
    days = DAYS[:31]
    b = feed_budget(days, flat(100, days=days), flat(1500, days=days))
    row = b.by_farm_month.iloc[0]
    hay_kg = 31 * 100 / HAY.me_mj_per_kg_dm
    soy_kg = (31 * 1500 - hay_kg * HAY.cp_pct_dm * 10) / (SOY.cp_pct_dm * 10)
    assert soy_kg > 0
    assert row["purchased_dm_t"] == pytest.approx((hay_kg + soy_kg) / 1000)
    assert row["me_unmet_mj"] == pytest.approx(0)
    assert row["cp_balance_kg"] == pytest.approx(0, abs=1e-9)
    cost = (hay_kg / HAY.dm_fraction * HAY.price_per_t + soy_kg / SOY.dm_fraction
            * SOY.price_per_t) / 1000
    assert row["cost"] == pytest.approx(cost)
    assert b.currency == "USD"


def test_energy_and_stock_balances():
    rng = np.random.default_rng(3)
    me = rng.uniform(500, 2500, (2, len(DAYS)))
    cp = me * rng.uniform(6, 14)
    res = resources(pasture={"area_ha": 8, "profile": "korean_sown_hill_pasture"},
                    stores=[{"feed": "grass_haylage", "opening_t_dm": 30,
                             "deliveries": [{"date": "06-20", "t_dm": 40, "kind": "harvested"},
                                            {"date": "09-01", "t_dm": 10, "kind": "bought"}]},
                            {"feed": "maize_silage", "opening_t_dm": 5}])
    b = feed_budget(DAYS, me, cp, res, farms=["Kangso", "Chollima"])
    library = feed_library().feeds
    # every MJ needed is fed or reported unmet
    fed_me = b.by_feed.assign(me=[library[f].me_mj_per_kg_dm for f in b.by_feed["feed"]])
    fed_me = (fed_me["dm_t"] * 1000 * fed_me["me"]).groupby(
        [b.by_feed["farm"], b.by_feed["month"]], sort=False).sum()
    need = b.by_farm_month.set_index(["farm", "month"])
    surplus_from_soy = b.by_feed[b.by_feed["feed"] == "soybean_meal"].set_index(
        ["farm", "month"])["dm_t"] * 1000 * SOY.me_mj_per_kg_dm
    assert (fed_me - surplus_from_soy + need["me_unmet_mj"]).to_numpy() == \
        pytest.approx(need["me_needed_mj"].to_numpy())
    # stock: opening + deliveries - fed = closing, never negative
    for farm in ("Kangso", "Chollima"):
        rows = b.by_feed[(b.by_feed["farm"] == farm) & (b.by_feed["feed"] == "grass_haylage")
                         & (b.by_feed["origin"] == "stock")]
        assert rows["closing_stock_t_dm"].min() >= 0
        assert 30 + 40 + 10 - rows["dm_t"].sum() == \
            pytest.approx(rows["closing_stock_t_dm"].iloc[-1])
    # the bought delivery is costed in September, at the haylage price
    haylage = library["grass_haylage"]
    sept = b.by_farm_month[(b.by_farm_month["month"] == "2025-09")]
    bought = b.by_feed[(b.by_feed["month"] == "2025-09") & (b.by_feed["origin"] == "purchase")]
    assert (sept["cost"].to_numpy() - bought.groupby("farm", sort=False)["cost"].sum()
            .to_numpy()) == pytest.approx(10 / haylage.dm_fraction * haylage.price_per_t)


def test_pasture_covers_summer_not_winter():
    res = resources(pasture={"area_ha": 100, "profile": "korean_sown_hill_pasture"})
    b = feed_budget(DAYS, flat(1000), flat(0), res).by_farm_month.set_index("month")
    assert b.loc["2025-01", "pasture_dm_t"] == 0
    assert b.loc["2025-01", "purchased_dm_t"] > 0
    assert b.loc["2025-05", "pasture_dm_t"] == pytest.approx(31 * 1000 / 10.0 / 1000)
    assert b.loc["2025-05", "purchased_dm_t"] == 0
    # with a need larger than the growth, pasture gives all it grows: in April, grazed from
    # 04-15, 16 of April's 30 days of growth
    big = feed_budget(DAYS, flat(1e5), flat(0), res).by_farm_month.set_index("month")
    april = 100 * 7600 * 0.05 * 0.6 * 16 / 30
    assert big.loc["2025-04", "pasture_dm_t"] == pytest.approx(april / 1000)
    assert big.loc["2025-06", "pasture_dm_t"] == pytest.approx(100 * 7600 * 0.22 * 0.6 / 1000)


def test_more_stored_forage_never_buys_more():
    bought = []
    for stock in (0, 10, 20, 40, 80):
        res = resources(stores=[{"feed": "grass_hay", "opening_t_dm": stock}])
        b = feed_budget(DAYS, flat(900), flat(7000), res)
        bought.append(b.by_farm_month["purchased_dm_t"].sum())
    assert all(later <= earlier + 1e-12 for earlier, later in zip(bought, bought[1:]))
    assert bought[-1] < bought[0]


def test_intake_capacity_calls_for_concentrate():
    # 20 MJ a day in 1.9 kg of DM: hay alone (9.7 MJ/kg) would need 2.06 kg. The ration
    # becomes hay plus barley that exactly fills the capacity.
    days = DAYS[:30]
    b = feed_budget(days, flat(20, days=days), flat(0, days=days),
                    dm_capacity_kg=flat(1.9, days=days))
    feeds = b.by_feed.set_index("feed")["dm_t"] * 1000 / 30
    hay, barley = feeds["grass_hay"], feeds["barley"]
    assert hay + barley == pytest.approx(1.9)
    assert hay * HAY.me_mj_per_kg_dm + barley * BARLEY.me_mj_per_kg_dm == pytest.approx(20)
    assert b.by_farm_month["concentrate_as_fed_t"].iloc[0] == \
        pytest.approx(barley * 30 / BARLEY.dm_fraction / 1000)
    # too little capacity even for barley: the rest is unmet
    b = feed_budget(days, flat(20, days=days), flat(0, days=days),
                    dm_capacity_kg=flat(1, days=days))
    row = b.by_farm_month.iloc[0]
    assert row["dm_fed_t"] == pytest.approx(30 / 1000)
    assert row["me_unmet_mj"] == pytest.approx(30 * (20 - BARLEY.me_mj_per_kg_dm))


def test_replicates_give_quantiles():
    rng = np.random.default_rng(11)
    me = rng.uniform(800, 1200, (50, 2, len(DAYS)))
    b = feed_budget(DAYS, me, me * 8, farms=["a", "b"])
    assert set(b.by_farm_month["replicate"]) == set(range(50))
    q = b.dry_matter_t_per_year().set_index("farm")
    assert set(q.index) == {"a", "b", "all"}
    assert np.all(q["p10"] <= q["p50"]) and np.all(q["p50"] <= q["p90"])
    annual = b.annual()
    a = annual[annual["farm"] == "a"]["dm_fed_t"]
    assert q.loc["a", "p50"] == pytest.approx(a.median())
    same = feed_budget(DAYS, np.repeat(me[:1], 3, axis=0), me[:3] * 8)
    q = same.dry_matter_t_per_year()
    assert np.allclose(q["p10"], q["p90"])
    doc = json.loads(json.dumps(b.to_dict()))
    assert {"by_farm_month", "dry_matter_t_per_year", "currency"} <= set(doc)
    assert len(doc["by_farm_month"]) == 50 * 2 * 12


def test_resources_per_farm_by_name():
    res = {"b": resources(stores=[{"feed": "grass_hay", "opening_t_dm": 1000}])}
    b = feed_budget(DAYS, flat(500, farms=2), flat(0, farms=2), res, farms=["a", "b"])
    total = b.by_farm_month.groupby("farm")[["purchased_dm_t", "stored_dm_t"]].sum()
    assert total.loc["b", "purchased_dm_t"] == 0 and total.loc["a", "stored_dm_t"] == 0


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------

def test_negative_stock_unknown_feed_bad_date():
    with pytest.raises(ScenarioError) as info:
        feed_resources_from_dict({"stores": [{"feed": "grass_hay", "opening_t_dm": -3,
                                              "deliveries": [{"date": "02-30", "t_dm": 1,
                                                              "kind": "harvested"}]}]},
                                 file="nampo.toml", where="farms[1].feed")
    text = str(info.value)
    assert "file nampo.toml" in text
    assert "farms[1].feed.stores[0].opening_t_dm = -3" in text
    assert 'farms[1].feed.stores[0].deliveries[0].date = "02-30": not a day of the year' in text
    with pytest.raises(ScenarioError, match=r"purchase\[0\] = 'barly': unknown feed.*"
                       "did you mean 'barley'"):
        feed_resources_from_dict({"purchase": ["barly"]})
    with pytest.raises(ScenarioError, match="pasture.profile = 'korean': unknown pasture"):
        feed_resources_from_dict({"pasture": {"area_ha": 2, "profile": "korean"}})
    with pytest.raises(ScenarioError, match="pasture.grazing_start: missing"):
        feed_resources_from_dict({"pasture": {"area_ha": 2}})


def test_bought_delivery_needs_a_price():
    own = {"kind": "hay", "me_mj_per_kg_dm": 9, "cp_pct_dm": 9, "dm_fraction": 0.85,
           "source": "farm analysis"}
    with pytest.raises(ScenarioError, match=r"deliveries\[0\].price_per_t: missing"):
        feed_resources_from_dict({"feeds": {"own_hay": own},
                                  "stores": [{"feed": "own_hay", "deliveries": [
                                      {"date": "07-01", "t_dm": 5, "kind": "bought"}]}]})


def test_bad_arrays_and_dates():
    with pytest.raises(FeedInputError, match=r"me_mj: 1 invalid value: -1.0 at index \(0, 3\)"):
        me = flat(1)
        me[0, 3] = -1
        feed_budget(DAYS, me, flat(1))
    with pytest.raises(FeedInputError, match="cp_g.*shape"):
        feed_budget(DAYS, flat(1), flat(1, farms=2))
    gap = DAYS.delete(10)
    with pytest.raises(FeedInputError, match="dates: 1 invalid value .*2025-01-12.* index 10"):
        feed_budget(gap, flat(1, days=gap), flat(1, days=gap))
    with pytest.raises(FeedInputError, match="farms"):
        feed_budget(DAYS, flat(1, farms=2), flat(1, farms=2), farms=["a", "a"])
    with pytest.raises(FeedInputError, match="unknown farm.*did you mean 'Kangso'"):
        feed_budget(DAYS, flat(1), flat(1), {"Kangs": FeedResources()}, farms=["Kangso"])
