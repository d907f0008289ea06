"""The feed budget in the herd and milk report: a figure, two tables and the notes a farm
manager needs before winter (:mod:`capra.herd.feed_results` gives the numbers).

Units: dry matter [t DM/month], cost [currency of the feed library per month], shortfall
[% of the ME needed].
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from capra.report.parts import figure_html, new_figure, number, quantity, table_html

__all__ = ["feed_budget_figure", "feed_sections"]

_ORIGINS = (("pasture_dm_t", "pasture", "#6a994e"), ("stored_dm_t", "stores", "#bc6c25"),
            ("purchased_dm_t", "bought", "#577590"))


def _monthly_totals(budget) -> pd.DataFrame:
    """Per replicate and month, every location summed."""
    cols = ["dm_fed_t", "pasture_dm_t", "stored_dm_t", "purchased_dm_t", "cost",
            "me_needed_mj", "me_unmet_mj"]
    return budget.by_farm_month.groupby(["replicate", "month"])[cols].sum().reset_index()


def feed_budget_figure(result) -> Figure:
    """Dry matter fed each month by origin (P50 across replicates of all farms together,
    stacked bars) [t DM/month]; below, the month's cost (P50 line, P10–P90 band)
    [currency/month] and, when feed ran short, the share of the ME needed that was not fed
    (P50 line, P10–P90 band) [%]."""
    totals = _monthly_totals(result.feed_budget())
    months = sorted(totals["month"].unique())
    x = pd.to_datetime([m + "-15" for m in months])
    by = totals.groupby("month")
    fig, (ax, ax_cost) = new_figure(6.4, nrows=2, sharex=True, height_ratios=(3, 2))
    bottom = np.zeros(len(months))
    for col, label, color in _ORIGINS:
        height = by[col].median().reindex(months).to_numpy()
        ax.bar(x, height, width=25, bottom=bottom, color=color, label=label)
        bottom += height
    ax.set_ylabel("dry matter [t DM/month]")
    ax.set_title("Feed by origin, all farms (P50 across replicates)")
    ax.legend(fontsize="small", loc="upper left", ncols=3)
    ax.grid(axis="y", alpha=0.3)
    q = np.array([by["cost"].quantile(p).reindex(months).to_numpy() for p in (0.1, 0.5, 0.9)])
    ax_cost.fill_between(x, q[0], q[2], color="#577590", alpha=0.22, linewidth=0)
    ax_cost.plot(x, q[1], color="#577590", label="cost")
    ax_cost.set_ylabel(f"cost [{result.feed_budget().currency}/month]")
    ax_cost.set_ylim(bottom=0)
    ax_cost.grid(alpha=0.3)
    share = 100.0 * totals["me_unmet_mj"] / totals["me_needed_mj"].where(
        totals["me_needed_mj"] > 0, 1.0)
    if (share > 0.01).any():
        s = totals.assign(share=share).groupby("month")["share"]
        qs = np.array([s.quantile(p).reindex(months).to_numpy() for p in (0.1, 0.5, 0.9)])
        twin = ax_cost.twinx()
        twin.fill_between(x, qs[0], qs[2], color="#c1121f", alpha=0.15, linewidth=0)
        twin.plot(x, qs[1], color="#c1121f", linestyle="--", label="shortfall")
        twin.set_ylabel("ME not fed [% of need]")
        twin.set_ylim(bottom=0)
        ax_cost.set_title("Cost (line, P10–P90 band) and energy shortfall (dashed)")
    else:
        ax_cost.set_title("Cost of feed bought (P50, band P10–P90); no energy shortfall")
    ax_cost.set_xlabel("month")
    return fig


_BY_FARM = [("farm", "farm"), ("dm_fed_t_p10", "DM P10 [t]"), ("dm_fed_t_p50", "DM P50 [t]"),
            ("dm_fed_t_p90", "DM P90 [t]"), ("purchased_dm_t", "bought [t DM]"),
            ("concentrate_as_fed_t", "concentrate [t as fed]"), ("cost", "cost"),
            ("shortfall_pct", "ME not fed [%]")]
_BY_MONTH = [("month", "month"), ("dm_fed_t", "DM fed [t]"), ("pasture_dm_t", "pasture [t DM]"),
             ("stored_dm_t", "stores [t DM]"), ("purchased_dm_t", "bought [t DM]"),
             ("concentrate_as_fed_t", "concentrate [t as fed]"),
             ("milk_replacer_kg", "milk replacer [kg]"), ("cost", "cost"),
             ("shortfall_pct", "ME not fed [%]"), ("milk_forgone_kg", "milk forgone [kg]")]


def feed_sections(result) -> list[tuple[str, str]]:
    """``(heading, html)`` sections of the feed budget, for
    :func:`capra.report.html.render_report`; none for a herd simulated without feed."""
    from capra.herd.feed_results import CAE_NOTE, cae_farms, feed_tables

    tables = feed_tables(result.data)
    if tables is None:
        return []
    currency = html.escape(result.feed_budget().currency)
    by_farm = tables["by_farm"]
    year = int(by_farm["year"].iloc[0]) if len(by_farm) else ""
    figure = figure_html(
        feed_budget_figure(result), "Feed budget",
        "Stacked bars: the dry matter the herd ate each month from pasture, the stores and "
        "purchases, all farms together (P50 across replicates). Below: the month's cost of "
        "feed bought and of bought deliveries (line and P10–P90 band) and, if feed ran "
        "short, the share of the energy needed that was not fed.")
    text = (
        f"<p>What the weaned goats need (NRC 2007 / Langston requirements, with the "
        f"management level's ration) and how each farm meets it, by its own feed "
        f"resources, in priority (does in milk, pregnant females, young stock, other "
        f"adults). Costs are in {currency}; the bundled prices are placeholders (docs/feed.md): "
        f"set local prices before reading them. A farm without feed resources feeds "
        f"\"as needed\": everything is bought.</p>")
    parts = [figure, text,
             f"<h3>Per farm, {year}</h3>",
             table_html(by_farm, _BY_FARM, fmt=quantity),
             "<p>Dry matter fed in the year (P10, P50, P90 across replicates); the other "
             "columns are P50. Kids drink milk or replacer and are not in the dry matter.</p>",
             "<h3>All farms, the last twelve months</h3>",
             table_html(tables["by_month"], _BY_MONTH, fmt=number),
             "<p>P50 across replicates of every farm and station together.</p>"]
    cae = cae_farms(result.data)
    if cae:
        listed = ", ".join(f"{html.escape(f)} ({html.escape(m.replace('_', ' '))})"
                           for f, m in cae.items())
        parts.append(f'<p class="note"><strong>CAE.</strong> {html.escape(CAE_NOTE)} '
                     f"Farms here that rear kids this way: {listed}.</p>")
    return [("Feed budget", "\n".join(parts))]
