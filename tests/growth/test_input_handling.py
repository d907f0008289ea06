"""Files as users give them: usual column names, units that must be stated, chained commands,
WHO's age boundary, values that are not finite, text design columns, outputs.

Each test compares with a second way to the same answer (the WHO names, the stated unit, the
library on the raw file, numeric codes for the same clusters) rather than with a number.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from capra.errors import DataError
from capra.growth.cli import app
from capra.growth.prevalence import DAYS_PER_MONTH, DataQualityWarning, prevalence
from capra.growth.lms import measurement_at_z
from capra.growth.zscore import GrowthDataWarning, zscores

runner = CliRunner()
Z = ["zlen", "zwei", "zwfl", "zbmi", "zhfa", "zwfa", "zbfa"]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def kids(n: int = 40, seed: int = 3) -> pd.DataFrame:
    """Children 0-59 months with WHO's column names; age in months; weights and lengths
    drawn around WHO's medians (z about N(-0.5, 1.2))."""
    rng = np.random.default_rng(seed)
    sex = rng.choice([1, 2], n)
    months = np.round(rng.uniform(1, 59, n), 2)
    days = np.round(months * DAYS_PER_MONTH)
    return pd.DataFrame({
        "sex": sex,
        "age": months,
        "weight": np.round(measurement_at_z("wfa", sex, days, rng.normal(-0.5, 1.2, n)), 1),
        "lenhei": np.round(measurement_at_z("lhfa", sex, days, rng.normal(-0.5, 1.2, n)), 1),
        "cluster": rng.choice(["north", "south", "east", "west", "centre"], n),
        "stratum": rng.choice(["urban", "rural"], n),
    })


# ---- 1. usual column names and sex words ------------------------------------------------

def test_usual_names_give_the_z_scores_of_the_who_names():
    data = kids()
    who = zscores(data, age_unit="months")
    usual = data.rename(columns={"age": "age_months", "weight": "weight_kg",
                                 "lenhei": "height_cm"})
    usual["sex"] = usual["sex"].map({1: "male", 2: "Female"})
    got = zscores(usual)                      # months implied by the name age_months
    pd.testing.assert_frame_equal(got[Z], who[Z])
    assert got["zlen"].notna().sum() > 30


def test_the_issue_file_is_scored_through_the_cli(tmp_path):
    """sex, age_months, weight_kg, height_cm: every z-score was blank, with exit 0."""
    data = kids(8).rename(columns={"age": "age_months", "weight": "weight_kg",
                                   "lenhei": "height_cm"})
    data[["sex", "age_months", "weight_kg", "height_cm"]].to_csv(tmp_path / "k.csv",
                                                                 index=False)
    res = invoke("zscores", tmp_path / "k.csv", "-o", tmp_path / "z.csv")
    assert res.exit_code == 0, res.output
    out = pd.read_csv(tmp_path / "z.csv")
    assert out["zwei"].notna().all() and out["zlen"].notna().all()
    assert (out["age_months"] == data["age_months"]).all()


@pytest.mark.parametrize("drop, field", [("sex", "sex"), ("age", "age")])
def test_a_missing_required_column_is_an_error_listing_the_columns(tmp_path, drop, field):
    data = kids(5).drop(columns=[drop, "cluster", "stratum"]).rename(columns={"age": "AGE_X"}
                                                                     if drop == "sex" else {})
    with pytest.raises(DataError, match=f"no column for {field}; the columns are ") as err:
        zscores(data)
    for column in data.columns:
        assert column in str(err.value)
    data.to_csv(tmp_path / "k.csv", index=False)
    res = invoke("zscores", tmp_path / "k.csv", "-o", tmp_path / "z.csv", "--age-unit", "months")
    assert res.exit_code == 3 and f"no column for {field}" in res.stderr
    assert not (tmp_path / "z.csv").exists()


def test_no_measurement_column_is_an_error(tmp_path):
    data = kids(5)[["sex", "age"]].assign(wt_g=5000)
    with pytest.raises(DataError, match="no measurement column; the columns are sex, age, wt_g"):
        zscores(data, age_unit="months")


# ---- 2. ages that may be months ---------------------------------------------------------

def test_ages_that_may_be_months_need_their_unit(tmp_path):
    data = kids()
    with pytest.raises(DataError, match="may be months; give their unit"):
        zscores(data)
    with pytest.raises(DataError, match="may be months; give their unit"):
        prevalence(data)
    data.to_csv(tmp_path / "k.csv", index=False)
    res = invoke("prevalence", tmp_path / "k.csv")
    assert res.exit_code == 3 and "--age-unit" in res.stderr
    res = invoke("prevalence", tmp_path / "k.csv", "--age-unit", "months", "--json")
    assert res.exit_code == 0, res.output


