"""The herd sections of a scenario: breed (reproduction, mortality, lactation), farms,
batches of arriving animals, and the management policy (breeding groups, replacement,
culling, lactation).

Each model checks its own fields and the rules between them (``_cross_problems``); the
checks that span sections (farm names in batches, dates against the horizon) are in
:mod:`capra.scenario.checks`.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from capra.scenario.fields import (
    _MISSING,
    AnimalDays,
    AnimalDaysOrZero,
    Bool,
    Date,
    Distribution,
    MonthDay,
    Name,
    Probability,
    Problem,
    Text,
    _floats,
    _fmt_number,
    _get,
    _ints,
    _items,
    _length,
    _Model,
    _problem,
    _range,
    _show,
    _too_many,
)
from capra.scenario.limits import (
    MAX_AGE_MONTHS,
    MAX_ANIMAL_EFFECT_CV,
    MAX_BREEDING_GROUPS,
    MAX_CAPACITY_HEAD,
    MAX_CYCLE_DAYS,
    MAX_DOES_PER_BUCK,
    MAX_FAILED_WINDOWS,
    MAX_GESTATION_SD_DAYS,
    MAX_HEAD,
    MAX_MILK_KG_PER_DAY,
    MAX_PARITY,
    MAX_QUARANTINE_DAYS,
    MAX_REBOUND_RATE_PER_DAY,
    MAX_REBOUND_RATIO,
    SUM_TOLERANCE,
    WOOD_B_RANGE,
    WOOD_C_MAX,
)
from capra.scenario.health import BuckPolicy
from capra.scenario.uncertain import uncertain


class Reproduction(_Model):
    """Reproduction parameters of a breed."""

    gestation_days: _ints(1, MAX_CYCLE_DAYS)
    """Mean length of gestation. [days]"""
    gestation_sd_days: _floats(0, MAX_GESTATION_SD_DAYS)
    """Standard deviation of the length of gestation. [days]"""
    oestrous_cycle_days: _ints(1, MAX_CYCLE_DAYS)
    """Length of the oestrous cycle. [days]"""
    min_breeding_age_days: AnimalDays
    """Youngest age at which a doeling is bred. [days]"""
    postpartum_interval_days: AnimalDaysOrZero
    """Days after kidding before a doe is bred again (voluntary waiting period). [days]"""
    conception_rate_per_cycle: uncertain(Annotated[float, Strict(), _range(0, 1, lo_open=True)])
    """Probability that a doe mated in one oestrous cycle conceives, under natural
    breeding. [fraction per cycle]"""
    seasonal_activity: Annotated[tuple[Probability, ...],
                                 _length(12, "one per month, January to December")]
    """Fraction of does that cycle in each month, January to December, under natural
    photoperiod. 12 values. [fraction]"""
    abortion_risk_per_pregnancy: uncertain(Probability)
    """Probability that a pregnancy ends in abortion. [fraction per pregnancy]"""
    stillbirth_risk: uncertain(Probability)
    """Probability that a kid is born dead. [fraction per kid born]"""
    female_fraction_at_birth: Probability
    """Fraction of kids born female. [fraction]"""
    litter_size_probabilities_parity1: Distribution
    """Probabilities of litters of 1, 2, 3, ... kids at the first kidding; they sum to 1.
    [fraction]"""
    litter_size_probabilities_parity2plus: Distribution
    """Probabilities of litters of 1, 2, 3, ... kids at the second and later kiddings; they
    sum to 1. [fraction]"""
    does_per_buck: _ints(1, MAX_DOES_PER_BUCK)
    """Does one buck can get pregnant in a breeding season (one window of a group). [head]"""
    buck_min_breeding_age_days: AnimalDays
    """Youngest age at which a buck is used for breeding. [days]"""


class Mortality(_Model):
    """Death risks of a breed (deaths only; culls are a policy)."""

    kid_risk_to_weaning: uncertain(Probability)
    """Probability that a kid born alive dies before weaning. [fraction]"""
    young_risk_per_year: uncertain(Probability)
    """Annual death risk from weaning to adult age. [fraction per year]"""
    adult_female_risk_per_year: uncertain(Probability)
    """Annual death risk of adult females. [fraction per year]"""
    adult_male_risk_per_year: uncertain(Probability)
    """Annual death risk of adult males. [fraction per year]"""
    adult_age_days: AnimalDays
    """Age from which an animal counts as adult for mortality. [days]"""


class BreedLactation(_Model):
    """Lactation curve and lactation-length parameters of a breed."""

    model: Literal["wood"]
    """Lactation curve model; ``"wood"``: y = a t^b exp(-c t), t in days in milk. [-]"""
    wood_a: Annotated[tuple[uncertain(_floats(0, MAX_MILK_KG_PER_DAY, lo_open=True)), ...],
                      _length(3, "parity 1, 2, 3+")]
    """Wood scale a for parity 1, 2 and 3+. [kg/day]"""
    wood_b: Annotated[tuple[_floats(*WOOD_B_RANGE, lo_open=True), ...],
                      _length(3, "parity 1, 2, 3+")]
    """Wood shape b (rise to the peak) for parity 1, 2 and 3+. [-]"""
    wood_c: Annotated[tuple[_floats(0, WOOD_C_MAX, lo_open=True), ...],
                      _length(3, "parity 1, 2, 3+")]
    """Wood decline c for parity 1, 2 and 3+. [1/day]"""
    rebound_day: AnimalDays
    """Days in milk at which the yield of a non-pregnant doe in extended lactation stops
    falling and starts to rise. [days]"""
    rebound_rate_per_day: _floats(0, MAX_REBOUND_RATE_PER_DAY)
    """Daily rise of the yield after ``rebound_day``, as a fraction of the yield on that
    day. [1/day]"""
    rebound_max_ratio: _floats(1, MAX_REBOUND_RATIO)
    """Cap on the rebound: largest yield after ``rebound_day`` over the yield on that day.
    [-]"""
    animal_effect_cv: _floats(0, MAX_ANIMAL_EFFECT_CV)
    """Coefficient of variation of the lognormal between-doe yield effect. [-]"""
    standard_length_days: AnimalDays
    """Length of a normal (not extended) lactation. [days]"""
    dry_period_days: AnimalDaysOrZero
    """Days before the expected kidding at which a pregnant doe is dried off. [days]"""
    min_yield_kg_per_day: _floats(0, MAX_MILK_KG_PER_DAY)
    """A doe is dried off when her expected yield falls below this. [kg/day]"""
    colostrum_days: AnimalDaysOrZero
    """Days after kidding whose milk is colostrum and is not delivered. [days]"""


class Breed(_Model):
    """Breed parameters: reproduction, mortality and lactation."""

    name: Name
    """Breed name, e.g. ``"Saanen"``. [-]"""
    species: Literal["goat"]
    """Species; Capra models goats. [-]"""
    reproduction: Reproduction
    """Reproduction parameters. [-]"""
    mortality: Mortality
    """Death risks. [-]"""
    lactation: BreedLactation
    """Lactation curve and length. [-]"""


class Farm(_Model):
    """A farm that keeps goats."""

    name: Name
    """Farm name, unique in the scenario; batches name it in ``destinations``. [-]"""
    district: Text
    """District or county where the farm is. [-]"""
    capacity_head: _ints(0, MAX_CAPACITY_HEAD)
    """Number of goats the farm can house. [head]"""
    latitude: Annotated[float, Strict(), _range(-90, 90)]
    """Latitude of the farm, WGS 84. [degrees north]"""
    longitude: Annotated[float, Strict(), _range(-180, 180)]
    """Longitude of the farm, WGS 84. [degrees east]"""


class AnimalGroup(_Model):
    """Animals of one batch that share sex, age range, parity and state."""

    count: _ints(1, MAX_HEAD)
    """Number of animals. [head]"""
    sex: Literal["female", "male"]
    """Sex of the animals. [-]"""
    age_months_min: _floats(0, MAX_AGE_MONTHS)
    """Youngest age in the group on the arrival date. [months]"""
    age_months_max: _floats(0, MAX_AGE_MONTHS)
    """Oldest age in the group on the arrival date. [months]"""
    parity: _ints(0, MAX_PARITY) = 0
    """Kiddings each doe has had (0 for doelings and for males). [-]"""
    pregnant: Bool = False
    """The does arrive pregnant. [-]"""
    kidding_from: Date | None = None
    """First expected kidding date; required when ``pregnant`` is true. [date]"""
    kidding_to: Date | None = None
    """Last expected kidding date; required when ``pregnant`` is true. [date]"""
    lactating: Bool = False
    """The does arrive in milk (parity ≥ 1 only). [-]"""
    days_in_milk: AnimalDaysOrZero = 0
    """Days in milk of lactating does on the arrival date. [days]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        problems: list[Problem] = []
        number = (int, float)
        low = _get(data, "age_months_min", number)
        high = _get(data, "age_months_max", number)
        if low is not None and high is not None and high < low:
            problems.append(_problem(("age_months_max",), high,
                             f"less than age_months_min = {_show(low)}; expected "
                             "age_months_min ≤ age_months_max"))
        sex = _get(data, "sex", str)
        parity = _get(data, "parity", int, 0)
        pregnant = _get(data, "pregnant", bool, False)
        lactating = _get(data, "lactating", bool, False)
        days_in_milk = _get(data, "days_in_milk", int, 0)
        if sex == "male":
            if parity:
                problems.append(_problem(("parity",), parity,
                                 'males have no kiddings; expected parity = 0 for sex = "male"'))
            if pregnant:
                problems.append(_problem(("pregnant",), pregnant,
                                 'males cannot be pregnant; expected false for sex = "male"'))
            if lactating:
                problems.append(_problem(("lactating",), lactating,
                                 'males do not lactate; expected false for sex = "male"'))
        elif sex == "female" and lactating and parity == 0:
            problems.append(_problem(("lactating",), lactating,
                             "a doe with parity = 0 has not kidded and cannot be in milk; "
                             "expected parity ≥ 1 for lactating does"))
        if days_in_milk and not lactating:
            problems.append(_problem(("days_in_milk",), days_in_milk,
                             "given for animals that are not lactating; expected "
                             "lactating = true (a doe with parity ≥ 1) or days_in_milk = 0"))
        start = _get(data, "kidding_from", date)
        end = _get(data, "kidding_to", date)
        if pregnant:
            for key, value in (("kidding_from", start), ("kidding_to", end)):
                if value is None and _get(data, key, object) is None:
                    problems.append(_problem((key,), _MISSING,
                                     "missing; expected the expected kidding date "
                                     "(YYYY-MM-DD) when pregnant = true"))
            if start is not None and end is not None and end < start:
                problems.append(_problem(("kidding_to",), end,
                                 f"before kidding_from = {_show(start)}; expected "
                                 "kidding_from ≤ kidding_to"))
        else:
            for key in ("kidding_from", "kidding_to"):
                value = _get(data, key, object)
                if value is not None:
                    problems.append(_problem((key,), value,
                                     "given for animals that are not pregnant; expected "
                                     "pregnant = true, or no kidding dates"))
        return problems


