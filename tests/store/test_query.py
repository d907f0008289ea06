"""Herd state at a date, against a hand-made herd whose answers are worked out by hand."""

from __future__ import annotations

import pandas as pd

from capra.store.io import import_frame
from capra.store.query import GESTATION_DAYS, STATE_COLUMNS, herd_state
from store_helpers import csv, load_base

EVENTS = (
    "animal,date,type,farm,from_farm,litter_size,live_kids,reason,method,sire,result,"
    "expected_parturition_date,withdrawal_days\n"
    # the whole batch leaves quarantine for two farms on 2024-09-20
    "D1,2024-09-20,transfer,Kangso,Rason,,,,,,,,\n"
    "D2,2024-09-20,transfer,Kangso,Rason,,,,,,,,\n"
    "D3,2024-09-20,transfer,Chollima,Rason,,,,,,,,\n"
    "G1,2024-09-20,transfer,Chollima,Rason,,,,,,,,\n"
    # D1: mated, confirmed, kids, treated with a 5-day withdrawal
    "D1,2024-10-01,insemination,,,,,,NaturalService,B1,,,\n"
    "D1,2024-11-15,pregnancy_check,,,,,,,,Pregnant,,\n"
    "D1,2025-02-27,parturition,,,2,2,,,,,,\n"
    "D1,2025-03-10,treatment,,,,,,,,,,5\n"
    # D2: in milk at entry, dried off, then dies
    "D2,2024-11-01,dry_off,,,,,,,,,,\n"
    "D2,2025-03-05,death,,,,,Disease,,,,,\n"
    # D3: pregnant at entry (due 2025-01-10), kids on 2025-01-12, then mated
    "D3,2025-01-12,parturition,,,1,1,,,,,,\n"
    "D3,2025-03-01,insemination,,,,,,Insemination,B1,,,\n"
    # G1: mated, checked empty
    "G1,2024-10-20,insemination,,,,,,NaturalService,B1,,,\n"
    "G1,2024-12-01,pregnancy_check,,,,,,,,Empty,,\n"
    # B1 is sold on 2025-06-01
    "B1,2025-06-01,departure,,,,,Sale,,,,,\n"
)


def _herd(db):
    load_base(db)
    import_frame(db, "events", csv(EVENTS))


def test_state_on_a_date(db):
    _herd(db)
    s = herd_state(db, "2025-03-12").set_index("tag")
    assert tuple(s.reset_index().columns) == STATE_COLUMNS
    assert sorted(s.index) == ["B1", "D1", "D3", "G1"]          # D2 died on 2025-03-05
    assert s.loc["D1", "farm"] == "Kangso" and s.loc["B1", "farm"] == "Rason"
    assert s.loc["G1", "farm"] == "Chollima"
    assert s.loc["D1", "parity"] == 2 and s.loc["D3", "parity"] == 1 and s.loc["G1", "parity"] == 0
    assert s.loc["D1", "lactating"] and s.loc["D1", "days_in_milk"] == 13  # 27 Feb -> 12 Mar
    assert s.loc["D3", "days_in_milk"] == 59                           # 12 Jan -> 12 Mar
    assert not s.loc["G1", "lactating"] and pd.isna(s.loc["G1", "days_in_milk"])
    assert s.loc["D1", "reproduction_status"] == "Birthed" and not s.loc["D1", "pregnant"]
    assert s.loc["D3", "reproduction_status"] == "Inseminated" and pd.isna(s.loc["D3", "pregnant"])
    assert s.loc["D3", "expected_parturition_date"] == pd.Timestamp("2025-03-01") + pd.Timedelta(
        days=GESTATION_DAYS)
    assert s.loc["G1", "reproduction_status"] == "NotPregnant"
    assert pd.isna(s.loc["B1", "reproduction_status"]) and s.loc["B1", "parity"] == 0
    assert s.loc["D1", "milk_withheld"]                                 # 10 Mar + 5 days
    assert s.loc["G1", "age_days"] == (pd.Timestamp("2025-03-12") - pd.Timestamp("2024-02-01")).days


def test_state_earlier_in_time(db):
    _herd(db)
    s = herd_state(db, "2024-12-01").set_index("tag")
    assert sorted(s.index) == ["B1", "D1", "D2", "D3", "G1"]
    assert s.loc["D1", "reproduction_status"] == "Pregnant" and s.loc["D1", "pregnant"]
    assert s.loc["D1", "expected_parturition_date"] == pd.Timestamp("2024-10-01") + pd.Timedelta(
        days=GESTATION_DAYS)
    assert s.loc["D3", "reproduction_status"] == "Pregnant"               # pregnant at entry
    assert s.loc["D3", "expected_parturition_date"] == pd.Timestamp("2025-01-10")
    assert not s.loc["D2", "lactating"]                                     # dried off 1 Nov
    assert herd_state(db, "2024-10-31").set_index("tag").loc["D2", "lactating"]
    assert s.loc["D1", "parity"] == 1 and not s.loc["D1", "lactating"]  # dry at entry
    # before the batch arrived there is no herd
    assert herd_state(db, "2024-08-19").empty


def test_state_with_animals_that_left(db):
    _herd(db)
    s = herd_state(db, "2025-07-01", alive_only=False).set_index("tag")
    assert s.loc["D2", "status"] == "Dead" and s.loc["D2", "exit_date"] == pd.Timestamp("2025-03-05")
    assert s.loc["B1", "status"] == "OffFarm"
    assert s.loc["D1", "status"] == "Alive" and not s.loc["D1", "milk_withheld"]
    assert not s.loc["D2", "lactating"]
