"""The ``prevalence`` and ``report`` commands, run in-process with Typer's test runner."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from capra.growth.cli_prevalence import register

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VALIDATION = SHARED / "data" / "who" / "validation"

runner = CliRunner()


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    a = typer.Typer()
    register(a)
    return a


@pytest.fixture(scope="module")
def survey_csv(tmp_path_factory) -> Path:
    """WHO's igrowup example survey with anthro's z-scores and flags."""
    data = pd.read_csv(VALIDATION / "who_igrowup_survey_input.csv").merge(
        pd.read_csv(VALIDATION / "anthro_r_survey_z_expected.csv"), on="id")
    path = tmp_path_factory.mktemp("cli") / "survey.csv"
    data.to_csv(path, index=False)
    return path


SURVEY_ARGS = ["--map", "sex=GENDER", "--map", "age=agemons", "--age-unit", "months",
               "--weights", "SW", "--region", "region"]


def test_growth_app_has_the_commands():
    from capra.growth.cli import app as growth_app

    names = {c.name for c in growth_app.registered_commands}
    assert {"prevalence", "report"} <= names


@pytest.mark.parametrize("command", ["prevalence", "report"])
def test_help_has_an_example(app, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"capra growth {command}" in result.output


def test_prevalence_csv_matches_who(app, survey_csv, tmp_path):
    out = tmp_path / "prev.csv"
    result = runner.invoke(app, ["prevalence", str(survey_csv), *SURVEY_ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Stunting" in result.output and "All" in result.output
    assert "4 rows" in result.output                     # the exclusion warning is shown
    got = pd.read_csv(out)
    expected = pd.read_csv(VALIDATION / "anthro_r_survey_prev_sw_expected.csv")
    assert list(got.columns) == list(expected.columns)
    np.testing.assert_allclose(got["HA_2_r"], expected["HA_2_r"], rtol=1e-9)
    np.testing.assert_allclose(got["WH_stdev"], expected["WH_stdev"], rtol=1e-9)


def test_prevalence_xlsx(app, survey_csv, tmp_path):
    out = tmp_path / "prev.xlsx"
    result = runner.invoke(app, ["prevalence", str(survey_csv), *SURVEY_ARGS, "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert set(sheets) == {"prevalence", "notes"}
    assert sheets["prevalence"]["Group"].iloc[0] == "All"
    assert len(sheets["prevalence"]) == 25


def test_prevalence_json(app, survey_csv):
    result = runner.invoke(app, ["prevalence", str(survey_csv), *SURVEY_ARGS, "--json"])
    assert result.exit_code == 0
    text = result.stdout
    payload = json.loads(text[text.index("{"):])
    assert payload["reference"] == "anthro"
    assert payload["rows_in"] == 498 and payload["rows_used"] == 494
    assert payload["rows"][0]["Group"] == "All"
    assert payload["rows"][0]["HAZ_unwpop"] == 471


def test_design_options(app, tmp_path):
    data = pd.read_csv(VALIDATION / "who2007_survey_input.csv").merge(
        pd.read_csv(VALIDATION / "anthroplus_r_survey_z_expected.csv").drop(
            columns=["age_in_months"]), on="id")
    src = tmp_path / "teen.csv"
    data.to_csv(src, index=False)
    out = tmp_path / "teen_prev.csv"
    result = runner.invoke(app, ["prevalence", str(src), "--reference", "anthroplus",
                                 "--map", "age=agemons", "--weights", "sw", "--cluster",
                                 "cluster", "--strata", "strata", "-o", str(out)])
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    expected = pd.read_csv(VALIDATION / "anthroplus_r_survey_prev_design_expected.csv")
    np.testing.assert_allclose(got["HA_2_se"], expected["HA_2_se"], rtol=1e-9)
    np.testing.assert_allclose(got["BMI_stdev"], expected["BMI_stdev"], rtol=1e-9)


def test_raw_measurements_are_scored_first(app, tmp_path):
    raw = VALIDATION / "who_igrowup_survey_input.csv"
    out = tmp_path / "raw_prev.csv"
    result = runner.invoke(app, ["prevalence", str(raw), *SURVEY_ARGS, "--map",
                                 "weight=WEIGHT", "--map", "lenhei=HEIGHT", "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = pd.read_csv(VALIDATION / "anthro_r_survey_prev_sw_expected.csv")
    np.testing.assert_allclose(pd.read_csv(out)["WA_2_r"], expected["WA_2_r"], rtol=1e-9)


def test_bad_codes_give_a_message_and_exit_code(app, tmp_path):
    data = pd.DataFrame({"sex": [1, "x", 2, "?"], "age": [100, 200, 300, 400],
                         "oedema": ["n", "n", "maybe", "n"], "zlen": [0.1, 0.2, 0.3, 0.4],
                         "zwei": 0.0, "zwfl": 0.0, "zbmi": 0.0})
    src = tmp_path / "bad.csv"
    data.to_csv(src, index=False)
    result = runner.invoke(app, ["prevalence", str(src)])
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = re.sub(r"\s+", " ", result.output)
    assert "'x'" in text and "'?'" in text and "'maybe'" in text
    assert "row 2" in text and "row 4" in text and "row 3" in text


def test_missing_column_hint(app, survey_csv, tmp_path):
    data = pd.read_csv(survey_csv).rename(columns={"GENDER": "G"})
    data.to_csv(tmp_path / "s.csv", index=False)
    result = runner.invoke(app, ["prevalence", str(tmp_path / "s.csv")])
    assert result.exit_code == 3
    assert "no column for sex" in result.output and "--map sex=COLUMN" in result.output
    assert "GENDER" not in result.output and "G, " in result.output   # the columns found


def test_usual_column_names_are_recognised(app, survey_csv):
    """GENDER (sex) and agemons (age in months) are found without --map."""
    mapped = runner.invoke(app, ["prevalence", str(survey_csv), *SURVEY_ARGS, "--json"])
    found = runner.invoke(app, ["prevalence", str(survey_csv), "--weights", "SW",
                                "--region", "region", "--json"])
    assert mapped.exit_code == 0 and found.exit_code == 0, found.output
    assert json.loads(found.stdout)["rows"] == json.loads(mapped.stdout)["rows"]


def test_missing_file(app, tmp_path):
    result = runner.invoke(app, ["prevalence", str(tmp_path / "nope.csv")])
    assert result.exit_code == 3
    assert "not found" in result.output


def test_oedema_coding_option(app, tmp_path):
    data = pd.DataFrame({"sex": [1, 2, 1, 2], "age": [100, 200, 300, 400],
                         "oedema": [2, 1, 1, 1], "zlen": 0.0, "zwei": 0.0, "zwfl": 0.0,
                         "zbmi": 0.0})
    src = tmp_path / "oed.csv"
    data.to_csv(src, index=False)
    for coding in ("2/1", "1=n,2=y"):
        result = runner.invoke(app, ["prevalence", str(src), "--oedema-codes", coding,
                                     "--json"])
        assert result.exit_code == 0, result.output
        row = json.loads(result.stdout)["rows"][0]
        assert row["WH_3_r"] == pytest.approx(25.0)
    result = runner.invoke(app, ["prevalence", str(src), "--oedema-codes", "1=perhaps"])
    assert result.exit_code != 0


def test_bad_output_suffix(app, survey_csv, tmp_path):
    result = runner.invoke(app, ["prevalence", str(survey_csv), *SURVEY_ARGS, "-o",
                                 str(tmp_path / "x.txt")])
    assert result.exit_code != 0
    assert "expected .csv, .xlsx" in result.output


def test_report_is_self_contained_html(app, survey_csv, tmp_path):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(survey_csv), *SURVEY_ARGS, "-o", str(out),
                                 "--title", "Example survey"])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Example survey" in html
    assert html.count('src="data:image/png;base64,') == 2
    assert not re.search(r'(src|href)="(https?:)?//', html)   # nothing fetched from outside
    assert "Geographical region: West" in html
