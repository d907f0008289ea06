"""The parts every HTML report of Capra is made of: figures, embedded images, tables,
numbers, the page and where it is written.

The herd and milk report (:mod:`capra.report.html`), the plan's sections
(:mod:`capra.planning.report`), the growth survey report (:mod:`capra.growth.report`) and
the records report use these, so that a figure is drawn, embedded and captioned, and a
table is laid out, the same way everywhere.

Figures are Matplotlib figures on the Agg canvas (no pyplot state, no window: safe in a
command line or a worker process), embedded in the page as base64 PNG so that a report
is one file that opens offline. Text from users (names, headings, captions) is
HTML-escaped here; HTML fragments passed in are inserted as given.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from capra.errors import ArgumentError
from capra.formats import number, quantity
from capra.outputs import output_folder

__all__ = ["FIGURE_WIDTH_IN", "PNG_DPI", "REPORT_FILE", "date_axis", "figure_html",
           "new_figure", "number", "page_html", "png_data_uri", "quantity", "report_path",
           "sections", "table_html"]

#: Resolution of the embedded PNG figures. [dots per inch]
PNG_DPI = 96
#: Width of the report figures. [inch]
FIGURE_WIDTH_IN = 9.0
#: The file a report is written to in its folder.
REPORT_FILE = "report.html"


# ---- figures ----------------------------------------------------------------------------

def new_figure(height_in: float, nrows: int = 1, *, sharex: bool = False,
               height_ratios: Sequence[float] | None = None) -> tuple[Figure, np.ndarray]:
    """A report figure :data:`FIGURE_WIDTH_IN` wide and ``height_in`` high [inch], laid
    out by Matplotlib's constrained layout, with ``nrows`` axes one above the other.
    Returns ``(figure, axes)`` (axes: an array of ``nrows``)."""
    fig = Figure(figsize=(FIGURE_WIDTH_IN, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, sharex=sharex, squeeze=False,
                        gridspec_kw=None if height_ratios is None
                        else {"height_ratios": height_ratios})
    return fig, axes[:, 0]


def date_axis(ax, locator: AutoDateLocator | None = None) -> None:
    """Dates on the x axis of ``ax``: ``locator`` (default Matplotlib's automatic one)
    places the ticks, the concise formatter labels them."""
    locator = locator or AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def png_data_uri(fig: Figure, *, dpi: float = PNG_DPI, **savefig) -> str:
    """``fig`` as a PNG ``data:`` URI, for an ``<img src=...>`` that needs no other file.

    Parameters
    ----------
    fig
        The figure.
    dpi
        Resolution. [dots per inch]
    savefig
        Further arguments of :meth:`matplotlib.figure.Figure.savefig` (e.g.
        ``bbox_inches="tight"``).
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, **savefig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def figure_html(fig: Figure, alt: str, caption: str) -> str:
    """A ``<figure>``: the figure embedded as PNG with its alternative text and caption
    (both escaped)."""
    return (f'<figure><img src="{png_data_uri(fig)}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


# ---- numbers and tables -----------------------------------------------------------------

def table_html(frame, columns: Sequence[tuple[str, str]], *,
               fmt: Callable[[object], str] = number) -> str:
    """An HTML table of the rows of ``frame`` (a :class:`pandas.DataFrame`).

    Parameters
    ----------
    frame
        The rows.
    columns
        ``(column, heading)`` pairs, in order; headings are escaped.
    fmt
        Formats the numbers (right-aligned, class ``num``): :func:`number` or
        :func:`quantity`. Other values are shown as escaped text.
    """
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for key, _ in columns:
            v = row[key]
            if isinstance(v, (int, float, np.number)) or v is None:
                cells.append(f'<td class="num">{fmt(v)}</td>')
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


# ---- the page ---------------------------------------------------------------------------

CSS = """
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


def _slug(text: str) -> str:
    keep = [c.lower() if c.isalnum() else "-" for c in text]
    return "-".join(part for part in "".join(keep).split("-") if part) or "section"


def sections(items: Sequence[tuple[str, str]], what: str) -> list[tuple[str, str]]:
    """``items`` checked to be ``(heading, html_fragment)`` pairs.

    Raises
    ------
    ArgumentError
        Naming ``what`` and the item that is not a pair.
    """
    out = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise ArgumentError(f"{what} must hold (heading, html_fragment) pairs; "
                                f"got {item!r}")
        heading, fragment = item
        out.append((str(heading), str(fragment)))
    return out


def page_html(title: str, body: Sequence[tuple[str, str]], *, description: str = "",
              facts: Sequence[tuple[str, str]] = (), footer: str = "") -> str:
    """A complete, self-contained HTML page: a header with the ``title``, the
    ``description`` and ``facts`` (label, value), a table of contents, one ``<section>``
    per ``(heading, html_fragment)`` of ``body``, and a ``footer``. Title, description,
    facts, headings and footer are escaped; the fragments are inserted as given."""
    ids: set[str] = set()
    parts = []
    toc = []
    for heading, fragment in body:
        sid = _slug(heading)
        while sid in ids:
            sid += "-x"
        ids.add(sid)
        toc.append(f'<li><a href="#{sid}">{html.escape(heading)}</a></li>')
        parts.append(f'<section id="{sid}"><h2>{html.escape(heading)}</h2>\n{fragment}\n'
                     "</section>")
    meta = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    desc = f'<p class="description">{html.escape(description)}</p>' if description else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1>{desc}<dl class=\"meta\">{meta}</dl></header>\n"
        f"<nav><ul>{''.join(toc)}</ul></nav>\n"
        + "\n".join(parts)
        + f"\n<footer>{html.escape(footer)}</footer>\n</body>\n</html>\n"
    )


def report_path(folder: str | Path) -> Path:
    """The file a report goes to: ``folder/report.html``, the folder (and its parents)
    created if missing. A path ending in ``.html`` is taken as the file itself (its
    folder created), for callers that name the file.

    Raises
    ------
    OutputError
        If the folder cannot be created or written in.
    """
    path = Path(folder)
    if path.suffix.lower() in (".html", ".htm"):
        output_folder(path.parent)
        return path
    return output_folder(path) / REPORT_FILE