class Batch(_Model):
    """A delivery of animals: where and when they arrive, where they go after quarantine."""

    name: Name
    """Batch name, unique in the scenario. [-]"""
    origin: Text = ""
    """Where the animals come from. [-]"""
    certificate: Text = ""
    """Veterinary certificate number; empty if not yet issued. [-]"""
    arrival_date: Date
    """Date the animals arrive at ``arrival_place``. [date]"""
    arrival_place: Name
    """Where the animals arrive and are quarantined: a farm name (quarantine on that
    farm) or the name of a quarantine station. [-]"""
    arrival_latitude: Annotated[float, Strict(), _range(-90, 90)] | None = None
    """Latitude of the arrival place, WGS 84; optional. [degrees north]"""
    arrival_longitude: Annotated[float, Strict(), _range(-180, 180)] | None = None
    """Longitude of the arrival place, WGS 84; optional. [degrees east]"""
    quarantine_days: _ints(0, MAX_QUARANTINE_DAYS)
    """Days the animals stay at the arrival place before moving to their farms. [days]"""
    transit_days: _ints(0, MAX_QUARANTINE_DAYS) = 0
    """Days on the road or rail from the arrival place to the farms, after quarantine
    (off the farms: no breeding, milk not delivered). [days]"""
    destinations: Annotated[tuple[Name, ...], Field(min_length=1)]
    """Names of the farms that receive the animals after quarantine. [-]"""
    animals: Annotated[tuple[AnimalGroup, ...], Field(min_length=1)]
    """The animals of the batch, by group. [-]"""

    @property
    def quarantine_end_date(self) -> date:
        """First day after quarantine (``arrival_date + quarantine_days``). [date]"""
        return self.arrival_date + timedelta(days=self.quarantine_days)

    @property
    def head(self) -> int:
        """Number of animals in the batch. [head]"""
        return sum(group.count for group in self.animals)

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        problems: list[Problem] = []
        has_lat = _get(data, "arrival_latitude", object) is not None
        has_lon = _get(data, "arrival_longitude", object) is not None
        if has_lat != has_lon:
            given, missing = (("arrival_latitude", "arrival_longitude") if has_lat
                              else ("arrival_longitude", "arrival_latitude"))
            problems.append(_problem((missing,), _MISSING,
                             f"missing while {given} is given; expected both arrival "
                             "coordinates or neither"))
        seen: dict[str, int] = {}
        for k, name in enumerate(_items(data, "destinations")):
            if isinstance(name, str):
                if name in seen:
                    problems.append(_problem(("destinations", k), name,
                                     f"listed twice (also destinations[{seen[name]}]); "
                                     "expected each farm once"))
                seen.setdefault(name, k)
        arrival = _get(data, "arrival_date", date)
        if arrival is not None:
            for i, group in enumerate(_items(data, "animals")):
                first = _get(group, "kidding_from", date)
                if _get(group, "pregnant", bool, False) and first is not None \
                        and first <= arrival:
                    problems.append(_problem(("animals", i, "kidding_from"), first,
                                     f"not after the batch arrival_date = {_show(arrival)}; "
                                     "expected kidding after arrival (animals that have "
                                     "kidded arrive with parity and lactating set)"))
        return problems


