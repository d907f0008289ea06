"""Indicator by indicator, in the style of the tests of WHO's ``anthro``/``anthroplus``.

Bad codes, oedema, known values, flag limits, ages outside the tables, measurements ≤ 0, the
730/731-day switch, the 9-month rule, the 60-month limit; then input handling (types, rows,
index, mapping, aliases), the documented options and the summary.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from capra.errors import ArgumentError, DataError, InvalidValuesError
from capra.growth.inputs import parse_oedema_codes
from capra.growth.lms import measurement_at_z
from capra.growth.zscore import GrowthDataWarning, OUTPUT_COLUMNS, zscore_summary, zscores


def one(**kw) -> pd.Series:
    """Score one child; return its result row."""
    kw.setdefault("sex", 1)
    return zscores(**{k: [v] if k in ("sex", "age", "weight", "lenhei", "measure", "oedema",
                                     "headc", "armc", "triskin", "subskin") else v
                      for k, v in kw.items()}).iloc[0]


def isna(v) -> bool:
    return bool(pd.isna(v))


# (z column, table, measurement keyword, age unit, an age in range, flag limits)
AGE_BASED = [
    ("zlen", "lhfa", "lenhei", 400, (-6, 6)),
    ("zwei", "wfa", "weight", 400, (-6, 5)),
    ("zhc", "hcfa", "headc", 400, (-5, 5)),
    ("zac", "acfa", "armc", 400, (-5, 5)),
    ("zts", "tsfa", "triskin", 400, (-5, 5)),
    ("zss", "ssfa", "subskin", 400, (-5, 5)),
]
REF2007 = [
    ("zhfa", "hfa2007", "lenhei", 150.0, (-6, 6)),
    ("zwfa", "wfa2007", "weight", 100.0, (-6, 5)),
]


# ---- bad codes ----------------------------------------------------------------------------

def test_bad_sex_code_reports_every_row_and_value():
    with pytest.raises(InvalidValuesError) as err:
        zscores(sex=[1, "x", 2, "x", 3, "m", " "], age=[100] * 7, weight=[8] * 7)
    e = err.value
    assert e.rows == {"sex": [2, 4, 5]}
    assert [v for _, v in e.problems["sex"]] == ["x", "x", 3]
    assert "rows 2, 4" in str(e) and "row 5" in str(e)
    assert e.exit_code == 3 and isinstance(e, DataError)


def test_all_bad_fields_are_reported_together():
    with pytest.raises(InvalidValuesError) as err:
        zscores(sex=[1, 2, "q"], age=[10, 20, 30], weight=["8", "abc", 9.5],
                measure=["l", "x", "H"], oedema=["n", "maybe", None])
    assert err.value.rows == {"sex": [3], "measure": [2], "oedema": [2], "weight": [2]}


@pytest.mark.parametrize("code,expected", [(1, 1), (2, 2), ("1", 1), ("2", 2), ("m", 1),
                                           ("M", 1), ("f", 2), ("F", 2), (None, None),
                                           (np.nan, None), ("", None)])
def test_sex_codes(code, expected):
    r = one(sex=code, age=400, weight=9, lenhei=75)
    if expected is None:
        assert isna(r["csex"]) and isna(r["zwei"]) and isna(r["zlen"]) and isna(r["zwfl"])
    else:
        assert r["csex"] == expected and not isna(r["zwei"])


def test_measure_codes_and_bad_measure():
    for code, clean in (("l", "l"), ("L", "l"), ("h", "h"), ("H", "h"), (None, None)):
        r = one(age=400, lenhei=75, measure=code)
        assert (isna(r["cmeasure"]) if clean is None else r["cmeasure"] == clean)
    with pytest.raises(InvalidValuesError):
        one(age=400, lenhei=75, measure="standing")


# ---- oedema ------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,oedema", [("y", True), ("Y", True), ("1", True), (1, True),
                                         ("n", False), ("N", False), ("2", False), (2, False),
                                         (None, False), ("", False)])
def test_every_documented_oedema_code(code, oedema):
    r = one(age=400, weight=9, lenhei=75, headc=45, oedema=code)
    assert r["coedema"] == ("y" if oedema else "n")
    for z in ("zwei", "zwfl", "zbmi"):
        assert isna(r[z]) == oedema
    assert not isna(r["zlen"]) and not isna(r["zhc"])


def test_oedema_5_19_sets_weight_scores_missing():
    r = one(sex=2, age=100, age_unit="months", lenhei=128, weight=25, oedema="y")
    assert isna(r["zwfa"]) and isna(r["zbfa"]) and r["zhfa"] == -0.09
    assert r["cbmi"] == pytest.approx(25 / 1.28 ** 2)


def test_explicit_oedema_codings():
    assert parse_oedema_codes("2/1") == {"2": True, "1": False}
    r = one(age=400, weight=9, lenhei=75, oedema="2", oedema_codes="2/1")
    assert r["coedema"] == "y" and isna(r["zwei"])
    with pytest.raises(InvalidValuesError):
        zscores(sex=[1, 1], age=[400, 400], weight=[9, 9], oedema=["y", "1"], oedema_codes="y/n")
    with pytest.raises(ArgumentError):
        parse_oedema_codes("y")
    with pytest.raises(ArgumentError):
        parse_oedema_codes("y,1/1")


# ---- known values (WHO's own test values) -----------------------------------------------------

def test_known_values_from_who_tests():
    assert one(sex=2, age=24, age_unit="months", lenhei=77.5)["zlen"] == -2.55
    assert one(sex=2, age=1522, weight=17)["zwei"] == 0.24
    r = one(sex=2, age=1, weight=10.37)
    assert r["zwei"] == 12.46 and r["fwei"] == 1
    r = one(sex=1, age=987, lenhei=72.86, measure="l")
    assert r["clenhei"] == pytest.approx(72.16) and r["zlen"] == -6.09 and r["flen"] == 1
    r = one(sex=2, age=60.32, age_unit="months", lenhei=113.8, weight=18.7)
    assert (r["zhfa"], r["zwfa"], r["zbfa"]) == (0.96, 0.21, -0.58)


def test_restricted_lms_tails():
    # WHO's values for a 180-day boy of 67 cm (SPEC §3.2: linear beyond ±3 SD)
    r = one(age=180, weight=1.0, lenhei=67, measure="l")
    assert (r["zwei"], r["zwfl"], r["zbmi"]) == (-9.84, -13.51, -13.13)
    r = one(age=180, weight=20.0, lenhei=67, measure="l")
    assert (r["zwei"], r["zwfl"], r["zbmi"]) == (11.3, 14.78, 15.11)


# ---- flag limits ---------------------------------------------------------------------------

@pytest.mark.parametrize("zcol,tname,field,age,limits", AGE_BASED)
def test_flag_limits_age_based(zcol, tname, field, age, limits):
    fcol = "f" + zcol[1:]
    lo, hi = limits
    for z, flagged in ((hi - 0.004, 0), (hi + 0.006, 1), (lo + 0.004, 0), (lo - 0.006, 1)):
        y = float(measurement_at_z(tname, 1, age, z))
        kw = {field: y}
        r = one(age=age, measure="l" if field == "lenhei" else None, **kw)
        assert r[zcol] == pytest.approx(round(z, 2)), (z, r[zcol])
        assert r[fcol] == flagged, (zcol, z)


@pytest.mark.parametrize("zcol,tname,field,age,limits", REF2007)
def test_flag_limits_5_19(zcol, tname, field, age, limits):
    fcol = "f" + zcol[1:]
    lo, hi = limits
    for z, flagged in ((hi - 0.004, 0), (hi + 0.006, 1), (lo + 0.004, 0), (lo - 0.006, 1)):
        y = float(measurement_at_z(tname, 2, age, z))
        r = one(sex=2, age=age, age_unit="months", **{field: y})
        assert r[zcol] == pytest.approx(round(z, 2)) and r[fcol] == flagged


def test_flag_limits_wfl_and_bfa():
    for z, flagged in ((4.996, 0), (5.006, 1), (-4.996, 0), (-5.006, 1)):
        w = float(measurement_at_z("wfl", 1, 70.0, z))
        r = one(age=300, lenhei=70.0, measure="l", weight=w)
        assert r["zwfl"] == pytest.approx(round(z, 2)) and r["fwfl"] == flagged
        bmi = float(measurement_at_z("bfa2007", 1, 100.0, z))
        r = one(age=100, age_unit="months", lenhei=130, weight=bmi * 1.3 ** 2)
        assert r["zbfa"] == pytest.approx(round(z, 2)) and r["fbfa"] == flagged


def test_flag_is_missing_where_z_is_missing():
    r = one(age=400)
    for z in ("zlen", "zwei", "zwfl", "zbmi", "zhfa"):
        assert isna(r[z]) and isna(r["f" + z[1:]])


# ---- ages outside the tables ------------------------------------------------------------------

def test_arm_and_skinfolds_start_at_91_days():
    for age, scored in ((0, False), (90, False), (91, True), (92, True)):
        r = one(age=age, weight=4, lenhei=52, measure="l", headc=36, armc=11, triskin=8,
                subskin=7)
        for z in ("zac", "zts", "zss"):
            assert isna(r[z]) != scored
        assert not isna(r["zhc"]) and not isna(r["zwei"])


def test_60_month_limit_0_5():
    for age, unit, scored in ((59.99, "months", True), (60.0, "months", False),
                              (1826, "days", True), (1826.3, "days", False),
                              (1827, "days", False)):
        r = one(age=age, age_unit=unit, weight=18, lenhei=108, measure="h", headc=50, armc=16)
        for z in ("zlen", "zwei", "zwfl", "zbmi", "zhc", "zac"):
            assert isna(r[z]) != scored, (age, unit, z)


def test_macro_rules_score_up_to_1856_days():
    r = one(age=1856, weight=18, lenhei=108, measure="h", rules="macro")
    assert not isna(r["zwei"]) and not isna(r["zwfl"])
    assert isna(one(age=1857, weight=18, lenhei=108, rules="macro")["zwei"])


def test_5_19_age_limits():
    def row(age):
        return one(age=age, age_unit="months", lenhei=140, weight=35)
    assert isna(row(59.99)["zhfa"]) and isna(row(59.99)["zbfa"])
    for age in (60, 60.5, 120, 228):
        assert not isna(row(age)["zhfa"]) and not isna(row(age)["zbfa"])
    assert not isna(row(120)["zwfa"]) and isna(row(120.01)["zwfa"])
    assert isna(row(228.01)["zhfa"]) and isna(row(228.01)["zbfa"])
    assert isna(row(228.01)["reference"]) and row(228)["reference"] == "WHO 2007"
    assert row(59.99)["reference"] == "WHO 2006"


def test_0_5_and_5_19_columns_never_overlap():
    ages = np.linspace(0, 240, 2000)
    r = zscores(sex=np.ones(2000), age=ages, age_unit="months", weight=np.full(2000, 15.0),
                lenhei=np.full(2000, 100.0))
    young = r[["zlen", "zwei", "zbmi", "zwfl"]].notna().any(axis=1)
    old = r[["zhfa", "zwfa", "zbfa"]].notna().any(axis=1)
    assert not (young & old).any()
    assert young[ages < 60].all() and old[(ages >= 60) & (ages <= 228)].all()


# ---- measurements <= 0 ------------------------------------------------------------------------

def test_measurement_zero_or_negative():
    r = one(age=400, weight=0, lenhei=75, measure="l")
    assert isna(r["zwei"]) and isna(r["zbmi"])
    assert r["zwfl"] == -15.44 and r["fwfl"] == 1  # WHO scores weight 0 for wfl
    assert isna(one(age=400, weight=0, lenhei=75, measure="l", strict_wfl=True)["zwfl"])
    assert isna(one(age=400, weight=-1, lenhei=75, measure="l")["zwfl"])
    r = one(age=400, weight=9, lenhei=0, measure="l")
    assert isna(r["zlen"]) and r["zbmi"] == np.inf and r["fbmi"] == 1
    for field, z in (("headc", "zhc"), ("armc", "zac"), ("triskin", "zts"), ("subskin", "zss")):
        assert isna(one(age=400, **{field: 0})[z])


def test_negative_measurements_5_19_become_missing():
    r = one(age=100, age_unit="months", lenhei=-128, weight=-2)
    assert isna(r["zhfa"]) and isna(r["zwfa"]) and isna(r["zbfa"])


# ---- 730/731 days, 9 months --------------------------------------------------------------------

@pytest.mark.parametrize("age,unit,measure,clenhei", [
    (730, "days", "l", 85), (730, "days", "h", 85.7), (730, "days", None, 85),
    (730.4, "days", "h", 85.7), (730.5, "days", "l", 84.3), (730.5, "days", "h", 85),
    (731, "days", "l", 84.3), (731, "days", None, 85), (23.99, "months", "h", 85.7),
    (24.0, "months", "l", 84.3), (24.0, "months", "h", 85),
])
def test_730_731_day_switch(age, unit, measure, clenhei):
    r = one(age=age, age_unit=unit, weight=12, lenhei=85, measure=measure)
    assert r["clenhei"] == pytest.approx(clenhei)
    assert r["age_days"] == (730 if clenhei == 85.7 or (clenhei == 85 and measure == "l")
                             else 731) or measure is None


def test_wfl_table_chosen_by_age_not_by_measure():
    # 730 days measured standing: length table with clenhei 85.7; 731 days: height table
    assert one(age=730, weight=12, lenhei=85, measure="h")["zwfl"] == 0.34
    assert one(age=731, weight=12, lenhei=85, measure="l")["zwfl"] == 0.52


def test_nine_month_rule():
    r = one(age=8.99, age_unit="months", weight=8, lenhei=70, measure="h")
    assert r["c9mo_flag"] == 1 and isna(r["cmeasure"]) and r["clenhei"] == 70
    r = one(age=9.0, age_unit="months", weight=8, lenhei=70, measure="h")
    assert r["c9mo_flag"] == 0 and r["cmeasure"] == "h" and r["clenhei"] == pytest.approx(70.7)
    assert one(age=8.9, age_unit="months", lenhei=70, measure="l")["c9mo_flag"] == 0


def test_missing_age_uses_measure_then_87_cm_rule_for_wfl():
    assert one(weight=11, lenhei=86.9)["zwfl"] == -1.05
    assert one(weight=11, lenhei=87.0)["zwfl"] == -1.27
    assert one(weight=11, lenhei=86.9, measure="h")["zwfl"] == -1.24
    assert one(weight=11, lenhei=87.0, measure="l")["zwfl"] == -1.08
    r = one(weight=11, lenhei=60, measure="h")
    assert isna(r["zwfl"]) and isna(r["zwei"])


def test_wfl_length_range_and_interpolation():
    assert isna(one(age=300, weight=7, lenhei=44.9, measure="l")["zwfl"])
    assert one(age=300, weight=7, lenhei=45.05, measure="l")["zwfl"] == 14.99
    assert one(age=300, weight=7, lenhei=110.0, measure="l")["zwfl"] == -8.99
    assert isna(one(age=300, weight=7, lenhei=110.04, measure="l")["zwfl"])
    assert one(sex=2, age=1000, weight=12, lenhei=87.123, measure="h")["zwfl"] == 0.07


# ---- negative ages ------------------------------------------------------------------------

def test_negative_age_becomes_missing_with_counted_warning():
    with pytest.warns(GrowthDataWarning, match="2 negative ages set to missing"):
        r = zscores(sex=[1, 1, 2], age=[-3, 400, -0.5], weight=[9, 9, 9], lenhei=[75, 75, 75])
    assert r["age_days"].isna().tolist() == [True, False, True]
    assert isna(r["zwei"].iloc[0]) and not isna(r["zwfl"].iloc[0])  # wfl needs no age
    assert zscore_summary(r).attrs["cleaning"]["negative_age_set_missing"] == 2
    with pytest.raises(InvalidValuesError) as err:
        zscores(sex=[1, 1], age=[-3, 4], negative_age="error")
    assert err.value.rows == {"age": [1]}


# ---- input handling ------------------------------------------------------------------------

def test_non_numeric_values_are_reported_with_all_rows():
    df = pd.DataFrame({"sex": [1, 2, 1, 2], "age": ["100", "abc", "", "NA"],
                       "weight": ["8.5", "9,1", "x", "7"]})
    with pytest.raises(InvalidValuesError) as err:
        zscores(df)
    assert err.value.rows == {"age": [2], "weight": [2, 3]}
    assert ("9,1" in str(err.value)) and ("'x'" in str(err.value))


def test_boolean_values_are_wrong_type():
    with pytest.raises(InvalidValuesError):
        zscores(sex=[1, 2], age=[10, 20], weight=np.array([True, False]))


def test_rows_keep_order_and_index():
    idx = pd.Index(["c", "a", "b"], name="child")
    df = pd.DataFrame({"sex": [2, 1, 1], "age": [100, 400, 1200], "weight": [6, 9, 15]},
                      index=idx)
    r = zscores(df)
    assert r.index.equals(idx)
    singles = [one(sex=s, age=a, weight=w)["zwei"] for s, a, w in zip(df.sex, df.age, df.weight)]
    assert r["zwei"].tolist() == singles
    assert list(r.columns) == list(OUTPUT_COLUMNS)


def test_arrays_dataframe_mapping_and_aliases_agree():
    df = pd.DataFrame({"SEXE": [1, 2], "age_in_months": [80.0, 30.0], "Height": [120.0, 90.0],
                       "WEIGHT": [22.0, 13.0]})
    a = zscores(df, columns={"sex": "SEXE"})
    b = zscores(sex=[1, 2], age=[80.0, 30.0], age_unit="months", lenhei=[120.0, 90.0],
                weight=[22.0, 13.0])
    pd.testing.assert_frame_equal(a, b, check_index_type=False)
    assert a.attrs["capra.growth"]["columns"] == {"sex": "SEXE", "age": "age_in_months",
                                                   "lenhei": "Height", "weight": "WEIGHT"}
    c = zscores(df, sex="SEXE")  # a string keyword names a column
    pd.testing.assert_frame_equal(a, c)


def test_scalars_are_repeated_and_lengths_checked():
    r = zscores(sex="f", age=[100, 200], weight=7, oedema="n")
    assert len(r) == 2 and r["zwei"].notna().all()
    with pytest.raises(DataError):
        zscores(sex=[1, 2], age=[1, 2, 3])


def test_missing_sex_column_and_unknown_mapping():
    with pytest.raises(DataError, match="no column for sex"):
        zscores(pd.DataFrame({"age": [1]}))
    with pytest.raises(DataError, match="not in the data"):
        zscores(pd.DataFrame({"sex": [1]}), columns={"age": "AGE"})
    with pytest.raises(DataError, match="unknown field"):
        zscores(pd.DataFrame({"sex": [1]}), columns={"agee": "sex"})


def test_per_row_age_unit():
    r = zscores(sex=[1, 1], age=[24.0, 731], age_unit=["months", "days"], weight=[12, 12])
    assert r["age_days"].tolist() == [731, 731]
    with pytest.raises(InvalidValuesError):
        zscores(sex=[1], age=[10], age_unit=["years"])


# ---- options --------------------------------------------------------------------------------

def test_plausibility_ranges_option():
    kw = dict(sex=[1, 1, 1], age=[400, 400, 400], weight=[0.3, 9, 45], lenhei=[75, 150, 75])
    assert "cweight" not in zscores(**kw).columns
    r = zscores(**kw, plausibility=True)
    assert r["cweight"].isna().tolist() == [True, False, True]
    assert r["clenhei"].isna().tolist() == [False, True, False]
    cleaning = zscore_summary(r).attrs["cleaning"]
    assert cleaning["implausible_weight_set_missing"] == 2
    assert cleaning["implausible_lenhei_set_missing"] == 1


def test_smart_flags_relative_to_observed_mean():
    zs = [-2.0] * 9 + [1.5]  # observed mean -1.65: 1.5 is 3.15 away, -2 is 0.35 away
    w = [float(measurement_at_z("wfa", 1, 400, z)) for z in zs]
    who = zscores(sex=[1] * 10, age=[400] * 10, weight=w)
    smart = zscores(sex=[1] * 10, age=[400] * 10, weight=w, flags="smart")
    assert who["fwei"].tolist() == [0] * 10
    assert smart["fwei"].tolist() == [0] * 9 + [1]


def test_keep_inputs_puts_inputs_first_and_renames_clashes():
    df = pd.DataFrame({"sex": [1], "age": [400], "weight": [9], "zwei": ["old"]})
    r = zscores(df, keep_inputs=True)
    assert list(r.columns[:4]) == ["sex", "age", "weight", "zwei_input"]
    assert r["zwei"].iloc[0] == one(age=400, weight=9)["zwei"]


def test_invalid_option_values():
    with pytest.raises(ArgumentError):
        zscores(sex=[1], rules="who2006")
    with pytest.raises(ArgumentError):
        zscores(sex=[1], flags="sd")
    with pytest.raises(ArgumentError):
        zscores(sex=[1], age_unit="years")


# ---- summary --------------------------------------------------------------------------------

def test_summary_counts_add_up():
    r = zscores(sex=[1, 2, None, 1, 1, 1], age=[400, 500, 400, None, 400, 2000],
                weight=[9, None, 9, 9, 30, 9], oedema=["n", "n", "n", "n", "n", "y"],
                lenhei=[75, 75, 75, 75, 75, 75])
    s = zscore_summary(r)
    zwei = s.loc["zwei"]
    assert zwei["rows"] == 6 and zwei["in_age_range"] == 5  # 2000 days is out of range
    assert zwei["scored"] == 2 and zwei["flagged"] == 1  # 30 kg at 400 d
    reasons = [c for c in s.columns if c.startswith("missing_")]
    assert (s[reasons].sum(axis=1) == s["missing"]).all()
    assert zwei["missing_sex_missing"] == 1 and zwei["missing_age_missing"] == 1
    assert zwei["missing_measurement_missing"] == 1
    assert s.attrs["cleaning"]["oedema_blank_as_no"] == 0
    assert set(s.index) == {"zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss",
                            "zhfa", "zwfa", "zbfa"}


def test_summary_without_attrs_still_counts():
    r = zscores(sex=[1, 1], age=[400, 400], weight=[9, 30])
    r.attrs.clear()
    s = zscore_summary(r)
    assert s.loc["zwei", "scored"] == 2 and s.loc["zwei", "flagged"] == 1


def test_no_warnings_on_ordinary_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zscores(sex=[1, 2, None], age=[0, 400, None], weight=[3, np.nan, 9],
                lenhei=[50, 0, np.nan])
