"""Report sections on what we do not know, health and breeding stock
(capra.report.herd_risks)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Rectangle

from capra.herd.simulate import simulate
from capra.herd.uncertainty import sensitivity
from capra.report.herd_risks import MAX_FACTORS_DRAWN, risk_sections, sensitivity_figure
from capra.report.html import render_report
from capra.scenario import load_scenario

RISK_HEADINGS = ("What we do not know", "Health: testing, transport, outbreaks",
                 "Breeding stock and inbreeding")


@pytest.fixture(scope="module")
def result():
    sc = load_scenario("nampo").model_copy(update={"horizon_days": 400})
    return simulate(sc, replicates=6, seed=3)


def test_the_sections_follow_the_monthly_table(result):
    html = render_report(result)
    order = ["Monthly milk and rations", *RISK_HEADINGS, "About the model"]
    positions = [html.find(f">{h}</h2>") for h in order]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    # every uncertain parameter has its row, strongest first
    table = sensitivity(result)
    for factor in table["factor"]:
        assert f"<td>{factor}</td>" in html
    assert "each replicate also draws its own value" in html


def test_the_sensitivity_figure_draws_each_factor_twice(result):
    table = sensitivity(result)
    fig = sensitivity_figure(table)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    shown = min(len(table), MAX_FACTORS_DRAWN)
    assert len(bars) == 2 * shown
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == table["factor"].iloc[0]          # the strongest on top
    widths = sorted(round(b.get_width(), 9) for b in bars)
    # a correlation that cannot be computed (an output equal in every replicate: no milk
    # yet in the trough month of a short horizon) is drawn as no bar
    expected = sorted(np.round(np.nan_to_num(np.r_[
        table["rho_milk_per_year"].head(shown), table["rho_trough_month_milk"].head(shown)]),
        9))
    np.testing.assert_allclose(widths, expected)


def test_without_draws_and_health_only_the_breeding_section(result):
    sc = load_scenario("nampo").model_copy(update={"horizon_days": 400})
    sc = sc.model_copy(update={"health": type(sc.health)(),
                               "batches": tuple(b.model_copy(update={"transit_days": 0})
                                                for b in sc.batches)})
    plain = simulate(sc, replicates=3, seed=3, parameter_uncertainty=False)
    assert [h for h, _ in risk_sections(plain)] == ["Breeding stock and inbreeding"]
