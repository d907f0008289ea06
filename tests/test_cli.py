"""The command line: help everywhere, JSON output, errors without tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import click
import pytest
from typer.main import get_command
from typer.testing import CliRunner

from capra.cli import app

runner = CliRunner()


def _all_commands(cmd, path=()):
    yield path, cmd
    if hasattr(cmd, "list_commands"):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from _all_commands(cmd.get_command(ctx, name), path + (name,))


COMMANDS = dict(_all_commands(get_command(app)))


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "capra")
def test_every_command_has_help_with_an_example(path):
    res = runner.invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    assert "Example" in res.output or "example" in res.output


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(p) or "capra")
def test_help_keeps_every_word_in_square_brackets(path):
    """Units such as [kg] and tables such as [breed_overrides.lactation] are shown."""
    cmd = COMMANDS[path]
    texts = [cmd.help or ""] + [getattr(p, "help", None) or "" for p in cmd.params]
    words = {w for t in texts for w in re.findall(r"\[[^\]\n]+\]", t)}
    shown = _flat(runner.invoke(app, [*path, "--help"], terminal_width=200).output)
    assert [w for w in words if _flat(w) not in shown] == []


def test_the_help_shows_units_and_tables():
    res = runner.invoke(app, ["growth", "zscores", "--help"])
    assert "weight [kg]" in _flat(res.output)
    res = runner.invoke(app, ["milk", "fit", "--help"])
    assert "[breed_overrides.lactation]" in res.output


def test_the_growth_line_in_the_command_list_is_the_group_help():
    from capra.cli import _MainGroup
    from capra.growth.cli import app as growth_app

    for module, line in _MainGroup.lazy.values():
        assert module == "capra.growth.cli"
        assert growth_app.info.help.startswith(line)


HEAVY = ("pandas", "scipy", "sqlalchemy", "matplotlib", "numpy", "xarray")


def test_help_does_not_load_heavy_libraries():
    """`capra --help` and the help of every command outside `capra growth` start fast:
    they import none of the heavy libraries (measured: 1.5 s before, 0.14 s after)."""
    paths = [list(p) for p in COMMANDS if p[:1] != ("growth",)]
    code = f"""
import sys
from typer.testing import CliRunner
from capra.cli import app
for path in {paths!r}:
    res = CliRunner().invoke(app, [*path, "--help"])
    assert res.exit_code == 0, (path, res.output)
    loaded = [m for m in {HEAVY!r} if m in sys.modules]
    assert not loaded, (path, loaded)
print("ok")
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr


#: The sites of the bundled scenario kept for the planned run below: three of its six
#: districts (10,097 children enrolled, more than the milk serves), so that the plan has
#: a shortage to share and half the dispatch problem to solve. [-]
RUN_DISTRICTS = ("Kangso", "Chollima", "Hanggu-Waudo")
#: Horizon of that run: four years of the bundled five, so three whole programme years
#: (the herd still growing) and the repeatable year after them. [days]
RUN_HORIZON_DAYS = 1461


