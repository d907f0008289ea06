"""The daily processes of the herd model, and the day that runs them.

Each process is ``process(state, t, params, keys, rec)``: it reads and changes the
:class:`~capra.herd.state.HerdState` in place, draws its random numbers from its own named
stream (``keys[name][state.rep]``) and writes the events it causes to the recorder ``rec``.
Most are a compiled stage of :mod:`capra.herd.day` with the event log written here;
the arrivals, the release from quarantine and the moves of the bucks are NumPy
expressions over index arrays with compiled rules. :func:`run_days` runs days: the
compiled stages in compiled calls (:func:`capra.herd.day.run`, many days a call), the
Python ones between them on the days they act (:data:`_PYTHON_STAGES`); with the event
log, every process in turn (:data:`STAGES`). The rules are stated in
``docs/herd-model.md``; those the mean path applies too are taken from
:mod:`capra.herd.rules`, or compiled for one animal in :mod:`capra.herd.rule_kernels` and
checked against them.

Why one module: it holds every process of the day and the recorder they write to, in
the order of ``docs/herd-model.md``, so that the day can be read in one place against
the document; the parts that grew their own concepts live apart (feeding, health,
bucks, uncertainty) and are called from here.
"""

from __future__ import annotations

import numpy as np

from capra.herd import bucks, day, feeding, health, kernels, rng, rule_kernels, rules
from capra.herd.params import FEMALE, MAX_AGE_DAYS, HerdParams
from capra.herd.state import NEVER, HerdState

#: An empty day field for :func:`capra.herd.kernels.on_agenda`: rows on any day.
_ANY_DAY = np.zeros(0, np.int32)
#: Interval between test days in the event log [days] (ICAR method A4: monthly recording).
TEST_DAY_INTERVAL_DAYS = 30


