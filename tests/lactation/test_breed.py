"""Tests of capra.lactation.breed: a breed's curves by parity class, the lookup table."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from scipy import integrate

from capra.lactation import (
    LactationCurves,
    parity_class,
    wood,
    wood_extended,
    wood_extended_total,
    wood_total,
)


@pytest.fixture(scope="module")
def curves(saanen):
    return LactationCurves.from_breed(saanen)


def _params(saanen, cls):
    return saanen.wood_a[cls], saanen.wood_b[cls], saanen.wood_c[cls]


def _rebound(saanen):
    return saanen.rebound_day, saanen.rebound_rate_per_day, saanen.rebound_max_ratio


def test_parity_class():
    np.testing.assert_array_equal(parity_class([-1, 0, 1, 2, 3, 4, 9]),
                                  [-1, -1, 0, 1, 2, 2, 2])


def test_daily_kg_equals_direct_formulas(curves, saanen):
    dim = np.arange(-10, 1501)
    r, rate, cap = _rebound(saanen)
    for parity, cls in ((1, 0), (2, 1), (3, 2), (4, 2), (11, 2)):
        a, b, c = _params(saanen, cls)
        np.testing.assert_allclose(curves.daily_kg(dim, parity),
                                   wood_extended(dim, a, b, c, r, rate, cap), rtol=1e-14)
        np.testing.assert_allclose(curves.daily_kg(dim, parity, extended=False),
                                   wood(dim, a, b, c), rtol=1e-14)


def test_daily_kg_per_animal_vectorized(curves, saanen):
    rng = np.random.default_rng(20240601)
    n = 5000
    dim = rng.integers(-50, 1700, n)
    parity = rng.integers(0, 7, n)
    effect = rng.lognormal(0.0, saanen.animal_effect_cv, n)
    got = curves.daily_kg(dim, parity, effect)
    cls = np.clip(parity, 1, 3) - 1
    a = np.array(saanen.wood_a)[cls]
    b = np.array(saanen.wood_b)[cls]
    c = np.array(saanen.wood_c)[cls]
    expected = wood_extended(dim, a, b, c, *_rebound(saanen)) * effect
    expected[parity == 0] = 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-14)
    assert np.all(got[(dim < 0) | (parity == 0)] == 0.0)
    assert got.dtype == np.float64 and got.shape == (n,)


def test_daily_kg_beyond_table_and_fractional_days(saanen):
    small = LactationCurves.from_breed(saanen, max_dim_days=100)
    a, b, c = _params(saanen, 1)
    r, rate, cap = _rebound(saanen)
    dim = np.array([50, 100, 101, 400, 900])
    np.testing.assert_allclose(small.daily_kg(dim, 2),
                               wood_extended(dim, a, b, c, r, rate, cap), rtol=1e-14)
    np.testing.assert_allclose(small.daily_kg(dim, 2, extended=False), wood(dim, a, b, c),
                               rtol=1e-14)
    assert small.daily_kg(dim, 2)[2] > 0.0
    frac = np.array([0.5, 49.25, 330.5, 1600.7])
    np.testing.assert_allclose(small.daily_kg(frac, 2),
                               wood_extended(frac, a, b, c, r, rate, cap), rtol=1e-14)
    # integer days in a float array give the table's values
    full = LactationCurves.from_breed(saanen)
    np.testing.assert_allclose(full.daily_kg(dim.astype(float), 3), full.daily_kg(dim, 3),
                               rtol=1e-14)


def test_daily_kg_broadcasts(curves):
    dim = np.arange(0, 400, 50)
    out = curves.daily_kg(dim[:, None], np.array([0, 1, 2, 3]))
    assert out.shape == (dim.size, 4)
    np.testing.assert_array_equal(out[:, 0], 0.0)
    np.testing.assert_array_equal(out[:, 3], curves.daily_kg(dim, 3))


def test_table_is_read_only(curves):
    table = curves.table()
    assert table.shape == (3, curves.max_dim_days + 1)
    with pytest.raises(ValueError):
        table[0, 0] = 1.0


def test_total_kg(curves, saanen):
    r, rate, cap = _rebound(saanen)
    np.testing.assert_allclose(curves.total_kg([1, 2, 3], 280.0, extended=False),
                               [wood_total(*_params(saanen, i), 280.0) for i in range(3)])
    assert curves.total_kg(5, 730.0) == pytest.approx(
        wood_extended_total(*_params(saanen, 2), r, rate, cap, 730.0))
    assert curves.total_kg(0, 300.0) == 0.0
    # the closed-form total agrees with the sum of table values at mid-day
    days = np.arange(730) + 0.5
    assert curves.daily_kg(days, 3).sum() == pytest.approx(curves.total_kg(3, 730.0), rel=5e-4)


def test_plain_constructor_and_validation():
    scale = np.array([1.0, 1.5, 2.0])
    lc = LactationCurves(wood_a=scale, wood_b=0.2, wood_c=0.004,
                         rebound_day=300, rebound_rate_per_day=0.001, rebound_max_ratio=1.2)
    assert lc.daily_kg(np.array([10]), 1)[0] == pytest.approx(wood(10, 1.0, 0.2, 0.004))
    assert scale.flags.writeable  # the caller's array is copied, not frozen
    assert pickle.loads(pickle.dumps(lc)).daily_kg(np.array([10]), 3)[0] == pytest.approx(
        lc.daily_kg(np.array([10]), 3)[0])
    with pytest.raises(ValueError, match="wood_c"):
        LactationCurves([1, 1, 1], 0.2, [0.004, 0.0, 0.004], 300, 0.001, 1.2)
    with pytest.raises(ValueError, match="wood_a.*3 values"):
        LactationCurves([1, 1], 0.2, 0.004, 300, 0.001, 1.2)
    with pytest.raises(ValueError, match="rebound_max_ratio"):
        LactationCurves([1, 1, 1], 0.2, 0.004, 300, 0.001, 0.9)


@pytest.mark.parametrize("b", [-0.9, -0.3, -1e-6])
def test_kidding_day_of_a_curve_without_a_rise_is_its_first_day_mean(b):
    """b < 0 makes the curve infinite at t = 0 (the run used to turn that into NaN milk):
    the table's day 0 is the curve's mean over the first day, by quadrature here."""
    a, c = 2.0, 0.004
    curves = LactationCurves(a, b, c, 330, 0.001, 1.3, max_dim_days=50)
    expected = integrate.quad(lambda t: wood(t, a, b, c), 0.0, 1.0)[0]
    for extended in (True, False):
        day0 = curves.daily_kg(np.array([0, 1, 2]), 1, extended=extended)
        assert np.isfinite(day0).all()
        assert day0[0] == pytest.approx(expected, rel=1e-7)
        assert day0[1] == pytest.approx(float(wood(1.0, a, b, c)), rel=1e-14)
    rising = LactationCurves(a, 0.2, c, 330, 0.001, 1.3, max_dim_days=50)
    assert rising.daily_kg(np.array([0]), 1)[0] == 0.0          # b > 0: unchanged, 0 at t = 0
