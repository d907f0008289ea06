"""The one helper for rate conversions."""

import numpy as np
import pytest

from capra import rates


@pytest.mark.parametrize("step", [0.25, 1.0, 7.0, 30.4375, 91.3125, 365.25])
@pytest.mark.parametrize("risk", [0.0, 0.01, 0.2, 0.9])
def test_step_invariance_of_annual_risk(step, risk):
    p = rates.risk_to_step_probability(risk, rates.DAYS_PER_YEAR, step)
    steps = rates.DAYS_PER_YEAR / step
    assert 1 - (1 - p) ** steps == pytest.approx(risk, abs=1e-12)


def test_step_invariance_by_simulation():
    # Bernoulli trials at daily and weekly steps give the same annual outcome
    rng = np.random.default_rng(0)
    risk, n = 0.3, 200_000
    outcomes = []
    for step in (1, 7):
        p = rates.risk_to_step_probability(risk, 364, step)
        alive = np.ones(n, bool)
        for _ in range(364 // step):
            alive &= rng.random(n) >= p
        outcomes.append(1 - alive.mean())
    se = np.sqrt(risk * (1 - risk) / n)
    assert abs(outcomes[0] - risk) < 4 * se
    assert abs(outcomes[1] - risk) < 4 * se


def test_daily_is_not_the_naive_division():
    # an even chance in a year: half survive 365.25 days, 0.5 ** (1 / 365.25) each day
    assert rates.annual_risk_to_daily(0.5) == pytest.approx(0.00189595, rel=1e-5)
    assert 0.5 / 365.25 == pytest.approx(0.00136893, rel=1e-5)  # the naive division
    assert rates.annual_risk_to_daily(1.0) == 1.0


def test_hazard_round_trip():
    h = rates.risk_to_hazard(0.2, 60)
    assert rates.hazard_to_probability(h, 60) == pytest.approx(0.2)


def test_competing_risks_share_the_total():
    p = rates.competing_risks([0.001, 0.003])
    assert p.sum() == pytest.approx(1 - np.exp(-0.004))
    assert p[1] == pytest.approx(3 * p[0])


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_bad_risk_is_rejected(bad):
    with pytest.raises(ValueError, match="probability"):
        rates.risk_to_hazard(bad)
