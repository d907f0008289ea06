"""Health in the daily herd model: infected animals arriving and the tests of quarantine,
deaths on the journey to the farms, outbreaks and abortion storms, heat stress.

The scenario's ``[health]`` section (:mod:`capra.scenario.health`) is compiled once into
:class:`HealthParams` (and, for heat stress, into the day factors of conception and milk of
:class:`~capra.herd.params.HerdParams`). Each day, after the kiddings and before the bucks
and conception (:data:`capra.herd.processes.STAGES`), :func:`daily` (the first four in
:func:`hooks`, on the days of :func:`hook_days`; the outbreaks a compiled stage of the
day, :func:`capra.herd.day.outbreaks`):

1. draws the infections of the animals that arrived today (each tested disease with its
   prevalence; an infected doe gives ``1 - milk_loss`` of her milk for life);
2. tests the animals in quarantine on the test days of their batch: an infected animal is
   found with the test's sensitivity, a healthy one wrongly with ``1 - specificity``;
   reactors are culled (unless ``cull_reactors`` is false);
3. on the day a batch reaches the farms after ``transit_days`` on the road, kills each of
   its animals with the risk of the journey, and lets each infected animal that reaches a
   farm start the outbreak linked to its disease there (``introduction_risk``), on the
   first day the outbreak can start;
4. applies the outbreaks under way on each farm: deaths, abortions and milk lost. Outbreaks
   start at random, on each farm and in each year of the horizon with their probability,
   on a day drawn uniformly among the days of their months; they last ``duration_days``.

Random numbers come from the named streams ``"health"`` (per animal) and ``"outbreaks"``
(per farm), so the other processes draw the same numbers with or without ``[health]``.
The rules are stated in ``docs/herd-model.md``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, fields

import numpy as np

from capra import libm
from capra.herd import rng
from capra.herd.params import FEMALE, calendar_fields
from capra.rates import risk_to_step_probability

__all__ = ["HEALTH_OUTPUTS", "HealthParams", "compile_health", "daily", "health_dict",
           "health_summary", "outbreak_milk", "stack_health"]

#: Daily counts the health processes add to the results: name -> (units, description).
HEALTH_OUTPUTS = {
    "reactors": ("head/day", "animals that tested positive in quarantine (culled unless "
                             "the test keeps them)"),
    "infected_released": ("head/day", "infected animals that reached a farm undetected"),
    "transport_deaths": ("head/day", "deaths on the journey to the farms (among deaths)"),
    "outbreak_starts": ("1/day", "outbreaks and abortion storms starting on the farm"),
    "outbreak_deaths": ("head/day", "deaths from outbreaks (among deaths)"),
    "outbreak_abortions": ("1/day", "abortions in outbreaks (among abortions)"),
}

#: Slots of the per-animal draws of the ``"health"`` stream (disease index added).
_SLOT_INFECTION, _SLOT_TEST, _SLOT_TRANSPORT, _SLOT_DEATH, _SLOT_ABORT = 0, 16, 32, 33, 34
#: Slots of the per-farm draws of the ``"outbreaks"`` stream (kind or disease index added).
_SLOT_OCCURS, _SLOT_START, _SLOT_INTRODUCED = 0, 100, 200
#: First day of gestation on which an outbreak can end a pregnancy (as the abortion rule
#: of docs/herd-model.md).
_ABORTION_FROM_GESTATION_DAY = 30


@dataclass(frozen=True)
class HealthParams:
    """The compiled ``[health]`` section. Arrays are per tested disease ``(T,)`` or per
    kind of outbreak ``(K,)``; probabilities are daily where the name says so."""

    diseases: tuple[str, ...]
    prevalence: np.ndarray            # (T,) infected fraction of arriving animals
    sensitivity: np.ndarray           # (T,)
    specificity: np.ndarray           # (T,)
    test_days: np.ndarray             # (T, D) days after arrival, -1 padding
    cull_reactors: np.ndarray         # (T,) bool
    infected_milk_factor: np.ndarray  # (T,) 1 - milk_loss
    linked_outbreak: np.ndarray       # (T,) outbreak index, -1 none
    introduction_risk: np.ndarray     # (T,) per infected animal reaching a farm
    outbreaks: tuple[str, ...]
    outbreak_probability: np.ndarray  # (K,) per farm and year
    outbreak_days: np.ndarray         # (K,) duration [days]
    outbreak_months: np.ndarray       # (K, 12) bool: months in which it can start
    outbreak_abortion_daily: np.ndarray  # (K,) daily probability for a pregnancy
    outbreak_death_daily: np.ndarray     # (K,) daily probability for an animal
    outbreak_milk_factor: np.ndarray     # (K,) 1 - milk_loss
    transport_death_daily: float      # per day of transit


def compile_health(scenario, dates) -> tuple[HealthParams | None, np.ndarray, np.ndarray]:
    """``(health, conception_factor_by_day, milk_factor_by_day)`` of a scenario.

    ``health`` is None when the scenario tests nothing, has no outbreaks and no batch in
    transit: the daily health process then does nothing and adds no results.
    """
    h = scenario.health
    month = calendar_fields(dates)[1]
    hot = np.isin(month, h.heat_stress.months)
    conception = np.where(hot, float(h.heat_stress.conception_factor), 1.0)
    milk = np.where(hot, float(h.heat_stress.milk_factor), 1.0)
    transit = any(b.transit_days > 0 for b in scenario.batches)
    if not (h.tests or h.outbreaks or transit):
        return None, conception, milk
    names = tuple(o.name for o in h.outbreaks)
    width = max((len(t.test_days) for t in h.tests), default=1)
    test_days = np.full((len(h.tests), width), -1, np.int64)
    for i, t in enumerate(h.tests):
        test_days[i, :len(t.test_days)] = sorted(t.test_days)
    months = np.zeros((len(h.outbreaks), 12), bool)
    for k, o in enumerate(h.outbreaks):
        months[k, np.asarray(o.months) - 1] = True
    days = np.array([o.duration_days for o in h.outbreaks], np.int64)

    def daily_risk(values, duration):
        return np.array([risk_to_step_probability(float(v), int(d), 1.0)
                         for v, d in zip(values, duration, strict=True)], float)

    params = HealthParams(
        diseases=tuple(t.disease for t in h.tests),
        prevalence=np.array([float(t.prevalence) for t in h.tests]),
        sensitivity=np.array([float(t.sensitivity) for t in h.tests]),
        specificity=np.array([float(t.specificity) for t in h.tests]),
        test_days=test_days,
        cull_reactors=np.array([t.cull_reactors for t in h.tests], bool),
        infected_milk_factor=np.array([1.0 - float(t.milk_loss) for t in h.tests]),
        linked_outbreak=np.array([names.index(t.outbreak) if t.outbreak else -1
                                  for t in h.tests], np.int64),
        introduction_risk=np.array([float(t.introduction_risk) for t in h.tests]),
        outbreaks=names,
        outbreak_probability=np.array([float(o.probability_per_farm_year)
                                       for o in h.outbreaks]),
        outbreak_days=days, outbreak_months=months,
        outbreak_abortion_daily=daily_risk([o.abortion_risk for o in h.outbreaks], days),
        outbreak_death_daily=daily_risk([o.mortality for o in h.outbreaks], days),
        outbreak_milk_factor=np.array([1.0 - float(o.milk_loss) for o in h.outbreaks]),
        transport_death_daily=float(h.transport_death_risk_per_day),
    )
    return params, conception, milk


#: Fields of :class:`HealthParams` that may differ between replicates (uncertain values).
_PER_REPLICATE = ("prevalence", "sensitivity", "specificity", "infected_milk_factor",
                  "introduction_risk", "outbreak_probability", "outbreak_abortion_daily",
                  "outbreak_death_daily", "outbreak_milk_factor", "transport_death_daily")


def stack_health(base: HealthParams, values: list[HealthParams]) -> dict[str, np.ndarray]:
    """The health fields of the replicates that differ from ``base`` (the point values),
    one row per replicate, keyed ``"health.<field>"`` for :attr:`HerdParams.varying
    <capra.herd.params.HerdParams>`."""
    out = {}
    for f in fields(HealthParams):
        point = np.asarray(getattr(base, f.name))
        rows = [np.asarray(getattr(v, f.name)) for v in values]
        if all(np.array_equal(point, r) for r in rows):
            continue
        if f.name not in _PER_REPLICATE:
            raise RuntimeError(f"the health field {f.name!r} differs between replicates")
        out["health." + f.name] = np.stack(rows)
    return out


def _value(p, name: str, rep):
    """A health field for the batch replicates ``rep`` (its row if it differs between
    replicates)."""
    rows = p.varying.get("health." + name)
    value = getattr(p.health, name)
    if rows is None:
        return value if np.ndim(value) == 0 else np.broadcast_to(value, (np.size(rep),)
                                                                   + np.shape(value))
    return rows[rep]


def _table(p, name: str) -> np.ndarray:
    """A health field given per kind of outbreak, as a table (replicates or 1, kinds):
    each replicate's own row when it has one."""
    rows = p.varying.get("health." + name)
    return np.atleast_2d(np.asarray(getattr(p.health, name), float) if rows is None
                         else rows)