class BreedingGroup(_Model):
    """Does bred together in one yearly breeding window with one method."""

    name: Name
    """Group name, unique in the policy. [-]"""
    share: Annotated[float, Strict(), _range(0, 1, lo_open=True)]
    """Fraction of the breeding does assigned to this group; shares sum to 1. [fraction]"""
    method: Literal["natural", "induced", "ai"]
    """``"natural"``: bucks in the natural season (the breed's conception rate and seasonal
    activity apply); ``"induced"``: oestrus induced out of season (light, melatonin, buck
    effect or hormones); ``"ai"``: artificial insemination. [-]"""
    window_start: MonthDay
    """First day of the breeding window each year, ``"MM-DD"``; ``"02-29"`` falls on
    28 February in common years. [month-day]"""
    window_days: Annotated[int, Strict(), _range(1, 366, kind="an integer")]
    """Length of the breeding window. [days]"""
    conception_rate_per_cycle: uncertain(Annotated[float, Strict(),
                                                   _range(0, 1, lo_open=True)]) | None = None
    """Probability of conception per oestrous cycle in this group; required for
    ``"induced"`` and ``"ai"``, not allowed for ``"natural"``. [fraction per cycle]"""

    @property
    def window_month_day(self) -> tuple[int, int]:
        """Month and day of ``window_start``. [-]"""
        month, day = self.window_start.split("-")
        return int(month), int(day)

    def window_start_date(self, year: int) -> date:
        """Date the window opens in ``year`` (28 February for ``"02-29"`` in common years)."""
        month, day = self.window_month_day
        return date(year, month, min(day, calendar.monthrange(year, month)[1]))

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        method = _get(data, "method", str)
        rate = _get(data, "conception_rate_per_cycle", object)
        if method in ("induced", "ai") and rate is None:
            return [_problem(("conception_rate_per_cycle",), _MISSING,
                     f'missing; expected the conception rate per cycle (0 < rate ≤ 1) for '
                     f'method = "{method}"')]
        if method == "natural" and rate is not None:
            return [_problem(("conception_rate_per_cycle",), rate,
                     'not used for method = "natural" (the breed\'s '
                     "reproduction.conception_rate_per_cycle applies); expected no value, "
                     "or a change through [breed_overrides.reproduction]")]
        return []


