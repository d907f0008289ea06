"""Figures of a herd and milk simulation (:class:`capra.herd.result.HerdResult`).

Every function takes a result and returns a :class:`matplotlib.figure.Figure` drawn with
Matplotlib's object-oriented API on the Agg canvas: no pyplot state, no window, safe to call
from a command line or a worker process. Bands and error bars are the 10th to 90th
percentiles across replicates (P10–P90), lines are medians (P50), unless a docstring says
otherwise.

Units: animals [head]; kiddings [1/month]; milk [kg/day]; rations [rations/day], a
ration being a school child's daily serving of fresh milk with the scenario's product data
(:data:`capra.planning.products.RATION`, :meth:`capra.herd.result.HerdResult.rations`).
"""

from __future__ import annotations

import calendar

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator
from matplotlib.figure import Figure

from capra.report.parts import date_axis, new_figure

__all__ = [
    "HERD_CLASSES",
    "PERCENTILES",
    "head_by_farm_figure",
    "herd_classes_figure",
    "kiddings_by_month",
    "kiddings_by_month_figure",
    "milk_figure",
    "monthly_milk",
    "monthly_milk_figure",
    "report_figures",
]

#: The percentiles drawn as band low, line, band high. [%]
PERCENTILES = (10.0, 50.0, 90.0)

#: Herd classes that partition the herd, in drawing order: (variable, label).
HERD_CLASSES = (
    ("kids", "kids"),
    ("doelings", "doelings"),
    ("bucklings", "bucklings"),
    ("bucks", "bucks"),
    ("does_in_milk", "does in milk"),
    ("does_dry", "dry does"),
)

_MONTH_ABBR = tuple(calendar.month_abbr[m] for m in range(1, 13))
_BAND_ALPHA = 0.22


# ---- helpers --------------------------------------------------------------------------

def _dates(result) -> np.ndarray:
    return pd.DatetimeIndex(result.data["date"].values).to_numpy()


def _total(result, name: str, farms=None) -> np.ndarray:
    """A variable summed over locations (or over ``farms``): array (replicate, date)."""
    da = result.data[name]
    if farms is not None:
        da = da.sel(farm=list(farms))
    return np.asarray(da.sum("farm").values, dtype=float)


def _percentiles(values: np.ndarray, axis: int = 0) -> np.ndarray:
    """P10, P50, P90 along ``axis`` (linear interpolation, as xarray's quantile)."""
    return np.percentile(values, PERCENTILES, axis=axis)


def _date_axis(ax) -> None:
    date_axis(ax, AutoDateLocator(minticks=4, maxticks=10))
    ax.set_xlabel("date")
    ax.margins(x=0)


def _band(ax, x, q: np.ndarray, color, label: str, *, linestyle="-", linewidth=1.6,
          band: bool = True):
    """Draw the P50 line of ``q`` (3, n) and, if ``band``, its P10–P90 band."""
    if band:
        ax.fill_between(x, q[0], q[2], color=color, alpha=_BAND_ALPHA, linewidth=0)
    (line,) = ax.plot(x, q[1], color=color, linestyle=linestyle, linewidth=linewidth,
                      label=label)
    return line


def _ration_axis(ax, result):
    """A right-hand axis in rations per day matching a left axis in kg/day."""
    per_kg = float(result.rations(1.0))
    sec = ax.secondary_yaxis("right", functions=(lambda kg: kg * per_kg,
                                                  lambda r: r / per_kg))
    sec.set_ylabel("rations [rations/day]")
    return sec


def _farm_names(result) -> list[str]:
    ds = result.data
    kinds = ds["kind"].values if "kind" in ds.coords else np.full(ds.sizes["farm"], "farm")
    return [str(f) for f, k in zip(ds["farm"].values, kinds, strict=True) if k == "farm"]


def _capacity(result) -> dict[str, float]:
    """Capacity of each farm [head]; farms without a known capacity are left out."""
    ds = result.data
    if "capacity_head" not in ds.coords:
        return {}
    out = {}
    for f, cap in zip(ds["farm"].values, ds["capacity_head"].values, strict=True):
        if str(f) in _farm_names(result) and cap > 0:
            out[str(f)] = float(cap)
    return out


# ---- tables shared by figures and report -----------------------------------------------

def kiddings_by_month(result) -> pd.DataFrame:
    """Kiddings in each calendar month, as a mean per year of the horizon.

    For each replicate, the kiddings of all days falling in a calendar month are summed and
    divided by the number of that month's occurrences in the horizon (a partly covered month
    counts as its covered fraction). Returns a frame indexed by month number 1–12 with the
    columns ``mean`` (across replicates) and ``p10, p50, p90`` [kiddings/month]; months the
    horizon does not cover are NaN.
    """
    dates = pd.DatetimeIndex(result.data["date"].values)
    counts = _total(result, "kiddings")                      # (replicate, date)
    month = dates.month.to_numpy()
    covered = np.zeros(12)
    per_month = np.full((counts.shape[0], 12), np.nan)
    days_in_month = dates.days_in_month.to_numpy()
    for m in range(1, 13):
        sel = month == m
        if not sel.any():
            continue
        covered[m - 1] = np.sum(1.0 / days_in_month[sel])   # occurrences of month m
        per_month[:, m - 1] = counts[:, sel].sum(axis=1) / covered[m - 1]
    ok = covered > 0
    q = np.full((3, 12), np.nan)
    q[:, ok] = _percentiles(per_month[:, ok])
    mean = np.full(12, np.nan)
    mean[ok] = per_month[:, ok].mean(axis=0)
    return pd.DataFrame({"mean": mean, "p10": q[0], "p50": q[1], "p90": q[2]},
                        index=pd.Index(range(1, 13), name="month"))


