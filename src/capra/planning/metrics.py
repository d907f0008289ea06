"""The headline metrics of a plan, computed here and nowhere else.

* **children served without interruption**: the enrolment that the plan covers in full
  on every operating day (question (a)), with its confidence across supply futures;
* **interruption days** per site: operating days on which some child present got less
  than the full ration, and the **longest gap** (most consecutive interrupted operating
  days; closed days neither break nor lengthen a gap);
* **coverage**: rations served / rations planned;
* **waste**: product expired or discarded, by product [kg product] and in milk [kg milk];
* **nutrients**: protein, energy and calcium delivered per planned child-day, as a share
  of the children's daily needs, per age group.

Inputs are the dispatch arrays of :func:`capra.planning.optimize.dispatch` (daily).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capra.planning.products import NUTRIENTS

__all__ = ["INTERRUPTION_TOLERANCE", "confidence", "headline_metrics", "interruptions",
           "longest_run", "site_table", "waste_kg"]

#: A site-day counts as interrupted when its servings fall short of the rations wanted by
#: more than this share (solver round-off is below it). [fraction]
INTERRUPTION_TOLERANCE = 1e-6


def confidence(future_scales: np.ndarray, scale: float) -> float:
    """Share of supply futures in which an enrolment of ``scale`` is served on every
    operating day: those whose own largest scale reaches it (within solver round-off).
    Futures without an optimal answer count as not served. [fraction]"""
    v = np.asarray(future_scales, float)
    reached = np.isfinite(v) & (v >= scale * (1 - 1e-7) - 1e-9)
    return float(reached.mean()) if v.size else float("nan")


def longest_run(flags: np.ndarray) -> np.ndarray:
    """Longest run of consecutive True values along the last axis. [count]"""
    flags = np.asarray(flags, bool)
    if flags.shape[-1] == 0:
        return np.zeros(flags.shape[:-1], dtype=np.int64)
    f = flags.astype(np.int64)
    idx = np.arange(f.shape[-1])
    # position of the last False up to each point; run length = index - that position
    last_false = np.where(f == 0, idx, -1)
    last_false = np.maximum.accumulate(last_false, axis=-1)
    return (idx - last_false).max(axis=-1) * flags.any(axis=-1)


def interruptions(rations: np.ndarray, served: np.ndarray, open_: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interrupted site-days, interruption days and longest gap per site.

    Parameters
    ----------
    rations, served
        Rations wanted and served per site, age group and day, (S, G, T). [rations/day]
    open_
        Operating days, (S, T). [-]

    Returns
    -------
    (interrupted (S, T) boolean, days (S,) [days], longest gap (S,) [operating days])
    """
    want = rations.sum(axis=1)
    short = (rations - served).sum(axis=1)
    interrupted = open_ & (want > 0) & (short > INTERRUPTION_TOLERANCE * np.maximum(want, 1))
    days = interrupted.sum(axis=1)
    # a gap counts operating days only: drop closed days before measuring runs
    gaps = np.array([longest_run(interrupted[s][open_[s]]) for s in range(len(want))],
                    dtype=np.int64) if len(want) else np.zeros(0, np.int64)
    return interrupted, days, gaps


def waste_kg(waste: np.ndarray, milk_kg_per_kg: np.ndarray) -> tuple[np.ndarray, float]:
    """Waste per product [kg product] and in total as milk [kg milk] from (K, P, T)."""
    by_product = waste.sum(axis=(0, 2))
    by_product = np.where(by_product < 1e-6, 0.0, by_product)  # solver round-off
    return by_product, float(by_product @ milk_kg_per_kg)


def headline_metrics(inputs, sol: dict[str, np.ndarray], scale: float) -> dict:
    """The headline metrics of a dispatch.

    Parameters
    ----------
    inputs
        The :class:`~capra.planning.problem.PlanInputs` of the dispatch (daily periods).
    sol
        Dispatch arrays (``servings`` (S, G, P, T), ``waste`` (K, P, T), ...).
    scale
        Enrolment as a multiple of the sites' children. [-]

    Returns
    -------
    dict
        ``coverage`` (and ``coverage_by_age_group``), ``child_days_planned``,
        ``child_days_served``, ``interruption_days``
        and ``longest_gap_days`` (per site), ``waste_kg`` (per product), ``waste_milk_kg``,
        ``nutrients`` (per age group: delivered per planned child-day and share of need),
        ``interrupted`` (S, T) array.
    """
    prods = inputs.products
    rations = scale * inputs.rations
    served = sol["servings"].sum(axis=2)
    planned, got = float(rations.sum()), float(served.sum())
    open_ = inputs.open_days > 0
    interrupted, days, gaps = interruptions(rations, served, open_)
    by_product, milk = waste_kg(sol["waste"], prods.milk_kg_per_kg)
    # nutrients: servings (S, G, P, T) x per serving (P, G, n)
    per_group = np.einsum("sgpt,pgn->gn", sol["servings"], prods.nutrients_per_serving)
    child_days = rations.sum(axis=(0, 2))  # per group
    nutrients = {}
    for g, group in enumerate(prods.age_groups):
        if child_days[g] <= 0:
            continue
        nutrients[group] = {
            n: {"per_child_day": float(per_group[g, k] / child_days[g]),
                "need_per_day": float(prods.needs[g, k]),
                "share_of_need": float(per_group[g, k] / child_days[g] / prods.needs[g, k])}
            for k, n in enumerate(NUTRIENTS)}
    sites = inputs.net.sites
    wanted_g, served_g = rations.sum(axis=(0, 2)), served.sum(axis=(0, 2))
    by_group = {g: float(served_g[i] / wanted_g[i])
                for i, g in enumerate(prods.age_groups) if wanted_g[i] > 0}
    return {
        "coverage": got / planned if planned > 0 else float("nan"),
        "coverage_by_age_group": by_group,
        "child_days_planned": planned,
        "child_days_served": got,
        "interruption_days": {s: int(d) for s, d in zip(sites, days, strict=True)},
        "longest_gap_days": {s: int(g) for s, g in zip(sites, gaps, strict=True)},
        "operating_days": {s: int(o) for s, o in zip(sites, open_.sum(axis=1), strict=True)},
        "waste_kg": {p: float(v) for p, v in zip(prods.names, by_product, strict=True)},
        "waste_milk_kg": milk,
        "nutrients": nutrients,
        "interrupted": interrupted,
    }


def site_table(metrics: dict, districts=None) -> pd.DataFrame:
    """Per-site metrics: operating days, interruption days, longest gap (and each site's
    district, when given in site order)."""
    frame = pd.DataFrame({"operating_days": metrics["operating_days"],
                          "interruption_days": metrics["interruption_days"],
                          "longest_gap_days": metrics["longest_gap_days"]}).rename_axis("site")
    if districts is not None:
        frame.insert(0, "district", list(districts))
    return frame
