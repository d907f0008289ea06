"""Daily parameters of the herd model, compiled once from a :class:`~capra.scenario.Scenario`.

The scenario states rates as the literature gives them (annual risks, risks over a period,
rates per oestrous cycle, calendar windows). The simulator and the cohort model both read
the same compiled daily probabilities from here, so the two methods cannot drift apart in
how they turn a rate into a daily chance.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra import libm
from capra.herd import feeding
from capra.lactation import LactationCurves
from capra.rates import DAYS_PER_MONTH, annual_risk_to_daily, risk_to_step_probability

if TYPE_CHECKING:  # pragma: no cover
    from capra.herd.bucks import BuckParams
    from capra.herd.health import HealthParams

#: Oldest age covered by the age-indexed tables [days] (40 years; no goat lives that long).
MAX_AGE_DAYS = 40 * 365

#: Codes of the breeding methods.
NATURAL, INDUCED, AI = 0, 1, 2
METHODS = {"natural": NATURAL, "induced": INDUCED, "ai": AI}

#: Sex codes.
FEMALE, MALE = 0, 1

#: Days in milk from which a doe is dried off when her expected yield falls below the
#: minimum (docs/herd-model.md, dry-off rule (d)). [days]
MIN_YIELD_RULE_FROM_DIM = 60


@dataclass(frozen=True)
class AnimalGroupSpec:
    """Animals of one kind in a batch, in simulator units."""

    count: int
    sex: int                 # FEMALE or MALE
    age_days_min: int        # age on arrival [days]
    age_days_max: int
    parity: int
    pregnant: bool
    due_min: int             # expected kidding, simulation day (pregnant animals)
    due_max: int
    lactating: bool
    days_in_milk: int        # on arrival [days]


@dataclass(frozen=True)
class BatchSpec:
    """A delivery of animals, in simulator units."""

    name: str
    day: int                         # arrival, simulation day
    location: int                    # index into HerdParams.locations
    quarantine_days: int             # days off the farms: quarantine, then the journey
    destinations: np.ndarray         # location indices (farms)
    groups: tuple[AnimalGroupSpec, ...]
    transit_days: int = 0            # of which on the journey to the farms

    @property
    def size(self) -> int:
        return sum(g.count for g in self.groups)


@dataclass(frozen=True)
class HerdParams:
    """Everything the daily herd processes need, as arrays indexed by day, age or parity.

    Attributes are in simulator units: days, daily probabilities, kg/day.
    """

    start_date: dt.date
    n_days: int
    dates: pd.DatetimeIndex
    locations: tuple[str, ...]
    is_farm: np.ndarray              # bool per location
    capacity_head: np.ndarray        # per location (quarantine stations: no limit)
    # mortality: daily hazard and its cumulative sum by sex and age [1/day]
    death_hazard: np.ndarray         # (2, MAX_AGE_DAYS + 1)
    cum_death_hazard: np.ndarray     # (2, MAX_AGE_DAYS + 1), cum[a] = sum_{x<=a} hazard[x]
    # reproduction
    gestation_days: int
    gestation_sd_days: float
    oestrous_cycle_days: int
    min_breeding_age_days: int
    postpartum_interval_days: int
    abortion_risk: float
    stillbirth_risk: float
    female_fraction: float
    litter_probabilities: np.ndarray  # (2, K): row 0 first kidding, row 1 later kiddings
    does_per_buck: float
    buck_min_breeding_age_days: int
    group_names: tuple[str, ...]
    group_share: np.ndarray          # (G,)
    group_method: np.ndarray         # (G,) codes NATURAL/INDUCED/AI
    in_window: np.ndarray            # (G, n_days) bool
    window_first_day: np.ndarray     # (G, n_days) bool: first day of a window
    window_last_day: np.ndarray      # (G, n_days) bool: last day of a window
    service_probability: np.ndarray  # (G, n_days): daily conception probability with a buck
    ai_probability: np.ndarray       # (G,): conception probability of the AI on day one
    # culling and replacement
    cull_daily_probability: float    # involuntary culling of parous does
    max_parity: int
    max_age_days: int
    max_failed_windows: int
    buck_max_age_days: int
    target_fill: float
    weaning_age_days: int
    decision_age_days: int
    male_sale_age_days: int
    # lactation
    curves: LactationCurves
    extended_lactation: bool
    extended_max_days: int
    standard_length_days: int
    dry_period_days: int
    min_yield_kg_per_day: float
    colostrum_days: int
    kid_milk_kg_per_day: float
    quarantine_milk_used: bool
    effect_sigma: float              # sd of log animal effect (lognormal, mean 1)
    milk_table: np.ndarray           # (3, max dim + 1) yield by parity class and day in milk,
                                     # the last column repeated past the table [kg/day]
    low_yield_dim_days: np.ndarray   # (3,) first day in milk >= 60 with the expected yield of
                                     # the parity class below min_yield (dry-off rule d)
    quarantine_on_day: np.ndarray = field(default=None)  # (n_days,) some batch in quarantine
    batches: tuple[BatchSpec, ...] = field(default=())
    # factors of the day on conception and milk (heat stress, capra.herd.health), (n_days,)
    conception_factor_by_day: np.ndarray = field(default=None)
    milk_factor_by_day: np.ndarray = field(default=None)
    # testing, transport, outbreaks (capra.herd.health); None: nothing to do
    health: HealthParams | None = None
    # bucks bought in or rotated (capra.herd.bucks)
    bucks: BuckParams | None = None
    # kid rearing per location, and the feeding (capra.herd.feeding); None: feed off
    rearing: feeding.RearingParams | None = None
    feeding: feeding.FeedingParams | None = None
    #: the fields that differ between the replicates of a batch (parameter uncertainty,
    #: capra.herd.uncertainty): field name -> array with one row per replicate of the batch
    varying: dict = field(default_factory=dict)

    @property
    def n_locations(self) -> int:
        return len(self.locations)

    def per_replicate(self, name: str, rep):
        """Value of the field ``name`` for the batch replicates ``rep`` (an index array):
        its row for each when it differs between replicates, else the field itself."""
        rows = self.varying.get(name)
        return getattr(self, name) if rows is None else rows[rep]

    @property
    def n_groups(self) -> int:
        return len(self.group_names)


@lru_cache(maxsize=16)
def _calendar(start: dt.date, n_days: int) -> tuple[pd.DatetimeIndex, np.ndarray]:
    days = pd.date_range(pd.Timestamp(start), periods=n_days, freq="D")
    fields = np.stack([days.year.to_numpy(), days.month.to_numpy(), days.day.to_numpy()])
    fields.setflags(write=False)
    return days, fields


def calendar(start: dt.date, n_days: int) -> pd.DatetimeIndex:
    """The simulated days from ``start``: made once per calendar (the parameters of every
    replicate of a batch are compiled from the same scenario dates)."""
    return _calendar(start, n_days)[0]


def calendar_fields(dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month (1-12) and day of the month of each of ``dates`` (days in a row, as
    :func:`calendar` makes them), read-only: pandas' own fields cost about 0.1 ms each
    time (measured)."""
    days, fields = _calendar(dates[0].date(), len(dates))
    if not days.equals(dates):        # the same object, as a rule: no comparison then
        raise ValueError("calendar_fields: expected consecutive days")
    year, month, day = fields
    return year, month, day


