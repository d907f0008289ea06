"""Baseline for the herd benchmark: the daily herd model as a per-animal object loop.

This is the model of ``docs/herd-model.md`` written the way an agent-based framework
would have it: one :class:`Goat` object per animal, a list of goats, and for every day a
loop over the goats that applies the rules with :func:`random.random`. It reads the same
compiled :class:`~capra.herd.params.HerdParams` as the vectorized simulator, so both use
the same daily probabilities, windows and tables.

It is written to be reasonably fast for plain Python, not slow on purpose: goats have
``__slots__``; the parameter arrays are turned into Python lists once; the breed curves
are tabulated once from the Wood formula (calling the vectorized ``daily_kg`` for one doe
at a time costs tens of microseconds and would dominate the loop); the processes that
concern one animal at a time run in one pass over the goats, and the day's end (dry-off,
counts, milk, dropping the removed animals) in a second pass. The order of the processes
within a day is the documented one; where a rule needs the whole farm (the buck cap on
conceptions, quarantine release, replacement) the pass collects what it needs and the
decision is taken between the passes.

The random numbers are drawn differently: here daily Bernoulli trials from
one Mersenne Twister per replicate (e.g. death: ``random() < p(sex, age)`` every day),
there counter-based streams and event clocks with the same daily probabilities. Results
agree in distribution, not draw by draw.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right

import numpy as np

from capra.herd.params import AI, FEMALE, MALE, MAX_AGE_DAYS, HerdParams

__all__ = ["Goat", "ObjectLoopResult", "milk_table", "simulate_replicate"]


class Goat:
    """One animal. Days are simulation days; -1 means none."""

    __slots__ = (
        "abort_day",
        "alive",
        "batch",
        "birth",
        "cull_from",
        "due",
        "effect",
        "failed",
        "group",
        "kept",
        "kidded",
        "lactating",
        "loc",
        "parity",
        "quarantine_end",
        "sex",
    )

    def __init__(self, sex, birth, loc, group, effect, parity=0, quarantine_end=-1,
                 batch=-1, kept=False):
        self.sex = sex
        self.birth = birth
        self.loc = loc
        self.parity = parity
        self.group = group
        self.due = -1              # kidding day of the current pregnancy
        self.abort_day = -1        # day the current pregnancy aborts
        self.kidded = -1           # day of the last kidding
        self.lactating = False
        self.failed = 0            # breeding windows ended open since the last kidding
        self.effect = effect       # lognormal milk effect, mean 1
        self.cull_from = -1        # first day of the involuntary culling risk
        self.quarantine_end = quarantine_end
        self.batch = batch
        self.kept = kept
        self.alive = True


class ObjectLoopResult:
    """Daily head, deliverable milk [kg] and counts by class per location, and event totals.

    ``head`` and ``milk_kg`` are arrays (day, location); ``counts`` is (day, location, 7):
    kids, doelings, bucklings, bucks, does in milk, dry does, pregnant.
    """

    CLASSES = ("kids", "doelings", "bucklings", "bucks", "does_in_milk", "does_dry",
               "does_pregnant")

    def __init__(self, head, milk_kg, counts, totals):
        self.head = head
        self.milk_kg = milk_kg
        self.counts = counts
        self.totals = totals

    @property
    def animal_days(self) -> int:
        return int(self.head.sum())


def _wood(t, a, b, c):
    if t <= 0:
        return 0.0 if (t < 0 or b > 0) else (a if b == 0 else math.inf)
    return a * t ** b * math.exp(-c * t)


def milk_table(p: HerdParams) -> list[list[float]]:
    """Breed curve [kg/day] by parity class (1, 2, 3+) and days in milk 0..max, from the
    Wood formula (with the extended-lactation rebound when the policy has it)."""
    cv = p.curves
    rows = []
    for k in range(3):
        a, b, c = float(cv.wood_a[k]), float(cv.wood_b[k]), float(cv.wood_c[k])
        r, rate, cap = (float(cv.rebound_day[k]), float(cv.rebound_rate_per_day[k]),
                        float(cv.rebound_max_ratio[k]))
        y_r = _wood(r, a, b, c)
        row = []
        for t in range(cv.max_dim_days + 1):
            if p.extended_lactation and t > r:
                row.append(y_r * min(1.0 + rate * (t - r), cap))
            else:
                row.append(_wood(t, a, b, c))
        rows.append(row)
    return rows


def simulate_replicate(p: HerdParams, seed: int) -> ObjectLoopResult:
    """Simulate one replicate of the herd, day by day and goat by goat."""
    rng = random.Random(seed)
    rnd = rng.random
    gauss = rng.gauss

    n_days, L = p.n_days, p.n_locations
    is_farm = p.is_farm.tolist()
    capacity = p.capacity_head.tolist()
    target = [math.floor(c * p.target_fill) for c in capacity]
    p_death = (-np.expm1(-p.death_hazard)).tolist()          # daily probability by sex, age
    p_cull = p.cull_daily_probability
    cum_share = np.cumsum(p.group_share).tolist()
    n_groups = p.n_groups
    method = p.group_method.tolist()
    in_window = p.in_window.T.tolist()                       # [day][group]
    any_window = p.in_window.any(axis=0).tolist()
    first_day = p.window_first_day.T.tolist()
    last_day = p.window_last_day.T.tolist()
    any_last = p.window_last_day.any(axis=0).tolist()
    service = p.service_probability.T.tolist()
    ai_prob = p.ai_probability.tolist()
    litter_cdf = np.cumsum(p.litter_probabilities, axis=1).tolist()
    k_max = p.litter_probabilities.shape[1]
    sigma = p.effect_sigma
    half_var = 0.5 * sigma * sigma
    table = milk_table(p)
    max_dim = p.curves.max_dim_days
    extended = p.extended_lactation
    wean, decision, male_sale = p.weaning_age_days, p.decision_age_days, p.male_sale_age_days
    min_breed, ppi = p.min_breeding_age_days, p.postpartum_interval_days
    buck_min, buck_max = p.buck_min_breeding_age_days, p.buck_max_age_days
    max_parity, max_age, max_failed = p.max_parity, p.max_age_days, p.max_failed_windows
    abortion_risk, stillbirth, female_frac = p.abortion_risk, p.stillbirth_risk, p.female_fraction
    gest, gest_sd = p.gestation_days, p.gestation_sd_days
    per_season = int(p.does_per_buck)          # a whole number of does (rng.sample)
    G = len(p.group_method)
    mated = [[0] * G for _ in range(L)]      # does made pregnant this window, per farm
    dry_period, std_len, ext_max = p.dry_period_days, p.standard_length_days, p.extended_max_days
    min_yield, colostrum_days = p.min_yield_kg_per_day, p.colostrum_days
    kid_milk, q_milk_used = p.kid_milk_kg_per_day, p.quarantine_milk_used

    def curve(dim, parity):
        if parity <= 0:
            return 0.0
        k = 2 if parity >= 3 else parity - 1
        if dim <= max_dim:
            return table[k][dim]
        return float(p.curves.daily_kg(np.array([dim]), np.array([parity]),
                                       extended=extended)[0])

    def new_goat(sex, birth, loc, **kw):
        group = min(bisect_right(cum_share, rnd()), n_groups - 1)
        effect = math.exp(sigma * gauss(0.0, 1.0) - half_var)
        return Goat(sex, birth, loc, group, effect, **kw)

    def schedule_abortion(g, conception_day, t):
        if rnd() < abortion_risk:
            lo = max(conception_day + 30, t)
            hi = max(g.due - 1, lo)
            g.abort_day = lo + int(rnd() * (hi - lo + 1))
        else:
            g.abort_day = -1

    goats: list[Goat] = []
    head = np.zeros((n_days, L), np.int64)
    counts = np.zeros((n_days, L, 7), np.int64)
    milk = np.zeros((n_days, L))
    totals = dict.fromkeys(("arrivals", "deaths", "culls", "abortions", "kiddings", "births",
                            "stillbirths", "conceptions", "sales", "transfers"), 0)

    for t in range(n_days):
        # 1. arrivals
        for b_index, b in enumerate(p.batches):
            if b.day != t:
                continue
            qend = t + b.quarantine_days if b.quarantine_days > 0 else -1
            for spec in b.groups:
                span = spec.age_days_max - spec.age_days_min + 1
                for _ in range(spec.count):
                    age = spec.age_days_min + int(rnd() * span)
                    g = new_goat(spec.sex, t - age, b.location, parity=spec.parity,
                                 quarantine_end=qend, batch=b_index, kept=True)
                    if spec.pregnant:
                        g.due = spec.due_min + int(rnd() * (spec.due_max - spec.due_min + 1))
                        schedule_abortion(g, g.due - gest, t)
                    if spec.lactating:
                        g.lactating = True
                        g.kidded = t - spec.days_in_milk
                    if spec.parity > 0:
                        g.cull_from = t + 1
                    goats.append(g)
                totals["arrivals"] += spec.count

        # 2. quarantine release, batch by batch, in proportion to the farms' room
        leaving = [g for g in goats if g.alive and g.quarantine_end == t]
        if leaving:
            for b_index in sorted({g.batch for g in leaving}):
                group = [g for g in leaving if g.batch == b_index]
                dest = p.batches[b_index].destinations.tolist()
                n_loc = [0] * L
                for g in goats:
                    if g.alive:
                        n_loc[g.loc] += 1
                room = [max(target[d] - n_loc[d], 0) for d in dest]
                weights = room if sum(room) > 0 else [capacity[d] for d in dest]
                total_w = sum(weights)
                bounds, acc = [], 0
                for w in weights:
                    acc += w
                    bounds.append(round(acc / total_w * len(group)))
                rng.shuffle(group)
                start = 0
                for d, end in zip(dest, bounds):
                    for g in group[start:end]:
                        g.loc = d
                        g.quarantine_end = -1
                    start = max(start, end)
                totals["transfers"] += len(group)

        # 3-7. deaths, culls, abortions, kiddings, conception (one goat at a time); the
        # pass also counts what the farm-level rules of the day need.
        window_today = any_window[t]
        win_t, first_t, service_t = in_window[t], first_day[t], service[t]
        bucks_breeding = [0] * L                 # kept males of breeding age on a farm
        older = [0] * L                          # animals older than the decision age
        breeding_females = [0] * L
        kept_males = [0] * L
        wants = [[] for _ in range(L)]           # does served today, before the buck cap
        eligible = []
        young_females, young_males = [], []
        newborn = []
        for g in goats:
            age = t - g.birth
            # deaths
            # (a conditional, not min(): cheaper in the innermost loop)
            if rnd() < p_death[g.sex][age if age < MAX_AGE_DAYS else MAX_AGE_DAYS]:  # noqa: FURB136
                g.alive = False
                totals["deaths"] += 1
                continue
            female = g.sex == FEMALE
            # culls
            if female:
                if ((g.cull_from >= 0 and t >= g.cull_from and rnd() < p_cull)
                        or (not g.lactating and g.due < 0
                            and (g.parity >= max_parity or age >= max_age
                                 or g.failed >= max_failed))):
                    g.alive = False
                    totals["culls"] += 1
                    continue
            elif g.kept and age >= buck_max:
                g.alive = False
                totals["culls"] += 1
                continue
            if female:
                # abortions
                if g.abort_day == t:
                    g.due = -1
                    g.abort_day = -1
                    totals["abortions"] += 1
                # kiddings
                if g.due == t:
                    u = rnd()
                    cdf = litter_cdf[1 if g.parity else 0]
                    litter = min(1 + sum(1 for c in cdf if u >= c), k_max)
                    totals["kiddings"] += 1
                    for _ in range(litter):
                        if rnd() < stillbirth:
                            totals["stillbirths"] += 1
                            continue
                        sex = MALE if rnd() >= female_frac else FEMALE
                        newborn.append(new_goat(sex, t, g.loc))
                    if g.parity == 0:
                        g.cull_from = t + 1
                    g.parity += 1
                    g.kidded = t
                    g.lactating = True
                    g.due = -1
                    g.abort_day = -1
                    g.failed = 0
                # conception: the doe's own conditions and her draw
                if (window_today and g.due < 0 and win_t[g.group] and is_farm[g.loc]
                        and age >= min_breed and (g.kidded < 0 or t - g.kidded >= ppi)):
                    eligible.append(g)
                    grp = g.group
                    u = rnd()
                    if method[grp] == AI and first_t[grp]:
                        if u < ai_prob[grp]:
                            g.due = -2           # conceived by AI; scheduled below
                    elif u < service_t[grp]:
                        wants[g.loc].append(g)
                if age > decision:
                    older[g.loc] += 1
                if age >= min_breed:
                    breeding_females[g.loc] += 1
                if age == decision and not g.kept:
                    young_females.append(g)
            else:
                if g.kept:
                    kept_males[g.loc] += 1
                    if age >= buck_min and is_farm[g.loc]:
                        bucks_breeding[g.loc] += 1
                if age > decision:
                    older[g.loc] += 1
                if age == male_sale and not g.kept:
                    young_males.append(g)
        totals["births"] += len(newborn)

        # 7. conception: the buck cap per farm, then gestation length and abortion
        for grp in range(G):
            if first_t[grp]:
                for loc in range(L):
                    mated[loc][grp] = 0
        if window_today:
            conceived = [g for g in eligible if g.due == -2]
            for loc in range(L):
                for grp in range(G):
                    served = [g for g in wants[loc] if g.group == grp]
                    if not served:
                        continue
                    room = max(bucks_breeding[loc] * per_season - mated[loc][grp], 0)
                    if len(served) > room:
                        served = rng.sample(served, room)
                    mated[loc][grp] += len(served)
                    conceived.extend(served)
            for g in conceived:
                g.due = t + max(round(gest + gest_sd * gauss(0.0, 1.0)), 1)
                schedule_abortion(g, t, t)
            totals["conceptions"] += len(conceived)
            # 8. failed windows
            if any_last[t]:
                last_t = last_day[t]
                for g in eligible:
                    if g.due < 0 and last_t[g.group]:
                        g.failed += 1

        # 10. replacement of doelings at the decision age
        if young_females:
            on_farm = {}
            for g in young_females:
                if is_farm[g.loc]:
                    on_farm.setdefault(g.loc, []).append(g)
                else:
                    g.kept = True                # born in quarantine: travels with the batch
            room = [max(target[x] - older[x], 0) if is_farm[x] else 0 for x in range(L)]
            free = room[:]
            surplus = []
            for loc, group in on_farm.items():
                rng.shuffle(group)
                for g in group[:room[loc]]:
                    g.kept = True
                free[loc] = max(room[loc] - len(group), 0)
                surplus.extend(group[room[loc]:])
            rng.shuffle(surplus)
            loc = 0
            for g in surplus:
                while loc < L and free[loc] == 0:
                    loc += 1
                if loc == L:
                    g.alive = False
                    totals["sales"] += 1
                else:
                    free[loc] -= 1
                    g.loc = loc
                    g.kept = True
                    totals["transfers"] += 1
        # ... and male kids at the sale age
        if young_males:
            by_loc = {}
            for g in young_males:
                if is_farm[g.loc]:
                    by_loc.setdefault(g.loc, []).append(g)
                else:
                    g.alive = False
                    totals["sales"] += 1
            for loc, group in by_loc.items():
                need = max(math.ceil(breeding_females[loc] / p.does_per_buck)
                           - kept_males[loc], 0)
                rng.shuffle(group)
                for i, g in enumerate(group):
                    if i < need:
                        g.kept = True
                    else:
                        g.alive = False
                        totals["sales"] += 1

        # 9, 11. dry-off, counts by class and milk; drop the removed animals
        goats.extend(newborn)
        survivors = []
        n_class = [[0] * 7 for _ in range(L)]   # the six classes, then pregnant
        gross = [0.0] * L
        unusable = [0.0] * L                     # colostrum and quarantine milk
        drinking = [0] * L                       # kids fed milk today
        for g in goats:
            if not g.alive:
                continue
            survivors.append(g)
            row = n_class[g.loc]
            if g.lactating:
                dim = t - g.kidded
                pregnant = g.due >= 0
                if ((pregnant and g.due - t <= dry_period) or dim >= ext_max
                        or (not extended and not pregnant and dim >= std_len)
                        or (dim >= 60 and curve(dim, g.parity) < min_yield)):
                    g.lactating = False
                else:
                    kg = curve(dim, g.parity) * g.effect
                    gross[g.loc] += kg
                    if dim < colostrum_days or (not q_milk_used and not is_farm[g.loc]):
                        unusable[g.loc] += kg
            age = t - g.birth
            if age < wean:
                row[0] += 1                      # kids
                if age >= colostrum_days:
                    drinking[g.loc] += 1         # past their colostrum days
            elif g.sex == FEMALE:
                if g.parity > 0:
                    row[4 if g.lactating else 5] += 1   # does in milk, dry does
                else:
                    row[1] += 1                  # doelings
            else:
                row[3 if age >= buck_min else 2] += 1   # bucks, bucklings
            if g.due >= 0:
                row[6] += 1                      # pregnant (overlaps the classes)
        goats = survivors
        for loc in range(L):
            row = n_class[loc]
            counts[t, loc] = row
            head[t, loc] = sum(row[:6])
            available = gross[loc] - unusable[loc]
            fed = min(drinking[loc] * kid_milk, max(available, 0.0))
            milk[t, loc] = max(available - fed, 0.0)
    return ObjectLoopResult(head, milk, counts, totals)
