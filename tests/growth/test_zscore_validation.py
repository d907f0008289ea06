"""Capra's z-scores against the outputs of WHO software, one test per validation file.

The validation files live in the project's shared data folder beside the repository
(``<repo>/../shared/data/who/validation``). Every z-score must equal WHO's after rounding to
2 decimals (|Δ| ≤ 0.01 is tolerated only for the rare rounding ties) and every flag must be
equal. The cleaned inputs (clenhei, cmeasure, c9mo_flag, cbmi, csex, coedema) are compared too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from capra.growth.zscore import zscores

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
VALIDATION = (SHARED / "data" / "who" / "validation").resolve()

_IGROWUP_COLUMNS = {"sex": "GENDER", "age": "agemons", "weight": "WEIGHT", "lenhei": "HEIGHT",
                    "measure": "measure", "oedema": "oedema", "headc": "HEAD", "armc": "MUAC",
                    "triskin": "TRI", "subskin": "SUB"}
_WHO2007_COLUMNS = {"sex": "sex", "age": "agemons", "lenhei": "height", "weight": "weight",
                    "oedema": "oedema"}

# expected file -> (input file, key column, zscores keyword arguments)
CASES: dict[str, tuple[str, str, dict]] = {
    "anthro_r_survey_z_expected.csv": (
        "who_igrowup_survey_input.csv", "id",
        dict(columns=_IGROWUP_COLUMNS, age_unit="months")),
    "who_igrowup_survey_z_expected.csv": (
        "who_igrowup_survey_input.csv", "id",
        dict(columns=_IGROWUP_COLUMNS, age_unit="months", rules="macro")),
    "synthetic_0_5_edge_expected_anthro.csv": (
        "synthetic_0_5_edge_input.csv", "case_id", dict(columns={"age_unit": "age_unit"})),
    "synthetic_0_5_random_expected_anthro.csv": (
        "synthetic_0_5_random_input.csv", "id", dict(columns={"age_unit": "age_unit"})),
    "synthetic_5_19_edge_expected_anthroplus.csv": (
        "synthetic_5_19_edge_input.csv", "case_id", dict()),
    "anthroplus_r_survey_z_expected.csv": (
        "who2007_survey_input.csv", "id", dict(columns=_WHO2007_COLUMNS, age_unit="months")),
    "who2007_macro_survey_z_expected.csv": (
        "who2007_survey_input.csv", "id",
        dict(columns=_WHO2007_COLUMNS, age_unit="months", rules="macro")),
}

Z_COLUMNS = ("zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss", "zhfa", "zwfa", "zbfa")


def _require_folder() -> Path:
    if not VALIDATION.is_dir():
        pytest.fail(f"validation folder not found: {VALIDATION} (the shared data folder must "
                    "be beside the repository)")
    return VALIDATION


def _is_zscore_output(path: Path) -> bool:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    names = {h.strip('"') for h in header.split(",")}
    return bool(names & set(Z_COLUMNS))


def test_every_zscore_validation_file_is_covered():
    folder = _require_folder()
    outputs = {p.name for p in folder.glob("*.csv") if _is_zscore_output(p)}
    assert outputs, "no z-score validation files found"
    assert outputs == set(CASES), f"not covered: {sorted(outputs - set(CASES))}"


def _compare(result: pd.DataFrame, expected: pd.DataFrame, key: str, name: str) -> None:
    assert len(result) == len(expected), "row count"
    problems: list[str] = []
    ties = 0
    zcols = [c for c in Z_COLUMNS if c in expected.columns]
    assert zcols, f"{name}: no z-score columns"
    for z in zcols:
        got = result[z].to_numpy(dtype=float)
        want = expected[z].to_numpy(dtype=float)
        same = (np.isnan(got) & np.isnan(want)) | (got == want)
        with np.errstate(invalid="ignore"):
            near = np.abs(got - want) <= 0.01 + 1e-9
        ties += int(np.count_nonzero(~same & near))
        for i in np.flatnonzero(~same & ~near):
            problems.append(f"{z} {key}={expected[key].iat[i]}: got {got[i]}, WHO {want[i]}")
        f = "f" + z[1:]
        got_f = pd.to_numeric(result[f]).to_numpy(dtype=float, na_value=np.nan)
        want_f = expected[f].to_numpy(dtype=float)
        same_f = (np.isnan(got_f) & np.isnan(want_f)) | (got_f == want_f)
        for i in np.flatnonzero(~same_f):
            problems.append(f"{f} {key}={expected[key].iat[i]}: got {got_f[i]}, WHO {want_f[i]}")
    n_values = len(expected) * len(zcols)
    assert not problems, f"{name}: {len(problems)} differences:\n" + "\n".join(problems[:40])
    assert ties <= max(1, n_values // 1000), f"{name}: {ties} values differ by 0.01"

    for col in ("clenhei", "cbmi"):
        if col in expected.columns:
            got = result[col].to_numpy(dtype=float)
            want = expected[col].to_numpy(dtype=float)
            ok = (np.isnan(got) & np.isnan(want)) | np.isclose(got, want, rtol=1e-12, atol=0) \
                | (got == want)
            assert ok.all(), f"{name}: {col} differs at {expected[key][~ok].tolist()[:10]}"
    for col in ("cmeasure", "coedema"):
        if col in expected.columns:
            got = result[col].astype(object).where(result[col].notna(), None).tolist()
            want = expected[col].astype(object).where(expected[col].notna(), None).tolist()
            assert got == want, f"{name}: {col} differs"
    for col in ("c9mo_flag", "csex"):
        if col in expected.columns:
            got = pd.to_numeric(result[col]).to_numpy(dtype=float, na_value=np.nan)
            want = expected[col].to_numpy(dtype=float)
            ok = (np.isnan(got) & np.isnan(want)) | (got == want)
            assert ok.all(), f"{name}: {col} differs at {expected[key][~ok].tolist()[:10]}"


@pytest.mark.parametrize("expected_file", sorted(CASES))
def test_validation_file(expected_file):
    folder = _require_folder()
    input_file, key, kwargs = CASES[expected_file]
    data = pd.read_csv(folder / input_file)
    expected = pd.read_csv(folder / expected_file)
    assert data[key].tolist() == expected[key].tolist(), "input and expected rows differ"
    result = zscores(data, **kwargs)
    assert result.index.equals(data.index)
    _compare(result, expected, key, expected_file)


def test_current_anthro_differs_from_old_macro_only_at_60_months_and_over():
    """README §2a: anthro gives NA to the 4 children aged ≥ 60 months the macro scored."""
    folder = _require_folder()
    data = pd.read_csv(folder / "who_igrowup_survey_input.csv")
    macro = pd.read_csv(folder / "who_igrowup_survey_z_expected.csv")
    result = zscores(data, columns=_IGROWUP_COLUMNS, age_unit="months")
    differs = np.zeros(len(data), bool)
    for z in ("zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss"):
        got, want = result[z].to_numpy(float), macro[z].to_numpy(float)
        differs |= ~((np.isnan(got) & np.isnan(want)) | (got == want))
    assert differs.sum() == 4
    assert (data.loc[differs, "agemons"] >= 60).all()


def test_current_anthroplus_differs_from_old_macro_only_at_age_boundaries():
    """README §2b: anthroplus uses 60 ≤ age ≤ 228 (wfa ≤ 120); the macro 61 ≤ age < 229."""
    folder = _require_folder()
    data = pd.read_csv(folder / "who2007_survey_input.csv")
    macro = pd.read_csv(folder / "who2007_macro_survey_z_expected.csv")
    result = zscores(data, columns=_WHO2007_COLUMNS, age_unit="months")
    differs = np.zeros(len(data), bool)
    for z in ("zhfa", "zwfa", "zbfa"):
        got, want = result[z].to_numpy(float), macro[z].to_numpy(float)
        differs |= ~((np.isnan(got) & np.isnan(want)) | (got == want))
    assert differs.sum() == 8
    age = data.loc[differs, "agemons"]
    assert (((age >= 60) & (age < 61)) | ((age >= 120) & (age < 121)) | (age >= 228)).all()
