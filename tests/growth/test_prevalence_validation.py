"""Prevalence against WHO's own outputs: one test per validation file.

Expected values come from ``shared/data/who/validation`` (see its README):

* ``anthro_r_*`` and ``synthetic_0_5_random_prev_*``: WHO's R package ``anthro``
  1.1.0.9000 (``anthro_prevalence``), R 4.2.2, ``survey`` 4.1-1;
* ``anthroplus_r_*``: WHO's R package ``anthroplus`` 1.0.0.9000 (``anthroplus_prevalence``);
* ``who_igrowup_survey_prev_{st,rc}`` and ``who2007_macro_survey_prev``: WHO's older igrowup
  and who2007 R macros, printed to 0.1 % and 0.01 z.

The R-package files are compared column by column at a relative tolerance of 1e-6. The
inputs are WHO's own z-scores and flags (``*_z_expected.csv``), so these tests check the
prevalence code independently of the z-scores; the end-to-end tests at the bottom start
from the raw measurements instead.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capra.growth.prevalence import (
    DAYS_PER_MONTH,
    DataQualityWarning,
    prevalence,
    prevalence_5_19,
)
from capra.growth.survey import domain_estimates, survey_design

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
VALIDATION = SHARED / "data" / "who" / "validation"
RTOL = 1e-6

TESTED_FILES = {
    "anthro_r_survey_prev_sw_expected.csv",
    "anthro_r_survey_prev_unweighted_expected.csv",
    "anthroplus_r_survey_prev_design_expected.csv",
    "anthroplus_r_survey_prev_unweighted_expected.csv",
    "synthetic_0_5_random_prev_simple_expected_anthro.csv",
    "synthetic_0_5_random_prev_sw_expected_anthro.csv",
    "who_igrowup_survey_prev_st_expected.csv",
    "who_igrowup_survey_prev_rc_expected.csv",
    "who2007_macro_survey_prev_expected.csv",
}


def read(name: str) -> pd.DataFrame:
    path = VALIDATION / name
    assert path.exists(), f"validation file missing: {path} (shared/ must sit beside the repo)"
    return pd.read_csv(path)


def assert_table_equal(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Same columns, same groups, every number within RTOL (missing where WHO's is)."""
    assert list(got.columns) == list(expected.columns)
    assert got["Group"].tolist() == expected["Group"].tolist()
    problems = []
    for col in expected.columns:
        if col in ("Group", "Years", "Months"):
            assert got[col].astype(str).tolist() == expected[col].astype(str).tolist(), col
            continue
        g = got[col].to_numpy(dtype=float)
        e = expected[col].to_numpy(dtype=float)
        nan_mismatch = np.isnan(g) != np.isnan(e)
        both = ~np.isnan(g) & ~np.isnan(e)
        off = np.zeros_like(both)
        off[both] = np.abs(g[both] - e[both]) > RTOL * np.abs(e[both]) + 1e-13
        bad = nan_mismatch | off
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            problems.append(f"{col}: {int(bad.sum())} rows, e.g. {expected['Group'][i]!r}: "
                            f"got {g[i]!r}, WHO {e[i]!r}")
    assert not problems, "\n".join(problems)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return fn(*args, **kwargs)


def test_every_prevalence_validation_file_has_a_test():
    present = {p.name for p in VALIDATION.glob("*_prev_*expected*.csv")}
    assert present == TESTED_FILES


# --- WHO example survey, 0-5 years (anthro) ----------------------------------------------

@pytest.fixture(scope="module")
def anthro_survey() -> pd.DataFrame:
    """WHO's igrowup example survey with the z-scores and flags of ``anthro_zscores``."""
    return read("who_igrowup_survey_input.csv").merge(read("anthro_r_survey_z_expected.csv"),
                                                      on="id", validate="one_to_one")


def test_anthro_survey_prev_sw(anthro_survey):
    """``anthro_prevalence(..., sw = SW, gregion = region)``: weights only."""
    with pytest.warns(DataQualityWarning, match="4 rows"):      # 4 children >= 60 months
        got = prevalence(anthro_survey, age="agemons", age_unit="months", sex="GENDER",
                         oedema="oedema", weights="SW", gregion="region")
    assert_table_equal(got, read("anthro_r_survey_prev_sw_expected.csv"))


