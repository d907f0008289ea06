"""Figures and HTML sections of a plan, for the report of ``capra run`` and ``capra plan``.

:func:`report_sections` returns ``(heading, html)`` pairs for
``capra.report.write_report(result, path, extra_sections=...)``: the headline, a site ×
day coverage heatmap, the stock of long-life products through the year, supply against
demand, the per-site table and the "what binds" table. Figures are Matplotlib figures on
the Agg canvas (no pyplot state), embedded as PNG.

Units: milk [kg/day]; stock [kg product]; coverage [share of the rations wanted];
children per unit [children].
"""

from __future__ import annotations

import base64
import html
import io
import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

__all__ = ["coverage_figure", "report_sections", "stock_figure", "supply_demand_figure"]

#: Resolution of the embedded figures. [dots per inch]
PNG_DPI = 96
_WIDTH_IN = 9.0


def _figure(height_in: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(_WIDTH_IN, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _dates_axis(ax) -> None:
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def coverage_figure(plan) -> Figure:
    """Site × day heatmap of the share of rations served (grey: closed day). [fraction]"""
    cov = plan.tables["coverage"]
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
    _dates_axis(ax)
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
    _dates_axis(ax)
    return fig


def supply_demand_figure(plan) -> Figure:
    """Milk supplied against the milk in the rations wanted and served, 7-day means.
    [kg/day]"""
    daily = plan.tables["daily"]
    week = daily.rolling(7, min_periods=1, center=True).mean()
    fig, ax = _figure(3.4)
    served = daily["milk_in_servings_kg"]
    per_ration = (served / daily["rations_served"]).replace([np.inf], np.nan).median()
    per_ration = per_ration if math.isfinite(per_ration) else 0.21
    ax.plot(week.index, week["supply_kg"], color="#2ca02c", label="milk supplied (plan)")
    ax.plot(week.index, week["rations_wanted"] * per_ration, color="#444", lw=1.0,
            label="milk in the rations wanted")
    ax.fill_between(week.index, 0, week["milk_in_servings_kg"], color="#1f77b4", alpha=0.35,
                    lw=0, label="milk in the rations served")
    ax.set_ylabel("milk [kg/day], 7-day mean")
    ax.legend(loc="upper left", fontsize=8)
    _dates_axis(ax)
    return fig


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure_html(fig: Figure, alt: str, caption: str) -> str:
    return (f'<figure><img src="{_png(fig)}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _number(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.3g}"


def _table(frame, columns) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for key, _ in columns:
            v = row[key]
            cls = ' class="num"' if isinstance(v, (int, float, np.number)) else ""
            text = _number(v) if cls else html.escape(str(v))
            cells.append(f"<td{cls}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def report_sections(plan, *, binding_rows: int = 15) -> list[tuple[str, str]]:
    """The plan as ``(heading, html)`` sections for :func:`capra.report.write_report`.

    A plan without a solution gives one section with its status and message.
    """
    if not plan.success:
        return [("Plan", f"<p>{html.escape(plan.headline())}</p>")]
    d = plan.to_dict()
    nutrients = "".join(
        f"<li>{html.escape(group.replace('age_', '').replace('_', '–'))} years: "
        + ", ".join(f"{html.escape(n.split('_')[0])} {100 * v['share_of_need']:.0f}%"
                    for n, v in values.items()) + "</li>"
        for group, values in d["nutrients"].items())
    headline = (f"<p><strong>{html.escape(plan.headline())}</strong></p>"
                f"<p>Supply: {html.escape(plan.method)}. Waste: {_number(d['waste_kg'])} kg "
                f"of product. Nutrients delivered per planned child-day, as a share of the "
                f"children's daily needs:</p><ul>{nutrients}</ul>")
    sections = [("Plan", headline)]
    sections.append(("Coverage by site and day", _figure_html(
        coverage_figure(plan), "coverage heatmap",
        "Each row is a site and each column a day; the colour is the share of the rations "
        "wanted that the dispatch serves, with all enrolled children (green: all, red: "
        "none); grey days are closed.")))
    sections.append(("Stock of products", _figure_html(
        stock_figure(plan), "stock",
        "Stock held at the plants at the end of each day, by storage class; the dotted "
        "line is the first day children are served (stock built before it comes from the "
        "warm-up period).")))
    sections.append(("Supply and demand", _figure_html(
        supply_demand_figure(plan), "supply and demand",
        "Milk available to the plan per day, against the milk that the rations wanted "
        "would need and the milk in the rations served (7-day means; milk served above "
        "the supply comes out of stock made earlier).")))
    sites = plan.tables["sites"].reset_index()
    sections.append(("Interruptions by site", _table(sites, [
        ("site", "site"), ("operating_days", "operating days"),
        ("interruption_days", "interruption days"),
        ("longest_gap_days", "longest gap [operating days]")])))
    binding = plan.binding.head(binding_rows)
    if binding.empty:
        body = "<p>No constraint limits the enrolment.</p>"
    else:
        body = _table(binding, [("constraint", "constraint"), ("item", "item"),
                                ("unit", "one more unit"),
                                ("children_per_unit", "more children served")])
    body += ("<p>Marginal values from the LP duals of the enrolment question: the extra "
             "children served every operating day per unit more of each limit, valid for "
             "small changes only.</p>")
    sections.append(("What binds", body))
    return sections