# --------------------------------------------------------------------------------------
# Per-batch state: the outbreaks and today's milk factor of each farm
# --------------------------------------------------------------------------------------

class _Outbreaks:
    """Outbreaks of a batch of replicates: start and end day, replicate, location, kind."""

    def __init__(self):
        self.rep = np.empty(0, np.int64)
        self.loc = np.empty(0, np.int64)
        self.kind = np.empty(0, np.int64)
        self.start = np.empty(0, np.int64)
        self.end = np.empty(0, np.int64)       # first day after the outbreak

    def add(self, rep, loc, kind, start, end) -> None:
        for name, v in (("rep", rep), ("loc", loc), ("kind", kind), ("start", start),
                        ("end", end)):
            setattr(self, name, np.concatenate([getattr(self, name),
                                                np.asarray(v, np.int64).ravel()]))


def _allowed_days(p) -> np.ndarray:
    """(K, n_days) bool: the days on which each kind of outbreak can start."""
    month = p.dates.month.to_numpy() - 1
    return p.health.outbreak_months[:, month]


def _days_of_months(months: np.ndarray) -> int:
    """Days of the given months (bool, 12) in a common year. [days]"""
    return sum(calendar.monthrange(2001, m + 1)[1] for m in np.flatnonzero(months))


def _schedule(p, keys, n_rep: int) -> _Outbreaks:
    """The outbreaks that start at random: each kind, farm and year of the horizon (blocks
    of 365 days from the first day) with its probability, spread over the block's allowed
    days (a shorter last block in proportion to its allowed days)."""
    hp = p.health
    out = _Outbreaks()
    farms = np.flatnonzero(p.is_farm)
    if not hp.outbreaks or farms.size == 0:
        return out
    allowed = _allowed_days(p)
    prob = _value(p, "outbreak_probability", np.arange(n_rep))          # (R, K)
    key = keys["outbreaks"]
    R, F = n_rep, farms.size
    rep = np.repeat(np.arange(R), F)
    loc = np.tile(farms, R)
    for y, first in enumerate(range(0, p.n_days, 365)):
        last = min(first + 365, p.n_days)
        for k in range(len(hp.outbreaks)):
            days = first + np.flatnonzero(allowed[k, first:last])
            full = _days_of_months(hp.outbreak_months[k])
            if days.size == 0 or full == 0:
                continue
            share = min(days.size / full, 1.0)
            pk = 1.0 - libm.power(1.0 - prob[rep, k], share)
            u = rng.uniform(key[rep], loc, y, _SLOT_OCCURS + k)
            hit = u < pk
            if not hit.any():
                continue
            v = rng.uniform(key[rep[hit]], loc[hit], y, _SLOT_START + k)
            start = days[np.minimum((v * days.size).astype(np.int64), days.size - 1)]
            out.add(rep[hit], loc[hit], np.full(start.size, k), start,
                    start + hp.outbreak_days[k])
    return out


