"""Growth monitoring: children's measurements scored against WHO references, and the
prevalence of stunting, wasting and underweight by site and district over time.

:func:`growth_records` scores every recorded measurement with :func:`capra.growth.zscores`
(WHO Child Growth Standards under 5 years, WHO Reference 2007 from 5 to 19 years, with
WHO's flags of implausible values) and labels it with the child's site, district and the
period of the measurement (:func:`child_growth` does the same for one child's
measurements). :func:`growth_prevalence` estimates, per group and period, the share of
children below the cut-offs with the survey estimator of the prevalence tables
(:func:`capra.growth.survey.domain_estimates`: one child one sampling unit, logit 95 %
intervals); :func:`monitoring_sections` turns them into sections of the HTML report.

Indicators (WHO cut-offs; a flagged z-score is left out of its indicator)
--------------------------------------------------------------------------
``stunting``
    Length/height-for-age z < -2 (0-5 years: ``zlen``; 5-19 years: ``zhfa``).
``wasting``
    Weight-for-length/height z < -2 or bilateral oedema, children under 5 (``zwfl``).
``thinness``
    BMI-for-age z < -2 or bilateral oedema, 5-19 years (``zbfa``); wasting is not defined
    from 5 years, thinness is its counterpart.
``underweight``
    Weight-for-age z < -2 or bilateral oedema (0-5 years ``zwei``; 5-10 years ``zwfa``).

Prevalences, standard errors and limits are in percent (0-100); ``n`` counts children
with a valid z-score. A child measured twice in one period counts twice.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from capra.errors import ArgumentError, DataError
from capra.growth.survey import domain_estimates, survey_design
from capra.growth.zscore import zscores
from capra.rates import DAYS_PER_MONTH
from capra.store.query import child_measurements

__all__ = [
    "INDICATORS",
    "PrevalenceIndicator",
    "child_growth",
    "growth_prevalence",
    "growth_records",
    "monitoring_sections",
    "period_labels",
    "prevalence_figure",
]


@dataclass(frozen=True)
class PrevalenceIndicator:
    """A share of children below a z-score cut-off (see the module)."""

    label: str
    """Heading of the indicator in tables and figures."""
    z_columns: tuple[str, ...]
    """z-score columns of :func:`capra.growth.zscores`, the first that holds a value
    counts (0-5 years, then 5-19 years)."""
    flag_columns: tuple[str, ...]
    """WHO flag column of each z-score column; a flagged z-score is left out."""
    oedema_counts: bool
    """Bilateral oedema counts as a case (in the indicator's age range)."""


#: The indicators of growth monitoring, by name.
INDICATORS: dict[str, PrevalenceIndicator] = {
    "stunting": PrevalenceIndicator("Stunting (HAZ < -2)", ("zlen", "zhfa"), ("flen", "fhfa"),
                                    False),
    "wasting": PrevalenceIndicator("Wasting, under 5 (WHZ < -2 or oedema)", ("zwfl",),
                                   ("fwfl",), True),
    "thinness": PrevalenceIndicator("Thinness, 5-19 y (BAZ < -2 or oedema)", ("zbfa",),
                                    ("fbfa",), True),
    "underweight": PrevalenceIndicator("Underweight (WAZ < -2 or oedema)", ("zwei", "zwfa"),
                                       ("fwei", "fwfa"), True),
}
#: z-score cut-off of the indicators. [z]
CUTOFF_Z = -2.0
#: Periods: pandas frequency and label format.
PERIODS = {"year": "Y", "half-year": "half", "quarter": "Q"}


def period_labels(dates: pd.Series, period: str = "half-year") -> pd.Series:
    """Label of the period of each date: ``2025``, ``2025-H1`` or ``2025-Q3``."""
    d = pd.to_datetime(dates)
    year = d.dt.year.astype(str)
    if period == "year":
        return year
    if period == "half-year":
        return year + "-H" + ((d.dt.month > 6).astype(int) + 1).astype(str)
    if period == "quarter":
        return year + "-Q" + d.dt.quarter.astype(str)
    raise ArgumentError(f"period={period!r}: expected one of {', '.join(PERIODS)}")


def growth_records(db, *, period: str = "half-year") -> pd.DataFrame:
    """Every recorded measurement with its child, site and WHO z-scores.

    ``db`` is an open records database, or its URL or SQLite path.

    Returns
    -------
    One row per measurement: ``child, sex, birth_date, site, site_kind, district, date,
    period, age_days`` [days], ``age_months`` [months], ``weight_kg`` [kg],
    ``height_cm`` [cm], ``measured``, ``oedema`` and the z-scores and flags of
    :func:`capra.growth.zscores` (``zlen, flen, zwei, fwei, zwfl, fwfl, zbmi, ...,
    zhfa, fhfa, zwfa, fwfa, zbfa, fbfa``) [z; flags 0/1].
    """
    df = child_measurements(db)
    df["date"] = pd.to_datetime(df["date"])
    df["birth_date"] = pd.to_datetime(df["birth_date"])
    df["period"] = period_labels(df["date"], period)
    df["age_days"] = (df["date"] - df["birth_date"]).dt.days
    df["age_months"] = df["age_days"] / DAYS_PER_MONTH
    df["oedema"] = df["oedema"].astype(bool)
    if df.empty:
        return df
    return _with_zscores(df, df["sex"])


def child_growth(child: dict, measurements: pd.DataFrame) -> pd.DataFrame:
    """One child's recorded measurements with the age and WHO z-scores of each.

    Parameters
    ----------
    child
        The child's record: ``sex`` (``female`` or ``male``) and ``birth_date``.
    measurements
        Its measurements: ``date``, ``weight_kg`` [kg], ``height_cm`` [cm], ``measured``
        (l or h), ``muac_cm`` [cm], ``oedema``.

    Returns
    -------
    ``measurements`` with ``age_days`` [days] and the z-scores and flags of
    :func:`capra.growth.zscores` [z; flags 0/1] (unchanged when empty).
    """
    if not len(measurements):
        return measurements
    m = measurements.copy()
    m["age_days"] = (pd.to_datetime(m["date"]) - pd.Timestamp(child["birth_date"])).dt.days
    return _with_zscores(m, child["sex"])


def _with_zscores(m: pd.DataFrame, sex) -> pd.DataFrame:
    """``m`` (``age_days`` [days], ``weight_kg``, ``height_cm``, ``measured``, ``muac_cm``,
    ``oedema``) with the z-score and flag columns of :func:`capra.growth.zscores`; ``sex``
    (``female``/``male``) per row or one for every row."""
    sex = pd.Series(np.broadcast_to(np.asarray(sex, dtype=object), (len(m),)))
    z = zscores(sex=sex.map({"male": 1, "female": 2}).to_numpy(),
                age=m["age_days"].to_numpy(float), age_unit="days",
                weight=m["weight_kg"].to_numpy(float, na_value=np.nan),
                lenhei=m["height_cm"].to_numpy(float, na_value=np.nan),
                measure=m["measured"].fillna("").to_numpy(object),
                oedema=np.where(m["oedema"].astype(bool), "y", "n"),
                armc=m["muac_cm"].to_numpy(float, na_value=np.nan))
    z.index = m.index
    keep = [c for c in z.columns if c.startswith(("z", "f")) and c not in m.columns]
    return pd.concat([m, z[keep]], axis=1)


def _indicator(rec: pd.DataFrame, name: str) -> np.ndarray:
    """1 below the cut-off, 0 at or above it, NaN out of scope or flagged."""
    ind = INDICATORS[name]
    y = np.full(len(rec), np.nan)
    for zc, fc in zip(ind.z_columns, ind.flag_columns):
        if zc not in rec:
            continue
        z = rec[zc].to_numpy(dtype=float, na_value=np.nan)
        flag = rec[fc].to_numpy(dtype=float, na_value=np.nan) if fc in rec else np.zeros(len(rec))
        ok = np.isfinite(z) & (flag != 1) & np.isnan(y)
        y = np.where(ok, (z < CUTOFF_Z).astype(float), y)
    if ind.oedema_counts:
        scope = rec["age_months"].to_numpy(float)
        in_scope = {"wasting": scope < 60, "thinness": (scope >= 60) & (scope <= 228),
                    "underweight": scope <= 120}[name]
        y = np.where(rec["oedema"].to_numpy(bool) & in_scope, 1.0, y)
    return y


def growth_prevalence(db_or_records, *, by: str | tuple[str, ...] = "district",
                      period: str = "half-year",
                      indicators: tuple[str, ...] = tuple(INDICATORS)) -> pd.DataFrame:
    """Prevalence of each indicator per group and period.

    Parameters
    ----------
    db_or_records
        A records database (open, or its URL or path), or the frame of
        :func:`growth_records`.
    by
        Column(s) that define the groups: ``"district"``, ``"site"``, ``"site_kind"``, or
        several; ``()`` for all children together.
    period
        ``"half-year"``, ``"year"`` or ``"quarter"``.
    indicators
        Names from :data:`INDICATORS`.

    Returns
    -------
    Long table, one row per group, period and indicator: the ``by`` columns, ``period``,
    ``indicator``, ``label``, ``n`` (children with a valid z-score) [count],
    ``cases`` [count], ``prevalence_pct``, ``se_pct``, ``ci95_low``, ``ci95_high``
    [percent]. Groups without a valid z-score for an indicator are left out.
    """
    rec = (db_or_records if isinstance(db_or_records, pd.DataFrame)
           else growth_records(db_or_records, period=period))
    if isinstance(db_or_records, pd.DataFrame) and "period" not in rec:
        raise DataError("the records frame has no 'period' column; use growth_records()")
    by = (by,) if isinstance(by, str) else tuple(by)
    keys = list(by) + ["period"]
    cols = keys + ["indicator", "label", "n", "cases", "prevalence_pct", "se_pct",
                   "ci95_low", "ci95_high"]
    if rec.empty:
        return pd.DataFrame(columns=cols)
    codes, levels = pd.factorize(pd.MultiIndex.from_frame(rec[keys].astype(str)), sort=True)
    design = survey_design(n=len(rec))
    parts = []
    for name in indicators:
        y = _indicator(rec, name)
        est = domain_estimates(design, y, codes, len(levels), proportion=True)
        cases = np.bincount(codes, weights=np.nan_to_num(y), minlength=len(levels))
        part = pd.DataFrame(list(levels), columns=keys)
        part["indicator"] = name
        part["label"] = INDICATORS[name].label
        part["n"] = est["unwpop"].to_numpy().astype(int)
        part["cases"] = cases.astype(int)
        part["prevalence_pct"] = est["r"].to_numpy()
        part["se_pct"] = est["se"].to_numpy()
        part["ci95_low"] = est["ll"].to_numpy()
        part["ci95_high"] = est["ul"].to_numpy()
        parts.append(part[part["n"] > 0])
    return pd.concat(parts, ignore_index=True)[cols]


def prevalence_figure(table: pd.DataFrame, *, by: str = "district",
                      indicators: tuple[str, ...] = ("stunting", "wasting", "underweight")):
    """Matplotlib figure: prevalence over the periods, one line per group (with 95 %
    intervals as error bars), one panel per indicator."""
    from matplotlib.figure import Figure

    inds = [i for i in indicators if i in set(table["indicator"])]
    fig = Figure(figsize=(4.0 * max(len(inds), 1), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(inds), 1), sharey=False))
    periods = sorted(table["period"].unique())
    x_of = {p: i for i, p in enumerate(periods)}
    groups = sorted(table[by].unique()) if by in table else ["all"]
    for ax, ind in zip(axes, inds):
        sub = table[table["indicator"] == ind]
        for k, g in enumerate(groups):
            s = sub[sub[by] == g] if by in sub else sub
            s = s.sort_values("period")
            x = s["period"].map(x_of).to_numpy(float) + (k - (len(groups) - 1) / 2) * 0.04
            y = s["prevalence_pct"].to_numpy()
            err = np.vstack([y - s["ci95_low"].to_numpy(), s["ci95_high"].to_numpy() - y])
            ax.errorbar(x, y, yerr=err, marker="o", markersize=3, capsize=2, linewidth=1,
                        label=str(g))
        ax.set_xticks(range(len(periods)), periods, rotation=45, fontsize=8)
        ax.set_title(INDICATORS[ind].label, fontsize=9)
        ax.set_ylabel("children [%]")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    if inds:
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 4),
                   fontsize=7, title=by, title_fontsize=7)
    return fig


