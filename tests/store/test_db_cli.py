"""``capra db`` commands, run in-process."""

from __future__ import annotations

import io
import json
import re
import sqlite3

import pandas as pd
import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from capra.store.cli import register
from store_helpers import ANIMALS, BATCHES, FARMS

runner = CliRunner()
app = typer.Typer()
register(app)


@app.callback()
def _root():
    """Test root."""


@pytest.mark.parametrize("cmd", sorted(get_command(app).commands["db"].commands))
def test_every_db_command_has_help_with_an_example(cmd):
    res = runner.invoke(app, ["db", cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example" in res.output


def test_init_import_export_state(tmp_path):
    db = str(tmp_path / "r.db")
    assert runner.invoke(app, ["db", "init", "--db", db]).exit_code == 0
    for kind, data in (("farms", FARMS), ("batches", BATCHES), ("animals", ANIMALS)):
        f = tmp_path / f"{kind}.csv"
        f.write_text(data)
        res = runner.invoke(app, ["db", "import", kind, str(f), "--db", db, "--user", "kim",
                                  "--json"])
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["inserted"] > 0
    res = runner.invoke(app, ["db", "export", "animals", "-o", str(tmp_path / "a.parquet"),
                              "--db", db])
    assert res.exit_code == 0 and (tmp_path / "a.parquet").exists()
    res = runner.invoke(app, ["db", "state", "--date", "2024-09-01", "--db", db])
    assert res.exit_code == 0, res.output
    # the summary by farm: the five animals of the hand-made herd, all at Rason
    rason = next(line for line in res.stdout.splitlines() if "Rason" in line)
    head, in_milk, dry, doelings, pregnant, inseminated, males, withheld = map(
        int, re.findall(r"\d+", rason))
    assert (head, in_milk, dry, doelings, pregnant, inseminated, males, withheld) == (
        5, 1, 1, 2, 1, 0, 1, 0)
    assert len(res.stdout.splitlines()) < 15                # a summary, not every animal
    res = runner.invoke(app, ["db", "state", "--date", "2024-09-01", "--db", db, "--csv"])
    assert res.exit_code == 0, res.output
    every = pd.read_csv(io.StringIO(res.stdout))
    assert sorted(every["tag"]) == ["B1", "D1", "D2", "D3", "G1"]
    assert every.loc[every["tag"] == "D3", "expected_parturition_date"].item() == "2025-01-10"
    res = runner.invoke(app, ["db", "state", "--date", "2024-09-01", "--db", db,
                              "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0 and (tmp_path / "s.csv").read_text().startswith("tag,")


def test_bad_rows_give_an_exit_code_and_a_rejects_file(tmp_path):
    db = str(tmp_path / "r.db")
    f = tmp_path / "farms.csv"
    f.write_text("name,capacity_head\nKangso,300\nBad,-4\n")
    res = runner.invoke(app, ["db", "import", "farms", str(f), "--db", db])
    assert res.exit_code == 3 and "row 2, field 'capacity_head'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["db", "import", "farms", str(f), "--db", db,
                              "--rejects", str(tmp_path / "bad.csv")])
    assert res.exit_code == 5 and "1 inserted" in res.output
    assert "out of range" in (tmp_path / "bad.csv").read_text()


def test_template_command(tmp_path):
    res = runner.invoke(app, ["db", "template", "children"])
    assert res.exit_code == 0 and res.stdout.startswith("code,sex,birth_date,site")
    res = runner.invoke(app, ["db", "template", "children", "-o", str(tmp_path / "c.xlsx")])
    assert res.exit_code == 0 and (tmp_path / "c.xlsx").exists()
    res = runner.invoke(app, ["db", "template", "goats"])
    assert res.exit_code == 3 and "unknown kind" in res.output


READS = [["db", "state", "--date", "2025-01-01"], ["db", "export", "farms", "-o", "f.csv"],
         ["db", "report", "-n", "1"], ["milk", "fit"], ["run", "--from-db", "-n", "1"]]


@pytest.mark.parametrize("args", READS, ids=[" ".join(a[:2]) for a in READS])
def test_read_commands_never_create_a_database(tmp_path, monkeypatch, args):
    """Only `db init` and imports create a database; a read says it does not exist (it
    used to create an empty one and report 0 animals with exit 0)."""
    from capra.cli import app as main_app

    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main_app, [*args, "--db", "none.db"])
    assert res.exit_code == 4 and "does not exist" in res.output, res.output
    assert "capra db init --db none.db" in res.output
    assert not (tmp_path / "none.db").exists()
    res = runner.invoke(main_app, args)                 # the default capra.db, too
    assert res.exit_code == 4 and not (tmp_path / "capra.db").exists()
    (tmp_path / "empty.db").touch()                     # a file without Capra's tables
    res = runner.invoke(main_app, [*args, "--db", "empty.db"])
    assert res.exit_code == 4 and "is empty" in res.output
    with sqlite3.connect(tmp_path / "empty.db") as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_report_checks_its_period_before_the_work(tmp_path, monkeypatch):
    """A bad --period stops `db report` before the database is opened or the herd
    simulated (the check used to come after the simulation)."""
    from capra.cli import app as main_app

    monkeypatch.chdir(tmp_path)
    res = runner.invoke(main_app, ["db", "report", "--period", "decade", "--db", "none.db"])
    assert res.exit_code == 2 and "--period 'decade'" in res.output, res.output
    assert "half-year" in res.output and not (tmp_path / "none.db").exists()


def test_imports_create_the_database(tmp_path):
    f = tmp_path / "farms.csv"
    f.write_text(FARMS)
    res = runner.invoke(app, ["db", "import", "farms", str(f), "--db", str(tmp_path / "n.db")])
    assert res.exit_code == 0 and (tmp_path / "n.db").exists()


def test_outputs_are_checked_before_the_work(tmp_path):
    db = str(tmp_path / "r.db")
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    res = runner.invoke(app, ["db", "init", "--db", str(blocked / "r.db")])
    assert res.exit_code == 1 and "a-file" in res.output and res.exception is not None
    assert isinstance(res.exception, SystemExit)
    assert runner.invoke(app, ["db", "init", "--db", db]).exit_code == 0
    f = tmp_path / "farms.csv"
    f.write_text("name,capacity_head\nKangso,300\nBad,-4\n")
    for rejects, message in ((blocked / "bad.csv", "a-file"), (f, "is the input file"),
                             (tmp_path / "bad.txt", "expected .csv, .xlsx")):
        res = runner.invoke(app, ["db", "import", "farms", str(f), "--db", db,
                                  "--rejects", str(rejects)])
        assert res.exit_code == 1 and message in res.output, res.output
    assert f.read_text().startswith("name,capacity_head")
    res = runner.invoke(app, ["db", "export", "farms", "--db", db, "-o", str(tmp_path / "f.txt")])
    assert res.exit_code == 1 and "unknown file type" in res.output
    res = runner.invoke(app, ["db", "state", "--date", "2025-01-01", "--db", db])
    assert res.exit_code == 0                           # nothing was imported above
    assert "0 animals" in res.output


def test_names_with_markup_are_shown_as_typed(tmp_path):
    db = str(tmp_path / "r.db")
    f = tmp_path / "farms.csv"
    f.write_text("name,kind\n[/b]farm,farm\n[bold]x,quarantine\n")
    assert runner.invoke(app, ["db", "import", "farms", str(f), "--db", db]).exit_code == 0
    a = tmp_path / "animals.csv"
    a.write_text("tag,sex,birth_date,farm\nT1,f,2024-01-01,[/b]farm\nT2,m,2024-01-01,[bold]x\n")
    assert runner.invoke(app, ["db", "import", "animals", str(a), "--db", db]).exit_code == 0
    res = runner.invoke(app, ["db", "state", "--date", "2025-01-01", "--db", db])
    assert res.exit_code == 0, res.output
    assert "[/b]farm" in res.output and "[bold]x" in res.output