def test_an_age_column_named_in_months_is_read_in_months(tmp_path):
    """--map age=age_months: the name says months (it was read as days: all 0-5 months)."""
    data = kids().rename(columns={"age": "age_months"})
    data.to_csv(tmp_path / "k.csv", index=False)
    months = prevalence(data.rename(columns={"age_months": "age"}), age_unit="months")
    res = invoke("prevalence", tmp_path / "k.csv", "--map", "age=age_months", "--json")
    assert res.exit_code == 0, res.output
    import json
    rows = pd.DataFrame(json.loads(res.stdout)["rows"])
    assert rows["HAZ_unwpop"].tolist() == months["HAZ_unwpop"].tolist()
    assert rows.set_index("Group").loc["Age group: 00-05 mo", "HAZ_unwpop"] < len(data)


# ---- 3. the commands chain ----------------------------------------------------------------

@pytest.mark.parametrize("oedema_codes", [None, "2/1"])
def test_prevalence_reads_the_output_of_zscores(tmp_path, oedema_codes):
    """The prevalence of the z-scored file equals the prevalence the command computes from
    the raw measurements itself; with oedema coded 2 = yes, the cleaned y/n column is read,
    not the raw codes."""
    data = kids(60).drop(columns=["cluster", "stratum"])
    code_args = []
    if oedema_codes:
        data["oedema"] = np.where(np.arange(len(data)) % 7 == 0, 2, 1)   # 2 = oedema
        code_args = ["--oedema-codes", oedema_codes]
    data.to_csv(tmp_path / "raw.csv", index=False)
    res = invoke("zscores", tmp_path / "raw.csv", "-o", tmp_path / "z.csv", "--age-unit",
                 "months", *code_args)
    assert res.exit_code == 0, res.output
    chained = invoke("prevalence", tmp_path / "z.csv", "-o", tmp_path / "p1.csv")
    direct = invoke("prevalence", tmp_path / "raw.csv", "--age-unit", "months", *code_args,
                    "-o", tmp_path / "p2.csv")
    assert chained.exit_code == 0, chained.output
    assert direct.exit_code == 0, direct.output
    p1, p2 = pd.read_csv(tmp_path / "p1.csv"), pd.read_csv(tmp_path / "p2.csv")
    pd.testing.assert_frame_equal(p1, p2)
    z = pd.read_csv(tmp_path / "z.csv")
    assert p1.loc[0, "HAZ_unwpop"] == (z["zlen"].notna() & (z["flen"] == 0)).sum() > 50
    if oedema_codes:        # the 9 oedematous children count as wasted (WHZ < -2 or oedema)
        assert (z["coedema"] == "y").sum() == 9
        wasted = ((z["zwfl"] < -2) & (z["fwfl"] == 0)) | (z["coedema"] == "y")
        assert p1.loc[0, "WH_2_r"] == pytest.approx(100 * wasted.sum() / p1.loc[0, "WHZ_unwpop"])


# ---- 4. WHO's age boundary: the age in days rounded half up -------------------------------

def test_ages_up_to_1826_5_days_are_kept_as_who_keeps_them():
    ages = np.array([1825.0, 1826.0, 1826.2, 1826.49, 1826.5, 1827.0, 1900.0])
    data = pd.DataFrame({"zlen": 0.1, "zwei": 0.1, "zwfl": 0.1, "zbmi": 0.1, "sex": 1,
                         "age": ages})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        t = prevalence(data, age_unit="days")
    kept = int((np.floor(ages + 0.5) <= 1826).sum())              # 4 of 7
    assert kept == 4 and t.loc[0, "HAZ_unwpop"] == kept
    # in months (60 months = 1826.25 days): 1826.1 and 1826.2 days are in the group 48-59,
    # 1826.4 is kept but in no age group (as WHO), 1826.6 is left out
    days = np.array([1826.1, 1826.2, 1826.4, 1826.6])
    months = pd.DataFrame({"zlen": 0.1, "zwei": 0.1, "zwfl": 0.1, "zbmi": 0.1, "sex": 1,
                           "age": days / DAYS_PER_MONTH})
    assert (months["age"][:2] < 60).all() and (months["age"][2:] > 60).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        t = prevalence(months, age_unit="months")
    assert t.loc[0, "HAZ_unwpop"] == 3
    assert t.set_index("Group").loc["Age group: 48-59 mo", "HAZ_unwpop"] == 2


# ---- 5. values that are not finite --------------------------------------------------------

