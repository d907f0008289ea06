"""``capra growth zscores`` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from capra.growth.cli import app
from capra.growth.zscore import zscores

runner = CliRunner()
VALIDATION = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "who"
              / "validation").resolve()


@pytest.fixture
def survey(tmp_path) -> Path:
    path = tmp_path / "survey.csv"
    pd.DataFrame({
        "child": [1, 2, 3, 4],
        "SEX": ["m", "f", 1, 2],
        "AGE_D": [400, 900, 75, 2500],
        "weight": [9.0, 12.5, 5.0, 25.0],
        "lenhei": [75.0, 88.0, 58.0, 125.0],
        "measure": ["l", "h", "l", ""],
        "oedema": ["n", "n", "y", ""],
    }).to_csv(path, index=False)
    return path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_help_of_app_and_every_command_has_an_example():
    res = invoke("--help")
    assert res.exit_code == 0 and "Example" in res.output
    for command in app.registered_commands:
        name = command.name or command.callback.__name__
        res = invoke(name, "--help")
        assert res.exit_code == 0, name
        assert "Example" in res.output or "example" in res.output, name


def test_zscores_with_map_writes_inputs_and_results(survey, tmp_path):
    out = tmp_path / "out.csv"
    res = invoke("zscores", survey, "-o", out, "--map", "sex=SEX", "--map", "age=AGE_D",
                 "--oedema-codes", "y/n")
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out)
    assert list(written.columns[:7]) == ["child", "SEX", "AGE_D", "weight", "lenhei", "measure",
                                         "oedema"]
    expected = zscores(sex=["m", "f", 1, 2], age=[400, 900, 75, 2500],
                       weight=[9.0, 12.5, 5.0, 25.0], lenhei=[75.0, 88.0, 58.0, 125.0],
                       measure=["l", "h", "l", None], oedema=["n", "n", "y", None])
    for col in ("zlen", "zwei", "zwfl", "zbmi", "zhfa", "zwfa", "zbfa", "clenhei"):
        np.testing.assert_array_equal(written[col].to_numpy(float),
                                      expected[col].to_numpy(float))
    assert "zwei" in res.output  # summary table


def test_mapping_files_toml_and_json(survey, tmp_path):
    toml = tmp_path / "map.toml"
    toml.write_text('[columns]\nsex = "SEX"\nage = "AGE_D"\n')
    js = tmp_path / "map.json"
    js.write_text(json.dumps({"sex": "SEX", "age": "AGE_D"}))
    outs = []
    for mapping in (toml, js):
        out = tmp_path / f"out_{mapping.suffix[1:]}.csv"
        res = invoke("zscores", survey, "-o", out, "--mapping", mapping, "--oedema-codes", "y/n")
        assert res.exit_code == 0, res.output
        outs.append(pd.read_csv(out))
    pd.testing.assert_frame_equal(outs[0], outs[1])


def test_json_summary(survey, tmp_path):
    res = invoke("zscores", survey, "-o", tmp_path / "o.csv", "--map", "sex=SEX",
                 "--map", "age=AGE_D", "--oedema-codes", "y/n", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["rows"] == 4
    assert doc["indicators"]["zwei"]["scored"] == 2  # child 3 has oedema, 4 is 6.8 years
    assert doc["indicators"]["zwei"]["missing_oedema"] == 1
    assert doc["indicators"]["zhfa"]["scored"] == 1
    assert doc["cleaning"]["oedema_blank_as_no"] == 1
    assert doc["options"]["oedema_codes"] == "y/n"


def test_oedema_coding_must_be_stated(survey, tmp_path):
    res = invoke("zscores", survey, "-o", tmp_path / "o.csv", "--map", "sex=SEX")
    assert res.exit_code == 2
    assert "--oedema-codes" in res.output
    assert not (tmp_path / "o.csv").exists()


def test_wrong_oedema_coding_reports_rows(survey, tmp_path):
    res = invoke("zscores", survey, "-o", tmp_path / "o.csv", "--map", "sex=SEX",
                 "--map", "age=AGE_D", "--oedema-codes", "1/2")
    assert res.exit_code == 3
    assert "'n' at rows 1-2" in res.stderr and "'y' at row 3" in res.stderr
    assert "Traceback" not in res.output


def test_invalid_codes_and_numbers_give_message_and_exit_code(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("sex,age,weight\n1,100,8\nx,200,abc\n2,300,9\nx,400,10\n")
    res = invoke("zscores", path, "-o", tmp_path / "o.csv")
    assert res.exit_code == 3
    assert "field 'sex'" in res.stderr and "'x' at rows 2, 4" in res.stderr
    assert "field 'weight'" in res.stderr and "'abc' at row 2" in res.stderr
    assert "file line = row + 1" in res.stderr
    assert not (tmp_path / "o.csv").exists()


def test_bad_options(survey, tmp_path):
    out = tmp_path / "o.csv"
    assert invoke("zscores", survey, "-o", out, "--map", "sexSEX").exit_code == 2
    assert invoke("zscores", survey, "-o", out, "--oedema-codes", "yes").exit_code == 2
    assert invoke("zscores", survey, "-o", out, "--oedema-codes", "y/n",
                  "--age-unit", "years").exit_code == 2
    res = invoke("zscores", survey, "-o", out, "--oedema-codes", "y/n", "--map", "age=NOPE")
    assert res.exit_code == 3 and "NOPE" in res.stderr
    res = invoke("zscores", tmp_path / "missing.csv", "-o", out)
    assert res.exit_code == 3 and "no such file" in res.stderr


def test_negative_age_warning_and_results_only(tmp_path):
    path = tmp_path / "neg.csv"
    path.write_text("sex,age,weight\n1,-5,8\n2,300,9\n")
    out = tmp_path / "o.csv"
    res = invoke("zscores", path, "-o", out, "--results-only", "--json")
    assert res.exit_code == 0
    assert "warning:" in res.stderr and "1 negative age set to missing" in res.stderr
    written = pd.read_csv(out)
    assert written.columns[0] == "age_days" and np.isnan(written["age_days"][0])
    assert json.loads(res.stdout)["cleaning"]["negative_age_set_missing"] == 1


def test_age_unit_and_rules_options(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("sex,age,weight,lenhei\n1,60.5,18,108\n")
    out = tmp_path / "o.csv"
    assert invoke("zscores", path, "-o", out, "--age-unit", "months").exit_code == 0
    anthro = pd.read_csv(out)
    assert np.isnan(anthro["zwei"][0]) and not np.isnan(anthro["zhfa"][0])
    assert invoke("zscores", path, "-o", out, "--age-unit", "months", "--rules",
                  "macro").exit_code == 0
    macro = pd.read_csv(out)
    assert not np.isnan(macro["zwei"][0]) and np.isnan(macro["zhfa"][0])


def test_who_example_survey_through_the_cli(tmp_path):
    if not VALIDATION.is_dir():
        pytest.fail(f"validation folder not found: {VALIDATION}")
    out = tmp_path / "o.csv"
    res = invoke("zscores", VALIDATION / "who_igrowup_survey_input.csv", "-o", out,
                 "--map", "sex=GENDER", "--map", "age=agemons", "--map", "headc=HEAD",
                 "--map", "armc=MUAC", "--map", "triskin=TRI", "--map", "subskin=SUB",
                 "--age-unit", "months", "--oedema-codes", "y/n")
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    want = pd.read_csv(VALIDATION / "anthro_r_survey_z_expected.csv")
    for z in ("zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss"):
        np.testing.assert_array_equal(got[z].to_numpy(float), want[z].to_numpy(float))


def test_oedema_column_in_another_letter_case_also_needs_its_coding(tmp_path):
    path = tmp_path / "upper.csv"
    path.write_text("SEX,AGE,WEIGHT,OEDEMA\n1,400,9,1\n2,300,8,2\n")
    out = tmp_path / "o.csv"
    res = invoke("zscores", path, "-o", out)
    assert res.exit_code == 2 and "'OEDEMA'" in res.stderr
    res = invoke("zscores", path, "-o", out, "--oedema-codes", "2/1", "--results-only")
    assert res.exit_code == 0, res.output
    written = pd.read_csv(out)
    assert written["coedema"].tolist() == ["n", "y"]
    assert np.isnan(written["zwei"][1]) and not np.isnan(written["zwei"][0])
