"""Example records: written in the import layouts, imported with zero rejects, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from capra.examples.records import (
    IMPORT_ORDER,
    example_frames,
    import_records,
)
from capra.store.io import KINDS

from shared_records import EXAMPLE_SEED as SEED


@pytest.fixture(scope="module")
def records(example_records):
    """Example records of nampo (two years), written and imported into SQLite."""
    return example_records


def test_files_in_import_order_with_readme(records):
    folder, paths, _, _ = records
    assert tuple(paths) == IMPORT_ORDER
    readme = (folder / "README.txt").read_text()
    positions = [readme.index(f"capra db import {kind} {kind}.csv") for kind in IMPORT_ORDER]
    assert positions == sorted(positions)
    for kind, path in paths.items():
        header = path.read_text().splitlines()[0].split(",")
        assert set(header) <= {f.name for f in KINDS[kind].fields}, kind
        assert all(f.name in header for f in KINDS[kind].fields if f.required), kind


def test_every_file_imports_with_zero_rejects(records):
    _, paths, _, results = records
    assert set(results) == set(IMPORT_ORDER)
    for kind, res in results.items():
        rows = len(pd.read_csv(paths[kind]))
        assert res.rejected == 0, (kind, res.rejects.head())
        assert res.inserted == rows > 0, kind


def test_importing_again_changes_nothing(records):
    folder, _, db, results = records
    again = import_records(db, folder)
    for kind in IMPORT_ORDER:
        assert again[kind].inserted == 0
        assert again[kind].unchanged == results[kind].inserted


def test_animals_match_the_simulated_event_log(records):
    from capra.herd.simulate import simulate_events
    from capra.scenario import load_scenario
    from capra.examples.records import _records_scenario

    _, paths, _, _ = records
    animals = pd.read_csv(paths["animals"])
    assert animals["tag"].str.fullmatch(r"NP-\d{6}").all()
    ev = simulate_events(_records_scenario(load_scenario("nampo"), 2), seed=SEED,
                         parameter_uncertainty=False)
    assert len(animals) == len(ev["arrivals"]) + len(ev["births"])
    assert (animals["origin"] == "arrival").sum() == len(ev["arrivals"])
    events = pd.read_csv(paths["events"])
    counts = events["type"].value_counts()
    assert counts["parturition"] == len(ev["kiddings"])
    assert counts["insemination"] == len(ev["conceptions"])
    assert counts["death"] == len(ev["deaths"])
    assert counts["departure"] == len(ev["sales"]) + len(ev["culls"])
    assert counts["transfer"] == len(ev["transfers"])
    kid = events[events["type"] == "parturition"]
    assert (kid["litter_size"] - kid["live_kids"]).sum() == len(ev["stillbirths"])
    # every live kid has its dam recorded, and the dam kidded that day
    born = animals[animals["origin"] == "birth"]
    assert kid.groupby(["animal", "date"])["live_kids"].sum().sum() == len(born)
    assert set(born["dam"]) <= set(kid["animal"])
    assert len(pd.read_csv(paths["test_days"])) == len(ev["test_days"])


def test_same_seed_same_records_other_seed_other_records():
    a = example_frames(seed=5, years=1)
    b = example_frames(seed=5, years=1)
    c = example_frames(seed=6, years=1)
    for kind in IMPORT_ORDER:
        pd.testing.assert_frame_equal(a[kind], b[kind])
    assert not a["events"].equals(c["events"])
    assert not a["measurements"].equals(c["measurements"])


def test_children_are_dprk_like_stunted(records):
    from capra.growth import zscores

    _, paths, _, _ = records
    ch = pd.read_csv(paths["children"])
    me = pd.read_csv(paths["measurements"]).merge(ch, left_on="child", right_on="code")
    sites = pd.read_csv(paths["sites"])
    assert set(sites["kind"]) == {"kindergarten", "school"}
    age = (pd.to_datetime(me["date"]) - pd.to_datetime(me["birth_date"])).dt.days
    assert (age > 0).all()
    z = zscores(sex=me["sex"].map({"male": 1, "female": 2}).to_numpy(), age=age.to_numpy(),
                weight=me["weight_kg"].to_numpy(), lenhei=me["height_cm"].to_numpy(),
                measure=me["measured"].to_numpy(object))
    haz = z["zlen"].fillna(z["zhfa"]).to_numpy(float)
    assert np.isfinite(haz).mean() > 0.99
    stunted = np.nanmean(haz < -2)
    assert 0.18 <= stunted <= 0.28
    # about every six months: each child measured on dates at least 150 days apart
    gaps = pd.to_datetime(me.sort_values("date")["date"]).groupby(me["child"]).diff().dt.days
    assert gaps.dropna().min() >= 150


def test_the_readme_commands_name_the_database_and_run_as_written(records, tmp_path,
                                                                    monkeypatch):
    """Each command of README.txt names the database (a command without --db would open
    capra.db wherever it is run); the import and state commands run as written."""
    import shlex
    import shutil

    from typer.testing import CliRunner

    from capra.cli import app

    folder, paths, _, results = records
    for path in [*paths.values(), folder / "README.txt"]:
        shutil.copy(path, tmp_path / path.name)
    commands = [line.split("capra ", 1)[1] for line in
                (tmp_path / "README.txt").read_text().splitlines() if "capra " in line
                and "Capra scenario" not in line]
    assert len(commands) == len(IMPORT_ORDER) + 5
    assert all("--db capra.db" in c for c in commands)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in commands:
        if command.startswith(("db init", "db import", "db state")):
            args = shlex.split(command.split("  (")[0])
            res = runner.invoke(app, args)
            assert res.exit_code == 0, (command, res.output)
    res = runner.invoke(app, ["db", "export", "measurements", "-o", "m.csv", "--db", "capra.db"])
    assert res.exit_code == 0
    assert len(pd.read_csv(tmp_path / "m.csv")) == results["measurements"].rows
