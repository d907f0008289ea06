"""Figures and HTML sections of a plan, for the report of ``capra run`` and ``capra plan``.

:func:`report_sections` returns two lists of ``(heading, html)`` pairs, which
``capra.report.write_report(result, folder, plan=plan)`` places in the report: the
answer, which leads the report (the repeatable year with its range across futures, the
programme's years, notes), and the plan's details (what to make, coverage by site and
day, stock, supply and demand, interruptions, what binds). Figures, tables and numbers
are the shared parts of :mod:`capra.report.parts` (Matplotlib on the Agg canvas,
embedded as PNG).

Units: milk [kg/day]; stock [kg product]; coverage [share of the rations wanted];
children per unit [children].
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.dates import date2num
from matplotlib.figure import Figure

from capra.report.parts import date_axis, figure_html, new_figure, number, table_html

__all__ = ["coverage_figure", "production_figure", "programme_figure", "report_sections",
           "stock_figure", "supply_demand_figure"]

_PRODUCT_COLOURS = {"fresh_milk": "#1f77b4", "yogurt": "#9467bd", "soft_cheese": "#e6b800",
                    "hard_cheese": "#d62728", "milk_powder": "#b5651d",
                    "uht_milk": "#17becf", "frozen_milk": "#7f7f7f"}


def _figure(height_in: float) -> tuple[Figure, object]:
    fig, (ax,) = new_figure(height_in)
    return fig, ax


#: The enrolled children are drawn in the programme-years figure only when they are at
#: most this many times the largest bar; beyond, the bars would be flattened to nothing
#: (the caption gives the number instead). [-]
ENROLLED_LINE_RATIO = 3.0


def enrolled_drawn(plan) -> bool:
    """Whether the programme-years figure draws the enrolled children as a line."""
    bars = [y["children_served_every_day"] or 0 for y in plan.programme_years]
    rng = plan.children_range or {}
    top = max(bars + [plan.served_and_room()[0] or 0, rng.get("p90") or 0])
    return plan.enrolled_children <= ENROLLED_LINE_RATIO * max(top, 1)


def programme_figure(plan) -> Figure:
    """Children served every operating day in each programme year (bars) and in the
    repeatable year with its P10–P90 across futures. [children]"""
    fig, ax = _figure(3.2)
    years = plan.programme_years
    labels = [f"{y['start'][:7]} to\n{y['end'][:7]}" for y in years]
    values = [y["children_served_every_day"] or 0 for y in years]
    x = np.arange(len(years))
    ax.bar(x, values, color="#2ca02c", width=0.6, label="programme year")
    served, _ = plan.served_and_room()
    rng = plan.children_range
    xr = len(years)
    ax.bar([xr], [served or 0], color="#1f5f8b", width=0.6,
           label="repeatable year (planned)")
    if rng is not None:
        ax.errorbar([xr], [rng["p50"]], yerr=[[rng["p50"] - rng["p10"]],
                                              [rng["p90"] - rng["p50"]]],
                    fmt="o", color="#111", capsize=5, label="P10–P50–P90 across futures")
    if enrolled_drawn(plan):
        ax.axhline(plan.enrolled_children, color="#888", ls="--", lw=1.0,
                   label="children enrolled")
    ax.set_xticks(list(x) + [xr], labels + [f"{plan.first_date[:7]} to\n"
                                           f"{plan.last_date[:7]}\n(repeatable)"],
                  fontsize=8)
    ax.set_ylabel("children served every\noperating day")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def production_figure(plan) -> Figure:
    """Milk made into each product per month (stacked bars). [kg milk]"""
    fig, ax = _figure(3.2)
    prod = plan.production
    table = prod.pivot_table(index="month", columns="product", values="milk_kg",
                             aggfunc="sum", fill_value=0.0)
    bottom = np.zeros(len(table))
    x = np.arange(len(table))
    for product in dict.fromkeys(prod["product"]):
        vals = table[product].to_numpy() / 1000.0
        ax.bar(x, vals, bottom=bottom, color=_PRODUCT_COLOURS.get(product, "#555"),
               label=product.replace("_", " "), width=0.8)
        bottom += vals
    ax.set_xticks(x, list(table.index), rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("milk made into products\n[t per month]")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    return fig


#: Sites above which the report shows districts, not sites (heatmap rows, tables). [-]
MANY_SITES = 40


def _by_district(plan, cov):
    """The coverage (date × site) as the mean over each district's sites (date ×
    district), when there are many sites and their districts are known."""
    sites = plan.tables.get("sites")
    if cov.shape[1] <= MANY_SITES or sites is None or "district" not in sites:
        return cov
    district = sites["district"].reindex(cov.columns).fillna("").replace("", "no district")
    return cov.T.groupby(district.to_numpy()).mean().T


def coverage_figure(plan, table: str = "coverage_full_enrolment") -> Figure:
    """Site × day heatmap of the share of rations served (grey: closed day); with many
    sites, district × day (the mean over the district's sites). [fraction]"""
    cov = _by_district(plan, plan.tables[table])
    fig, ax = _figure(0.9 + 0.28 * max(len(cov.columns), 1))
    values = np.ma.masked_invalid(cov.to_numpy().T)
    cmap = ListedColormap(np.vstack([np.linspace([0.80, 0.15, 0.15], [0.98, 0.85, 0.25], 8),
                                     np.linspace([0.75, 0.90, 0.45], [0.10, 0.55, 0.25], 8)])
                          ).with_extremes(bad="#e6e6e6")
    x = date2num(cov.index.to_pydatetime())
    extent = (x[0] - 0.5, x[-1] + 0.5, len(cov.columns) - 0.5, -0.5) if len(x) else None
    image = ax.imshow(values, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0,
                      vmax=1, extent=extent)
    ax.set_yticks(range(len(cov.columns)), [str(c) for c in cov.columns], fontsize=8)
    ax.xaxis_date()
    date_axis(ax)
    fig.colorbar(image, ax=ax, label="share of rations served", fraction=0.03)
    return fig


def stock_figure(plan) -> Figure:
    """Stock at the plants by storage class through the planned days. [kg product]"""
    daily = plan.tables["daily"]
    fig, ax = _figure(3.4)
    for column, label, colour in (("stock_ambient_kg", "ambient (powder, UHT)", "#b5651d"),
                                  ("stock_chilled_kg", "chilled", "#1f77b4"),
                                  ("stock_frozen_kg", "frozen", "#17becf")):
        if column in daily and daily[column].abs().sum() > 0:
            ax.plot(daily.index, daily[column], label=label, color=colour)
    ax.set_ylabel("stock [kg product]")
    ax.axvline(daily.index[0] if plan.first_date == "" else np.datetime64(plan.first_date),
               color="#888", lw=0.8, ls=":")
    ax.legend(loc="upper left", fontsize=8)
    date_axis(ax)
    return fig


def supply_demand_figure(plan) -> Figure:
    """Milk supplied against the milk in the rations wanted and served, 7-day means.
    [kg/day]"""
    daily = plan.tables["daily"]
    week = daily.rolling(7, min_periods=1, center=True).mean()
    fig, ax = _figure(3.4)
    served = daily["milk_in_servings_kg"]
    per_ration = (served / daily["rations_served"]).replace([np.inf], np.nan).median()
    # no ration served: none is wanted at the headline enrolment (it is served in full)
    per_ration = per_ration if math.isfinite(per_ration) else 0.0
    ax.plot(week.index, week["supply_kg"], color="#2ca02c", label="milk supplied (plan)")
    ax.plot(week.index, week["rations_wanted"] * per_ration, color="#444", lw=1.0,
            label="milk in the rations of the headline enrolment")
    ax.fill_between(week.index, 0, week["milk_in_servings_kg"], color="#1f77b4", alpha=0.35,
                    lw=0, label="milk in the rations served")
    ax.set_ylabel("milk [kg/day], 7-day mean")
    ax.legend(loc="upper left", fontsize=8)
    date_axis(ax)
    return fig


def _answer(plan) -> str:
    """The lead section: the headline, the range across futures, the programme's years."""
    d = plan.to_dict()
    rng = d["children_served_every_day_range"]
    parts = [f"<p><strong>{html.escape(plan.headline())}</strong></p>"]
    facts = [("Children served every operating day, planned", d["children_served_every_day"])]
    if d["room_for_more"]:
        facts.append(("Room for more children", d["room_for_more"]))
    if rng is not None:
        facts += [(f"P10 / P50 / P90 across {d['futures_used']} simulated futures",
                   f"{rng['p10']:,} / {rng['p50']:,} / {rng['p90']:,}"),
                  ("Futures whose own answer reaches the planned value",
                   f"{100 * d['confidence']:.0f}% of {d['futures_used']}")]
    facts.append(("Enrolled children", round(d["enrolled_children"])))
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td class=\"num\">"
                   f"{html.escape(v if isinstance(v, str) else number(v))}</td></tr>"
                   for k, v in facts)
    parts.append(f"<table>{rows}</table>")
    year = ("The planned year can be repeated every year: the stock at its end gives back "
            "the stock at its start, product by product, so no stock is counted twice."
            if plan.year == "repeatable" else
            "This plan starts from today's stock and leaves the stock at its end free: it is "
            "not a year the programme could repeat.")
    parts.append(f"<p>{html.escape(year)} Supply: {html.escape(plan.method)}.</p>")
    if plan.programme_years:
        years = pd.DataFrame(plan.programme_years)
        years.insert(0, "year", np.arange(1, len(years) + 1))
        years["milk_t"] = years["milk_kg"] / 1000.0
        parts.append("<h3>The programme's years</h3>")
        parts.append(table_html(years, [("year", "year"), ("start", "from"), ("end", "to"),
                                        ("children_served_every_day",
                                         "children served every operating day"),
                                        ("milk_t", "milk [t]")]))
        parts.append(figure_html(
            programme_figure(plan), "programme years",
            "Children served on every operating day of each programme year, counted from "
            "the first operating day after the first batch leaves quarantine, with the "
            "stock carried from the year before (each year ends with at least the stock it "
            "began with); the last bar is the repeatable year with its P10–P90 across "
            "simulated futures. "
            + ("The dashed line is the children enrolled." if enrolled_drawn(plan) else
               f"The {plan.enrolled_children:,.0f} children enrolled are off the scale.")))
    for item in plan.what_if:
        parts.append(f"<p>What if {html.escape(item['lever'])}: "
                     f"{item['children_served_every_day']:,} children served every "
                     f"operating day ({item['extra_children']:+,.0f}).</p>")
    for note in plan.notes:
        parts.append(f"<p class=\"note\">{html.escape(note)}</p>")
    return "\n".join(parts)


