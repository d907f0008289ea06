"""Timing of products in the planning LP: ripening and shelf life, over periods.

Shelf life is kept with the cumulative first-in-first-out form: the stock at the end of a
period may only hold ready product made recently enough to be served the next day, through
cumulative production variables ``C[k,p,t]`` (see :mod:`capra.planning.model`). The
functions here say which periods those are (:func:`product_timing`), how a given opening
stock enters and ages (:func:`history_terms`), and add the sum of production over a range
of periods to constraint rows (:func:`add_window`), wrapping around the end of a cyclic
plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from capra.planning.lp import LPBuilder
from capra.planning.problem import PlanInputs

__all__ = ["Timing", "add_window", "cum_at", "history_terms", "product_timing"]


@dataclass(frozen=True)
class Timing:
    """When each period's output is ready and until when it may be held, per product.

    ``ready_in[p, tau]``: the period in which the output of period ``tau`` is ready (T:
    not within the planned periods; cyclic: modulo T). ``first[p, t]``: the first period
    whose output may still be held at the end of ``t``; ``last_ready[p, t]``: the last
    period whose output is ready by the end of ``t``. Both may be negative in a cyclic
    plan (the periods before wrap to the end).
    """

    ready_in: np.ndarray
    first: np.ndarray
    last_ready: np.ndarray


def product_timing(inputs: PlanInputs) -> Timing:
    """When each period's output is ready and until when it may be held (see
    :class:`Timing`)."""
    prods = inputs.products
    ends = inputs.period_end_day
    T = len(ends)
    ripe = prods.ripening_days
    life = prods.life_days
    if inputs.stock_rule == "cyclic":  # daily periods
        t = np.arange(T)[None, :]
        return Timing(np.mod(t + ripe[:, None], T), t - (life[:, None] - 2),
                       t - ripe[:, None])
    ready_in = np.stack([np.searchsorted(ends, ends + r, side="left") for r in ripe])
    first = np.stack([np.searchsorted(ends, ends - (L - 2), side="left") for L in life])
    last_ready = np.stack([np.searchsorted(ends, ends - r, side="right") - 1 for r in ripe])
    return Timing(ready_in.reshape(len(ripe), T), first.reshape(len(ripe), T),
                   last_ready.reshape(len(ripe), T))


def history_terms(inputs: PlanInputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Opening stock (``"free"``) by period, (K, P, T) each: ready and entering the stock
    in the period, ready and still in date at its end, and made but not yet ready at its
    end. [kg]"""
    hist = inputs.history
    K, P, H = hist.shape
    ends = inputs.period_end_day
    T = len(ends)
    made = -(np.arange(H) + 1)  # day made, relative to the first planned day
    enters = np.zeros((K, P, T))
    in_date = np.zeros((K, P, T))
    unripe = np.zeros((K, P, T))
    prods = inputs.products
    for p in range(P):
        ready_day = np.maximum(made + prods.ripening_days[p], 0)
        period = np.searchsorted(ends, ready_day, side="left")  # (H,)
        entered = period[None, :] <= np.arange(T)[:, None]  # (T, H)
        fresh = made[None, :] >= (ends - (prods.life_days[p] - 2))[:, None]
        lots = hist[:, p, :]  # (K, H)
        ok = period < T
        np.add.at(enters[:, p, :], (slice(None), period[ok]), lots[:, ok])
        in_date[:, p, :] = lots @ (entered & fresh).T
        unripe[:, p, :] = lots @ (~entered).T
    return enters, in_date, unripe


def cum_at(cum: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Columns ``cum[k, p, tau[p, t]]``, (K, P, T); -1 where ``tau`` is outside the
    periods or the column does not exist."""
    T = cum.shape[2]
    ok = (tau >= 0) & (tau < T)
    at = np.take_along_axis(cum, np.broadcast_to(np.clip(tau, 0, T - 1)[None], cum.shape),
                            axis=2)
    return np.where(ok[None], at, -1)


def add_window(b: LPBuilder, rows, cum, lo, hi, cyclic: bool, weight=1.0) -> None:
    """Add ``weight * sum of y over periods lo..hi`` (inclusive, (P, T) each) to ``rows``
    (K, P, T), through the cumulative production ``cum`` (K, P, T). In a cyclic plan the
    periods before 0 are those at the end (whole turns included)."""
    T = cum.shape[2]
    lo, hi = np.asarray(lo), np.asarray(hi)
    length = np.maximum(hi - lo + 1, 0)
    last = cum[:, :, T - 1:T]
    if not cyclic:
        lo = np.maximum(lo, 0)
        ok = hi >= lo
        b.coef(rows, cum_at(cum, np.where(ok, hi, -1)), weight)
        b.coef(rows, cum_at(cum, np.where(ok, lo - 1, -1)), -weight)
        return
    turns, rem = length // T, length % T
    b.coef(rows, last, weight * turns[None])
    h = np.mod(hi, T)
    lo = h - rem + 1
    has = rem > 0
    b.coef(rows, cum_at(cum, np.where(has, h, -1)), weight)
    b.coef(rows, cum_at(cum, np.where(has & (lo >= 1), lo - 1, -1)), -weight)
    wraps = has & (lo < 0)  # days lo..-1 are the last ones of the turn before
    b.coef(rows, np.where(wraps[None], last, -1), weight)
    b.coef(rows, cum_at(cum, np.where(wraps, lo + T - 1, -1)), -weight)
