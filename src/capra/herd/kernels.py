"""Compiled passes over the herd's rows.

The day's stages (:mod:`capra.herd.day`) run over a batch of replicates. What reads every
row every day is compiled here (numba, cached on disk) as one loop each, so that the
herd's arrays are read once: the end-of-day census with the milk before feed, by kind
and for the feeding (:func:`census`; :func:`milk_by_kind` and :func:`milk_outputs`); the
selections of the day (the day's
:func:`agenda`: whose quarantine ends, who dies, may be culled, aborts, kids, is at a
keep-or-sell age, and a process's rows of it; who dries off; who may be bred and
conceives, and the bucks that may serve; who dies or aborts in an outbreak, with the
draws of :mod:`capra.herd.rng` made in the pass); the counts of the replacement; the ages
of the dams and bucks; the lifelong draws of new animals and their death clocks; and the
flow counts of every day (:func:`add_counts`). The feeding's passes and loops are in
:mod:`capra.herd.feed_kernels`, the processes compiled as rules of one animal in
:mod:`capra.herd.rule_kernels`. The rules stay where they are written
(``docs/herd-model.md``, :mod:`capra.herd.rules`, :mod:`capra.herd.feeding`,
:mod:`capra.herd.health`); a pass applies them.

A pass works on the rows in loops without branches, each over few arrays (a flag or
code per row, then the flagged rows gathered in one loop, :func:`flagged`): the compiler
then handles many rows at once, where a loop that branches on unpredictable conditions
or reads small tables by a per-row index handles one (measured 2 to 3 times faster).
Each pass does the arithmetic of the NumPy expressions it stands for, in the same order
and precision (float32 where NumPy computes in float32), and sums in row order as
``np.bincount`` does: the herd and its milk are the same to the bit as with those
expressions. ``tests/herd/test_kernels.py`` checks every pass against them.

The compiled code is kept in numba's on-disk cache (next to this file, or in the user's
cache folder where the package's folder cannot be written, or in ``NUMBA_CACHE_DIR``), so
it is compiled once per machine and Python version (``bench/herd.py`` reports how long);
where no folder can be written, in every process, with a warning
(:mod:`capra.compiled`).
The passes release the GIL (``engine="threads"`` runs batches side by side in them).
"""

from __future__ import annotations

import numpy as np

from capra.compiled import compiled
from capra.herd.feed_kernels import count_and_sum_needs
from capra.herd.rng import draw, exponential_draw, lognormal_of, normal_draw
from capra.herd.state import LAST_DAY

_JIT = {"error_model": "numpy"}
_INLINE = {"error_model": "numpy", "inline": "always"}

#: Columns of the stocks of :func:`census`: the herd's classes (kids with those in their
#: colostrum days), the pregnant females, the head, and the kids past their colostrum
#: days (who drink milk).
STOCKS = ("kids", "doelings", "bucklings", "bucks", "does_in_milk", "does_dry",
          "does_pregnant", "head", "drinking")


@compiled(**_JIT)
def flagged(flags):
    """Rows whose flag is not nil, in row order (``np.flatnonzero(flags)``), in a loop
    without branches (a branch per row costs as much as the rest of a pass where half the
    rows are flagged: 1.8 -> 0.35 ns per row, measured on nampo)."""
    out = np.empty(flags.size, np.int64)
    n = 0
    for i in range(flags.size):
        out[n] = i
        n += flags[i] != 0
    return out[:n]


