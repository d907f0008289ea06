"""The rules of the daily herd model, written once for its two implementations.

The stochastic simulator (:mod:`capra.herd.processes`) follows individual animals; the
mean path (:mod:`capra.herd.mean_path`) follows expected numbers of animals in each state.
Both apply the rules of ``docs/herd-model.md`` from the same compiled parameters
(:class:`~capra.herd.params.HerdParams`), and both take each rule from here. Every
function works on NumPy arrays of any shape: the simulator passes one value per animal,
the mean path a grid of the states it tracks (ages, parities, failed windows, days in
milk).

Some rules cannot be shared as code, because the simulator draws an outcome where the mean
path takes its expected fraction (who dies on which day, the gestation length, the litter
size, the split of a batch between farms). For those, the draw and the distribution are
written side by side here where they can be, and ``tests/herd/test_rules_pinned.py``
checks, rule by rule, that the simulator's replicate mean stays within sampling error of
the mean path.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from capra.herd.params import AI, HerdParams

#: First day of gestation on which an abortion can happen (docs/herd-model.md: "from the
#: 30th day of gestation"). [days]
ABORTION_FIRST_GESTATION_DAY = 30

#: Gestation lengths further than this many standard deviations from the mean are left
#: out of the gestation-length distribution (their probability is below 2e-9). [-]
GESTATION_SD_SPAN = 6.0


# --------------------------------------------------------------------------------------
# Farms: room and the split of a batch after quarantine
# --------------------------------------------------------------------------------------

def target_head(p: HerdParams) -> np.ndarray:
    """Head each location is kept at: ``floor(capacity_head * target_fill)``. [head]"""
    return np.floor(p.capacity_head * p.target_fill)


def release_weights(p: HerdParams, destinations: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Weights of a batch's destination farms when it leaves quarantine.

    Each farm gets a share proportional to its room below :func:`target_head`; if no
    destination has room, proportional to its capacity.

    Parameters
    ----------
    destinations
        Location indices of the destination farms, ``(D,)``.
    head
        Head now on those farms, ``(..., D)`` (one row per replicate, or expected). [head]

    Returns
    -------
    Weights ``(..., D)``, not normalised. [head]
    """
    room = np.maximum(target_head(p)[destinations] - head, 0)
    capacity = p.capacity_head[destinations].astype(float)
    return np.where(room.sum(axis=-1, keepdims=True) > 0, room, capacity)


# --------------------------------------------------------------------------------------
# Breeding
# --------------------------------------------------------------------------------------

def can_breed(p: HerdParams, age_days: ArrayLike, days_since_kidding: ArrayLike) -> np.ndarray:
    """An open female on a farm whose group's window is open may be bred: old enough and
    past the postpartum interval. [-]"""
    return ((np.asarray(age_days) >= p.min_breeding_age_days)
            & (np.asarray(days_since_kidding) >= p.postpartum_interval_days))


def conception_probability(p: HerdParams, t: int, *, service_probability=None,
                           ai_probability=None,
                           conception_factor_by_day=None) -> tuple[np.ndarray, np.ndarray]:
    """Probability that an eligible doe of each breeding group conceives on day ``t``.

    On the first day of an AI group's window the does are inseminated (the group's
    conception rate); on the other days of any window they conceive by service (natural
    season, induced oestrus, or the return service after AI). Both are multiplied by the
    day's conception factor (heat stress, :mod:`capra.herd.health`).

    The three tables default to those of ``p``; given with a leading replicate axis
    (``(R, G, n_days)``, ``(R, G)``, ``(R, n_days)``: each replicate's own, under parameter
    uncertainty), the probabilities have one row per replicate.

    Returns
    -------
    (probability, by_ai)
        ``(G,)`` (or ``(R, G)``) probabilities [-] and whether the conception is by AI,
        ``(G,)`` [-].
    """
    service = p.service_probability if service_probability is None else service_probability
    ai = p.ai_probability if ai_probability is None else ai_probability
    factor = (p.conception_factor_by_day if conception_factor_by_day is None
              else conception_factor_by_day)
    by_ai = (p.group_method == AI) & p.window_first_day[:, t]
    probability = np.where(by_ai, ai, service[..., t])
    return probability * np.asarray(factor)[..., t, None], by_ai


# --------------------------------------------------------------------------------------
# Gestation and abortion
# --------------------------------------------------------------------------------------

def gestation_length(p: HerdParams, z: ArrayLike) -> np.ndarray:
    """Gestation length drawn from a standard normal ``z``:
    ``round(gestation_days + gestation_sd_days * z)``, at least one day. [days]"""
    length = np.rint(p.gestation_days + p.gestation_sd_days * np.asarray(z))
    return np.maximum(length, 1).astype(np.int32)


def gestation_length_distribution(p: HerdParams) -> tuple[np.ndarray, np.ndarray]:
    """The distribution of :func:`gestation_length` over ``z ~ N(0, 1)``.

    Returns
    -------
    (lengths, probabilities)
        Lengths within :data:`GESTATION_SD_SPAN` standard deviations [days] and their
        probabilities, normalised to sum to 1 [-].
    """
    from scipy.special import ndtr

    mu, sd = float(p.gestation_days), float(p.gestation_sd_days)
    if sd <= 0:
        return np.array([max(int(round(mu)), 1)]), np.array([1.0])
    lo = max(int(math.floor(mu - GESTATION_SD_SPAN * sd)), 1)
    hi = int(math.ceil(mu + GESTATION_SD_SPAN * sd))
    lengths = np.arange(lo, hi + 1)
    below = np.where(lengths == 1, -np.inf, lengths - 0.5)    # lengths under 1 day count as 1
    prob = ndtr((lengths + 0.5 - mu) / sd) - ndtr((below - mu) / sd)
    keep = prob > 0
    lengths, prob = lengths[keep], prob[keep]
    return lengths, prob / prob.sum()


