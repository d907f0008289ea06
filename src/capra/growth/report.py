"""Self-contained HTML report of a growth survey: z-score distributions and prevalences.

The report is one HTML file with its figures embedded as base64 PNG images, so it can be
mailed or archived without its surroundings. Figures are drawn with Matplotlib's
object-oriented API (no global pyplot state).

Units: z-scores in z (SD units); prevalences and their 95 % confidence limits in percent;
``N`` is the unweighted number of children.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from capra.growth.prevalence import STANDARD_INDICATORS, Z_COLUMNS, PrevalenceResult
from capra.report.parts import png_data_uri, report_path

__all__ = ["html_report", "prevalence_figure", "write_report", "zscore_figure"]

_REFERENCE_NAMES = {
    "anthro": "WHO Child Growth Standards (2006), children 0–59 months",
    "anthroplus": "WHO Reference 2007, children and adolescents 5–19 years",
}


#: Resolution of the embedded figures. [dots per inch]
PNG_DPI = 110


def zscore_figure(z: pd.DataFrame, reference: str = "anthro",
                  weights: Sequence[float] | None = None) -> Figure:
    """Histogram of each indicator's z-scores against the standard normal density.

    Parameters
    ----------
    z
        One column per indicator label (``HA, WA, BMI, WH``), values in z; missing values
        are ignored. :func:`capra.growth.prevalence.analysis_zscores` gives this frame.
    reference
        ``"anthro"`` or ``"anthroplus"`` (chooses the indicator names).
    weights
        Sampling weights [persons per child]; the histograms are then weighted.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per indicator; the x axis is z [SD], the y axis density [1/SD].
    """
    labels = [k for k in Z_COLUMNS[reference] if k in z.columns]
    ncols = 2
    nrows = max(1, math.ceil(len(labels) / ncols))
    fig = Figure(figsize=(9, 3.2 * nrows))
    grid = np.linspace(-5, 5, 401)
    normal = np.exp(-grid ** 2 / 2) / math.sqrt(2 * math.pi)
    w_all = None if weights is None else np.asarray(weights, dtype=float)
    for k, label in enumerate(labels):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        v = z[label].to_numpy(dtype=float)
        ok = ~np.isnan(v)
        w = None if w_all is None else w_all[ok]
        if ok.sum() > 0 and (w is None or w.sum() > 0):
            ax.hist(v[ok], bins=np.arange(-6, 6.01, 0.25), weights=w, density=True,
                    color="#7aa6c2", edgecolor="white", label="survey")
            mean = np.average(v[ok], weights=w)
            ax.axvline(mean, color="#1f4e79", lw=1.2, ls="--", label=f"mean {mean:+.2f}")
        ax.plot(grid, normal, color="#c0392b", lw=1.5, label="WHO standard N(0, 1)")
        ax.set_xlim(-5.5, 5.5)
        ax.set_title(f"{label}: {Z_COLUMNS[reference][label][1]} (n = {int(ok.sum())})",
                     fontsize=10)
        ax.set_xlabel("z-score [SD]")
        ax.set_ylabel("density [1/SD]")
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig


def prevalence_figure(table: pd.DataFrame, reference: str = "anthro",
                      indicators: Sequence[tuple[str, str]] | None = None) -> Figure:
    """Prevalence with its 95 % confidence interval, by group, one panel per indicator.

    Parameters
    ----------
    table
        Output of :func:`capra.growth.prevalence.prevalence`.
    reference
        ``"anthro"`` or ``"anthroplus"``.
    indicators
        (label, column prefix) pairs; default: WHO's standard cut-offs for the reference.

    Returns
    -------
    matplotlib.figure.Figure
        The x axis is prevalence [%]; groups with no children are left empty.
    """
    indicators = list(indicators or STANDARD_INDICATORS[reference])
    groups = table["Group"].astype(str).tolist()
    ncols = min(3, len(indicators))
    nrows = math.ceil(len(indicators) / ncols)
    height = max(3.0, 0.22 * len(groups) + 1.2)
    fig = Figure(figsize=(4.2 * ncols, height * nrows))
    y = np.arange(len(groups))[::-1]
    for k, (label, prefix) in enumerate(indicators):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        r = table[f"{prefix}_r"].to_numpy(dtype=float)
        ll = table[f"{prefix}_ll"].to_numpy(dtype=float)
        ul = table[f"{prefix}_ul"].to_numpy(dtype=float)
        ok = ~np.isnan(r)
        err = np.vstack([r - ll, ul - r])[:, ok]
        ax.errorbar(r[ok], y[ok], xerr=np.nan_to_num(err), fmt="o", ms=3.5,
                    color="#1f4e79", ecolor="#7aa6c2", capsize=2)
        ax.set_yticks(y)
        ax.set_yticklabels(groups if k % ncols == 0 else [""] * len(groups), fontsize=7)
        ax.set_xlabel("prevalence [%]")
        ax.set_title(label, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(left=0)
    fig.tight_layout()
    return fig


def _fmt(v: float, digits: int) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def _summary_table(table: pd.DataFrame, reference: str) -> str:
    inds = STANDARD_INDICATORS[reference]
    head = "".join(f"<th>{html.escape(label)}</th>" for label, _ in inds)
    z_heads = "".join(f"<th>mean {k}</th>" for k in Z_COLUMNS[reference])
    rows = []
    for _, row in table.iterrows():
        cells = [f"<td class='g'>{html.escape(str(row['Group']))}</td>",
                 f"<td>{int(row['HAZ_unwpop'])}</td>"]
        for _, prefix in inds:
            cells.append(f"<td>{_fmt(row[f'{prefix}_r'], 1)} "
                         f"<span class='ci'>({_fmt(row[f'{prefix}_ll'], 1)}–"
                         f"{_fmt(row[f'{prefix}_ul'], 1)})</span></td>")
        for k in Z_COLUMNS[reference]:
            cells.append(f"<td>{_fmt(row[f'{k}_r'], 2)} "
                         f"<span class='ci'>SD {_fmt(row[f'{k}_stdev'], 2)}</span></td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><thead><tr><th>Group</th><th>N (HAZ)</th>{head}{z_heads}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1200px;
color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.8em}th,td{border:1px solid #ddd;padding:3px 6px;
text-align:right}th{background:#f2f5f8}td.g{text-align:left;white-space:nowrap}
.ci{color:#777;font-size:.9em}img{max-width:100%}dl{display:grid;
grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}
.note{color:#555;font-size:.85em}
"""


