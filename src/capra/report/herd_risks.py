"""Report sections on what we do not know and what can go wrong: the sensitivity of the
milk to the uncertain parameters (:func:`capra.herd.uncertainty.sensitivity`), the health
figures (:func:`capra.herd.health.health_summary`) and the expected inbreeding of the
breeding stock (:func:`capra.herd.bucks.inbreeding`).

:func:`risk_sections` gives the ``(heading, html)`` pairs the herd report
(:mod:`capra.report.html`) places after its monthly milk table; a section whose figures
the result does not hold is left out.
"""

from __future__ import annotations

import calendar
import html

import numpy as np
from matplotlib.patches import Patch

from capra.report.parts import figure_html, new_figure, number, quantity, table_html

__all__ = ["risk_sections", "sensitivity_figure"]

#: Correlations smaller than this, in absolute value, are drawn grey: with 100
#: replicates, |rho| below about 0.2 is not told apart from zero (p > 0.05). [-]
FAINT_RHO = 0.2
FAINT_COLOR = "#bbbbbb"
#: Most factors drawn in the sensitivity figure. [-]
MAX_FACTORS_DRAWN = 12


def sensitivity_figure(table):
    """Horizontal bars of the rank correlations of each factor with the annual milk and
    the trough month's milk, strongest first."""
    rows = table.head(MAX_FACTORS_DRAWN).iloc[::-1]
    n = len(rows)
    fig, (ax,) = new_figure(1.2 + 0.36 * n)
    y = np.arange(n)
    month = calendar.month_name[int(table.attrs["trough_month"])]
    handles = []
    for offset, col, label, color in (
            (0.18, "rho_milk_per_year", "deliverable milk per year", "#2a7ab0"),
            (-0.18, "rho_trough_month_milk", f"milk in {month} (the trough)", "#c0392b")):
        values = np.nan_to_num(rows[col].to_numpy(float))
        colors = [color if abs(v) >= FAINT_RHO else FAINT_COLOR for v in values]
        ax.barh(y + offset, values, height=0.34, color=colors)
        handles.append(Patch(color=color, label=label))
    handles.append(Patch(color=FAINT_COLOR, label=f"|ρ| < {FAINT_RHO:g}"))
    ax.set_yticks(y)
    ax.set_yticklabels([str(f) for f in rows["factor"]], fontsize=8)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_xlim(-1, 1)
    ax.set_xlabel("Spearman rank correlation with the milk across replicates [-]")
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    return fig


def _sensitivity_section(result) -> str | None:
    from capra.herd.uncertainty import sensitivity

    table = sensitivity(result)
    rho = ["rho_milk_per_year", "rho_trough_month_milk"]
    if table is None or table.empty or table[rho].isna().all().all():
        return None              # nothing to rank (fewer than 3 replicates, or no milk)
    month = calendar.month_name[int(table.attrs["trough_month"])]
    n = table.attrs["replicates"]
    shown = table.rename(columns={"rho_milk_per_year": "rho_year",
                                  "rho_trough_month_milk": "rho_trough"})
    body = table_html(shown, [("rank", "rank"), ("factor", "uncertain parameter"),
                              ("distribution", "distribution"),
                              ("rho_year", "ρ milk per year"), ("p_milk_per_year", "p"),
                              ("rho_trough", f"ρ milk in {month}"),
                              ("p_trough_month_milk", "p")], fmt=number)
    caption = ("Each bar is the Spearman rank correlation, across replicates, between the "
               "value a replicate drew for an uncertain parameter and its deliverable milk "
               f"over the last 365 days (blue) or in {month}, the month with the least milk "
               "(red). Grey bars are too weak to tell from chance.")
    return (
        f"<p>Every replicate drew its own value of each uncertain parameter of the scenario "
        f"(a value given as a distribution), so the P10–P90 bands of this report hold what "
        f"we do not know as well as chance. The parameters are ranked by how strongly "
        f"their value orders the milk of the {n:,} replicates: ρ near +1 or −1 means the "
        f"parameter alone decides, near 0 that it hardly matters. Narrowing the "
        f"distribution of a parameter at the top of the table (from the farms' own "
        f"records) narrows the bands most. p is the chance of a correlation this strong "
        f"if the parameter did not matter.</p>"
        + figure_html(sensitivity_figure(table), "Sensitivity of the milk", caption)
        + body)


