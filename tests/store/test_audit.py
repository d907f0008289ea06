"""The audit log: what, when and by whom for every record, written in the same transaction.

An import's new records are one audit row (table, id range, import, user, time); the
per-record view (``read_audit(expand=True)``, ``inserted_by``) answers for each record.
"""

from __future__ import annotations

import json

import pytest
from store_helpers import csv, load_base

from capra.store.audit import current_user, log_change
from capra.store.db import transaction
from capra.store.history import inserted_by, read_audit
from capra.store.io import RowsRejectedError, export_frame, import_frame


def test_every_insert_is_audited_with_user_and_values(db):
    load_base(db, user="kim")
    raw = read_audit(db)
    assert len(raw) == 3  # one row per import: farms, batches, animals
    assert raw["first_id"].notna().all() and raw["import_id"].notna().all()
    log = read_audit(db, expand=True)
    assert len(log) == 3 + 1 + 5
    assert set(log["user_name"]) == {"kim"}
    assert set(log["action"]) == {"insert"}
    keys = log["row_key"].map(json.loads)
    d1 = log[(log["table_name"] == "animals") & (keys == {"tag": "D1"})]
    assert len(d1) == 1
    new = json.loads(d1["new"].iloc[0])
    assert new["sex"] == "female" and new["birth_date"] == "2022-03-01" and new["batch"] == "L-2024"
    assert log["import_id"].notna().all()


def test_who_inserted_a_record(db, tmp_path):
    load_base(db, user="kim")
    f = tmp_path / "milk.csv"
    f.write_text("animal,date,milk_kg\nD2,2024-09-01,2.5\nB1,2024-09-01,1.0\nD2,2024-09-02,3\n")
    from capra.store.io import import_file

    res = import_file(db, "test_days", f, keep_valid=True, user="lee")
    assert (res.inserted, res.rejected) == (2, 1)
    # the same file again: nothing new, no audit row for the unchanged records
    n = len(read_audit(db))
    assert import_file(db, "test_days", f, keep_valid=True, user="pak").inserted == 0
    assert len(read_audit(db)) == n
    who = inserted_by(db, "test_days", {"animal": "D2", "date": "2024-09-02"})
    assert who["user_name"] == "lee" and who["file"] == str(f) and len(who["sha256"]) == 64
    assert who["import_id"] == res.import_id
    assert inserted_by(db, "animals", {"tag": "D1"})["user_name"] == "kim"
    assert inserted_by(db, "test_days", {"animal": "B1", "date": "2024-09-01"}) is None
    # by record id, with one SQL query
    with db.connect() as conn:
        rid = conn.exec_driver_sql("SELECT MAX(id) FROM test_days").scalar_one()
    assert inserted_by(db, "test_days", rid)["user_name"] == "lee"
    assert inserted_by(db, "test_days", rid + 1) is None
    # every record of every table is covered by exactly one insert
    log = read_audit(db, expand=True)
    for table in ("farms", "batches", "animals", "test_days"):
        got = log[log["table_name"] == table]
        assert len(got) == len(export_frame(db, table))
        assert not got["record_id"].duplicated().any()


def test_expanded_insert_shows_the_values_written_before_an_update(base_db):
    with transaction(base_db) as conn:
        conn.exec_driver_sql("UPDATE farms SET capacity_head = 320 WHERE name = 'Kangso'")
        log_change(conn, "farms", {"name": "Kangso"}, "update", old={"capacity_head": 300},
                   new={"capacity_head": 320}, user="lee")
    log = read_audit(base_db, "farms", expand=True)
    ins = log[(log["action"] == "insert") & (log["row_key"] == json.dumps({"name": "Kangso"}))]
    assert json.loads(ins["new"].iloc[0])["capacity_head"] == 300
    assert log["action"].iloc[-1] == "update" and log["user_name"].iloc[-1] == "lee"


def test_nothing_is_audited_when_an_import_fails(base_db):
    n = len(read_audit(base_db))
    with pytest.raises(RowsRejectedError):
        import_frame(base_db, "test_days", csv("animal,date,milk_kg\nD2,2024-09-01,x\n"))
    assert len(read_audit(base_db)) == n


def test_log_change_and_default_user(db):
    with transaction(db) as conn:
        log_change(conn, "farms", {"name": "Kangso"}, "update", old={"capacity_head": 300},
                   new={"capacity_head": 320}, user="lee")
    row = read_audit(db, "farms").iloc[-1]
    assert row["action"] == "update" and json.loads(row["old"]) == {"capacity_head": 300}
    assert row["user_name"] == "lee"
    assert current_user() and current_user("x") == "x"