def _mortality_tables(mortality, weaning_age_days: int) -> tuple[np.ndarray, np.ndarray]:
    """Daily death hazard by sex and age.

    Age 0 (the day of birth) has no risk; ages 1..weaning carry the kid risk to weaning,
    spread evenly; then the young annual risk until ``adult_age_days``; then the adult annual
    risk of each sex.
    """
    ages = np.arange(MAX_AGE_DAYS + 1)
    p = np.array([risk_to_step_probability(mortality.kid_risk_to_weaning, weaning_age_days,
                                           1.0),
                  annual_risk_to_daily(mortality.young_risk_per_year),
                  annual_risk_to_daily(mortality.adult_female_risk_per_year),
                  annual_risk_to_daily(mortality.adult_male_risk_per_year), 0.0])
    with np.errstate(divide="ignore"):
        h = -libm.log1p(-p)          # the hazard of each of the few daily probabilities
    kid, young, adult, nil = h[0], h[1], (h[2], h[3]), h[4]
    hazard = np.zeros((2, ages.size))
    for sex in (FEMALE, MALE):
        hazard[sex] = np.where(ages <= weaning_age_days, kid,
                               np.where(ages < mortality.adult_age_days, young, adult[sex]))
        hazard[sex, 0] = nil
    return hazard, np.cumsum(hazard, axis=1)


