"""Today's herd -> scenario: the recorded herd on a date starts the simulation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from capra.errors import ArgumentError, DataError
from capra.scenario import load_scenario
from capra.store.snapshot import (
    CLASSES,
    classify,
    herd_at,
    herd_counts,
    last_record_date,
    scenario_from_records,
)

from shared_records import EXAMPLE_SEED as SEED
DATES = ("2024-09-01", "2025-03-15", "2025-12-01", "2026-07-31")


@pytest.fixture(scope="module")
def base():
    return load_scenario("nampo")


@pytest.fixture(scope="module")
def db(example_records):
    return example_records[2]


@pytest.fixture(scope="module")
def truth(base):
    """The simulation the example records were made from (replicate 0, same seed)."""
    from capra.herd.simulate import simulate
    from capra.examples.records import _records_scenario

    return simulate(_records_scenario(base, 2), replicates=1, seed=SEED,
                    parameter_uncertainty=False).data.isel(replicate=0)


@pytest.mark.parametrize("date", DATES)
def test_recorded_herd_counts_equal_the_simulated_herd(db, base, truth, date):
    herd = herd_at(db, date, base)
    counts = herd_counts(herd)
    day = truth.sel(date=date)
    sim = pd.DataFrame({c: day[c].to_series() for c in (*CLASSES, "head")})
    sim = sim[sim["head"] > 0].astype(int)
    sim.index.name = None
    counts.index.name = None
    pd.testing.assert_frame_equal(counts.sort_index(), sim.sort_index(), check_names=False)
    pregnant = herd["pregnant"].fillna(False) | (herd["reproduction_status"] == "Inseminated")
    assert int(pregnant.sum()) == int(day["does_pregnant"].sum())


def _arrival_states(scenario, seed=1):
    """The animals arriving on the scenario's first day, from its event log (of its first
    days only: the arrivals of day 0 do not depend on the horizon)."""
    from capra.herd.simulate import simulate_events

    first_days = scenario.model_copy(update={"horizon_days": 3})
    arr = simulate_events(first_days, seed=seed)["arrivals"]
    return arr[arr["date"] == pd.Timestamp(scenario.start_date)]


@pytest.mark.parametrize("date", ["2025-06-30", "2026-07-31"])
def test_simulation_starts_from_the_recorded_herd(db, base, date):
    from capra.herd.simulate import simulate

    herd = herd_at(db, date, base)
    sc = scenario_from_records(db, date, base)
    assert sc.start_date == dt.date.fromisoformat(date)
    assert sc.horizon_days == base.horizon_days
    assert sum(b.head for b in sc.batches if b.arrival_date == sc.start_date) == len(herd)
    # day 0: every recorded animal arrives where it is, in the same state
    arr = _arrival_states(sc)
    D = pd.Timestamp(date)
    age = (D - arr["birth_date"]).dt.days
    lact = arr["lactating"].astype(bool)
    got = pd.DataFrame({
        "farm": arr["location"].to_numpy(), "sex": arr["sex"].to_numpy(),
        "age_days": age.to_numpy(), "parity": arr["parity"].astype(int).to_numpy(),
        "lactating": lact.to_numpy(),
        "due": arr["due_date"].dt.strftime("%Y-%m-%d").fillna("").to_numpy()})
    pregnant = herd["pregnant"].fillna(False) | (herd["reproduction_status"] == "Inseminated")
    want = pd.DataFrame({
        "farm": herd["farm"], "sex": herd["sex"], "age_days": herd["age_days"].astype(int),
        "parity": herd["parity"].astype(int), "lactating": herd["lactating"].astype(bool),
        "due": herd["expected_parturition_date"].dt.strftime("%Y-%m-%d").where(pregnant, "")
        .fillna("")})
    key = list(want.columns)
    pd.testing.assert_frame_equal(got.sort_values(key).reset_index(drop=True),
                                  want.sort_values(key).reset_index(drop=True),
                                  check_dtype=False)
    assert (arr["due_date"].dropna() > D).all()  # no overdue pregnancy in these records
    # days in milk (the event log has no kidding date before the start): the compiled
    # groups hold the recorded days in milk and exact ages in days
    from capra.herd.params import compile_params

    specs = [(b.location, g) for b in compile_params(sc).batches if b.day == 0 for g in b.groups]
    assert all(g.age_days_min == g.age_days_max for _, g in specs)
    dims = np.concatenate([np.repeat(g.days_in_milk, g.count) for _, g in specs if g.lactating])
    assert sorted(dims) == sorted(herd.loc[herd["lactating"], "days_in_milk"].astype(int))
    # the daily counts: arrivals of day 0 by farm and class = the records on that date
    counts = herd_counts(herd)
    res = simulate(sc.model_copy(update={"horizon_days": 3}), replicates=2, seed=3)
    first = res.data.isel(date=0)
    for r in range(2):
        day0 = first.isel(replicate=r)
        arrivals = day0["arrivals"].to_series()
        assert arrivals[arrivals > 0].sort_index().to_dict() == counts["head"].to_dict()
        out = (day0["deaths"] + day0["culls"] + day0["sales"]).to_series()
        head = day0["head"].to_series()
        assert (head + out).reindex(counts.index).to_dict() == counts["head"].to_dict()
    cls = classify(arr["sex"], age, arr["parity"], lact, weaning_age_days=60,
                   buck_min_breeding_age_days=240)
    by_class = pd.crosstab(arr["location"].to_numpy(), cls).reindex(
        columns=list(CLASSES), fill_value=0)
    assert (by_class.sort_index().to_numpy() == counts[list(CLASSES)].sort_index().to_numpy()).all()


def test_animals_in_quarantine_finish_it_then_move_to_their_batch_farms(db, base):
    sc = scenario_from_records(db, "2024-09-01", base)
    q = [b for b in sc.batches if b.arrival_place == "Rason"]
    assert len(q) == 1
    assert q[0].quarantine_days == 18  # arrived 2024-08-20 with 30 days of quarantine
    assert q[0].destinations == base.batches[0].destinations
    assert q[0].head == len(herd_at(db, "2024-09-01"))
    later = [b for b in sc.batches if b.name == "Leningrad-2025"]
    assert len(later) == 1  # the batch after the date is kept
    from capra.herd.simulate import simulate_events

    # then the journey of the scenario's batch (three days from Rason to Nampo)
    assert q[0].transit_days == base.batches[0].transit_days == 3
    tr = simulate_events(sc.model_copy(update={"horizon_days": 30}), seed=2)["transfers"]
    assert set(tr["date"]) == {pd.Timestamp("2024-09-22")}
    assert len(tr) <= q[0].head


def test_month_resolution_fewer_groups_same_counts(db, base):
    day_sc = scenario_from_records(db, "2026-07-31", base)
    month_sc = scenario_from_records(db, "2026-07-31", base, age_resolution="month")
    n_groups = lambda s: sum(len(b.animals) for b in s.batches)
    assert n_groups(month_sc) < n_groups(day_sc)
    assert [b.head for b in month_sc.batches] == [b.head for b in day_sc.batches]
    with pytest.raises(ArgumentError, match="age_resolution"):
        scenario_from_records(db, "2026-07-31", base, age_resolution="week")


def test_last_record_date(db):
    assert last_record_date(db) <= dt.date(2026, 7, 31)
    assert last_record_date(db) >= dt.date(2026, 7, 1)


# --------------------------------------------------------------------------------------
# A small hand-made herd: the approximations
# --------------------------------------------------------------------------------------

@pytest.fixture
def small(tmp_path):
    from capra.store.db import open_db
    from capra.store.io import import_frame

    db = open_db(tmp_path / "small.db")
    import_frame(db, "farms", pd.DataFrame({"name": ["Kangso", "Elsewhere"]}))
    import_frame(db, "batches", pd.DataFrame({
        "name": ["B1"], "arrival_date": ["2025-01-01"], "arrival_farm": ["Kangso"]}))
    import_frame(db, "animals", pd.DataFrame({
        "tag": ["A", "B", "C", "D"], "sex": ["female", "female", "female", "male"],
        "birth_date": ["2022-01-01", "2022-03-01", "2023-01-01", "2023-06-01"],
        "batch": "B1", "parity": [2, 1, 0, 0],
        "last_parturition_date": ["2024-12-01", "", "", ""],
        "expected_parturition_date": ["", "2025-02-01", "", ""],
        "lactating": ["true", "false", "false", "false"]}))
    import_frame(db, "events", pd.DataFrame({
        "animal": ["C"], "date": ["2025-02-20"], "type": ["insemination"],
        "expected_parturition_date": ["2025-07-20"]}))
    return db


def _groups(sc):
    return {(g.sex, g.parity, g.pregnant, g.kidding_from, g.lactating, g.days_in_milk,
             round(g.age_months_min * 365.25 / 12)): g.count
            for b in sc.batches for g in b.animals}


def test_hand_made_herd_states_and_approximations(small, base):
    sc = scenario_from_records(small, "2025-03-01", base, horizon_days=100)
    assert sc.horizon_days == 100 and sc.start_date == dt.date(2025, 3, 1)
    [b] = sc.batches
    assert (b.arrival_place, b.quarantine_days, b.destinations) == ("Kangso", 0, ("Kangso",))
    D = dt.date(2025, 3, 1)
    age = lambda s: (D - dt.date.fromisoformat(s)).days
    assert _groups(sc) == {
        ("female", 2, False, None, True, 90, age("2022-01-01")): 1,          # A in milk
        ("female", 1, True, dt.date(2025, 3, 2), False, 0, age("2022-03-01")): 1,  # B overdue
        ("female", 0, True, dt.date(2025, 7, 20), False, 0, age("2023-01-01")): 1,  # C mated
        ("male", 0, False, None, False, 0, age("2023-06-01")): 1}
    assert "overdue" in sc.description and "not yet checked" in sc.description
    open_sc = scenario_from_records(small, "2025-03-01", base, horizon_days=100,
                                    inseminated_as_pregnant=False)
    assert sum(g.count for g in open_sc.batches[0].animals if g.pregnant) == 1


def test_animals_on_a_farm_the_scenario_lacks_are_an_error(small, base):
    from capra.store.io import import_frame

    import_frame(small, "events", pd.DataFrame({
        "animal": ["D"], "date": ["2025-02-25"], "type": ["transfer"], "farm": ["Elsewhere"],
        "from_farm": ["Kangso"]}))
    with pytest.raises(DataError, match="Elsewhere"):
        scenario_from_records(small, "2025-03-01", base)


def test_empty_records_are_an_error(tmp_path, base):
    from capra.store.db import open_db

    with pytest.raises(DataError, match="no animal"):
        scenario_from_records(open_db(tmp_path / "empty.db"), "2025-01-01", base)