def _default_breeding_groups() -> tuple[BreedingGroup, ...]:
    # One natural group over the whole year: the breed's seasonal activity alone decides
    # when does conceive. The year begins in August, before the natural breeding season
    # of seasonal breeds in the Northern Hemisphere (September to February; saanen.toml
    # seasonal_activity), so that a season is never cut in two: the bucks' season and the
    # count of windows a doe stays open run from one summer to the next.
    return (BreedingGroup(name="season", share=1.0, method="natural", window_start="08-01",
                          window_days=365),)


class Replacement(_Model):
    """Which young animals are kept, and when bucks are replaced.

    Doelings are kept while their farm is below its target head; the surplus is moved
    to a farm with room, else sold.
    """

    target_fill: Annotated[float, Strict(), _range(0, 1.5, lo_open=True)] = 1.0
    """Target head as a fraction of the farm's capacity. [fraction]"""
    decision_age_days: AnimalDays = 60
    """Age at which doelings are kept or sold (at weaning). [days]"""
    male_sale_age_days: AnimalDays = 90
    """Age at which male kids not kept as bucks are sold. [days]"""
    buck_max_age_days: AnimalDays = 1825
    """Age at which bucks are replaced (five years; management choice). [days]"""


class Culling(_Model):
    """When does are culled."""

    max_parity: _ints(1, MAX_PARITY) = 7
    """Does are culled after this many kiddings (management choice). [-]"""
    max_age_days: AnimalDays = 2920
    """Does are culled at this age (eight years; management choice). [days]"""
    max_failed_windows: _ints(1, MAX_FAILED_WINDOWS) = 2
    """Does are culled at dry-off after this many breeding windows without conceiving. [-]"""
    involuntary_risk_per_year: uncertain(Annotated[float, Strict(),
                                                   _range(0, 1, hi_open=True)]) = 0.20
    """Annual risk of culling for other reasons (disease, udder, feet). Derived: a median
    age at removal of 3.7 years with first kidding at about 1.1 years (Massey thesis)
    implies a removal hazard of about 0.27 per year; after deducting deaths, about 20 %
    per year are culled. [fraction per year]"""


