"""The command line: help everywhere, JSON output, errors without tracebacks."""

from __future__ import annotations

import json

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from capra.cli import app

runner = CliRunner()


def _all_commands(cmd, path=()):
    yield path, cmd
    if hasattr(cmd, "commands"):
        for name, sub in cmd.commands.items():
            yield from _all_commands(sub, path + (name,))


@pytest.mark.parametrize("path", [p for p, _ in _all_commands(get_command(app))],
                         ids=lambda p: " ".join(p) or "capra")
def test_every_command_has_help_with_an_example(path):
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example" in res.output or "example" in res.output


@pytest.fixture(scope="module")
def nampo_run(tmp_path_factory):
    """One `capra run` of the bundled scenario, shared by the tests below: its JSON and
    its output folder."""
    out = tmp_path_factory.mktemp("run")
    res = runner.invoke(app, ["run", "nampo", "-n", "6", "--seed", "2", "--json",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out


def test_run_json_has_the_documented_keys(nampo_run):
    data, out = nampo_run
    assert data["scenario"] == "nampo"
    assert data["replicates"] == 6
    assert data["horizon_days"] == 1826
    for q in ("p10", "p50", "p90"):
        assert data["herd"]["final_head"][q] > 0
        assert data["milk"]["kg_per_year"][q] > 0
    assert len(data["milk"]["daily_kg_by_month"]) == 12
    assert len(data["rations_200ml_per_day_by_month"]) == 12
    assert set(data["rations_200ml_per_day_by_month"]["1"]) == {"p10", "p50", "p90"}
    plan = data["plan"]
    for key in ("children_served_every_day", "children_served_every_day_range",
                "futures_used", "programme_years", "interruption_days", "full_enrolment",
                "production_by_month", "binding", "confidence", "waste_kg"):
        assert key in plan, key
    assert plan["year"] == "repeatable"
    assert plan["children_served_every_day"] > 0
    assert 0 <= plan["confidence"] <= 1
    assert set(plan["children_served_every_day_range"]) == {"p10", "p50", "p90"}
    assert set(plan["full_enrolment"]) >= {"children", "interruption_days", "coverage"}
    assert set(plan["interruption_days"]) >= {"Kangso kindergartens", "Kangso schools"}
    for y in plan["programme_years"]:
        assert set(y) >= {"start", "end", "children_served_every_day"}
    assert set(plan["production_by_month"]) <= {"fresh_milk", "yogurt", "soft_cheese",
                                               "hard_cheese", "milk_powder"}
    assert all(len(months) <= 12 for months in plan["production_by_month"].values())
    assert isinstance(plan["binding"], list) and plan["binding"]
    for row in plan["binding"]:
        assert set(row) >= {"children_per_unit", "valid_from", "valid_to"}
    html = (out / "report.html").read_text()
    assert "What binds" in html
    assert (out / "report.html").stat().st_size > 10_000
    assert (out / "herd.nc").exists()
    assert json.loads((out / "summary.json").read_text()) == data


def test_the_plan_is_repeatable_honest_and_ramps_up(nampo_run):
    plan = nampo_run[0]["plan"]
    served, enrolled = plan["children_served_every_day"], plan["enrolled_children"]
    # never more served than enrolled; no interruption at the headline enrolment
    assert served <= enrolled
    assert set(plan["interruption_days"].values()) == {0}
    full = plan["full_enrolment"]
    assert full["children"] == enrolled and full["coverage"] < 1
    # one count of futures everywhere it appears
    assert plan["futures_used"] == plan["futures"] == 6
    # the ramp-up: four whole programme years from 2024-09-19, none falling while the
    # herd grows (the first has no milk until the first kiddings)
    years = plan["programme_years"]
    assert [y["start"] for y in years] == ["2024-09-19", "2025-09-19", "2026-09-19",
                                           "2027-09-19"]
    values = [y["children_served_every_day"] for y in years]
    assert values[0] == 0 and all(b >= a for a, b in zip(values, values[1:]))
    assert values[-1] < served * 1.05  # the last year is not more than the repeatable one
    # and the last programme year serves what a repeatable year on its own days does
    # (the same milk: the herd still grows after it), within 5 %
    import numpy as np
    import pandas as pd

    from capra.herd.result import HerdResult
    from capra.planning import max_enrolment, plan_inputs, supply_from_herd
    from capra.scenario import load_scenario

    sc = load_scenario("nampo")
    herd = HerdResult.load(nampo_run[1] / "herd.nc")
    days = pd.date_range(years[-1]["start"], years[-1]["end"])
    path = np.quantile(supply_from_herd(herd, sc, days), plan["quantile"], axis=0)
    res, _ = max_enrolment(plan_inputs(sc, path, days, stock_rule="cyclic"))
    assert abs(values[-1] / -res.objective - 1) < 0.05
    # age groups share the shortage at full enrolment
    shares = list(full["coverage_by_age_group"].values())
    assert len(shares) == 3 and max(shares) - min(shares) < 0.03
    # marginal values never negative; each within its range
    for row in plan["binding"]:
        assert row["children_per_unit"] >= 0
        assert row["valid_from"] is None or row["valid_from"] <= row["valid_to"]


def test_run_prints_a_table(tmp_path):
    res = runner.invoke(app, ["run", "-n", "2", "--no-plan", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "final head [head]" in res.stdout
    assert "report.html" in res.stdout


def test_simulate_writes_a_file(tmp_path):
    out = tmp_path / "h.parquet"
    res = runner.invoke(app, ["simulate", "nampo", "-n", "2", "-o", str(out)])
    assert res.exit_code == 0, res.output
    import pandas as pd
    assert set(pd.read_parquet(out)["farm"]) >= {"Kangso", "Rason"}


def test_bad_scenario_is_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nstart_date = 2024-01-01\nhorizon_days = 10\nbreed = "saanen"\n'
                   '[[farms]]\nname = "A"\ndistrict = "D"\ncapacity = 5\n'
                   'latitude = 1.0\nlongitude = 1.0\n')
    res = runner.invoke(app, ["scenario", "validate", str(bad)])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "capacity_head" in res.output          # the suggestion for the unknown key
    res = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_unknown_scenario_name_lists_the_bundled_ones(tmp_path):
    res = runner.invoke(app, ["run", "nampoo", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "nampo" in res.output and "Traceback" not in res.output


def test_validate_and_example(tmp_path):
    res = runner.invoke(app, ["scenario", "validate", "nampo"])
    assert res.exit_code == 0 and "ok" in res.output
    res = runner.invoke(app, ["example", "nampo", str(tmp_path)])
    assert res.exit_code == 0
    assert (tmp_path / "nampo.toml").exists()
    res = runner.invoke(app, ["scenario", "validate", str(tmp_path / "nampo.toml")])
    assert res.exit_code == 0
    res = runner.invoke(app, ["example", "nampo", str(tmp_path)])
    assert res.exit_code == 1 and "exists" in res.output