class _HealthState:
    """What the health processes keep between days of one batch."""

    def __init__(self, p, keys, n_rep: int):
        self.outbreaks = _schedule(p, keys, n_rep)
        self.allowed = _allowed_days(p) if p.health.outbreaks else None
        self.milk = None     # (R, L) today's milk factor of outbreaks, None: all 1


def _record(rec, name: str, state, idx) -> None:
    if np.size(idx):
        rec.count(name, state, idx)


# --------------------------------------------------------------------------------------
# The daily process
# --------------------------------------------------------------------------------------

def daily(state, t: int, p, keys, rec) -> None:
    """The health processes of day ``t`` (see the module docstring); nothing without
    :attr:`HerdParams.health <capra.herd.params.HerdParams>`."""
    if p.health is None:
        return
    hooks(state, t, p, keys, rec)
    _outbreaks_today(state, t, p, keys, rec, state.health)


def hooks(state, t: int, p, keys, rec) -> None:
    """The health processes of day ``t`` other than the outbreaks: infected arrivals,
    tests in quarantine, the journey to the farms and the infected animals introduced
    there (on the days of :func:`hook_days`)."""
    if p.health is None:
        return
    hs = state_of(state, p, keys)
    _infect_arrivals(state, t, p, keys)
    _tests(state, t, p, keys, rec)
    _reach_farms(state, t, p, keys, rec, hs)


