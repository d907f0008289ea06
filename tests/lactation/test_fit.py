"""Tests of capra.lactation.fit: one curve fitted to test days."""

from __future__ import annotations

import numpy as np
import pytest

from capra.errors import DataError
from capra.lactation import (
    GOAT_BOUNDS,
    LactationFit,
    fit_lactation,
    wilmink,
    wilmink_total,
    wood,
    wood_extended,
    wood_extended_total,
    wood_total,
)


def _params(saanen, cls):
    return saanen.wood_a[cls], saanen.wood_b[cls], saanen.wood_c[cls]


def _rebound(saanen):
    return saanen.rebound_day, saanen.rebound_rate_per_day, saanen.rebound_max_ratio


MONTHLY_TEST_DAYS = 15.0 + 30.0 * np.arange(10)


def _noisy_wood(seed, a, b, c, cv=0.05):
    rng = np.random.default_rng(seed)
    return wood(MONTHLY_TEST_DAYS, a, b, c) * (1.0 + cv * rng.standard_normal(10))


def test_fit_wood_interval_coverage():
    true = {"a": 1.826, "b": 0.189, "c": 0.0045}   # Saanen placeholder, parity 2
    hits = dict.fromkeys(true, 0)
    for seed in range(50):
        fit = fit_lactation(MONTHLY_TEST_DAYS, _noisy_wood(seed, *true.values()))
        assert fit.success and fit.n == 10 and not fit.at_bound
        for name, value in true.items():
            low, high = fit.ci95[name]
            hits[name] += low <= value <= high
    for name in true:
        assert hits[name] / 50 >= 0.88, (name, hits[name])


def test_fit_wood_recovers_noise_free_parameters():
    fit = fit_lactation(MONTHLY_TEST_DAYS, wood(MONTHLY_TEST_DAYS, 2.223, 0.175, 0.005))
    assert fit.params == pytest.approx({"a": 2.223, "b": 0.175, "c": 0.005}, rel=1e-6)
    assert fit.rmse < 1e-8
    assert isinstance(fit, LactationFit)


def test_fit_primiparous_low_yield():
    a, b, c = 0.8, 0.17, 0.0035
    assert a < 1.0 and GOAT_BOUNDS["wood"]["a"][0] < a
    fit = fit_lactation(MONTHLY_TEST_DAYS, _noisy_wood(7, a, b, c, cv=0.03))
    assert fit.success
    assert fit.at_bound == ()
    assert fit.params["a"] == pytest.approx(a, rel=0.15)
    for name, value in zip("abc", (a, b, c)):
        low, high = fit.ci95[name]
        assert low <= value <= high
    assert fit.total_kg(280.0) == pytest.approx(wood_total(a, b, c, 280.0), rel=0.05)
    np.testing.assert_allclose(fit.predict(MONTHLY_TEST_DAYS),
                               wood(MONTHLY_TEST_DAYS, a, b, c), rtol=0.08)


def test_fit_wilmink_is_exact_on_its_own_curve():
    t = MONTHLY_TEST_DAYS
    fit = fit_lactation(t, wilmink(t, 3.5, -1.4, -0.0073), model="wilmink")
    assert fit.params == pytest.approx({"a": 3.5, "b": -1.4, "c": -0.0073}, rel=1e-6)
    assert fit.k == 0.05
    assert fit.total_kg(305.0) == pytest.approx(wilmink_total(3.5, -1.4, -0.0073, 305.0))


def test_fit_wood_extended(saanen):
    a, b, c = _params(saanen, 2)
    r, rate, cap = _rebound(saanen)
    t = np.arange(15.0, 730.0, 30.0)
    rng = np.random.default_rng(3)
    y = wood_extended(t, a, b, c, r, rate, cap) * (1.0 + 0.02 * rng.standard_normal(t.size))
    fit = fit_lactation(t, y, model="wood_extended")
    assert fit.success
    assert fit.params["rebound_day"] == pytest.approx(r, abs=30.0)
    assert fit.params["rebound_max_ratio"] == pytest.approx(cap, abs=0.1)
    assert fit.total_kg(730.0) == pytest.approx(
        wood_extended_total(a, b, c, r, rate, cap, 730.0), rel=0.03)


