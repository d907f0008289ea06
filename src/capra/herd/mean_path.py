"""The expected-value (mean) path of Capra's daily herd model.

:func:`project_mean` applies the rules of ``docs/herd-model.md`` to expected numbers of
animals instead of individual animals. It reads the same compiled daily parameters
(:class:`capra.herd.params.HerdParams`) as the stochastic simulator and the rules they
share (:mod:`capra.herd.rules`), so the replicate mean of the simulator must agree with it
within sampling error wherever the simulator's nonlinear management rules (farm capacity,
buck numbers) do not bind; ``tests/herd/test_rules_pinned.py`` checks this rule by rule.

Units: durations and ages in days [d], stocks in head, milk in kg.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra.herd.processes import Recorder

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["project_mean"]

#: Output variables of :func:`project_mean`: the stochastic simulator's.
_OUTPUT_NAMES = Recorder.FLOWS + Recorder.STOCKS + Recorder.MILK



#: First day of gestation on which an abortion can happen (the doc's "30th day"; the
#: simulator schedules it from conception day + 30). [d]
ABORTION_FIRST_GESTATION_DAY = 30

#: Days in milk from which the minimum-yield dry-off rule applies (docs/herd-model.md,
#: dry-off rule (d)). [d]
MIN_YIELD_RULE_FROM_DIM = 60

#: Gestation lengths further than this many standard deviations from the mean are left out
#: of the gestation-length distribution (their probability is below 2e-9). [-]
_GESTATION_SD_SPAN = 6.0


def _gestation_distribution(p) -> tuple[np.ndarray, np.ndarray]:
    """Gestation lengths and their probabilities, ``round(gestation + sd * z)``. [d], [-]"""
    from scipy.special import ndtr
    mu, sd = float(p.gestation_days), float(p.gestation_sd_days)
    if sd <= 0:
        return np.array([max(int(round(mu)), 1)]), np.array([1.0])
    lo = int(math.floor(mu - _GESTATION_SD_SPAN * sd))
    hi = int(math.ceil(mu + _GESTATION_SD_SPAN * sd))
    lengths = np.arange(lo, hi + 1)
    prob = ndtr((lengths + 0.5 - mu) / sd) - ndtr((lengths - 0.5 - mu) / sd)
    keep = prob > 0
    lengths, prob = lengths[keep], prob[keep]
    return lengths, prob / prob.sum()


def _dry_sets(p, k_max: int) -> tuple[np.ndarray, np.ndarray]:
    """Days in milk on which a lactating doe is dried off, by parity index and status.

    Returns boolean arrays ``(P, k_max + 1)`` for pregnant and for open does (rules (b),
    (c), (d) of docs/herd-model.md; rule (a) depends on the days to kidding).
    """
    k = np.arange(k_max + 1)
    parity = np.minimum(np.arange(1, p.max_parity + 1), 3)
    curve = p.curves.daily_kg(k[None, :], parity[:, None], 1.0, extended=p.extended_lactation)
    preg = (k[None, :] >= p.extended_max_days) | (
        (k[None, :] >= MIN_YIELD_RULE_FROM_DIM) & (curve < p.min_yield_kg_per_day))
    opened = preg.copy()
    if not p.extended_lactation:
        opened |= k[None, :] >= p.standard_length_days
    return preg, opened


def _left_edges(mask: np.ndarray) -> list[np.ndarray]:
    """Per row, the positions where a run of True starts (first day of a dry-off set)."""
    prev = np.zeros_like(mask)
    prev[:, 1:] = mask[:, :-1]
    return [np.flatnonzero(row) for row in (mask & ~prev)]


def project_mean(params) -> xr.Dataset:
    """Expected-value (mean) path of Capra's daily herd model.

    Applies the rules of ``docs/herd-model.md`` to expected numbers of animals instead of
    individual animals, from the same compiled daily parameters as the stochastic
    simulator (:class:`capra.herd.params.HerdParams`): every probability of the simulator
    becomes a fraction of the animals in a state. The result is the mean of the
    simulator's replicates wherever the simulator's nonlinear management rules do not bind.

    State (all arrays of expected head, per location and breeding group; a Python loop over
    days, NumPy over everything else):

    * nulliparous females that have never conceived, by age [d] and failed windows [-];
    * males by age [d] and kept/not kept;
    * every female that has conceived at least once, *without* age: open dry by parity and
      failed windows; open lactating by parity, failed windows and days in milk [d];
      pregnant dry by parity and days to kidding [d]; pregnant lactating by parity, days
      in milk and days to kidding (a moving frame over kidding day and due day, so a day
      costs only the slices that change). Each pregnancy is split at conception into its
      three outcomes: it goes to term, it aborts before the dry-off date (tracked by days
      to the abortion, with its failed count), or it aborts in the last
      ``dry_period_days - 1`` days (aborting uniformly over those days, tracked with its
      failed count beside the pregnant-dry array). With the gestation length
      ``round(gestation_days + gestation_sd_days * z)`` and the abortion day uniform from
      conception + 30 to the day before kidding, this reproduces the simulator's
      distribution of abortion days exactly.

    Assumptions (the mean path equals the simulator's replicate mean only when they hold):

    * farm capacity is never reached: every doeling is kept at ``decision_age_days``, no
      doeling is moved or sold, and the quarantine release splits a batch in proportion to
      each destination's expected room;
    * the buck ratio never binds: there is a buck on every farm whenever a doe is eligible,
      conceptions are never limited by ``does_per_buck``, and no male kid is kept as a buck
      (all are sold at ``male_sale_age_days``);
    * deliverable milk is ``max(gross - colostrum - quarantine - kids' milk, 0)`` of the
      expected values; the simulator clips per replicate, so the two agree when the clip
      does not bind (the does give more than the kids drink);
    * the female death hazard is constant from ``min_breeding_age_days`` on (age only
      matters for the death of females that have not conceived), and no female that has
      conceived reaches ``max_age_days`` within the horizon;
    * no doe is dried off before ``postpartum_interval_days`` (dry open does are tracked
      without their days since kidding). These three are checked; if one fails a
      :class:`NotImplementedError` says so.

    Rules followed as the simulator implements them where the text leaves room: arrivals
    face the death risk on their arrival day but involuntary culling only from the next
    day; the failed-window count rises for females that were *eligible* (postpartum
    interval passed) and are still open after the day's conceptions; kids born in
    quarantine leave it with their dam's batch.

    Parameters
    ----------
    params
        Compiled daily parameters (:func:`capra.herd.params.compile_params`).

    Returns
    -------
    xarray.Dataset
        Dims ``date`` and ``farm`` (all locations, farms then quarantine stations), float
        expected values with the simulator's variable names: stocks at the end of the day
        [head] (``head, kids, doelings, bucklings, bucks, does_in_milk, does_dry,
        does_pregnant``), flows of the day [head/day] (``births, stillbirths, kiddings,
        abortions, conceptions, deaths, sales, culls, arrivals, transfers_in,
        transfers_out``) and milk [kg/day] (``milk_gross_kg, milk_colostrum_kg,
        milk_fed_kids_kg, milk_quarantine_kg, milk_kg``).
    """
    return _MeanProjection(params).run()


class _MeanProjection:
    """State and daily steps of :func:`project_mean` (see its docstring for the rules)."""

    def __init__(self, p):
        from capra.herd.params import AI, FEMALE, MALE, MAX_AGE_DAYS
        self.p = p
        self.AI = AI
        n_days = p.n_days
        n_out = p.n_locations
        # internal locations: the real ones, then one quarantine slot per quarantined batch
        self.slot_of = {}
        real_of = list(range(n_out))
        for b_index, b in enumerate(p.batches):
            if b.quarantine_days > 0:
                self.slot_of[b_index] = len(real_of)
                real_of.append(b.location)
        self.real_of = np.array(real_of)
        self.NL = NL = len(real_of)
        self.is_farm = np.array([bool(p.is_farm[i]) if i < n_out else False for i in range(NL)])
        G = self.G = p.n_groups
        F = self.F = int(p.max_failed_windows)
        P = self.P = max(int(p.max_parity), 1)

        # mortality
        haz = p.death_hazard
        self.pd_age = -np.expm1(-haz)                       # (2, MAX_AGE+1)
        fem = haz[FEMALE]
        const_from = int(np.flatnonzero(fem != fem[-1]).max()) + 1 if np.any(fem != fem[-1]) else 0
        if const_from > p.min_breeding_age_days:
            raise NotImplementedError(
                f"the female death hazard changes at age {const_from} d, after "
                f"min_breeding_age_days = {p.min_breeding_age_days}; the mean path tracks "
                "females that have conceived without their age")
        self.const_from = const_from
        self.pd_adult = float(self.pd_age[FEMALE, -1])
        self.pc = float(p.cull_daily_probability)
        self.s_par = (1.0 - self.pd_adult) * (1.0 - self.pc)

        # ages
        max_arrival_age = 0
        for b in p.batches:
            for g in b.groups:
                max_arrival_age = max(max_arrival_age, g.age_days_max + n_days - b.day)
                if g.sex == FEMALE and g.age_days_max + (n_days - 1 - b.day) >= p.max_age_days:
                    raise NotImplementedError(
                        f"females of batch {b.name!r} can reach max_age_days = "
                        f"{p.max_age_days} within the horizon; the mean path tracks females "
                        "that have conceived without their age")
                if g.sex == FEMALE and (g.pregnant or g.parity > 0) and g.age_days_min < const_from:
                    raise NotImplementedError(
                        f"batch {b.name!r} brings pregnant or parous females younger than "
                        f"{const_from} d, whose death risk depends on age")
                if g.pregnant and g.due_min <= b.day:
                    raise ValueError(f"batch {b.name!r}: pregnant females must kid after "
                                     "their arrival day")
        if n_days - 1 >= p.max_age_days:
            raise NotImplementedError("the horizon is longer than max_age_days; the mean path "
                                      "tracks females that have conceived without their age")
        self.A = A = min(max(max_arrival_age, n_days) + 2, MAX_AGE_DAYS + 1)
        self.MALE, self.FEMALE = MALE, FEMALE

        # gestation and abortion
        lengths, prob = _gestation_distribution(p)
        r = float(p.abortion_risk)
        D = int(p.dry_period_days)
        n_ab = lengths - ABORTION_FIRST_GESTATION_DAY              # days the abortion can fall on
        if n_ab.min() < max(D - 1, 1):
            raise NotImplementedError("gestation too short for the abortion window and the "
                                      "dry period")
        self.D = D
        self.lengths, self.len_prob = lengths, prob
        ab2_days = max(D - 1, 0)
        self.w_kid = prob * (1.0 - r)
        self.w_ab2 = prob * r * ab2_days / n_ab
        a_max = int(lengths.max()) - D
        self.ab1_gday = np.arange(ABORTION_FIRST_GESTATION_DAY, a_max + 1)
        self.w_ab1 = np.array([np.sum(prob * r / n_ab * ((a <= lengths - D)))
                               for a in self.ab1_gday])
        # buffers
        max_m = int(lengths.max())
        max_j = a_max
        self.max_dim = int(p.extended_max_days)
        for b in p.batches:
            for g in b.groups:
                if g.pregnant:
                    max_m = max(max_m, g.due_max - b.day)
                    max_j = max(max_j, g.due_max - b.day - D)
                if g.lactating:
                    self.max_dim = max(self.max_dim, g.days_in_milk)
        self.Kb = self.max_dim + 2
        self.Mb = max_m + 2
        self.Jb = max_j + 2
        self.dry_preg, self.dry_open = _dry_sets(p, self.Kb - 1)
        self.dry_preg[:, -1] = True
        self.dry_open[:, -1] = True
        self.edges_preg = _left_edges(self.dry_preg)
        self.pp = int(p.postpartum_interval_days)
        earliest_dry = int(np.flatnonzero(self.dry_open.any(axis=0))[0])
        if earliest_dry < self.pp:
            raise NotImplementedError(
                f"does can be dried off at {earliest_dry} days in milk, before the "
                f"postpartum interval of {self.pp} days; the mean path tracks dry open does "
                "without their days since kidding")
        self.amin = int(p.min_breeding_age_days)
        parity = np.minimum(np.arange(1, P + 1), 3)
        self.curve = p.curves.daily_kg(np.arange(self.Kb)[None, :], parity[:, None], 1.0,
                                       extended=p.extended_lactation)
        kids = np.arange(1, p.litter_probabilities.shape[1] + 1)
        self.mean_litter = p.litter_probabilities @ kids           # (2,) first, later

        Kb, Mb, Jb = self.Kb, self.Mb, self.Jb
        z = np.zeros
        self.Y = z((NL, G, F + 1, A))
        self.M = z((NL, 2, A))
        self.N0 = z((NL, G, F + 1))
        self.OD = z((NL, G, P, F + 1))
        self.OL = z((NL, G, P, F + 1, Kb))
        self.PD = z((NL, G, P + 1, Mb))
        self.AB2 = z((NL, G, P + 1, F + 1, Mb))
        self.AB1D = z((NL, G, P + 1, F + 1, Jb))
        # moving-frame arrays, stored divided by `scale`
        big = [i for i in range(NL) if self.is_farm[i] or i >= n_out]
        self.big_of = np.full(NL, -1)
        self.big_of[big] = np.arange(len(big))
        NB = len(big)
        self.PL = z((NB, G, P, Mb, Kb))
        self.LPk = z((NB, G, P, Kb))
        self.AB1L = z((NB, G, P, F + 1, Jb, Kb))
        self.A1k = z((NB, G, P, Kb))
        self.big_total = z((NB, G))                                 # true head
        self.scale = 1.0
        self.out = {name: np.zeros((n_days, NL)) for name in _OUTPUT_NAMES}
        self.t = 0

    # ---- moving frame -----------------------------------------------------------------
    def rows(self, k):
        return (np.asarray(k) - self.t) % self.Kb

    def k_of_rows(self):
        """Days in milk held by each stored row today."""
        return (np.arange(self.Kb) + self.t) % self.Kb

    def mcol(self, m):
        return (np.asarray(m) + self.t) % self.Mb

    def jcol(self, j):
        return (np.asarray(j) + self.t) % self.Jb

    # ---- helpers ----------------------------------------------------------------------
    def head(self) -> np.ndarray:
        """Expected head per internal location now. [head]"""
        h = (self.Y.sum(axis=(1, 2, 3)) + self.M.sum(axis=(1, 2)) + self.N0.sum(axis=(1, 2))
             + self.OD.sum(axis=(1, 2, 3)) + self.OL.sum(axis=(1, 2, 3, 4))
             + self.PD.sum(axis=(1, 2, 3)) + self.AB1D.sum(axis=(1, 2, 3, 4)))
        for i in range(self.NL):
            b = self.big_of[i]
            if b >= 0:
                h[i] += self.big_total[b].sum()
        return h

    def add(self, name, loc, value):
        self.out[name][self.t, loc] += value

    def _pregnancy_in(self, loc, g, parity_index, f_mass, lactating=False, m_arr=None):
        """Put new pregnancies in the pregnant arrays.

        ``f_mass``: (F+1,) head conceiving (or arriving) per failed count, or, when
        ``lactating``, (F+1, Kb) per failed count and days in milk.
        ``parity_index``: parity 0..P of the pregnant females. With ``m_arr`` (arrivals),
        the pregnancy kids in ``m_arr`` days with the arrivals' fixed gestation length.
        """
        p = self.p
        D = self.D
        if m_arr is None:
            m_kid = self.lengths
            w_term = self.w_kid + self.w_ab2
            w_ab2 = self.w_ab2
            j_ab1, w_ab1 = self.ab1_gday, self.w_ab1
        else:
            n = min(p.gestation_days - ABORTION_FIRST_GESTATION_DAY, m_arr)
            r = float(p.abortion_risk)
            ab2 = min(max(D - 1, 0), n)
            m_kid = np.array([m_arr])
            w_term = np.array([1.0 - r + r * ab2 / n])
            w_ab2 = np.array([r * ab2 / n])
            m_abort = np.arange(max(D, 1), n + 1)
            j_ab1 = m_arr - m_abort
            w_ab1 = np.full(m_abort.size, r / n)
        if not lactating:
            tot = f_mass.sum()
            self.PD[loc, g, parity_index, m_kid] += tot * w_term
            self.AB2[loc, g, parity_index, :, m_kid] += np.outer(w_ab2, f_mass)
            if j_ab1.size:
                self.AB1D[loc, g, parity_index, :, j_ab1] += np.outer(w_ab1, f_mass)
            return
        # lactating: parity_index >= 1; f_mass (F+1, Kb) by days in milk
        b = self.big_of[loc]
        pi = parity_index - 1
        by_k = f_mass.sum(axis=0)
        rows = self.rows(np.arange(self.Kb))
        s = self.scale
        self.PL[b, g, pi][np.ix_(self.mcol(m_kid), rows)] += np.outer(w_term, by_k) / s
        self.LPk[b, g, pi, rows] += by_k * w_term.sum() / s
        self.AB2[loc, g, parity_index, :, m_kid] += np.outer(w_ab2, f_mass.sum(axis=1))
        if j_ab1.size:
            cols = self.jcol(j_ab1)
            blk = self.AB1L[b, g, pi]
            blk[:, cols[:, None], rows[None, :]] += (w_ab1 / s)[None, :, None] * f_mass[:, None, :]
            self.A1k[b, g, pi, rows] += by_k * w_ab1.sum() / s
        self.big_total[b, g] += by_k.sum() * (w_term.sum() + w_ab1.sum())

    def _conceive_lactating(self, loc, g, ol):
        """Conceptions of open lactating does, all parities at once.

        ``ol``: (P, F+1, Kb) head conceiving by parity index, failed count and days in milk.
        """
        b = self.big_of[loc]
        by_k = ol.sum(axis=1)                                         # (P, Kb)
        tot = by_k.sum()
        if tot <= 0:
            return
        s = self.scale
        nz = np.flatnonzero(by_k.sum(axis=0))
        k0, k1 = int(nz[0]), int(nz[-1]) + 1                          # days in milk present
        krows = _circular(k0 - self.t, k1 - k0, self.Kb)
        w_term = self.w_kid + self.w_ab2
        mcols = _circular(int(self.lengths[0]) + self.t, self.lengths.size, self.Mb)
        jcols = _circular(int(self.ab1_gday[0]) + self.t, self.ab1_gday.size, self.Jb)
        pl, lp, ab1, a1 = self.PL[b, g], self.LPk[b, g], self.AB1L[b, g], self.A1k[b, g]
        term = (w_term / s)[None, :, None] * by_k[:, None, k0:k1]     # (P, nL, nk)
        ab = ol[:, :, None, k0:k1] * (self.w_ab1 / s)[None, None, :, None]
        for rdst, rsrc in krows:
            for cdst, csrc in mcols:
                pl[:, cdst, rdst] += term[:, csrc, rsrc]
            for cdst, csrc in jcols:
                ab1[:, :, cdst, rdst] += ab[:, :, csrc, rsrc]
            lp[:, rdst] += by_k[:, k0:k1][:, rsrc] * (w_term.sum() / s)
            a1[:, rdst] += by_k[:, k0:k1][:, rsrc] * (self.w_ab1.sum() / s)
        self.AB2[loc, g, 1:, :, self.lengths[0]:self.lengths[-1] + 1] += (
            ol.sum(axis=2)[:, :, None] * self.w_ab2[None, None, :])
        self.big_total[b, g] += tot * (w_term.sum() + self.w_ab1.sum())

    # ---- daily steps ------------------------------------------------------------------
    def shift(self):
        for arr in (self.Y, self.M, self.OL):
            arr[..., 1:] = arr[..., :-1]
            arr[..., 0] = 0.0
        for arr in (self.PD, self.AB2, self.AB1D):
            arr[..., :-1] = arr[..., 1:]
            arr[..., -1] = 0.0

    def arrival_head(self) -> np.ndarray:
        """Head arriving today per internal location. [head]"""
        h = np.zeros(self.NL)
        for b_index, b in enumerate(self.p.batches):
            if b.day == self.t:
                h[self.slot_of.get(b_index, b.location)] += b.size
        return h

    def arrivals(self):
        """Batches arriving today, after the day's deaths and culls of the others.

        Arrivals face the death risk of the day and the culls by rule, but not the
        involuntary culling (which starts the day after arrival), so they are put in
        here, after the other animals' deaths and culls, with the same outcome as in
        step order.
        """
        p, t = self.p, self.t
        G, F, P = self.G, self.F, self.P
        share = p.group_share
        for b_index, b in enumerate(p.batches):
            if b.day != t:
                continue
            loc = self.slot_of.get(b_index, b.location)
            self.add("arrivals", loc, b.size)
            for grp in b.groups:
                ages = np.arange(grp.age_days_min, grp.age_days_max + 1)
                per_age = grp.count / ages.size
                if grp.sex == self.MALE:
                    alive = per_age * (1.0 - self.pd_age[self.MALE, ages])
                    self.add("deaths", loc, grp.count - alive.sum())
                    old = ages >= p.buck_max_age_days
                    self.add("culls", loc, alive[old].sum())
                    self.M[loc, 1, ages] += np.where(old, 0.0, alive)
                    continue
                if grp.parity == 0 and not grp.pregnant:
                    alive = per_age * (1.0 - self.pd_age[self.FEMALE, ages])
                    self.add("deaths", loc, grp.count - alive.sum())
                    self.Y[loc, :, 0, ages] += alive[:, None] * share[None, :]
                    continue
                count = grp.count * (1.0 - self.pd_adult)
                self.add("deaths", loc, grp.count - count)
                parity_index = min(grp.parity, P)
                pi = parity_index - 1
                k = min(grp.days_in_milk, self.Kb - 1)
                if not grp.pregnant:
                    if grp.lactating and not self.dry_open[pi, k]:
                        self.OL[loc, :, pi, 0, k] += count * share
                    elif parity_index >= P:
                        self.add("culls", loc, count)          # resting at max parity
                    else:
                        self.OD[loc, :, pi, 0] += count * share
                    continue
                dues = np.arange(grp.due_min, grp.due_max + 1)
                lact = (grp.lactating and not self.dry_preg[pi, k]
                        and self.big_of[loc] >= 0)
                for g in range(G):
                    for due in dues:
                        head = count * share[g] / dues.size
                        fm = np.zeros(F + 1)
                        fm[0] = head
                        if lact:
                            km = np.zeros((F + 1, self.Kb))
                            km[0, k] = head
                            self._pregnancy_in(loc, g, parity_index, km, lactating=True,
                                               m_arr=int(due - t))
                        else:
                            self._pregnancy_in(loc, g, parity_index, fm, m_arr=int(due - t))

    def release(self):
        """Quarantine release: a batch's animals move to its destinations (step 2)."""
        p, t = self.p, self.t
        for b_index, b in enumerate(p.batches):
            slot = self.slot_of.get(b_index)
            if slot is None or b.day + b.quarantine_days != t:
                continue
            head = self.head() + self.arrival_head()
            moving = head[slot]
            dest = np.asarray(b.destinations)
            target = np.floor(p.capacity_head[dest] * p.target_fill)
            room = np.maximum(target - head[dest], 0.0)
            weights = room if room.sum() > 0 else p.capacity_head[dest].astype(float)
            share = weights / weights.sum()
            self.add("transfers_out", slot, moving)
            for d, w in zip(dest, share):
                self.add("transfers_in", d, moving * w)
                for name in ("Y", "M", "N0", "OD", "OL", "PD", "AB2", "AB1D"):
                    arr = getattr(self, name)
                    arr[d] += w * arr[slot]
                bs, bd = self.big_of[slot], self.big_of[d]
                for name in ("PL", "LPk", "AB1L", "A1k", "big_total"):
                    arr = getattr(self, name)
                    arr[bd] += w * arr[bs]
            for name in ("Y", "M", "N0", "OD", "OL", "PD", "AB2", "AB1D"):
                getattr(self, name)[slot] = 0.0
            bs = self.big_of[slot]
            for name in ("PL", "LPk", "AB1L", "A1k", "big_total"):
                getattr(self, name)[bs] = 0.0

    def _per_loc(self, arr) -> np.ndarray:
        return arr.reshape(arr.shape[0], -1).sum(axis=1)

    def deaths_culls(self):
        """Deaths (step 3) and culls (step 4) of the animals present."""
        p, F, P = self.p, self.F, self.P
        A = self.A
        deaths = np.zeros(self.NL)
        culls = np.zeros(self.NL)
        # never-conceived females, by age
        pdf = self.pd_age[self.FEMALE, :A]
        dead = self.Y * pdf
        deaths += self._per_loc(dead)
        self.Y -= dead
        old = np.arange(A) >= p.max_age_days
        rule = self.Y[:, :, F].sum(axis=(1, 2)) + self.Y[:, :, :F, old].sum(axis=(1, 2, 3))
        culls += rule
        self.Y[:, :, F] = 0.0
        self.Y[..., old] = 0.0
        # males
        pdm = self.pd_age[self.MALE, :A]
        dead = self.M * pdm
        deaths += self._per_loc(dead)
        self.M -= dead
        oldb = np.arange(A) >= p.buck_max_age_days
        culls += self.M[:, 1, oldb].sum(axis=1)
        self.M[:, 1, oldb] = 0.0
        # age-free females
        pd, pc = self.pd_adult, self.pc
        for name in ("N0", "OD", "OL", "PD", "AB1D"):
            arr = getattr(self, name)
            deaths += self._per_loc(arr) * pd
            arr *= 1.0 - pd
        self.AB2 *= 1.0 - pd
        culls += self.N0[:, :, F].sum(axis=1)
        self.N0[:, :, F] = 0.0
        rule = np.zeros(self.OD.shape, bool)
        rule[:, :, P - 1, :] = True
        rule[..., F] = True
        culls += self._per_loc(np.where(rule, self.OD, self.OD * pc))
        self.OD = np.where(rule, 0.0, self.OD * (1.0 - pc))
        culls += self._per_loc(self.OL) * pc
        self.OL *= 1.0 - pc
        for name in ("PD", "AB1D", "AB2"):
            arr = getattr(self, name)
            if name != "AB2":
                culls += self._per_loc(arr[:, :, 1:]) * pc
            arr[:, :, 1:] *= 1.0 - pc
        # moving-frame arrays (all parous, all the same risks)
        tot = self.big_total.sum(axis=1)
        for i in range(self.NL):
            b = self.big_of[i]
            if b >= 0:
                deaths[i] += tot[b] * pd
                culls[i] += tot[b] * (1.0 - pd) * pc
        self.big_total *= self.s_par
        self.scale *= self.s_par
        self.out["deaths"][self.t] += deaths
        self.out["culls"][self.t] += culls

    def abortions(self):
        """Step 5: pregnancies ending in abortion today; the does become open."""
        D = self.D
        ab = np.zeros(self.NL)
        # before the dry-off date, lactating
        col = self.jcol(0)
        for i in range(self.NL):
            b = self.big_of[i]
            if b < 0:
                continue
            x = self.AB1L[b, :, :, :, col, :] * self.scale          # (G, P, F+1, Kb rows)
            for rdst, ksrc in _circular(-self.t, self.Kb, self.Kb):
                self.OL[i][..., ksrc] += x[..., rdst]
            ab[i] += x.sum()
            self.big_total[b] -= x.sum(axis=(1, 2, 3))
            self.A1k[b] -= self.AB1L[b, :, :, :, col, :].sum(axis=2)
            self.AB1L[b, :, :, :, col, :] = 0.0
        # before the dry-off date, dry
        x = self.AB1D[..., 0]                                         # (NL, G, P+1, F+1)
        ab += self._per_loc(x)
        self.N0 += x[:, :, 0]
        self.OD += x[:, :, 1:]
        self.AB1D[..., 0] = 0.0
        # in the last D - 1 days: uniform over the days left
        top = min(D, self.Mb)
        if top > 1:
            x = self.AB2[..., 1:top] / np.arange(1, top)              # (NL, G, P+1, F+1, m)
            self.AB2[..., 1:top] -= x
            self.PD[..., 1:top] -= x.sum(axis=3)
            back = x.sum(axis=4)
            ab += self._per_loc(back)
            self.N0 += back[:, :, 0]
            self.OD += back[:, :, 1:]
        self.out["abortions"][self.t] += ab

    def kiddings(self):
        """Step 6: does due today kid; live kids join the dam's location."""
        p, P = self.p, self.P
        x = self.PD[..., 0].copy()                                    # (NL, G, P+1)
        self.PD[..., 0] = 0.0
        self.AB2[..., 0] = 0.0
        if not x.any():
            return
        kid = self._per_loc(x)
        self.out["kiddings"][self.t] += kid
        litter = x[:, :, 0].sum(axis=1) * self.mean_litter[0] + x[:, :, 1:].sum(axis=(1, 2)) \
            * self.mean_litter[1]
        live = litter * (1.0 - p.stillbirth_risk)
        self.out["stillbirths"][self.t] += litter * p.stillbirth_risk
        # dams: parity + 1, lactation day 0, failed reset
        self.OL[:, :, : P - 1, 0, 0] += x[:, :, : P - 1]
        self.OL[:, :, P - 1, 0, 0] += x[:, :, P - 1:].sum(axis=2)
        # kids join their dam's location (in quarantine: her batch's slot, released with it)
        self.out["births"][self.t] += live
        females = live * p.female_fraction
        males = live * (1.0 - p.female_fraction)
        self.Y[:, :, 0, 0] += females[:, None] * p.group_share[None, :]
        self.M[:, 0, 0] += males

    def conception_and_failures(self):
        """Steps 7 and 8: conceptions of eligible open females; failed windows."""
        p, t, F = self.p, self.t, self.F
        farms = np.flatnonzero(self.is_farm)
        amin, pp = self.amin, self.pp
        conc = np.zeros(self.NL)
        for g in range(self.G):
            if not p.in_window[g, t]:
                continue
            if p.group_method[g] == self.AI and p.window_first_day[g, t]:
                q = float(p.ai_probability[g])
            else:
                q = float(p.service_probability[g, t])
            if q > 0:
                for i in farms:
                    y = self.Y[i, g, :, amin:]
                    n0 = self.N0[i, g]
                    xf = q * (y.sum(axis=1) + n0)
                    y *= 1.0 - q
                    n0 *= 1.0 - q
                    total = xf.sum()
                    if total > 0:
                        self._pregnancy_in(i, g, 0, xf)
                    od = q * self.OD[i, g]                            # (P, F+1)
                    self.OD[i, g] -= od
                    for pi in np.flatnonzero(od.sum(axis=1) > 0):
                        self._pregnancy_in(i, g, pi + 1, od[pi])
                    total += od.sum()
                    ol = np.zeros_like(self.OL[i, g])
                    ol[..., pp:] = q * self.OL[i, g, ..., pp:]
                    self.OL[i, g] -= ol
                    self._conceive_lactating(i, g, ol)
                    total += ol.sum()
                    conc[i] += total
            if p.window_last_day[g, t]:
                for i in farms:
                    _add_failure(self.Y[i, g, :, amin:], F, axis=0)
                    _add_failure(self.N0[i, g], F, axis=0)
                    _add_failure(self.OD[i, g], F, axis=1)
                    _add_failure(self.OL[i, g, :, :, pp:], F, axis=1)
        self.out["conceptions"][t] += conc

    def dry_off(self):
        """Step 9: dry-off of lactating does."""
        D, P = self.D, self.P
        mask = self.dry_open                                          # (P, Kb)
        x = np.where(mask[None, None, :, None, :], self.OL, 0.0)
        self.OD += x.sum(axis=-1)
        self.OL -= x
        for i in range(self.NL):
            b = self.big_of[i]
            if b < 0 or not self.big_total[b].any():
                continue
            # rule (a): kidding within the dry period
            n_m = min(D, self.Mb - 1) + 1
            for cdst, msrc in _circular(self.t, n_m, self.Mb):
                xs = self.PL[b][..., cdst, :]                         # (G, P, m, Kb)
                moved = xs.sum(axis=3) * self.scale                   # (G, P, m)
                self.PD[i, :, 1:, msrc] += moved
                self.LPk[b] -= xs.sum(axis=2)
                self.big_total[b] -= moved.sum(axis=(1, 2))
                self.PL[b][..., cdst, :] = 0.0
            # rules (b)-(d): by days in milk
            for pi in range(P):
                for k in self.edges_preg[pi]:
                    row = int(self.rows(k))
                    xs = self.PL[b, :, pi, :, row]                    # (G, Mb cols)
                    if xs.any():
                        moved = xs * self.scale
                        m_of_col = (np.arange(self.Mb) - self.t) % self.Mb
                        self.PD[i, :, pi + 1, m_of_col] += moved.T
                        self.big_total[b] -= moved.sum(axis=1)
                        self.PL[b, :, pi, :, row] = 0.0
                        self.LPk[b, :, pi, row] = 0.0
                    xa = self.AB1L[b, :, pi, :, :, row]               # (G, F+1, Jb cols)
                    if xa.any():
                        moved = xa * self.scale
                        j_of_col = (np.arange(self.Jb) - self.t) % self.Jb
                        self.AB1D[i, :, pi + 1][..., j_of_col] += moved
                        self.big_total[b] -= moved.sum(axis=(1, 2))
                        self.AB1L[b, :, pi, :, :, row] = 0.0
                        self.A1k[b, :, pi, row] = 0.0

    def male_sales(self):
        """Step 10: male kids not kept are sold at ``male_sale_age_days``."""
        a = self.p.male_sale_age_days
        if a < self.A:
            self.out["sales"][self.t] += self.M[:, 0, a]
            self.M[:, 0, a] = 0.0

    def record(self):
        """Step 11: classes at the end of the day, and the milk parts."""
        p, t, o = self.p, self.t, self.out
        W = p.weaning_age_days
        bmin = p.buck_min_breeding_age_days
        big = np.zeros(self.NL)
        lact = self.OL.sum(axis=3)                                    # (NL, G, P, Kb)
        kr = self.k_of_rows()
        for i in range(self.NL):
            b = self.big_of[i]
            if b >= 0:
                big[i] = self.big_total[b].sum()
                lact[i][..., kr] += (self.LPk[b] + self.A1k[b]) * self.scale
        kids = self.Y[..., :W].sum(axis=(1, 2, 3)) + self.M[..., :W].sum(axis=(1, 2))
        o["kids"][t] = kids
        o["doelings"][t] = (self.Y[..., W:].sum(axis=(1, 2, 3)) + self.N0.sum(axis=(1, 2))
                            + self.PD[:, :, 0].sum(axis=(1, 2))
                            + self.AB1D[:, :, 0].sum(axis=(1, 2, 3)))
        o["bucklings"][t] = self.M[..., W:bmin].sum(axis=(1, 2))
        o["bucks"][t] = self.M[..., max(bmin, W):].sum(axis=(1, 2))
        o["does_in_milk"][t] = self._per_loc(self.OL) + big
        o["does_dry"][t] = (self._per_loc(self.OD) + self._per_loc(self.PD[:, :, 1:])
                            + self._per_loc(self.AB1D[:, :, 1:]))
        o["does_pregnant"][t] = self._per_loc(self.PD) + self._per_loc(self.AB1D) + big
        o["head"][t] = sum(o[n][t] for n in ("kids", "doelings", "bucklings", "bucks",
                                             "does_in_milk", "does_dry"))
        kg = lact * self.curve[None, None]                             # (NL, G, P, Kb)
        cd = p.colostrum_days
        o["milk_gross_kg"][t] = kg.sum(axis=(1, 2, 3))
        o["milk_colostrum_kg"][t] = kg[..., :cd].sum(axis=(1, 2, 3))
        if not p.quarantine_milk_used:
            o["milk_quarantine_kg"][t] = np.where(self.is_farm, 0.0,
                                                  kg[..., cd:].sum(axis=(1, 2, 3)))
        # kids drink goat milk from the end of their colostrum days to weaning
        drinking = (self.Y[..., cd:W].sum(axis=(1, 2, 3))
                    + self.M[..., cd:W].sum(axis=(1, 2)))
        o["milk_fed_kids_kg"][t] = drinking * p.kid_milk_kg_per_day   # demand; clipped later

    def run(self):
        import xarray as xr
        p = self.p
        for t in range(p.n_days):
            self.t = t
            if t:
                self.shift()
            self.release()
            self.deaths_culls()
            self.arrivals()
            self.abortions()
            self.kiddings()
            self.conception_and_failures()
            self.dry_off()
            self.male_sales()
            self.record()
        n_out = p.n_locations
        data = {}
        for name, arr in self.out.items():
            real = np.zeros((p.n_days, n_out))
            for i in range(self.NL):
                real[:, self.real_of[i]] += arr[:, i]
            data[name] = real
        # a slot's transfers out are the station's; moves between a slot and its station
        # do not happen, so no netting is needed
        available = data["milk_gross_kg"] - data["milk_colostrum_kg"] - data["milk_quarantine_kg"]
        fed = np.minimum(data["milk_fed_kids_kg"], np.maximum(available, 0.0))
        data["milk_fed_kids_kg"] = fed
        data["milk_kg"] = np.maximum(available - fed, 0.0)
        coords = {"date": pd.DatetimeIndex(p.dates, name="date"), "farm": list(p.locations)}
        ds = xr.Dataset({name: (("date", "farm"), arr) for name, arr in data.items()},
                        coords=coords)
        ds.attrs["description"] = ("expected-value path of the herd model "
                                   "(capra.herd.mean_path.project_mean)")
        return ds


def _circular(start: int, n: int, size: int) -> list[tuple[slice, slice]]:
    """Positions ``(start + i) % size`` for ``i < n`` as at most two (stored, i) slices."""
    start %= size
    first = min(n, size - start)
    out = [(slice(start, start + first), slice(0, first))]
    if n > first:
        out.append((slice(0, n - first), slice(first, n)))
    return out


def _add_failure(arr: np.ndarray, F: int, axis: int) -> None:
    """Move head from failed count f to f + 1 (at most F) along ``axis``, in place."""
    a = np.moveaxis(arr, axis, 0)
    top = a[F].copy()
    a[1:] = a[:-1].copy()
    a[0] = 0.0
    a[F] += top