def abortion_days(conception_day: ArrayLike, due: ArrayLike,
                  t: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """First and last day on which a pregnancy seen on day ``t`` can abort.

    A pregnancy that aborts does so on a day drawn uniformly from the
    :data:`ABORTION_FIRST_GESTATION_DAY`-th day of gestation (or today, if later) to the
    day before kidding. [day], [day]
    """
    lo = np.maximum(np.asarray(conception_day) + ABORTION_FIRST_GESTATION_DAY, t)
    hi = np.maximum(np.asarray(due) - 1, lo)
    return lo, hi


# --------------------------------------------------------------------------------------
# Lactation
# --------------------------------------------------------------------------------------

def lactation_end(p: HerdParams, parity: ArrayLike, pregnant: ArrayLike,
                  low_yield_dim_days: ArrayLike | None = None) -> np.ndarray:
    """Days in milk at which a doe's lactation ends, apart from the dry period before
    kidding: the longest extended lactation, the first day the parity's expected yield
    falls below ``min_yield_kg_per_day`` (from day
    :data:`~capra.herd.params.MIN_YIELD_RULE_FROM_DIM`), and, without extended lactation,
    the standard length for an open doe (docs/herd-model.md, dry-off rules (b)-(d)).
    ``low_yield_dim_days``, if given, is each doe's own low-yield day (her replicate's,
    under parameter uncertainty) instead of her parity class's in ``p``. [days]
    """
    parity = np.asarray(parity)
    if low_yield_dim_days is None:
        low_yield_dim_days = p.low_yield_dim_days[np.minimum(parity, 3) - 1]
    end = np.minimum(p.extended_max_days, low_yield_dim_days)
    if not p.extended_lactation:
        end = np.where(pregnant, end, np.minimum(end, p.standard_length_days))
    return end


def dry_off_day(p: HerdParams, kidded: ArrayLike, parity: ArrayLike,
                due: ArrayLike, low_yield_dim_days: ArrayLike | None = None) -> np.ndarray:
    """Day a lactation ends: :func:`lactation_end` days after kidding, or for a pregnant
    doe (``due >= 0``) ``dry_period_days`` before her kidding if that is sooner
    (dry-off rule (a)); ``low_yield_dim_days`` as in :func:`lactation_end`. [day]"""
    due = np.asarray(due, dtype=np.int64)
    pregnant = due >= 0
    day = np.asarray(kidded, dtype=np.int64) + lactation_end(p, parity, pregnant,
                                                             low_yield_dim_days)
    return np.where(pregnant, np.minimum(day, due - p.dry_period_days), day)


def deliverable_milk(gross_kg: ArrayLike, colostrum_kg: ArrayLike, quarantine_kg: ArrayLike,
                     kids_demand_kg: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Milk the kids drink and milk delivered, from the day's milk parts.

    The kids drink from what is left after the colostrum and the discarded quarantine
    milk, up to their demand; the rest is delivered.

    Returns
    -------
    (fed_kids_kg, delivered_kg)
        [kg/day], [kg/day]
    """
    available = (np.asarray(gross_kg) - np.asarray(colostrum_kg)
                 - np.asarray(quarantine_kg))
    fed = np.minimum(kids_demand_kg, np.maximum(available, 0))
    return fed, np.maximum(available - fed, 0)


# --------------------------------------------------------------------------------------
# Culling
# --------------------------------------------------------------------------------------

def culled_when_open_and_dry(p: HerdParams, parity: ArrayLike, failed: ArrayLike,
                             age_days: ArrayLike) -> np.ndarray:
    """A doe that is open and dry is culled at ``max_parity`` kiddings, at
    ``max_age_days``, or after ``max_failed_windows`` windows without conceiving. [-]"""
    return ((np.asarray(parity) >= p.max_parity) | (np.asarray(age_days) >= p.max_age_days)
            | (np.asarray(failed) >= p.max_failed_windows))


def buck_retired(p: HerdParams, age_days: ArrayLike) -> np.ndarray:
    """A kept buck is culled from ``buck_max_age_days``. [-]"""
    return np.asarray(age_days) >= p.buck_max_age_days


# --------------------------------------------------------------------------------------
# Kidding
# --------------------------------------------------------------------------------------

def litter_size(p: HerdParams, parity: ArrayLike, u: ArrayLike) -> np.ndarray:
    """Kids in a litter drawn from a uniform ``u``, by the dam's parity before kidding
    (first kidding or later). [kids]"""
    cdf = np.cumsum(p.litter_probabilities, axis=1)
    row = np.minimum(parity, 1)
    litter = 1 + (np.asarray(u)[..., None] >= cdf[row]).sum(axis=-1)
    return np.minimum(litter, p.litter_probabilities.shape[1])


def mean_litter_size(p: HerdParams) -> np.ndarray:
    """The mean of :func:`litter_size` at the first kidding and at later ones, ``(2,)``.
    [kids]"""
    return p.litter_probabilities @ np.arange(1, p.litter_probabilities.shape[1] + 1)
