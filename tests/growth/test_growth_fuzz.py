"""Generated children's files through ``capra growth zscores`` and ``prevalence``: a located
error (file, row, column or option) or a result, never a traceback; an infinite z-score only
where WHO gives one (flagged), and the output of ``zscores`` always goes on into
``prevalence``.

Column names are drawn from the names users give (WHO's, the usual ones with units, other
cases, unknown ones) and values from what files hold (codes, words, blanks, text, negative,
huge and infinite numbers, markup). Bounded (``max_examples``); derandomised on CI.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from capra.growth.cli import app

runner = CliRunner()
Z = ["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss", "zhfa", "zwfa", "zbfa"]

#: Names users give each column: mostly names Capra knows, sometimes one it cannot know.
NAMES = {
    "sex": (["sex", "SEX", "gender", "Gender"], ["kind", "Sex "]),
    "weight": (["weight", "weight_kg", "WEIGHT"], ["wt"]),
    "lenhei": (["lenhei", "height_cm", "length_cm", "height"], ["len"]),
    "oedema": (["oedema", "edema", "OEDEMA"], ["swelling"]),
    "cluster": (["cluster", "psu"], ["cluster"]),
}
AGE_NAMES = {"days": ["age", "age_days", "AGE"], "months": ["age", "age_months", "agemons"]}
GOOD = {
    "sex": st.sampled_from([1, 2, "1", "2", "m", "f", "M", "F", "male", "female", "Female"]),
    "weight": st.floats(1.5, 30, allow_nan=False).map(lambda x: round(x, 1)),
    "lenhei": st.floats(45, 125, allow_nan=False).map(lambda x: round(x, 1)),
    "oedema": st.sampled_from(["n", "y", "1", "2", ""]),
    "cluster": st.sampled_from(["north", "south", 1, 2, 3, ""]),
}
BAD = st.sampled_from(["", " ", "x", "[/b]", "NaN", "inf", "-inf", "-5", "1e300", "0",
                       "abc", "3,5", "=1+1", "9" * 30, "-0"])


@st.composite
def children_files(draw):
    """(table, {field: column}, unit of the ages): a children's file, sometimes damaged."""
    unit = draw(st.sampled_from(["days", "months"]))
    fields = [f for f in ("sex", "age", "weight", "lenhei") if draw(st.integers(0, 9)) > 0]
    fields += [f for f in ("oedema", "cluster") if draw(st.booleans())]
    columns = {}
    for f in fields:
        if f == "age":
            columns[f] = draw(st.sampled_from(AGE_NAMES[unit]))
        else:
            known, unknown = NAMES[f]
            columns[f] = draw(st.sampled_from(known * 4 + unknown))
    n = draw(st.integers(1, 12))
    top = 1826.0 if unit == "days" else 59.99
    ages = st.floats(0, top, allow_nan=False).map(lambda x: round(x, 2))
    damage = draw(st.booleans())
    data = {}
    for f in fields:
        values = [draw(ages if f == "age" else GOOD[f]) for _ in range(n)]
        for _ in range(draw(st.integers(0, 2)) if damage else 0):
            values[draw(st.integers(0, n - 1))] = draw(BAD)
        data[columns[f]] = values
    return pd.DataFrame(data), columns, unit


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(file=children_files(), state_unit=st.booleans(),
       oedema_codes=st.sampled_from([None, "y/n", "1/2", "who"]))
def test_children_files_give_a_located_error_or_scores(tmp_path_factory, file, state_unit,
                                                       oedema_codes):
    data, columns, unit = file
    age_unit = unit if state_unit else None
    folder = tmp_path_factory.mktemp("growth")
    src = folder / "kids.csv"
    data.to_csv(src, index=False)
    options = (["--age-unit", age_unit] if age_unit else []) + (
        ["--oedema-codes", oedema_codes] if oedema_codes else [])
    out = folder / "z.csv"
    res = runner.invoke(app, ["zscores", str(src), "-o", str(out), *options])
    assert isinstance(res.exception, (SystemExit, type(None))), res.exception
    if res.exit_code != 0:
        assert res.exit_code in (2, 3), res.output
        assert res.stderr.startswith("error:") and ("kids.csv" in res.stderr
                                                     or "--" in res.stderr), res.stderr
        assert not out.exists()
        event(f"zscores: error {res.exit_code}")
        return
    event("zscores: scored")
    scored = pd.read_csv(out)
    assert len(scored) == len(data)
    # an infinite z-score only as WHO gives it (a length of 0 makes BMI infinite), flagged
    z = scored[Z].to_numpy(dtype=float)
    flags = scored[["f" + c[1:] for c in Z]].to_numpy(dtype=float)
    assert (flags[np.isinf(z)] == 1).all()
    # the output goes on into the prevalence (or says that no child is in its scope)
    res = runner.invoke(app, ["prevalence", str(out), "--json"])
    assert isinstance(res.exception, (SystemExit, type(None))), res.exception
    assert res.exit_code == 0 or "no rows left in scope" in res.stderr, res.output
    event(f"prevalence of the scores: exit {res.exit_code}")


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(file=children_files(), state_unit=st.booleans(),
       design=st.sampled_from([[], ["--cluster", "cluster"], ["--strata", "cluster"],
                               ["--weights", "weight"]]))
def test_children_files_give_a_located_error_or_a_prevalence(tmp_path_factory, file,
                                                             state_unit, design):
    data, columns, unit = file
    age_unit = unit if state_unit else None
    folder = tmp_path_factory.mktemp("prev")
    src = folder / "kids.csv"
    data.to_csv(src, index=False)
    design = [design[0], columns.get(design[1], design[1])] if design else []
    options = (["--age-unit", age_unit] if age_unit else []) + design
    res = runner.invoke(app, ["prevalence", str(src), *options, "-o", str(folder / "p.xlsx")])
    assert isinstance(res.exception, (SystemExit, type(None))), res.exception
    if res.exit_code != 0:
        assert res.exit_code in (2, 3), res.output
        assert res.stderr.startswith("error:"), res.stderr
        event(f"prevalence: error {res.exit_code}")
        return
    event("prevalence: table")
    table = pd.read_excel(folder / "p.xlsx")
    assert table.loc[0, "Group"] == "All"
