"""Compiled passes over the herd's rows and the small loops of the feeding.

The daily processes are NumPy functions over a batch of replicates
(:mod:`capra.herd.processes`). What reads every row every day is compiled here (numba,
cached on disk) as one loop each, so that the herd's arrays are read once instead of
through temporary arrays: the end-of-day census with the milk before feed
(:func:`census`), the feed requirements (:func:`requirement_sums`, :func:`milk_sums`), the
selections of the day (the day's :func:`agenda`: whose quarantine ends, who dies, may be
culled, aborts, kids, is at a keep-or-sell age; who dries off; who may be bred and
conceives, with the draws of :mod:`capra.herd.rng` made in the pass), the counts of the
replacement, the lifelong draws of new animals and their death clocks; the small loops
of every day's bookkeeping (:func:`add_counts` of the flows, :func:`rank_within` for
random orders); and the loops over cells, groups and feeds of the feeding
(:func:`feed_groups`, :func:`group_sums`, :func:`class_sums`, the day's budget
:func:`feed_budget`). The rules stay where they are
written (``docs/herd-model.md``, :mod:`capra.herd.rules`, :mod:`capra.herd.feeding`); a
pass applies them.

Each pass does the arithmetic of the NumPy expressions it stands for, in the same order
and precision (float32 where NumPy computes in float32), and sums in row order as
``np.bincount`` does: the herd and its milk are the same to the bit as with those
expressions. ``tests/herd/test_kernels.py`` checks every pass against them.

The compiled code is kept in numba's on-disk cache (next to this file, or in the user's
cache folder where the package's folder cannot be written, or in ``NUMBA_CACHE_DIR``), so
it is compiled once per machine and Python version (``bench/herd.py`` reports how long);
where no folder can be written, in every process, with a warning
(:mod:`capra.herd.compiled`).
The passes release the GIL (``engine="threads"`` runs batches side by side in them).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from capra.herd.compiled import compiled
from capra.herd.rng import draw, exponential_draw, lognormal_of, normal_draw

_JIT = {"error_model": "numpy"}

#: Columns of the stocks of :func:`census`: the herd's classes (kids with those in their
#: colostrum days), the pregnant females, the head, and the kids past their colostrum
#: days (who drink milk).
STOCKS = ("kids", "doelings", "bucklings", "bucks", "does_in_milk", "does_dry",
          "does_pregnant", "head", "drinking")


@compiled(**_JIT)
def census(t, sex, parity, lactating, birth, alive, due, cell, kidded, effect, rep,
           weaning_age_days, buck_age_days, colostrum_days, class_lut, milk_table,
           milk_factor_of_cell, n_cells):
    """Class code of every row, the rows counted by (cell, class code), and the milk of
    the does in milk before any shortage of feed.

    Returns ``c16`` (class * 2 + pregnant, :func:`capra.herd.processes._class_lut`) per
    row, ``stocks`` (n_cells, 9) [head] (columns :data:`STOCKS`), ``lactating_rows``
    (the rows of the does in milk, in row order) and their milk ``kg`` [kg/day]: the ``milk_table`` (replicates or 1, 3, days in milk) of each doe's
    parity class (1, 2, 3+) and day in milk (each replicate's own table when it has one),
    times her animal effect and her cell's factor (heat stress, outbreaks).
    """
    n = sex.size
    own = milk_table.shape[0] > 1
    c16 = np.empty(n, np.int8)
    counts = np.zeros(n_cells * 16, np.int64)
    rows = np.empty(n, np.int64)
    kg = np.empty(n)
    n_lact = 0
    for i in range(n):
        age = t - birth[i]
        alive_i = alive[i]
        lact = lactating[i]
        bits = (np.int64(sex[i]) | (np.int64(parity[i] > 0) << 1) | (np.int64(lact) << 2)
                | (np.int64(age >= weaning_age_days) << 3)
                | (np.int64(age >= buck_age_days) << 4) | (np.int64(not alive_i) << 5)
                | (np.int64(due[i] >= 0) << 6) | (np.int64(age < colostrum_days) << 7))
        c = class_lut[bits]
        c16[i] = c
        counts[cell[i] * 16 + c] += 1
        rows[n_lact] = i                  # without a branch: does in milk come unordered
        n_lact += lact & alive_i
    # the milk in a loop of its own: the table reads (each replicate's table, when it has
    # one, is mostly out of the cache by the next day) are then many in flight at once
    # indexed flat: no index is negative, and numba's checks for one cost (measured:
    # 5.7 -> 4.5 ns per doe on nampo)
    n_par, n_dim = milk_table.shape[1], milk_table.shape[2]
    flat = milk_table.ravel()
    for j in range(n_lact):
        i = rows[j]
        r = np.int64(rep[i]) if own else np.int64(0)
        v = flat[(r * n_par + min(parity[i], 3) - 1) * n_dim + (t - kidded[i])]
        v *= np.float64(effect[i])
        v *= milk_factor_of_cell[cell[i]]
        kg[j] = v
    stocks = np.zeros((n_cells, 9), np.int64)
    for cell_ in range(n_cells):
        cc = counts[cell_ * 16:(cell_ + 1) * 16]
        for c in range(8):
            if c == 6:
                continue                                  # removed animals
            both = cc[2 * c] + cc[2 * c + 1]
            stocks[cell_, 0 if c == 7 else c] += both     # newborns count as kids
            stocks[cell_, 6] += cc[2 * c + 1]             # pregnant
            stocks[cell_, 7] += both                      # head
        stocks[cell_, 8] = cc[0] + cc[1]                  # kids past their colostrum days
    return c16, stocks, rows[:n_lact], kg[:n_lact]


@compiled(**_JIT)
def milk_by_kind(t, rows, kg, cell, kidded, loc, colostrum_days, quarantine_milk_lost,
                 is_farm, n_cells):
    """The milk ``kg`` of the does in milk ``rows`` summed by cell, (n_cells, 4) [kg]:
    gross, colostrum (the first ``colostrum_days`` of a lactation), milk of does in
    quarantine when it is not used (``quarantine_milk_lost``), and the rest (for the
    tank); and each doe's kind (1 colostrum, 2 quarantine, 0 tank)."""
    by_kind = np.zeros((n_cells, 3))
    kind = np.empty(rows.size, np.int8)
    for j in range(rows.size):
        i = rows[j]
        k = 1 if t - kidded[i] < colostrum_days else 0
        if k == 0 and quarantine_milk_lost and not is_farm[loc[i]]:
            k = 2
        kind[j] = k
        by_kind[cell[i], k] += kg[j]
    out = np.empty((n_cells, 4))
    for c in range(n_cells):
        out[c, 0] = by_kind[c, 0] + by_kind[c, 1] + by_kind[c, 2]
        out[c, 1] = by_kind[c, 1]
        out[c, 2] = by_kind[c, 2]
        out[c, 3] = by_kind[c, 0]
    return out, kind


class FeedTables(NamedTuple):
    """The feeding's tables that the requirement passes read: the fields of
    :class:`capra.herd.feeding.FeedingParams` of the same names (units there), and where
    the animals graze today (:func:`capra.herd.feeding.feed_tables`). A pass unpacks the
    record before its loop (a record of arrays handed to a function row by row would have
    its arrays counted at every call)."""

    row_of_code: np.ndarray     # (16,) first table row of each class code
    oldest: int                 # last age of the tables [days]
    graze_of_loc: np.ndarray    # (L,) the location grazes today
    table: np.ndarray           # (2, rows, 3) ME [MJ], DM intake [kg], CP [g] per day
    mature: np.ndarray          # (rows,) the protein requirement counts the intake
    adg_kg: np.ndarray          # (rows,) daily gain [kg/day]
    gestation_days: int         # [days]
    preg_first_day: int         # first day of gestation with a conceptus requirement
    preg_me: np.ndarray         # conceptus ME by day of gestation [MJ/day]
    preg_mp: np.ndarray         # conceptus MP by day of gestation [g/day]
    mean_litter: np.ndarray     # (2,) expected litter at a first and a later kidding
    ration_me: float            # [MJ/kg DM]
    mp_per_kg_dmi: float        # [g/kg DM]
    cp_per_mp: float            # [-]
    max_regain_kg: float        # body weight regained at most [kg/day]
    tissue_me_mj_per_kg: float  # [MJ/kg]
    fcm_per_kg_milk: float      # [kg FCM/kg]


@compiled(**_JIT)
def requirement_sums(t, age, c16, cell, loc, due, parity, lag, lost_kg, feed, n_cells):
    """Daily ME [MJ], DM intake [kg] and CP [g] needed without the milk, summed by
    (cell, class code): (n_cells * 16, 3).

    Rows of kids and removed animals (class codes below 2 and from 12) are skipped: their
    sums stay nil. Per row: the ``table`` of ``feed`` (:class:`FeedTables`; grazing,
    index, quantity) at the row's key and age less its missed days of growth (``lag``,
    empty: none), the grazing table where its location grazes today; plus the conceptus
    of females in the last part of gestation, and the ME of the tissue being regained
    (``lost_kg``, empty: none; float32 arithmetic, as the NumPy expression).
    """
    (row_of_code, oldest, graze_of_loc, table, mature, _, gestation_days, preg_first_day,
     preg_me, preg_mp, mean_litter, ration_me, mp_per_kg_dmi, cp_per_mp, max_regain_kg,
     tissue_me_mj_per_kg, _) = feed
    sums = np.zeros((n_cells * 16, 3))
    has_lag = lag.size > 0
    has_regain = lost_kg.size > 0
    last_gday = preg_me.size - 1
    late_days = gestation_days - preg_first_day
    max_regain32 = np.float32(max_regain_kg)
    tissue32 = np.float32(tissue_me_mj_per_kg)
    ration32 = np.float32(ration_me)
    for i in range(age.size):
        c = c16[i]
        if c < 2 or c >= 12:
            continue             # kids and removed animals: not fed, their sums not read
        a = np.int64(age[i])
        if has_lag:
            a -= np.int64(lag[i])
        a = min(max(a, 0), oldest)
        fk = row_of_code[c] + a
        g = 1 if graze_of_loc[loc[i]] else 0
        me = table[g, fk, 0]
        dmi = table[g, fk, 1]
        cp = table[g, fk, 2]
        left = due[i] - t
        if 0 <= left <= late_days:
            gday = min(gestation_days - left, last_gday)
            litter = mean_litter[1 if parity[i] > 0 else 0]
            pme = preg_me[gday] * litter
            pdmi = pme / ration_me
            pcp = (preg_mp[gday] * litter + mp_per_kg_dmi * (1.0 if mature[fk] else 0.0)
                   * pdmi) * cp_per_mp
            me += pme
            dmi += pdmi
            cp += pcp
        if has_regain:
            r = min(lost_kg[i], max_regain32) * tissue32
            me += np.float64(r)
            dmi += np.float64(r / ration32)
        b = cell[i] * 16 + c
        sums[b, 0] += me
        sums[b, 1] += dmi
        sums[b, 2] += cp
    return sums


@compiled(**_JIT)
def group_sums(sums, group_of_code, n_groups):
    """The requirements (R, L, 16 codes, 3 quantities) of the weaned classes (codes 2 to
    11) summed by priority group, (R, L, 3, n_groups), in the order of the codes."""
    R, L = sums.shape[0], sums.shape[1]
    out = np.zeros((R, L, 3, n_groups))
    for r in range(R):
        for loc in range(L):
            for c in range(2, 12):
                g = group_of_code[c]
                for q in range(3):
                    out[r, loc, q, g] += sums[r, loc, c, q]
    return out


@compiled(**_JIT)
def class_sums(me, share, group_of_code):
    """ME (R, L, 16 codes) of the weaned classes (codes 2 to 11, two per class) times the
    share of its priority group fed (R, L, G), summed by class: (R, L, 5) [MJ]."""
    R, L = me.shape[0], me.shape[1]
    out = np.empty((R, L, 5))
    for r in range(R):
        for loc in range(L):
            for k in range(5):
                a, b = 2 + 2 * k, 3 + 2 * k
                out[r, loc, k] = (me[r, loc, a] * share[r, loc, group_of_code[a]]
                                  + me[r, loc, b] * share[r, loc, group_of_code[b]])
    return out


@compiled(**_JIT)
def milk_sums(t, rows, kg, age, c16, lag, cell, feed, n_cells):
    """Milk [kg] and ADG/FCM [kg/kg] of the does in milk ``rows`` (their milk ``kg``),
    summed by cell: (2, n_cells), for the intake and protein of lactation (ADG at the
    table index of each doe, :func:`requirement_sums`; nil for a doe without milk)."""
    row_of_code, oldest, adg_kg, fcm_per_kg_milk = (feed.row_of_code, feed.oldest,
                                                    feed.adg_kg, feed.fcm_per_kg_milk)
    out = np.zeros((2, n_cells))
    has_lag = lag.size > 0
    for j in range(rows.size):
        i = rows[j]
        a = np.int64(age[i])
        if has_lag:
            a -= np.int64(lag[i])
        a = min(max(a, 0), oldest)
        fcm = kg[j] * fcm_per_kg_milk
        c = cell[i]
        out[0, c] += kg[j]
        out[1, c] += adg_kg[row_of_code[c16[i]] + a] / fcm if fcm > 0 else 0.0
    return out


@compiled(**_JIT)
def rank_within(groups):
    """Rank of each element within its run of equal values of ``groups`` (sorted by
    group): 0, 1, ... from the start of each run."""
    out = np.empty(groups.size, np.int64)
    for i in range(groups.size):
        out[i] = 0 if i == 0 or groups[i] != groups[i - 1] else out[i - 1] + 1
    return out


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
    out = np.empty(dry_day.size, np.int64)
    n = 0
    for i in range(dry_day.size):    # without branches: half the rows are in milk
        # (measured: 1.7 -> 1.2 ns per animal-day on nampo)
        out[n] = i
        n += lactating[i] & (dry_day[i] <= t) & alive[i]
    return out[:n]


@compiled(**_JIT)
def kept_males(sex, kept, alive):
    """Rows of the kept males alive (the bucks and the bucklings kept as bucks), in row
    order."""
    out = np.empty(sex.size, np.int64)
    n = 0
    for i in range(sex.size):
        if kept[i] and sex[i] == 1 and alive[i]:
            out[n] = i
            n += 1
    return out[:n]


@compiled(**_JIT)
def rows_in_cells(cells, cell, alive):
    """Rows of the animals alive in the (replicate, location) cells flagged in ``cells``,
    in row order."""
    out = np.empty(cell.size, np.int64)
    n = 0
    for i in range(cell.size):
        out[n] = i
        n += cells[cell[i]] & alive[i]
    return out[:n]


#: What may happen to a row today, bits of :func:`agenda`: quarantine ends, death clock,
#: culling (involuntary culling day, age limit, or a kept male: bucks retire by age),
#: abortion, kidding, the keep-or-sell decision of a doeling, of a male kid.
(AGENDA_RELEASE, AGENDA_DEATH, AGENDA_CULL, AGENDA_ABORTION, AGENDA_KIDDING,
 AGENDA_DOELING, AGENDA_MALE_KID) = (1, 2, 4, 8, 16, 32, 64)


@compiled(**_JIT)
def agenda(t, alive, quarantine_end, death_day, cull_day, birth, sex, kept, abort_day, due,
           max_age_days, decision_age_days, male_sale_age_days):
    """The rows alive with something on their agenda today, in row order, and what (the
    ``AGENDA_*`` bits): one pass in place of a search per process. A process takes its
    rows from it and checks them again (alive, and its own condition), as earlier
    processes of the day may have changed them."""
    out = np.empty(alive.size, np.int64)
    what = np.empty(alive.size, np.int8)
    n = 0
    for i in range(alive.size):       # without branches: most rows have nothing today
        age = t - birth[i]
        w = (np.int8(quarantine_end[i] == t) | (np.int8(death_day[i] == t) << 1)
             | (np.int8((cull_day[i] == t) | (age == max_age_days) | ((sex[i] == 1) & kept[i]))
                << 2)
             | (np.int8(abort_day[i] == t) << 3) | (np.int8(due[i] == t) << 4)
             | (np.int8(age == decision_age_days) << 5)
             | (np.int8(age == male_sale_age_days) << 6))
        out[n] = i
        what[n] = w
        n += (w != 0) & alive[i]
    return out[:n], what[:n]


@compiled(**_JIT)
def breeding_draws(t, due, sex, alive, group, in_window_today, loc, is_farm, birth, lag,
                   kidded, min_breeding_age_days, postpartum_interval_days, rep, uid, key,
                   probability, intake, conception_factor_without_feed):
    """The does that may be bred today and which of them conceive.

    Eligible: open females alive on a farm whose breeding group's window is open today
    and who may be bred (:func:`capra.herd.rules.can_breed`: their age on the growth
    curve, less the days of growth missed ``lag`` (empty: none), and the days since their
    last kidding reach the thresholds). An eligible doe conceives when her draw of stream
    ``key`` (per replicate) is below her group's ``probability`` (``(1 or replicates,
    groups)``) times the factor of her share of the energy requirement fed yesterday,
    ``1 - (1 - conception_factor_without_feed) * (1 - intake)`` in float32 (``intake``
    empty: fully fed, factor 1).

    Returns the rows of the eligible does, in row order, and whether each conceives.
    """
    out = np.empty(due.size, np.int64)
    has_lag = lag.size > 0
    n = 0
    for i in range(due.size):        # without branches: the conditions are unpredictable
        age = np.int64(t - birth[i])
        if has_lag:
            age -= np.int64(lag[i])
        ok = ((due[i] < 0) & (sex[i] == 0) & alive[i] & in_window_today[group[i]]
              & is_farm[loc[i]] & (age >= min_breeding_age_days)
              & (t - kidded[i] >= postpartum_interval_days))
        out[n] = i
        n += ok
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
    out = np.zeros((3, n_cells), np.int64)
    for i in range(birth.size):
        if not alive[i]:
            continue
        age = t - birth[i]
        c = cell[i]
        if age > decision_age_days:
            out[0, c] += 1
        if sex[i] == 0:
            if age >= min_breeding_age_days:
                out[1, c] += 1
        elif kept[i]:
            out[2, c] += 1
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
        day = np.int64(birth[i]) + max(np.int64(np.searchsorted(h, clock, side="right")), age)
        death_day[i] = min(day, np.int64(2147483647))


@compiled(**_JIT)
def _amount(need, me, room, dense):
    """:func:`capra.feed.budget.feed_amount` for one group and feed, bought as needed
    (the same operations: DM toward the need, within the room left for a denser feed)."""
    x = need / me
    if dense > me:
        limit = (room - need / dense) / (1.0 - me / dense)
    else:
        limit = room
    x = _min(x, _max(limit, 0.0))
    return _max(x, 0.0)


@compiled(**_JIT)
def _min(a, b):
    """``np.minimum`` of two floats (NaN wins)."""
    if a != a or b != b:
        return a + b
    return a if a <= b else b


@compiled(**_JIT)
def _max(a, b):
    """``np.maximum`` of two floats (NaN wins)."""
    if a != a or b != b:
        return a + b
    return a if a >= b else b


@compiled(**_JIT)
def feed_groups(need_me, need_dm, kind, source_me, source_concentrate, concentrate_share,
                dense_bought, all_bought, supply, tiny_mj):
    """Feed the priority groups of every (replicate, location) from its feeds, in order
    (:func:`capra.herd.feeding._feed`, whose rule this is): returns the DM fed per feed
    (R, L, S) [kg] and the ME still needed per group (R, L, G) [MJ]; ``supply`` (R, L, S)
    [kg DM] is drawn down in place (ignored when ``all_bought``).

    Feed kinds: 0 none, 3 bought as needed (others are stocks and pasture). First each feed
    in order, leaving room for a denser one to come; then, if any group anywhere is still
    short by more than ``tiny_mj``, more of each feed as far as the room allows.
    """
    R, L, G = need_me.shape
    S = kind.shape[1]
    fed = np.zeros((R, L, S))
    need = need_me.copy()
    room = need_dm.copy()
    used = np.zeros(S, np.bool_)          # a feed some location has
    conc_of = np.zeros(S, np.bool_)       # a feed that is a concentrate somewhere
    for s in range(S):
        for loc in range(L):
            used[s] |= kind[loc, s] != 0
            conc_of[s] |= source_concentrate[loc, s]
    has_conc = conc_of.any()
    conc_room = np.zeros((R, L))
    if has_conc:
        for r in range(R):
            for loc in range(L):
                total = 0.0
                for g in range(G):
                    total += need_dm[r, loc, g]
                conc_room[r, loc] = concentrate_share * total
    x = np.empty(G)
    for top_up in range(2):
        if top_up == 1:
            short = False
            for v in need.ravel():
                short |= v > tiny_mj
            if not short:
                break
        for s in range(S):
            if not used[s]:
                continue
            conc = has_conc and conc_of[s]
            for r in range(R):
                for loc in range(L):
                    me = source_me[loc, s]
                    if top_up == 1:
                        dense = 0.0
                    elif all_bought:
                        dense = dense_bought[loc, s]
                    else:
                        dense = 0.0
                        for s2 in range(s + 1, S):
                            d = source_me[loc, s2] if supply[r, loc, s2] > 0 else 0.0
                            dense = _max(dense, d)
                    for g in range(G):
                        x[g] = _amount(need[r, loc, g], me, room[r, loc, g], dense)
                    if conc and source_concentrate[loc, s]:
                        # the groups before took their share of the allowance
                        run = 0.0
                        for g in range(G):
                            run += x[g]
                            x[g] = _min(x[g], _max(conc_room[r, loc] - (run - x[g]), 0.0))
                    if not all_bought:              # ... and of the supply
                        run = 0.0
                        total = 0.0
                        for g in range(G):
                            run += x[g]
                            x[g] = _min(x[g], _max(supply[r, loc, s] - (run - x[g]), 0.0))
                            total += x[g]
                        supply[r, loc, s] -= total
                    keep = 1.0 if kind[loc, s] != 0 else 0.0
                    total = 0.0
                    conc_total = 0.0
                    for g in range(G):
                        x[g] *= keep
                        total += x[g]
                        conc_total += x[g] * (1.0 if source_concentrate[loc, s] else 0.0)
                        left = need[r, loc, g] - x[g] * me
                        need[r, loc, g] = _max(left, 0.0)
                        room[r, loc, g] -= x[g]
                    if conc:
                        conc_room[r, loc] = conc_room[r, loc] - conc_total
                    fed[r, loc, s] += total
    return fed, need


#: Columns of the day's feed budget written by :func:`feed_budget`, in the order of the
#: first quantities of :data:`capra.herd.feeding.MONTHLY`.
BUDGET = ("feed_me_needed_mj", "feed_cp_needed_kg", "feed_dm_fed_t", "feed_pasture_dm_t",
          "feed_stored_dm_t", "feed_purchased_dm_t", "feed_concentrate_as_fed_t",
          "feed_me_unmet_mj", "feed_cp_balance_kg", "feed_cost")


@compiled(**_JIT)
def _np_sum(a, n):
    """``np.sum(a[:n])`` of a contiguous float64 array to the bit: NumPy's pairwise
    summation (one by one below 8 values; eight running sums up to 128; halves above)."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n > 128:
        half = n // 2
        half -= half % 8
        return _np_sum(a, half) + _np_sum(a[half:], n - half)
    r0, r1, r2, r3, r4, r5, r6, r7 = a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
    i = 8
    while i < n - (n % 8):
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[i]
        i += 1
    return res


@compiled(**_JIT)
def feed_budget(fed, need, need_me, need_cp, kind, source_cp, supplement_per_cp, supplement_cp,
                source_dm_fraction, source_concentrate, source_price_per_t,
                supplement_cost_per_kg_dm, delivery_cost, all_bought, day):
    """The feed budget of a day from what :func:`feed_groups` fed (``fed`` (R, L, S) [kg
    DM], ``need`` the ME still needed (R, L, G) [MJ]) and what was needed (``need_me``
    [MJ], ``need_cp`` [g], (R, L, G)): the protein gap closed by the supplement, the DM
    fed, grazed, from the stores and bought, the concentrate as fed, the ME not fed, the
    protein balance and the cost; written into ``day[:, :, :10]`` (columns
    :data:`BUDGET`; pasture and stores left as they are when ``all_bought``). The NumPy
    expressions of :func:`capra.herd.feeding._feed`, term by term, summed as NumPy sums
    (:func:`_np_sum`).
    """
    R, L, G = need_me.shape
    S = fed.shape[2]
    terms = np.empty((7, S))
    groups = np.empty((3, G))
    for r in range(R):
        for loc in range(L):
            for g in range(G):
                groups[0, g] = need_cp[r, loc, g]
                groups[1, g] = need_me[r, loc, g]
                groups[2, g] = need[r, loc, g]
            for s_ in range(S):
                f = fed[r, loc, s_]
                k = kind[loc, s_]
                buy = 1.0 if k == 3 else 0.0
                as_fed = f / source_dm_fraction[loc, s_]
                terms[0, s_] = f * source_cp[loc, s_]
                terms[1, s_] = f
                terms[2, s_] = f * buy
                terms[3, s_] = as_fed * (1.0 if source_concentrate[loc, s_] else 0.0)
                terms[4, s_] = as_fed * source_price_per_t[loc, s_] * buy
                terms[5, s_] = f * (1.0 if k == 1 else 0.0)
                terms[6, s_] = f * (1.0 if k == 2 else 0.0)
            cp_need = _np_sum(groups[0], G)
            cp_fed = _np_sum(terms[0], S)
            supp = _max(cp_need - cp_fed, 0.0) * supplement_per_cp[loc]
            cp_fed += supp * supplement_cp[loc]
            day[r, loc, 0] = _np_sum(groups[1], G)
            day[r, loc, 1] = cp_need / 1000.0
            day[r, loc, 2] = (_np_sum(terms[1], S) + supp) / 1000.0
            if not all_bought:
                day[r, loc, 3] = _np_sum(terms[5], S) / 1000.0
                day[r, loc, 4] = _np_sum(terms[6], S) / 1000.0
            day[r, loc, 5] = (_np_sum(terms[2], S) + supp) / 1000.0
            day[r, loc, 6] = _np_sum(terms[3], S) / 1000.0
            day[r, loc, 7] = _np_sum(groups[2], G)
            day[r, loc, 8] = (cp_fed - cp_need) / 1000.0
            day[r, loc, 9] = (_np_sum(terms[4], S) / 1000.0
                              + supp * supplement_cost_per_kg_dm[loc] + delivery_cost[loc])
