"""The expected-value (mean) path of Capra's daily herd model.

:func:`project_mean` applies the rules of ``docs/herd-model.md`` to expected numbers of
animals instead of individual animals. It reads the same compiled daily parameters
(:class:`capra.herd.params.HerdParams`) as the stochastic simulator and takes the rules
from the same definitions (:mod:`capra.herd.rules`), so the replicate mean of the
simulator must agree with it within sampling error wherever the simulator's nonlinear
management rules (farm capacity, buck numbers) do not bind; ``tests/herd/test_rules_pinned.py``
checks this rule by rule.

This module is longer than the others because the state of the mean path and its daily
steps form one unit: every step moves expected head between the same arrays, and each
step's invariants (which arrays can hold head at which days in milk or days to kidding)
are those the other steps keep.

Units: durations and ages in days [d], stocks in head, milk in kg.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra import libm
from capra.errors import ArgumentError
from capra.herd import rules
from capra.herd.params import FEMALE, MALE, MAX_AGE_DAYS, HerdParams
from capra.herd.processes import Recorder

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["project_mean"]

#: Output variables of :func:`project_mean`: the stochastic simulator's.
_OUTPUT_NAMES = Recorder.FLOWS + Recorder.STOCKS + Recorder.MILK


def project_mean(params: HerdParams) -> xr.Dataset:
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
      failed count beside the pregnant-dry array). With the gestation length of
      :func:`capra.herd.rules.gestation_length` and the abortion days of
      :func:`capra.herd.rules.abortion_days`, this reproduces the simulator's
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
    * the herd is fed what it needs (no farm's feed can run short) and kids are reared on
      the farm's milk, male kids sold at the policy's age (checked);
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

    Raises
    ------
    NotImplementedError
        If the scenario breaks one of the checked assumptions above.
    """
    if not isinstance(params, HerdParams):
        raise ArgumentError("params: expected the compiled parameters of a scenario "
                            "(capra.herd.params.compile_params(scenario)), got "
                            f"{type(params).__name__}")
    if params.rearing is not None and not params.rearing.follows_policy(params):
        raise NotImplementedError(
            "the mean path assumes every farm rears kids on the farm's milk and sells male "
            "kids at policy.replacement.male_sale_age_days (farms[i].kid_rearing default)")
    if params.feeding is not None and params.feeding.can_run_short:
        raise NotImplementedError(
            "the mean path assumes the herd is fed what it needs; a farm that buys nothing "
            "(farms[i].feed.purchase = []) can run short: use the simulator")
    return _MeanProjection(params).run()