def _health_section(result) -> str | None:
    from capra.herd.health import health_summary

    table = health_summary(result)
    if table is None:
        return None
    share = table.attrs["share_with_outbreak"]
    return (
        table_html(table.reset_index(), [("figure", "over the whole horizon [units]"),
                                         ("p10", "P10"), ("p50", "P50"), ("p90", "P90")],
                   fmt=quantity)
        + f"<p>Totals over the horizon across replicates. At least one outbreak or abortion "
          f"storm happened in {share:.0%} of the replicates. Reactors are the animals that "
          "tested positive in quarantine (culled unless the test keeps them); deaths and "
          "abortions in outbreaks and deaths on the journey are part of the herd's deaths "
          "and abortions above. The scenario's <code>[health]</code> section states the "
          "tests, the outbreaks and their sources.</p>")


def _breeding_section(result) -> str | None:
    from capra.herd.bucks import inbreeding

    table = inbreeding(result)
    if table is None or table.empty or table["delta_f_p50"].isna().all():
        return None              # no bucks or no kidding in the last year: nothing to say
    years = table.attrs["outlook_years"]
    rows = []
    for _, r in table.iterrows():
        rows.append({
            "unit": r["unit"], "bucks": r["bucks_p50"], "does": r["does_p50"],
            "Ne": r["Ne_p50"], "dF": f"{r['delta_f_p50']:.2%}",
            "L": r["generation_years_p50"], "dF_year": f"{r['delta_f_per_year_p50']:.2%}",
            "F": f"{r['f_outlook_p50']:.1%} ({r['f_outlook_p10']:.1%}–"
                 f"{r['f_outlook_p90']:.1%})"})
    import pandas as pd

    body = table_html(pd.DataFrame(rows), [
        ("unit", "breeding unit"), ("bucks", "bucks Nm"), ("does", "does kidding Nf"),
        ("Ne", "Ne"), ("dF", "ΔF per generation"), ("L", "generation [years]"),
        ("dF_year", "ΔF per year"), ("F", f"F after {years} years (P10–P90)")])
    source = ("bought in from outside the herd: their kids are not inbred"
              if table.attrs["bought"] else "bred on the farms: the herd is closed")
    unit = ("the farms breed as one herd, because the bucks rotate between them"
            if table.attrs["rotation"] else "each farm breeds on its own")
    return (
        f"<p>The bucks are {html.escape(source)}; {html.escape(unit)}. The effective size of "
        "a breeding unit is Ne = 4 Nm Nf / (Nm + Nf) and its inbreeding rises by "
        "ΔF = 1 / (2 Ne) per generation (Wright 1931; Falconer and Mackay 1996), with Nm "
        "the bucks and Nf the does kidding in the last year of the horizon, and the "
        "generation interval the mean age of the parents at the birth of their kids "
        "(medians across replicates; FAO's DAD-IS takes 4 years for goats). FAO advises "
        "keeping ΔF below 1 % per generation, better below 0.5 % (FAO 1998, "
        "<i>Management of small populations at risk</i>); rotating bucks between farms, "
        "buying unrelated bucks or insemination with outside semen lowers it. Does bred by "
        "insemination are counted here as if bred by the farm's bucks, so with AI the "
        "figures are an upper bound.</p>" + body)


def risk_sections(result) -> list[tuple[str, str]]:
    """The ``(heading, html)`` sections this result has figures for: what we do not know
    (sensitivity), health, breeding stock."""
    out = []
    for heading, build in (("What we do not know", _sensitivity_section),
                           ("Health: testing, transport, outbreaks", _health_section),
                           ("Breeding stock and inbreeding", _breeding_section)):
        fragment = build(result)
        if fragment is not None:
            out.append((heading, fragment))
    return out