def monthly_milk(result, name: str = "milk_kg") -> pd.DataFrame:
    """Mean daily milk of each calendar month over the last 365 days of the horizon.

    Returns a frame indexed by month number 1–12 with the columns ``p10, p50, p90`` [kg/day]
    (percentiles across replicates of each replicate's monthly mean) and
    ``rations_p10, rations_p50, rations_p90`` [rations/day]. Months outside the
    last 365 days (horizons shorter than a year) are NaN.
    """
    ds = result.data
    n = ds.sizes["date"]
    start = max(n - 365, 0)
    dates = pd.DatetimeIndex(ds["date"].values[start:])
    milk = np.asarray(ds[name].isel(date=slice(start, n)).sum("farm").values, dtype=float)
    month = dates.month.to_numpy()
    per_month = np.full((milk.shape[0], 12), np.nan)
    for m in range(1, 13):
        sel = month == m
        if sel.any():
            per_month[:, m - 1] = milk[:, sel].mean(axis=1)
    q = np.full((3, 12), np.nan)
    ok = np.isfinite(per_month).all(axis=0)
    q[:, ok] = _percentiles(per_month[:, ok])
    out = pd.DataFrame({"p10": q[0], "p50": q[1], "p90": q[2]},
                       index=pd.Index(range(1, 13), name="month"))
    for col in ("p10", "p50", "p90"):
        out[f"rations_{col}"] = result.rations(out[col].to_numpy())
    return out


# ---- figures ---------------------------------------------------------------------------

def herd_classes_figure(result) -> Figure:
    """Herd by class over time, and the whole herd against total farm capacity.

    Top panel: one P50 line with a P10–P90 band for each class of :data:`HERD_CLASSES`
    (all locations summed) [head]. Bottom panel: the P50 line and P10–P90 band of the
    total head, and a horizontal line at the summed capacity of the farms [head].
    """
    fig, (ax, ax_total) = new_figure(7.2, nrows=2, sharex=True, height_ratios=(3, 2))
    x = _dates(result)
    colors = ("#f2a541", "#d35f8d", "#5fa8d3", "#1b4965", "#2a9d8f", "#8d99ae")
    for (name, label), color in zip(HERD_CLASSES, colors, strict=True):
        _band(ax, x, _percentiles(_total(result, name)), color, label)
    ax.set_ylabel("animals [head]")
    ax.set_title("Herd by class (P50, band P10–P90 across replicates)")
    ax.legend(ncols=3, fontsize="small", loc="upper left")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)

    _band(ax_total, x, _percentiles(_total(result, "head")), "#333333", "whole herd")
    capacity = sum(_capacity(result).values())
    if capacity > 0:
        ax_total.axhline(capacity, color="#c1121f", linestyle="--", linewidth=1.3,
                         label=f"farm capacity ({capacity:,.0f} head)")
    ax_total.set_ylabel("animals [head]")
    ax_total.set_title("Whole herd against total farm capacity")
    ax_total.legend(fontsize="small", loc="upper left")
    ax_total.set_ylim(bottom=0)
    ax_total.grid(alpha=0.3)
    _date_axis(ax_total)
    return fig


def milk_figure(result) -> Figure:
    """Daily milk over time [kg/day], with a right-hand axis in rations per day.

    Deliverable milk (``milk_kg``) as P50 line with P10–P90 band; the P50 of gross milk and
    of milk fed to kids as thinner lines.
    """
    fig, (ax,) = new_figure(4.6)
    x = _dates(result)
    _band(ax, x, _percentiles(_total(result, "milk_kg")), "#1d7874", "deliverable milk")
    _band(ax, x, _percentiles(_total(result, "milk_gross_kg")), "#7a7a7a",
          "gross milk (P50)", linestyle=":", linewidth=1.2, band=False)
    _band(ax, x, _percentiles(_total(result, "milk_fed_kids_kg")), "#e76f51",
          "fed to kids (P50)", linestyle="--", linewidth=1.2, band=False)
    ax.set_ylabel("milk [kg/day]")
    ax.set_ylim(bottom=0)
    ax.set_title("Daily milk (deliverable: P50, band P10–P90 across replicates)")
    ax.legend(fontsize="small", loc="upper left")
    ax.grid(alpha=0.3)
    _ration_axis(ax, result)
    _date_axis(ax)
    return fig


