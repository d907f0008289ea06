"""One self-contained HTML file reporting a herd and milk simulation.

The file holds its figures as base64 PNG images and its style sheet inline, and links to
nothing, so it opens offline and can be mailed or archived on its own. Text that comes
from the scenario (name, description) is HTML-escaped.

Sections, in order: header (scenario, seed, replicates, start date, horizon), any
``lead_sections`` given by the caller (the answer of a plan), the herd summary table, five figures with a caption each, the monthly milk and rations table, any
``extra_sections`` given by the caller, and a short note about the model.
"""

from __future__ import annotations

import base64
import calendar
import html
import io
import math
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from capra.herd.result import LITRES_PER_KG_MILK, RATION_LITRES, kg_to_rations
from capra.rates import DAYS_PER_YEAR
from capra.report import figures as fg

__all__ = ["render_report", "write_report"]

#: Resolution of the embedded PNG figures. [dots per inch]
PNG_DPI = 96

#: (figure key, section heading, caption) in report order.
FIGURE_SECTIONS = (
    ("herd_classes", "Herd by class",
     ("Each line is the median (P50) number of animals of a class across replicates, and "
      "the shaded band holds the middle 80 % of replicates (P10–P90); the lower panel "
      "compares the whole herd with the summed capacity of the farms.")),
    ("milk", "Daily milk",
     ("The green line and band are the deliverable milk per day (P50 and P10–P90 across "
      "replicates), the dotted and dashed lines the median gross milk and milk fed to "
      "kids, and the right-hand axis reads the same quantity as 200 ml rations per day.")),
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

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       max-width: 980px; margin: 1.5em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.15em; margin-top: 1.8em; }
p.description { color: #444; margin-top: 0; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.15em 1em; }
dl.meta dt { font-weight: 600; }
dl.meta dd { margin: 0; }
nav ul { columns: 2; padding-left: 1.2em; }
table { border-collapse: collapse; font-size: 0.92em; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.trough td { background: #fde8e8; }
figure { margin: 0.6em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.3em; }
p.note { background: #fff8e1; border-left: 3px solid #e0b000; padding: 0.3em 0.6em; }
footer { color: #666; font-size: 0.85em; margin-top: 2.5em; }
"""


def _png_data_uri(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _fmt(value: float) -> str:
    """A number with precision suited to its size, thousands separated; NaN as a dash."""
    if value is None or not math.isfinite(value):
        return "–"
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def _slug(text: str) -> str:
    keep = [c.lower() if c.isalnum() else "-" for c in text]
    return "-".join(part for part in "".join(keep).split("-") if part) or "section"


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
    table = result.summary()
    rows = "".join(
        f"<tr><td>{html.escape(str(metric))}</td>"
        + "".join(f'<td class="num">{_fmt(float(v))}</td>' for v in row)
        + "</tr>"
        for metric, row in zip(table.index, table.to_numpy(), strict=True))
    head = "".join(f"<th>{html.escape(str(c).upper())}</th>" for c in table.columns)
    return (f"<table><thead><tr><th>metric [units]</th>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _monthly_table(result) -> str:
    table = fg.monthly_milk(result)
    p50 = table["p50"].to_numpy()
    trough = int(pd.Series(p50).idxmin()) if pd.Series(p50).notna().any() else -1
    rows = []
    for i, (month, row) in enumerate(table.iterrows()):
        cls = ' class="trough"' if i == trough else ""
        cells = "".join(f'<td class="num">{_fmt(float(row[c]))}</td>'
                        for c in ("p10", "p50", "p90", "rations_p10", "rations_p50",
                                  "rations_p90"))
        rows.append(f"<tr{cls}><td>{calendar.month_name[int(month)]}</td>{cells}</tr>")
    ml = RATION_LITRES * 1000
    return (
        "<table><thead>"
        "<tr><th rowspan=\"2\">month</th><th colspan=\"3\">deliverable milk [kg/day]</th>"
        f"<th colspan=\"3\">rations [{ml:.0f} ml rations/day]</th></tr>"
        "<tr><th>P10</th><th>P50</th><th>P90</th><th>P10</th><th>P50</th><th>P90</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        "<p>Mean daily deliverable milk of each calendar month over the last 365 days of the "
        "horizon, percentiles across replicates; the highlighted row is the lowest month "
        f"(P50). Rations: 1 kg of goat milk ≈ {LITRES_PER_KG_MILK:g} L ≈ "
        f"{float(kg_to_rations(1.0)):.2f} rations of {ml:.0f} ml.</p>"
    )


_ABOUT = (
    "<p>Capra simulates the herd day by day, animal by animal: kidding, weaning, growth "
    "into the adult classes, conception and pregnancy, lactation and drying off, deaths, "
    "culls, sales, deliveries of new batches, quarantine and transfers between farms, "
    "following the breed parameters and the management policy of the scenario. Each "
    "replicate is one independent run with its own random draws from the same seed, so "
    "the spread across replicates (P10 to P90) shows the chance variation of a herd of "
    "this size, not the uncertainty of the parameters themselves. Deliverable milk is the "
    "gross milk of lactating does less colostrum, milk fed to kids and milk of animals in "
    "quarantine. Stocks of animals are counted at the end of each day; flows such as "
    "kiddings and milk are totals of the day. Rations are {ml:.0f} ml servings, with "
    "1 kg of goat milk taken as {lpk:g} L.</p>"
)


def _pairs(items: Sequence[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        if len(item) != 2:
            raise ValueError(f"{what} must hold (heading, html_fragment) pairs; got {item!r}")
        heading, fragment = item
        out.append((str(heading), str(fragment)))
    return out


def render_report(result, *, title: str | None = None,
                  extra_sections: Sequence[tuple[str, str]] = (),
                  lead_sections: Sequence[tuple[str, str]] = ()) -> str:
    """The report as an HTML string (see :func:`write_report`)."""
    name, description, facts = _header_facts(result)
    title = title if title is not None else f"Herd and milk report: {name}"
    extra = _pairs(extra_sections, "extra_sections")
    lead = _pairs(lead_sections, "lead_sections")

    sections: list[tuple[str, str]] = lead + [("Herd and milk summary",
                                               _summary_table(result))]
    figures = dict(fg.report_figures(result))
    for key, heading, caption in FIGURE_SECTIONS:
        uri = _png_data_uri(figures[key])
        body = (f'<figure><img src="{uri}" alt="{html.escape(heading)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        sections.append((heading, body))
    sections.append(("Monthly milk and rations", _monthly_table(result)))
    sections.extend(extra)
    sections.append(("About the model", _ABOUT.format(ml=RATION_LITRES * 1000,
                                                       lpk=LITRES_PER_KG_MILK)))

    ids: set[str] = set()
    parts = []
    toc = []
    for heading, body in sections:
        sid = _slug(heading)
        while sid in ids:
            sid += "-x"
        ids.add(sid)
        toc.append(f'<li><a href="#{sid}">{html.escape(heading)}</a></li>')
        parts.append(f'<section id="{sid}"><h2>{html.escape(heading)}</h2>\n{body}\n</section>')

    meta = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    desc = f'<p class="description">{html.escape(description)}</p>' if description else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>{desc}<dl class=\"meta\">{meta}</dl></header>\n"
        f"<nav><ul>{''.join(toc)}</ul></nav>\n"
        + "\n".join(parts)
        + "\n<footer>Capra herd and milk report. Percentiles P10/P50/P90 are taken across "
        "replicates.</footer>\n</body>\n</html>\n"
    )


def write_report(result, path, *, title: str | None = None,
                 extra_sections: Sequence[tuple[str, str]] = (),
                 lead_sections: Sequence[tuple[str, str]] = ()) -> Path:
    """Write one self-contained HTML report of a herd simulation.

    Parameters
    ----------
    result
        A :class:`capra.herd.result.HerdResult`.
    path
        The HTML file to write (its folder must exist); overwritten if present.
    title
        Page title and main heading; by default ``"Herd and milk report: <scenario>"``.
        Escaped.
    extra_sections
        ``(heading, html_fragment)`` pairs added after the monthly milk table, before
        "About the model". Headings are escaped; fragments are inserted as given (they are
        HTML) and must escape their own text.
    lead_sections
        ``(heading, html_fragment)`` pairs placed first, before the herd summary (the
        answer of a plan leads the report).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    text = render_report(result, title=title, extra_sections=extra_sections,
                         lead_sections=lead_sections)
    path.write_text(text, encoding="utf-8")
    return path
