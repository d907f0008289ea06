"""The herd's day as compiled stages, and an ordinary day as one compiled call.

The processes of a day (``docs/herd-model.md``, in its order) are grouped in stages, each
a compiled function over the batch's herd (the buffers of :meth:`HerdState.rows
<capra.herd.state.HerdState.rows>`), its parameters (one record, :class:`DayRules`), the
random streams' keys (:class:`Keys`) and the day's outputs (the recorder's blocks of
counts and floats for the day, :class:`capra.herd.processes.Recorder`), which it counts
into itself:

1. the day's agenda (:func:`capra.herd.kernels.agenda`);
2. :func:`removals`: deaths, culls, abortions;
3. :func:`births`: the does due kid (:func:`capra.herd.rule_kernels.kidding`), with the
   extra risks of their kids (:func:`newborn_risks`);

An ordinary day (no batch arriving or leaving quarantine, no test, no bucks rotated or
bought, the day's outputs not logged animal by animal) runs every stage in one compiled
call; on the other days :mod:`capra.herd.processes` calls the stages one by one and runs
the processes that are Python between them. Both run the same stages, so the numbers are
the same either way (``tests/herd/test_day.py``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from capra.compiled import compiled
from capra.herd import kernels, rule_kernels
from capra.herd.kernels import on_agenda
from capra.herd.rng import PROCESSES, draw
from capra.herd.rule_kernels import (CullRule, KiddingRule, cull_today, end_pregnancies,
                                     kidding, rule_culls)

_JIT = {"error_model": "numpy"}

#: Index of each flow in the recorder's counts (:attr:`Recorder.COUNTS
#: <capra.herd.processes.Recorder.COUNTS>`, checked there).
(BIRTHS, STILLBIRTHS, KIDDINGS, ABORTIONS, CONCEPTIONS, DEATHS, SALES, CULLS, ARRIVALS,
 TRANSFERS_IN, TRANSFERS_OUT) = range(11)
FLOWS = ("births", "stillbirths", "kiddings", "abortions", "conceptions", "deaths", "sales",
         "culls", "arrivals", "transfers_in", "transfers_out")
#: An empty day field for :func:`capra.herd.kernels.on_agenda`: rows on any day.
_ANY_DAY = np.zeros(0, np.int32)

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


class DayRules(NamedTuple):
    """Every parameter the stages read, for one batch: the rules' records of
    :mod:`capra.herd.rule_kernels` and the others (:func:`day_rules`)."""

    n_locations: int
    cull: CullRule
    kidding: KiddingRule
    kid_risk: KidRisk


def day_rules(p) -> DayRules:
    """The record of the stages' parameters for the parameters ``p`` of a batch."""
    return DayRules(p.n_locations, rule_kernels.cull_rule(p), rule_kernels.kidding_rule(p),
                    kid_risk(p))


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
def count(counts, flow, idx, cell):
    """Add the animals of rows ``idx`` to ``flow`` of the day's ``counts`` (variables,
    replicates, locations), at their ``cell``."""
    L = counts.shape[2]
    for i in idx:
        c = cell[i]
        counts[flow, c // L, c % L] += 1


@compiled(**_JIT)
def abort(t, idx, rows, rule, counts):
    """The pregnancies of does ``idx`` (alive, in row order) end today
    (:func:`capra.herd.rule_kernels.end_pregnancies`), counted; returns the does culled
    after it."""
    culled = end_pregnancies(t, idx, rows, rule)
    count(counts, ABORTIONS, idx, rows.cell)
    count(counts, CULLS, culled, rows.cell)
    return culled


@compiled(**_JIT)
def removals(t, agenda_rows, marks, arrived, rows, rules, counts):
    """Deaths on the day drawn when the animal joined the herd; culls (involuntary, by
    age, a kept buck's retirement: :func:`capra.herd.rule_kernels.cull_today`, and by rule
    of the does that arrived open and dry today, ``arrived``); abortions on the day drawn
    at conception (:func:`abort`). Returns the rows that died, were culled (today's,
    the arrivals'), aborted, and were culled after an abortion, for the event log."""
    cell = rows.cell
    dead = on_agenda(agenda_rows, marks, kernels.AGENDA_DEATH, rows.alive, rows.death_day, t)
    for i in dead:
        rows.alive[i] = False
    count(counts, DEATHS, dead, cell)
    due = on_agenda(agenda_rows, marks, kernels.AGENDA_CULL, rows.alive, _ANY_DAY, t)
    culled = cull_today(t, due, rows, rules.cull)
    count(counts, CULLS, culled, cell)
    culled_arrived = rule_culls(t, arrived, rows, rules.cull)
    count(counts, CULLS, culled_arrived, cell)
    aborted = on_agenda(agenda_rows, marks, kernels.AGENDA_ABORTION, rows.alive,
                        rows.abort_day, t)
    culled_aborted = abort(t, aborted, rows, rules.cull, counts)
    return dead, culled, culled_arrived, aborted, culled_aborted


@compiled(**_JIT)
def dams_due(t, agenda_rows, marks, rows):
    """The does that kid today (alive, due today), in row order."""
    return on_agenda(agenda_rows, marks, kernels.AGENDA_KIDDING, rows.alive, rows.due, t)


@compiled(**_JIT)
def births(t, dams, rows, n, rules, keys, counts, next_uid):
    """The does ``dams`` kid (:func:`capra.herd.rule_kernels.kidding`; the herd's buffers
    ``rows`` hold ``n`` rows and room for the largest litter of each), their kiddings,
    stillbirths and live kids counted, and the extra risks of the kids
    (:func:`newborn_risks`). Returns the litters, the dam row of each kid and whether
    it was stillborn, and the number of live kids appended (rows ``n`` on)."""
    litter, kid_dam, still, born = kidding(
        t, dams, rows, n, rules.kidding, rules.n_locations, keys.kidding, keys.culling,
        keys.grouping, keys.lactation, keys.mortality, next_uid)
    count(counts, KIDDINGS, dams, rows.cell)
    count(counts, STILLBIRTHS, kid_dam[still], rows.cell)
    count(counts, BIRTHS, np.arange(n, n + born), rows.cell)
    newborn_risks(t, dams, kid_dam[~still], n, rows, rules.kid_risk, keys.feeding)
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