@pytest.fixture(scope="module")
def nampo_run(tmp_path_factory):
    """One planned `capra run` of the bundled scenario on three of its districts and four
    years, shared by the tests below: its JSON, its output folder and the scenario file."""
    import tomllib

    from capra.scenario import bundled_scenario_path, save_scenario, scenario_from_dict

    data = tomllib.loads(bundled_scenario_path("nampo").read_text(encoding="utf-8"))
    data["horizon_days"] = RUN_HORIZON_DAYS
    data["sites"] = [s for s in data["sites"] if s["name"].startswith(RUN_DISTRICTS)]
    names = {s["name"] for s in data["sites"]}
    data["transport"]["routes"] = [r for r in data["transport"]["routes"]
                                   if r["destination"] in names]
    out = tmp_path_factory.mktemp("run")
    path = save_scenario(scenario_from_dict(data), out / "nampo-3-districts.toml")
    res = runner.invoke(app, ["run", str(path), "-n", "6", "--seed", "2", "--json",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout), out, path


#: Horizon of the short copy of the bundled scenario for the commands whose output does
#: not depend on the herd's later years (the bundled one has five). [days]
SHORT_HORIZON_DAYS = 420


@pytest.fixture(scope="module")
def short_nampo(tmp_path_factory):
    """The bundled scenario with a horizon of :data:`SHORT_HORIZON_DAYS`, as a file."""
    from capra.scenario import load_scenario, save_scenario

    sc = load_scenario("nampo").model_copy(update={"horizon_days": SHORT_HORIZON_DAYS})
    return save_scenario(sc, tmp_path_factory.mktemp("short") / "nampo-short.toml")


def test_run_json_has_the_documented_keys(nampo_run):
    data, out, _ = nampo_run
    assert data["scenario"] == "nampo"
    assert data["replicates"] == 6
    assert data["horizon_days"] == RUN_HORIZON_DAYS
    for q in ("p10", "p50", "p90"):
        assert data["herd"]["final_head"][q] > 0
        assert data["milk"]["kg_per_year"][q] > 0
    assert len(data["milk"]["daily_kg_by_month"]) == 12
    assert len(data["rations_per_day_by_month"]) == 12
    assert set(data["rations_per_day_by_month"]["1"]) == {"p10", "p50", "p90"}
    assert data["ration"] == {"product": "fresh_milk", "age_group": "age_6_11",
                              "serving_g": 206.0, "milk_kg": pytest.approx(0.206 * 1.02)}
    # the key's old name, deprecated (docs/planning.md), with the same numbers
    assert data["rations_200ml_per_day_by_month"] == data["rations_per_day_by_month"]
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
    # strict JSON (no NaN or Infinity), the same as printed
    strict = {"parse_constant": lambda c: pytest.fail(f"{c} in JSON")}
    assert json.loads((out / "summary.json").read_text(), **strict) == data


def test_run_json_says_what_we_do_not_know_what_can_go_wrong_and_the_inbreeding(nampo_run):
    data, out, _ = nampo_run
    sens = data["sensitivity"]
    assert sens["replicates"] == 6 and 1 <= sens["trough_month"] <= 12
    assert {f["factor"] for f in sens["factors"]} >= {"milk yield",
                                                      "breed.mortality.kid_risk_to_weaning"}
    assert [f["rank"] for f in sens["factors"]] == list(range(1, len(sens["factors"]) + 1))
    assert set(data["health"]) >= {"reactors", "infected_released", "transport_deaths",
                                   "outbreak_starts", "share_of_replicates_with_an_outbreak"}
    units = data["breeding"]["units"]
    assert units[0]["unit"] == "all farms (bucks rotate)" and units[0]["closed"] is True
    assert 0 < units[0]["delta_f"]["p50"] < 0.05
    html = (out / "report.html").read_text()
    for heading in ("What we do not know", "Health: testing, transport, outbreaks",
                    "Breeding stock and inbreeding"):
        assert f">{heading}</h2>" in html


@pytest.fixture(scope="module")
def short_run(short_nampo, tmp_path_factory):
    """`capra run` of the short scenario, without a plan and with the point values of its
    uncertain parameters, printing its tables: ``(result, output folder)``."""
    out = tmp_path_factory.mktemp("short-run")
    res = runner.invoke(app, ["run", str(short_nampo), "-n", "3", "--no-plan",
                              "--no-parameter-uncertainty", "--out", str(out)])
    assert res.exit_code == 0, res.output
    return res, out


def test_no_parameter_uncertainty_uses_the_point_values(short_run, short_nampo, tmp_path):
    # the summary is what --json prints (test_run_json_has_the_documented_keys)
    summary = json.loads((short_run[1] / "summary.json").read_text())
    assert summary["replicates"] == 3 and summary["sensitivity"] is None
    res = runner.invoke(app, ["simulate", str(short_nampo), "-n", "2",
                              "--no-parameter-uncertainty", "-o", str(tmp_path / "h.nc")])
    assert res.exit_code == 0, res.output
    import xarray as xr

    with xr.open_dataset(tmp_path / "h.nc", engine="h5netcdf") as ds:
        assert "parameter_value" not in ds


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
    # the ramp-up: three whole programme years from 2024-09-19, none falling while the
    # herd grows (the first has no milk until the first kiddings)
    years = plan["programme_years"]
    assert [y["start"] for y in years] == ["2024-09-19", "2025-09-19", "2026-09-19"]
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

    sc = load_scenario(nampo_run[2])
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


def test_run_prints_a_table(short_run):
    res, _ = short_run
    assert "final head [head]" in res.stdout
    assert "report.html" in res.stdout


def test_run_and_simulate_without_a_scenario_take_the_bundled_one(tmp_path, monkeypatch):
    """`capra run` and `capra simulate` with no scenario argument run the bundled nampo
    (caught where its simulation would start; the tests above run scenarios through)."""
    import importlib

    from capra.scenario import load_scenario

    class Caught(Exception):
        pass

    seen = []

    def catch(sc, *args, **kwargs):
        seen.append(sc)
        raise Caught

    monkeypatch.setattr(importlib.import_module("capra.herd.simulate"), "simulate", catch)
    for args in (["run", "-n", "2", "--no-plan", "--out", str(tmp_path / "o")],
                 ["simulate", "-n", "2", "-o", str(tmp_path / "h.nc")]):
        res = runner.invoke(app, args)
        assert isinstance(res.exception, Caught), res.output
    assert seen == [load_scenario("nampo")] * 2


def test_simulate_writes_a_file(tmp_path, short_nampo):
    out = tmp_path / "h.parquet"
    res = runner.invoke(app, ["simulate", str(short_nampo), "-n", "2", "-o", str(out)])
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


# ---- first use and bad input ----------------------------------------------------------

def test_scenario_list_shows_each_description():
    from capra.scenario import bundled_scenario_descriptions, load_scenario

    res = runner.invoke(app, ["scenario", "list"])
    assert res.exit_code == 0
    for name, description in bundled_scenario_descriptions().items():
        assert description == load_scenario(name).description != ""
        assert name in res.output and _flat(description)[:30] in _flat(res.output)


def test_validate_rejects_what_run_rejects_with_file_and_key(tmp_path):
    from capra.scenario import bundled_scenario_path

    text = bundled_scenario_path("nampo").read_text().replace(
        '[breed_overrides.lactation]\n', '[breed_overrides.lactation]\n'
                                          'wood_b = [-50.0, 0.2, 0.2]\n')
    path = tmp_path / "bad.toml"
    path.write_text(text)
    for args in (["scenario", "validate", str(path)], ["run", str(path), "-n", "1", "--out",
                                                        str(tmp_path / "o")]):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert str(path) in res.output and "breed_overrides.lactation.wood_b[0]" in res.output
    assert not (tmp_path / "o" / "summary.json").exists()


def test_markup_in_a_scenario_name_and_a_path_is_shown_as_typed(tmp_path):
    from capra.scenario import bundled_scenario_path

    folder = tmp_path / "[bold]dir"
    folder.mkdir()
    path = folder / "s.toml"
    path.write_text(bundled_scenario_path("nampo").read_text().replace(
        'name = "nampo"', 'name = "[/x]"').replace("horizon_days = 1826", "horizon_days = 420"))
    res = runner.invoke(app, ["scenario", "validate", str(path)])
    assert res.exit_code == 0, res.output
    assert "'[/x]'" in res.output and "[bold]dir" in res.output
    res = runner.invoke(app, ["run", str(path), "-n", "1", "--no-plan", "--out",
                              str(folder / "out")])
    assert res.exit_code == 0, res.output
    assert "[/x]" in res.output and "[bold]dir" in res.output


def test_outputs_are_checked_before_the_simulation(tmp_path, monkeypatch):
    import importlib

    def fail(*args, **kwargs):
        raise AssertionError("the simulation ran before the output was checked")

    monkeypatch.setattr(importlib.import_module("capra.herd.simulate"), "simulate", fail)
    res = runner.invoke(app, ["simulate", "nampo", "-n", "1", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 1 and "unknown file type '.xlsx'" in res.output
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    for args in (["simulate", "nampo", "-o", str(blocked / "h.nc")],
                 ["run", "nampo", "-o", str(blocked / "out")],
                 ["run", "nampo", "-o", str(blocked)]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1 and "a-file" in res.output, res.output
    out = tmp_path / "new" / "deeper"                    # missing folders are created
    res = runner.invoke(app, ["db", "template", "farms", "-o", str(out / "farms.csv")])
    assert res.exit_code == 0 and (out / "farms.csv").exists()
    res = runner.invoke(app, ["example", "nampo", str(out / "more")])
    assert res.exit_code == 0 and (out / "more" / "nampo.toml").exists()


def test_json_never_holds_nan_or_infinity(capsys):
    from capra.console import json_text

    text = json_text({"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": -float("inf")},
                      "e": 2.5})
    assert json.loads(text, parse_constant=lambda c: pytest.fail(c)) == {
        "a": None, "b": [1.0, None], "c": {"d": None}, "e": 2.5}
    assert "3 values not a finite number, written as null: a, b[1], c.d" in capsys.readouterr().err


def test_the_batch_size_help_gives_the_simulators_default():
    """The command line's help says the default batch size the simulator uses (written
    out, so that the help does not import the simulator)."""
    import typing

    from capra import cli
    from capra.herd.simulate import BATCH_SIZE

    option = typing.get_args(cli.BatchSize)[1]
    assert f"[default: {BATCH_SIZE}," in option.help
