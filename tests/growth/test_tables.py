"""The packaged WHO LMS tables: content, checksums, attribution and look-up rules."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from capra.growth import tables as T

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "capra" / "data" / "who"
SHARED = (REPO / ".." / "shared" / "data" / "who").resolve()

ROWS = {"wfa": 1857, "lhfa": 1857, "bfa": 1857, "hcfa": 1857, "acfa": 1766, "tsfa": 1766,
        "ssfa": 1766, "wfl": 651, "wfh": 551, "hfa2007": 170, "bfa2007": 170, "wfa2007": 62}


def _script():
    spec = importlib.util.spec_from_file_location("update_who_tables",
                                                  REPO / "scripts" / "update_who_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", T.TABLES)
def test_table_shape_and_keys(name):
    t = T.table(name)
    assert t.n == ROWS[name]
    assert t.l.shape == t.m.shape == t.s.shape == (2, t.n)
    assert np.all(t.m > 0) and np.all(t.s > 0) and not np.isnan(t.l).any()
    assert not t.l.flags.writeable
    assert T.table(name) is t  # cached


def test_key_ranges_and_methods():
    assert (T.table("acfa").x0, T.table("acfa").x_max) == (91, 1856)
    assert (T.table("wfl").x0, T.table("wfl").x_max) == (45.0, 110.0)
    assert (T.table("wfh").x0, T.table("wfh").x_max) == (65.0, 120.0)
    assert (T.table("wfa2007").x0, T.table("wfa2007").x_max) == (60, 121)
    assert T.table("lhfa").l_is_one and T.table("hcfa").l_is_one
    assert {n for n in T.TABLES if not T.table(n).restricted} == {"lhfa", "hcfa", "hfa2007"}


def test_unknown_table():
    with pytest.raises(KeyError):
        T.table("wfx")


def test_known_rows():
    l, m, s = T.lms("hfa2007", 1, 60)
    assert (float(l), float(m), float(s)) == (1.0, 109.7265, 0.04156)
    l, m, s = T.lms("wfl", 1, 45.0)
    assert (float(l), float(m), float(s)) == (-0.3521, 2.441, 0.09182)
    # month 229 repeats month 228 (README)
    assert np.array_equal(np.array(T.lms("bfa2007", [1, 2], 229)),
                          np.array(T.lms("bfa2007", [1, 2], 228)))


def test_day_lookup_rounds_half_up_and_has_no_interpolation():
    assert np.array_equal(np.array(T.lms("wfa", 1, 100.5)), np.array(T.lms("wfa", 1, 101)))
    assert np.array_equal(np.array(T.lms("wfa", 1, 100.49)), np.array(T.lms("wfa", 1, 100)))
    assert np.isnan(T.lms("acfa", 1, 90)[1]) and not np.isnan(T.lms("acfa", 1, 91)[1])
    assert np.isnan(T.lms("wfa", 1, 1857)[1]) and np.isnan(T.lms("wfa", 3, 100)[1])


def test_cm_interpolation():
    lo, up = (np.array(T.lms("wfl", 1, x)) for x in (80.0, 80.1))
    mid = np.array(T.lms("wfl", 1, 80.05))
    assert np.allclose(mid, (lo + up) / 2, rtol=1e-12)
    assert np.array_equal(np.array(T.lms("wfl", 1, 110.0)), np.array(T.lms("wfl", 1, 110.0)))
    assert not np.isnan(T.lms("wfl", 1, 110.0)[1]) and np.isnan(T.lms("wfl", 1, 110.05)[1])
    assert np.isnan(T.lms("wfl", 1, 44.99)[1])


def test_cm_upper_row_follows_who_floating_point():
    """103.1 − 0.7 = 102.39999999999999: WHO's trunc(x·10 + 1) gives 1025, so the 'upper' row
    is 102.5 cm (two rows up) and d ≈ 1 — this reproduces WHO's published value."""
    x = 103.1 - 0.7
    m = float(T.lms("wfh", 1, x)[1])
    assert m == pytest.approx(float(T.lms("wfh", 1, 102.5)[1]), abs=1e-9)


def test_month_interpolation():
    lo, up = (np.array(T.lms("hfa2007", 2, a)) for a in (100, 101))
    assert np.allclose(np.array(T.lms("hfa2007", 2, 100.25)), lo + 0.25 * (up - lo))
    assert np.isnan(T.lms("hfa2007", 1, 59.99)[1])


def test_package_checksums_and_script_check():
    mod = _script()
    sums = mod.read_sums(PACKAGE / "SHA256SUMS")
    assert set(sums) == set(mod.TABLES) == {T.table(n).file for n in T.TABLES}
    for name, digest in sums.items():
        assert hashlib.sha256((PACKAGE / name).read_bytes()).hexdigest() == digest
    assert mod.check(SHARED, PACKAGE) == 0


def test_script_check_detects_a_changed_table(tmp_path):
    mod = _script()
    pkg = tmp_path / "who"
    pkg.mkdir()
    for name in (*mod.TABLES, "SHA256SUMS"):
        (pkg / name).write_bytes((PACKAGE / name).read_bytes())
    assert mod.check(tmp_path / "absent", pkg) == 0
    text = (pkg / "gs_wfa_day.csv").read_text().replace("0.09", "0.08", 1)
    (pkg / "gs_wfa_day.csv").write_text(text)
    assert mod.check(tmp_path / "absent", pkg) == 1
    assert mod.main(["--check", "--shared", str(tmp_path / "absent"), "--package", str(pkg)]) == 1


def test_package_copy_equals_shared_copy():
    if not SHARED.is_dir():
        pytest.fail(f"shared data folder not found: {SHARED}")
    for name in _script().TABLES:
        assert (PACKAGE / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_attribution_readme():
    text = (PACKAGE / "README.md").read_text(encoding="utf-8")
    for phrase in ("WHO Child Growth Standards (2006)", "WHO Reference 2007",
                   "WorldHealthOrganization/anthro", "WorldHealthOrganization/anthroplus",
                   "mvogel78/childsds", "GPL"):
        assert phrase in text
    assert len(T.tables_digest()) == 64
