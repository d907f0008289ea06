"""Generated bad import files of every kind: a located error or an import, never a
traceback; the database unchanged after every rejection; a rejects file for the others.

Each example takes the first rows of one kind's file of the example records (already in a
copy of their database, so the rows meet the recorded ones: unchanged, conflicting or new)
and damages the text: cut it short, insert quotes, separators, line breaks or control
characters, delete characters, change a field, a header or the number of fields. Bounded
(``max_examples``); derandomised on CI (``tests/conftest.py``).
"""

from __future__ import annotations

import csv
import io
import sqlite3

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from capra.errors import DataError
from capra.store.io import KINDS, RowsRejectedError, import_file
from capra.store.schema import metadata

ROWS = 6                                  # data rows of each generated file

VALUES = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["", " ", "nan", "inf", "-1", "0", "1e400", "99999999999", "3.5",
                     "9999-12-31", "2024-02-30", "0001-01-01", "2025-13-01", "true", "maybe",
                     "=1+1", "'=1+1", '"', "a,b", "x\ny", "x\x00", "[/b]", "female", "m",
                     "NP0001", "Kangso", "parturition", "Pregnant"]),
)
TEXT = st.sampled_from(['"', ",", "\n", "\r\n", "\x00", "\x1b", ";", " ", "é", "\ufeff",
                        "=cmd|x", "''", ",,", '""'])
MUTATION = st.one_of(
    st.tuples(st.just("cut"), st.floats(0.2, 1.0)),
    st.tuples(st.just("insert"), st.floats(0.0, 1.0), TEXT),
    st.tuples(st.just("delete"), st.floats(0.0, 1.0), st.integers(1, 12)),
    st.tuples(st.just("field"), st.integers(0, ROWS), st.integers(0, 20), VALUES),
    st.tuples(st.just("header"), st.integers(0, 20),
              st.sampled_from(["", "x", "Name", "name ", "date", "tag", "animal"])),
    st.tuples(st.just("extra"), st.integers(1, ROWS), VALUES),
    st.tuples(st.just("double"), st.integers(1, ROWS)),
)


def _mutate(text: str, mutation) -> str:
    kind, *args = mutation
    if kind == "cut":
        return text[: int(len(text) * args[0])]
    if kind == "insert":
        at = int(len(text) * args[0])
        return text[:at] + args[1] + text[at:]
    if kind == "delete":
        at = int(len(text) * args[0])
        return text[:at] + text[at + args[1]:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return text
    if kind == "field":
        row = rows[min(args[0], len(rows) - 1)]
        if row:
            row[args[1] % len(row)] = args[2]
    elif kind == "header":
        if rows[0]:                        # an earlier cut may leave an empty first line
            rows[0][args[0] % len(rows[0])] = args[1]
    elif kind == "extra":
        rows[min(args[0], len(rows) - 1)].append(args[1])
    elif kind == "double":
        rows.insert(min(args[0], len(rows)), rows[min(args[0], len(rows) - 1)])
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _counts(db) -> dict[str, int]:
    with db.connect() as conn:
        return {name: conn.exec_driver_sql(f'SELECT COUNT(*) FROM "{name}"').scalar_one()
                for name in metadata.tables}


@pytest.fixture
def records_copy(example_records, tmp_path):
    """A copy of the example records' database, with product batches and deliveries, and
    the first rows of every kind's file as text."""
    from capra.store.db import open_db
    from capra.store.io import import_frame

    folder, paths, db, _ = example_records
    target = tmp_path / "copy.db"
    with sqlite3.connect(folder / "capra.db") as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    copy = open_db(target)
    farm = pd.read_csv(paths["farms"])["name"].iloc[0]
    site = pd.read_csv(paths["sites"])["name"].iloc[0]
    texts = {kind: "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:ROWS + 1])
             for kind, path in paths.items()}
    texts["product_batches"] = (
        "code,product,farm,production_date,expiry_date,quantity_kg,milk_kg\n"
        + "".join(f"L-{i},yogurt,{farm},2025-03-0{i},2025-03-2{i},{100 + i},{110 + i}\n"
                  for i in range(1, ROWS + 1)))
    texts["deliveries"] = ("product_batch,site,date,quantity_kg,servings\n"
                           + "".join(f"L-{i},{site},2025-03-1{i},{10 + i},{70 + i}\n"
                                     for i in range(1, ROWS + 1)))
    import_frame(copy, "product_batches", pd.read_csv(io.StringIO(texts["product_batches"]),
                                                      dtype=str))
    assert set(texts) == set(KINDS)
    yield copy, texts
    copy.dispose()


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(KINDS)), mutations=st.lists(MUTATION, min_size=1,
                                                               max_size=3),
       keep_valid=st.booleans())
def test_damaged_files_give_a_located_error_or_an_import(records_copy, tmp_path_factory, kind,
                                                         mutations, keep_valid):
    db, texts = records_copy
    text = texts[kind]
    for mutation in mutations:
        text = _mutate(text, mutation)
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"{kind}.csv"
    path.write_bytes(text.encode("utf-8"))
    rejects = folder / "rejects.csv" if keep_valid else None
    before = _counts(db)
    try:
        res = import_file(db, kind, path, rejects_path=rejects)
    except RowsRejectedError as err:
        assert not keep_valid and str(path) in str(err)
        rows = err.rejects
        assert len(rows) and rows["row"].min() >= 1 and (rows["reason"].str.len() > 0).all()
        assert set(rows["field"]) <= {f.name for f in KINDS[kind].fields} | {""}
        assert _counts(db) == before
        event("rows rejected, nothing imported")
        return
    except DataError as err:                      # the file as a whole (columns, quotes)
        assert str(path) in str(err), str(err)
        assert _counts(db) == before
        event("file refused")
        return
    after = _counts(db)
    table = KINDS[kind].table.name
    assert after[table] - before[table] == res.inserted
    event("imported" + (" with a rejects file" if res.rejected else ""))
    if keep_valid:
        written = pd.read_csv(rejects, dtype=str, keep_default_na=False)
        assert written["row"].nunique() == res.rejected
        assert res.inserted + res.unchanged + res.rejected == res.rows
    else:
        assert res.rejected == 0