def state_of(state, p, keys):
    """The health processes' state of the batch (its outbreaks drawn), made once."""
    hs = getattr(state, "health", None)
    if hs is None:
        hs = state.health = _HealthState(p, keys, state.n_replicates)
    return hs


def _infect_arrivals(state, t, p, keys) -> None:
    idx = state.arrived
    hp = p.health
    if idx.size == 0 or not hp.diseases:
        return
    k, uid = state.rep[idx], state.uid[idx]
    prevalence = _value(p, "prevalence", k)                           # (n, T)
    factor = _value(p, "infected_milk_factor", k)
    milk = np.ones(idx.size)
    for d in range(len(hp.diseases)):
        infected = rng.uniform(keys["health"][k], uid, t, _SLOT_INFECTION + d) < prevalence[:, d]
        state.infection[idx[infected]] |= np.uint8(1 << d)
        milk = np.where(infected, milk * factor[:, d], milk)
    female = state.sex[idx] == FEMALE
    state.effect[idx[female]] *= milk[female].astype(np.float32)


def _tests(state, t, p, keys, rec) -> None:
    hp = p.health
    if not hp.diseases:
        return
    for b_index, b in enumerate(p.batches):
        quarantine = b.quarantine_days - b.transit_days     # the days before the journey
        if not b.day <= t < b.day + quarantine:
            continue
        testing = np.flatnonzero((hp.test_days == t - b.day).any(axis=1))
        if testing.size == 0:
            continue
        idx = np.flatnonzero((state.batch == b_index) & state.alive)
        idx = idx[(state.quarantine_end[idx] > t) & (state.birth[idx] < b.day)]
        if idx.size == 0:
            continue
        k, uid = state.rep[idx], state.uid[idx]
        se, sp = _value(p, "sensitivity", k), _value(p, "specificity", k)
        positive = np.zeros(idx.size, bool)
        cull = np.zeros(idx.size, bool)
        for d in testing:
            u = rng.uniform(keys["health"][k], uid, t, _SLOT_TEST + d)
            infected = (state.infection[idx] >> d) & 1 == 1
            pos = np.where(infected, u < se[:, d], u < 1.0 - sp[:, d])
            positive |= pos
            cull |= pos & hp.cull_reactors[d]
        _record(rec, "reactors", state, idx[positive])
        gone = idx[cull]
        if gone.size:
            state.alive[gone] = False
            rec.count("culls", state, gone)


