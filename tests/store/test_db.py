"""Opening databases, the write transaction, migrations, concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from capra.store.db import (StoreError, create, current_revision, head_revision, open_db,
                            resolve_url, transaction)
from capra.store.io import export_frame, import_frame
from capra.store.schema import metadata

from store_helpers import csv


def test_resolve_url_default_and_paths():
    assert resolve_url(None) == "sqlite:///capra.db"
    assert resolve_url("x/y.db") == "sqlite:///x/y.db"
    assert resolve_url("postgresql+psycopg://a@b/c") == "postgresql+psycopg://a@b/c"


def test_open_migrates_an_empty_database_to_head(db_url):
    db = open_db(db_url)
    assert current_revision(db) == head_revision() == "0003"
    names = set(inspect(db).get_table_names())
    assert {"farms", "sites", "batches", "animals", "events", "test_days", "product_batches",
            "deliveries", "children", "measurements", "imports", "audit"} <= names
    db.dispose()


def test_upgrade_from_the_first_revision_keeps_its_audit_rows(db_url):
    from capra.store.history import read_audit
    from capra.store.db import upgrade

    db = create(db_url)
    upgrade(db, "0001")
    with transaction(db) as conn:
        conn.execute(text("INSERT INTO farms (name, kind) VALUES ('Kangso', 'farm')"))
        conn.execute(text("INSERT INTO audit (at, user_name, table_name, row_key, action, new) "
                          "VALUES ('2025-01-01 00:00:00', 'kim', 'farms', '{\"name\": \"Kangso\"}', "
                          "'insert', '{}')"))
    assert upgrade(db) == head_revision()
    log = read_audit(db, expand=True)
    assert log["user_name"].tolist() == ["kim"] and log["first_id"].isna().all()
    db.dispose()


def test_migrated_schema_matches_the_models(db):
    with db.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []


def test_open_refuses_a_foreign_database(db_url):
    raw = create(db_url)
    with raw.begin() as conn:
        conn.execute(text("CREATE TABLE other (x INTEGER)"))
    with pytest.raises(StoreError, match="no Capra schema version"):
        open_db(db_url)
    raw.dispose()


def test_open_reports_an_unreachable_server():
    with pytest.raises(StoreError, match="cannot open"):
        open_db("postgresql+psycopg://nobody:x@127.0.0.1:1/none?connect_timeout=2")


def test_sqlite_pragmas(tmp_path):
    db = open_db(tmp_path / "r.db")
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


def test_transaction_rolls_back_on_error(db):
    with pytest.raises(RuntimeError):
        with transaction(db) as conn:
            conn.execute(text("INSERT INTO farms (name, kind) VALUES ('X', 'farm')"))
            raise RuntimeError("boom")
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM farms")).scalar() == 0


def test_database_enforces_codes_and_keys(db):
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        with transaction(db) as conn:
            conn.execute(text("INSERT INTO farms (name, kind) VALUES ('X', 'barn')"))
    with pytest.raises(IntegrityError):
        with transaction(db) as conn:
            conn.execute(text("INSERT INTO events (animal_id, date, type) "
                              "VALUES (999, '2025-01-01', 'dry_off')"))


# ---- concurrent writers ---------------------------------------------------------------

def _events_csv(tags, start_day, n_days):
    import pandas as pd

    dates = pd.date_range("2025-01-01", periods=365, freq="D")[start_day:start_day + n_days]
    rows = [f"{t},{d:%Y-%m-%d},treatment,,,,,,,,,,,vitamin,0," for t in tags for d in dates]
    head = ("animal,date,type,farm,from_farm,reason,departure_kind,litter_size,live_kids,"
            "method,sire,result,expected_parturition_date,product,withdrawal_days,note\n")
    return head + "\n".join(rows) + "\n"


def _writer(url, start_day, n_days, user):
    from capra.store.db import open_db

    db = open_db(url)
    for k in range(n_days):  # many small transactions, interleaving with the others
        import_frame(db, "events", csv(_events_csv(["D1", "D2", "B1"], start_day + k, 1)),
                     user=user)
    db.dispose()


def test_concurrent_threads_lose_no_event(base_db, db_url):
    threads = [threading.Thread(target=_writer, args=(db_url, 10 * i, 5, f"t{i}"))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ev = export_frame(base_db, "events")
    assert len(ev) == 4 * 5 * 3
    assert not ev.duplicated(["animal", "date", "type"]).any()
    with base_db.connect() as conn:
        # one audit row per import (4 writers x 5 imports), covering every event once
        assert conn.execute(text("SELECT COUNT(*) FROM audit WHERE table_name = 'events'")
                            ).scalar() == 20
        assert conn.execute(text(
            "SELECT COUNT(*) FROM events e JOIN audit a ON a.table_name = 'events' "
            "AND a.action = 'insert' AND e.id BETWEEN a.first_id AND a.last_id")).scalar() == 60


def test_concurrent_processes_lose_no_event(base_db, db_url):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(db_url, 10 * i, 4, f"p{i}")) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    ev = export_frame(base_db, "events")
    assert len(ev) == 2 * 4 * 3
    # same rows imported again by two writers at once: still each event once
    both = [threading.Thread(target=_writer, args=(db_url, 0, 3, f"again{i}")) for i in range(2)]
    for t in both:
        t.start()
    for t in both:
        t.join()
    assert len(export_frame(base_db, "events")) == 24
