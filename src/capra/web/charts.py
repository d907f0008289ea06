"""Figures of the pages as inline SVG, drawn on the server.

No plotting library runs in the browser: each figure is a small SVG whose marks carry their
values (``data-tip`` for the page's tooltip script, ``<title>`` for any browser), and
scales with the width of the screen (``viewBox``). Colours come from the stylesheet
(classes ``s0`` ... ``s7``), so the Content-Security-Policy needs no inline style. Every
text is escaped.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd
from markupsafe import Markup

__all__ = ["Series", "line_chart", "nice_ticks"]

#: Size of a figure in SVG units (it scales to the page width). [px]
WIDTH, HEIGHT = 640, 280
MARGIN = {"left": 56, "right": 28, "top": 12, "bottom": 40}


@dataclass
class Series:
    """One line of a figure: ``x`` dates or numbers, ``y`` values (NaN: a gap); optional
    band ``lo``/``hi``; ``tips`` text per point (default: the label and the value)."""

    name: str
    x: list
    y: list
    lo: list | None = None
    hi: list | None = None
    dashed: bool = False
    points: bool = True
    line: bool = True
    tips: list[str] | None = None
    cls: int | None = None
    extra: dict = field(default_factory=dict)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def _as_num(values) -> tuple[np.ndarray, bool]:
    """x values as numbers (dates as days since 1970) and whether they were dates."""
    vals = list(values)
    if vals and isinstance(vals[0], (dt.date, pd.Timestamp, np.datetime64, str)):
        d = pd.to_datetime(pd.Series(vals))
        return ((d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(float), True)
    return np.asarray(vals, dtype=float), False


def _fmt(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.3g}"


def line_chart(series: list[Series], *, x_label: str = "", y_label: str = "",
               y_zero: bool = True, label: str = "", value_fmt=None,
               x_labels: list[str] | None = None, width: int = WIDTH,
               height: int = HEIGHT) -> Markup:
    """Lines (with optional bands and points) over dates or numbers, as an SVG.

    ``value_fmt`` formats values in the tooltips and ticks (default: 3 significant
    digits). ``x_labels`` names the positions 0, 1, ... of categorical x values (periods).
    ``label`` is the figure's accessible name.
    """
    value_fmt = value_fmt or _fmt
    xs, ys, is_date = [], [], False
    for s in series:
        x, is_date = _as_num(s.x)
        xs.append(x)
        for arr in (s.y, s.lo, s.hi):
            if arr is not None:
                ys.append(np.asarray(arr, dtype=float))
    allx = np.concatenate(xs) if xs else np.array([0.0, 1.0])
    ally = np.concatenate(ys) if ys else np.array([0.0, 1.0])
    ally = ally[np.isfinite(ally)]
    allx = allx[np.isfinite(allx)]
    if allx.size == 0:
        allx = np.array([0.0, 1.0])
    if ally.size == 0:
        ally = np.array([0.0, 1.0])
    x0, x1 = float(allx.min()), float(allx.max())
    if x1 <= x0:
        x0, x1 = x0 - 1, x1 + 1
    ylo = min(0.0, float(ally.min())) if y_zero else float(ally.min())
    yticks = nice_ticks(ylo, float(ally.max()))
    y0, y1 = yticks[0], yticks[-1]
    if y1 <= y0:
        y1 = y0 + 1
    L, R, T, B = MARGIN["left"], width - MARGIN["right"], MARGIN["top"], height - MARGIN["bottom"]

    def px(x):
        return L + (np.asarray(x, float) - x0) / (x1 - x0) * (R - L)

    def py(y):
        return B - (np.asarray(y, float) - y0) / (y1 - y0) * (B - T)

    def xtext(v: float) -> str:
        if x_labels is not None:
            return x_labels[int(round(v))] if 0 <= round(v) < len(x_labels) else ""
        if is_date:
            return (pd.Timestamp("1970-01-01") + pd.Timedelta(days=v)).strftime("%Y-%m-%d")
        return _fmt(v)

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">']
    # grid and axes
    for t in yticks:
        yy = float(py(t))
        out.append(f'<line class="grid" x1="{L}" x2="{R}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(f'<text class="tick" x="{L - 6}" y="{yy + 4:.1f}" text-anchor="end">'
                   f'{escape(value_fmt(t))}</text>')
    if is_date:
        span = x1 - x0
        first = pd.Timestamp("1970-01-01") + pd.Timedelta(days=x0)
        last = pd.Timestamp("1970-01-01") + pd.Timedelta(days=x1)
        freq = "MS" if span <= 400 else ("QS" if span <= 1100 else "YS")
        ticks = pd.date_range(first.normalize(), last, freq=freq)
        if len(ticks) > 8:
            ticks = ticks[::math.ceil(len(ticks) / 8)]
        xt = [((t - pd.Timestamp("1970-01-01")).days) for t in ticks]
        lab = [t.strftime("%Y-%m") if freq != "YS" else t.strftime("%Y") for t in ticks]
    elif x_labels is not None:
        step = max(1, math.ceil(len(x_labels) / 8))
        xt = list(range(0, len(x_labels), step))
        lab = [x_labels[t] for t in xt]
    else:
        xt = nice_ticks(x0, x1, 6)
        xt = [t for t in xt if x0 <= t <= x1]
        lab = [_fmt(t) for t in xt]
    for t, text in zip(xt, lab):
        xx = float(px(t))
        out.append(f'<line class="grid" x1="{xx:.1f}" x2="{xx:.1f}" y1="{T}" y2="{B}"/>')
        out.append(f'<text class="tick" x="{xx:.1f}" y="{B + 16}" text-anchor="middle">'
                   f'{escape(text)}</text>')
    out.append(f'<line class="axis" x1="{L}" x2="{R}" y1="{B}" y2="{B}"/>')
    if x_label:
        out.append(f'<text class="label" x="{(L + R) / 2:.0f}" y="{height - 6}" '
                   f'text-anchor="middle">{escape(x_label)}</text>')
    if y_label:
        out.append(f'<text class="label" x="12" y="{(T + B) / 2:.0f}" text-anchor="middle" '
                   f'transform="rotate(-90 12 {(T + B) / 2:.0f})">{escape(y_label)}</text>')
    # bands first, then lines and points
    for k, (s, x) in enumerate(zip(series, xs)):
        c = s.cls if s.cls is not None else k
        if s.lo is not None and s.hi is not None:
            lo, hi = np.asarray(s.lo, float), np.asarray(s.hi, float)
            ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(x)
            if ok.sum() >= 2:
                pts = [f"{a:.1f},{b:.1f}" for a, b in zip(px(x[ok]), py(hi[ok]))]
                pts += [f"{a:.1f},{b:.1f}" for a, b in zip(px(x[ok])[::-1], py(lo[ok])[::-1])]
                out.append(f'<polygon class="band s{c % 8}" points="{" ".join(pts)}"/>')
    for k, (s, x) in enumerate(zip(series, xs)):
        c = s.cls if s.cls is not None else k
        y = np.asarray(s.y, float)
        ok = np.isfinite(y) & np.isfinite(x)
        if s.line and ok.sum() >= 2:
            # break the line at gaps
            seg: list[str] = []
            for a, b, good in zip(px(x), py(y), ok):
                if good:
                    seg.append(f"{a:.1f},{b:.1f}")
                elif seg:
                    out.append(_polyline(seg, c, s.dashed))
                    seg = []
            if seg:
                out.append(_polyline(seg, c, s.dashed))
    # points last, above every line and band, so that each can be hovered
    for k, (s, x) in enumerate(zip(series, xs)):
        c = s.cls if s.cls is not None else k
        y = np.asarray(s.y, float)
        ok = np.isfinite(y) & np.isfinite(x)
        if s.points:
            for i in np.flatnonzero(ok):
                tip = (s.tips[i] if s.tips else
                       f"{s.name}: {xtext(x[i])}: {value_fmt(y[i])}")
                if s.lo is not None and s.hi is not None and np.isfinite(s.lo[i]) \
                        and np.isfinite(s.hi[i]) and not s.tips:
                    tip += f" ({value_fmt(s.lo[i])}–{value_fmt(s.hi[i])})"
                out.append(f'<circle class="pt s{c % 8}" cx="{float(px(x[i])):.1f}" '
                           f'cy="{float(py(y[i])):.1f}" r="3.5" data-tip="{escape(tip)}">'
                           f'<title>{escape(tip)}</title></circle>')
    out.append("</svg>")
    legend = "".join(f'<span class="key s{(s.cls if s.cls is not None else k) % 8}'
                     f'{" dashed" if s.dashed else ""}">{escape(s.name)}</span>'
                     for k, s in enumerate(series) if s.name)
    return Markup(f'<figure class="fig">{"".join(out)}'
                  f'<figcaption class="legend">{legend}</figcaption></figure>')


def _polyline(points: list[str], cls: int, dashed: bool) -> str:
    return (f'<polyline class="line s{cls % 8}{" dashed" if dashed else ""}" '
            f'points="{" ".join(points)}"/>')