def test_anthro_survey_prev_unweighted(anthro_survey):
    """``anthro_prevalence(..., gregion = region)``: no design."""
    got = quiet(prevalence, anthro_survey, age="agemons", age_unit="months", sex="GENDER",
                oedema="oedema", gregion="region")
    assert_table_equal(got, read("anthro_r_survey_prev_unweighted_expected.csv"))


# --- synthetic 0-5 years (anthro) ------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_0_5() -> pd.DataFrame:
    data = read("synthetic_0_5_random_input.csv").merge(
        read("synthetic_0_5_random_expected_anthro.csv"), on="id", validate="one_to_one")
    # as generated: ages in months were passed to anthro_prevalence as days, unrounded
    data["age_days"] = np.where(data["age_unit"] == "months", data["age"] * DAYS_PER_MONTH,
                                data["age"])
    return data


def test_synthetic_0_5_prev_simple(synthetic_0_5):
    # oedema holds every documented code (n/y/N/Y/1/2/blank); WHO's run used them
    # standardised to y/n, which is what Capra does itself
    got = quiet(prevalence, synthetic_0_5, age="age_days", sex="sex", oedema="oedema")
    assert_table_equal(got, read("synthetic_0_5_random_prev_simple_expected_anthro.csv"))


def test_synthetic_0_5_prev_sw(synthetic_0_5):
    got = quiet(prevalence, synthetic_0_5, age="age_days", sex="sex", oedema="oedema",
                weights="sw")
    assert_table_equal(got, read("synthetic_0_5_random_prev_sw_expected_anthro.csv"))


# --- WHO example survey, 5-19 years (anthroplus) ------------------------------------------

@pytest.fixture(scope="module")
def anthroplus_survey() -> pd.DataFrame:
    z = read("anthroplus_r_survey_z_expected.csv").drop(columns=["age_in_months"])
    return read("who2007_survey_input.csv").merge(z, on="id", validate="one_to_one")


def test_anthroplus_survey_prev_design(anthroplus_survey):
    """``anthroplus_prevalence(..., sw, cluster, strata)``: the full survey design.

    This file pins down a detail of ``survey::svyvar``: with a domain and ``na.rm = TRUE``
    the n of its ``n/(n-1)`` factor counts every child of the group, also those with a
    missing z-score (the ``*_stdev`` columns differ by up to 3.4e-4 otherwise).
    """
    got = quiet(prevalence_5_19, anthroplus_survey, age="agemons", sex="sex",
                oedema="oedema", weights="sw", cluster="cluster", strata="strata")
    assert_table_equal(got, read("anthroplus_r_survey_prev_design_expected.csv"))
    assert got.attrs["prevalence"].degf == 30 - 6            # 30 clusters in 6 strata


def test_anthroplus_survey_prev_unweighted(anthroplus_survey):
    got = quiet(prevalence_5_19, anthroplus_survey, age="agemons", sex="sex",
                oedema="oedema")
    assert_table_equal(got, read("anthroplus_r_survey_prev_unweighted_expected.csv"))


# --- WHO's older macros (igrowup, who2007) -------------------------------------------------
#
# The macros print N (sum of the weights), the prevalences with a 95 % interval, the mean and
# the SD, rounded to 0.1 % and 0.01 z. Their point estimates are the weighted means that
# ``domain_estimates`` computes. Their two other formulas differ from the R packages; the
# tests below pin them down:
#   * interval: p +- (1.96 sqrt(p(1 - p)/Nw) + 1/(2 Nw)), a Wald interval with continuity
#     correction in which Nw is the SUM OF THE WEIGHTS, not the number of children. With
#     survey weights in the thousands this interval is far too narrow: do not use it;
#   * SD: the weighted SD with divisor sum(w), without the n/(n - 1) factor.
# The macros also use other age limits than the R packages (0-5 y up to 1856 days, 5-19 y
# from 61 months), so their own z-scores are used as input.