def test_infinite_measurements_are_missing_with_a_warning_naming_the_rows(tmp_path):
    data = kids(6)
    data["weight"] = data["weight"].astype(object)
    data.loc[[1, 4], "weight"] = ["inf", "-inf"]
    with pytest.warns(GrowthDataWarning, match=r"2 weight values not finite .*rows 2, 5"):
        z = zscores(data, age_unit="months")
    assert z["zwei"].isna().tolist() == [False, True, False, False, True, False]
    assert np.isfinite(z["zlen"]).all()
    data.to_csv(tmp_path / "k.csv", index=False)
    res = invoke("zscores", tmp_path / "k.csv", "-o", tmp_path / "z.csv", "--age-unit", "months")
    assert res.exit_code == 0 and "rows 2, 5" in res.stderr
    out = pd.read_csv(tmp_path / "z.csv")
    assert out["zwei"].isna().tolist() == z["zwei"].isna().tolist()
    assert np.isfinite(out[Z].to_numpy(dtype=float)[out[Z].notna().to_numpy()]).all()


def test_infinite_z_scores_are_missing_in_prevalence():
    data = pd.DataFrame({"zlen": [0.5, np.inf, -1.0], "zwei": 0.0, "zwfl": 0.0, "zbmi": 0.0,
                         "sex": 1, "age": [100.0, 400.0, 900.0]})
    with pytest.warns(DataQualityWarning, match=r"zlen that is not finite .*rows 2\)"):
        t = prevalence(data, age_unit="days")
    assert t.loc[0, "HAZ_unwpop"] == 2 and t.loc[0, "HA_r"] == pytest.approx(-0.25)


# ---- 13. text cluster and strata columns --------------------------------------------------

def test_text_clusters_and_strata_give_the_table_of_their_numeric_codes(tmp_path):
    data = kids(80)
    text = prevalence(data, age_unit="months", cluster="cluster", strata="stratum")
    codes = data.assign(cluster=pd.factorize(data["cluster"])[0] + 1,
                        stratum=pd.factorize(data["stratum"])[0] + 1)
    numeric = prevalence(codes, age_unit="months", cluster="cluster", strata="stratum")
    pd.testing.assert_frame_equal(text, numeric)
    data.to_csv(tmp_path / "k.csv", index=False)
    for option in (["--cluster", "cluster"], ["--strata", "stratum"]):
        res = invoke("prevalence", tmp_path / "k.csv", "--age-unit", "months", *option)
        assert res.exit_code == 0, res.output


# ---- 12, 14. user text shown as typed; outputs ---------------------------------------------

def test_markup_in_a_code_and_in_a_path_is_shown_as_typed(tmp_path):
    folder = tmp_path / "[bold]in"
    folder.mkdir()
    (folder / "k.csv").write_text("sex,age,weight\n[/b],100,8\n")
    res = invoke("zscores", folder / "k.csv", "-o", tmp_path / "z.csv", "--age-unit", "days")
    assert res.exit_code == 3 and isinstance(res.exception, SystemExit)
    assert "'[/b]' at row 1" in res.stderr and "[bold]in" in res.stderr
    res = invoke("prevalence", folder / "k.csv", "--age-unit", "days")
    assert res.exit_code == 3 and "'[/b]' at row 1" in res.stderr


@pytest.mark.parametrize("command", [["zscores"], ["prevalence"], ["report"]])
def test_outputs_go_into_new_folders_and_never_over_the_input(tmp_path, command):
    data = kids(10)
    data.to_csv(tmp_path / "k.csv", index=False)
    suffix = {"zscores": ".csv", "prevalence": ".xlsx", "report": ".html"}[command[0]]
    out = tmp_path / "new" / "deeper" / f"out{suffix}"
    extra = ["--cluster", "cluster"] if command == ["report"] else []   # (a text column)
    res = invoke(*command, tmp_path / "k.csv", "--age-unit", "months", *extra, "-o", out)
    assert res.exit_code == 0, res.output
    assert out.stat().st_size > 0
    same = tmp_path / f"k{suffix}"          # the input given as the output: refused first
    if suffix != ".csv":
        same.write_bytes((tmp_path / "k.csv").read_bytes())
    before = same.read_bytes()
    res = invoke(*command, same, "--age-unit", "months", "-o", same)
    assert res.exit_code == 1 and "is the input file" in res.stderr
    assert same.read_bytes() == before
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    res = invoke(*command, tmp_path / "k.csv", "--age-unit", "months", "-o",
                 blocked / f"out{suffix}")
    assert res.exit_code == 1 and "a-file" in res.stderr and res.exception is not None
    assert isinstance(res.exception, SystemExit)
