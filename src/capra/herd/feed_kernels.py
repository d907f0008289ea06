"""Compiled passes and loops of the feeding (:mod:`capra.herd.feeding`).

The requirements of the animals summed in the census's pass over the rows
(:func:`count_and_sum_needs`, :func:`capra.herd.kernels.census`) and of the day
(:func:`feed_needs`, with the milk the census sums), with the feeding's tables as one
record (:class:`FeedTables`); their sums by priority group and by class
(:func:`group_sums`, :func:`class_sums`); the feeding of the day on every farm
(:func:`feed_farms`, with the farms' feeds as one record, :class:`FeedFarms`): the
priority groups fed from its feeds (:func:`feed_groups`) and the day's feed budget
(:func:`feed_budget`, summed as NumPy sums, :func:`_np_sum`). Like
:mod:`capra.herd.kernels`, each does the arithmetic of the NumPy expressions it stands
for in the same order and precision, so the numbers are the same to the bit;
``tests/herd/test_kernels.py`` checks each against them. The rules are those of
:mod:`capra.herd.feeding` and ``docs/herd-model.md``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from capra.compiled import compiled

_JIT = {"error_model": "numpy"}
#: Helpers with one caller, compiled into it (a compiled function's machine code also
#: holds all it calls: a helper compiled on its own is compiled again in each caller;
#: capra.herd.day).
_ONE_CALLER = {"error_model": "numpy", "inline": "always"}


class FeedTables(NamedTuple):
    """The feeding's tables that the requirement passes read: the fields of
    :class:`capra.herd.feeding.FeedingParams` of the same names (units there), and where
    the animals graze today (:func:`capra.herd.feeding.feed_tables`). A pass unpacks the
    record before its loop (a record of arrays handed to a function row by row would have
    its arrays counted at every call)."""

    row_of_code: np.ndarray     # (16,) first table row of each class code
    oldest: int                 # last age of the tables [days]
    grazing: np.ndarray         # (L, days) the location grazes on the day
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
    me_per_kg_milk: float       # [MJ/kg]
    dmi_per_kg_fcm: float       # mature intake per kg FCM [kg DM/kg]
    dmi_adg_fcm_kg: float       # coefficient of ADG/FCM in mature intake [kg]
    mp_per_kg_milk: float       # [g/kg]
    group_of_code: np.ndarray   # (16,) priority group of each class code


@compiled(**_ONE_CALLER)
def count_and_sum_needs(t, birth, c16, cell, loc, due, parity, lag, lost_kg, feed, n_cells,
                        counts):
    """The rows counted by (cell, class code) into ``counts`` (n_cells * 16,), and with
    the feeding on (``feed``'s tables not empty) the daily ME [MJ], DM intake [kg] and CP
    [g] needed without the milk, summed by (cell, class code) in row order:
    (n_cells * 16, 3) ((0, 3) with the feeding off). For the census
    (:func:`capra.herd.kernels.census`), into which it is compiled: the count and the
    sums in one pass, as the pass has the row's cell and code at hand (one pass less:
    4.3 -> 3.6 ns per row, measured on nampo).

    Rows of kids and removed animals (class codes below 2 and from 12) are not fed: their
    sums stay nil. Per row: the ``table`` of ``feed`` (:class:`FeedTables`; grazing,
    index, quantity) at the row's key and age on day ``t`` (from its day of ``birth``)
    less its missed days of growth (``lag``, empty: none), the grazing table where its
    location grazes today; plus the conceptus of females in the last part of gestation,
    and the ME of the tissue being regained (``lost_kg``, empty: none; float32
    arithmetic, as the NumPy expression).
    """
    (row_of_code, oldest, grazing, table, mature, _, gestation_days, preg_first_day,
     preg_me, preg_mp, mean_litter, ration_me, mp_per_kg_dmi, cp_per_mp, max_regain_kg,
     tissue_me_mj_per_kg) = feed[:16]
    fed = table.size > 0
    sums = np.zeros((n_cells * 16 if fed else 0, 3))
    graze_of_loc = np.zeros(grazing.shape[0], np.bool_)     # where animals graze today
    for loc_ in range(graze_of_loc.size if fed else 0):
        graze_of_loc[loc_] = grazing[loc_, t]
    has_lag = lag.size > 0
    has_regain = lost_kg.size > 0
    last_gday = preg_me.size - 1
    late_days = gestation_days - preg_first_day
    max_regain32 = np.float32(max_regain_kg)
    tissue32 = np.float32(tissue_me_mj_per_kg)
    ration32 = np.float32(ration_me)
    for i in range(birth.size):
        c = c16[i]
        b = cell[i] * 16 + c
        counts[b] += 1
        if not fed or c < 2 or c >= 12:
            continue             # kids and removed animals: not fed
        a = np.int64(t) - np.int64(birth[i])
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
        sums[b, 0] += me
        sums[b, 1] += dmi
        sums[b, 2] += cp
    return sums


@compiled(**_ONE_CALLER)
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


@compiled(**_ONE_CALLER)
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
def feed_needs(sums, milk, feed, n_groups, n_cells):
    """The requirements of the day, in place in ``sums`` (n_cells * 16, 3) (ME [MJ], DM
    intake [kg], CP [g] by cell and class code without the milk:
    :func:`count_and_sum_needs`, in the census, :func:`capra.herd.kernels.census`): the
    milk of the does in milk added to class code 8 from ``milk`` (2, n_cells), their milk
    and ADG/FCM summed by cell (by the census too; the lactation ME, the intake and
    protein of :func:`capra.herd.feeding._milk_parts`, linear in the milk and ADG/FCM).
    Returns them as (n_cells, 16, 3), and summed by priority group (:func:`group_sums`),
    (n_cells, 3, n_groups)."""
    dmi_per_kg = feed.dmi_per_kg_fcm * feed.fcm_per_kg_milk
    for c in range(milk.shape[1]):
        m, ratio = milk[0, c], milk[1, c]
        if m == 0.0 and ratio == 0.0:
            continue                              # no doe in milk: nothing to add
        dmi = dmi_per_kg * m + feed.dmi_adg_fcm_kg * ratio
        sums[c * 16 + 8, 0] += m * feed.me_per_kg_milk
        sums[c * 16 + 8, 1] += dmi
        sums[c * 16 + 8, 2] += ((feed.mp_per_kg_dmi * dmi + feed.mp_per_kg_milk * m)
                                * feed.cp_per_mp)
    sums = sums.reshape(n_cells, 1, 16, 3)
    return sums.reshape(n_cells, 16, 3), group_sums(sums, feed.group_of_code,
                                                    n_groups).reshape(n_cells, 3, n_groups)


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


@compiled(**_ONE_CALLER)
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


class FeedFarms(NamedTuple):
    """The farms' feeds as :func:`feed_farms` reads them: the fields of
    :class:`capra.herd.feeding.FeedingParams` of the same names (units there)."""

    kind: np.ndarray                # (L, S) feed kinds: 0 none, 1 pasture, 2 stores, 3 bought
    source_me: np.ndarray
    source_concentrate: np.ndarray
    concentrate_share: float
    dense_bought: np.ndarray
    all_bought: bool
    pasture_kg: np.ndarray          # (L, days)
    deliveries_kg: np.ndarray       # (L, S, days)
    source_cp: np.ndarray
    supplement_per_cp: np.ndarray
    supplement_cp: np.ndarray
    source_dm_fraction: np.ndarray
    source_price_per_t: np.ndarray
    supplement_cost_per_kg_dm: np.ndarray
    delivery_cost: np.ndarray       # (L, days)
    group_of_code: np.ndarray       # (16,) priority group of each class code


@compiled(**_JIT)
def feed_farms(t, by_group, sums, stock, pasture, farms, new_month, tiny_mj, day, source_dm,
               closing, monthly, respond):
    """Feed the priority groups of every (replicate, location) on day ``t`` from its
    feeds (:func:`feed_groups`) and write the day's budget (:func:`feed_budget`) into
    ``day`` (R, L, quantities of :data:`capra.herd.feeding.MONTHLY`), with the ME needed
    and fed by class (:func:`class_sums`); the DM fed of each feed added to the month's
    ``source_dm`` (R, L, S) [t] and the stores at the end of the day written to
    ``closing`` [t DM]; the ``stock`` and ``pasture`` (R, L, S) [kg DM] of the farms
    changed in place (the pasture of a month does not carry over: ``new_month``). The
    day is added to the month's ``monthly`` (R, L, quantities) unless the animals
    ``respond`` (or some group is short): the responses write to ``day`` first.

    ``by_group`` (R, L, 3, G) and ``sums`` (R, L, 16, 3) are :func:`feed_needs`'s.
    Returns whether some group is short (of more than ``tiny_mj``) and the share of its
    ME need each group was fed (R, L, G) [-]. The NumPy expressions of
    :mod:`capra.herd.feeding`, element by element.
    """
    R, L, _, G = by_group.shape
    kind = farms.kind
    S = kind.shape[1]
    need_me = np.ascontiguousarray(by_group[:, :, 0, :])
    need_dm = np.ascontiguousarray(by_group[:, :, 1, :])
    need_cp = np.ascontiguousarray(by_group[:, :, 2, :])
    supply = np.zeros((R, L, S))
    if not farms.all_bought:
        for r in range(R):
            for loc in range(L):
                for s_ in range(S):
                    k = kind[loc, s_]
                    if new_month:
                        pasture[r, loc, s_] = 0.0
                    pasture[r, loc, s_] += farms.pasture_kg[loc, t] * (1.0 if k == 1 else 0.0)
                    stock[r, loc, s_] += farms.deliveries_kg[loc, s_, t]
                    supply[r, loc, s_] = (pasture[r, loc, s_] if k == 1 else
                                          stock[r, loc, s_] if k == 2 else
                                          np.inf if k == 3 else 0.0)
    fed, need = feed_groups(need_me, need_dm, kind, farms.source_me, farms.source_concentrate,
                            farms.concentrate_share, farms.dense_bought, farms.all_bought,
                            supply, tiny_mj)
    if not farms.all_bought:
        for r in range(R):
            for loc in range(L):
                for s_ in range(S):
                    k = kind[loc, s_]
                    if k == 1:
                        pasture[r, loc, s_] = supply[r, loc, s_]
                    elif k == 2:
                        stock[r, loc, s_] = supply[r, loc, s_]
    feed_budget(fed, need, need_me, need_cp, kind, farms.source_cp, farms.supplement_per_cp,
                farms.supplement_cp, farms.source_dm_fraction, farms.source_concentrate,
                farms.source_price_per_t, farms.supplement_cost_per_kg_dm,
                np.ascontiguousarray(farms.delivery_cost[:, t]), farms.all_bought, day)
    for r in range(R):
        for loc in range(L):
            for s_ in range(S):
                source_dm[r, loc, s_] += fed[r, loc, s_] / 1000.0
                if not farms.all_bought:
                    closing[r, loc, s_] = (stock[r, loc, s_] if kind[loc, s_] == 2
                                           else 0.0) / 1000.0
    short = False
    for v in need.ravel():
        short |= v > tiny_mj
    share = np.ones((R, L, G))
    if short:
        for r in range(R):
            for loc in range(L):
                for g in range(G):
                    if need_me[r, loc, g] > tiny_mj:
                        share[r, loc, g] = 1.0 - need[r, loc, g] / need_me[r, loc, g]
    me_code = np.ascontiguousarray(sums[:, :, :, 0])
    needed = class_sums(me_code, np.ones((R, L, G)), farms.group_of_code)
    fed_me = class_sums(me_code, share, farms.group_of_code) if short else needed
    n_cls = needed.shape[2]
    first = day.shape[2] - 2 * n_cls          # the last columns: needed, then fed, by class
    for r in range(R):
        for loc in range(L):
            for k in range(n_cls):
                day[r, loc, first + k] = needed[r, loc, k]
                day[r, loc, first + n_cls + k] = fed_me[r, loc, k]
            if not (short or respond):
                for q in range(day.shape[2]):
                    monthly[r, loc, q] += day[r, loc, q]
    return short, share


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


@compiled(**_ONE_CALLER)
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