class LactationPolicy(_Model):
    """How lactations are managed and how much milk is not delivered."""

    extended: Bool = True
    """Does that do not conceive keep milking (extended lactation; France: 16.4 % of
    goats). [-]"""
    extended_max_days: AnimalDays = 700
    """Longest extended lactation (mean extended lactation 717 days, French careers
    study). [days]"""
    weaning_age_days: AnimalDays = 60
    """Age at which kids are weaned (early weaning at 6-8 weeks, Langston University
    review). [days]"""
    kid_milk_kg_per_day: uncertain(_floats(0, MAX_MILK_KG_PER_DAY)) = 1.5
    """Goat milk fed to each kid until weaning (1.5-2 L per kid per day, research note
    herd.md §4). [kg/day]"""
    quarantine_milk_used: Bool = False
    """Milk of animals in quarantine is delivered (false: it is discarded). [-]"""


class Policy(_Model):
    """Management policy: breeding groups, replacement, culling, lactation."""

    breeding_groups: tuple[BreedingGroup, ...] = Field(
        default_factory=_default_breeding_groups)
    """Breeding groups; their shares sum to 1. Default: one natural group ``"season"``
    with the window open all year (``"01-01"``, 365 days). [-]"""
    replacement: Replacement = Field(default_factory=Replacement)
    """Replacement rules. [-]"""
    culling: Culling = Field(default_factory=Culling)
    """Culling rules. [-]"""
    lactation: LactationPolicy = Field(default_factory=LactationPolicy)
    """Lactation management. [-]"""
    bucks: BuckPolicy = Field(default_factory=BuckPolicy)
    """Breeding bucks: bred on the farms or bought in, rotated between farms or not. [-]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        problems: list[Problem] = []
        groups = _items(data, "breeding_groups")
        if not groups and (isinstance(data, BaseModel) or "breeding_groups" in data):
            return [_problem(("breeding_groups",), _MISSING,
                     "empty; expected at least one breeding group")]
        problems += _too_many(groups, "breeding_groups", MAX_BREEDING_GROUPS)
        shares = [_get(g, "share", (int, float)) for g in groups]
        if groups and all(s is not None for s in shares):
            total = math.fsum(shares)
            if abs(total - 1.0) > SUM_TOLERANCE:
                terms = " + ".join(f"{_get(g, 'name', str, '?')} {_fmt_number(s)}"
                                   for g, s in zip(groups, shares, strict=True))
                problems.append(_problem(("breeding_groups",), _MISSING,
                                 f"shares sum to {total:.10g} ({terms}); expected a sum of 1"))
        seen: dict[str, int] = {}
        for i, group in enumerate(groups):
            name = _get(group, "name", str)
            if name is None:
                continue
            if name in seen:
                problems.append(_problem(("breeding_groups", i, "name"), name,
                                 f"duplicate group name (also breeding_groups[{seen[name]}]); "
                                 "expected unique names"))
            seen.setdefault(name, i)
        return problems
