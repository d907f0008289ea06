"""Unit tests of the survey prevalence: hand-computed designs, scope rules, codes, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

from capra.errors import DataError, InvalidValuesError
from capra.growth.prevalence import (
    DataQualityWarning,
    analysis_zscores,
    prevalence,
    prevalence_5_19,
)
from capra.growth.survey import domain_estimates, survey_design

# Student t 97.5 % quantile with 2 degrees of freedom, closed form (2p - 1)/sqrt(2p(1 - p))
T_975_DF2 = 0.95 / math.sqrt(2 * 0.975 * 0.025)


def expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# --- the design-based estimator, by hand ---------------------------------------------------
#
# Two strata, two clusters each (PSUs sampled with replacement):
#   stratum A: cluster 1 = (y 1, w 1), (y 0, w 1); cluster 2 = (y 1, w 2)
#   stratum B: cluster 3 = (y 0, w 1);             cluster 4 = (y 0, w 2), (y 1, w 1)

Y = np.array([1, 0, 1, 0, 0, 1], dtype=float)
W = np.array([1, 1, 2, 1, 2, 1], dtype=float)
CLUSTER = np.array([1, 1, 2, 3, 4, 4])
STRATUM = np.array(["A", "A", "A", "B", "B", "B"])


def test_hand_computed_two_strata_two_clusters():
    design = survey_design(W, CLUSTER, STRATUM)
    assert design.degf == 4 - 2
    est = domain_estimates(design, Y, proportion=True).iloc[0]
    # r = sum(w y) / sum(w) = 4 / 8
    r = 4 / 8
    # influence totals U = sum over the cluster of w (y - r) / sum(w):
    #   cluster 1: (1*0.5 - 1*0.5)/8 = 0;   cluster 2: 2*0.5/8 = 0.125
    #   cluster 3: -0.5/8 = -0.0625;        cluster 4: (-2*0.5 + 0.5)/8 = -0.0625
    # stratum A: mean 0.0625, squares 2 * 0.0625^2, times n/(n-1) = 2  -> 0.015625
    # stratum B: both -0.0625, no spread                                -> 0
    var = 2 * (2 * 0.0625 ** 2) + 0.0
    se = math.sqrt(var)                        # 0.125
    half = T_975_DF2 * se / (r * (1 - r))      # logit interval
    assert est["pop"] == pytest.approx(8)
    assert est["unwpop"] == 6
    assert est["r"] == pytest.approx(100 * r, rel=1e-12)
    assert est["se"] == pytest.approx(100 * se, rel=1e-12)
    assert est["ll"] == pytest.approx(100 * expit(-half), rel=1e-12)
    assert est["ul"] == pytest.approx(100 * expit(half), rel=1e-12)


def test_hand_computed_domain_counts_absent_psus_as_zero():
    design = survey_design(W, CLUSTER, STRATUM)
    domain = np.array([0, 0, -1, 0, -1, -1])          # cluster 1 and cluster 3 only
    est = domain_estimates(design, Y, domain, 1, proportion=True).iloc[0]
    # r = 1/3; U: cluster 1 = (1*(2/3) + 1*(-1/3))/3 = 1/9, cluster 2 = 0 (no domain rows),
    # cluster 3 = (-1/3)/3 = -1/9, cluster 4 = 0. Each stratum: mean ±1/18,
    # squares 2 * (1/18)^2, times 2 -> 4/324; total 8/324
    se = math.sqrt(8 / 324)
    assert est["r"] == pytest.approx(100 / 3, rel=1e-12)
    assert est["se"] == pytest.approx(100 * se, rel=1e-12)
    assert est["pop"] == pytest.approx(3)


def test_hand_computed_mean_and_stdev():
    design = survey_design(W, CLUSTER, STRATUM)
    z = np.array([-1.0, 0.5, 2.0, np.nan, -0.5, 1.0])
    est = domain_estimates(design, z).iloc[0]
    wv = W[~np.isnan(z)]
    zv = z[~np.isnan(z)]
    r = (wv * zv).sum() / wv.sum()                        # 3.5 / 7 = 0.5
    # influence totals per cluster, sum(w (z - r)) / sum(w):
    u1 = (1 * (-1.5) + 1 * 0.0) / 7
    u2 = 2 * 1.5 / 7
    u3 = 0.0                                              # its only row is missing
    u4 = (2 * (-1.0) + 1 * 0.5) / 7
    var = 2 * ((u1 - (u1 + u2) / 2) ** 2 + (u2 - (u1 + u2) / 2) ** 2) \
        + 2 * ((u3 - (u3 + u4) / 2) ** 2 + (u4 - (u3 + u4) / 2) ** 2)
    n = 5
    sd = math.sqrt((wv * (zv - r) ** 2).sum() / wv.sum() * n / (n - 1))
    assert est["r"] == pytest.approx(r, rel=1e-12)
    assert est["se"] == pytest.approx(math.sqrt(var), rel=1e-12)
    assert est["ll"] == pytest.approx(r - T_975_DF2 * math.sqrt(var), rel=1e-12)
    assert est["stdev"] == pytest.approx(sd, rel=1e-12)


def test_lonely_psu_adjust_centres_at_zero():
    # stratum C has one PSU: "adjust" adds its squared influence total, uncentred
    w = np.append(W, 1.0)
    y = np.append(Y, 1.0)
    design = survey_design(w, np.append(CLUSTER, 5), np.append(STRATUM, "C"))
    assert design.degf == 5 - 3
    est = domain_estimates(design, y, proportion=True).iloc[0]
    r = 5 / 9
    u = [(1 * (1 - r) + 1 * (0 - r)) / 9, 2 * (1 - r) / 9,
         (0 - r) / 9, (2 * (0 - r) + (1 - r)) / 9, (1 - r) / 9]
    var = (2 * sum((x - (u[0] + u[1]) / 2) ** 2 for x in u[:2])
           + 2 * sum((x - (u[2] + u[3]) / 2) ** 2 for x in u[2:4])
           + u[4] ** 2)
    assert est["se"] == pytest.approx(100 * math.sqrt(var), rel=1e-12)


def test_no_cluster_equals_simple_formula():
    # without clusters and strata: se = sqrt(N/(N-1))/n * sqrt(sum((x - r)^2)),
    # N = every row of the design, n = rows of the group (WHO's "simple" path)
    rng = np.random.default_rng(3)
    x = (rng.random(50) < 0.3).astype(float)
    group = (rng.random(50) < 0.4).astype(np.int64)
    design = survey_design(n=50)
    assert design.degf == 49
    est = domain_estimates(design, x, group, 2, proportion=True)
    for g in (0, 1):
        xs = x[group == g]
        n, r = xs.size, xs.mean()
        se = math.sqrt(50 / 49) / n * math.sqrt(((xs - r) ** 2).sum())
        assert est["r"][g] == pytest.approx(100 * r)
        assert est["se"][g] == pytest.approx(100 * se, rel=1e-12)


def test_single_cluster_value_means_no_clusters():
    a = survey_design(W, np.ones(6), STRATUM)
    b = survey_design(W, None, STRATUM)
    assert a.degf == b.degf == 6 - 2
    np.testing.assert_array_equal(a.psu, b.psu)


def test_empty_domain_and_proportion_limits():
    design = survey_design(n=4)
    est = domain_estimates(design, np.array([0.0, 0.0, 1.0, 1.0]),
                           np.array([0, 0, 1, 1]), 3, proportion=True)
    assert est["ll"][0] == est["ul"][0] == 0.0          # r = 0: CI [0, 0]
    assert est["ll"][1] == est["ul"][1] == 100.0        # r = 100: CI [100, 100]
    assert est["pop"][2] == 0 and np.isnan(est["r"][2])  # empty level kept


# --- the prevalence table ------------------------------------------------------------------

def children(n: int = 40, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = np.round(rng.normal(-0.5, 1.2, (n, 4)), 2)
    data = pd.DataFrame(z, columns=["zlen", "zwei", "zwfl", "zbmi"])
    for c in ("len", "wei", "wfl", "bmi"):
        data[f"f{c}"] = 0
    data["age"] = rng.uniform(0, 1826, n)
    data["sex"] = rng.choice([1, 2], n)
    data["oedema"] = "n"
    return data


def table_row(table: pd.DataFrame, group: str) -> pd.Series:
    return table.set_index("Group").loc[group]


def test_groups_and_columns_0_5():
    t = prevalence(children())
    assert t["Group"].tolist()[:9] == [
        "All", "Age group: 00-05 mo", "Age group: 06-11 mo", "Age group: 12-23 mo",
        "Age group: 24-35 mo", "Age group: 36-47 mo", "Age group: 48-59 mo",
        "Sex: Female", "Sex: Male"]
    assert t["Group"].tolist()[9] == "Age + sex: 00-05 mo.Female"
    assert len(t) == 21
    assert t.columns[:3].tolist() == ["Group", "HAZ_pop", "HAZ_unwpop"]
    assert t.columns[-4:].tolist() == ["HA_2_WH2_r", "HA_2_WH2_se", "HA_2_WH2_ll", "HA_2_WH2_ul"]


def test_empty_level_has_pop_zero():
    data = children()
    data["age"] = 100.0                              # every child 0-5 months
    t = prevalence(data, age_unit="days")            # (ages up to 240 could be months)
    row = table_row(t, "Age group: 48-59 mo")
    assert row["HAZ_pop"] == 0 and row["HAZ_unwpop"] == 0
    assert np.isnan(row["HA_2_r"]) and np.isnan(row["HA_r"])


def test_all_documented_oedema_codes_accepted():
    data = children()
    codes = ["n", "N", "y", "Y", "1", "2", 1, 2, None, " y ", np.nan]
    data["oedema"] = [codes[i % len(codes)] for i in range(len(data))]
    t = prevalence(data)
    yes = {"y", "Y", "1", 1, " y "}
    standard = data.assign(oedema=["y" if c in yes else "n" for c in data["oedema"]])
    pd.testing.assert_frame_equal(t, prevalence(standard))


def test_oedema_coding_can_be_stated():
    data = children()
    data["oedema"] = [2] + [1] * (len(data) - 1)       # a survey coding 2 = yes
    t = prevalence(data, oedema_codes={1: False, 2: True})
    expected = prevalence(data.assign(oedema=["y"] + ["n"] * (len(data) - 1)))
    pd.testing.assert_frame_equal(t, expected)


def test_oedema_counts_as_severe_but_not_in_mean():
    data = children()
    base = table_row(prevalence(data), "All")
    z0 = data.loc[0, "zwfl"]
    data.loc[0, "oedema"] = "y"
    row = table_row(prevalence(data), "All")
    n = row["WHZ_unwpop"]
    assert n == base["WHZ_unwpop"]                       # the oedema child stays in N
    below3 = round(row["WH_3_r"] * n / 100)
    assert below3 == round(base["WH_3_r"] * n / 100) - int(z0 < -3) + 1
    z = children()["zwfl"].to_numpy()[1:]                # the mean leaves it out
    assert row["WH_r"] == pytest.approx(z.mean())
    assert row["HA_r"] == base["HA_r"]                   # length is unaffected


def test_oedema_aux_in_cutoffs():
    data = children(5)
    data["zwfl"] = [0.5, 0.2, 1.0, -0.1, 0.3]
    data["oedema"] = ["y", "n", "n", "n", "n"]
    t = prevalence(data)
    row = table_row(t, "All")
    assert row["WH_3_r"] == pytest.approx(20.0)           # 1 of 5, the oedema child
    assert row["WH_2_r"] == pytest.approx(20.0)
    assert row["WH_r"] == pytest.approx(np.mean([0.2, 1.0, -0.1, 0.3]))
    assert row["WHZ_unwpop"] == 5


def test_flagged_zscores_leave_and_flags_derived_when_absent():
    data = children(10)
    data.loc[0, "zlen"] = -6.5
    with_flags = data.assign(flen=(data["zlen"].abs() > 6).astype(int))
    t1 = prevalence(with_flags)
    t2 = prevalence(data.drop(columns=["flen", "fwei", "fwfl", "fbmi"]))
    assert table_row(t1, "All")["HAZ_unwpop"] == 9
    pd.testing.assert_frame_equal(t1, t2)


def test_rows_out_of_scope_are_counted_in_a_warning():
    data = children(10)
    data.loc[0, "age"] = 1826.5
    data.loc[1, "age"] = np.nan                      # kept (anthro keeps missing ages)
    with pytest.warns(DataQualityWarning, match=r"^1 row with missing cluster"):
        t = prevalence(data)
    assert table_row(t, "All")["HAZ_unwpop"] == 9
    assert t.attrs["prevalence"].rows_used == 9


def test_missing_design_values_and_weights_warn():
    data = children(12)
    data["cluster"] = np.repeat([1, 2, 3, 4], 3)
    data["strata"] = np.repeat([1, 2], 6)
    data["sw"] = 1.5
    data.loc[0, "cluster"] = np.nan
    data.loc[5, "sw"] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = prevalence(data, weights="sw", cluster="cluster", strata="strata")
    messages = [str(w.message) for w in caught if w.category is DataQualityWarning]
    assert any(m.startswith("1 row with missing cluster") for m in messages)
    assert any(m.startswith("1 row with a missing sampling weight") for m in messages)
    row = table_row(t, "All")
    assert row["HAZ_unwpop"] == 11                    # zero-weight row still counted
    assert row["HAZ_pop"] == pytest.approx(10 * 1.5)
    assert t.attrs["prevalence"].degf == 4 - 2


def test_negative_age_becomes_missing_with_warning():
    data = children(6)
    data.loc[2, "age"] = -3
    with pytest.warns(DataQualityWarning, match="negative age"):
        t = prevalence(data)
    assert t.attrs["prevalence"].excluded["negative age set to missing"] == 1


def test_wealth_quintile_codes():
    data = children(10)
    data["wq"] = ["1", "Q2", 3, "q4", "Q5", 5, None, "6", "rich", 1]
    with pytest.warns(DataQualityWarning, match="2 rows with a wealth quintile"):
        t = prevalence(data, wealthq="wq")
    wq = t[t["Group"].str.startswith("Wealth quintile")]
    assert wq["Group"].tolist() == ["Wealth quintile: Q1: Poorest", "Wealth quintile: Q2",
                                    "Wealth quintile: Q3", "Wealth quintile: Q4",
                                    "Wealth quintile: Q5: Richest"]
    assert wq["HAZ_unwpop"].tolist() == [2, 1, 1, 1, 2]


def test_optional_group_in_order_of_appearance_and_skipped_when_all_missing():
    data = children(6)
    data["region"] = ["West", "North", "West", None, "East", "North"]
    data["area"] = None
    t = prevalence(data, gregion="region", typeres="area")
    regions = t[t["Group"].str.startswith("Geographical")]["Group"].tolist()
    assert regions == ["Geographical region: West", "Geographical region: North",
                       "Geographical region: East"]
    assert not t["Group"].str.startswith("Area").any()


def test_anthroplus_groups_and_weight_for_age_blank_for_all_and_sex():
    rng = np.random.default_rng(5)
    n = 60
    data = pd.DataFrame({
        "age": rng.uniform(60, 228, n), "sex": rng.choice(["m", "f"], n), "oedema": "n",
        "zhfa": rng.normal(0, 1, n).round(2), "zbfa": rng.normal(0, 1, n).round(2),
        "zwfa": rng.normal(0, 1, n).round(2)})
    data.loc[data["age"] > 120, "zwfa"] = np.nan
    t = prevalence_5_19(data)
    assert len(t) == 27
    assert t.columns[:3].tolist() == ["Group", "Years", "Months"]
    assert t.loc[0, ["Group", "Years", "Months"]].tolist() == ["All", "Total (5-19)",
                                                               "(60-228)"]
    wa = [c for c in t.columns if c.startswith("WA")]
    assert t.loc[:2, wa].isna().all().all()
    assert t.loc[3:, "WAZ_pop"].notna().all()
    assert t["Group"].iloc[-1] == "Age + Sex: Male.180-228 mo"


def test_anthroplus_oedema_aux_for_weight_for_age_only_up_to_120_months():
    data = pd.DataFrame({"age": [100.0, 150.0, 100.0, 150.0], "sex": [1, 1, 2, 2],
                         "oedema": ["y", "y", "n", "n"], "zhfa": [0.0] * 4,
                         "zbfa": [0.1, 0.2, 0.3, 0.4], "zwfa": [0.5, np.nan, 0.5, np.nan]})
    t = prevalence_5_19(data)
    g = table_row(t, "Age Group 2: 60-119 mo")
    assert g["WA_3_r"] == pytest.approx(50.0) and g["WAZ_unwpop"] == 2
    g = table_row(t, "Age Group 2: 120-179 mo")
    assert g["WAZ_unwpop"] == 0 and g["BMI_3_r"] == pytest.approx(50.0)


def test_anthroplus_drops_missing_age_and_errors_when_nothing_left():
    data = pd.DataFrame({"age": [np.nan, 30.0], "sex": [1, 2], "zhfa": [0.0, 1.0],
                         "zwfa": [0.0, 1.0], "zbfa": [0.0, 1.0]})
    with pytest.warns(DataQualityWarning, match="2 rows"), pytest.raises(DataError,
                                                                           match="no rows"):
        prevalence_5_19(data)


# --- bad data ------------------------------------------------------------------------------

def test_bad_codes_are_reported_with_every_row_and_value():
    data = children(8)
    data["sex"] = data["sex"].astype(object)
    data.loc[[1, 4], "sex"] = ["x", 3]
    data.loc[6, "oedema"] = "maybe"
    with pytest.raises(InvalidValuesError) as info:
        prevalence(data)
    err = info.value
    assert err.rows == {"sex": [2, 5], "oedema": [7]}
    text = str(err)
    assert "'x'" in text and "3" in text and "'maybe'" in text
    assert "rows are numbered from 1" in text


def test_non_numeric_and_negative_values_reported():
    data = children(5)
    data["sw"] = [1.0, -2.0, 1.0, 1.0, -1.0]
    data["zlen"] = data["zlen"].astype(object)
    data.loc[3, "zlen"] = "abc"
    data.loc[0, "flen"] = 7
    with pytest.raises(InvalidValuesError) as info:
        prevalence(data, weights="sw")
    assert info.value.rows == {"sw": [2, 5], "zlen": [4], "flen": [1]}
    assert isinstance(info.value, DataError)


def test_missing_column_is_named():
    with pytest.raises(DataError, match="'SEX'.*not found"):
        prevalence(children(), sex="SEX")


def test_analysis_zscores_match_table_means():
    data = children(30)
    data.loc[0, "oedema"] = "y"
    z = analysis_zscores(data)
    t = prevalence(data)
    assert np.isnan(z.loc[0, "WH"])
    assert z["WH"].mean() == pytest.approx(table_row(t, "All")["WH_r"])
    assert z["HA"].mean() == pytest.approx(table_row(t, "All")["HA_r"])


def test_optional_group_levels_sorted_with_a_full_design():
    # the R survey path (svyby) orders levels; the fast paths keep first appearance
    data = children(8)
    data["region"] = ["West", "North", "West", "East", "East", "North", "South", "West"]
    data["psu"] = [1, 1, 2, 2, 3, 3, 4, 4]
    t = prevalence(data, gregion="region", cluster="psu")
    regions = t[t["Group"].str.startswith("Geographical")]["Group"].str[21:].tolist()
    assert regions == ["East", "North", "South", "West"]
    data["code"] = [10, 9, 10, 2, 2, 9, 1, 10]
    t = prevalence(data, othergr="code", cluster="psu")
    assert t[t["Group"].str.startswith("Other")]["Group"].tolist() == [
        "Other grouping: 1", "Other grouping: 2", "Other grouping: 9", "Other grouping: 10"]
