"""One self-contained HTML file reporting a herd and milk simulation.

The file holds its figures as base64 PNG images and its style sheet inline, and links to
nothing, so it opens offline and can be mailed or archived on its own. Text that comes
from the scenario (name, description) is HTML-escaped.

Sections, in order: header (scenario, seed, replicates, start date, horizon), the answer
of a plan and any ``lead_sections`` given by the caller, the herd summary table, five
figures with a caption each, the monthly milk and rations table, the feed budget (with
feed, :mod:`capra.report.feed`), what we do not know (sensitivity), health and breeding
stock (:mod:`capra.report.herd_risks`, those the result has figures for), the plan's
details and any ``extra_sections`` given by the caller, and a short note about the model.
The page,
figures and tables are the shared parts of :mod:`capra.report.parts`.
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from capra.planning.products import RATION_WORDS
from capra.rates import DAYS_PER_YEAR
from capra.report import figures as fg
from capra.report.feed import feed_sections
from capra.report.herd_risks import risk_sections
from capra.report.parts import (
    figure_html,
    page_html,
    quantity,
    report_path,
    sections,
    table_html,
)

__all__ = ["render_report", "ration_text", "write_report"]

#: (figure key, section heading, caption) in report order; ``{ration}`` in a caption is
#: replaced by :func:`ration_text`.
FIGURE_SECTIONS = (
    ("herd_classes", "Herd by class",
     ("Each line is the median (P50) number of animals of a class across replicates, and "
      "the shaded band holds the middle 80 % of replicates (P10–P90); the lower panel "
      "compares the whole herd with the summed capacity of the farms.")),
    ("milk", "Daily milk",
     ("The green line and band are the deliverable milk per day (P50 and P10–P90 across "
      "replicates), the dotted and dashed lines the median gross milk and milk fed to "
      "kids, and the right-hand axis reads the same quantity as rations per day, a ration "
      "being {ration}.")),
    ("kiddings_by_month", "Kiddings by month",
     ("Each bar is the mean number of kiddings in that calendar month per year of the "
      "horizon, averaged over replicates, and the error bar spans P10 to P90 across "
      "replicates.")),
    ("head_by_farm", "Head by farm",
     ("Each solid line is the median head on one farm, the dotted line of the same colour "
      "its capacity, and dashed lines are quarantine stations.")),
    ("monthly_milk", "Milk by month",
     ("Each bar is the median mean daily deliverable milk of a calendar month over the "
      "last 365 days (error bars P10–P90 across replicates); the red bar is the seasonal "
      "trough, the month with the least milk to share out.")),
)


def ration_text(result) -> str:
    """What one ration of the result's counts is, in words: a school child's daily
    serving of fresh milk, its weight and the raw milk it takes (from the scenario's
    product data, :data:`capra.planning.products.RATION`)."""
    ration = result.ration
    return (f"{RATION_WORDS} ({ration['serving_g']:g} g, from {ration['milk_kg']:.3f} kg "
            "of raw milk)")


def _header_facts(result) -> tuple[str, str, list[tuple[str, str]]]:
    """(scenario name, description, [(label, value)]) for the header, not yet escaped."""
    ds = result.data
    scenario = getattr(result, "scenario", None)
    name = str(ds.attrs.get("scenario") or getattr(scenario, "name", "") or "(unnamed)")
    description = str(getattr(scenario, "description", "") or "")
    seed = ds.attrs.get("seed", -1)
    dates = pd.DatetimeIndex(ds["date"].values)
    start = dates[0].date() if len(dates) else None
    start_text = str(ds.attrs.get("start_date") or start or "–")
    n_days = int(ds.sizes["date"])
    end = (start + timedelta(days=n_days - 1)) if isinstance(start, date) else None
    horizon = f"{n_days:,} days (≈ {n_days / DAYS_PER_YEAR:.1f} years)"
    if end is not None:
        horizon += f", to {end.isoformat()}"
    farms = fg._farm_names(result)
    capacity = sum(fg._capacity(result).values())
    facts = [
        ("Scenario", name),
        ("Seed", "not recorded" if seed is None or int(seed) < 0 else str(int(seed))),
        ("Replicates", f"{int(ds.sizes['replicate']):,}"),
        ("Start date", start_text),
        ("Horizon", horizon),
        ("Farms", f"{len(farms)} ({', '.join(farms)}); total capacity {capacity:,.0f} head"
         if farms else "none"),
    ]
    return name, description, facts


def _summary_table(result) -> str:
    table = result.summary_table().reset_index()
    return table_html(table, [("metric", "metric [units]"), ("p10", "P10"), ("p50", "P50"),
                              ("p90", "P90")], fmt=quantity)


def _monthly_table(result, ration: str) -> str:
    table = fg.monthly_milk(result)
    p50 = table["p50"].to_numpy()
    trough = int(pd.Series(p50).idxmin()) if pd.Series(p50).notna().any() else -1
    rows = []
    for i, (month, row) in enumerate(table.iterrows()):
        cls = ' class="trough"' if i == trough else ""
        cells = "".join(f'<td class="num">{quantity(float(row[c]))}</td>'
                        for c in ("p10", "p50", "p90", "rations_p10", "rations_p50",
                                  "rations_p90"))
        rows.append(f"<tr{cls}><td>{calendar.month_name[int(month)]}</td>{cells}</tr>")
    return (
        "<table><thead>"
        "<tr><th rowspan=\"2\">month</th><th colspan=\"3\">deliverable milk [kg/day]</th>"
        "<th colspan=\"3\">rations [rations/day]</th></tr>"
        "<tr><th>P10</th><th>P50</th><th>P90</th><th>P10</th><th>P50</th><th>P90</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        "<p>Mean daily deliverable milk of each calendar month over the last 365 days of the "
        "horizon, percentiles across replicates; the highlighted row is the lowest month "
        f"(P50). Rations: a ration is {html.escape(ration)}, so 1 kg of goat "
        f"milk ≈ {float(result.rations(1.0)):.2f} rations.</p>"
    )


_ABOUT = (
    "<p>Capra simulates the herd day by day, animal by animal: kidding, weaning, growth "
    "into the adult classes, conception and pregnancy, lactation and drying off, deaths, "
    "culls, sales, deliveries of new batches, quarantine and transfers between farms, "
    "following the breed parameters and the management policy of the scenario. Each "
    "replicate is one independent run with its own random draws from the same seed, so "
    "the spread across replicates (P10 to P90) shows the chance variation of a herd of "
    "this size; where the scenario gives a value as a distribution of what we do not know, "
    "each replicate also draws its own value of it, and the spread then holds that "
    "uncertainty too (the section on what we do not know ranks these values). Health "
    "events (infected arrivals and the tests of quarantine, deaths on the journey, "
    "outbreaks and abortion storms, heat stress) follow the scenario's health section. "
    "Deliverable milk is the "
    "gross milk of lactating does less colostrum, milk fed to kids and milk of animals in "
    "quarantine. Stocks of animals are counted at the end of each day; flows such as "
    "kiddings and milk are totals of the day. A ration is {ration}, from the scenario's "
    "product data, as in the plan.</p>"
)


def render_report(result, *, plan=None, title: str | None = None,
                  extra_sections: Sequence[tuple[str, str]] = (),
                  lead_sections: Sequence[tuple[str, str]] = ()) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    name, description, facts = _header_facts(result)
    title = title if title is not None else f"Herd and milk report: {name}"
    extra = sections(extra_sections, "extra_sections")
    lead = sections(lead_sections, "lead_sections")
    if plan is not None:
        from capra.planning.report import report_sections

        plan_lead, plan_extra = report_sections(plan)
        lead, extra = plan_lead + lead, plan_extra + extra
    ration = ration_text(result)

    body: list[tuple[str, str]] = lead + [("Herd and milk summary", _summary_table(result))]
    figures = dict(fg.report_figures(result))
    for key, heading, caption in FIGURE_SECTIONS:
        body.append((heading, figure_html(figures[key], heading,
                                          caption.format(ration=ration))))
    body.append(("Monthly milk and rations", _monthly_table(result, ration)))
    body.extend(feed_sections(result))
    body.extend(risk_sections(result))
    body.extend(extra)
    body.append(("About the model", _ABOUT.format(ration=html.escape(ration))))
    return page_html(title, body, description=description, facts=facts,
                     footer="Capra herd and milk report. Percentiles P10/P50/P90 are taken "
                            "across replicates.")


def write_report(result, folder: str | Path, *, plan=None, title: str | None = None,
                 extra_sections: Sequence[tuple[str, str]] = (),
                 lead_sections: Sequence[tuple[str, str]] = ()) -> Path:
    """Write one self-contained HTML report of a herd simulation (and its plan) as
    ``folder/report.html``.

    Parameters
    ----------
    result
        A :class:`capra.herd.result.HerdResult`.
    folder
        The folder to write ``report.html`` into, created if missing; a path ending in
        ``.html`` is the report file itself. An existing report is overwritten.
    plan
        A :class:`capra.planning.result.Plan` of the same herd: its answer leads the
        report and its details follow the monthly milk table
        (:func:`capra.planning.report.report_sections`).
    title
        Page title and main heading; by default ``"Herd and milk report: <scenario>"``.
        Escaped.
    extra_sections
        ``(heading, html_fragment)`` pairs added after the monthly milk table (and the
        plan's details), before "About the model". Headings are escaped; fragments are
        inserted as given (they are HTML) and must escape their own text.
    lead_sections
        ``(heading, html_fragment)`` pairs placed first, before the herd summary (after
        the plan's answer).

    Returns
    -------
    pathlib.Path
        The report file.

    Raises
    ------
    OutputError
        If the folder cannot be created or written in (checked before the report is
        drawn).
    """
    path = report_path(folder)
    text = render_report(result, plan=plan, title=title, extra_sections=extra_sections,
                         lead_sections=lead_sections)
    path.write_text(text, encoding="utf-8")
    return path