def test_fit_extended_cap_undetermined_without_late_records(saanen):
    # Records stop before the rise reaches its cap (day 630): the cap has no standard error.
    a, b, c = _params(saanen, 2)
    r, rate, cap = _rebound(saanen)
    t = np.arange(15.0, 500.0, 20.0)
    fit = fit_lactation(t, wood_extended(t, a, b, c, r, rate, cap), model="wood_extended")
    assert fit.success
    assert fit.params["rebound_day"] == pytest.approx(r, rel=1e-6)
    assert fit.params["rebound_rate_per_day"] == pytest.approx(rate, rel=1e-6)
    assert np.isnan(fit.stderr["rebound_max_ratio"])
    assert np.all(np.isnan(fit.ci95["rebound_max_ratio"]))
    assert np.isfinite(fit.stderr["rebound_day"])
    assert "not determined by the records: rebound_max_ratio" in fit.message


def test_fit_custom_bounds_are_respected():
    fit = fit_lactation(MONTHLY_TEST_DAYS, _noisy_wood(1, 1.826, 0.189, 0.0045),
                        bounds={"b": (0.0, 0.15)})
    assert fit.params["b"] == pytest.approx(0.15)
    assert fit.at_bound == ("b",)
    assert "at a bound" in fit.message


@pytest.mark.parametrize("dim, milk, match", [
    ([15, 45, 75, 105], [2.0, 2.5, 2.4], "dim_days has 4 values but milk_kg has 3"),
    ([15, 45, 75, 105, 135], [2.0, 2.5, -2.4, 2.2, 2.0], "'milk_kg'.*>= 0"),
    ([15, 45, -75, 105, 135], [2.0, 2.5, 2.4, 2.2, 2.0], "'dim_days'.*>= 0"),
    ([15, 45, np.nan, 105, 135], [2.0, 2.5, 2.4, 2.2, 2.0], "'dim_days'.*finite"),
    ([15, 45, 75, 105, 135], [2.0, np.inf, 2.4, 2.2, 2.0], "'milk_kg'.*finite"),
    ([15, 45, 75], [2.0, 2.5, 2.4], "'dim_days'.*at least 4 distinct"),
    ([15, 15, 45, 45, 75], [2.0, 2.1, 2.5, 2.4, 2.4], "at least 4 distinct.*got 3"),
    ([[15, 45], [75, 105]], [2.0, 2.5, 2.4, 2.2], "'dim_days'.*1-D"),
    (["a", "b", "c", "d"], [2.0, 2.5, 2.4, 2.2], "'dim_days'.*numbers"),
    ([0, 45, 75, 105, 135], [0.0, 2.5, 2.4, 2.2, 2.0], "'dim_days'.*dim_days > 0"),
])
def test_fit_bad_input_raises_data_error(dim, milk, match):
    with pytest.raises(DataError, match=match):
        fit_lactation(dim, milk)


def test_fit_too_few_points_for_extended_model():
    t = MONTHLY_TEST_DAYS[:6]
    with pytest.raises(DataError, match="6 parameters.*at least 7"):
        fit_lactation(t, wood(t, 2.0, 0.2, 0.004), model="wood_extended")


def test_fit_unknown_model_or_bound():
    with pytest.raises(ValueError, match="did you mean 'wood'"):
        fit_lactation(MONTHLY_TEST_DAYS, wood(MONTHLY_TEST_DAYS, 2, 0.2, 0.004), model="wod")
    with pytest.raises(ValueError, match="unknown parameter 'k'"):
        fit_lactation(MONTHLY_TEST_DAYS, wood(MONTHLY_TEST_DAYS, 2, 0.2, 0.004),
                      bounds={"k": (0, 1)})


