"""The plan command, the JSON form and the report sections."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import typer
import xarray as xr
from plan_checks import tiny
from typer.testing import CliRunner

from capra.herd.result import _DESCRIPTIONS, HerdResult
from capra.planning.cli import register
from capra.planning import plan_from_herd
from capra.planning.report import report_sections
from capra.scenario import save_scenario, scenario_from_dict


def herd_result(scenario, replicates: int = 5, seed: int = 0) -> HerdResult:
    """A stand-in herd result: seasonal milk on each farm, plus an idle quarantine station."""
    rng = np.random.default_rng(seed)
    dates = scenario.dates
    t = np.arange(len(dates))
    milk = 120 * (1 + 0.5 * np.sin(2 * np.pi * t / 365))[None, :, None] \
        * rng.lognormal(0, 0.1, size=(replicates, len(dates), len(scenario.farms) + 1))
    milk[:, :, -1] = 50.0  # quarantine milk is discarded, never planned
    farms = list(scenario.farm_names) + ["Port"]
    dims = ("replicate", "date", "farm")
    # every variable of a herd result (zeros), so that the herd report renders too
    data = {name: (dims, np.zeros_like(milk)) for name in _DESCRIPTIONS}
    data["milk_kg"] = (dims, milk)
    data["milk_gross_kg"] = (dims, milk)
    ds = xr.Dataset(data, coords={
        "replicate": np.arange(replicates), "date": dates, "farm": farms,
        "kind": ("farm", ["farm"] * len(scenario.farms) + ["quarantine"]),
        "capacity_head": ("farm", [10] * len(scenario.farms) + [-1])})
    ds.attrs.update(scenario=scenario.name, seed=seed, start_date=str(scenario.start_date),
                    horizon_days=len(dates))
    return HerdResult(ds, scenario)


@pytest.fixture(scope="module")
def scenario():
    sites = [{"name": "K", "kind": "kindergarten", "latitude": 38.9, "longitude": 125.5,
              "calendar": "all", "children": {"age_1_2": 100, "age_3_5": 200}},
             {"name": "S", "kind": "school", "latitude": 38.95, "longitude": 125.55,
              "calendar": "all", "children": {"age_6_11": 400}}]
    return scenario_from_dict(tiny(days=40, farms=2, sites=sites,
                                   products={"fresh_milk": 500.0, "milk_powder": 30.0},
                                   storage={"ambient": 500.0}))


@pytest.fixture(scope="module")
def herd(scenario):
    return herd_result(scenario)


@pytest.fixture(scope="module")
def run(scenario, herd):
    """``capra.run`` of the scenario on the stand-in herd: one plan shared by the tests of
    the plan, its report and the run."""
    import capra

    return capra.run(scenario, herd=herd)


@pytest.fixture(scope="module")
def files(scenario, herd, tmp_path_factory):
    """The scenario and the herd saved (TOML, NetCDF), and ``capra plan --json`` on them:
    ``(scenario path, herd path, printed JSON)``."""
    from capra.cli import app

    folder = tmp_path_factory.mktemp("plan-files")
    path = save_scenario(scenario, folder / "tiny.toml")
    nc = herd.to_netcdf(folder / "herd.nc")
    res = CliRunner().invoke(app, ["plan", str(path), "--herd", str(nc), "--json"])
    assert res.exit_code == 0, res.output
    return path, nc, json.loads(res.stdout)


def test_plan_from_herd_ignores_quarantine_stations(scenario, herd):
    p = plan_from_herd(scenario, herd)
    assert p.status == "optimal"
    assert p.tables["daily"]["supply_kg"].iloc[0] == pytest.approx(
        np.quantile(herd.data["milk_kg"].values[:, 0, :2], 0.1, axis=0).sum())
    d = p.to_dict()
    json.dumps(d)  # plain data
    for key in ("children_served_every_day", "confidence", "interruption_days", "waste_kg",
                "binding"):
        assert key in d
    assert set(d["interruption_days"]) == {"K", "S"}
    assert isinstance(d["binding"], list) and d["binding"]
    assert 0 <= d["confidence"] <= 1


def test_report_sections(run):
    lead, sections = report_sections(run.plan)
    assert [h for h, _ in lead] == ["The answer"]
    assert "children served every operating day" in lead[0][1]
    headings = [h for h, _ in sections]
    assert headings == ["What to make", "Nutrients and waste", "Coverage by site and day",
                        "Stock of products", "Supply and demand", "Interruptions by site",
                        "What binds"]
    body = dict(sections)
    assert body["Coverage by site and day"].count("data:image/png;base64,") == 1
    assert body["What to make"].count("data:image/png;base64,") == 1
    assert "more children served" in body["What binds"]


def test_report_of_a_failed_plan_is_one_section():
    from capra.planning.result import Plan

    lead, sections = report_sections(Plan(status="infeasible", message="no <milk>"))
    assert lead == [("The answer", "<p>No plan (infeasible): no &lt;milk&gt;</p>")]
    assert sections == []


def test_plan_command(files, tmp_path):
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps `plan` a named subcommand
        pass

    path, herd, data = files
    runner = CliRunner()
    assert data["status"] == "optimal" and data["children_served_every_day"] > 0
    res = runner.invoke(app, ["plan", str(path), "--herd", str(herd), "--out",
                              str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "children served every operating day" in res.stdout
    assert (tmp_path / "out" / "report.html").read_text().count("What binds") >= 1
    sites = pd.read_csv(tmp_path / "out" / "plan_sites.csv")
    assert sites.shape[0] == 2 and list(sites.columns)[0] == "site"  # a named column
    daily = pd.read_csv(tmp_path / "out" / "plan_daily.csv")
    assert list(daily.columns)[0] == "date" and not any(c.startswith("Unnamed")
                                                          for c in daily.columns)
    text = (tmp_path / "out" / "plan_servings.csv").read_text()
    decimals = [len(v.split(".")[1]) for line in text.splitlines()[1:]
                for v in line.split(",")[-1:] if "." in v]
    assert decimals and max(decimals) <= 2  # rations to the hundredth
    made = pd.read_csv(tmp_path / "out" / "plan_production_by_month.csv")
    assert list(made.columns) == ["product", "month", "kg", "milk_kg"]
    res = runner.invoke(app, ["plan", str(path), "--herd", str(herd), "--from-stock",
                              "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["year"] == "from_stock"
    res = runner.invoke(app, ["plan", str(tmp_path / "missing.toml")])
    assert res.exit_code == 2
    res = runner.invoke(app, ["plan", "--help"])
    assert res.exit_code == 0 and "Example: capra plan" in res.stdout


def test_the_plan_command_is_a_call_of_capra_plan(files):
    """`capra plan --json` prints what `capra.plan` returns (times apart)."""
    import capra

    path, herd, printed = files
    printed = dict(printed)
    direct = capra.plan(path, herd=herd).to_dict()
    assert printed.pop("seconds").keys() == direct.pop("seconds").keys()
    assert printed == json.loads(json.dumps(direct))


def test_a_run_holds_the_scenario_the_herd_and_the_plan(scenario, herd, run, tmp_path):
    import capra

    assert run.scenario is scenario and run.herd is herd and run.plan.success
    data = run.to_dict()
    assert data["plan"] == run.plan.to_dict()
    assert {k: v for k, v in data.items() if k != "plan"} == herd.summary_dict()
    summary = run.summary_table()
    assert list(summary.columns) == ["p10", "p50", "p90", "value"]
    assert summary.loc["final head [head]", "value"] != summary.loc["final head [head]",
                                                                    "value"]  # NaN
    assert summary.loc["children served every operating day", "value"] == \
        data["plan"]["children_served_every_day"]
    folder = tmp_path / "new" / "report"                  # missing folders are created
    report = run.write_report(folder)
    assert report == folder / "report.html" and "What binds" in report.read_text()
    files = run.write(tmp_path / "out")
    assert sorted(p.name for p in files.values()) == ["herd.nc", "report.html",
                                                      "summary.json"]
    assert json.loads(files["summary"].read_text()) == json.loads(json.dumps(data))
    assert capra.run(scenario, herd=herd, plan=False).plan is None
    text = run.summary()                                  # text for the terminal
    assert text.startswith(run.herd.summary()) and run.plan.headline() in text
    assert "children served every operating day" in text
    written = run.plan.write(tmp_path / "plan")
    assert written["plan"].name == "plan.json" and written["daily"].name == "plan_daily.csv"


def test_enrolled_children_far_above_the_bars_are_not_drawn():
    """A line for 1.5 million enrolled children would flatten bars of a few thousand:
    the figure leaves it out and the caption gives the number."""
    from types import SimpleNamespace

    from capra.planning.report import ENROLLED_LINE_RATIO, enrolled_drawn

    def plan(enrolled):
        return SimpleNamespace(
            programme_years=[{"children_served_every_day": 0},
                             {"children_served_every_day": 4000}],
            children_range={"p10": 7000, "p50": 7500, "p90": 8000},
            enrolled_children=enrolled, served_and_room=lambda: (7600, 0))

    assert enrolled_drawn(plan(20_000))
    assert enrolled_drawn(plan(ENROLLED_LINE_RATIO * 8000))
    assert not enrolled_drawn(plan(ENROLLED_LINE_RATIO * 8000 + 1))
    assert not enrolled_drawn(plan(1_518_245))


def test_plan_passes_no_parameter_uncertainty_to_the_run(files, monkeypatch):
    """`capra plan --no-parameter-uncertainty` plans on futures drawn with the point
    values (the flag reaches the simulation), and the default draws them."""
    import capra.runs
    from capra.cli import app

    seen = []
    real = capra.runs.run

    def spy(*args, **kwargs):
        seen.append(kwargs.get("parameter_uncertainty"))
        return real(*args, **kwargs)

    monkeypatch.setattr(capra.runs, "run", spy)
    path, herd, _ = files
    for flags, expected in (([], True), (["--no-parameter-uncertainty"], False)):
        res = CliRunner().invoke(app, ["plan", str(path), "--herd", str(herd), "--json",
                                       *flags])
        assert res.exit_code == 0, res.output
        assert seen[-1] is expected
