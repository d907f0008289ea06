"""The audit log: one row per change, in the same transaction, with user and values."""

from __future__ import annotations

import json

import pytest

from capra.store.audit import current_user, log_change, read_audit
from capra.store.db import transaction
from capra.store.io import RowsRejectedError, import_frame
from store_helpers import csv, load_base


def test_every_insert_is_audited_with_user_and_values(engine):
    load_base(engine, user="kim")
    log = read_audit(engine)
    assert len(log) == 3 + 1 + 5
    assert set(log["user_name"]) == {"kim"}
    assert set(log["action"]) == {"insert"}
    keys = log["row_key"].map(json.loads)
    d1 = log[(log["table_name"] == "animals") & (keys == {"tag": "D1"})]
    new = json.loads(d1["new"].iloc[0])
    assert new["sex"] == "female" and new["birth_date"] == "2022-03-01" and new["batch"] == "L-2024"
    assert log["import_id"].notna().all()


def test_nothing_is_audited_when_an_import_fails(engine):
    load_base(engine)
    n = len(read_audit(engine))
    with pytest.raises(RowsRejectedError):
        import_frame(engine, "test_days", csv("animal,date,milk_kg\nD2,2024-09-01,x\n"))
    assert len(read_audit(engine)) == n


def test_log_change_and_default_user(engine):
    with transaction(engine) as conn:
        log_change(conn, "farms", {"name": "Kangso"}, "update", old={"capacity_head": 300},
                   new={"capacity_head": 320}, user="lee")
    row = read_audit(engine, "farms").iloc[-1]
    assert row["action"] == "update" and json.loads(row["old"]) == {"capacity_head": 300}
    assert row["user_name"] == "lee"
    assert current_user() and current_user("x") == "x"
