"""Benchmark: records store imports and the herd-state query, against plain baselines.

Run ``python bench/store.py [--rows N] [--animals N] [--quick] [--json]``.

1. **Import of test-day milk records** (default 1,000,000 rows for 10,000 does): Capra's
   ``import_file`` (every row validated column by column, natural keys and integrity rules
   checked against the database, bulk insert, the audit row of the import (user, time,
   file, SHA-256, id range of the records added), one transaction) against the baseline: Python's ``csv`` module reading the same file and one
   ``INSERT`` per row through the database driver, with the tag looked up in a dictionary,
   in one transaction, without validation or audit. Both write into a fresh database with
   the same schema (its indexes included). Reported: rows per second of each and the ratio
   Capra / baseline.
2. **Herd state at a date for 10,000 animals**: ``herd_state`` (one set-based SQL query
   plus column arithmetic) against a per-animal loop (one query of the animal's events per
   animal, the state worked out in Python). Reported: seconds and the ratio.
3. **One test day into the filled database** (a form's row): the import reads the records
   of its animal only, against the same import reading whole tables (what a file of many
   animals does, :data:`capra.store.io.context.LOOKED_UP`). Reported: seconds and the ratio.

SQLite always; PostgreSQL too when ``CAPRA_TEST_POSTGRES_URL`` is set (a fresh schema is
created and dropped). On PostgreSQL the row-by-row baseline is timed on ``--pg-baseline-rows``
rows (default 100,000; a rate, so comparable). Timings are wall-clock
(``time.perf_counter``), one run each.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text

from capra.store.db import open_db
from capra.store.io import context, import_file, import_frame
from capra.store.query import herd_state

PG_ENV = "CAPRA_TEST_POSTGRES_URL"


def _herd(db, n_animals: int) -> list[str]:
    """Farms, does born on a farm, and kiddings, matings, transfers and dry-offs."""
    import_frame(db, "farms", pd.DataFrame({"name": ["Kangso", "Chollima"]}))
    tags = [f"D{i:06d}" for i in range(n_animals)]
    import_frame(db, "animals", pd.DataFrame({
        "tag": tags, "sex": "female", "birth_date": "2021-01-01", "farm": "Kangso"}))
    rng = np.random.default_rng(1)
    half = np.array(tags)[: n_animals // 2]
    ev = pd.concat([
        pd.DataFrame({"animal": tags, "date": "2022-01-15", "type": "parturition",
                      "litter_size": "1"}),
        pd.DataFrame({"animal": half, "date": "2022-03-01", "type": "transfer",
                      "farm": "Chollima", "from_farm": "Kangso"}),
        pd.DataFrame({"animal": tags, "date": "2022-10-01", "type": "insemination",
                      "method": "NaturalService"}),
        pd.DataFrame({"animal": tags, "date": "2023-03-01", "type": "parturition",
                      "litter_size": rng.integers(1, 3, n_animals).astype(str)}),
        pd.DataFrame({"animal": half, "date": "2023-11-15", "type": "dry_off"}),
    ], ignore_index=True).fillna("")
    import_frame(db, "events", ev)
    return tags


def _milk_file(path: Path, tags: list[str], rows: int) -> None:
    per = max(rows // len(tags), 1)
    days = pd.date_range("2023-03-05", periods=per, freq="D").strftime("%Y-%m-%d")
    n = per * len(tags)
    pd.DataFrame({"animal": np.repeat(tags, per), "date": np.tile(days, len(tags)),
                  "milk_kg": np.round(np.random.default_rng(0).uniform(0.5, 5, n), 3)}
                 ).iloc[:rows].to_csv(path, index=False)


def _baseline_import(db, path: Path, limit: int | None) -> tuple[int, float]:
    """csv + one INSERT per row through the driver, one transaction."""
    with db.connect() as conn:
        ids = dict(conn.execute(text("SELECT tag, id FROM animals")).fetchall())
    raw = db.raw_connection()
    try:
        pg = db.dialect.name == "postgresql"
        sql = ("INSERT INTO test_days (animal_id, date, milk_kg) VALUES (%s, %s, %s)" if pg
               else "INSERT INTO test_days (animal_id, date, milk_kg) VALUES (?, ?, ?)")
        t0 = time.perf_counter()
        cur = raw.cursor()
        if not pg:
            cur.execute("BEGIN")
        n = 0
        with open(path, newline="") as fh:
            for row in csv.DictReader(fh):
                cur.execute(sql, (ids[row["animal"]], row["date"], float(row["milk_kg"])))
                n += 1
                if limit and n >= limit:
                    break
        raw.commit() if pg else cur.execute("COMMIT")
        return n, time.perf_counter() - t0
    finally:
        raw.close()


def _baseline_state(db, day: str) -> tuple[int, float]:
    """One query per animal, the state worked out in Python."""
    t0 = time.perf_counter()
    d = pd.Timestamp(day).date()
    out = []
    with db.connect() as conn:
        animals = conn.execute(text("SELECT id, tag, sex, birth_date, entry_parity, farm_id "
                                    "FROM animals")).fetchall()
        farms = dict(conn.execute(text("SELECT id, name FROM farms")).fetchall())
        for aid, tag, sex, birth, parity, farm in animals:
            evs = conn.execute(text("SELECT date, type, farm_id FROM events WHERE animal_id = :a "
                                    "ORDER BY date, id"), {"a": aid}).fetchall()
            state = {"tag": tag, "farm": farms[farm], "parity": parity, "alive": True,
                     "last_kid": None, "dry": None}
            for date, typ, f in evs:
                date = pd.Timestamp(date).date()
                if date > d:
                    break
                if f is not None:
                    state["farm"] = farms[f]
                if typ == "parturition":
                    state["parity"] += 1
                    state["last_kid"] = date
                elif typ == "dry_off":
                    state["dry"] = date
                elif typ in ("death", "departure"):
                    state["alive"] = False
            state["lactating"] = bool(state["last_kid"] and (state["dry"] is None or
                                                             state["dry"] < state["last_kid"]))
            state["dim"] = (d - state["last_kid"]).days if state["lactating"] else None
            out.append(state)
    return len(out), time.perf_counter() - t0


def run(url: str, rows: int, animals: int, workdir: Path, baseline_limit: int | None) -> dict:
    db = open_db(url)
    tags = _herd(db, animals)
    path = workdir / "milk.csv"
    if not path.exists():
        _milk_file(path, tags, rows)
    t0 = time.perf_counter()
    res = import_file(db, "test_days", path, user="bench")
    t_capra = time.perf_counter() - t0
    assert res.inserted == rows and res.rejected == 0
    t0 = time.perf_counter()
    state = herd_state(db, "2023-12-31")
    t_state = time.perf_counter() - t0
    one = _one_row_imports(db, tags[0])
    # baseline into a second fresh database of the same kind
    db.dispose()
    return {"capra_rows": res.inserted, "capra_s": t_capra, "state_rows": len(state),
            "state_s": t_state, **one}


def _one_row_imports(db, tag: str) -> dict:
    """A form's row (one test day) into the filled database: the records of its animal
    read by value, against the same import reading whole tables (as a big file does)."""
    out = {}
    for day, (name, looked_up) in enumerate((("one_row_s", context.LOOKED_UP),
                                             ("one_row_whole_tables_s", -1)), start=1):
        frame = pd.DataFrame({"animal": [tag], "date": [f"2024-12-{day:02d}"],
                              "milk_kg": ["2.5"]})
        saved, context.LOOKED_UP = context.LOOKED_UP, looked_up
        try:
            t0 = time.perf_counter()
            assert import_frame(db, "test_days", frame, user="bench").inserted == 1
            out[name] = time.perf_counter() - t0
        finally:
            context.LOOKED_UP = saved
    return out


def _fresh_pg(base: str):
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    return admin, schema, f"{base}{sep}options={quote(f'-csearch_path={schema}')}"


def bench(backend: str, rows: int, animals: int, workdir: Path, pg_baseline_rows: int) -> dict:
    cleanup = []
    if backend == "sqlite":
        urls = [f"sqlite:///{workdir / 'capra.db'}", f"sqlite:///{workdir / 'baseline.db'}"]
        limit = None
    else:
        urls = []
        for _ in range(2):
            admin, schema, url = _fresh_pg(os.environ[PG_ENV])
            cleanup.append((admin, schema))
            urls.append(url)
        limit = min(pg_baseline_rows, rows)
    try:
        ours = run(urls[0], rows, animals, workdir, None)
        db = open_db(urls[1])
        _herd(db, animals)
        n_base, t_base = _baseline_import(db, workdir / "milk.csv", limit)
        n_state, t_state_base = _baseline_state(db, "2023-12-31")
        db.dispose()
    finally:
        for admin, schema in cleanup:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    capra_rps = ours["capra_rows"] / ours["capra_s"]
    base_rps = n_base / t_base
    return {
        "database": backend, "rows": rows, "animals": animals,
        "import_capra_rows_per_s": capra_rps, "import_capra_s": ours["capra_s"],
        "import_baseline_rows": n_base, "import_baseline_rows_per_s": base_rps,
        "import_ratio": capra_rps / base_rps,
        "state_animals": ours["state_rows"], "state_capra_s": ours["state_s"],
        "state_baseline_s": t_state_base, "state_ratio": t_state_base / ours["state_s"],
        "one_row_s": ours["one_row_s"], "one_row_whole_tables_s": ours["one_row_whole_tables_s"],
    }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="test-day rows to import")
    ap.add_argument("--animals", type=int, default=10_000, help="does in the herd")
    ap.add_argument("--pg-baseline-rows", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="100,000 rows, 2,000 animals")
    ap.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.animals = 100_000, 2_000
    results = []
    backends = ["sqlite"] + (["postgres"] if os.environ.get(PG_ENV) else [])
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(bench(backend, args.rows, args.animals, Path(tmp), args.pg_baseline_rows))
    report = sys.stderr if args.json else sys.stdout
    for r in results:
        print(f"[{r['database']}] import of {r['rows']:,} test-day rows "
              f"({r['animals']:,} does):\n"
              f"  capra import_file     {r['import_capra_rows_per_s']:>10,.0f} rows/s "
              f"({r['import_capra_s']:.1f} s; validated, rules, audit, one transaction)\n"
              f"  csv + row-by-row INSERT {r['import_baseline_rows_per_s']:>8,.0f} rows/s "
              f"(on {r['import_baseline_rows']:,} rows; no validation, no audit)\n"
              f"  ratio capra/baseline  {r['import_ratio']:.2f}\n"
              f"  herd state of {r['state_animals']:,} animals: capra {r['state_capra_s']:.3f} s, "
              f"per-animal loop {r['state_baseline_s']:.3f} s, ratio {r['state_ratio']:.1f}x\n"
              f"  one test day into the filled database: {r['one_row_s']:.3f} s (its animal's "
              f"records read), {r['one_row_whole_tables_s']:.3f} s reading whole tables, "
              f"ratio {r['one_row_whole_tables_s'] / r['one_row_s']:.0f}x",
              file=report)
    print("\nimport rows/s      capra      baseline   ratio", file=report)
    for r in results:
        print(f"  {r['database']:<10} {r['import_capra_rows_per_s']:>10,.0f} "
              f"{r['import_baseline_rows_per_s']:>12,.0f}   {r['import_ratio']:.2f}", file=report)
    if not backends[1:]:
        print(f"(PostgreSQL skipped: set {PG_ENV} to include it)", file=report)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")


if __name__ == "__main__":
    main()