class Recorder:
    """Daily counts per (replicate, location): flows as they happen, stocks at day's end;
    the milk of the day; the health processes' counts (with ``health``) and the
    parents' ages (:data:`capra.herd.bucks.BREEDING_OUTPUTS`)."""

    FLOWS = ("births", "stillbirths", "kiddings", "abortions", "conceptions", "deaths",
             "sales", "culls", "arrivals", "transfers_in", "transfers_out")
    STOCKS = kernels.STOCKS[:-1]      # the census's, without the kids who drink milk
    COUNTS = FLOWS + STOCKS + tuple(health.HEALTH_OUTPUTS)
    MILK = ("milk_gross_kg", "milk_colostrum_kg", "milk_fed_kids_kg", "milk_quarantine_kg",
            "milk_kg")
    FLOATS = MILK + tuple(bucks.BREEDING_OUTPUTS)

    def __init__(self, n_replicates: int, n_days: int, n_locations: int,
                 log_events: bool = False, health: bool = False,
                 blocks: tuple[np.ndarray, np.ndarray] | None = None):
        self.shape = (n_replicates, n_days, n_locations)
        #: per-animal event log (only when asked for: farm records, checks), else None
        self.events: list[dict] | None = [] if log_events else None
        self.nrl = n_replicates * n_locations
        self.n_locations = n_locations
        counts, floats = blocks or self.blocks(n_replicates, n_days, n_locations)
        #: the counts (:attr:`COUNTS`) and the other daily outputs (:attr:`FLOATS`) of
        #: every day, (day, variable, replicate, location): views of ``blocks``
        #: (:meth:`blocks`, or the replicates' part of a larger run's), in which each
        #: output by name is an array (replicate, day, location), as ``data`` holds them
        #: (the health outputs with ``health`` only)
        self.counts = counts.transpose(2, 0, 1, 3)
        self.floats = floats.transpose(2, 0, 1, 3)
        #: the same as the compiled day takes them (:meth:`strided`)
        self.counts_at, self.floats_at = self.strided(self.counts), self.strided(self.floats)
        ints = self.COUNTS if health else self.FLOWS + self.STOCKS
        self.data = {name: counts[i] for i, name in enumerate(ints)}
        self.data.update({name: floats[i] for i, name in enumerate(self.FLOATS)})
        self.t = 0

    @classmethod
    def blocks(cls, n_replicates: int, n_days: int, n_locations: int
               ) -> tuple[np.ndarray, np.ndarray]:
        """Nil counts [head, or events a day] and floats (each in its variable's unit:
        kg of milk a day, days of age) for ``n_replicates``, (variable, replicate, day,
        location): a recorder of some of them writes into its slice of the replicates, and
        each variable is then the run's result as it is, with nothing copied."""
        shape = (n_replicates, n_days, n_locations)
        return (np.zeros((len(cls.COUNTS),) + shape, np.int32),
                np.zeros((len(cls.FLOATS),) + shape, np.float32))

    @staticmethod
    def strided(view: np.ndarray) -> tuple[np.ndarray, tuple, tuple]:
        """``view`` (of :attr:`counts` or :attr:`floats`) as the memory it spans, flat,
        with its shape and strides [bytes], from which compiled code makes it again
        (``as_strided``): a view of a batch's own blocks or of its replicates in a larger
        run's, of any sizes, is then handed over as arguments of the same types (a
        contiguous view is typed apart, and would compile the day again)."""
        root = view
        while root.base is not None:
            root = root.base
        if not root.flags.c_contiguous:
            raise ValueError("a recorder's arrays must be views of C-ordered arrays "
                             "(Recorder.blocks)")
        first = ((view.__array_interface__["data"][0] - root.__array_interface__["data"][0])
                 // view.itemsize)
        size = 1 + sum((n - 1) * step for n, step in zip(view.shape, view.strides)
                       ) // view.itemsize
        return root.reshape(-1)[first:first + size], view.shape, view.strides

    def cell(self, state: HerdState, idx) -> np.ndarray:
        """Replicate-location cell of the given animals."""
        return state.cell[idx]

    def log(self, name: str, state: HerdState, idx, loc=None, **extra) -> None:
        """Append one event per animal ``idx`` to the event log (if logging), at their
        location (or ``loc``, one per animal)."""
        if self.events is None:
            return
        idx = np.flatnonzero(idx) if np.asarray(idx).dtype == bool else np.asarray(idx)
        if idx.size == 0:
            return
        row = {"event": name, "day": self.t, "rep": state.rep[idx].copy(),
               "uid": state.uid[idx].copy(),
               "loc": (state.loc[idx] if loc is None else np.asarray(loc)).copy()}
        row.update({k: np.broadcast_to(np.asarray(v), idx.shape).copy() for k, v in extra.items()})
        self.events.append(row)

    def count(self, name: str, state: HerdState, idx, loc=None, **extra) -> None:
        """Add the animals ``idx`` (index array or mask) to flow ``name`` today, at their
        location (or ``loc``, one per animal: where they were), and log them (with the
        event's ``extra`` fields) when logging."""
        cells = (self.cell(state, idx) if loc is None
                 else state.rep[idx].astype(np.int64) * self.n_locations + loc)
        if cells.size == 0:
            return
        if self.events is not None:
            self.log(name, state, idx, loc, **extra)
        kernels.add_counts(cells, self.counts[self.t, self.COUNTS.index(name)])


def _head_per_cell(state: HerdState, rec: Recorder, mask=None) -> np.ndarray:
    """Alive animals per (replicate, location), optionally restricted by a mask."""
    m = state.alive if mask is None else state.alive & mask
    return np.bincount(rec.cell(state, m), minlength=rec.nrl).reshape(
        state.n_replicates, rec.n_locations)


def _split_by_quota(rep: np.ndarray, u: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Assign animals to columns of ``quota`` (replicates × slots) in random order.

    Animals of replicate ``r``, taken in the order of ``u``, fill slot 0 up to ``quota[r, 0]``,
    then slot 1, ...; returns the slot of each animal, or -1 past the total quota
    (:func:`capra.herd.rule_kernels.split_by_quota`).
    """
    rep = np.asarray(rep, np.int64)
    return rule_kernels.split_by_quota(rep, rule_kernels.random_rank(rep, u),
                                       np.ascontiguousarray(quota, np.float64))


def new_animals(state: HerdState, p: HerdParams, keys: dict, t: int, rep, *, sex, birth, loc,
                parity=0, due=-1, kidded=NEVER, lactating=False, quarantine_end=-1, batch=-1,
                kept=False) -> np.ndarray:
    """Append animals and draw their lifelong random attributes (group, milk effect, death clock)."""
    idx = state.append(rep, sex=sex, birth=birth, loc=loc, parity=parity, due=due,
                       kidded=kidded, lactating=lactating, quarantine_end=quarantine_end,
                       batch=batch, kept=kept)
    if idx.size == 0:
        return idx
    kernels.lifelong_draws(idx, state.rep, state.uid, state.group, state.effect,
                           keys["grouping"], keys["lactation"], np.cumsum(p.group_share),
                           p.effect_sigma)
    _draw_death_day(state, p, keys, idx, t - state.birth[idx])
    return idx


def _draw_death_day(state, p, keys, idx, age_today) -> None:
    """Day of death of animals ``idx``, facing risk from their age today (arrivals) or from
    tomorrow (newborns, age 0).

    The animal dies on the first day its cumulative hazard passes an exponential clock,
    which gives exactly the daily probabilities of the hazard table
    (:func:`capra.herd.kernels.death_days`).
    """
    rows = p.varying.get("cum_death_hazard")        # each replicate's own table, if any
    ages = np.broadcast_to(age_today, idx.shape).astype(np.int64)
    # (a writable array, as the compiled births hand over: the pass compiled once)
    kernels.death_days(idx, ages,
                       state.rep, state.uid, state.sex, state.birth, keys["mortality"],
                       p.cum_death_hazard[None] if rows is None else rows, MAX_AGE_DAYS,
                       state.death_day)


def _schedule_abortion(state, p, keys, t, idx, conception_day):
    """Abortion day of the pregnancies ``idx`` conceived on ``conception_day``, drawn on
    day ``t`` (:func:`capra.herd.rule_kernels.abortion_day_of`)."""
    rule_kernels.schedule_abortions(
        t, idx, np.broadcast_to(np.asarray(conception_day, np.int64), idx.shape), state.rep,
        state.uid, state.due, state.abort_day, keys["gestation"], rule_kernels.pregnancy_rule(p))


def _cull_day_from(state, p, keys, t, idx):
    """Involuntary culling day of does entering the milking herd on day ``t``
    (:func:`capra.herd.rule_kernels.schedule_culls`)."""
    rule_kernels.schedule_culls(t, idx, state.rows(0),
                                rule_kernels.per_replicate(p, "cull_daily_probability"),
                                keys["culling"])


def arrivals(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Batches arriving today join at their arrival place, in quarantine if stated."""
    arrived = []
    for b_index, b in enumerate(p.batches):
        if b.day != t:
            continue
        R = state.n_replicates
        for g_index, g in enumerate(b.groups):
            rep = np.repeat(np.arange(R, dtype=np.int32), g.count)
            qend = t + b.quarantine_days if b.quarantine_days > 0 else -1
            idx = new_animals(state, p, keys, t, rep, sex=g.sex, birth=0, loc=b.location,
                              parity=g.parity, quarantine_end=qend, batch=b_index, kept=True)
            uid, k = state.uid[idx], state.rep[idx]
            u = rng.uniform(keys["arrival"][k], uid, t, slot=0)
            age = g.age_days_min + np.floor(u * (g.age_days_max - g.age_days_min + 1)).astype(np.int64)
            state.birth[idx] = t - age
            _draw_death_day(state, p, keys, idx, age)
            # young stock not yet past its keep-or-sell age goes through that decision
            decision = p.decision_age_days if g.sex == FEMALE else p.male_sale_age_days
            state.kept[idx] = age >= decision
            if g.pregnant:
                u = rng.uniform(keys["arrival"][k], uid, t, slot=1)
                due = g.due_min + np.floor(u * (g.due_max - g.due_min + 1))
                state.due[idx] = due.astype(np.int32)
                _schedule_abortion(state, p, keys, t, idx, state.due[idx] - p.gestation_days)
            if g.lactating:
                state.lactating[idx] = True
                state.kidded[idx] = t - g.days_in_milk
                _set_dry_day(state, p, idx)
            if g.parity > 0:
                _cull_day_from(state, p, keys, t, idx)
            rec.count("arrivals", state, idx, sex=state.sex[idx], birth=state.birth[idx],
                      parity=state.parity[idx], due=state.due[idx], kidded=state.kidded[idx],
                      lactating=state.lactating[idx], batch=b_index)
            arrived.append(idx)
    state.arrived = np.concatenate(arrived) if arrived else np.empty(0, dtype=np.int64)


def day_agenda(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """What may happen to each animal today (:func:`capra.herd.kernels.agenda`), found
    once after the arrivals; the processes of the day take their animals from it."""
    state.agenda = kernels.agenda(
        t, state.next_day, state.alive, state.quarantine_end, state.death_day,
        state.cull_day, state.birth, state.sex, state.kept, state.abort_day, state.due,
        p.max_age_days, p.decision_age_days, p.male_sale_age_days, p.buck_max_age_days)


def _on_agenda(state: HerdState, what: int, day=None, t: int = 0) -> np.ndarray:
    """Rows of the day's agenda marked ``what`` and still alive, and whose field ``day``
    (if given) is still ``t``, in row order."""
    rows, marks = state.agenda
    return kernels.on_agenda(rows, marks, what, state.alive,
                             _ANY_DAY if day is None else day, t)


def quarantine_release(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Animals ending quarantine today move to their batch's destination farms."""
    out = _on_agenda(state, kernels.AGENDA_RELEASE, state.quarantine_end, t)
    if out.size == 0:
        return
    head = _head_per_cell(state, rec)
    for b_index in np.unique(state.batch[out]):
        idx = out[state.batch[out] == b_index]
        dest = p.batches[b_index].destinations
        n = np.bincount(state.rep[idx], minlength=state.n_replicates)
        weights = rules.release_weights(p, dest, head[:, dest])         # (R, D)
        bounds = np.rint(np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
                         * n[:, None]).astype(np.int64)
        quota = np.diff(np.concatenate([np.zeros((bounds.shape[0], 1), np.int64), bounds], axis=1), axis=1)
        u = rng.uniform(keys["transfer"][state.rep[idx]], state.uid[idx], t)
        slot = _split_by_quota(state.rep[idx], u, quota)
        rec.count("transfers_out", state, idx)
        state.move(idx, dest[slot])
        state.quarantine_end[idx] = -1
        rec.count("transfers_in", state, idx)
        head = _head_per_cell(state, rec)


def _day(state: HerdState, p: HerdParams, keys: dict):
    """The batch's parameters and keys as the compiled stages read them
    (:func:`capra.herd.day.day_rules`, :class:`capra.herd.day.Keys`), made once."""
    if getattr(state, "day_rules", None) is None:
        state.day_rules = day.day_rules(p, state.n_replicates)
        state.keys = day.Keys(**{name: keys[name] for name in day.Keys._fields})
        state.hook_days = _hook_days(p)
    return state.day_rules, state.keys


def removals(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Deaths, culls and abortions of the day (:func:`capra.herd.day.removals`)."""
    rules, _ = _day(state, p, keys)
    rows, marks = state.agenda
    dead, culled, culled_arrived, aborted, culled_aborted = day.removals(
        t, rows, marks, state.arrived, state.rows(0), rules.cull, rec.counts[t])
    if rec.events is not None:
        for name, idx in (("deaths", dead), ("culls", culled), ("culls", culled_arrived),
                          ("abortions", aborted), ("culls", culled_aborted)):
            rec.log(name, state, idx)


def kiddings(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Does due today kid (:func:`capra.herd.day.births`)."""
    rules, k = _day(state, p, keys)
    dams = day.dams_due(t, *state.agenda, state.rows(0))
    if dams.size == 0:
        return
    n = len(state)
    litter, kid_dam, still, born_n = day.births(
        t, dams, state.rows(rule_kernels.kid_room(p, dams)), n, rules.kidding,
        rules.kid_risk, rules.n_locations, k, rec.counts[t], state.next_uid)
    idx = state.take(born_n)
    if rec.events is not None:
        rec.log("kiddings", state, dams, litter=litter, parity=state.parity[dams])
        rec.log("stillbirths", state, kid_dam[still])
        rec.log("births", state, idx, sex=state.sex[idx], dam=state.uid[kid_dam[~still]])


def breeding(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Conceptions of eligible does (:func:`capra.herd.day.conception`), and on the last
    day of a window one more failure for those still open
    (:func:`capra.herd.day.failed_windows`)."""
    rules, k = _day(state, p, keys)
    feed = state.feed
    rows = state.rows(0)
    eligible, conceived, by_ai = day.conception(
        t, rows, len(state), rules.breeding, rules.pregnancy, k, rec.counts[t], state.mated,
        feed is not None and feed.intake_set)
    culled = day.failed_windows(t, eligible, rows, rules.breeding.window_last_day,
                                rules.cull, rec.counts[t])
    if rec.events is not None:
        rec.log("conceptions", state, conceived, due=state.due[conceived],
                method=np.where(by_ai, "ai", "service"))
        rec.log("culls", state, culled)


def _set_dry_day(state: HerdState, p: HerdParams, idx: np.ndarray) -> None:
    """The day the lactation of does ``idx`` ends under the dry-off rules, given their
    kidding day and pregnancy (recomputed whenever either changes)."""
    rule_kernels.set_dry_days(idx, state.lactating, state.kidded, state.parity, state.due,
                              state.rep, state.dry_day, rule_kernels.dry_off_rule(p))


def dry_off(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Dry off before kidding, at the end of the (extended) lactation, or on low yield:
    on the day set by :func:`_set_dry_day` (:func:`capra.herd.day.dry_off`)."""
    rules, _ = _day(state, p, keys)
    dried, culled = day.dry_off(t, state.rows(0), len(state), rules.cull, rec.counts[t])
    rec.log("dry_offs", state, dried)
    rec.log("culls", state, culled)


def replacement(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Doelings at the decision age: keep, move or sell; male kids: keep as bucks or sell
    (:func:`capra.herd.day.replacement`)."""
    rules, k = _day(state, p, keys)
    moved, moved_from, sold_f, sold_m = day.replacement(
        t, *state.agenda, state.rows(0), len(state), rules.replacement,
        rules.male_sale_age_days, k, rec.counts[t], state.n_replicates)
    if rec.events is not None:
        rec.log("transfers_out", state, moved, loc=moved_from)
        rec.log("transfers_in", state, moved)
        rec.log("sales", state, sold_f)
        rec.log("sales", state, sold_m)


#: Class of the kids still in their colostrum days (counted as kids; they drink colostrum,
#: not milk for the plant), and of removed animals.
_NEWBORN, _REMOVED = 7, 6


def _class_lut() -> np.ndarray:
    """Count slot (class * 2 + pregnant) from the packed bits of an animal's state.

    Bits: 1 male, 2 parous, 4 lactating, 8 weaned, 16 of buck breeding age, 32 removed,
    64 pregnant, 128 in its colostrum days. Classes: 0 kids, 1 doelings, 2 bucklings,
    3 bucks, 4 does in milk, 5 dry does, 6 removed, 7 kids in their colostrum days.
    """
    key = np.arange(256)
    male, parous, lact = key & 1, key & 2, key & 4
    weaned, buck_age, removed, preg = key & 8, key & 16, key & 32, (key & 64) > 0
    newborn = key & 128
    cls = np.where(male > 0, np.where(buck_age > 0, 3, 2),
                   np.where(parous > 0, np.where(lact > 0, 4, 5), 1))
    cls = np.where(weaned > 0, cls, np.where(newborn > 0, _NEWBORN, 0))
    cls = np.where(removed > 0, _REMOVED, cls)
    return (cls * 2 + preg).astype(np.int64)


_CLASS_LUT = _class_lut()


def census_and_feed(state: HerdState, t: int, p: HerdParams, keys: dict,
                    rec: Recorder) -> None:
    """End-of-day stocks by class, and the feeding of the day with feed on
    (:func:`capra.herd.day.census_and_feed`); what they leave for the next stages is
    kept in ``state.evening``, the day's feed budget in ``state.budget``."""
    rules, _ = _day(state, p, keys)
    today = feeding.day_records(state, p, t, rec)
    state.budget = today[-4]        # the day's budget (then the month's three sums)
    fs = state.feed
    state.evening = day.census_and_feed(t, state.rows(0), len(state), rules.census,
                                        rec.counts[t], health.outbreak_milk(state),
                                        fs is not None and fs.intake_set, *today)


def respond(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """The responses of the animals to a shortage of feed energy, where some group went
    short or animals still respond to an earlier one (:func:`capra.herd.feeding.respond`):
    the milk a shortage withholds, summed again by cell and kind."""
    fs = state.feed
    c16, li, kg, kind, by_kind, drinking, short, share = state.evening
    if fs is None or not (short or fs.active or fs.intake_set):
        return
    kg = feeding.respond(state, t, p, keys, rec, c16, li, kg, share, state.budget)
    rules, _ = _day(state, p, keys)
    c = rules.census
    by_kind, kind = kernels.milk_by_kind(t, li, kg, state.cell, state.kidded, state.loc,
                                         c.colostrum_days, c.quarantine_milk_lost[t],
                                         c.is_farm, rec.nrl)
    state.evening = (c16, li, kg, kind, by_kind, drinking, short, share)


def milk(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """The milk of the day by kind, drunk by the kids and delivered
    (:func:`capra.herd.day.milk`), and the monthly test day of each doe after colostrum
    in the event log."""
    rules, _ = _day(state, p, keys)
    c16, li, kg, kind, by_kind, drinking = state.evening[:6]
    day.milk(by_kind, drinking, rules.census, rec.floats[t])
    if rec.events is not None:
        test = ((state.uid[li] + t) % TEST_DAY_INTERVAL_DAYS == 0) & (kind != 1)
        rec.log("test_days", state, li[test], milk_kg=kg[test],
                dim=t - state.kidded[li[test]])


#: The stages of one day, in order (docs/herd-model.md), each a process of this module
#: or of the health, bucks and feeding modules, most of them a compiled stage of
#: :mod:`capra.herd.day`: the day stage by stage from Python, when its events are logged
#: (:data:`COMPILED_DAYS` False: every day).
STAGES = (arrivals, day_agenda, quarantine_release, removals, kiddings, health.daily,
          bucks.daily, breeding, dry_off, replacement, census_and_feed, respond, milk)
#: Run the compiled stages of a day in compiled calls (:func:`capra.herd.day.run`), the
#: Python ones between them; False: stage by stage from Python (the same numbers; checks
#: patch the stages' functions).
COMPILED_DAYS = True


def run_days(state: HerdState, t: int, t_stop: int, p: HerdParams, keys: dict,
             rec: Recorder) -> None:
    """The processes of days ``t`` to ``t_stop`` (excluded): the compiled stages in
    compiled calls over many days (:func:`capra.herd.day.run`), stopping for the Python
    stages on the days they act (:data:`_PYTHON_STAGES`); with the event log, every
    process of every day in turn (:data:`STAGES`)."""
    rules, k = _day(state, p, keys)
    if not COMPILED_DAYS or rec.events is not None:
        for day_ in range(t, t_stop):
            rec.t = day_
            for stage in STAGES:
                stage(state, day_, p, keys, rec)
        return
    carry = day.fresh_carry()
    first = day.STAGE_ARRIVALS
    ob = health.outbreak_record(p, None if p.health is None else health.state_of(state, p, keys))
    while True:
        fs = state.feed
        n = len(state)
        rec.t = t
        t, stop, n_now, carry, budget = day.run(
            t, t_stop, first, state.hook_days, state.rows(0), n, rules, k, rec.counts_at,
            rec.floats_at, state.next_uid, state.mated, fs is not None and fs.intake_set, ob,
            state.rep_rows, state.grouped, *feeding.span_records(state, p, rec), carry,
            day.STAGE_CYCLES)
        state.take(n_now - n)
        state.agenda = carry[:2]
        if stop == day.END:
            return
        rec.t = t
        state.arrived = carry.arrived
        state.carry = carry
        state.budget = budget
        _PYTHON_STAGES[stop](state, t, p, keys, rec)
        carry = state.carry
        first = stop + 1


def _arrivals(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    arrivals(state, t, p, keys, rec)
    state.carry = state.carry._replace(arrived=state.arrived)


def _room(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    """Room in the herd's buffers for the largest litters of the does due today."""
    state.rows(rule_kernels.kid_room(p, day.dams_due(t, *state.agenda, state.rows(0))))


def _respond(state: HerdState, t: int, p: HerdParams, keys: dict, rec: Recorder) -> None:
    c = state.carry
    state.evening = (c.c16, c.li, c.kg, c.kind, c.by_kind, c.drinking, c.short, c.share)
    respond(state, t, p, keys, rec)
    kg, kind, by_kind = state.evening[2:5]
    state.carry = c._replace(kg=kg, kind=kind, by_kind=by_kind)


#: The Python stages of a day by the stage :func:`capra.herd.day.run` stops at.
_PYTHON_STAGES = {day.STAGE_ARRIVALS: _arrivals, day.STAGE_RELEASE: quarantine_release,
                  day.STAGE_ROOM: _room, day.STAGE_HEALTH: health.hooks,
                  day.STAGE_BUCKS: bucks.hooks, day.STAGE_RESPOND: _respond}
assert set(_PYTHON_STAGES) == set(day.PYTHON_STAGES)


def _hook_days(p: HerdParams) -> np.ndarray:
    """The days on which a Python stage acts whatever the herd, (n_days, 3) bool: a batch
    arrives; the health processes test, carry or introduce animals
    (:func:`capra.herd.health.hook_days`); bucks are rotated or bought
    (:func:`capra.herd.bucks.hook_days`). Columns :data:`capra.herd.day.HOOK_ARRIVALS`,
    ``HOOK_HEALTH`` and ``HOOK_BUCKS``."""
    days = np.zeros((p.n_days, 3), bool)
    for b in p.batches:
        if 0 <= b.day < p.n_days:
            days[b.day, day.HOOK_ARRIVALS] = True
    days[:, day.HOOK_HEALTH] = health.hook_days(p)
    days[:, day.HOOK_BUCKS] = bucks.hook_days(p)
    return days
