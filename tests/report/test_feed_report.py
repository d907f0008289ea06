"""The feed budget in the report, the terminal and the JSON: present with feed, absent
without, the CAE note where kids are reared on raw pooled milk or on their dams."""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from capra.herd.feed_results import CAE_NOTE, cae_farms, feed_tables
from capra.herd.simulate import simulate
from capra.report.feed import feed_budget_figure, feed_sections
from capra.report.html import render_report
from capra.scenario import bundled_scenario_path, scenario_from_dict, scenario_to_toml


@pytest.fixture(scope="module")
def scenario():
    with open(bundled_scenario_path("nampo"), "rb") as f:
        data = tomllib.load(f)
    data["horizon_days"] = 800
    data["farms"][0]["feed"] = {"purchase": [], "stores": [
        {"feed": "grass_hay", "opening_t_dm": 5, "deliveries": [
            {"date": "10-15", "t_dm": 10, "kind": "harvested"}]}]}
    data["farms"][1]["kid_rearing"] = {"method": "pooled_raw"}
    data["farms"][2]["kid_rearing"] = {"method": "milk_replacer"}
    return scenario_from_dict(data)


@pytest.fixture(scope="module")
def result(scenario):
    return simulate(scenario, replicates=3, seed=2)


def test_tables_by_farm_and_month(result):
    tables = feed_tables(result.data)
    by_farm, by_month = tables["by_farm"], tables["by_month"]
    assert list(by_farm["farm"][:5]) == list(result.scenario.farm_names)
    assert (by_farm["dm_fed_t_p10"] <= by_farm["dm_fed_t_p50"]).all()
    assert (by_farm["dm_fed_t_p50"] <= by_farm["dm_fed_t_p90"]).all()
    kangso = by_farm.set_index("farm").loc["Kangso"]
    assert kangso["shortfall_pct"] > 5        # its hay runs out; it buys only protein
    assert len(by_month) == 12 and (by_month["milk_replacer_kg"] > 0).any()
    assert (by_month["dm_fed_t"] >= by_month["purchased_dm_t"] - 1e-9).all()


def test_report_section_figure_and_cae_note(result):
    # (the section in a whole report: test_capra_run_prints_the_feed_budget)
    (heading, body), = feed_sections(result)
    assert heading == "Feed budget"
    assert "<h3>Per farm," in body and "last twelve months" in body
    assert "Chollima (pooled raw)" in body and "CAE" in body
    assert isinstance(feed_budget_figure(result), Figure)
    assert cae_farms(result.data) == {"Chollima": "pooled_raw"}


def test_no_feed_no_section(scenario):
    plain = simulate(scenario.model_copy(update={"horizon_days": 420}), replicates=2, seed=2,
                     feed=False)
    assert feed_sections(plain) == [] and feed_tables(plain.data) is None
    assert plain.summary_dict()["feed"] is None
    assert "Feed budget" not in render_report(plain)


def test_json_feed_key(result):
    feed = json.loads(json.dumps(result.summary_dict()["feed"]))
    rows = feed["by_farm_month"]
    assert {"farm", "month", "dm_fed_t", "pasture_dm_t", "stored_dm_t", "purchased_dm_t",
            "concentrate_as_fed_t", "cost", "me_needed_mj", "cp_needed_kg",
            "dm_fed_t_p10", "dm_fed_t_p90"} <= set(rows[0])
    assert len(rows) == result.data.sizes["farm"] * result.data.sizes["month"]
    years = feed["dry_matter_t_per_year"]
    assert {"farm", "year", "p10", "p50", "p90"} == set(years[0])
    assert any(r["farm"] == "all" for r in years)
    assert feed["kid_rearing"]["Taean"] == "pooled_pasteurised"
    assert feed["cae_spread"]["farms"] == {"Chollima": "pooled_raw"}
    assert feed["cae_spread"]["note"] == CAE_NOTE


def test_netcdf_keeps_the_feed_budget(result, tmp_path):
    from capra.herd.result import HerdResult

    again = HerdResult.load(result.to_netcdf(tmp_path / "herd.nc"))
    a, b = result.feed_budget(), again.feed_budget()
    assert a.by_farm_month.equals(b.by_farm_month)
    assert a.by_feed.equals(b.by_feed)
    assert len(result.to_frame()) == 3 * result.data.sizes["date"] * result.data.sizes["farm"]


def test_capra_run_prints_the_feed_budget(scenario, tmp_path):
    from capra.cli import app

    path = tmp_path / "s.toml"      # 420 days: the last twelve months are all it reports
    path.write_text(scenario_to_toml(scenario.model_copy(update={"horizon_days": 420})))
    out = CliRunner().invoke(app, ["run", str(path), "-n", "2", "--no-plan", "-o",
                                   str(tmp_path / "out")], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    assert re.search(r"feed \d{4} per farm", out.output)
    assert "last 12 months" in out.output and "CAE" in out.output
    # and in its report, with the figure and the note
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    section = html[html.index(">Feed budget</h2>"):]
    section = section[:section.index("</section>")]
    assert "data:image/png;base64," in section and "Chollima (pooled raw)" in section
    assert "CAE" in section