def _month_bars(ax, centre, p10, p90, color: str, label: str) -> None:
    """Twelve monthly bars at ``centre`` with error bars from P10 to P90 (NaN drawn as 0)."""
    lo = np.clip(centre - p10, 0, None)
    hi = np.clip(p90 - centre, 0, None)
    ax.bar(np.arange(12), np.nan_to_num(centre), color=color, width=0.7, label=label,
           yerr=np.nan_to_num(np.vstack([lo, hi])), capsize=3,
           error_kw={"elinewidth": 1, "ecolor": "#333333"})


def kiddings_by_month_figure(result) -> Figure:
    """Kiddings by calendar month: 12 bars of the mean per year across replicates
    [kiddings/month], error bars from P10 to P90 (see :func:`kiddings_by_month`)."""
    table = kiddings_by_month(result)
    fig, (ax,) = new_figure(4.0)
    pos = np.arange(12)
    mean = table["mean"].to_numpy()
    _month_bars(ax, mean, table["p10"].to_numpy(), table["p90"].to_numpy(), "#d35f8d",
                "mean per year")
    ax.set_xticks(pos, _MONTH_ABBR)
    ax.set_xlabel("calendar month")
    ax.set_ylabel("kiddings [kiddings/month]")
    ax.set_title("Kiddings by calendar month (mean per year over the horizon, "
                 "error bars P10–P90)")
    ax.grid(axis="y", alpha=0.3)
    return fig


def head_by_farm_figure(result) -> Figure:
    """Head by location over time [head]: one P50 line per farm with its capacity as a
    dotted line of the same colour; quarantine stations that ever hold animals are drawn
    dashed, without capacity."""
    fig, (ax,) = new_figure(4.6)
    x = _dates(result)
    ds = result.data
    farms = set(_farm_names(result))
    capacity = _capacity(result)
    colors = [f"C{i}" for i in range(10)]
    k = 0
    for loc in ds["farm"].values:
        loc = str(loc)
        head = np.asarray(ds["head"].sel(farm=loc).values, dtype=float)
        is_farm = loc in farms
        if not is_farm and not head.any():
            continue
        color = colors[k % len(colors)]
        k += 1
        p50 = np.percentile(head, 50.0, axis=0)
        label = loc if is_farm else f"{loc} (quarantine)"
        ax.plot(x, p50, color=color, linewidth=1.5, linestyle="-" if is_farm else "--",
                label=label)
        if loc in capacity:
            ax.axhline(capacity[loc], color=color, linestyle=":", linewidth=1.1)
    ax.set_ylabel("animals [head]")
    ax.set_ylim(bottom=0)
    ax.set_title("Head by location (P50 across replicates; dotted: farm capacity)")
    ax.legend(fontsize="small", ncols=2, loc="upper left")
    ax.grid(alpha=0.3)
    _date_axis(ax)
    return fig


def monthly_milk_figure(result) -> Figure:
    """Mean daily deliverable milk by calendar month over the last 365 days: 12 bars of the
    P50 with P10–P90 error bars [kg/day], a right-hand axis in rations/day, and the
    lowest month marked (see :func:`monthly_milk`)."""
    table = monthly_milk(result)
    fig, (ax,) = new_figure(4.2)
    pos = np.arange(12)
    p50 = table["p50"].to_numpy()
    _month_bars(ax, p50, table["p10"].to_numpy(), table["p90"].to_numpy(), "#1d7874", "P50")
    if np.isfinite(p50).any():
        i = int(np.nanargmin(p50))
        ax.patches[i].set_facecolor("#c1121f")
        top = float(np.nanmax(table["p90"].to_numpy())) * 1.3 or 1.0
        ax.set_ylim(0, top)
        ax.annotate(f"lowest month: {_MONTH_ABBR[i]}, {p50[i]:,.0f} kg/day "
                    f"≈ {float(result.rations(p50[i])):,.0f} rations/day",
                    xy=(pos[i], table["p90"].iloc[i]),
                    xytext=(float(np.clip(pos[i], 2.5, 8.5)), 0.95 * top),
                    ha="center", va="top", fontsize="small",
                    bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "#c1121f"},
                    arrowprops={"arrowstyle": "->", "color": "#c1121f"})
    ax.set_xticks(pos, _MONTH_ABBR)
    ax.set_xlabel("calendar month (last 365 days of the horizon)")
    ax.set_ylabel("milk [kg/day]")
    ax.set_title("Deliverable milk by month (mean daily, P50; error bars P10–P90)")
    ax.grid(axis="y", alpha=0.3)
    _ration_axis(ax, result)
    return fig


def report_figures(result) -> list[tuple[str, Figure]]:
    """All report figures in report order, as (key, figure)."""
    return [
        ("herd_classes", herd_classes_figure(result)),
        ("milk", milk_figure(result)),
        ("kiddings_by_month", kiddings_by_month_figure(result)),
        ("head_by_farm", head_by_farm_figure(result)),
        ("monthly_milk", monthly_milk_figure(result)),
    ]