@compiled(**_JIT)
def census(t, sex, parity, lactating, birth, alive, due, cell, kidded, effect, rep, loc,
           weaning_age_days, buck_age_days, colostrum_days, class_lut, milk_table, heat,
           outbreak_milk, quarantine_milk_lost, is_farm, feed, lag, lost_kg, n_cells):
    """Class code of every row, the rows counted by (cell, class code), and the milk of
    the does in milk before any shortage of feed.

    Returns ``c16`` (class * 2 + pregnant, :func:`capra.herd.processes._class_lut`) per
    row, ``stocks`` (9, n_cells) [head] (rows :data:`STOCKS`), ``lactating_rows``
    (the rows of the does in milk, in row order) and their milk ``kg`` [kg/day]: the
    ``milk_table`` (replicates or 1, 3, days in milk) of each doe's parity class (1, 2,
    3+) and day in milk (each replicate's own table when it has one), times her animal
    effect and her cell's factor: the day's heat stress factor (``heat`` (replicates or
    1, days), each replicate's own row when it has one) times the milk left by the
    outbreaks on the farm (``outbreak_milk`` per cell; empty: none); each doe's kind of
    milk and the milk summed by cell and kind (:func:`milk_by_kind`: ``by_kind``
    (n_cells, 3)); and with the feeding's tables ``feed`` (empty tables: the feeding is
    off)
    the milk and ADG/FCM of the does summed by cell, (2, n_cells), for the requirements
    of lactation (:func:`capra.herd.feeding._adg_per_fcm`, ``lag`` the days of growth
    missed, empty: none), all in one loop over the does, in their order: the same sums
    as those functions'; and in the pass that counts the rows, the requirements of the
    weaned animals alive summed by (cell, class code), (n_cells * 16, 3)
    (:func:`capra.herd.feed_kernels.count_and_sum_needs`, ``lost_kg`` the tissue being
    regained, empty: none).

    Returns ``c16``, ``stocks``, ``lactating_rows``, ``kg``, ``kind``, ``by_kind``, the
    milk sums for the feeding ((2, 0) without it) and the requirements ((0, 3) without
    it).
    """
    n = sex.size
    own = milk_table.shape[0] > 1
    per_row = n_cells // heat.shape[0]           # cells of a row of ``heat``
    factor = np.empty(n_cells)
    for c in range(n_cells):
        factor[c] = heat[c // per_row, t]
        if outbreak_milk.size:
            factor[c] *= outbreak_milk[c]
    # loops without branches, each over few arrays: the compiler then works on many rows
    # at once (the class of a row in one loop, its code in the next, measured 2.7 -> 0.8
    # ns per row on nampo)
    bits = np.empty(n, np.uint8)
    for i in range(n):
        age = t - birth[i]
        bits[i] = (np.uint8(sex[i]) | (np.uint8(parity[i] > 0) << 1)
                   | (np.uint8(lactating[i]) << 2) | (np.uint8(age >= weaning_age_days) << 3)
                   | (np.uint8(age >= buck_age_days) << 4) | (np.uint8(not alive[i]) << 5)
                   | (np.uint8(due[i] >= 0) << 6) | (np.uint8(age < colostrum_days) << 7))
    c16 = np.empty(n, np.int8)
    for i in range(n):
        c16[i] = class_lut[bits[i]]
    counts = np.zeros(n_cells * 16, np.int64)
    need = count_and_sum_needs(t, birth, c16, cell, loc, due, parity, lag, lost_kg, feed,
                               n_cells, counts)
    for i in range(n):
        bits[i] = lactating[i] & alive[i]
    rows = flagged(bits)
    n_lact = rows.size
    kg = np.empty(n_lact)
    # the milk in a loop of its own: the table reads (each replicate's table, when it has
    # one, is mostly out of the cache by the next day) are then many in flight at once;
    # the table indexed flat, as no index is negative (numba's checks for one cost 5.7 ->
    # 4.5 ns per doe, measured on nampo)
    n_par, n_dim = milk_table.shape[1], milk_table.shape[2]
    flat = milk_table.ravel()
    kind = np.empty(n_lact, np.int8)
    by_kind = np.zeros((n_cells, 3))
    fed = feed.table.size > 0               # the feeding's tables: empty, feed off
    milk = np.zeros((2, n_cells if fed else 0))
    has_lag = lag.size > 0
    adg_kg, row_of_code, oldest, fcm_per_kg = (feed.adg_kg, feed.row_of_code, feed.oldest,
                                               feed.fcm_per_kg_milk)
    for j in range(n_lact):
        i = rows[j]
        r = np.int64(rep[i]) if own else np.int64(0)
        v = flat[(r * n_par + min(parity[i], 3) - 1) * n_dim + (t - kidded[i])]
        v *= np.float64(effect[i])
        c = cell[i]
        v *= factor[c]
        kg[j] = v
        k = milk_kind(t, kidded[i], colostrum_days, quarantine_milk_lost, is_farm[loc[i]])
        kind[j] = k
        by_kind[c, k] += v
        if fed:
            milk[0, c] += v
            milk[1, c] += adg_per_fcm(t, birth[i], lag[i] if has_lag else np.float32(0.0),
                                      c16[i], v, adg_kg, row_of_code, oldest, fcm_per_kg)
    stocks = np.zeros((9, n_cells), np.int64)     # a stock's cells together (copied out)
    for cell_ in range(n_cells):
        cc = counts[cell_ * 16:(cell_ + 1) * 16]
        for c in range(8):
            if c == 6:
                continue                                  # removed animals
            both = cc[2 * c] + cc[2 * c + 1]
            stocks[0 if c == 7 else c, cell_] += both     # newborns count as kids
            stocks[6, cell_] += cc[2 * c + 1]             # pregnant
            stocks[7, cell_] += both                      # head
        stocks[8, cell_] = cc[0] + cc[1]                  # kids past their colostrum days
    return c16, stocks, rows, kg, kind, by_kind, milk, need


@compiled(**_INLINE)
def milk_kind(t, kidded, colostrum_days, quarantine_milk_lost, on_farm):
    """The kind of a doe's milk today: 1 colostrum (the first ``colostrum_days`` of her
    lactation), 2 milk of a doe in quarantine when it is not used
    (``quarantine_milk_lost``, off a farm), 0 milk for the tank."""
    if t - kidded < colostrum_days:
        return 1
    if quarantine_milk_lost and not on_farm:
        return 2
    return 0


@compiled(**_INLINE)
def adg_per_fcm(t, birth, lag, c16, kg, adg_kg, row_of_code, oldest, fcm_per_kg_milk):
    """ADG / FCM of a doe in milk (born on day ``birth``, ``lag`` days of growth missed,
    class code ``c16``, milk ``kg``) at her index in the feeding's tables [kg/kg]: nil
    without milk (:func:`capra.herd.feeding._adg_per_fcm`). (The tables are handed over
    one by one: a function given their record costs some 250 ns a call.)"""
    a = np.int64(t) - np.int64(birth) - np.int64(lag)
    a = min(max(a, 0), oldest)
    fcm = kg * fcm_per_kg_milk
    return adg_kg[row_of_code[c16] + a] / fcm if fcm > 0 else 0.0


@compiled(**_JIT)
def milk_by_kind(t, rows, kg, cell, kidded, loc, colostrum_days, quarantine_milk_lost,
                 is_farm, n_cells):
    """The milk ``kg`` of the does in milk ``rows`` summed by cell and kind, (n_cells, 3)
    [kg] (kinds of :func:`milk_kind`), and each doe's kind."""
    by_kind = np.zeros((n_cells, 3))
    kind = np.empty(rows.size, np.int8)
    for j in range(rows.size):
        i = rows[j]
        k = milk_kind(t, kidded[i], colostrum_days, quarantine_milk_lost, is_farm[loc[i]])
        kind[j] = k
        by_kind[cell[i], k] += kg[j]
    return by_kind, kind


@compiled(**_JIT)
def milk_outputs(by_kind, drinking, kid_milk, tank_milk, out):
    """The milk of the day into ``out`` (the five outputs of
    :attr:`capra.herd.processes.Recorder.MILK`, replicates, locations) [kg] from the milk
    by cell and kind ``by_kind`` (:func:`milk_by_kind`): gross, colostrum and milk of does
    in quarantine not used; the milk the kids past their colostrum days drink
    (``drinking`` per cell [head] times ``kid_milk`` of their replicate [kg/day], where
    the location's kids drink the tank's milk, ``tank_milk``) from what is left; and the
    rest, delivered (:func:`capra.herd.rules.deliverable_milk`, in float32 as the
    outputs)."""
    R, L = out.shape[1], out.shape[2]
    zero = np.float32(0.0)
    for r in range(R):
        for loc_ in range(L):
            c = r * L + loc_
            gross = np.float32(by_kind[c, 0] + by_kind[c, 1] + by_kind[c, 2])
            colostrum = np.float32(by_kind[c, 1])
            quarantine = np.float32(by_kind[c, 2])
            demand = np.float32(drinking[c] * kid_milk[r])
            if not tank_milk[loc_]:
                demand = zero                                    # kids on milk replacer
            available = gross - colostrum - quarantine
            fed = min(demand, max(available, zero))
            out[0, r, loc_] = gross
            out[1, r, loc_] = colostrum
            out[3, r, loc_] = quarantine
            out[2, r, loc_] = fed
            out[4, r, loc_] = max(available - fed, zero)


@compiled(**_JIT)
def add_counts(cells, out):
    """Add one to ``out`` (replicates, locations) at each of ``cells`` (replicate-location
    cell numbers): ``out += np.bincount(cells, minlength=out.size).reshape(out.shape)``."""
    n_loc = out.shape[1]
    for c in cells:
        out[c // n_loc, c % n_loc] += 1


@compiled(**_JIT)
def rows_to_dry(t, lactating, dry_day, alive):
    """Rows of the does alive in milk whose lactation ends by day ``t``, in row order."""
    flags = np.empty(dry_day.size, np.uint8)
    for i in range(dry_day.size):
        flags[i] = lactating[i] & (dry_day[i] <= t) & alive[i]
    return flagged(flags)


@compiled(**_JIT)
def kept_males(sex, kept, alive):
    """Rows of the kept males alive (the bucks and the bucklings kept as bucks), in row
    order."""
    flags = np.empty(sex.size, np.uint8)
    for i in range(sex.size):
        flags[i] = kept[i] & (sex[i] == 1) & alive[i]
    return flagged(flags)


@compiled(**_JIT)
def breeding_bucks(t, sex, kept, alive, loc, is_farm, birth, min_age_days, cell, n_cells):
    """Kept males alive on a farm and at least ``min_age_days`` old, counted by cell
    (the bucks that may serve today), (n_cells,) [head]."""
    counts = np.zeros(n_cells, np.int64)
    for i in range(sex.size):
        # a branch: few rows are kept males (a count for every row, most adding nothing,
        # waits on the count before it: 263 -> 108 us a pass on nampo, batch of 100)
        if kept[i] & (sex[i] == 1) & alive[i]:
            counts[cell[i]] += is_farm[loc[i]] & (t - birth[i] >= min_age_days)
    return counts


@compiled(**_JIT)
def ages_by_cell(t, kidded, sex, alive, birth, dams_today, buck_age_days, cell, n_cells):
    """Ages on day ``t`` summed by cell, (2, n_cells) [days]: of the does alive that
    kidded on day ``t`` (if ``dams_today``; else nil), and of the males alive at least
    ``buck_age_days`` old. The sums are of whole numbers: exact in any order."""
    out = np.zeros((2, n_cells))
    for i in range(sex.size):
        if alive[i]:
            age = t - birth[i]
            if dams_today and kidded[i] == t:
                out[0, cell[i]] += age
            if sex[i] == 1 and age >= buck_age_days:
                out[1, cell[i]] += age
    return out


@compiled(**_JIT)
def outbreak_cells(t, ob_rep, ob_loc, ob_kind, ob_start, ob_end, death, abort, milk_factor,
                   rep_rows, grouped, n_rows, starts, n_loc):
    """The outbreaks of day ``t`` by (replicate, location) cell: those starting today
    added to ``starts`` (R, L) [outbreaks]; for the cells with one going on (``ob_start <=
    t < ob_end``), the daily survival ``survive`` and keeping of pregnancies ``keep`` and
    the ``milk`` factor, the products over the cell's outbreaks in their order of
    ``1 - death``, ``1 - abort`` and ``milk_factor`` of each outbreak's kind (tables
    (replicates or 1, kinds), each replicate's own row when it has one; 1 elsewhere).

    Returns ``on`` (some outbreak goes on), ``active`` (R * L) bool, ``survive``, ``keep``
    and ``milk`` (R * L) and the rows of the replicates with an outbreak going on, as
    :meth:`HerdState.spans <capra.herd.state.HerdState.spans>` gives them from
    ``rep_rows``, ``grouped`` and ``n_rows`` (for :func:`outbreak_draws`).
    """
    n_rep = rep_rows.size - 1
    n_cells = n_rep * n_loc
    active = np.zeros(n_cells, np.bool_)
    survive = np.ones(n_cells)
    keep = np.ones(n_cells)
    milk = np.ones(n_cells)
    hit_rep = np.zeros(n_rep, np.bool_)
    on = False
    for j in range(ob_start.size):
        r, loc, k = ob_rep[j], ob_loc[j], ob_kind[j]
        if ob_start[j] == t:
            starts[r, loc] += 1
        if not ob_start[j] <= t < ob_end[j]:
            continue
        row = r if death.shape[0] > 1 else 0
        c = r * n_loc + loc
        survive[c] *= 1.0 - death[row, k]
        keep[c] *= 1.0 - abort[row, k]
        milk[c] *= milk_factor[row, k]
        active[c] = True
        hit_rep[r] = True
        on = True
    spans = np.empty((hit_rep.sum() + 1, 2), np.int64)
    s = 0
    for r in range(n_rep):
        if hit_rep[r]:
            spans[s, 0] = rep_rows[r]
            spans[s, 1] = rep_rows[r + 1]
            s += 1
    spans[s, 0] = grouped
    spans[s, 1] = n_rows
    return on, active, survive, keep, milk, spans


@compiled(**_JIT)
def outbreak_draws(t, spans, active, survive, keep, cell, alive, rep, uid, due, key,
                   gestation_days, abortion_from_day, death_slot, abortion_slot):
    """Who dies and who aborts today in the (replicate, location) cells with an outbreak
    (``active``), in row order, among the rows of ``spans`` ((start, stop) pairs in row
    order, which hold every row of those cells: :meth:`HerdState.spans
    <capra.herd.state.HerdState.spans>`): an animal alive there dies when its draw of stream
    ``key`` (slot ``death_slot``) is below ``1 - survive`` of its cell; a doe that
    survives and is pregnant since at least ``abortion_from_day`` days aborts when her
    draw (slot ``abortion_slot``) is below ``1 - keep`` of her cell (the rules of
    :mod:`capra.herd.health`)."""
    size = 0
    for s in range(spans.shape[0]):
        size += spans[s, 1] - spans[s, 0]
    rows = np.empty(size, np.int64)
    n = 0
    for s in range(spans.shape[0]):
        for i in range(spans[s, 0], spans[s, 1]):
            rows[n] = i
            n += active[cell[i]] & alive[i]
    rows = rows[:n]
    dead = np.empty(rows.size, np.int64)
    hit = np.empty(rows.size, np.int64)
    n_dead = 0
    n_hit = 0
    for i in rows:
        c = cell[i]
        k = key[rep[i]]
        if draw(k, uid[i], t, death_slot) < 1.0 - survive[c]:
            dead[n_dead] = i
            n_dead += 1
            continue
        d = np.int64(due[i])
        if (d > t and t - (d - gestation_days) >= abortion_from_day
                and draw(k, uid[i], t, abortion_slot) < 1.0 - keep[c]):
            hit[n_hit] = i
            n_hit += 1
    return dead[:n_dead], hit[:n_hit]


#: What may happen to a row today, bits of :func:`agenda`: quarantine ends, death clock,
#: culling (involuntary culling day, age limit, or a kept male at his retirement age),
#: abortion, kidding, the keep-or-sell decision of a doeling, of a male kid.
(AGENDA_RELEASE, AGENDA_DEATH, AGENDA_CULL, AGENDA_ABORTION, AGENDA_KIDDING,
 AGENDA_DOELING, AGENDA_MALE_KID) = (1, 2, 4, 8, 16, 32, 64)


@compiled(**_JIT)
def _after(day, d, t):
    """``day`` or the day ``d``, whichever is sooner, if ``d`` is after ``t``."""
    return min(day, np.int64(d)) if d > t else day


@compiled(**_JIT)
def agenda(t, next_day, alive, quarantine_end, death_day, cull_day, birth, sex, kept,
           abort_day, due, max_age_days, decision_age_days, male_sale_age_days,
           buck_max_age_days):
    """The rows alive with something on their agenda today, in row order, and what (the
    ``AGENDA_*`` bits): one pass in place of a search per process. A process takes its
    rows from it and checks them again (alive, and its own condition), as earlier
    processes of the day may have changed them. A kept male is on it from
    ``buck_max_age_days`` (a buck bought older is culled the day after).

    Only the rows whose ``next_day`` has come are looked at; for them ``next_day`` is set
    to the next day after ``t`` with something on their agenda, in place (the first of
    their days of release, death, culling, abortion, kidding, and of the ages of the
    decisions, the age limit and a kept male's retirement). Whatever sets one of those
    days to an earlier day sets ``next_day`` no later (new rows: -1, looked at on their
    first day).
    """
    n = alive.size
    due_now = np.empty(n, np.int64)
    m = 0
    for i in range(n):                 # without branches: most rows have nothing today
        due_now[m] = i
        m += next_day[i] <= t
    rows = np.empty(m, np.int64)
    what = np.empty(m, np.int8)
    k = 0
    for j in range(m):
        i = due_now[j]
        if not alive[i]:
            next_day[i] = LAST_DAY
            continue
        b = np.int64(birth[i])
        age = t - b
        male_kept = (sex[i] == 1) & kept[i]
        w = (np.int8(quarantine_end[i] == t) | (np.int8(death_day[i] == t) << 1)
             | (np.int8((cull_day[i] == t) | (age == max_age_days)
                        | (male_kept & (age >= buck_max_age_days))) << 2)
             | (np.int8(abort_day[i] == t) << 3) | (np.int8(due[i] == t) << 4)
             | (np.int8(age == decision_age_days) << 5)
             | (np.int8(age == male_sale_age_days) << 6))
        day = np.int64(LAST_DAY)
        day = _after(day, quarantine_end[i], t)
        day = _after(day, death_day[i], t)
        day = _after(day, cull_day[i], t)
        day = _after(day, abort_day[i], t)
        day = _after(day, due[i], t)
        day = _after(day, b + max_age_days, t)
        day = _after(day, b + decision_age_days, t)
        day = _after(day, b + male_sale_age_days, t)
        if male_kept:
            day = min(day, max(b + buck_max_age_days, np.int64(t) + 1))
        next_day[i] = day
        rows[k] = i
        what[k] = w
        k += w != 0
    return rows[:k], what[:k]


@compiled(**_JIT)
def on_agenda(rows, marks, what, alive, day, t):
    """The ``rows`` of the day's :func:`agenda` whose ``marks`` have a bit of ``what``,
    still alive, and whose ``day`` field is ``t`` (``day`` empty: any), in row order."""
    out = np.empty(rows.size, np.int64)
    check = day.size > 0
    n = 0
    for j in range(rows.size):
        i = rows[j]
        out[n] = i
        n += ((marks[j] & what) != 0) & alive[i] & ((not check) or day[i] == t)
    return out[:n]


@compiled(**_JIT)
def breeding_draws(t, due, sex, alive, group, in_window_today, loc, is_farm, birth, lag,
                   kidded, min_breeding_age_days, postpartum_interval_days, rep, uid, key,
                   probability, intake, conception_factor_without_feed):
    """The does that may be bred today and which of them conceive.

    Eligible: open females alive on a farm whose breeding group's window is open today
    and who may be bred (:func:`capra.herd.rules.can_breed`: their age on the growth
    curve, less the days of growth missed ``lag`` (nil without a shortage of feed), and
    the days since their last kidding reach the thresholds). An eligible doe conceives
    when her draw of stream ``key`` (per replicate) is below her group's ``probability``
    (``(1 or replicates, groups)``) times the factor of her share of the energy
    requirement fed yesterday, ``1 - (1 - conception_factor_without_feed) * (1 -
    intake)`` in float32 (``intake`` empty: fully fed, factor 1).

    Returns the rows of the eligible does, in row order, and whether each conceives.
    """
    # the rule in a loop without branches (the conditions are unpredictable) and
    # without reading the small tables (which would keep the compiler from working on
    # many rows at once); then the group's window and the farm of the rows it selects
    flags = np.empty(due.size, np.uint8)
    for i in range(due.size):
        age = np.int64(t - birth[i]) - np.int64(lag[i])
        flags[i] = ((due[i] < 0) & (sex[i] == 0) & alive[i] & (age >= min_breeding_age_days)
                    & (t - kidded[i] >= postpartum_interval_days))
    may = flagged(flags)
    out = np.empty(may.size, np.int64)
    n = 0
    for j in range(may.size):
        i = may[j]
        out[n] = i
        n += in_window_today[group[i]] & is_farm[loc[i]]
    conceives = np.empty(n, np.bool_)
    own = probability.shape[0] > 1
    fed = intake.size > 0
    short = np.float32(1.0 - conception_factor_without_feed)
    for j in range(n):
        i = out[j]
        q = probability[rep[i] if own else 0, group[i]]
        if fed:
            q *= np.float64(np.float32(1.0) - short * (np.float32(1.0) - intake[i]))
        conceives[j] = draw(key[rep[i]], uid[i], t, 0) < q
    return out[:n], conceives


@compiled(**_JIT)
def head_for_replacement(t, birth, sex, kept, alive, cell, decision_age_days,
                         min_breeding_age_days, n_cells):
    """Animals alive per cell, (3, n_cells) [head]: older than the decision age; females
    of breeding age; kept males."""
    # which of the three counts a row is in (bits), in a loop without branches; then
    # the rows counted by cell and bits
    bits = np.empty(birth.size, np.uint8)
    for i in range(birth.size):
        age = t - birth[i]
        bits[i] = (np.uint8(age > decision_age_days)
                   | (np.uint8((sex[i] == 0) & (age >= min_breeding_age_days)) << 1)
                   | (np.uint8((sex[i] != 0) & kept[i]) << 2)) * np.uint8(alive[i])
    counts = np.zeros(n_cells * 8, np.int64)
    for i in range(birth.size):
        counts[cell[i] * 8 + bits[i]] += 1
    out = np.zeros((3, n_cells), np.int64)
    for c in range(n_cells):
        for b in range(1, 8):
            for k in range(3):
                if b >> k & 1:
                    out[k, c] += counts[c * 8 + b]
    return out


@compiled(**_JIT)
def lifelong_draws(rows, rep, uid, group, effect, grouping_key, lactation_key, group_cum,
                   effect_sigma):
    """The lifelong draws of new animals ``rows``, in place: their breeding ``group`` (the
    first whose cumulative share ``group_cum`` exceeds a uniform draw) and their milk
    animal ``effect`` (lognormal with mean 1 and log-sd ``effect_sigma``)."""
    last = group_cum.size - 1
    for i in rows:
        u = draw(grouping_key[rep[i]], uid[i], 0, 0)
        group[i] = min(np.searchsorted(group_cum, u, side="right"), last)
        z = normal_draw(lactation_key[rep[i]], uid[i], 0, 0)
        effect[i] = lognormal_of(z, effect_sigma)


@compiled(**_JIT)
def first_above(h, c):
    """``np.searchsorted(h, c, side="right")`` of a non-decreasing ``h``: the first index
    whose value is above ``c`` (``h.size`` if none).

    Found by interpolating between the bounds, every other step a bisection (never more
    than twice a bisection's steps): on a cumulative hazard, straight lines between the
    ages where the daily risk changes, 3 to 4 reads instead of a bisection's 14 (each read
    of a replicate's table mostly out of the cache: 510 -> 320 ns per newborn, measured).
    """
    lo = 0
    hi = h.size               # the answer lies in [lo, hi]
    interpolate = True
    while lo < hi:
        if h[lo] > c:
            return lo
        if h[hi - 1] <= c:
            return hi
        if interpolate:
            frac = (c - h[lo]) / (h[hi - 1] - h[lo])
            m = lo + np.int64(frac * (hi - 1 - lo))
            m = min(max(m, lo), hi - 1)
        else:
            m = (lo + hi) // 2
        interpolate = not interpolate
        if h[m] > c:
            hi = m
        else:
            lo = m + 1
    return lo


@compiled(**_JIT)
def death_days(rows, age_today, rep, uid, sex, birth, key, hazard, max_age_days, death_day):
    """Day of death of the animals ``rows`` aged ``age_today`` [days], in place: the first
    age at which the cumulative hazard ``hazard`` (replicates or 1, sex, age) passes the
    hazard already lived (to yesterday) plus an exponential clock drawn from ``key``; not
    before today, at most the largest day an int32 holds."""
    own = hazard.shape[0] > 1
    for j in range(rows.size):
        i = rows[j]
        age = np.int64(age_today[j])
        h = hazard[rep[i] if own else 0, sex[i]]
        clock = h[min(max(age - 1, 0), max_age_days)] + exponential_draw(key[rep[i]], uid[i],
                                                                           0, 0)
        day = np.int64(birth[i]) + max(first_above(h, clock), age)
        death_day[i] = min(day, np.int64(LAST_DAY))
