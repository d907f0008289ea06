"""Growth monitoring: prevalence by district, site and period, checked by hand counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capra.errors import ArgumentError
from capra.growth.monitoring import (
    growth_prevalence,
    growth_records,
    monitoring_sections,
    period_labels,
    prevalence_figure,
)


@pytest.fixture(scope="module")
def db(example_records):
    return example_records[2]


@pytest.fixture(scope="module")
def rec(db):
    return growth_records(db)


def test_period_labels():
    d = pd.Series(pd.to_datetime(["2025-01-01", "2025-06-30", "2025-07-01", "2025-12-31"]))
    assert list(period_labels(d)) == ["2025-H1", "2025-H1", "2025-H2", "2025-H2"]
    assert list(period_labels(d, "quarter")) == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
    assert list(period_labels(d, "year")) == ["2025"] * 4
    with pytest.raises(ArgumentError):
        period_labels(d, "month")


def test_records_are_scored(rec):
    assert len(rec) > 2000
    under5 = rec["age_months"] < 60
    assert rec.loc[under5, "zlen"].notna().mean() > 0.99
    assert rec.loc[~under5, "zhfa"].notna().mean() > 0.99
    assert rec.loc[under5, "zhfa"].isna().all()


def test_prevalence_matches_a_hand_count(rec):
    table = growth_prevalence(rec, by="district")
    hand = rec.assign(haz=rec["zlen"].fillna(rec["zhfa"]),
                      flag=rec["flen"].fillna(rec["fhfa"]))
    hand = hand[hand["haz"].notna() & (hand["flag"] != 1)]
    g = hand.groupby(["district", "period"])
    expected = pd.DataFrame({"n": g.size(), "cases": g["haz"].apply(lambda z: int((z < -2).sum()))})
    got = table[table["indicator"] == "stunting"].set_index(["district", "period"])
    got = got.loc[expected.index]
    assert (got["n"] == expected["n"]).all()
    assert (got["cases"] == expected["cases"]).all()
    np.testing.assert_allclose(got["prevalence_pct"], 100 * expected["cases"] / expected["n"])
    assert ((got["ci95_low"] <= got["prevalence_pct"])
            & (got["prevalence_pct"] <= got["ci95_high"])).all()
    # wasting: under 5 only; underweight: 0-10 years
    w = table[table["indicator"] == "wasting"]
    assert w["n"].sum() == int((rec["zwfl"].notna() & (rec["fwfl"] != 1)).sum())
    # all children together: stunting about a fifth to a quarter
    overall = growth_prevalence(rec, by=(), period="year")
    st = overall[overall["indicator"] == "stunting"]
    assert ((st["prevalence_pct"] > 15) & (st["prevalence_pct"] < 30)).all()


def test_same_as_the_who_prevalence_tables(rec):
    """For children under 5, the prevalence and interval of each district and period are
    those of capra.growth.prevalence (WHO anthro) with the same grouping."""
    from capra.growth import prevalence

    u5 = rec[rec["age_months"] < 60].copy()
    mine = growth_prevalence(u5, by="district")
    u5["sex"] = u5["sex"].map({"male": 1, "female": 2})
    u5["oedema"] = np.where(u5["oedema"], "y", "n")
    u5["grp"] = u5["district"] + " | " + u5["period"]
    who = prevalence(u5, reference="anthro", age="age_days", sex="sex", oedema="oedema",
                     othergr="grp")
    who = who[who["Group"].str.startswith("Other grouping: ")]
    who = who.assign(grp=who["Group"].str.removeprefix("Other grouping: ")).set_index("grp")
    for ind, prefix in (("stunting", "HA_2"), ("wasting", "WH_2"), ("underweight", "WA_2")):
        m = mine[mine["indicator"] == ind]
        key = m["district"] + " | " + m["period"]
        np.testing.assert_allclose(m["prevalence_pct"], who.loc[key, f"{prefix}_r"], rtol=1e-9)
        np.testing.assert_allclose(m["ci95_low"], who.loc[key, f"{prefix}_ll"], rtol=1e-9)
        np.testing.assert_allclose(m["ci95_high"], who.loc[key, f"{prefix}_ul"], rtol=1e-9)


def test_by_site_nests_in_district(rec):
    site = growth_prevalence(rec, by=("district", "site"))
    district = growth_prevalence(rec, by="district")
    s = site.groupby(["district", "period", "indicator"])[["n", "cases"]].sum()
    d = district.set_index(["district", "period", "indicator"])[["n", "cases"]]
    pd.testing.assert_frame_equal(s.sort_index(), d.sort_index())


def test_oedema_counts_as_wasting_and_underweight(rec):
    r = rec.copy()
    young = r.index[r["age_months"] < 60][:3]
    r.loc[young, "oedema"] = True
    base = growth_prevalence(rec, by=(), period="year").set_index(["period", "indicator"])
    more = growth_prevalence(r, by=(), period="year").set_index(["period", "indicator"])
    added = r.loc[young]
    was_w = (added["zwfl"] < -2).sum()
    assert (more.xs("wasting", level=1)["cases"].sum()
            - base.xs("wasting", level=1)["cases"].sum()) == 3 - was_w
    assert (more.xs("stunting", level=1)["cases"] == base.xs("stunting", level=1)["cases"]).all()


def test_report_sections(db, rec):
    sections = monitoring_sections(db)
    assert [h for h, _ in sections] == ["Children's growth by district",
                                        "Children's growth by site"]
    first, second = sections[0][1], sections[1][1]
    assert first.count("<img") == 1 and "data:image/png;base64," in first
    for district in rec["district"].unique():
        assert district.replace("&", "&amp;") in first
    for site in rec["site"].unique():
        assert site in second
    fig = prevalence_figure(growth_prevalence(rec, by="district"))
    assert len(fig.get_axes()) == 3
    n_districts = rec["district"].nunique()
    assert all(len(ax.get_lines()) >= n_districts for ax in fig.get_axes())


def test_no_measurements(tmp_path):
    from capra.store.db import open_db

    db = open_db(tmp_path / "empty.db")
    assert growth_prevalence(db).empty
    [(_, body)] = monitoring_sections(db)
    assert "No measurements" in body