def report_sections(plan, *, binding_rows: int = 15
                    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The plan as ``(lead, sections)``: ``(heading, html)`` pairs for
    :func:`capra.report.write_report`'s ``lead_sections`` (the answer, first in the
    report) and ``extra_sections`` (the details).

    A plan without a solution gives one lead section with its status and message.
    """
    if not plan.success:
        return [("The answer", f"<p>{html.escape(plan.headline())}</p>")], []
    lead = [("The answer", _answer(plan))]
    d = plan.to_dict()
    sections = []
    if not plan.production.empty:
        made = plan.production.pivot_table(index="month", columns="product", values="kg",
                                           aggfunc="sum", fill_value=0.0).reset_index()
        cols = [("month", "month")] + [(p, f"{p.replace('_', ' ')} [kg]")
                                       for p in dict.fromkeys(plan.production["product"])]
        sections.append(("What to make", figure_html(
            production_figure(plan), "production by month",
            "Milk made into each product per month at the headline enrolment; the table "
            "gives the product made [kg]. Long-life products made in the flush are what "
            "bridges the trough.") + table_html(made, cols)))
    nutrients = "".join(
        f"<li>{html.escape(group.replace('age_', '').replace('_', '–'))} years: "
        + ", ".join(f"{html.escape(n.split('_')[0])} {100 * v['share_of_need']:.0f}%"
                    for n, v in values.items()) + "</li>"
        for group, values in d["nutrients"].items())
    sections.append(("Nutrients and waste", (
        f"<p>Waste: {number(d['waste_kg'])} kg of product at the headline enrolment. "
        f"Nutrients delivered per planned child-day, as a share of the children's daily "
        f"needs:</p><ul>{nutrients}</ul>")))
    full = plan.full_enrolment
    sections.append(("Coverage by site and day", figure_html(
        coverage_figure(plan), "coverage heatmap",
        f"With all {round(full.get('children', plan.enrolled_children)):,} enrolled "
        "children: each row is a site (with many sites, the mean of a district's sites) "
        "and each column a day; the colour is the share of "
        "the rations wanted that the dispatch serves (green: all, red: none); grey days "
        "are closed. At the headline enrolment every operating day is served in full.")))
    sections.append(("Stock of products", figure_html(
        stock_figure(plan), "stock",
        "Stock held at the plants at the end of each day, by storage class, at the headline "
        "enrolment" + (": the year begins with the stock its end gives back."
                       if plan.year == "repeatable" else "."))))
    sections.append(("Supply and demand", figure_html(
        supply_demand_figure(plan), "supply and demand",
        "Milk available to the plan per day, against the milk that the rations of the "
        "headline enrolment need and the milk in the rations served (7-day means; milk "
        "served above the supply comes out of stock made earlier).")))
    sites = plan.tables["sites"].rename(columns=lambda c: f"head_{c}").join(
        plan.tables["sites_full_enrolment"]).reset_index()
    if len(sites) > MANY_SITES and "district" in sites:
        sites["district"] = sites["district"].replace("", "no district")
        by = sites.groupby("district", sort=True).agg(
            sites=("site", "size"), operating_days=("operating_days", "max"),
            head_interruption_days=("head_interruption_days", "max"),
            interruption_days=("interruption_days", "mean"),
            worst=("interruption_days", "max"),
            longest_gap_days=("longest_gap_days", "max")).reset_index()
        sections.append(("Interruptions by district", table_html(by, [
            ("district", "district"), ("sites", "sites"),
            ("operating_days", "operating days (most)"),
            ("head_interruption_days", "interruption days, headline enrolment (worst site)"),
            ("interruption_days", "interruption days, all enrolled (mean)"),
            ("worst", "interruption days, all enrolled (worst site)"),
            ("longest_gap_days", "longest gap, all enrolled [operating days]")])
            + f"<p>{len(sites):,} sites, by district; every site is in "
              "<code>plan_sites.csv</code> and <code>plan_sites_full_enrolment.csv</code>."
              "</p>"))
    else:
        sections.append(("Interruptions by site", table_html(sites, [
            ("site", "site"), ("operating_days", "operating days"),
            ("head_interruption_days", "interruption days, headline enrolment"),
            ("interruption_days", "interruption days, all enrolled"),
            ("longest_gap_days", "longest gap, all enrolled [operating days]")])))
    binding = plan.binding.head(binding_rows)
    if binding.empty:
        body = "<p>No constraint limits the enrolment.</p>"
    else:
        body = table_html(binding, [("constraint", "constraint"), ("item", "item"),
                                    ("unit", "one more unit"),
                                    ("children_per_unit", "more children served"),
                                    ("valid_from", "valid from"), ("valid_to", "valid to")])
    body += ("<p>Marginal values of the repeatable year's enrolment question: the extra "
             "children served every operating day per unit more of each limit, valid while "
             "the limit stays within the range given (the same limits then bind).</p>")
    sections.append(("What binds", body))
    return lead, sections