def html_report(table: pd.DataFrame, z: pd.DataFrame, *, reference: str = "anthro",
                title: str = "Child growth survey", source: str | None = None,
                design_note: str | None = None) -> str:
    """Build the self-contained HTML report.

    Parameters
    ----------
    table
        Output of :func:`capra.growth.prevalence.prevalence`.
    z
        Output of :func:`capra.growth.prevalence.analysis_zscores` (z-scores [z] and
        ``weight`` [persons per child]).
    reference
        ``"anthro"`` or ``"anthroplus"``.
    title
        Report title.
    source
        Name of the input file, shown in the header.
    design_note
        One line describing the survey design (weights, clusters, strata).

    Returns
    -------
    str
        A complete HTML document; figures are embedded as base64 PNG.
    """
    info: PrevalenceResult | None = table.attrs.get("prevalence")
    weights = z["weight"].to_numpy(dtype=float) if "weight" in z.columns else None
    fig_z = png_data_uri(zscore_figure(z, reference, weights), dpi=PNG_DPI,
                         bbox_inches="tight")
    fig_p = png_data_uri(prevalence_figure(table, reference), dpi=PNG_DPI,
                         bbox_inches="tight")
    facts: list[tuple[str, str]] = [("Reference", _REFERENCE_NAMES.get(reference, reference))]
    if source:
        facts.append(("Input", source))
    if info is not None:
        facts += [("Rows read", f"{info.rows_in}"), ("Rows in scope", f"{info.rows_used}"),
                  ("Design degrees of freedom", f"{info.degf}")]
        facts += [(f"Excluded/changed: {k}", f"{v}") for k, v in info.excluded.items()]
    if design_note:
        facts.append(("Design", design_note))
    dl = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<dl>{dl}</dl>
<h2>Prevalence by group</h2>
<p class="note">Prevalence in percent with its 95 % confidence interval (logit interval,
design-based standard errors by Taylor linearisation, as WHO's <code>anthro</code> /
<code>anthroplus</code>). Children with bilateral oedema count as severely wasted,
underweight and thin. Flagged z-scores (WHO limits) are excluded.</p>
{_summary_table(table, reference)}
<p><img alt="Prevalence with 95% confidence intervals by group" src="{fig_p}"></p>
<h2>z-score distributions</h2>
<p class="note">Histograms of the z-scores used in the analysis (weighted by the sampling
weights when given) against the standard normal curve of the WHO reference population.
A shift of the histogram to the left of the curve shows a deficit in the population.</p>
<p><img alt="z-score distributions against the standard normal" src="{fig_z}"></p>
<p class="note">Sources: WHO Child Growth Standards (2006); WHO Reference 2007.
Generated by Capra.</p>
</body></html>
"""


def write_report(table: pd.DataFrame, z: pd.DataFrame, folder: str | Path,
                 **kwargs: Mapping) -> Path:
    """Write :func:`html_report` of a prevalence ``table`` and its z-scores ``z`` as
    ``folder/report.html`` (UTF-8), creating the folder; a path ending in ``.html`` is
    the report file itself. Returns the file (the shape of
    :func:`capra.report.write_report`)."""
    path = report_path(folder)
    path.write_text(html_report(table, z, **kwargs), encoding="utf-8")
    return path