def _reach_farms(state, t, p, keys, rec, hs) -> None:
    """Batches whose animals reached the farms today (released by
    :func:`capra.herd.processes.quarantine_release`, or arrived on a farm without
    quarantine): deaths of the journey, infected animals introduced."""
    hp = p.health
    for b_index, b in enumerate(p.batches):
        released = b.quarantine_days > 0 and t == b.day + b.quarantine_days
        direct = b.quarantine_days == 0 and t == b.day and p.is_farm[b.location]
        if not (released or direct):
            continue
        idx = np.flatnonzero((state.batch == b_index) & state.alive)
        idx = idx[p.is_farm[state.loc[idx]]]
        if idx.size == 0:
            continue
        if released and b.transit_days > 0:
            daily_risk = _value(p, "transport_death_daily", state.rep[idx])
            risk = 1.0 - libm.power(1.0 - daily_risk, b.transit_days)
            u = rng.uniform(keys["health"][state.rep[idx]], state.uid[idx], t, _SLOT_TRANSPORT)
            dead = idx[u < risk]
            if dead.size:
                state.alive[dead] = False
                rec.count("deaths", state, dead)
                rec.count("transport_deaths", state, dead)
                idx = idx[state.alive[idx]]
        if hp.diseases:
            _introduce(state, t, p, keys, rec, hs, idx)


def _introduce(state, t, p, keys, rec, hs, idx) -> None:
    hp = p.health
    infected = idx[state.infection[idx] > 0]
    _record(rec, "infected_released", state, infected)
    if infected.size == 0:
        return
    R, L = state.n_replicates, p.n_locations
    for d in range(len(hp.diseases)):
        k = hp.linked_outbreak[d]
        if k < 0:
            continue
        carriers = infected[(state.infection[infected] >> d) & 1 == 1]
        if carriers.size == 0:
            continue
        n = np.bincount(state.cell[carriers], minlength=R * L)
        cells = np.flatnonzero(n)
        rep, loc = cells // L, cells % L
        risk = 1.0 - libm.power(1.0 - _value(p, "introduction_risk", rep)[:, d], n[cells])
        u = rng.uniform(keys["outbreaks"][rep], loc, t, _SLOT_INTRODUCED + d)
        hit = u < risk
        later = np.flatnonzero(hs.allowed[k, t + 1:])
        if not hit.any() or later.size == 0:
            continue
        start = t + 1 + later[0]
        hs.outbreaks.add(rep[hit], loc[hit], np.full(hit.sum(), k),
                         np.full(hit.sum(), start), np.full(hit.sum(), start
                                                             + hp.outbreak_days[k]))


def _outbreaks_today(state, t, p, keys, rec, hs) -> None:
    from capra.herd import day
    from capra.herd.processes import _day

    rules, k = _day(state, p, keys)
    milk, dead, hit, culled = day.outbreaks(
        t, outbreak_record(p, hs), state.rows(0), len(state), state.rep_rows, state.grouped,
        k.health, rules.pregnancy.gestation_days, rules.cull, rec.counts[t])
    hs.milk = milk.reshape(state.n_replicates, p.n_locations) if milk.size else None
    if rec.events is not None:
        rec.log("deaths", state, dead)
        rec.log("abortions", state, hit)
        rec.log("culls", state, culled)