MACRO_CUTOFFS = {"% < -3 SD": (-3, "<"), "% < -2 SD": (-2, "<"), "% > +1 SD": (1, ">"),
                 "% > +2 SD": (2, ">"), "% > +3 SD": (3, ">")}


def parse_macro_table(name: str) -> list[dict]:
    """Rows of a macro prevalence file: set, indicator, age band, cut-offs and values."""
    out = []
    sex_set = indicator = header = None
    with open(VALIDATION / name, newline="") as fh:
        for row in csv.reader(fh):
            row = [c.strip() for c in row]
            if row[1].startswith("Set"):
                sex_set = row[2]
            elif row[0] == "" and row[1]:
                indicator = " ".join(c for c in row[1:] if c)
            elif row[0] == "Age":
                header = [c for c in row if c]
            elif row[0]:
                values = [float(c) for c in row[1:] if c != ""]
                cutoffs = [h for h in header if h.startswith("%")]
                out.append({"set": sex_set, "indicator": indicator, "age": row[0],
                            "cutoffs": cutoffs, "values": values})
    return out


def macro_estimates(design, prev_z, summ_z, domain, cutoffs):
    """N, (p, ll, ul) per cut-off, mean, SD as the macros compute them, from Capra's code."""
    codes = np.where(domain, 0, -1)
    first = None
    values = []
    for label in cutoffs:
        thr, op = MACRO_CUTOFFS[label]
        hit = (prev_z < thr) if op == "<" else (prev_z > thr)
        y = np.where(np.isnan(prev_z), np.nan, hit.astype(float))
        est = domain_estimates(design, y, codes, 1, proportion=True).iloc[0]
        first = est if first is None else first
        p, nw = est["r"] / 100, est["pop"]
        half = 1.96 * np.sqrt(p * (1 - p) / nw) + 1 / (2 * nw)
        values += [100 * p, 100 * (p - half), 100 * (p + half)]
    est = domain_estimates(design, summ_z, codes, 1, sd_count="valid").iloc[0]
    n = est["unwpop"]
    sd = 0.0 if n == 1 else est["stdev"] * np.sqrt((n - 1) / n)   # one child: SD 0
    return [first["pop"]] + values + [est["r"], sd]


def check_macro_file(name, z, groups, indicators, oedema_rule):
    design = survey_design(weights=z["sw"].to_numpy(dtype=float))
    checked = 0
    for row in parse_macro_table(name):
        zc, fc, weight_based = indicators[row["indicator"]]
        v = z[zc].where(z[fc] != 1).to_numpy(dtype=float)   # flagged values leave
        prev_z = v
        if weight_based:
            aux = oedema_rule(zc)
            prev_z = np.where(aux, -3.1, v)
            v = np.where(z["oedema"].to_numpy() == "y", np.nan, v)
        domain = groups(row)
        if row["values"][0] == 0:                             # empty band: only N is printed
            assert not (domain & ~np.isnan(prev_z)).any()
            continue
        got = macro_estimates(design, prev_z, v, domain, row["cutoffs"])
        digits = [0] + [1] * (3 * len(row["cutoffs"])) + [2, 2]
        assert len(got) == len(row["values"])
        for g, e, d in zip(got, row["values"], digits, strict=True):
            assert round(g, d) == pytest.approx(e, abs=1e-9), (row, g, e)
            checked += 1
    return checked


IGROWUP_INDICATORS = {
    "Weight -for- age": ("zwei", "fwei", True),
    "Length /height -for- age": ("zlen", "flen", False),
    "Weight -for- length /height": ("zwfl", "fwfl", True),
    "BMI -for- age": ("zbmi", "fbmi", True),
    "Head circumference -for- age": ("zhc", "fhc", False),
    "MUAC -for- age": ("zac", "fac", False),
    "Triceps skinfold -for- age": ("zts", "fts", False),
    "Subscapular skinfold -for- age": ("zss", "fss", False),
}
IGROWUP_BANDS = {"0-5": (0, 6), "3-5": (0, 6), "6-11": (6, 12), "12-23": (12, 24),
                 "24-35": (24, 36), "36-47": (36, 48), "48-60": (48, 61),
                 "0-60": (0, 61), "3-60": (0, 61)}


