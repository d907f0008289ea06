"""The rules of the day as compiled functions, and the processes written with them.

A rule of ``docs/herd-model.md`` for one animal is a compiled function of numbers
(:func:`dry_off_day_of`, :func:`litter_of`, :func:`cull_day_of`,
:func:`gestation_length_of`, :func:`abortion_day_of`); a process that applies rules to
the day's animals is a compiled function over them (:func:`kidding`,
:func:`conceive`, :func:`replace`, :func:`cull_today`, :func:`end_pregnancies`,
:func:`dry_off_today`, :func:`count_failed_windows`), which changes the herd's fields in
place and appends the animals it creates (the buffers of :meth:`HerdState.rows
<capra.herd.state.HerdState.rows>`, one record), with each rule's parameters in one named
record (:class:`DryOffRule`, :class:`KiddingRule`, :class:`PregnancyRule`,
:class:`CullRule`, :class:`ReplacementRule`). The random numbers are those of
:mod:`capra.herd.rng`, drawn with the same keys, so the herd is the same to the bit as
with the NumPy expressions of :mod:`capra.herd.rules`, which the mean path applies to its
grids; ``tests/herd/test_rule_kernels.py`` checks each rule against them.

Why one module of some 700 lines: these are the parts of one compiled day, which the herd
engine is becoming (a kernel that runs the day's processes in the order of
``docs/herd-model.md`` over one record of the herd); the processes call one another's
rules (kidding, conception and the culls share the dry-off and culling rules), and the
records of their parameters are built together from one ``HerdParams``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from capra.compiled import compiled
from capra.herd.kernels import death_days, head_for_replacement, lifelong_draws, rows_to_dry
from capra.herd.params import FEMALE, MALE, MAX_AGE_DAYS, HerdParams
from capra.herd.rng import draw, geometric_wait, normal_draw
from capra.herd.rules import ABORTION_FIRST_GESTATION_DAY, target_head
from capra.herd.state import LAST_DAY

_JIT = {"error_model": "numpy"}
#: Helpers with one caller, compiled into it (a compiled function's machine code also
#: holds all it calls: a helper compiled on its own is compiled again in each caller;
#: capra.herd.day).
_ONE_CALLER = {"error_model": "numpy", "inline": "always"}
#: The rules of one animal, called row by row: compiled into their callers. (What a process
#: does to one row is written in its loop, not in a function handed the herd's record: a
#: call with the record of some 30 arrays costs ≈ 250 ns, measured, more than the rule:
#: a pregnancy's rules 100 -> 360 ns.)
_INLINE = {"error_model": "numpy", "inline": "always"}


class DryOffRule(NamedTuple):
    """The parameters of the dry-off rules (:func:`capra.herd.rules.dry_off_day`)."""

    low_yield_dim_days: np.ndarray  # (replicates or 1, 3) by parity class [days in milk]
    extended_max_days: int          # longest extended lactation [days in milk]
    standard_length_days: int       # lactation of an open doe without extension [days]
    extended_lactation: bool        # open does milk on up to extended_max_days
    dry_period_days: int            # dry before kidding [days]


class KiddingRule(NamedTuple):
    """The parameters of :func:`kidding`: those of ``HerdParams`` of the same names, each
    replicate's own where it differs between replicates (a leading axis of replicates,
    else of length 1)."""

    litter_cdf: np.ndarray        # (2, max litter) cumulative litter probabilities [-]
    stillbirth_risk: np.ndarray   # (replicates or 1,) [-]
    female_fraction: float        # [-]
    cull_daily_probability: np.ndarray  # (replicates or 1,) of does in milk [1/day]
    dry_off: DryOffRule
    group_cum: np.ndarray         # cumulative share of the breeding groups [-]
    effect_sigma: float           # log-sd of the milk animal effect [-]
    cum_death_hazard: np.ndarray  # (replicates or 1, 2, ages) [-]


class CullRule(NamedTuple):
    """The parameters of the culls by rule (:func:`capra.herd.rules.culled_when_open_and_dry`,
    :func:`capra.herd.rules.buck_retired`), and of the dry-off."""

    max_parity: int               # kiddings [-]
    max_age_days: int             # [days]
    max_failed_windows: int       # breeding windows ended open [-]
    buck_max_age_days: int        # a kept buck's retirement age [days]
    dry_off: DryOffRule


class PregnancyRule(NamedTuple):
    """The parameters of a pregnancy's length and abortion (:func:`conceive`,
    :func:`schedule_abortions`), and of the dry-off that a pregnancy may bring forward."""

    gestation_days: int           # mean gestation [days]
    gestation_sd_days: float      # its standard deviation [days]
    abortion_risk: np.ndarray     # (replicates or 1,) per pregnancy [-]
    dry_off: DryOffRule


class ReplacementRule(NamedTuple):
    """The parameters of :func:`replace` (those of ``HerdParams`` of the same names)."""

    is_farm: np.ndarray           # (L,) the location is a farm (not a quarantine station)
    target_head: np.ndarray       # (L,) head each farm is kept at [head]
    decision_age_days: int        # keep-or-sell age of doelings [days]
    min_breeding_age_days: int    # [days]
    does_per_buck: float          # [does/buck]
    keep_male_kids: bool          # male kids may be kept as bucks (else bucks are bought)
    doelings_breed: bool          # doelings at the decision age count as breeding females
    buck_max_age_days: int        # a kept buck's retirement age [days]


def per_replicate(p: HerdParams, name: str) -> np.ndarray:
    """A per-replicate parameter as (replicates or 1, ...) float64."""
    rows = p.varying.get(name)
    return np.asarray(getattr(p, name) if rows is None else rows, np.float64).reshape(
        (-1,) + np.shape(getattr(p, name)))


def dry_off_rule(p: HerdParams) -> DryOffRule:
    """The record of the dry-off rules (:func:`dry_off_day_of`) for ``p``."""
    rows = p.varying.get("low_yield_dim_days")
    low = p.low_yield_dim_days[None] if rows is None else rows
    return DryOffRule(np.ascontiguousarray(low, np.int64), int(p.extended_max_days),
                      int(p.standard_length_days), bool(p.extended_lactation),
                      int(p.dry_period_days))


def cull_rule(p: HerdParams) -> CullRule:
    """The record of the culls and dry-offs (:func:`cull_today`, :func:`end_pregnancies`,
    :func:`dry_off_today`, :func:`count_failed_windows`) for ``p``."""
    return CullRule(int(p.max_parity), int(p.max_age_days), int(p.max_failed_windows),
                    int(p.buck_max_age_days), dry_off_rule(p))


def pregnancy_rule(p: HerdParams) -> PregnancyRule:
    """The record of :func:`conceive` and :func:`schedule_abortions` for ``p``."""
    return PregnancyRule(int(p.gestation_days), float(p.gestation_sd_days),
                         per_replicate(p, "abortion_risk"), dry_off_rule(p))


def replacement_rule(p: HerdParams) -> ReplacementRule:
    """The record of :func:`replace` for ``p``."""
    return ReplacementRule(
        p.is_farm, np.asarray(target_head(p), np.float64), int(p.decision_age_days),
        int(p.min_breeding_age_days), float(p.does_per_buck),
        p.bucks is None or p.bucks.keep_male_kids, doelings_breed(p),
        int(p.buck_max_age_days))


def doelings_breed(p: HerdParams) -> bool:
    """Whether doelings at the decision age count as breeding females. Only then do the
    head counts of the replacement change when the surplus doelings move or go: the other
    counts are of animals older than the decision age and of kept males."""
    return p.min_breeding_age_days <= p.decision_age_days


def kidding_rule(p: HerdParams) -> KiddingRule:
    """The record of :func:`kidding` for the parameters ``p`` (of a batch)."""
    hazard = p.varying.get("cum_death_hazard")
    return KiddingRule(
        np.cumsum(p.litter_probabilities, axis=1), per_replicate(p, "stillbirth_risk"),
        float(p.female_fraction), per_replicate(p, "cull_daily_probability"),
        dry_off_rule(p), np.cumsum(p.group_share), float(p.effect_sigma),
        p.cum_death_hazard[None] if hazard is None else hazard)


def kid_room(p: HerdParams, dams: np.ndarray) -> int:
    """Rows :func:`kidding` may append for the does ``dams``: the largest litter each."""
    return dams.size * p.litter_probabilities.shape[1]


@compiled(**_INLINE)
def dry_off_day_of(kidded, parity, due, rep, rule):
    """The day the lactation of a doe of replicate ``rep`` that kidded on day ``kidded``
    at ``parity`` (at least 1) ends, with kidding due on ``due`` (-1: open): the dry-off
    rules of ``docs/herd-model.md`` (:func:`capra.herd.rules.dry_off_day`), kept within
    -1 and the last day. [day]"""
    low = rule.low_yield_dim_days
    end = min(np.int64(rule.extended_max_days),
              low[rep if low.shape[0] > 1 else 0, min(parity, 3) - 1])
    pregnant = due >= 0
    if not rule.extended_lactation and not pregnant:
        end = min(end, np.int64(rule.standard_length_days))
    day = np.int64(kidded) + end
    if pregnant:
        day = min(day, np.int64(due) - rule.dry_period_days)
    return min(max(day, np.int64(-1)), np.int64(LAST_DAY))


@compiled(**_JIT)
def set_dry_days(idx, lactating, kidded, parity, due, rep, dry_day, rule):
    """The dry-off day (:func:`dry_off_day_of`) of the does in milk among the rows
    ``idx``, in place (recomputed whenever her kidding or pregnancy changes)."""
    for i in idx:
        if lactating[i]:
            dry_day[i] = dry_off_day_of(kidded[i], parity[i], due[i], rep[i], rule)


@compiled(**_INLINE)
def gestation_length_of(z, rule):
    """Gestation length from a standard normal ``z``: ``round(gestation_days +
    gestation_sd_days * z)``, at least a day (:func:`capra.herd.rules.gestation_length`).
    [days]"""
    return max(np.int64(np.rint(rule.gestation_days + rule.gestation_sd_days * z)), 1)


@compiled(**_INLINE)
def abortion_day_of(conception_day, due, t, risk, u_aborts, u_day):
    """Day on which a pregnancy conceived on ``conception_day`` and due on ``due`` aborts,
    drawn on day ``t`` (uniforms ``u_aborts``, ``u_day``) with probability ``risk``: from
    :data:`~capra.herd.rules.ABORTION_FIRST_GESTATION_DAY` of gestation (not before
    today) to the day before kidding, uniformly (:func:`capra.herd.rules.abortion_days`);
    -1: it does not abort. [day]"""
    if not u_aborts < risk:
        return -1
    lo = max(np.int64(conception_day) + ABORTION_FIRST_GESTATION_DAY, np.int64(t))
    hi = max(np.int64(due) - 1, lo)
    return np.int64(lo + np.floor(u_day * (hi - lo + 1)))


@compiled(**_JIT)
def schedule_abortions(t, rows, conception_day, rep, uid, due, abort_day, key, rule):
    """The abortion day (:func:`abortion_day_of`) of the pregnancies of ``rows``,
    conceived on ``conception_day`` (one per row), in place."""
    risk = rule.abortion_risk
    for j in range(rows.size):
        i = rows[j]
        r = np.int64(rep[i])
        abort_day[i] = abortion_day_of(conception_day[j], due[i], t,
                                       risk[r if risk.size > 1 else 0],
                                       draw(key[r], uid[i], t, 1), draw(key[r], uid[i], t, 2))


@compiled(**_JIT)
def _lexsort(groups, u):
    """``np.lexsort((u, groups))``: the elements in the order of ``groups``, then of
    ``u``, then of their position (a merge sort, stable; written here rather than two
    of numba's sorts, which take seconds each to compile)."""
    n = groups.size
    order = np.arange(n)
    tmp = np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a, b, k = lo, mid, lo
            while a < mid and b < hi:
                i, j = order[a], order[b]
                # j goes first only when strictly before i (equal keys: position order)
                if groups[j] < groups[i] or (groups[j] == groups[i] and u[j] < u[i]):
                    tmp[k] = j
                    b += 1
                else:
                    tmp[k] = i
                    a += 1
                k += 1
            while a < mid:
                tmp[k] = order[a]
                a += 1
                k += 1
            while b < hi:
                tmp[k] = order[b]
                b += 1
                k += 1
        order, tmp = tmp, order
        width *= 2
    return order


@compiled(**_JIT)
def random_rank(groups, u):
    """Rank of each element within its group, in the order of ``u`` (ties in row order):
    ``np.lexsort((u, groups))``'s order counted within each group."""
    order = _lexsort(groups, u)
    rank = np.empty(groups.size, np.int64)
    n = 0
    for j in range(order.size):
        if j > 0 and groups[order[j]] != groups[order[j - 1]]:
            n = 0
        rank[order[j]] = n
        n += 1
    return rank


@compiled(**_ONE_CALLER)
def serve_by_bucks(t, drawn, served, rows, room, mated, n_groups, key):
    """Which of the does ``drawn`` that would conceive by service today (``served``, in
    place) a buck serves: those of a cell's group at most its ``room`` left (flat (cell,
    group)), taken in a random order (stream ``key``, slot 1); the served counted in
    ``mated`` (flat, in place)."""
    n = drawn.size
    cell_group = np.empty(n, np.int64)
    want = np.zeros(room.size, np.int64)
    over = False
    for j in range(n):
        i = drawn[j]
        cell_group[j] = np.int64(rows.cell[i]) * n_groups + rows.group[i]
        if served[j]:
            want[cell_group[j]] += 1
            over |= want[cell_group[j]] > room[cell_group[j]]
    if over:
        sidx = np.flatnonzero(served)
        u = np.empty(sidx.size)
        for s in range(sidx.size):
            i = drawn[sidx[s]]
            u[s] = draw(key[rows.rep[i]], rows.uid[i], t, 1)
        rank = random_rank(cell_group[sidx], u)
        for s in range(sidx.size):
            if rank[s] >= room[cell_group[sidx[s]]]:
                served[sidx[s]] = False
    for j in range(n):
        if served[j]:
            mated[cell_group[j]] += 1


@compiled(**_JIT)
def conceive(t, drawn, rows, by_ai_of_group, room, mated, n_groups, rule, bucks_key,
             gestation_key):
    """The does ``drawn`` (rows, in row order), whose draw says they conceive today, do
    if their group is inseminated today (``by_ai_of_group``) or a buck serves them
    (:func:`serve_by_bucks`; ``room`` empty: none served today); each starts a pregnancy:
    its length and abortion day (stream ``gestation_key``, :func:`gestation_length_of`,
    :func:`abortion_day_of`), and in milk her new dry-off day.

    Returns the rows that conceive (row order) and whether each did by AI.
    """
    n = drawn.size
    ai = np.empty(n, np.bool_)
    for j in range(n):
        ai[j] = by_ai_of_group[rows.group[drawn[j]]]
    served = ~ai
    if room.size == 0:
        served[:] = False
    else:
        serve_by_bucks(t, drawn, served, rows, room, mated, n_groups, bucks_key)
    out = np.empty(n, np.int64)
    method_ai = np.empty(n, np.bool_)
    m = 0
    risk = rule.abortion_risk
    for j in range(n):
        if not (ai[j] or served[j]):
            continue
        # the pregnancy: its length and abortion day, both on her agenda; in milk, her
        # new dry-off day
        i = drawn[j]
        r = np.int64(rows.rep[i])
        key = gestation_key[r]
        uid = rows.uid[i]
        rows.due[i] = t + gestation_length_of(normal_draw(key, uid, t, 0), rule)
        rows.abort_day[i] = abortion_day_of(t, rows.due[i], t, risk[r if risk.size > 1 else 0],
                                            draw(key, uid, t, 1), draw(key, uid, t, 2))
        soon = min(rows.next_day[i], rows.due[i])
        rows.next_day[i] = min(soon, rows.abort_day[i]) if rows.abort_day[i] >= 0 else soon
        if rows.lactating[i]:
            rows.dry_day[i] = dry_off_day_of(rows.kidded[i], rows.parity[i], rows.due[i], r,
                                             rule.dry_off)
        out[m] = i
        method_ai[m] = ai[j]
        m += 1
    return out[:m], method_ai[:m]


@compiled(**_JIT)
def rule_culls(t, idx, rows, rule):
    """The does among ``idx`` now open and dry (alive) that meet a culling rule (parity,
    age, failed windows: :func:`capra.herd.rules.culled_when_open_and_dry`) are culled, in
    place; returns them, in order."""
    gone = np.empty(idx.size, np.int64)
    n = 0
    for i in idx:
        if (rows.alive[i] and not rows.lactating[i] and rows.due[i] < 0
                and rows.sex[i] == FEMALE
                and (rows.parity[i] >= rule.max_parity
                     or np.int64(t) - rows.birth[i] >= rule.max_age_days
                     or rows.failed[i] >= rule.max_failed_windows)):
            rows.alive[i] = False
            gone[n] = i
            n += 1
    return gone[:n]


@compiled(**_JIT)
def cull_today(t, idx, rows, rule):
    """The animals ``idx`` (on the day's agenda for a cull) culled today, in place: on
    their day of involuntary culling, at the age limit (a doe in milk or pregnant waits
    for her open, dry day), a kept buck from his retirement age. Returns them, in
    order."""
    gone = np.empty(idx.size, np.int64)
    n = 0
    for i in idx:
        age = np.int64(t) - rows.birth[i]
        today = rows.cull_day[i] == t
        cull = today or age == rule.max_age_days
        cull |= age >= rule.buck_max_age_days and rows.sex[i] == MALE and rows.kept[i]
        if (rows.sex[i] == FEMALE and (rows.lactating[i] or rows.due[i] >= 0)
                and not today):
            cull = False
        if cull:
            rows.alive[i] = False
            gone[n] = i
            n += 1
    return gone[:n]


@compiled(**_JIT)
def end_pregnancies(t, idx, rows, rule):
    """The pregnancies of the does ``idx`` (alive) end today without kids, in place: open,
    no conceptus debt, a new dry-off day in milk; culled if then open, dry and under a
    rule (:func:`rule_culls`, returned)."""
    for i in idx:
        rows.due[i] = -1
        rows.abort_day[i] = -1
        rows.conceptus_short_mj[i] = 0.0
        if rows.lactating[i]:
            rows.dry_day[i] = dry_off_day_of(rows.kidded[i], rows.parity[i], -1,
                                             rows.rep[i], rule.dry_off)
    return rule_culls(t, idx, rows, rule)


@compiled(**_JIT)
def dry_off_today(t, rows, n, rule):
    """The does in milk among the herd's ``n`` rows whose lactation ends by today dry
    off, in place, and are culled if then under a rule (:func:`rule_culls`). Returns the
    rows dried off and those culled."""
    dry = rows_to_dry(t, rows.lactating[:n], rows.dry_day[:n], rows.alive[:n])
    for i in dry:
        rows.lactating[i] = False
    return dry, rule_culls(t, dry, rows, rule)


@compiled(**_JIT)
def count_failed_windows(t, eligible, ending, rows, rule):
    """On the last day of a window (``ending`` by breeding group), the does ``eligible``
    today still open count one more failed window (at most 127), in place, and are culled
    if then under a rule (:func:`rule_culls`, returned)."""
    hit = np.empty(eligible.size, np.int64)
    n = 0
    for i in eligible:
        if rows.due[i] < 0 and ending[rows.group[i]]:
            rows.failed[i] = min(np.int16(rows.failed[i]) + 1, 127)
            hit[n] = i
            n += 1
    return rule_culls(t, hit[:n], rows, rule)


@compiled(**_JIT)
def split_by_quota(rep, rank, quota):
    """The column of ``quota`` (replicates, columns) of each animal of replicate ``rep``
    taken ``rank``-th (0, 1, ...): column 0 up to its quota, then column 1, ...; -1 past
    the replicate's total quota."""
    cum = np.empty(quota.shape[1])
    slot = np.full(rep.size, -1, np.int64)
    for j in range(rep.size):
        r = rep[j]
        total = 0.0
        for s in range(quota.shape[1]):
            total += quota[r, s]
            cum[s] = total
        for s in range(quota.shape[1]):
            if cum[s] > rank[j]:
                slot[j] = s
                break
    return slot


@compiled(**_ONE_CALLER)
def _head(t, rows, n, n_cells, rule):
    """The head counts of the replacement of the herd's ``n`` rows (3, cells)
    (:func:`capra.herd.kernels.head_for_replacement`)."""
    return head_for_replacement(t, rows.birth[:n], rows.sex[:n], rows.kept[:n],
                                rows.alive[:n], rows.cell[:n], rule.decision_age_days,
                                rule.min_breeding_age_days, n_cells)


@compiled(**_ONE_CALLER)
def _on_farms(idx, loc, is_farm):
    """The rows ``idx`` on a farm and those elsewhere (in quarantine), each in order."""
    on = np.empty(idx.size, np.int64)
    off = np.empty(idx.size, np.int64)
    a = b = 0
    for i in idx:
        if is_farm[loc[i]]:
            on[a] = i
            a += 1
        else:
            off[b] = i
            b += 1
    return on[:a], off[:b]


@compiled(**_ONE_CALLER)
def _rank_in_cells(t, idx, rows, key, slot):
    """Rank of each of the rows ``idx`` among those of its cell in a random order (stream
    ``key``, ``slot``), and the uniform numbers of that order."""
    u = np.empty(idx.size)
    cells = np.empty(idx.size, np.int64)
    for j in range(idx.size):
        i = idx[j]
        u[j] = draw(key[rows.rep[i]], rows.uid[i], t, slot)
        cells[j] = rows.cell[i]
    return random_rank(cells, u), u


@compiled(**_ONE_CALLER)
def keep_doelings(t, f, rows, head, n_replicates, n_locations, rule, key):
    """Doelings ``f`` on farms at the decision age: kept in a random order (stream
    ``key``) while their farm has room below its target head for animals older than the
    decision age (``head[0]`` by cell); the others, in the same order, move to the
    replicate's farms with room left (the first farm first), or are sold. Returns the
    rows moved, the location each left, and the rows sold."""
    R, L = n_replicates, n_locations
    loc, cell, rep = rows.loc, rows.cell, rows.rep
    room = np.zeros(R * L)
    for c in range(R * L):
        if rule.is_farm[c % L]:
            room[c] = max(rule.target_head[c % L] - head[0, c], 0.0)
    rank, u = _rank_in_cells(t, f, rows, key, 0)
    kept_per = np.zeros(R * L)
    surplus = np.empty(f.size, np.int64)
    su = np.empty(f.size)
    n = 0
    for j in range(f.size):
        if rank[j] < room[cell[f[j]]]:
            rows.kept[f[j]] = True
            kept_per[cell[f[j]]] += 1
        else:
            surplus[n] = f[j]
            su[n] = u[j]
            n += 1
    surplus, su = surplus[:n], su[:n]
    free = np.maximum(room - kept_per, 0.0).reshape(R, L)
    srep = rep[surplus].astype(np.int64)   # (the type of the other callers: one compile)
    slot = split_by_quota(srep, random_rank(srep, su), free)
    moved = np.empty(n, np.int64)
    moved_from = np.empty(n, np.int64)
    sold = np.empty(n, np.int64)
    a = b = 0
    for j in range(n):
        i = surplus[j]
        if slot[j] >= 0:
            moved[a] = i
            moved_from[a] = loc[i]
            loc[i] = slot[j]
            cell[i] = np.int64(rep[i]) * L + slot[j]
            rows.kept[i] = True
            a += 1
        else:
            sold[b] = i
            rows.alive[i] = False
            b += 1
    return moved[:a], moved_from[:a], sold[:b]


@compiled(**_ONE_CALLER)
def keep_bucks(t, m, rows, head, rule, key):
    """Male kids ``m`` on farms at their keep-or-sell age: kept as bucks in a random order
    (stream ``key``, slot 2) while their farm lacks bucks for its breeding females
    (``ceil(head[1] / does_per_buck) - head[2]`` by cell; none where bucks are bought in),
    their retirement put on their agenda; the others sold. Returns the rows sold."""
    need = np.zeros(head.shape[1])
    if rule.keep_male_kids:
        for c in range(need.size):
            need[c] = max(np.ceil(head[1, c] / rule.does_per_buck) - head[2, c], 0.0)
    rank, _ = _rank_in_cells(t, m, rows, key, 2)
    sold = np.empty(m.size, np.int64)
    n = 0
    for j in range(m.size):
        i = m[j]
        if rank[j] < need[rows.cell[i]]:
            rows.kept[i] = True
            rows.next_day[i] = min(rows.next_day[i],
                                   np.int64(rows.birth[i]) + rule.buck_max_age_days)
        else:
            sold[n] = i
            rows.alive[i] = False
            n += 1
    return sold[:n]


@compiled(**_JIT)
def replace(t, females, males, rows, n, n_replicates, n_locations, rule, replacement_key,
            bucks_key):
    """The keep-or-sell decisions of the day (docs/herd-model.md, replacement), in place:
    the doelings ``females`` (at the decision age, not yet kept) in quarantine are kept
    (they travel with their batch), those on farms kept, moved or sold
    (:func:`keep_doelings`); the male kids ``males`` off the farms sold, those on farms
    kept as bucks or sold (:func:`keep_bucks`). The head counts are taken once, and again
    for the males when the doelings moved or sold counted in them. ``rows`` holds the
    herd's ``n`` rows (and room past them).

    Returns ``(moved, moved_from, sold_females, sold_males)``: the doelings moved (rows,
    and the location each left), and the animals sold.
    """
    R, L = n_replicates, n_locations
    empty = np.empty(0, np.int64)
    moved, moved_from, sold_f = empty, empty, empty
    head = np.empty((0, 0), np.int64)
    f, in_quarantine = _on_farms(females, rows.loc, rule.is_farm)
    for i in in_quarantine:
        rows.kept[i] = True
    if f.size:
        head = _head(t, rows, n, R * L, rule)
        moved, moved_from, sold_f = keep_doelings(t, f, rows, head, R, L, rule,
                                                  replacement_key)
        if rule.doelings_breed and moved.size + sold_f.size:
            head = np.empty((0, 0), np.int64)   # the surplus moved or gone: count again
    m, sold_m = _on_farms(males, rows.loc, rule.is_farm)
    for i in sold_m:
        rows.alive[i] = False
    if m.size:
        if head.shape[0] == 0:
            head = _head(t, rows, n, R * L, rule)
        sold_m = np.concatenate((sold_m, keep_bucks(t, m, rows, head, rule, bucks_key)))
    return moved, moved_from, sold_f, sold_m


@compiled(**_JIT)
def litter_of(u, cdf):
    """Kids in a litter from a uniform ``u`` and the cumulative litter probabilities
    ``cdf`` of the dam's parity class (:func:`capra.herd.rules.litter_size`). [kids]"""
    litter = 1
    for c in cdf:
        litter += u >= c
    return min(litter, cdf.size)


@compiled(**_JIT)
def cull_day_of(t, q, u):
    """Day of involuntary culling of a doe entering the milking herd on day ``t``, with
    daily probability ``q`` and a uniform ``u``: ``t`` plus a geometric wait, -1 where
    ``q`` is nil. [day]"""
    if q <= 0:
        return -1
    return np.int64(min(t + geometric_wait(u, q), np.float64(LAST_DAY)))


@compiled(**_JIT)
def schedule_culls(t, idx, rows, q, key):
    """The does ``idx`` enter the milking herd on day ``t``: their day of involuntary
    culling (:func:`cull_day_of` with their replicate's daily probability ``q``
    (replicates or 1,), stream ``key``), on their agenda."""
    for i in idx:
        r = np.int64(rows.rep[i])
        rows.cull_day[i] = cull_day_of(t, q[r if q.size > 1 else 0],
                                       draw(key[r], rows.uid[i], t, 0))
        if rows.cull_day[i] >= 0:
            rows.next_day[i] = min(rows.next_day[i], rows.cull_day[i])


@compiled(**_JIT)
def kidding(t, dams, rows, n, rule, n_locations, kidding_key, culling_key, grouping_key,
            lactation_key, mortality_key, next_uid):
    """The does ``dams`` (rows, in row order) kid on day ``t``: the litter by parity, each
    kid stillborn or not and its sex; each live kid is appended as a new animal at row
    ``n`` on (ids counted on from ``next_uid`` by replicate; its breeding group, milk
    effect and day of death drawn), and the dam's lactation starts (her dry-off day, and at
    her first kidding her day of involuntary culling, :func:`schedule_culls`).

    Returns ``(litter, kid_dam, still, born)``: the litter of each dam, the dam row of every
    kid and whether it was stillborn, and the number of live kids appended.
    """
    cdf = rule.litter_cdf
    still_risk = rule.stillbirth_risk
    litter = np.empty(dams.size, np.int64)
    kid_dam = np.empty(dams.size * cdf.shape[1], np.int64)
    still = np.empty(kid_dam.size, np.bool_)
    first = np.empty(dams.size, np.int64)
    n_first = 0
    k = 0
    m = n
    for j in range(dams.size):
        i = dams[j]
        r = np.int64(rows.rep[i])
        key = kidding_key[r]
        size = litter_of(draw(key, rows.uid[i], t, 0), cdf[min(rows.parity[i], 1)])
        litter[j] = size
        risk = still_risk[r if still_risk.size > 1 else 0]
        for s in range(size):
            dead = draw(key, rows.uid[i], t, 1 + s) < risk
            kid_dam[k] = i
            still[k] = dead
            k += 1
            if dead:
                continue
            # a live kid at row m, past the herd (the other fields hold their fills): the
            # next id of its replicate, its dam's location and, born in quarantine, her
            # batch and quarantine
            male = draw(key, rows.uid[i], t, 10 + s) >= rule.female_fraction
            rows.uid[m] = next_uid[r]
            next_uid[r] += 1
            rows.rep[m] = r
            rows.loc[m] = rows.loc[i]
            rows.cell[m] = r * n_locations + rows.loc[i]
            rows.sex[m] = MALE if male else FEMALE
            rows.birth[m] = t
            rows.quarantine_end[m] = rows.quarantine_end[i]
            rows.batch[m] = rows.batch[i]
            m += 1
        # the dam: one more kidding, in milk, open with no failed window, her dry-off day
        if rows.parity[i] == 0:
            first[n_first] = i
            n_first += 1
        rows.parity[i] += 1
        rows.kidded[i] = t
        rows.lactating[i] = True
        rows.due[i] = -1
        rows.abort_day[i] = -1
        rows.failed[i] = 0
        rows.dry_day[i] = dry_off_day_of(t, rows.parity[i], -1, r, rule.dry_off)
    # at her first kidding, her day of involuntary culling
    schedule_culls(t, first[:n_first], rows, rule.cull_daily_probability, culling_key)
    kids = np.arange(n, m)
    lifelong_draws(kids, rows.rep, rows.uid, rows.group, rows.effect, grouping_key,
                   lactation_key, rule.group_cum, rule.effect_sigma)
    death_days(kids, np.zeros(kids.size, np.int64), rows.rep, rows.uid, rows.sex, rows.birth,
               mortality_key, rule.cum_death_hazard, MAX_AGE_DAYS, rows.death_day)
    return litter, kid_dam[:k], still[:k], m - n