def outbreak_record(p, hs):
    """The batch's outbreaks with the tables of their kinds, as
    :func:`capra.herd.day.outbreaks` reads them; none, without the health processes
    (``hs`` None: a record of the same types, so that the day is compiled once)."""
    from capra.herd.day import Outbreaks

    if hs is None:
        none, table = np.zeros(0, np.int64), np.zeros((1, 0))
        return Outbreaks(none, none, none, none, none, table, table, table)
    ob = hs.outbreaks
    return Outbreaks(ob.rep, ob.loc, ob.kind, ob.start, ob.end,
                     _table(p, "outbreak_death_daily"), _table(p, "outbreak_abortion_daily"),
                     _table(p, "outbreak_milk_factor"))


def hook_days(p) -> np.ndarray:
    """The days on which the health processes other than the outbreaks may act, (n_days,)
    bool: with diseases, the days of a batch's arrival (infected animals), its tests in
    quarantine and its reaching the farms (infected animals introduced); with a risk of
    death on the journey, the day a batch that travels reaches them."""
    days = np.zeros(p.n_days, bool)
    hp = p.health
    if hp is None:
        return days
    diseases = bool(hp.diseases)
    journey = np.any(_value(p, "transport_death_daily", np.arange(1)) > 0) or (
        "health.transport_death_daily" in p.varying)
    offsets = np.unique(hp.test_days[hp.test_days >= 0]) if diseases else []
    for b in p.batches:
        marks = [b.day + o for o in offsets]
        if diseases or (journey and b.transit_days > 0):
            marks += [b.day, b.day + b.quarantine_days]
        for d in marks:
            if 0 <= d < p.n_days:
                days[d] = True
    return days


def outbreak_milk(state) -> np.ndarray:
    """Today's milk factor of the outbreaks in each (replicate, location) cell, (R * L,)
    [-]; empty when no outbreak goes on (a factor of 1 everywhere)."""
    hs = getattr(state, "health", None)
    return _NO_FACTOR if hs is None or hs.milk is None else hs.milk.ravel()


#: No outbreak's milk factor today (:func:`outbreak_milk`).
_NO_FACTOR = np.zeros(0)


# --------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------

#: Figures of :func:`health_summary`: output variable -> (label, units).
_SUMMARY = {
    "reactors": ("reactors in quarantine tests", "head"),
    "infected_released": ("infected animals reaching the farms undetected", "head"),
    "transport_deaths": ("deaths on the journey to the farms", "head"),
    "outbreak_starts": ("outbreaks and abortion storms started", "outbreaks"),
    "outbreak_deaths": ("deaths in outbreaks", "head"),
    "outbreak_abortions": ("abortions in outbreaks", "abortions"),
}


def health_summary(result):
    """What testing, transport and outbreaks did over the horizon, P10/P50/P90 across
    replicates: one row per figure (label with its units), columns ``p10``, ``p50``,
    ``p90``; plus the share of replicates with at least one outbreak. None if the result
    has no health outputs (a scenario without ``[health]`` tests, outbreaks or transit).
    """
    import pandas as pd

    ds = result.data
    if "reactors" not in ds:
        return None
    rows = {}
    for name, (label, units) in _SUMMARY.items():
        total = ds[name].sum(("date", "farm")).values.astype(float)
        rows[f"{label} [{units}]"] = np.quantile(total, (0.1, 0.5, 0.9))
    table = pd.DataFrame(rows, index=["p10", "p50", "p90"]).T
    table.index.name = "figure"
    starts = ds["outbreak_starts"].sum(("date", "farm")).values
    table.attrs["share_with_outbreak"] = float(np.mean(starts > 0))
    return table


def health_dict(result) -> dict | None:
    """:func:`health_summary` as plain data (the ``health`` key of ``capra run --json``),
    or None without health outputs."""
    table = health_summary(result)
    if table is None:
        return None
    ds = result.data
    out = {"period": "whole horizon"}
    for name in _SUMMARY:
        total = ds[name].sum(("date", "farm")).values.astype(float)
        q = np.quantile(total, (0.1, 0.5, 0.9))
        out[name] = {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}
    out["share_of_replicates_with_an_outbreak"] = table.attrs["share_with_outbreak"]
    return out
