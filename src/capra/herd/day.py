"""The herd's day as one compiled kernel: its stages in order, from Python only between
stages that need it.

The processes of a day (``docs/herd-model.md``, in its order) are grouped in stages
(:data:`STAGE_ARRIVALS` to :data:`STAGE_MILK`). Each compiled stage is a function over the
batch's herd (the buffers of :meth:`HerdState.rows <capra.herd.state.HerdState.rows>`),
the records of its rules (:class:`DayRules` holds them all for a batch), the random
streams' keys (:class:`Keys`) and the day's outputs (the recorder's blocks of counts and
floats for the day, :class:`capra.herd.processes.Recorder`), which it counts into
itself: the agenda (:func:`agenda`); deaths, culls and abortions (:func:`removals`);
kiddings with the kids' extra risks (:func:`births`, :func:`newborn_risks`); outbreaks
(:func:`outbreaks`); the parents' ages (:func:`parents_ages`); conceptions and failed
windows (:func:`conception`, :func:`failed_windows`); dry-off (:func:`dry_off`); the
keep-or-sell decisions (:func:`replacement`); the census and the feeding
(:func:`census_and_feed`); the milk (:func:`milk`). The rules they apply are those of
:mod:`capra.herd.rule_kernels`, :mod:`capra.herd.kernels` and
:mod:`capra.herd.feed_kernels`.

:func:`run` runs the stages of a day in order, from a given stage until a Python stage
has something to do (:data:`PYTHON_STAGES`: batches arriving or leaving quarantine, room
in the buffers for the day's kids, the health processes' tests and journeys, bucks
rotated or bought, the responses to a shortage of feed), and the next days after it, in
one compiled call; what the stages leave for later ones crosses the stops in one record
(:class:`Carry`). :func:`capra.herd.processes.run_days` runs the Python stage and calls
again from the next one. When a day's events are logged animal by animal, the stages
are called one by one from Python instead (:data:`capra.herd.processes.STAGES`): the
same numbers (``tests/herd/test_day.py``).

The stages are compiled into :func:`run` (``inline``), and the helpers with one caller
into it: each compiled function is a unit of machine code that also holds the code of
all it calls, so a function called from several levels is compiled several times (cold
compile of the day 58 -> 33 s, measured); the loop over the days adds some 5 s to it
(LLVM's optimizer works longer on a loop that holds the whole day) and takes 5 % off
every run. A function handed a record (the herd's buffers, a rule's parameters) per
animal costs some 250 ns a call: per-animal rules take arrays.

Why one module of some 800 lines: the stages, their records and the kernel that runs
them in order are the day of ``docs/herd-model.md`` in one place; each stage is short
and calls the rules where they are written.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from capra.compiled import compiled, cycle_counter
from capra.herd import feed_kernels, feeding, health, kernels, rule_kernels
from capra.herd.kernels import on_agenda
from capra.herd.rng import PROCESSES, draw
from capra.herd.params import AI, FEMALE, MALE
from capra.herd.rule_kernels import (CullRule, KiddingRule, PregnancyRule, ReplacementRule,
                                     conceive, count_failed_windows, cull_today,
                                     dry_off_today, end_pregnancies, kidding, replace,
                                     rule_culls)

_JIT = {"error_model": "numpy"}
#: The stages, compiled into :func:`run` (see the module's docstring).
_STAGE = {"error_model": "numpy", "inline": "always"}

#: Index of each flow in the recorder's counts (:attr:`Recorder.COUNTS
#: <capra.herd.processes.Recorder.COUNTS>`, checked there).
(BIRTHS, STILLBIRTHS, KIDDINGS, ABORTIONS, CONCEPTIONS, DEATHS, SALES, CULLS, ARRIVALS,
 TRANSFERS_IN, TRANSFERS_OUT) = range(11)
FLOWS = ("births", "stillbirths", "kiddings", "abortions", "conceptions", "deaths", "sales",
         "culls", "arrivals", "transfers_in", "transfers_out")
#: The stocks of the census in the counts, after the flows (the census's, without the
#: kids who drink milk, which follow them in its stocks).
FIRST_STOCK, N_STOCKS = len(FLOWS), len(kernels.STOCKS) - 1
#: The health processes' counts, after the stocks (in the order of
#: :data:`capra.herd.health.HEALTH_OUTPUTS`).
(REACTORS, INFECTED_RELEASED, TRANSPORT_DEATHS, OUTBREAK_STARTS, OUTBREAK_DEATHS,
 OUTBREAK_ABORTIONS) = range(FIRST_STOCK + N_STOCKS, FIRST_STOCK + N_STOCKS + 6)
#: The milk outputs in the floats, before the parents' ages. [-]
N_MILK = 5
#: The day's feed budget's columns of the milk replacer, and energy shortfalls below
#: rounding (:mod:`capra.herd.feeding`).
REPLACER_KG = feeding._Q["feed_milk_replacer_kg"]
REPLACER_COST = feeding._Q["feed_milk_replacer_cost"]
TINY_MJ = feeding._TINY_MJ
N_FEED_GROUPS = len(feeding.GROUPS)
#: The health module's rules of outbreaks: the day of gestation from which a doe aborts
#: in one, and the slots of the draws of the ``"health"`` stream.
ABORTION_FROM_GESTATION_DAY = health._ABORTION_FROM_GESTATION_DAY
SLOT_OUTBREAK_DEATH, SLOT_OUTBREAK_ABORTION = health._SLOT_DEATH, health._SLOT_ABORT

Keys = NamedTuple("Keys", [(name, np.ndarray) for name in PROCESSES])
Keys.__doc__ = ("The keys of the named random streams (:data:`capra.herd.rng.PROCESSES`), "
                "one per replicate of the batch, as one record.")


class KidRisk(NamedTuple):
    """What the extra risks of death of newborn kids read (:func:`newborn_risks`): the
    fields of :class:`capra.herd.feeding.RearingParams` and
    :class:`capra.herd.feeding.FeedingParams` of the same names (units there)."""

    kid_risk_ratio: np.ndarray          # (L,) risk to weaning / the breed's, >= 1 [-]
    any_extra: bool                     # some location's ratio is above 1
    base_cum_hazard: np.ndarray         # (replicates or 1, 2) cumulative hazard to weaning
    weaning_age_days: int               # [days]
    feed: bool                          # the feeding is on: the conceptus may be short
    expected_conceptus_mj: np.ndarray   # (2,) late-pregnancy conceptus ME of a first and a
                                        # later kidding [MJ]
    birth_weight_kg: np.ndarray         # (2,) by sex [kg]
    late_share_of_birth_weight: float   # [-]
    low_birth_weight_kg: float          # [kg]
    risk_at_low_birth_weight: float     # [-]


class AgendaRule(NamedTuple):
    """The ages of :func:`capra.herd.kernels.agenda` (fields of ``HerdParams``). [days]"""

    max_age_days: int
    decision_age_days: int
    male_sale_age_days: int
    buck_max_age_days: int


class BreedingRule(NamedTuple):
    """What the conceptions of a day read (:func:`conception`): the fields of
    ``HerdParams`` of the same names, with the tables of each replicate where they have
    one (a leading axis of replicates or 1)."""

    in_window: np.ndarray            # (G, days) bool
    window_first_day: np.ndarray     # (G, days) bool
    window_last_day: np.ndarray      # (G, days) bool
    by_ai_method: np.ndarray         # (G,) the group is inseminated on its first day
    service_probability: np.ndarray  # (replicates or 1, G, days) [-]
    ai_probability: np.ndarray       # (replicates or 1, G) [-]
    conception_factor: np.ndarray    # (replicates or 1, days) [-]
    is_farm: np.ndarray              # (L,)
    min_breeding_age_days: int
    postpartum_interval_days: int
    buck_min_breeding_age_days: int
    does_per_buck: float
    conception_factor_without_feed: float   # [-] (1 with the feeding off)


class CensusRule(NamedTuple):
    """What the census and the milk of a day read (:func:`census_and_feed`,
    :func:`milk`): fields of ``HerdParams``, each replicate's own tables where they have
    one."""

    weaning_age_days: int
    buck_min_breeding_age_days: int
    colostrum_days: int
    class_lut: np.ndarray            # (256,) count slot of an animal's state bits
    milk_table: np.ndarray           # (replicates or 1, 3, days in milk) [kg/day]
    heat: np.ndarray                 # (replicates or 1, days) milk factor [-]
    quarantine_milk_lost: np.ndarray  # (days,) milk of does in quarantine is not used
    is_farm: np.ndarray              # (L,)
    kid_milk_kg_per_day: np.ndarray  # (R,) [kg/day]
    tank_milk: np.ndarray            # (L,) the location's kids drink the farm's milk


class DayRules(NamedTuple):
    """Every parameter the stages read, for one batch: the rules' records of
    :mod:`capra.herd.rule_kernels` and the others (:func:`day_rules`)."""

    n_locations: int
    n_groups: int
    agenda: AgendaRule
    cull: CullRule
    kidding: KiddingRule
    kid_risk: KidRisk
    pregnancy: PregnancyRule
    breeding: BreedingRule
    replacement: ReplacementRule
    male_sale_age_days: np.ndarray   # (L,) each location's age of selling male kids
                                     # [days]; empty: every farm's is the policy's
    census: CensusRule
    ages_from_day: int               # the parents' ages are recorded from this day on
                                     # (the last year, with a bucks policy)


def day_rules(p, n_replicates: int) -> DayRules:
    """The record of the stages' parameters for the parameters ``p`` of a batch of
    ``n_replicates``."""
    from capra.herd.processes import _CLASS_LUT

    def rows(name):                  # a table with a leading axis of replicates or 1
        return np.ascontiguousarray(rule_kernels.per_replicate(p, name))

    agenda = AgendaRule(int(p.max_age_days), int(p.decision_age_days),
                        int(p.male_sale_age_days), int(p.buck_max_age_days))
    breeding = BreedingRule(
        p.in_window, p.window_first_day, p.window_last_day, p.group_method == AI,
        rows("service_probability"), rows("ai_probability"),
        rows("conception_factor_by_day"), p.is_farm, int(p.min_breeding_age_days),
        int(p.postpartum_interval_days), int(p.buck_min_breeding_age_days),
        float(p.does_per_buck),
        1.0 if p.feeding is None else float(p.feeding.conception_factor_without_feed))
    census = CensusRule(
        int(p.weaning_age_days), int(p.buck_min_breeding_age_days), int(p.colostrum_days),
        _CLASS_LUT, rows("milk_table"), rows("milk_factor_by_day"),
        p.quarantine_on_day & (not p.quarantine_milk_used), p.is_farm,
        kid_milk_of(p, n_replicates),
        np.ones(p.n_locations, bool) if p.rearing is None else p.rearing.tank_milk)
    sale = (np.full(p.n_locations, p.male_sale_age_days, np.int64) if p.rearing is None
            else np.asarray(p.rearing.male_sale_age_days, np.int64))
    return DayRules(p.n_locations, p.n_groups, agenda, rule_kernels.cull_rule(p),
                    rule_kernels.kidding_rule(p), kid_risk(p), rule_kernels.pregnancy_rule(p),
                    breeding, rule_kernels.replacement_rule(p),
                    sale if (sale != p.male_sale_age_days).any() else sale[:0], census,
                    p.n_days - 365 if p.bucks is not None else p.n_days)


def kid_milk_of(p, n_replicates: int) -> np.ndarray:
    """The milk a kid drinks a day after its colostrum days, of each of the batch's
    ``n_replicates`` (each one's own under parameter uncertainty). [kg/day]"""
    own = p.varying.get("kid_milk_kg_per_day")
    return (np.full(n_replicates, float(p.kid_milk_kg_per_day)) if own is None
            else np.asarray(own, np.float64))


def kid_risk(p) -> KidRisk:
    """The record of :func:`newborn_risks` for ``p``."""
    rows = p.varying.get("cum_death_hazard")
    cum = (p.cum_death_hazard[None] if rows is None else rows)[:, :, p.weaning_age_days]
    rr = (np.ones(p.n_locations) if p.rearing is None
          else np.asarray(p.rearing.kid_risk_ratio, np.float64))
    fp = p.feeding
    if fp is None:
        expected, weight, late, low_kg, low_risk = np.zeros(2), np.zeros(2), 0.0, 0.0, 0.0
    else:
        late_me = fp.preg_me[fp.preg_first_day:p.gestation_days].sum()
        expected = late_me * fp.mean_litter
        weight, late = fp.birth_weight_kg, fp.late_share_of_birth_weight
        low_kg, low_risk = fp.low_birth_weight_kg, fp.risk_at_low_birth_weight
    return KidRisk(rr, bool((rr > 1.0).any()), np.ascontiguousarray(cum, np.float64),
                   int(p.weaning_age_days), fp is not None, np.asarray(expected, np.float64),
                   np.asarray(weight, np.float64), float(late), float(low_kg),
                   float(low_risk))


@compiled(**_JIT)
def count(out, idx, cell):
    """Add the animals of rows ``idx`` to ``out``, one of the day's counts (replicates,
    locations), at their ``cell``. (The count is handed over, not its index: a compiled
    function given a constant is compiled for its value, and the on-disk cache does not
    tell those versions apart.)"""
    L = out.shape[1]
    for i in idx:
        c = cell[i]
        out[c // L, c % L] += 1


@compiled(**_STAGE)
def abort(t, idx, rows, rule, counts):
    """The pregnancies of does ``idx`` (alive, in row order) end today
    (:func:`capra.herd.rule_kernels.end_pregnancies`), counted; returns the does culled
    after it."""
    culled = end_pregnancies(t, idx, rows, rule)
    count(counts[ABORTIONS], idx, rows.cell)
    count(counts[CULLS], culled, rows.cell)
    return culled


@compiled(**_STAGE)
def removals(t, agenda_rows, marks, arrived, rows, cull, counts):
    """Deaths on the day drawn when the animal joined the herd; culls (involuntary, by
    age, a kept buck's retirement: :func:`capra.herd.rule_kernels.cull_today`, and by rule
    of the does that arrived open and dry today, ``arrived``); abortions on the day drawn
    at conception (:func:`abort`). Returns the rows that died, were culled (today's,
    the arrivals'), aborted, and were culled after an abortion, for the event log."""
    cell = rows.cell
    dead = on_agenda(agenda_rows, marks, kernels.AGENDA_DEATH, rows.alive, rows.death_day, t)
    for i in dead:
        rows.alive[i] = False
    count(counts[DEATHS], dead, cell)
    # (an empty day field: any day; a field's empty slice, as a constant array would be
    # read-only to the compiler and on_agenda compiled a second time)
    due = on_agenda(agenda_rows, marks, kernels.AGENDA_CULL, rows.alive, rows.due[:0], t)
    culled = cull_today(t, due, rows, cull)
    count(counts[CULLS], culled, cell)
    culled_arrived = rule_culls(t, arrived, rows, cull)
    count(counts[CULLS], culled_arrived, cell)
    aborted = on_agenda(agenda_rows, marks, kernels.AGENDA_ABORTION, rows.alive,
                        rows.abort_day, t)
    culled_aborted = abort(t, aborted, rows, cull, counts)
    return dead, culled, culled_arrived, aborted, culled_aborted


@compiled(**_STAGE)
def dams_due(t, agenda_rows, marks, rows):
    """The does that kid today (alive, due today), in row order."""
    return on_agenda(agenda_rows, marks, kernels.AGENDA_KIDDING, rows.alive, rows.due, t)


@compiled(**_STAGE)
def births(t, dams, rows, n, rule, risk, n_locations, keys, counts, next_uid):
    """The does ``dams`` kid (:func:`capra.herd.rule_kernels.kidding` under ``rule``; the
    herd's buffers ``rows`` hold ``n`` rows and room for the largest litter of each; the
    keys of the streams ``keys``), their kiddings,
    stillbirths and live kids counted, and the extra risks of the kids
    (:func:`newborn_risks`). Returns the litters, the dam row of each kid and whether
    it was stillborn, and the number of live kids appended (rows ``n`` on)."""
    litter, kid_dam, still, born = kidding(
        t, dams, rows, n, rule, n_locations, keys.kidding, keys.culling, keys.grouping,
        keys.lactation, keys.mortality, next_uid)
    count(counts[KIDDINGS], dams, rows.cell)
    count(counts[STILLBIRTHS], kid_dam[still], rows.cell)
    count(counts[BIRTHS], np.arange(n, n + born), rows.cell)
    newborn_risks(t, dams, kid_dam[~still], n, rows, risk, keys.feeding)
    return litter, kid_dam, still, born


@compiled(**_JIT)
def newborn_risks(t, dams, kid_dam, first, rows, risk, key):
    """Extra risk of death before weaning of the live kids born today (rows ``first``
    on, their dams ``kid_dam``) to the does ``dams``: the rearing method of their farm
    (risk ``RR x r`` in place of the breed's ``r``), and a low birth weight when the dam's
    conceptus was short of energy (the birth weight falls with the share of the
    late-pregnancy conceptus energy withheld, and the risk rises linearly from the kid's
    risk at the normal weight to the sourced risk at the low birth weight). The kid dies,
    if it does, on a day drawn uniformly from its first to its weaning day (stream
    ``key``, slots 1 and 2); nothing is drawn where there is no extra risk. The does'
    conceptus debt is then cleared. The NumPy expressions of the rule, element by
    element."""
    light = False
    if risk.feed:
        for i in kid_dam:
            light |= rows.conceptus_short_mj[i] != 0
    if kid_dam.size and (risk.any_extra or light):
        cum = risk.base_cum_hazard
        for j in range(kid_dam.size):
            d = kid_dam[j]
            k = first + j
            r = np.int64(rows.rep[k])
            sex = np.int64(rows.sex[k])
            base = -math.expm1(-cum[r if cum.shape[0] > 1 else 0, sex])
            p = min(risk.kid_risk_ratio[rows.loc[d]] * base, 1.0)
            if light:
                short = np.float64(rows.conceptus_short_mj[d])
                parous = 1 if rows.parity[d] > 1 else 0   # parity counts this kidding
                withheld = min(max(short / risk.expected_conceptus_mj[parous], 0.0), 1.0)
                normal = risk.birth_weight_kg[sex]
                weight = normal * (1.0 - risk.late_share_of_birth_weight * withheld)
                span = max(normal - risk.low_birth_weight_kg, 1e-9)
                low = p + ((max(risk.risk_at_low_birth_weight, p) - p)
                           * min(max((normal - weight) / span, 0.0), 1.0))
                p = max(p, low)
            if not p > base:
                continue
            extra = 1.0 - (1.0 - p) / max(1.0 - base, 1e-12)
            if not extra > 0:
                continue
            uid = rows.uid[k]
            if draw(key[r], uid, t, 1) < extra:
                day = t + 1 + np.int64(math.floor(draw(key[r], uid, t, 2)
                                                  * risk.weaning_age_days))
                rows.death_day[k] = min(np.int64(rows.death_day[k]), day)
    if risk.feed:
        for i in dams:
            rows.conceptus_short_mj[i] = 0.0


@compiled(**_STAGE)
def agenda(t, rows, n, rule):
    """What may happen to each of the herd's ``n`` rows today
    (:func:`capra.herd.kernels.agenda`): its rows and marks."""
    return kernels.agenda(t, rows.next_day[:n], rows.alive[:n], rows.quarantine_end[:n],
                          rows.death_day[:n], rows.cull_day[:n], rows.birth[:n],
                          rows.sex[:n], rows.kept[:n], rows.abort_day[:n], rows.due[:n],
                          rule.max_age_days, rule.decision_age_days, rule.male_sale_age_days,
                          rule.buck_max_age_days)


@compiled(**_JIT)
def releases_today(marks):
    """Some row of the day's agenda ends its quarantine today."""
    for m in marks:
        if m & kernels.AGENDA_RELEASE:
            return True
    return False


@compiled(**_STAGE)
def parents_ages(t, rows, n, buck_age_days, counts, floats):
    """The ages of the does that kidded today and of the bucks, summed by cell, into the
    day's ``floats`` (:data:`capra.herd.bucks.BREEDING_OUTPUTS`, after the milk)
    (:func:`capra.herd.kernels.ages_by_cell`; bucks from ``buck_age_days``). [days]"""
    R, L = counts.shape[1], counts.shape[2]
    kiddings = False
    for v in counts[KIDDINGS].ravel():
        kiddings |= v != 0
    ages = kernels.ages_by_cell(t, rows.kidded[:n], rows.sex[:n], rows.alive[:n],
                                rows.birth[:n], kiddings, buck_age_days,
                                rows.cell[:n], R * L)
    for k in range(2):
        for r in range(R):
            for loc in range(L):
                floats[N_MILK + k, r, loc] = ages[k, r * L + loc]


@compiled(**_JIT)
def conception_today(t, rule, n_replicates):
    """Probability that an eligible doe of each breeding group conceives today,
    (replicates or 1, G), and whether by AI, (G,): :func:`capra.herd.rules.
    conception_probability` with each replicate's own tables."""
    service, ai, factor = (rule.service_probability, rule.ai_probability,
                           rule.conception_factor)
    G = rule.in_window.shape[0]
    own = max(service.shape[0], ai.shape[0], factor.shape[0]) > 1
    rows_ = n_replicates if own else 1
    by_ai = np.empty(G, np.bool_)
    for g in range(G):
        by_ai[g] = rule.by_ai_method[g] and rule.window_first_day[g, t]
    out = np.empty((rows_, G))
    for r in range(rows_):
        f = factor[r if factor.shape[0] > 1 else 0, t]
        for g in range(G):
            q = (ai[r if ai.shape[0] > 1 else 0, g] if by_ai[g]
                 else service[r if service.shape[0] > 1 else 0, g, t])
            out[r, g] = q * f
    return out, by_ai


@compiled(**_STAGE)
def conception(t, rows, n, rule, pregnancy, keys, counts, mated, intake_set):
    """The conceptions of the day (docs/herd-model.md, breeding): the eligible does draw
    (:func:`capra.herd.kernels.breeding_draws`, their intake share of yesterday when
    ``intake_set``), a group's does served by the farm's bucks up to ``does_per_buck``
    each in the group's window (``mated``, reset on its first day), the pregnancies
    (:func:`capra.herd.rule_kernels.conceive`), counted. Returns the eligible rows (for
    the failed windows), the does that conceived and whether by AI."""
    empty = np.empty(0, np.int64)
    open_ = False
    for g in range(rule.in_window.shape[0]):
        open_ |= rule.in_window[g, t]
    if not open_:
        return empty, empty, np.empty(0, np.bool_)
    R, L, G = mated.shape
    probability, by_ai = conception_today(t, rule, R)
    idx, conceives = kernels.breeding_draws(
        t, rows.due[:n], rows.sex[:n], rows.alive[:n], rows.group[:n],
        np.ascontiguousarray(rule.in_window[:, t]), rows.loc[:n], rule.is_farm,
        rows.birth[:n], rows.lag[:n], rows.kidded[:n], rule.min_breeding_age_days,
        rule.postpartum_interval_days, rows.rep[:n], rows.uid[:n], keys.breeding,
        probability, rows.intake[:n] if intake_set else rows.intake[:0],
        rule.conception_factor_without_feed)
    drawn = idx[conceives]
    for g in range(G):
        if rule.window_first_day[g, t]:
            mated[:, :, g] = 0
    room = np.empty(0)
    service = False
    for i in drawn:
        service |= not by_ai[rows.group[i]]
    if service:
        bucks = kernels.breeding_bucks(t, rows.sex[:n], rows.kept[:n], rows.alive[:n],
                                       rows.loc[:n], rule.is_farm, rows.birth[:n],
                                       rule.buck_min_breeding_age_days, rows.cell[:n], R * L)
        room = np.empty(R * L * G)
        for c in range(R * L):
            for g in range(G):
                room[c * G + g] = max(bucks[c] * rule.does_per_buck
                                      - mated[c // L, c % L, g], 0.0)
    conceived, ai = conceive(t, drawn, rows, by_ai, room, mated.reshape(-1), G,
                             pregnancy, keys.bucks, keys.gestation)
    count(counts[CONCEPTIONS], conceived, rows.cell)
    return idx, conceived, ai


@compiled(**_STAGE)
def failed_windows(t, eligible, rows, window_last_day, cull, counts):
    """On the last day of a window, the does eligible today still open count one more
    failure (:func:`capra.herd.rule_kernels.count_failed_windows`); returns those culled
    then, counted."""
    ending = np.ascontiguousarray(window_last_day[:, t])
    any_ending = False
    for e in ending:
        any_ending |= e
    if not any_ending or eligible.size == 0:
        return np.empty(0, np.int64)
    culled = count_failed_windows(t, eligible, ending, rows, cull)
    count(counts[CULLS], culled, rows.cell)
    return culled


@compiled(**_STAGE)
def dry_off(t, rows, n, cull, counts):
    """The does whose lactation ends by today dry off
    (:func:`capra.herd.rule_kernels.dry_off_today`); returns them and those culled then,
    counted."""
    dried, culled = dry_off_today(t, rows, n, cull)
    count(counts[CULLS], culled, rows.cell)
    return dried, culled


@compiled(**_STAGE)
def _undecided(idx, rows, sex):
    """The rows ``idx`` of animals of ``sex`` not yet kept, in order."""
    out = np.empty(idx.size, np.int64)
    k = 0
    for i in idx:
        out[k] = i
        k += (rows.sex[i] == sex) & (not rows.kept[i])
    return out[:k]


@compiled(**_STAGE)
def replacement(t, agenda_rows, marks, rows, n, rule, sale_ages, keys, counts, n_replicates):
    """The keep-or-sell decisions of the day (:func:`capra.herd.rule_kernels.replace`):
    the doelings at the decision age and the male kids at their sale age (their farm's
    own, where a farm has one), not yet kept; the moves and sales counted. Returns the
    doelings moved, the location each left, and the animals sold. ``sale_ages`` (L,)
    [days]: the age at which each location sells its male kids, empty when every farm
    sells them at the policy's age."""
    # (animals born today, after the agenda was made, are not yet at either age: ages
    # of nil days are refused by the scenario)
    females = _undecided(
        on_agenda(agenda_rows, marks, kernels.AGENDA_DOELING, rows.alive, rows.due[:0], t),
        rows, FEMALE)
    if sale_ages.size:                 # every row: each farm's age
        m = np.empty(n, np.int64)
        k = 0
        for i in range(n):
            m[k] = i
            k += (np.int64(t) - rows.birth[i] >= sale_ages[rows.loc[i]]) & rows.alive[i]
        males = _undecided(m[:k], rows, MALE)
    else:
        males = _undecided(
            on_agenda(agenda_rows, marks, kernels.AGENDA_MALE_KID, rows.alive, rows.due[:0],
                      t),
            rows, MALE)
    empty = np.empty(0, np.int64)
    if females.size == 0 and males.size == 0:
        return empty, empty, empty, empty
    moved, moved_from, sold_f, sold_m = replace(
        t, females, males, rows, n, n_replicates, counts.shape[2], rule, keys.replacement,
        keys.bucks)
    for j in range(moved.size):
        counts[TRANSFERS_OUT, rows.rep[moved[j]], moved_from[j]] += 1
    count(counts[TRANSFERS_IN], moved, rows.cell)
    count(counts[SALES], sold_f, rows.cell)
    count(counts[SALES], sold_m, rows.cell)
    return moved, moved_from, sold_f, sold_m


class Outbreaks(NamedTuple):
    """The outbreaks of a batch (:class:`capra.herd.health._Outbreaks`) and the tables
    of their kinds (replicates or 1, kinds): what :func:`outbreaks` reads."""

    rep: np.ndarray
    loc: np.ndarray
    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray                  # first day after the outbreak
    death_daily: np.ndarray          # [1/day]
    abortion_daily: np.ndarray       # [1/day]
    milk_factor: np.ndarray          # [-]


@compiled(**_STAGE)
def outbreaks(t, ob, rows, n, rep_rows, grouped, key, gestation_days, cull, counts):
    """The outbreaks going on today (:func:`capra.herd.kernels.outbreak_cells`, those
    starting counted): deaths and abortions in their cells
    (:func:`capra.herd.kernels.outbreak_draws`), counted. Returns the milk factor of
    each cell today (empty: no outbreak goes on), and the rows that died, aborted, and
    were culled after the abortion."""
    L = counts.shape[2]
    empty = np.empty(0, np.int64)
    on, active, survive, keep, milk, spans = kernels.outbreak_cells(
        t, ob.rep, ob.loc, ob.kind, ob.start, ob.end, ob.death_daily, ob.abortion_daily,
        ob.milk_factor, rep_rows, grouped, n, counts[OUTBREAK_STARTS], L)
    if not on:
        return np.empty(0), empty, empty, empty
    dead, hit = kernels.outbreak_draws(
        t, spans, active, survive, keep, rows.cell, rows.alive, rows.rep, rows.uid,
        rows.due, key, gestation_days, ABORTION_FROM_GESTATION_DAY,
        SLOT_OUTBREAK_DEATH, SLOT_OUTBREAK_ABORTION)
    for i in dead:
        rows.alive[i] = False
    count(counts[DEATHS], dead, rows.cell)
    count(counts[OUTBREAK_DEATHS], dead, rows.cell)
    count(counts[OUTBREAK_ABORTIONS], hit, rows.cell)
    culled = abort(t, hit, rows, cull, counts)
    return milk, dead, hit, culled


class Rearing(NamedTuple):
    """The milk replacer of the kids (fields of :class:`capra.herd.feeding.RearingParams`
    of the same names, units there), as :func:`census_and_feed` reads it."""

    on_replacer: bool                    # some location's kids drink milk replacer
    powder_given: np.ndarray             # (L,)
    powder_kg_per_kid_day: np.ndarray    # (L,) [kg/day]
    powder_per_kg_milk: float            # [kg/kg]
    powder_price_per_kg: np.ndarray      # (L,) [/kg]
    kid_milk_kg_per_day: np.ndarray      # (R,) [kg/day], the replicate's own or the point


@compiled(**_STAGE)
def census_and_feed(t, rows, n, c, counts, outbreak_milk, intake_set, feed, farms,
                    rearing, stock, pasture, lagging, active, new_month, day, source_dm,
                    closing, monthly):
    """The end-of-day census (:func:`capra.herd.kernels.census`, its stocks written to the
    day's ``counts``) with the milk of the does in milk before feed; with the feeding on
    (``feed``'s tables not empty), the milk replacer of the kids, the
    requirements (:func:`capra.herd.feed_kernels.feed_needs`; the days of growth missed
    when ``lagging``, the tissue regained when ``active``) and the day's feeding
    (:func:`capra.herd.feed_kernels.feed_farms`, into ``day`` and, unless the animals
    respond to a shortage (some group short, or ``active`` or ``intake_set``), the
    month's sums). ``outbreak_milk`` is the milk factor of the outbreaks by cell (empty:
    none).

    Returns the class code of every row, the does in milk, their milk [kg] and its kind,
    the milk by cell and kind (:func:`capra.herd.kernels.census`), the kids drinking
    milk per cell, whether some priority group went short and the share of its need each
    was fed (R, L, G) (empty with the feeding off)."""
    R, L = counts.shape[1], counts.shape[2]
    # (an empty slice, not a new empty array: one type of array either way, which the
    # compiled loops need to stay fast: 1.2 -> 4.8 ms a call, measured)
    lag = rows.lag[:n] if lagging else rows.lag[:0]
    c16, stocks, li, kg, kind, by_kind, milk_sums, need = kernels.census(
        t, rows.sex[:n], rows.parity[:n], rows.lactating[:n], rows.birth[:n],
        rows.alive[:n], rows.due[:n], rows.cell[:n], rows.kidded[:n], rows.effect[:n],
        rows.rep[:n], rows.loc[:n], c.weaning_age_days, c.buck_min_breeding_age_days,
        c.colostrum_days, c.class_lut, c.milk_table, c.heat, outbreak_milk,
        c.quarantine_milk_lost[t], c.is_farm, feed, lag,
        rows.lost_kg[:n] if active else rows.lost_kg[:0], R * L)
    for k in range(N_STOCKS):
        for r in range(R):
            for loc in range(L):
                counts[FIRST_STOCK + k, r, loc] = stocks[k, r * L + loc]
    drinking = stocks[N_STOCKS].copy()
    short = False
    share = np.empty((0, 0, 0))
    if feed.table.size:                             # the feeding is on
        if rearing.on_replacer:                     # milk replacer of the kids
            for r in range(R):
                for loc in range(L):
                    if c.tank_milk[loc]:
                        continue
                    per_kid = (rearing.powder_kg_per_kid_day[loc] if rearing.powder_given[loc]
                               else rearing.kid_milk_kg_per_day[r] * rearing.powder_per_kg_milk)
                    powder = drinking[r * L + loc] * per_kid
                    day[r, loc, REPLACER_KG] = powder
                    day[r, loc, REPLACER_COST] = powder * rearing.powder_price_per_kg[loc]
        G = N_FEED_GROUPS
        sums, by_group = feed_kernels.feed_needs(need, milk_sums, feed, G, R * L)
        short, share = feed_kernels.feed_farms(
            t, by_group.reshape(R, L, 3, G), sums.reshape(R, L, 16, 3), stock, pasture,
            farms, new_month, TINY_MJ, day, source_dm, closing, monthly,
            active or intake_set)
    return c16, li, kg, kind, by_kind, drinking, short, share


@compiled(**_STAGE)
def milk(by_kind, drinking, c, floats):
    """The milk of the day by kind, the kids' and the milk delivered, into the day's
    ``floats`` (:func:`capra.herd.kernels.milk_outputs`, under the census rule ``c``),
    from the milk by cell and kind ``by_kind``."""
    kernels.milk_outputs(by_kind, drinking, c.kid_milk_kg_per_day, c.tank_milk,
                         floats[:N_MILK])


#: The stages of a day, in order (docs/herd-model.md). Those marked Python are
#: processes of :mod:`capra.herd.processes` (and of the health and bucks modules) that
#: :func:`run` stops for, on the days they act: the batches arriving; the animals leaving
#: quarantine; room in the herd's buffers for the day's kids; the health processes'
#: tests, journeys and introductions; bucks rotated or bought; the responses to a
#: shortage of feed.
(STAGE_ARRIVALS, STAGE_AGENDA, STAGE_RELEASE, STAGE_REMOVALS, STAGE_ROOM, STAGE_BIRTHS,
 STAGE_HEALTH, STAGE_OUTBREAKS, STAGE_BUCKS, STAGE_AGES, STAGE_BREEDING, STAGE_DRY_OFF,
 STAGE_REPLACEMENT, STAGE_CENSUS_AND_FEED, STAGE_RESPOND, STAGE_MILK, END) = range(17)
PYTHON_STAGES = (STAGE_ARRIVALS, STAGE_RELEASE, STAGE_ROOM, STAGE_HEALTH, STAGE_BUCKS,
                 STAGE_RESPOND)
#: The Python stages :func:`run` stops for on a day whatever the herd: arrivals, health,
#: bucks (the columns of the ``hooks`` of a day).
HOOK_ARRIVALS, HOOK_HEALTH, HOOK_BUCKS = range(3)


class Carry(NamedTuple):
    """What a stage of the day leaves for the later ones, across the stops of
    :func:`run`: the day's agenda, the animals that arrived today, the outbreaks' milk
    factor by cell, and the census and feeding's results (:func:`census_and_feed`)."""

    agenda_rows: np.ndarray
    marks: np.ndarray
    arrived: np.ndarray
    outbreak_milk: np.ndarray
    c16: np.ndarray
    li: np.ndarray
    kg: np.ndarray
    kind: np.ndarray
    by_kind: np.ndarray
    drinking: np.ndarray
    short: bool
    share: np.ndarray


@compiled(**_STAGE)
def fresh_carry():
    """Nothing carried yet (the start of a day: :func:`run` starts each day with it)."""
    rows = np.zeros(0, np.int64)
    return Carry(rows, np.zeros(0, np.int8), rows, np.zeros(0), np.zeros(0, np.int8), rows,
                 np.zeros(0), np.zeros(0, np.int8), np.zeros((0, 3)), rows, False,
                 np.zeros((0, 0, 0)))


#: The compiled stages :func:`run` times, in order: the processor's ticks spent in each
#: are added to the ``cycles`` it is given (for ``bench/herd.py --stages``).
TIMED_STAGES = ("agenda", "removals", "births", "outbreaks", "parents' ages", "breeding",
                "dry-off", "replacement", "census and feed", "milk")
(TIMED_AGENDA, TIMED_REMOVALS, TIMED_BIRTHS, TIMED_OUTBREAKS, TIMED_AGES, TIMED_BREEDING,
 TIMED_DRY_OFF, TIMED_REPLACEMENT, TIMED_CENSUS_AND_FEED, TIMED_MILK) = range(10)
#: The ticks of every batch's :func:`run` in this process since it started (or since the
#: benchmark set them to nil), by stage (:data:`TIMED_STAGES`) [ticks]. Batches run on
#: threads add to it at once: a measure for a batch run alone.
STAGE_CYCLES = np.zeros(len(TIMED_STAGES), np.int64)


@compiled(**_STAGE)
def lap(cycles, stage, since):
    """Add the ticks from ``since`` to now to ``cycles[stage]``; returns now."""
    now = cycle_counter()
    cycles[stage] += now - since
    return now


@compiled(**_JIT)
def run(t, t_stop, first, hook_days, rows, n, rules, keys, counts_at, floats_at,
        next_uid, mated, intake_set, ob, rep_rows, grouped, feed, farms, rearing, stock,
        pasture, lagging, active, month_of_day, day, source_dm_by_month, closing_by_month,
        monthly_by_month, carry, cycles):
    """The stages of the days from ``t`` to ``t_stop`` (excluded), in order, the first
    from stage ``first`` on, the next ones from the first stage, until a Python stage
    has something to do (the day's ``hook_days``, and what the herd needs). Returns the
    day and the stage it stopped at (or :data:`END` on the last day), the herd's rows
    now (with the kids born), what the stages leave for the later ones (:class:`Carry`)
    and the feeding's budget of the day (``day``, R, L, k). The caller runs the Python
    stage and calls again from the next one.

    Per day, the recorder's blocks (``counts_at`` and ``floats_at``: each its memory, the
    shape and the strides of its view (day, variable, replicate, location),
    :meth:`capra.herd.processes.Recorder.strided`: one type of argument whatever the
    view's layout), the month (``month_of_day``: a month begins on the first day and when
    it changes) and the feeding's sums of the month (``*_by_month``). ``ob`` is the batch's outbreaks (none
    without the health processes), ``feed``, ``farms`` and ``rearing`` the feeding's
    records (empty with the feeding off): records of the same types either way, so that
    the day is compiled once (see :func:`census_and_feed` for the rest). One call runs
    many days: a call costs some 90 us of handing its records over from Python, as much
    as a day's work on a batch of a few replicates. The processor's ticks spent in each
    compiled stage are added to ``cycles`` (:data:`TIMED_STAGES`)."""
    (agenda_rows, marks, arrived, outbreak_milk, c16, li, kg, kind, by_kind, drinking,
     short, share) = carry
    counts_by_day = as_strided(counts_at[0], counts_at[1], counts_at[2])
    floats_by_day = as_strided(floats_at[0], floats_at[1], floats_at[2])
    stop = END
    while True:                     # day after day, each from its first stage, to a stop
        if first == STAGE_ARRIVALS:     # a new day: nothing carried, the budget nil
            (agenda_rows, marks, arrived, outbreak_milk, c16, li, kg, kind, by_kind,
             drinking, short, share) = fresh_carry()
            day = np.zeros_like(day)
        hooks, counts, floats = hook_days[t], counts_by_day[t], floats_by_day[t]
        m = month_of_day[t]
        new_month = t == 0 or m != month_of_day[t - 1]
        source_dm, closing, monthly = (source_dm_by_month[m], closing_by_month[m],
                                       monthly_by_month[m])
        tick = cycle_counter()
        if first <= STAGE_ARRIVALS and hooks[HOOK_ARRIVALS]:
            stop = STAGE_ARRIVALS
            break
        if first <= STAGE_AGENDA:
            agenda_rows, marks = agenda(t, rows, n, rules.agenda)
            tick = lap(cycles, TIMED_AGENDA, tick)
        if first <= STAGE_RELEASE and releases_today(marks):
            stop = STAGE_RELEASE
            break
        if first <= STAGE_REMOVALS:
            removals(t, agenda_rows, marks, arrived, rows, rules.cull, counts)
            tick = lap(cycles, TIMED_REMOVALS, tick)
        if first <= STAGE_BIRTHS:
            dams = dams_due(t, agenda_rows, marks, rows)
            if dams.size:
                if (first <= STAGE_ROOM and n + dams.size
                        * rules.kidding.litter_cdf.shape[1] > rows.uid.size):
                    stop = STAGE_ROOM
                    break
                n += births(t, dams, rows, n, rules.kidding, rules.kid_risk,
                            rules.n_locations, keys, counts, next_uid)[3]
            tick = lap(cycles, TIMED_BIRTHS, tick)
        if first <= STAGE_HEALTH and hooks[HOOK_HEALTH]:
            stop = STAGE_HEALTH
            break
        if first <= STAGE_OUTBREAKS:
            outbreak_milk = outbreaks(t, ob, rows, n, rep_rows, grouped, keys.health,
                                      rules.pregnancy.gestation_days, rules.cull, counts)[0]
            tick = lap(cycles, TIMED_OUTBREAKS, tick)
        if first <= STAGE_BUCKS and hooks[HOOK_BUCKS]:
            stop = STAGE_BUCKS
            break
        if first <= STAGE_AGES and t >= rules.ages_from_day:
            parents_ages(t, rows, n, rules.breeding.buck_min_breeding_age_days, counts,
                         floats)
            tick = lap(cycles, TIMED_AGES, tick)
        if first <= STAGE_BREEDING:
            eligible = conception(t, rows, n, rules.breeding, rules.pregnancy, keys, counts,
                                  mated, intake_set)[0]
            failed_windows(t, eligible, rows, rules.breeding.window_last_day, rules.cull,
                           counts)
            tick = lap(cycles, TIMED_BREEDING, tick)
        if first <= STAGE_DRY_OFF:
            dry_off(t, rows, n, rules.cull, counts)
            tick = lap(cycles, TIMED_DRY_OFF, tick)
        if first <= STAGE_REPLACEMENT:
            replacement(t, agenda_rows, marks, rows, n, rules.replacement,
                        rules.male_sale_age_days, keys, counts, mated.shape[0])
            tick = lap(cycles, TIMED_REPLACEMENT, tick)
        if first <= STAGE_CENSUS_AND_FEED:
            c16, li, kg, kind, by_kind, drinking, short, share = census_and_feed(
                t, rows, n, rules.census, counts, outbreak_milk, intake_set, feed, farms,
                rearing, stock, pasture, lagging, active, new_month, day, source_dm,
                closing, monthly)
            tick = lap(cycles, TIMED_CENSUS_AND_FEED, tick)
        if (first <= STAGE_RESPOND and feed.table.size
                and (short or active or intake_set)):
            stop = STAGE_RESPOND
            break
        if first <= STAGE_MILK:
            milk(by_kind, drinking, rules.census, floats)
            lap(cycles, TIMED_MILK, tick)
        if t + 1 >= t_stop:
            break
        t += 1
        first = STAGE_ARRIVALS
    return t, stop, n, Carry(agenda_rows, marks, arrived, outbreak_milk, c16, li, kg, kind,
                             by_kind, drinking, short, share), day