def _cells(t: pd.DataFrame) -> pd.Series:
    """``prevalence (low–high)`` and ``cases/n`` of each row, as HTML."""
    f = lambda s: s.map("{:.1f}".format)
    return (f(t["prevalence_pct"]) + " (" + f(t["ci95_low"]) + "–" + f(t["ci95_high"])
            + ")<br><small>" + t["cases"].astype(str) + "/" + t["n"].astype(str) + "</small>")


def _html_table(table: pd.DataFrame, keys: list[str],
                indicators: tuple[str, ...]) -> str:
    """One row per group and period, one column per indicator."""
    t = table[table["indicator"].isin(indicators)].copy()
    t["cell"] = _cells(t)
    wide = t.pivot_table(index=keys, columns="indicator", values="cell", aggfunc="first")
    wide = wide.reindex(columns=[i for i in indicators if i in wide.columns])
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys) + "".join(
        f"<th>{html.escape(INDICATORS[i].label)}</th>" for i in wide.columns)
    body = []
    for idx, row in wide.iterrows():
        idx = idx if isinstance(idx, tuple) else (idx,)
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in idx)
        cells += "".join(f'<td class="num">{v if isinstance(v, str) else ""}</td>'
                         for v in row.to_numpy())
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def monitoring_sections(db, *, period: str = "half-year") -> list[tuple[str, str]]:
    """Sections of the HTML report on children's growth: ``[(heading, html), ...]``.

    The first section has a figure of stunting, wasting and underweight over the periods
    by district and a table by district and period; the second a table by site and
    period. Each cell reads ``prevalence (95 % interval)`` in percent, with
    ``cases/children``. Without measurements, one section says so.
    """
    from capra.report.parts import png_data_uri  # matplotlib, for the report only

    rec = growth_records(db, period=period)
    if rec.empty:
        return [("Children's growth", "<p>No measurements are recorded.</p>")]
    inds = tuple(INDICATORS)
    by_district = growth_prevalence(rec, by="district", period=period)
    by_site = growth_prevalence(rec, by=("district", "site"), period=period)
    overall = growth_prevalence(rec, by=(), period=period)
    fig = prevalence_figure(by_district, by="district")
    n_children = rec["child"].nunique()
    intro = (f"<p>{len(rec)} measurements of {n_children} children at "
             f"{rec['site'].nunique()} sites in {rec['district'].nunique()} districts, "
             f"{rec['date'].min():%Y-%m-%d} to {rec['date'].max():%Y-%m-%d}, scored against "
             "the WHO Child Growth Standards (under 5 years) and the WHO Reference 2007 "
             "(5-19 years); flagged z-scores are left out. Each cell: prevalence in percent "
             "(95 % interval), and cases/children measured.</p>")
    first = (intro + f'<figure><img src="{png_data_uri(fig)}" alt="Prevalence by district">'
             "<figcaption>Prevalence by district and period; bars are 95 % intervals "
             "(logit).</figcaption></figure>"
             + "<h3>All children</h3>" + _html_table(overall, ["period"], inds)
             + "<h3>By district</h3>" + _html_table(by_district, ["district", "period"], inds))
    second = _html_table(by_site, ["district", "site", "period"], inds)
    return [("Children's growth by district", first), ("Children's growth by site", second)]