def igrowup_check(name: str, restricted: bool) -> int:
    z = read("who_igrowup_survey_z_expected.csv")
    months = z["age.days"].to_numpy(dtype=float) / DAYS_PER_MONTH
    oedema = z["oedema"].to_numpy() == "y"
    complete = np.ones(len(z), dtype=bool)
    if restricted:   # restricted analysis: children with all four main z-scores valid
        for zc, fc, _ in list(IGROWUP_INDICATORS.values())[:4]:
            complete &= (z[zc].notna() & (z[fc] != 1)).to_numpy()

    def groups(row):
        lo, hi = IGROWUP_BANDS[row["age"]]
        dom = (months >= lo) & (months < hi) & complete
        if row["age"].startswith("3-"):
            dom &= z["age.days"].to_numpy() >= 91
        if row["set"] != "Sexes":
            dom &= z["GENDER"].to_numpy() == (1 if row["set"] == "Males" else 2)
        return dom

    return check_macro_file(name, z, groups, IGROWUP_INDICATORS,
                            lambda zc: oedema)


def test_igrowup_macro_prev_standard():
    assert igrowup_check("who_igrowup_survey_prev_st_expected.csv", restricted=False) > 2000


def test_igrowup_macro_prev_restricted():
    assert igrowup_check("who_igrowup_survey_prev_rc_expected.csv", restricted=True) > 1000


def test_who2007_macro_prev():
    z = read("who2007_macro_survey_z_expected.csv")
    months = z["age.mo"].to_numpy(dtype=float)
    oedema = z["oedema"].to_numpy() == "y"
    in_range = (months >= 61) & (months < 229)

    def groups(row):
        dom = in_range.copy()
        if row["age"] != "5-19":
            dom &= np.floor(months / 12) == int(row["age"])
        if row["set"] != "Sexes":
            dom &= z["sex"].to_numpy() == (1 if row["set"] == "Males" else 2)
        return dom

    indicators = {"Weight -for- age": ("zwfa", "fwfa", True),
                  "Height -for- age": ("zhfa", "fhfa", False),
                  "BMI -for- age": ("zbfa", "fbfa", True)}
    upper = {"zwfa": 121, "zbfa": 229}
    checked = check_macro_file("who2007_macro_survey_prev_expected.csv", z, groups, indicators,
                               lambda zc: oedema & (months >= 61) & (months < upper[zc]))
    assert checked > 2000


# --- end to end: raw measurements -> z-scores -> prevalence --------------------------------

def test_end_to_end_anthro_survey_from_raw_measurements():
    raw = read("who_igrowup_survey_input.csv")
    got = quiet(prevalence, raw, age="agemons", age_unit="months", sex="GENDER",
                oedema="oedema", weights="SW", gregion="region",
                zscore_options={"weight": "WEIGHT", "lenhei": "HEIGHT"})
    assert_table_equal(got, read("anthro_r_survey_prev_sw_expected.csv"))


def test_end_to_end_anthroplus_survey_from_raw_measurements():
    raw = read("who2007_survey_input.csv")
    got = quiet(prevalence_5_19, raw, age="agemons", sex="sex", oedema="oedema",
                weights="sw", cluster="cluster", strata="strata")
    assert_table_equal(got, read("anthroplus_r_survey_prev_design_expected.csv"))


def test_end_to_end_synthetic_from_raw_measurements():
    raw = read("synthetic_0_5_random_input.csv")
    raw["age_days"] = np.where(raw["age_unit"] == "months", raw["age"] * DAYS_PER_MONTH,
                               raw["age"])
    got = quiet(prevalence, raw, age="age_days", sex="sex", oedema="oedema", weights="sw",
                zscore_options={"age": "age", "age_unit": "age_unit"})
    assert_table_equal(got, read("synthetic_0_5_random_prev_sw_expected_anthro.csv"))