class _MeanProjection:
    """State and daily steps of :func:`project_mean` (see its docstring for the rules).

    Internal locations are the farms, then one quarantine slot per quarantined batch
    (its animals until their release; the last released first), then the quarantine
    stations where a batch stays without quarantine. Only the first ``nl`` of them, those
    that can hold animals today, are worked on (after its release a slot holds none). The
    first ``NB``, the farms and the slots, also hold the pregnant lactating does, in
    moving-frame arrays: row ``(k - t) % Kb`` holds days in milk ``k``
    on day ``t`` (a row is a kidding day), position ``(m + t) % Mb`` days to kidding ``m``
    and position ``(j + t) % Jb`` days to abortion ``j`` (a position is a calendar day), so
    that a day moves no data; these arrays are stored divided by ``scale``, the survival
    all their does share. The pregnancies that abort before their dry-off date are kept
    as a step function of the abortion day: ``AB1R`` holds those that abort today, and
    ``AB1L`` the change from one day to the next, so that a day's conceptions write one
    slice per step of the abortion-day distribution rather than one per abortion day
    (the steps of a pregnancy cancel to within rounding, about 1e-16 of its head; what is
    left aborts like any other head, so that nothing is lost).
    """

    def __init__(self, p: HerdParams):
        self.p = p
        n_days = p.n_days
        # internal locations: the farms (first among the scenario's locations), one
        # quarantine slot per quarantined batch, the stations where a batch stays
        self.NF = NF = int(p.is_farm.sum())
        if not p.is_farm[:NF].all():
            raise ArgumentError("params: expected the farms first among the locations")
        quarantined = sorted((i for i, b in enumerate(p.batches) if b.quarantine_days > 0),
                             key=lambda i: -(p.batches[i].day + p.batches[i].quarantine_days))
        self.slot_of = {b_index: NF + n for n, b_index in enumerate(quarantined)}
        self.release_days = np.array([p.batches[i].day + p.batches[i].quarantine_days
                                      for i in quarantined], dtype=np.int64)
        self.NB = NB = NF + len(quarantined)
        stays = sorted({b.location for b in p.batches
                        if b.quarantine_days == 0 and not p.is_farm[b.location]})
        real_of = (list(range(NF)) + [p.batches[i].location for i in quarantined] + stays)
        self.real_of = np.array(real_of, dtype=np.int64)
        self.internal = {real: i for i, real in enumerate(real_of) if i < NF or i >= NB}
        self.NL = NL = len(real_of)
        self.is_farm = np.arange(NL) < NF
        G = self.G = p.n_groups
        F = self.F = int(p.max_failed_windows)
        P = self.P = max(int(p.max_parity), 1)

        # mortality
        haz = p.death_hazard
        self.pd_age = -libm.expm1(-haz)                       # (2, MAX_AGE+1)
        fem = haz[FEMALE]
        const_from = int(np.flatnonzero(fem != fem[-1]).max()) + 1 if np.any(fem != fem[-1]) else 0
        if const_from > p.min_breeding_age_days:
            raise NotImplementedError(
                f"the female death hazard changes at age {const_from} d, after "
                f"min_breeding_age_days = {p.min_breeding_age_days}; the mean path tracks "
                "females that have conceived without their age")
        self.pd_adult = float(self.pd_age[FEMALE, -1])
        self.pc = float(p.cull_daily_probability)
        self.s_par = (1.0 - self.pd_adult) * (1.0 - self.pc)

        # ages: the oldest female that has not conceived, and the oldest male, by the end
        oldest = {FEMALE: n_days, MALE: n_days}
        for b in p.batches:
            for g in b.groups:
                if g.sex == MALE or not (g.pregnant or g.parity > 0):
                    oldest[g.sex] = max(oldest[g.sex], g.age_days_max + n_days - b.day)
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
                    raise ArgumentError(f"params: batch {b.name!r}: pregnant females must kid "
                                        "after their arrival day")
        if n_days - 1 >= p.max_age_days:
            raise NotImplementedError("the horizon is longer than max_age_days; the mean path "
                                      "tracks females that have conceived without their age")
        self.A = A = min(oldest[FEMALE] + 2, MAX_AGE_DAYS + 1)           # females' ages
        self.AM = AM = min(oldest[MALE] + 2, MAX_AGE_DAYS + 1)           # males' ages
        ages = np.arange(A)

        # gestation and abortion (rules.gestation_length, rules.abortion_days): a pregnancy
        # conceived on day 0 that lasts L days aborts, if it does, on a day drawn uniformly
        # from [lo, hi]; the dry-off date is L - D
        lengths, prob = rules.gestation_length_distribution(p)
        lo, hi = rules.abortion_days(0, lengths, 0)
        n_ab = hi - lo + 1                                  # days the abortion can fall on
        r = float(p.abortion_risk)
        D = int(p.dry_period_days)
        if n_ab.min() < max(D - 1, 1):
            raise NotImplementedError("gestation too short for the abortion window and the "
                                      "dry period")
        self.D = D
        if np.any(np.diff(lengths) != 1):
            raise NotImplementedError("gestation lengths with gaps in their distribution")
        self.lengths = lengths
        self.w_kid = prob * (1.0 - r)
        self.w_ab2 = prob * r * max(D - 1, 0) / n_ab        # in the last D - 1 days
        self.ab1_gday = np.arange(int(lo.min()), int(lengths.max()) - D + 1)
        self.w_ab1 = ((prob * r / n_ab)[None, :]            # before the dry-off date
                      * (self.ab1_gday[:, None] <= lengths[None, :] - D)).sum(axis=1)
        # ... as steps: gestation days on which w_ab1 changes, and by how much
        change = np.diff(self.w_ab1, prepend=0.0, append=0.0)
        on = np.flatnonzero(change)
        self.ab1_step_days = (int(lo.min()) + on) if self.ab1_gday.size else on
        self.ab1_steps = change[on]
        self.w_term = self.w_kid + self.w_ab2
        # buffers
        max_m = int(lengths.max())
        max_j = int(lengths.max()) - D
        max_dim = int(p.extended_max_days)
        for b in p.batches:
            for g in b.groups:
                if g.pregnant:
                    max_m = max(max_m, g.due_max - b.day)
                    max_j = max(max_j, g.due_max - b.day - D)
                if g.lactating:
                    max_dim = max(max_dim, g.days_in_milk)
        self.Kb = Kb = max_dim + 2
        self.Mb = Mb = max_m + 2
        self.Jb = Jb = max_j + 2

        # lactation: the dry-off day in milk of open and pregnant does of each parity
        # (rules.lactation_end), at most the last day the arrays hold
        parity = np.arange(1, P + 1)
        end_open = np.minimum(rules.lactation_end(p, parity, False), Kb - 1)
        end_preg = np.minimum(rules.lactation_end(p, parity, True), Kb - 1)
        k = np.arange(Kb)
        self.k_dry = int(end_open.min())                # the first day in milk dried off
        self.pp = int(p.postpartum_interval_days)
        if self.k_dry < self.pp:
            raise NotImplementedError(
                f"does can be dried off at {self.k_dry} days in milk, before the "
                f"postpartum interval of {self.pp} days; the mean path tracks dry open does "
                "without their days since kidding")
        width = p.milk_table.shape[1]
        curve = p.milk_table[np.minimum(parity, 3) - 1][:, np.minimum(k, width - 1)]
        self.mean_litter = rules.mean_litter_size(p)            # (2,) first, later kidding

        # breeding: who may be bred (rules.can_breed), by age and by days in milk
        self.breed_from_age = _first(rules.can_breed(p, ages, np.inf))
        self.breed_from_dim = _first(rules.can_breed(p, np.inf, k))
        # culls of open dry females (rules.culled_when_open_and_dry); those that have
        # conceived are tracked without age and do not reach max_age_days (checked)
        failed = np.arange(F + 1)
        self.cull_y = rules.culled_when_open_and_dry(p, 0, failed[:, None], ages[None, :])
        self.cull_n0 = rules.culled_when_open_and_dry(p, 0, failed, 0)
        cull_od = rules.culled_when_open_and_dry(p, parity[:, None], failed[None, :], 0)
        # by parity (index 0: parity 1); the arrays' parities are cut to those present
        self._by_parity = {"end_open": end_open, "end_preg": end_preg, "curve": curve,
                           "dry_open": k[None, :] >= end_open[:, None], "cull_od": cull_od}
        self.pmax = 0                   # parities 1..pmax (0..pmax pregnant) can hold does
        self.buck_retired = rules.buck_retired(p, np.arange(AM))

        z = np.zeros
        # arrays by age or days in milk (the last axis), and by days ahead: windows into
        # buffers n_days longer, which slide by one position a day (shift)
        self._up = {"Y": z((NL, G, F + 1, A + n_days)), "M": z((NL, 2, AM + n_days)),
                    "OL": z((NL, G, P, F + 1, Kb + n_days))}
        self._down = {"PD": z((NL, G, P + 1, Mb + n_days)),
                      "AB2": z((NL, G, P + 1, F + 1, Mb + n_days)),
                      "AB1D": z((NL, G, P + 1, F + 1, Jb + n_days))}
        self._fixed = {"N0": z((NL, G, F + 1)), "OD": z((NL, G, P, F + 1))}
        # moving-frame arrays of the farms and slots, stored divided by `scale`; a day's
        # kiddings (PL) and abortions (AB1L) first, so that they are read in one piece
        self._big = {"PL": z((Mb, NB, G, P, Kb)), "LPk": z((NB, G, P, Kb)),
                     "AB1L": z((Jb, NB, G, P, F + 1, Kb)), "AB1R": z((NB, G, P, F + 1, Kb)),
                     "A1k": z((NB, G, P, Kb)),
                     "big_total": z((NB, G))}                      # big_total: true head
        self.out = {name: np.zeros((n_days, NL)) for name in _OUTPUT_NAMES}
        self._slide(0)
        self.scale = 1.0
        self.lactating_pregnant_arrived = False

    # ---- moving frame -----------------------------------------------------------------
    def rows(self, k):
        return (np.asarray(k) - self.t) % self.Kb

    def mcol(self, m):
        return (np.asarray(m) + self.t) % self.Mb

    def jcol(self, j):
        return (np.asarray(j) + self.t) % self.Jb

    def by_dim(self, x: np.ndarray) -> np.ndarray:
        """Moving-frame values by row (last axis) rearranged by days in milk."""
        return np.roll(x, self.t % self.Kb, axis=-1)

    def by_days_ahead(self, x: np.ndarray, axis: int) -> np.ndarray:
        """Moving-frame values by calendar day (along ``axis``) rearranged by days ahead."""
        return np.roll(x, -(self.t % x.shape[axis]), axis=axis)

    def location(self, batch_index: int) -> int:
        """Internal location of a batch's animals: its quarantine slot, or its arrival
        place."""
        if batch_index in self.slot_of:
            return self.slot_of[batch_index]
        return self.internal[self.p.batches[batch_index].location]

    # ---- helpers ----------------------------------------------------------------------
    def head(self) -> np.ndarray:
        """Expected head per internal location now. [head]"""
        h = (_per_loc(self.Y) + _per_loc(self.M) + _per_loc(self.N0) + _per_loc(self.OD)
             + _per_loc(self.OL) + _per_loc(self.PD) + _per_loc(self.AB1D))
        h[:self.nb] += self.big_total.sum(axis=1)
        return h

    def add(self, name, loc, value):
        self.day[name][loc] += value

    def _pregnancy_in(self, loc, g, parity_index, f_mass, lactating=False, m_arr=None):
        """Put arriving pregnancies in the pregnant arrays.

        ``f_mass``: (F+1,) head arriving per failed count, or, when ``lactating``,
        (F+1, Kb) per failed count and days in milk. ``parity_index``: parity 0..pmax of
        the pregnant females. The pregnancy kids in ``m_arr`` days; it was conceived
        ``gestation_days`` before (rules.abortion_days).
        """
        p, D = self.p, self.D
        lo, hi = rules.abortion_days(m_arr - p.gestation_days, m_arr, 0)
        n = int(hi - lo + 1)
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
        # lactating (on a farm or in a slot): parity_index >= 1; f_mass (F+1, Kb)
        b = loc
        pi = parity_index - 1
        by_k = f_mass.sum(axis=0)
        rows = self.rows(np.arange(self.Kb))
        s = self.scale
        self.PL[self.mcol(m_kid)[:, None], b, g, pi, rows[None, :]] += np.outer(w_term, by_k) / s
        self.LPk[b, g, pi, rows] += by_k * w_term.sum() / s
        self.AB2[loc, g, parity_index, :, m_kid] += np.outer(w_ab2, f_mass.sum(axis=1))
        if j_ab1.size:             # r / n on each of the days j_ab1 (consecutive)
            per_day = (r / n / s) * f_mass                               # (F+1, Kb)
            first, after = int(j_ab1.min()), int(j_ab1.max()) + 1
            if first == 0:                                             # aborting today
                self.AB1R[b, g, pi][:, rows] += per_day
            else:
                self.AB1L[self.jcol(first), b, g, pi][:, rows] += per_day
            self.AB1L[self.jcol(after), b, g, pi][:, rows] -= per_day
            self.A1k[b, g, pi, rows] += by_k * w_ab1.sum() / s
        self.big_total[b, g] += by_k.sum() * (w_term.sum() + w_ab1.sum())
        self.lactating_pregnant_arrived = True

    def _conceive_dry(self, g, mass):
        """Conceptions of dry females on the farms.

        ``mass``: (NF, pmax+1, F+1) head conceiving by farm, parity 0..pmax and failed
        count.
        """
        nf = slice(0, self.NF)
        m0, m1 = int(self.lengths[0]), int(self.lengths[-1]) + 1
        j0 = int(self.ab1_gday[0]) if self.ab1_gday.size else 0
        j1 = j0 + self.ab1_gday.size
        self.PD[nf, g, :, m0:m1] += mass.sum(axis=2)[:, :, None] * self.w_term
        self.AB2[nf, g, :, :, m0:m1] += mass[..., None] * self.w_ab2
        self.AB1D[nf, g, :, :, j0:j1] += mass[..., None] * self.w_ab1

    def _conceive_lactating(self, g, ol, k_from):
        """Conceptions of open lactating does on the farms, all parities at once.

        ``ol``: (NF, pmax, F+1, dim) head conceiving by farm, parity index, failed count
        and days in milk from ``k_from``. Only the parities, failed counts and days in milk
        that hold does are written.
        """
        by_pf = ol.sum(axis=3)                                        # (NF, P, F+1)
        if not by_pf.any():
            return
        by_k = ol.sum(axis=2)                                         # (NF, P, dim)
        s = self.scale
        nz = np.flatnonzero(by_k.any(axis=(0, 1)))
        k0, k1 = int(nz[0]), int(nz[-1]) + 1                          # days in milk present
        parities = np.flatnonzero(by_pf.any(axis=(0, 2)))
        p0, p1 = int(parities[0]), int(parities[-1]) + 1               # parities present
        failed = np.flatnonzero(by_pf.any(axis=(0, 1)))
        f0, f1 = int(failed[0]), int(failed[-1]) + 1                   # failed counts present
        krows = _circular(k0 + k_from - self.t, k1 - k0, self.Kb)
        mcols = _circular(int(self.lengths[0]) + self.t, self.lengths.size, self.Mb)
        nf = slice(0, self.NF)
        pl = self.PL[:, nf, g, p0:p1]                                  # (Mb, NF, p, Kb)
        lp, a1 = self.LPk[nf, g, p0:p1], self.A1k[nf, g, p0:p1]        # (NF, p, Kb)
        bk = by_k[:, p0:p1, k0:k1]                                     # (NF, p, nk)
        term = (self.w_term / s)[:, None, None, None] * bk[None]       # (nL, NF, p, nk)
        ol = ol[:, p0:p1, f0:f1, k0:k1] / s                            # (NF, p, f, nk)
        steps = [(self.AB1L[self.jcol(day), nf, g, p0:p1, f0:f1], w)
                 for day, w in zip(self.ab1_step_days, self.ab1_steps, strict=True)]
        for rdst, rsrc in krows:
            for cdst, csrc in mcols:
                pl[cdst, ..., rdst] += term[csrc, ..., rsrc]
            for ab1, w in steps:                     # the abortion days, as steps
                ab1[..., rdst] += w * ol[..., rsrc]
            lp[..., rdst] += bk[..., rsrc] * (self.w_term.sum() / s)
            a1[..., rdst] += bk[..., rsrc] * (self.w_ab1.sum() / s)
        self.AB2[nf, g, 1:, :, self.lengths[0]:self.lengths[-1] + 1] += (
            by_pf[..., None] * self.w_ab2)
        self.big_total[nf, g] += by_pf.sum(axis=(1, 2)) * (self.w_term.sum()
                                                            + self.w_ab1.sum())

    def _slide(self, t: int) -> None:
        """The arrays of day ``t`` (:meth:`_views`): head at age (or days in milk) ``a`` on
        day ``t - 1`` is at ``a + 1`` on day ``t``, and head ``m`` days ahead is ``m - 1``
        days ahead; the locations that can hold animals today."""
        self.t = t
        if self.NL > self.NB:           # a batch stays at a station: all locations
            self.nl = self.NL
        else:                           # the farms, and the slots not yet released
            self.nl = self.NF + int((self.release_days >= t).sum())
        self.nb = min(self.nl, self.NB)
        self.day = {name: arr[t, :self.nl] for name, arr in self.out.items()}
        self._views()

    def _grow_parity(self, parity: int) -> None:
        """Let the arrays hold does of up to ``parity`` kiddings."""
        if parity > self.pmax:
            self.pmax = min(parity, self.P)
            self._views()

    def _views(self) -> None:
        """Set the arrays as views of today's windows, of the locations that can hold
        animals, and of the parities present (``pmax``)."""
        t, n, nl, nb = self.t, self.p.n_days, self.nl, self.nb
        par, preg = slice(0, self.pmax), slice(0, self.pmax + 1)
        for name, buf in self._up.items():
            size = buf.shape[-1] - n
            view = buf[:nl, ..., n - t:n - t + size]
            setattr(self, name, view[:, :, par] if name == "OL" else view)
        for name, buf in self._down.items():
            size = buf.shape[-1] - n
            setattr(self, name, buf[:nl, :, preg, ..., t:t + size])
        self.N0, self.OD = self._fixed["N0"][:nl], self._fixed["OD"][:nl, :, par]
        big = self._big
        self.PL, self.AB1L = big["PL"][:, :nb, :, par], big["AB1L"][:, :nb, :, par]
        self.LPk, self.A1k = big["LPk"][:nb, :, par], big["A1k"][:nb, :, par]
        self.AB1R = big["AB1R"][:nb, :, par]
        self.big_total = big["big_total"][:nb]
        for name, arr in self._by_parity.items():
            setattr(self, name, arr[par])

    # ---- daily steps ------------------------------------------------------------------
    def shift(self):
        """Step 1: a day older, a day further in milk, a day nearer kidding or abortion
        (the head past the last age or day held leaves the arrays; the windows moved in
        :meth:`_slide`)."""
        for name in self._up:
            getattr(self, name)[..., 0] = 0.0
        for name in self._down:
            getattr(self, name)[..., -1] = 0.0
        change = self.AB1L[self.jcol(0)]                 # today's abortions (step function)
        self.AB1R += change
        change[...] = 0.0

    def arrival_head(self) -> np.ndarray:
        """Head arriving today per internal location. [head]"""
        h = np.zeros(self.nl)
        for b_index, b in enumerate(self.p.batches):
            if b.day == self.t:
                h[self.location(b_index)] += b.size
        return h

    def release(self):
        """Step 2: quarantine release; a batch's animals move to its destinations, split
        by the farms' room (rules.release_weights)."""
        p, t = self.p, self.t
        for b_index, b in enumerate(p.batches):
            slot = self.slot_of.get(b_index)
            if slot is None or b.day + b.quarantine_days != t:
                continue
            head = self.head() + self.arrival_head()
            moving = head[slot]
            dest = np.asarray(b.destinations)
            weights = rules.release_weights(p, dest, head[dest])
            share = weights / weights.sum()
            self.add("transfers_out", slot, moving)
            self.add("transfers_in", dest, moving * share)
            for name in ("Y", "M", "N0", "OD", "OL", "PD", "AB2", "AB1D", "PL", "LPk",
                         "AB1L", "AB1R", "A1k", "big_total"):
                # the location axis first (a view)
                arr = np.moveaxis(getattr(self, name), 1 if name in ("PL", "AB1L") else 0, 0)
                if arr[slot].any():
                    for d, w in zip(dest, share):
                        arr[d] += w * arr[slot]
                    arr[slot] = 0.0

    def deaths_culls(self):
        """Steps 3 and 4: deaths of the animals present, and their culls: by rule
        (rules.culled_when_open_and_dry, rules.buck_retired) and involuntary."""
        A, AM = self.A, self.AM
        pd, pc = self.pd_adult, self.pc
        # deaths of the females that have not conceived (by age), the males (by age), and
        # the open dry females that have conceived; culls of the open dry females by rule
        dead = self.Y * self.pd_age[FEMALE, :A]
        deaths = _per_loc(dead)
        self.Y -= dead
        dead = self.M * self.pd_age[MALE, :AM]
        deaths += _per_loc(dead)
        self.M -= dead
        for arr in (self.N0, self.OD):
            deaths += _per_loc(arr) * pd
            arr *= 1.0 - pd
        self.cull_by_rule()
        # kept bucks retire; involuntary culls of parous does
        culls = self.M[:, 1, self.buck_retired].sum(axis=1)
        self.M[:, 1, self.buck_retired] = 0.0
        culls += _per_loc(self.OD) * pc
        self.OD *= 1.0 - pc
        head = _per_loc(self.OL)                    # all parous
        deaths += head * pd
        culls += head * (1.0 - pd) * pc
        self.OL *= self.s_par
        for arr in (self.PD, self.AB1D, self.AB2):  # parity 0 first: not culled
            if arr is not self.AB2:                 # AB2 is a part of PD
                by_parity = arr.sum(axis=tuple(range(3, arr.ndim)))    # (nl, G, P+1)
                deaths += _per_loc(by_parity) * pd
                culls += _per_loc(by_parity[:, :, 1:]) * (1.0 - pd) * pc
            arr[:, :, 0] *= 1.0 - pd
            arr[:, :, 1:] *= self.s_par
        # moving-frame arrays (all parous, all the same risks)
        tot = self.big_total.sum(axis=1)
        deaths[:self.nb] += tot * pd
        culls[:self.nb] += tot * (1.0 - pd) * pc
        self.big_total *= self.s_par
        self.scale *= self.s_par
        self.day["deaths"] += deaths
        self.day["culls"] += culls

    def cull_by_rule(self):
        """Culls of the open dry females that meet a culling rule, done whenever some may
        have become open and dry (rules.culled_when_open_and_dry)."""
        culls = _per_loc(np.where(self.cull_y, self.Y, 0.0))
        self.Y[..., self.cull_y] = 0.0
        culls += _per_loc(np.where(self.cull_n0, self.N0, 0.0))
        self.N0[..., self.cull_n0] = 0.0
        culls += _per_loc(np.where(self.cull_od, self.OD, 0.0))
        self.OD[..., self.cull_od] = 0.0
        self.day["culls"] += culls

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
            loc = self.location(b_index)
            self.add("arrivals", loc, b.size)
            for grp in b.groups:
                ages = np.arange(grp.age_days_min, grp.age_days_max + 1)
                per_age = grp.count / ages.size
                if grp.sex == MALE:
                    alive = per_age * (1.0 - self.pd_age[MALE, ages])
                    self.add("deaths", loc, grp.count - alive.sum())
                    old = rules.buck_retired(p, ages)
                    self.add("culls", loc, alive[old].sum())
                    self.M[loc, 1, ages] += np.where(old, 0.0, alive)
                    continue
                if grp.parity == 0 and not grp.pregnant:
                    alive = per_age * (1.0 - self.pd_age[FEMALE, ages])
                    self.add("deaths", loc, grp.count - alive.sum())
                    self.Y[loc, :, 0, ages] += alive[:, None] * share[None, :]
                    continue
                count = grp.count * (1.0 - self.pd_adult)
                self.add("deaths", loc, grp.count - count)
                parity_index = min(grp.parity, P)
                self._grow_parity(parity_index)
                pi = parity_index - 1
                k = min(grp.days_in_milk, self.Kb - 1)
                if not grp.pregnant:
                    if grp.lactating and k < self.end_open[pi]:
                        self.OL[loc, :, pi, 0, k] += count * share
                    elif rules.culled_when_open_and_dry(p, grp.parity, 0, grp.age_days_max):
                        self.add("culls", loc, count)
                    else:
                        self.OD[loc, :, pi, 0] += count * share
                    continue
                dues = np.arange(grp.due_min, grp.due_max + 1)
                lact = grp.lactating and k < self.end_preg[pi] and loc < self.NB
                for g in range(G):
                    for due in dues:
                        head = count * share[g] / dues.size
                        if lact:
                            km = np.zeros((F + 1, self.Kb))
                            km[0, k] = head
                            self._pregnancy_in(loc, g, parity_index, km, lactating=True,
                                               m_arr=int(due - t))
                        else:
                            fm = np.zeros(F + 1)
                            fm[0] = head
                            self._pregnancy_in(loc, g, parity_index, fm, m_arr=int(due - t))

    def abortions(self):
        """Step 5: pregnancies ending in abortion today; the does become open."""
        D = self.D
        # before the dry-off date, lactating: back to open lactating at their days in milk
        x = self.AB1R                                                 # (NB, G, P, F+1, Kb)
        ab = np.zeros(self.nl)
        if x.any():     # AB1R stays: tomorrow's abortions are today's plus the change
            moved = x * self.scale
            self.OL[:self.nb] += self.by_dim(moved)
            ab[:self.nb] = _per_loc(moved)
            self.big_total -= moved.sum(axis=(2, 3, 4))
            self.A1k -= x.sum(axis=3)
        # before the dry-off date, dry
        x = self.AB1D[..., 0]                                         # (NL, G, P+1, F+1)
        ab += _per_loc(x)
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
            ab += _per_loc(back)
            self.N0 += back[:, :, 0]
            self.OD += back[:, :, 1:]
        self.day["abortions"] += ab
        self.cull_by_rule()

    def kiddings(self):
        """Step 6: does due today kid; live kids join the dam's location."""
        p, P = self.p, self.P
        x = self.PD[..., 0].copy()                                    # (NL, G, P+1)
        self.PD[..., 0] = 0.0
        self.AB2[..., 0] = 0.0
        if not x.any():
            return
        self.day["kiddings"] += _per_loc(x)
        litter = (x[:, :, 0].sum(axis=1) * self.mean_litter[0]
                  + x[:, :, 1:].sum(axis=(1, 2)) * self.mean_litter[1])
        live = litter * (1.0 - p.stillbirth_risk)
        self.day["stillbirths"] += litter * p.stillbirth_risk
        # dams: parity + 1 (at most P), lactation day 0, failed reset
        top = int(np.flatnonzero(x.any(axis=(0, 1)))[-1])             # the dams' parities
        n = min(top + 1, P)
        self._grow_parity(n)
        self.OL[:, :, :n, 0, 0] += x[:, :, :n]
        if top >= P:
            self.OL[:, :, P - 1, 0, 0] += x[:, :, P:].sum(axis=2)
        # kids join their dam's location (in quarantine: her batch's slot, released with it)
        self.day["births"] += live
        females = live * p.female_fraction
        males = live * (1.0 - p.female_fraction)
        self.Y[:, :, 0, 0] += females[:, None] * p.group_share[None, :]
        self.M[:, 0, 0] += males

    def conception_and_failures(self):
        """Steps 7 and 8: conceptions of eligible open females on the farms
        (rules.can_breed, rules.conception_probability); failed windows."""
        p, t, F = self.p, self.t, self.F
        nf = slice(0, self.NF)
        probability, _ = rules.conception_probability(p, t)
        a0, k0 = self.breed_from_age, self.breed_from_dim
        conc = np.zeros(self.nl)
        for g in np.flatnonzero(p.in_window[:, t]):
            # the females that may be bred, as views
            y, n0 = self.Y[nf, g, :, a0:], self.N0[nf, g]             # (NF, F+1, ages)
            od, ol = self.OD[nf, g], self.OL[nf, g, :, :, k0:]        # (NF, P, F+1, dim)
            q = float(probability[g])
            if q > 0:
                mass = np.empty((self.NF, self.pmax + 1, F + 1))
                mass[:, 0] = q * (y.sum(axis=2) + n0)
                y *= 1.0 - q
                n0 *= 1.0 - q
                mass[:, 1:] = q * od
                od -= mass[:, 1:]
                self._conceive_dry(g, mass)
                lact = q * ol
                ol -= lact
                self._conceive_lactating(g, lact, k0)
                conc[nf] += mass.sum(axis=(1, 2)) + lact.sum(axis=(1, 2, 3))
            if p.window_last_day[g, t]:
                for arr, axis in ((y, 1), (n0, 1), (od, 2), (ol, 2)):
                    _add_failure(arr, F, axis)
                self.cull_by_rule()
        self.day["conceptions"] += conc

    def dry_off(self):
        """Step 9: dry-off of lactating does (rules.lactation_end, rules.dry_off_day)."""
        D = self.D
        m_first = 0 if self.lactating_pregnant_arrived else min(D, self.Mb - 1)
        self.lactating_pregnant_arrived = False
        # open does at or past the end of their lactation (reached today, or returned
        # there today by an abortion)
        k0 = self.k_dry
        x = np.where(self.dry_open[:, None, k0:], self.OL[..., k0:], 0.0)
        self.OD += x.sum(axis=-1)
        self.OL[..., k0:] -= x
        self.cull_by_rule()
        if not self.big_total.any():
            return
        # rule (a): pregnant does within the dry period of their kidding; only D days
        # before kidding can hold any (conceptions are further away and the nearer days
        # were emptied on the days before), unless pregnant does arrived in milk today
        cols = self.mcol(np.arange(m_first, min(D, self.Mb - 1) + 1))
        xs = self.PL[cols]                                             # (m, NB, G, P, Kb)
        moved = xs.sum(axis=4) * self.scale                           # (m, NB, G, P)
        self.PD[:self.nb, :, 1:, m_first:m_first + cols.size] += moved.transpose(1, 2, 3, 0)
        self.LPk -= xs.sum(axis=0)
        self.big_total -= moved.sum(axis=(0, 3))
        self.PL[cols] = 0.0
        # rules (b)-(d): pregnant does reaching the end of their lactation, one day in
        # milk per parity (no pregnant lactating doe is past it)
        parity = np.arange(self.pmax)
        rows = self.rows(self.end_preg)
        # parities with does in the row: LPk and A1k count them by row
        ends = self.LPk[:, :, parity, rows].any(axis=(0, 1))
        if ends.any():
            pi, row = parity[ends], rows[ends]
            xs = self.PL[:, :, :, pi, row]                             # (Mb, NB, G, p)
            moved = self.by_days_ahead(xs, axis=0) * self.scale
            self.PD[:self.nb, :, pi + 1] += moved.transpose(1, 2, 3, 0)
            self.big_total -= moved.sum(axis=(0, 3))
            self.PL[:, :, :, pi, row] = 0.0
            self.LPk[:, :, pi, row] = 0.0
        ends = self.A1k[:, :, parity, rows].any(axis=(0, 1))
        if ends.any():
            pi, row = parity[ends], rows[ends]
            # the abortions of the days ahead (today's have happened): the step function
            change = self.by_days_ahead(self.AB1L[:, :, :, pi, :, row], axis=1)
            change[:, 0] = 0.0                                         # (p, Jb, NB, G, F+1)
            ahead = self.AB1R[:, :, pi, :, row][:, None] + np.cumsum(change, axis=1)
            ahead[:, 0] = 0.0
            moved = ahead * self.scale
            self.AB1D[:self.nb, :, pi + 1] += moved.transpose(2, 3, 0, 4, 1)
            self.big_total -= moved.sum(axis=(0, 1, 4))
            self.AB1L[:, :, :, pi, :, row] = 0.0
            self.AB1R[:, :, pi, :, row] = 0.0
            self.A1k[:, :, pi, row] = 0.0

    def male_sales(self):
        """Step 10: male kids not kept are sold at ``male_sale_age_days``."""
        a = self.p.male_sale_age_days
        if a < self.AM:
            self.day["sales"] += self.M[:, 0, a]
            self.M[:, 0, a] = 0.0

    def record(self):
        """Step 11: classes at the end of the day, and the milk parts."""
        p, o = self.p, self.day
        W = p.weaning_age_days
        bmin = p.buck_min_breeding_age_days
        cd = p.colostrum_days
        females = self.Y.sum(axis=(1, 2))                             # (NL, A)
        males = self.M.sum(axis=1)                                    # (NL, AM)
        big = np.zeros(self.nl)
        big[:self.nb] = self.big_total.sum(axis=1)
        lact = self.OL.sum(axis=(1, 3))                               # (NL, P, Kb)
        in_milk_open = _per_loc(lact)
        lact[:self.nb] += self.by_dim((self.LPk + self.A1k).sum(axis=1)) * self.scale
        o["kids"][:] = females[:, :W].sum(axis=1) + males[:, :W].sum(axis=1)
        o["doelings"][:] = (females[:, W:].sum(axis=1) + _per_loc(self.N0)
                            + _per_loc(self.PD[:, :, 0]) + _per_loc(self.AB1D[:, :, 0]))
        o["bucklings"][:] = males[:, W:bmin].sum(axis=1)
        o["bucks"][:] = males[:, max(bmin, W):].sum(axis=1)
        o["does_in_milk"][:] = in_milk_open + big
        o["does_dry"][:] = (_per_loc(self.OD) + _per_loc(self.PD[:, :, 1:])
                            + _per_loc(self.AB1D[:, :, 1:]))
        o["does_pregnant"][:] = _per_loc(self.PD) + _per_loc(self.AB1D) + big
        o["head"][:] = sum(o[n] for n in ("kids", "doelings", "bucklings", "bucks",
                                          "does_in_milk", "does_dry"))
        kg = lact * self.curve                                        # (NL, P, Kb)
        kg *= p.milk_factor_by_day[self.t]                            # heat stress
        o["milk_gross_kg"][:] = kg.sum(axis=(1, 2))
        o["milk_colostrum_kg"][:] = kg[..., :cd].sum(axis=(1, 2))
        if not p.quarantine_milk_used:
            o["milk_quarantine_kg"][:] = np.where(self.is_farm[:self.nl], 0.0,
                                                  kg[..., cd:].sum(axis=(1, 2)))
        # kids drink goat milk from the end of their colostrum days to weaning
        drinking = females[:, cd:W].sum(axis=1) + males[:, cd:W].sum(axis=1)
        o["milk_fed_kids_kg"][:] = drinking * p.kid_milk_kg_per_day   # demand; clipped later

    def run(self) -> xr.Dataset:
        import xarray as xr

        p = self.p
        for t in range(p.n_days):
            if t:
                self._slide(t)
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
        # a slot's flows and stocks are its station's; moves between a slot and its
        # station do not happen, so no netting is needed
        data = {}
        for name, arr in self.out.items():
            real = np.zeros((p.n_days, p.n_locations))
            np.add.at(real.T, self.real_of, arr.T)
            data[name] = real
        data["milk_fed_kids_kg"], data["milk_kg"] = rules.deliverable_milk(
            data["milk_gross_kg"], data["milk_colostrum_kg"], data["milk_quarantine_kg"],
            data["milk_fed_kids_kg"])
        coords = {"date": pd.DatetimeIndex(p.dates, name="date"), "farm": list(p.locations)}
        ds = xr.Dataset({name: (("date", "farm"), arr) for name, arr in data.items()},
                        coords=coords)
        ds.attrs["description"] = ("expected-value path of the herd model "
                                   "(capra.herd.mean_path.project_mean)")
        return ds


def _per_loc(arr: np.ndarray) -> np.ndarray:
    """Sum over every axis but the first (the location)."""
    if arr.ndim > 2:
        arr = arr.sum(axis=-1)                  # along the contiguous axis first
    return arr.reshape(arr.shape[0], -1).sum(axis=1)


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


def _first(mask: np.ndarray) -> int:
    """The position from which ``mask`` is true (it is false before and true after)."""
    first = int(np.argmax(mask)) if mask.any() else mask.size
    if not mask[first:].all() or mask[:first].any():
        raise NotImplementedError("the mean path needs a breeding rule that holds from an "
                                  "age and from a day in milk on")
    return first