def _windows(groups, dates: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calendar windows of the breeding groups as boolean (group, day) arrays."""
    n = len(dates)
    in_window = np.zeros((len(groups), n), bool)
    first = np.zeros_like(in_window)
    last = np.zeros_like(in_window)
    day0 = dates[0]
    for g, grp in enumerate(groups):
        for year in range(dates[0].year - 1, dates[-1].year + 1):
            # the scenario's own rule ("02-29" opens on 28 February in common years)
            start = pd.Timestamp(grp.window_start_date(year))
            s = (start - day0).days
            e = s + int(grp.window_days)          # first day after the window
            lo, hi = max(s, 0), min(e, n)
            if lo >= hi:
                continue
            in_window[g, lo:hi] = True
            if s >= 0:
                first[g, s] = True
            if e - 1 < n:
                last[g, e - 1] = True
    return in_window, first, last


def compile_params(scenario, *, with_feeding: bool = True) -> HerdParams:
    """Compile a scenario into daily parameters of the herd model (with its kid rearing and
    feeding, :mod:`capra.herd.feeding`; ``with_feeding=False``: without them, for the
    parameters of one replicate, which never differ in those)."""
    from capra.herd.bucks import compile_bucks
    from capra.herd.health import compile_health

    breed = feeding.managed_breed(scenario)
    rep, mort, lac = breed.reproduction, breed.mortality, breed.lactation
    pol = scenario.policy
    dates = calendar(scenario.start_date, scenario.horizon_days)
    n_days = len(dates)
    locations = tuple(scenario.locations)
    farm_names = {f.name for f in scenario.farms}
    is_farm = np.array([loc in farm_names for loc in locations])
    capacity = np.full(len(locations), np.iinfo(np.int32).max, dtype=np.int64)
    for f in scenario.farms:
        capacity[locations.index(f.name)] = f.capacity_head

    weaning = int(pol.lactation.weaning_age_days)
    hazard, cum = _mortality_tables(mort, weaning)

    groups = pol.breeding_groups
    in_window, first, last = _windows(groups, dates)
    activity = np.asarray(rep.seasonal_activity, float)[calendar_fields(dates)[1] - 1]
    cycle = int(rep.oestrous_cycle_days)
    service = np.zeros((len(groups), n_days))
    ai = np.zeros(len(groups))
    method = np.zeros(len(groups), np.int8)
    for g, grp in enumerate(groups):
        method[g] = METHODS[grp.method]
        rate = grp.conception_rate_per_cycle
        natural = activity * risk_to_step_probability(rep.conception_rate_per_cycle, cycle)
        if method[g] == INDUCED:
            service[g] = risk_to_step_probability(rate, cycle)
        else:       # natural service; for AI the return service after the insemination day
            service[g] = natural
        if method[g] == AI:
            ai[g] = rate
        service[g] *= in_window[g]

    litter = np.zeros((2, max(len(rep.litter_size_probabilities_parity1),
                              len(rep.litter_size_probabilities_parity2plus))))
    litter[0, :len(rep.litter_size_probabilities_parity1)] = rep.litter_size_probabilities_parity1
    litter[1, :len(rep.litter_size_probabilities_parity2plus)] = (
        rep.litter_size_probabilities_parity2plus)

    cv = float(lac.animal_effect_cv)
    # long enough for the longest lactation the dry-off rules allow
    longest = max(int(pol.lactation.extended_max_days), int(lac.standard_length_days)) + 1
    curves = LactationCurves.from_breed(lac, max_dim_days=max(1500, longest))
    table = curves.table(extended=bool(pol.lactation.extended))
    below = table < float(lac.min_yield_kg_per_day)
    below[:, :MIN_YIELD_RULE_FROM_DIM] = False
    low_yield_dim = np.where(below.any(axis=1), below.argmax(axis=1),
                             np.iinfo(np.int32).max).astype(np.int64)
    batches = []
    for b in scenario.batches:
        day = (pd.Timestamp(b.arrival_date) - dates[0]).days
        specs = []
        for a in b.animals:
            due = ((pd.Timestamp(a.kidding_from) - dates[0]).days if a.pregnant else -1,
                   (pd.Timestamp(a.kidding_to) - dates[0]).days if a.pregnant else -1)
            specs.append(AnimalGroupSpec(
                count=int(a.count), sex=FEMALE if a.sex == "female" else MALE,
                age_days_min=int(round(a.age_months_min * DAYS_PER_MONTH)),
                age_days_max=int(round(a.age_months_max * DAYS_PER_MONTH)),
                parity=int(a.parity), pregnant=bool(a.pregnant), due_min=due[0], due_max=due[1],
                lactating=bool(a.lactating), days_in_milk=int(a.days_in_milk)))
        batches.append(BatchSpec(
            name=b.name, day=day, location=locations.index(b.arrival_place),
            quarantine_days=int(b.quarantine_days) + int(b.transit_days),
            destinations=np.array([locations.index(d) for d in b.destinations]),
            groups=tuple(specs), transit_days=int(b.transit_days)))

    health, conception_factor, milk_factor = compile_health(scenario, dates)
    quarantine_on_day = np.zeros(n_days, bool)
    for b in batches:
        if b.quarantine_days > 0:
            quarantine_on_day[max(b.day, 0):max(b.day + b.quarantine_days + 1, 0)] = True
    herd = HerdParams(
        start_date=scenario.start_date, n_days=n_days, dates=dates, locations=locations,
        is_farm=is_farm, capacity_head=capacity,
        death_hazard=hazard, cum_death_hazard=cum,
        gestation_days=int(rep.gestation_days), gestation_sd_days=float(rep.gestation_sd_days),
        oestrous_cycle_days=cycle, min_breeding_age_days=int(rep.min_breeding_age_days),
        postpartum_interval_days=int(rep.postpartum_interval_days),
        abortion_risk=float(rep.abortion_risk_per_pregnancy),
        stillbirth_risk=float(rep.stillbirth_risk),
        female_fraction=float(rep.female_fraction_at_birth), litter_probabilities=litter,
        does_per_buck=float(rep.does_per_buck),
        buck_min_breeding_age_days=int(rep.buck_min_breeding_age_days),
        group_names=tuple(g.name for g in groups),
        group_share=np.array([g.share for g in groups], float), group_method=method,
        in_window=in_window, window_first_day=first, window_last_day=last,
        service_probability=service, ai_probability=ai,
        cull_daily_probability=float(annual_risk_to_daily(pol.culling.involuntary_risk_per_year)),
        max_parity=int(pol.culling.max_parity), max_age_days=int(pol.culling.max_age_days),
        max_failed_windows=int(pol.culling.max_failed_windows),
        buck_max_age_days=int(pol.replacement.buck_max_age_days),
        target_fill=float(pol.replacement.target_fill), weaning_age_days=weaning,
        decision_age_days=int(pol.replacement.decision_age_days),
        male_sale_age_days=int(pol.replacement.male_sale_age_days),
        curves=curves, extended_lactation=bool(pol.lactation.extended),
        extended_max_days=int(pol.lactation.extended_max_days),
        standard_length_days=int(lac.standard_length_days),
        dry_period_days=int(lac.dry_period_days),
        min_yield_kg_per_day=float(lac.min_yield_kg_per_day),
        colostrum_days=int(lac.colostrum_days),
        kid_milk_kg_per_day=float(pol.lactation.kid_milk_kg_per_day),
        quarantine_milk_used=bool(pol.lactation.quarantine_milk_used),
        effect_sigma=math.sqrt(math.log1p(cv * cv)),
        milk_table=np.ascontiguousarray(table, dtype=np.float64),
        low_yield_dim_days=low_yield_dim,
        quarantine_on_day=quarantine_on_day, batches=tuple(batches),
        conception_factor_by_day=conception_factor, milk_factor_by_day=milk_factor,
        health=health, bucks=compile_bucks(scenario, dates))
    return feeding.attach(herd, scenario) if with_feeding else herd
