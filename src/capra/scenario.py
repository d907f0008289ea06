"""Scenario: one validated, immutable description of a dairy-goat programme.

A scenario says which goats arrive where and when (batches), on which farms, of which
breed (reproduction, mortality and lactation parameters), and under which management
policy (breeding groups, replacement, culling, lactation), over which calendar horizon.
It is written in TOML (see ``docs/scenario.md``) and loaded into frozen pydantic models,
whose attribute names are exactly the TOML key names.

Every problem in a scenario file becomes one :class:`capra.errors.ScenarioError`. Its
message names the file and, for each problem, the key path
(``batches[1].animals[0].age_months_max``), the value and what was expected; all problems
of the file are listed in ``ScenarioError.problems``.

>>> scenario = load_scenario("nampo")
>>> scenario.breed.reproduction.gestation_days
150
>>> scenario.locations[:2]
('Kangso', 'Chollima')
"""

from __future__ import annotations

import calendar
import difflib
import json
import math
import re
import tomllib
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from capra.errors import ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "AnimalGroup",
    "Batch",
    "Breed",
    "BreedLactation",
    "BreedingGroup",
    "Calendar",
    "Children",
    "ClosedPeriod",
    "Culling",
    "Farm",
    "LactationPolicy",
    "Mortality",
    "PlanningSettings",
    "Plant",
    "Policy",
    "ProductCapacities",
    "ProductOverride",
    "ProductOverrides",
    "Replacement",
    "Reproduction",
    "Route",
    "Scenario",
    "Servings",
    "Site",
    "StorageCapacities",
    "Transport",
    "bundled_breeds",
    "bundled_scenario_descriptions",
    "bundled_scenario_path",
    "bundled_scenarios",
    "load_breed",
    "load_scenario",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_toml",
    "validate_file",
]

#: Tolerance on the sum of shares and of litter-size probabilities.
SUM_TOLERANCE = 1e-9

#: Largest difference between the coordinates given for one place in two spots of a
#: scenario before they are reported as conflicting. [degrees] (0.01 degree is about 1 km)
SAME_PLACE_DEGREES = 0.01

# --------------------------------------------------------------------------------------
# Bounds
# --------------------------------------------------------------------------------------
# Every number and date of a scenario has bounds: what the simulator and the planner can
# represent (integer widths, calendar range, memory), far beyond what any real programme
# needs. Validation is the one place that refuses a value outside them, naming its key, so
# that a run never ends half-way in an overflow, an out-of-memory error or a NaN.

#: Dates anywhere in a scenario: the years the records store accepts too
#: (``capra.store.io.YEAR_RANGE``). With :data:`MAX_HORIZON_DAYS` every simulated day falls
#: before 2201, inside the dates pandas represents (up to 2262-04-11). [date]
DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))
#: Longest horizon, and longest planned or warm-up period: 100 years, beyond any
#: programme; the results hold one value per replicate, day and farm. [days]
MAX_HORIZON_DAYS = 36_525
#: Longest age, interval or duration in an animal's life (ages at breeding, sale or cull,
#: lactation lengths, waiting periods): 40 years, the end of the herd model's death-risk
#: table (``capra.herd.params.MAX_AGE_DAYS``); goats live well under 20 years. [days]
MAX_ANIMAL_DAYS = 40 * 365
#: Oldest age of arriving animals: 20 years, older than goats live. [months]
MAX_AGE_MONTHS = 240.0
#: Longest gestation or oestrous cycle: one year (goats: about 150 and 21 days). [days]
MAX_CYCLE_DAYS = 366
#: Longest quarantine: ten years, as the records store accepts
#: (``capra.store.io``, ``quarantine_days``). [days]
MAX_QUARANTINE_DAYS = 3650
#: Most kiddings of one doe: at most about one a year over a goat's life; the records
#: store accepts the same range (parity 0-20). [-]
MAX_PARITY = 20
#: Most breeding windows a doe may stay open before she is culled: the herd state counts
#: them in 8 bits (up to 127). [-]
MAX_FAILED_WINDOWS = 100
#: Most animals in one group of a batch: far above the largest goat farms (a few thousand
#: head). The simulator keeps about 70 bytes per animal and replicate: 100,000 head in 50
#: replicates simulated together take about 350 MB. [head]
MAX_HEAD = 100_000
#: Most places on one farm: a farm may be given an unreachable capacity to mean "no limit";
#: head counts stay far inside 32-bit integers. [head]
MAX_CAPACITY_HEAD = 10_000_000
#: Most does one buck makes pregnant in a breeding season: natural service is a few dozen,
#: artificial insemination spreads one buck's semen much further. [head]
MAX_DOES_PER_BUCK = 10_000
#: Most farms, and most batches: the herd state stores location and batch numbers in
#: 16 bits (up to 32,767, quarantine stations included). [-]
MAX_FARMS = 10_000
MAX_BATCHES = 10_000
#: Most breeding groups: the herd state stores the group number in 8 bits (up to 127). [-]
MAX_BREEDING_GROUPS = 100
#: Most milk per animal and day (Wood scale, kids' milk, dry-off threshold): more than a
#: goat gives; the same as the upper fitting bound of the Wood scale
#: (``capra.lactation.GOAT_BOUNDS``). [kg/day]
MAX_MILK_KG_PER_DAY = 15.0
#: Wood shape b: above -1 so that the lactation total is finite (``capra.lactation``), at
#: most the upper fitting bound (``capra.lactation.GOAT_BOUNDS``). [-]
WOOD_B_RANGE = (-1.0, 1.5)
#: Wood decline c: above 0 for a finite total, at most the upper fitting bound
#: (``capra.lactation.GOAT_BOUNDS``). [1/day]
WOOD_C_MAX = 0.05
#: Extended lactation: the rise per day and its cap, at most the upper fitting bounds
#: (``capra.lactation.GOAT_BOUNDS``). [1/day], [-]
MAX_REBOUND_RATE_PER_DAY = 0.05
MAX_REBOUND_RATIO = 3.0
#: Largest between-doe coefficient of variation of yield: published values are about
#: 0.2-0.3 (breed file); 2 allows any herd. [-]
MAX_ANIMAL_EFFECT_CV = 2.0
#: Largest standard deviation of the length of gestation (goats: about 2 days). [days]
MAX_GESTATION_SD_DAYS = 30.0
#: Most children of one age group at one site (a site may be a whole district). [children]
MAX_CHILDREN = 10_000_000
#: Largest serving: 2 kg, many times a child's daily ration. [g]
MAX_SERVING_G = 2000.0
#: Most raw milk per kg of product (milk powder takes about 8, hard cheese about 10). [kg/kg]
MAX_MILK_KG_PER_KG = 100.0
#: Longest shelf life, and longest ripening, of a product: ten years (powder keeps about
#: two; hard cheeses ripen for months). [days]
MAX_SHELF_LIFE_DAYS = 3650
#: Energy of 100 g of food: at most that of pure fat (9 kcal/g). [kcal/100 g]
MAX_ENERGY_KCAL_PER_100G = 900.0
#: A nutrient content per 100 g of food: at most 100 g. [g/100 g], [mg/100 g]
MAX_G_PER_100G = 100.0
MAX_MG_PER_100G = 100_000.0
#: Largest flow of milk or product per day, on a route, into or out of a plant, or to a
#: site: a million tonnes a day, beyond any dairy plant, so that an unreachable capacity
#: can stand for "no limit"; the planner's coefficients stay within what the solver takes
#: without loss of precision. [kg/day]
MAX_FLOW_KG_PER_DAY = 1e9
#: Largest stock at a plant: ten million tonnes. [kg]
MAX_STOCK_KG = 1e10
#: Longest road: half the Earth's circumference. [km]
MAX_DISTANCE_KM = 20_000.0
#: Deepest nesting of arrays and tables accepted in a TOML file (a scenario needs five);
#: the TOML parser recurses once per level. [-]
MAX_TOML_DEPTH = 20
#: Longest repeatable year planned: the planner solves it as one daily model of at most
#: this many days (``capra.planning.planner.MAX_DAILY_DAYS``). [days]
MAX_REPEATABLE_DAYS = 600
#: Largest ratio of road distance to great-circle distance: 1.2-1.4 is usual (research
#: note supply.md §4.1); 5 allows mountain roads. [-]
MAX_ROAD_FACTOR = 5.0

_ERROR_TYPE = "capra"  # a value problem found by a Capra validator
_CROSS_TYPE = "capra_cross"  # problems found by a model's cross-field checks
_ABSOLUTE_TYPE = "capra_absolute"  # problems whose key paths start at the scenario root

Loc = tuple[str | int, ...]


# --------------------------------------------------------------------------------------
# Value display and small validators
# --------------------------------------------------------------------------------------

def _show(value: object, limit: int = 70) -> str:
    """Show a value the way it would be written in TOML, shortened to ``limit`` chars."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (date, time)):
        text = value.isoformat()
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_show(v, limit) for v in value) + "]"
    elif isinstance(value, Mapping):
        text = "{ " + ", ".join(f"{k} = {_show(v, limit)}" for k, v in value.items()) + " }"
    elif isinstance(value, BaseModel):
        text = _show(value.model_dump(exclude_none=True), limit)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _toml_type(value: object) -> str:
    """The TOML name of a value's type, with an article."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, time):
        return "a time"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, (Mapping, BaseModel)):
        return "a table"
    return type(value).__name__


def _fail(message: str) -> PydanticCustomError:
    # The message goes through the context so that braces in it are not format fields.
    return PydanticCustomError(_ERROR_TYPE, "{msg}", {"msg": message})


def _fmt_number(x: float) -> str:
    if isinstance(x, float):
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else f"{x:g}"
    return str(x)


def _range(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False,
           hi_open: bool = False, kind: str = "a number") -> AfterValidator:
    """Validator: the value lies in the interval, e.g. ``(0, 1]``, and is finite."""
    if lo is not None and hi is not None:
        expected = (f"{kind} in {'(' if lo_open else '['}{_fmt_number(lo)}, "
                    f"{_fmt_number(hi)}{')' if hi_open else ']'}")
    elif lo is not None:
        expected = f"{kind} {'>' if lo_open else '≥'} {_fmt_number(lo)}"
    elif hi is not None:
        expected = f"{kind} {'<' if hi_open else '≤'} {_fmt_number(hi)}"
    else:
        expected = f"a finite {kind.removeprefix('a ')}"

    def check(value: float) -> float:
        if isinstance(value, float) and not math.isfinite(value):
            raise _fail(f"not a finite number; expected {expected}")
        bad = ((lo is not None and (value <= lo if lo_open else value < lo))
               or (hi is not None and (value >= hi if hi_open else value > hi)))
        if bad:
            raise _fail(f"out of range; expected {expected}")
        return value

    check.bounds = (lo, hi, lo_open, hi_open)  # read by the documentation tests
    return AfterValidator(check)


def _length(n: int, meaning: str) -> AfterValidator:
    """Validator: a list of exactly ``n`` values."""
    def check(values: tuple) -> tuple:
        if len(values) != n:
            raise _fail(f"has {len(values)} values; expected exactly {n} ({meaning})")
        return values
    return AfterValidator(check)


def _distribution(values: tuple[float, ...]) -> tuple[float, ...]:
    """Validator: a non-empty list of probabilities summing to 1."""
    if not values:
        raise _fail("empty; expected at least one probability")
    total = math.fsum(values)
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise _fail(f"the probabilities sum to {total:.10g}; expected a sum of 1")
    return values


def _not_blank(value: str) -> str:
    if not value.strip():
        raise _fail("empty; expected a non-empty name")
    if value != value.strip():
        raise _fail("starts or ends with spaces; expected a name without them")
    return value


def _parse_date(value: object) -> object:
    """Accept a date (not a date-time) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, datetime):
        raise _fail("a date-time; expected a date written YYYY-MM-DD, without a time")
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _fail("not a date; expected a date written YYYY-MM-DD")
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _fail("not a real calendar date; expected a date that exists, "
                        "written YYYY-MM-DD") from None
    if not isinstance(value, date):
        raise _fail(f"wrong type ({_toml_type(value)}); expected a date written YYYY-MM-DD")
    if not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
        raise _fail(f"out of range; expected a date from {DATE_RANGE[0]} to {DATE_RANGE[1]}")
    return value


def _month_day(value: str) -> str:
    """Validator: a real month-day written ``MM-DD`` (``02-29`` is allowed)."""
    match = re.fullmatch(r"(\d{2})-(\d{2})", value)
    if not match:
        raise _fail('not written "MM-DD"; expected a month and day such as "08-15"')
    month, day = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise _fail(f'month {month} does not exist; expected "MM-DD" with MM in 01..12')
    last = calendar.monthrange(2000, month)[1]  # 2000 is a leap year: 02-29 allowed
    if not 1 <= day <= last:
        raise _fail(f"{calendar.month_name[month]} has no day {day}; expected a day in "
                    f"01..{last:02d}")
    return value


# Field types. Numbers are strict: a quoted "5" or a boolean is not a number; an integer
# is accepted where a float is expected.
Bool = Annotated[bool, Strict()]
Text = Annotated[str, Strict()]
Name = Annotated[str, Strict(), AfterValidator(_not_blank)]
Date = Annotated[date, BeforeValidator(_parse_date)]
Probability = Annotated[float, Strict(), _range(0, 1)]


def _ints(lo: int, hi: int) -> Any:
    """An integer in ``[lo, hi]``."""
    return Annotated[int, Strict(), _range(lo, hi, kind="an integer")]


def _floats(lo: float, hi: float, *, lo_open: bool = False) -> Any:
    """A finite number in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``)."""
    return Annotated[float, Strict(), _range(lo, hi, lo_open=lo_open)]


AnimalDays = _ints(1, MAX_ANIMAL_DAYS)
AnimalDaysOrZero = _ints(0, MAX_ANIMAL_DAYS)
HorizonDays = _ints(1, MAX_HORIZON_DAYS)
ChildCount = _ints(0, MAX_CHILDREN)
FlowKgPerDay = _floats(0, MAX_FLOW_KG_PER_DAY)
StockKg = _floats(0, MAX_STOCK_KG)
Distribution = Annotated[tuple[Probability, ...], AfterValidator(_distribution)]
MonthDay = Annotated[str, Strict(), AfterValidator(_month_day)]


# --------------------------------------------------------------------------------------
# Tolerant access, used by the cross-field checks on models and on raw TOML tables
# --------------------------------------------------------------------------------------

_MISSING = object()


def _get(obj: object, key: str, types: type | tuple[type, ...] = object,
         default: Any = None) -> Any:
    """``obj[key]`` (table) or ``obj.key`` (model) if it has the expected type, else default.

    Booleans are never taken as numbers, date-times never as dates, and dates outside
    :data:`DATE_RANGE` are skipped, so that checks on unvalidated tables skip values that
    validation itself rejects.
    """
    if isinstance(obj, Mapping):
        value = obj.get(key, _MISSING)
    elif isinstance(obj, BaseModel):
        value = getattr(obj, key, _MISSING)
    else:
        return default
    if value is _MISSING or value is None:
        return default
    types = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in types:
        return default
    if isinstance(value, datetime) and datetime not in types:
        return default
    if isinstance(value, date) and not DATE_RANGE[0] <= value <= DATE_RANGE[1]:
        return default
    return value if isinstance(value, types) else default


def _add_days(day: date, days: int) -> date | None:
    """``day + days``, or None beyond the calendar (cross-checks also run on raw tables,
    whose values may lie outside their bounds)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return None


def _items(obj: object, key: str) -> list:
    value = _get(obj, key, (list, tuple), ())
    return list(value)


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


# A cross-field problem: key path relative to the model, value (or _MISSING), message.
Problem = tuple[Loc, Any, str]


def _problem(loc: Loc, value: Any, message: str) -> Problem:
    return loc, value, message


def _too_many(items: list, key: str, limit: int) -> list[Problem]:
    if len(items) <= limit:
        return []
    return [_problem((key,), _MISSING, f"has {len(items)} items; expected at most {limit}")]


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------

class _Model(BaseModel):
    """Base of the scenario models: unknown keys forbidden, frozen, documented fields."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        """Checks that involve several fields; ``data`` is a model or a raw table."""
        return []

    @model_validator(mode="after")
    def _run_cross_checks(self):
        problems = type(self)._cross_problems(self)
        if problems:
            raise PydanticCustomError(_CROSS_TYPE, "{msg}", {
                "msg": "; ".join(message for _, _, message in problems),
                "problems": problems})
        return self


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
    conception_rate_per_cycle: Annotated[float, Strict(), _range(0, 1, lo_open=True)]
    """Probability that a doe mated in one oestrous cycle conceives, under natural
    breeding. [fraction per cycle]"""
    seasonal_activity: Annotated[tuple[Probability, ...],
                                 _length(12, "one per month, January to December")]
    """Fraction of does that cycle in each month, January to December, under natural
    photoperiod. 12 values. [fraction]"""
    abortion_risk_per_pregnancy: Probability
    """Probability that a pregnancy ends in abortion. [fraction per pregnancy]"""
    stillbirth_risk: Probability
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

    kid_risk_to_weaning: Probability
    """Probability that a kid born alive dies before weaning. [fraction]"""
    young_risk_per_year: Probability
    """Annual death risk from weaning to adult age. [fraction per year]"""
    adult_female_risk_per_year: Probability
    """Annual death risk of adult females. [fraction per year]"""
    adult_male_risk_per_year: Probability
    """Annual death risk of adult males. [fraction per year]"""
    adult_age_days: AnimalDays
    """Age from which an animal counts as adult for mortality. [days]"""


class BreedLactation(_Model):
    """Lactation curve and lactation-length parameters of a breed."""

    model: Literal["wood"]
    """Lactation curve model; ``"wood"``: y = a t^b exp(-c t), t in days in milk. [-]"""
    wood_a: Annotated[tuple[_floats(0, MAX_MILK_KG_PER_DAY, lo_open=True), ...],
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
    conception_rate_per_cycle: Annotated[float, Strict(),
                                         _range(0, 1, lo_open=True)] | None = None
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
    involuntary_risk_per_year: Annotated[float, Strict(), _range(0, 1, hi_open=True)] = 0.20
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
    kid_milk_kg_per_day: _floats(0, MAX_MILK_KG_PER_DAY) = 1.5
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


# --------------------------------------------------------------------------------------
# Planning: products, calendars, sites, plants, transport (all optional)
# --------------------------------------------------------------------------------------

#: Dairy products the planner knows, in table order; their data are in
#: ``capra/data/products.toml``.
PRODUCTS = ("fresh_milk", "yogurt", "soft_cheese", "hard_cheese", "milk_powder", "uht_milk",
            "frozen_milk")
#: Children's age groups, in completed years (``age_1_2``: 1 and 2 years old).
AGE_GROUPS = ("age_1_2", "age_3_5", "age_6_11")
#: Storage classes of products and stores.
STORAGE_CLASSES = ("chilled", "frozen", "ambient")


class Servings(_Model):
    """Serving size of one product for each age group; 0 means not served to the group."""

    age_1_2: _floats(0, MAX_SERVING_G) | None = None
    """Serving for children aged 1-2 years. [g product]"""
    age_3_5: _floats(0, MAX_SERVING_G) | None = None
    """Serving for children aged 3-5 years. [g product]"""
    age_6_11: _floats(0, MAX_SERVING_G) | None = None
    """Serving for children aged 6-11 years. [g product]"""


class ProductOverride(_Model):
    """Values that replace the bundled data of one product (``capra/data/products.toml``)."""

    milk_kg_per_kg: _floats(0, MAX_MILK_KG_PER_KG, lo_open=True) | None = None
    """Raw milk used per kg of product. [kg milk/kg product]"""
    ripening_days: _ints(0, MAX_SHELF_LIFE_DAYS) | None = None
    """Days after making before the product can be served (cheese ripening); 0: ready the
    day it is made. [days]"""
    shelf_life_days: _ints(1, MAX_SHELF_LIFE_DAYS) | None = None
    """Days the product can be served, counted from the first day it can be (the day it is
    made, or the day its ripening ends). [days]"""
    storage: Literal["chilled", "frozen", "ambient"] | None = None
    """Storage class. [-]"""
    protein_g_per_100g: _floats(0, MAX_G_PER_100G) | None = None
    """Protein content. [g/100 g]"""
    energy_kcal_per_100g: _floats(0, MAX_ENERGY_KCAL_PER_100G) | None = None
    """Energy content. [kcal/100 g]"""
    calcium_mg_per_100g: _floats(0, MAX_MG_PER_100G) | None = None
    """Calcium content. [mg/100 g]"""
    serving_g: Servings | None = None
    """Serving size per age group; one serving is one child's ration for the day. [g]"""


class ProductOverrides(_Model):
    """Overrides of the bundled product data, one optional table per product."""

    fresh_milk: ProductOverride | None = None
    """Pasteurised goat milk. [-]"""
    yogurt: ProductOverride | None = None
    """Goat-milk yogurt. [-]"""
    soft_cheese: ProductOverride | None = None
    """Soft (fresh) goat cheese. [-]"""
    hard_cheese: ProductOverride | None = None
    """Hard goat cheese. [-]"""
    milk_powder: ProductOverride | None = None
    """Whole goat-milk powder. [-]"""
    uht_milk: ProductOverride | None = None
    """UHT goat milk. [-]"""
    frozen_milk: ProductOverride | None = None
    """Frozen pasteurised goat milk. [-]"""


class ClosedPeriod(_Model):
    """A yearly period when a site is closed, e.g. a school vacation."""

    start: MonthDay
    """First closed day each year, ``"MM-DD"``. [month-day]"""
    end: MonthDay
    """Last closed day each year, ``"MM-DD"``; before ``start`` means the period runs over
    the new year. [month-day]"""


class Calendar(_Model):
    """When a site serves children: weekdays, public holidays and yearly closures."""

    name: Name
    """Calendar name, unique; sites refer to it. [-]"""
    weekdays: Annotated[tuple[Annotated[int, Strict(), _range(1, 7, kind="an integer")], ...],
                        Field(min_length=1)]
    """Days of the week the site serves children, ISO numbers (1 Monday ... 7 Sunday). [-]"""
    holidays: tuple[MonthDay, ...] = ()
    """Public holidays, closed every year, ``"MM-DD"``. [month-day]"""
    closed: tuple[ClosedPeriod, ...] = ()
    """Yearly closures (vacations). [-]"""


class Children(_Model):
    """Children enrolled at a site, by age group."""

    age_1_2: ChildCount = 0
    """Children aged 1-2 years. [children]"""
    age_3_5: ChildCount = 0
    """Children aged 3-5 years. [children]"""
    age_6_11: ChildCount = 0
    """Children aged 6-11 years. [children]"""

    @property
    def total(self) -> int:
        """All children of the site. [children]"""
        return self.age_1_2 + self.age_3_5 + self.age_6_11


class Site(_Model):
    """A place where children get their ration: a kindergarten, a school, or the enrolled
    kindergartens or schools of a district counted together."""

    name: Name
    """Site name, unique among sites, plants and farms. [-]"""
    district: Text = ""
    """District or county of the site. [-]"""
    kind: Literal["kindergarten", "school", "district"]
    """``"kindergarten"``, ``"school"`` or ``"district"`` (an aggregate of sites). [-]"""
    latitude: Annotated[float, Strict(), _range(-90, 90)]
    """Latitude, WGS 84. [degrees north]"""
    longitude: Annotated[float, Strict(), _range(-180, 180)]
    """Longitude, WGS 84. [degrees east]"""
    calendar: Name
    """Name of the site's calendar in ``[[calendars]]``. [-]"""
    children: Children
    """Children enrolled, by age group. [children]"""
    attendance: Annotated[float, Strict(), _range(0, 1, lo_open=True)] = 1.0
    """Share of enrolled children present on an operating day. [fraction]"""
    cold_storage_kg: FlowKgPerDay | None = None
    """Chilled and frozen product the site can receive and hold on one day; 0: ambient
    products only; no value: no limit. [kg/day]"""


class ProductCapacities(_Model):
    """Largest output of a plant per product per day; 0 (the default): not made there."""

    fresh_milk: FlowKgPerDay = 0.0
    """Pasteurised milk. [kg product/day]"""
    yogurt: FlowKgPerDay = 0.0
    """Yogurt. [kg product/day]"""
    soft_cheese: FlowKgPerDay = 0.0
    """Soft cheese. [kg product/day]"""
    hard_cheese: FlowKgPerDay = 0.0
    """Hard cheese. [kg product/day]"""
    milk_powder: FlowKgPerDay = 0.0
    """Whole milk powder. [kg product/day]"""
    uht_milk: FlowKgPerDay = 0.0
    """UHT milk. [kg product/day]"""
    frozen_milk: FlowKgPerDay = 0.0
    """Frozen milk. [kg product/day]"""


class StorageCapacities(_Model):
    """Stock a plant can hold, by storage class; 0 (the default): no store of that class."""

    chilled: StockKg = 0.0
    """Cold room (0-4 °C). [kg product]"""
    frozen: StockKg = 0.0
    """Freezer (-18 °C). [kg product]"""
    ambient: StockKg = 0.0
    """Dry store. [kg product]"""


class Plant(_Model):
    """A dairy plant: takes raw milk from farms, makes products, stores and dispatches them."""

    name: Name
    """Plant name, unique among sites, plants and farms. [-]"""
    latitude: Annotated[float, Strict(), _range(-90, 90)]
    """Latitude, WGS 84. [degrees north]"""
    longitude: Annotated[float, Strict(), _range(-180, 180)]
    """Longitude, WGS 84. [degrees east]"""
    intake_kg_per_day: FlowKgPerDay | None = None
    """Largest raw-milk intake; no value: no limit. [kg milk/day]"""
    capacity_kg_per_day: ProductCapacities = Field(default_factory=ProductCapacities)
    """Largest output per product. [kg product/day]"""
    storage_kg: StorageCapacities = Field(default_factory=StorageCapacities)
    """Stock it can hold, by storage class. [kg product]"""


class Route(_Model):
    """A road link from a farm to a plant or from a plant to a site."""

    origin: Name
    """Farm (raw milk) or plant (products) the route starts from. [-]"""
    destination: Name
    """Plant (from a farm) or site (from a plant). [-]"""
    distance_km: _floats(0, MAX_DISTANCE_KM) | None = None
    """Road distance; no value: great-circle distance times ``road_factor``. [km]"""
    capacity_kg_per_day: FlowKgPerDay | None = None
    """Largest load per day; no value: the transport ``capacity_kg_per_day``. [kg/day]"""


class Transport(_Model):
    """Road transport between farms, plants and sites.

    Every farm is linked to every plant and every plant to every site; ``[[transport.routes]]``
    changes the distance or capacity of single links.
    """

    road_factor: _floats(1, MAX_ROAD_FACTOR) = 1.3
    """Road distance over great-circle distance (1.2-1.4 is a usual assumption, research
    note supply.md §4.1). [-]"""
    capacity_kg_per_day: FlowKgPerDay = 2000.0
    """Load per route per day unless a route says otherwise: one 2-tonne truck, one trip
    a day (illustrative). [kg/day]"""
    routes: tuple[Route, ...] = ()
    """Links with their own distance or capacity. [-]"""


class OpeningStock(_Model):
    """Product in store at a plant when a plan from today's stock starts."""

    plant: Name
    """Plant holding it. [-]"""
    product: Literal["fresh_milk", "yogurt", "soft_cheese", "hard_cheese", "milk_powder",
                     "uht_milk", "frozen_milk"]
    """Product. [-]"""
    kg: StockKg
    """Quantity. [kg product]"""
    made: Date | None = None
    """Day it was made; no value: the day before the plan starts (or, for a product that
    ripens, the day that makes it ready then). [date]"""


class PlanningSettings(_Model):
    """Which days the plan covers, how they begin and end, and how supply uncertainty is
    treated."""

    year: Literal["repeatable", "from_stock"] = "repeatable"
    """``"repeatable"``: the planned days are a year the programme can repeat every year:
    the plan finds its own opening stock and gives it back by the end (no stock counted
    twice). ``"from_stock"``: this year from today's stock: the stock at the start is
    given (``opening_stock``, or the records database) and what is left at the end is
    free. [-]"""
    start_date: Date | None = None
    """First day children are served; no value: 364 days before the scenario's last day
    (the plan covers the last year, with the herd established). [date]"""
    days: HorizonDays | None = None
    """Days planned from ``start_date``; no value: to the scenario's last day. [days]"""
    warmup_days: _ints(0, MAX_HORIZON_DAYS) = 0
    """With ``year = "from_stock"``: days before ``start_date`` when milk is already
    processed and stocked but no child is served. A repeatable year finds its own opening
    stock and does not use it. [days]"""
    opening_stock: tuple[OpeningStock, ...] = ()
    """With ``year = "from_stock"``: product in store at the start. [-]"""
    quantile: Annotated[float, Strict(), _range(0, 1, lo_open=True, hi_open=True)] = 0.1
    """Supply quantile across simulated futures the plan must withstand: the plan serves
    its enrolment in at least ``1 - quantile`` of the futures. [fraction]"""



def _unique_names(items: list, key: str, seen: dict[str, Loc]) -> list[Problem]:
    """Names of ``items`` (under ``key``) unique among themselves and against ``seen``."""
    problems: list[Problem] = []
    for i, item in enumerate(items):
        name = _get(item, "name", str)
        if name is None:
            continue
        if name in seen:
            problems.append(_problem((key, i, "name"), name,
                             f"name already used by {_key_path(seen[name])}; expected a "
                             "name unique among farms, plants and sites"))
        else:
            seen[name] = (key, i)
    return problems


def _unknown_ref(loc: Loc, name: str, choices: Sequence[str], what: str) -> Problem:
    hint = _suggest(name, choices)
    listed = ", ".join(_show(n) for n in choices) or "none defined"
    return _problem(loc, name, f"not {what} of this scenario; expected one of {listed}"
                    + (f"; did you mean {_show(hint)}?" if hint else ""))


def _planning_problems(data: object, farms: list[str], start: date | None,
                       end: date | None) -> list[Problem]:
    """Cross-checks of the planning sections: names, calendar and route references, dates."""
    problems: list[Problem] = []
    calendars = _items(data, "calendars")
    calendar_first: dict[str, int] = {}
    for i, cal in enumerate(calendars):
        name = _get(cal, "name", str)
        if name is None:
            continue
        if name in calendar_first:
            problems.append(_problem(("calendars", i, "name"), name,
                             f"duplicate calendar name (also calendars"
                             f"[{calendar_first[name]}]); expected unique names"))
        calendar_first.setdefault(name, i)
    calendar_names = list(calendar_first)
    seen: dict[str, Loc] = {name: ("farms", k) for k, name in enumerate(farms)}
    plants, sites = _items(data, "plants"), _items(data, "sites")
    problems += _unique_names(plants, "plants", seen)
    problems += _unique_names(sites, "sites", seen)
    plant_names = [n for n in (_get(p, "name", str) for p in plants) if n is not None]
    site_names = [n for n in (_get(s, "name", str) for s in sites) if n is not None]
    farm_set, plant_set, site_set = set(farms), set(plant_names), set(site_names)
    for i, site in enumerate(sites):
        cal = _get(site, "calendar", str)
        if cal is not None and cal not in calendar_first:
            problems.append(_unknown_ref(("sites", i, "calendar"), cal, calendar_names,
                                         "a calendar ([[calendars]])"))
    transport = _get(data, "transport", (Mapping, BaseModel))
    links: dict[tuple[str, str], int] = {}
    for i, route in enumerate(_items(transport, "routes")):
        origin = _get(route, "origin", str)
        dest = _get(route, "destination", str)
        loc = ("transport", "routes", i)
        if origin is None or dest is None:
            continue
        if origin in farm_set:
            if dest not in plant_set:
                problems.append(_unknown_ref(loc + ("destination",), dest, plant_names,
                                             "a plant (raw milk goes from a farm to a plant)"))
        elif origin in plant_set:
            if dest not in site_set:
                problems.append(_unknown_ref(loc + ("destination",), dest, site_names,
                                             "a site (products go from a plant to a site)"))
        else:
            problems.append(_unknown_ref(loc + ("origin",), origin, farms + plant_names,
                                         "a farm or a plant"))
            continue
        if (origin, dest) in links:
            problems.append(_problem(loc, _MISSING,
                             f"route {_show(origin)} -> {_show(dest)} given twice (also "
                             f"transport.routes[{links[origin, dest]}]); expected each "
                             "route once"))
        links.setdefault((origin, dest), i)
    settings = _get(data, "planning", (Mapping, BaseModel))
    stock = _items(settings, "opening_stock")
    if stock and _get(settings, "year", str, "repeatable") != "from_stock":
        problems.append(_problem(("planning", "opening_stock"), _MISSING,
                         "an opening stock is only used by a plan from today's stock; "
                         "expected planning.year = \"from_stock\" or no opening_stock"))
    for i, item in enumerate(stock):
        plant = _get(item, "plant", str)
        if plant is not None and plant not in plant_set:
            problems.append(_unknown_ref(("planning", "opening_stock", i, "plant"), plant,
                                         plant_names, "a plant ([[plants]])"))
    first = _get(settings, "start_date", date)
    if first is not None and start is not None and end is not None:
        if not start <= first <= end:
            problems.append(_problem(("planning", "start_date"), first,
                             f"outside the simulated days; expected a date from "
                             f"{_show(start)} to {_show(end)}"))
        else:
            warmup = _get(settings, "warmup_days", int, 0)
            if warmup > (first - start).days:
                problems.append(_problem(("planning", "warmup_days"), warmup,
                                 f"reaches before the scenario start_date = {_show(start)}; "
                                 f"expected at most {(first - start).days} days"))
            days = _get(settings, "days", int)
            if days is not None and days - 1 > (end - first).days:
                problems.append(_problem(("planning", "days"), days,
                                 f"runs past the last simulated day {_show(end)}; expected "
                                 f"at most {(end - first).days + 1} days"))
    if start is not None and end is not None \
            and _get(settings, "year", str, "repeatable") == "repeatable":
        planned_from = first if first is not None and start <= first <= end \
            else max(end - timedelta(days=364), start)
        days = _get(settings, "days", int)
        count = days if days is not None else (end - planned_from).days + 1
        if count > MAX_REPEATABLE_DAYS:
            key = "days" if days is not None else "start_date"
            problems.append(_problem(("planning", key), days if days is not None else first,
                             f"a repeatable year of {count} planned days; expected at most "
                             f"{MAX_REPEATABLE_DAYS} (or planning.year = \"from_stock\", "
                             "which is planned in windows)"))
    return problems


class _UnresolvedBreed:
    """Placeholder for a breed that could not be read; validation reports its problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems


class Scenario(_Model):
    """A dairy-goat programme: farms, batches of animals, breed and policy over a horizon.

    Build one with :func:`load_scenario` (TOML) or :func:`scenario_from_dict`; both turn
    every problem into a :class:`~capra.errors.ScenarioError`.
    """

    name: Name
    """Scenario name. [-]"""
    description: Text = ""
    """Free text describing the scenario. [-]"""
    start_date: Date
    """First simulated day. [date]"""
    horizon_days: HorizonDays
    """Number of simulated days, ``start_date`` included. [days]"""
    breed: Breed
    """Breed parameters. In TOML: a bundled breed name (``"saanen"``), a path to a breed
    file relative to the scenario file, or an inline table; ``[breed_overrides]`` changes
    single values. [-]"""
    farms: Annotated[tuple[Farm, ...], Field(min_length=1)]
    """The farms, at least one, with unique names. [-]"""
    batches: tuple[Batch, ...] = ()
    """Deliveries of animals. [-]"""
    policy: Policy = Field(default_factory=Policy)
    """Management policy. [-]"""
    products: ProductOverrides = Field(default_factory=ProductOverrides)
    """Changes to the bundled product data (``capra/data/products.toml``), by product.
    [-]"""
    calendars: tuple[Calendar, ...] = ()
    """Operating calendars that sites refer to. [-]"""
    sites: tuple[Site, ...] = ()
    """Kindergartens, schools or district aggregates where children are served. [-]"""
    plants: tuple[Plant, ...] = ()
    """Dairy plants. [-]"""
    transport: Transport = Field(default_factory=Transport)
    """Road links between farms, plants and sites. [-]"""
    planning: PlanningSettings = Field(default_factory=PlanningSettings)
    """Planned days and the supply quantile of the plan. [-]"""

    # ---- derived -------------------------------------------------------------------

    @property
    def end_date(self) -> date:
        """Last simulated day (``start_date + horizon_days - 1``). [date]"""
        return self.start_date + timedelta(days=self.horizon_days - 1)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The simulated days, ``horizon_days`` of them, from ``start_date``. [date]"""
        import pandas as pd

        return pd.date_range(self.start_date, periods=self.horizon_days, freq="D",
                             name="date")

    @property
    def farm_names(self) -> tuple[str, ...]:
        """Farm names in scenario order. [-]"""
        return tuple(farm.name for farm in self.farms)

    @property
    def locations(self) -> tuple[str, ...]:
        """Farm names, then the quarantine stations (arrival places that are not farms),
        unique, in order of first appearance. [-]"""
        names = list(self.farm_names)
        for batch in self.batches:
            if batch.arrival_place not in names:
                names.append(batch.arrival_place)
        return tuple(names)

    def farm_index(self, name: str) -> int:
        """Position of the farm ``name`` in :attr:`farms`.

        Raises
        ------
        ScenarioError
            If no farm has this name.
        """
        return self._index(name, self.farm_names, "farm")

    def location_index(self, name: str) -> int:
        """Position of the farm or quarantine station ``name`` in :attr:`locations`."""
        return self._index(name, self.locations, "location")

    @staticmethod
    def _index(name: str, names: tuple[str, ...], what: str) -> int:
        try:
            return names.index(name)
        except ValueError:
            hint = _suggest(name, names)
            raise ScenarioError(
                f"no {what} named {_show(name)}; expected one of "
                f"{', '.join(_show(n) for n in names)}"
                + (f"; did you mean {_show(hint)}?" if hint else ""),
                value=name) from None

    # ---- validation ----------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _resolve_breed(cls, data: Any, info: ValidationInfo) -> Any:
        """Read a breed given by name or path and merge ``breed_overrides`` into it."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        context = info.context if isinstance(info.context, dict) else {}
        overrides = data.pop("breed_overrides", None)
        breed = data.get("breed")
        if isinstance(breed, str):
            try:
                breed, path = _read_breed_table(breed, context.get("base_dir"))
            except ScenarioError as exc:
                data["breed"] = _UnresolvedBreed([_problem(("breed",), breed, str(exc))])
                return data
            context["breed_file"] = path
        elif isinstance(breed, Breed) and overrides is not None:
            breed = breed.model_dump()
        if overrides is not None:
            if not isinstance(overrides, Mapping):
                data["breed"] = _UnresolvedBreed([_problem(
                    ("breed_overrides",), overrides,
                    f"wrong type ({_toml_type(overrides)}); expected a table with the "
                    "structure of a breed file, e.g. [breed_overrides.reproduction]")])
                return data
            if isinstance(breed, Mapping):
                breed = _deep_merge(breed, overrides)
        data["breed"] = breed
        return data

    @field_validator("breed", mode="before")
    @classmethod
    def _breed_source(cls, value: Any) -> Any:
        if isinstance(value, _UnresolvedBreed):
            raise PydanticCustomError(_ABSOLUTE_TYPE, "{msg}", {
                "msg": "; ".join(m for _, _, m in value.problems),
                "problems": value.problems})
        if value is not None and not isinstance(value, (str, Mapping, Breed)):
            raise _fail(f"wrong type ({_toml_type(value)}); expected a bundled breed name "
                        f"({', '.join(bundled_breeds())}), a path to a breed file, or a "
                        "table of breed values")
        return value

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        problems: list[Problem] = []
        farms = _items(data, "farms")
        problems += _too_many(farms, "farms", MAX_FARMS)
        problems += _too_many(_items(data, "batches"), "batches", MAX_BATCHES)
        names: list[str | None] = [_get(f, "name", str) for f in farms]
        first: dict[str, int] = {}
        for i, name in enumerate(names):
            if name is None:
                continue
            key = _norm(name)
            if key in first:
                j = first[key]
                if names[j] == name:
                    problems.append(_problem(("farms", i, "name"), name,
                                     f"duplicate farm name (also farms[{j}].name); "
                                     "expected unique names"))
                else:
                    problems.append(_problem(("farms", i, "name"), name,
                                     f"differs from farms[{j}].name = {_show(names[j])} "
                                     "only by case or spaces; expected clearly different "
                                     "names"))
            else:
                first[key] = i
        farm_by_name = {name: farm for name, farm in zip(names, farms, strict=True)
                        if name is not None}

        start = _get(data, "start_date", date)
        horizon = _get(data, "horizon_days", int)
        end = (_add_days(start, horizon - 1) if start is not None and horizon is not None
               and 1 <= horizon <= MAX_HORIZON_DAYS else None)
        batch_first: dict[str, int] = {}
        stations: dict[str, tuple[int, float, float]] = {}
        for i, batch in enumerate(_items(data, "batches")):
            bname = _get(batch, "name", str)
            if bname is not None:
                if bname in batch_first:
                    problems.append(_problem(("batches", i, "name"), bname,
                                     f"duplicate batch name (also batches[{batch_first[bname]}]"
                                     "); expected unique names"))
                batch_first.setdefault(bname, i)
            if farm_by_name:
                for k, dest in enumerate(_items(batch, "destinations")):
                    if isinstance(dest, str) and dest not in farm_by_name:
                        hint = _suggest(dest, farm_by_name)
                        problems.append((
                            ("batches", i, "destinations", k), dest,
                            "not a farm of this scenario; expected one of "
                            + ", ".join(_show(n) for n in farm_by_name)
                            + (f"; did you mean {_show(hint)}?" if hint else "")))
            arrival = _get(batch, "arrival_date", date)
            if arrival is not None and start is not None and arrival < start:
                problems.append(_problem(("batches", i, "arrival_date"), arrival,
                                 f"before the scenario start_date = {_show(start)}; expected "
                                 f"a date from {_show(start)} to {_show(end or start)}"))
            elif arrival is not None and end is not None and arrival > end:
                problems.append(_problem(("batches", i, "arrival_date"), arrival,
                                 f"after the last simulated day {_show(end)} (start_date + "
                                 f"horizon_days - 1); expected a date from {_show(start)} to "
                                 f"{_show(end)}"))
            problems.extend(cls._place_problems(i, batch, farm_by_name, stations))
        problems.extend(_planning_problems(data, list(farm_by_name), start, end))
        return problems

    @staticmethod
    def _place_problems(i: int, batch: object, farm_by_name: dict[str, object],
                        stations: dict[str, tuple[int, float, float]]) -> list[Problem]:
        """An arrival place is a farm (written exactly) or a distinct quarantine station."""
        place = _get(batch, "arrival_place", str)
        if place is None:
            return []
        number = (int, float)
        lat = _get(batch, "arrival_latitude", number)
        lon = _get(batch, "arrival_longitude", number)
        if place in farm_by_name:
            farm = farm_by_name[place]
            flat, flon = _get(farm, "latitude", number), _get(farm, "longitude", number)
            if None not in (lat, lon, flat, flon) and (
                    abs(lat - flat) > SAME_PLACE_DEGREES or abs(lon - flon) > SAME_PLACE_DEGREES):
                return [_problem(("batches", i, "arrival_place"), place,
                         f"is a farm at ({_show(flat)}, {_show(flon)}) but the batch gives "
                         f"arrival coordinates ({_show(lat)}, {_show(lon)}); expected the "
                         "farm's coordinates or none")]
            return []
        similar = [name for name in farm_by_name if _norm(name) == _norm(place)]
        if similar:
            return [_problem(("batches", i, "arrival_place"), place,
                     f"differs from farm {_show(similar[0])} only by case or spaces; expected "
                     "the farm name written exactly (quarantine on that farm) or a clearly "
                     "different quarantine station name")]
        if lat is None or lon is None:
            return []
        if place in stations:
            j, slat, slon = stations[place]
            if abs(lat - slat) > SAME_PLACE_DEGREES or abs(lon - slon) > SAME_PLACE_DEGREES:
                return [_problem(("batches", i, "arrival_place"), place,
                         f"has coordinates ({_show(lat)}, {_show(lon)}) but batches[{j}] "
                         f"puts it at ({_show(slat)}, {_show(slon)}); expected one place "
                         "per name")]
            return []
        stations[place] = (i, lat, lon)
        return []


# --------------------------------------------------------------------------------------
# Bundled data
# --------------------------------------------------------------------------------------

def _data_dir(kind: str) -> Path:
    return Path(str(resources.files("capra") / "data" / kind))


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with Capra, e.g. ``["nampo"]``."""
    return sorted(p.stem for p in _data_dir("scenarios").glob("*.toml"))


def bundled_scenario_descriptions() -> dict[str, str]:
    """``{name: description}`` of the bundled scenarios (the ``description`` key of each
    file; empty if it has none)."""
    out = {}
    for name in bundled_scenarios():
        doc = _read_toml(bundled_scenario_path(name), name)
        description = doc.get("description", "")
        out[name] = description if isinstance(description, str) else ""
    return out


def bundled_breeds() -> list[str]:
    """Names of the breed files shipped with Capra, e.g. ``["saanen"]``."""
    return sorted(p.stem for p in _data_dir("breeds").glob("*.toml"))


def bundled_scenario_path(name: str) -> Path:
    """Path of the bundled scenario ``name``.

    Raises
    ------
    ScenarioError
        If no bundled scenario has this name; the message lists the bundled names.
    """
    path = _data_dir("scenarios") / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(_unknown_name_message(
            "scenario", name, bundled_scenarios(), "a bundled scenario name"), value=name)
    return path


def _unknown_name_message(what: str, name: str, names: list[str], expected: str) -> str:
    hint = _suggest(name, names)
    return (f"no bundled {what} named {_show(name)}; expected {expected} (bundled {what}s: "
            f"{', '.join(names) or 'none'})" + (f"; did you mean {_show(hint)}?" if hint else ""))


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or text.endswith(".toml")


# --------------------------------------------------------------------------------------
# Reading TOML
# --------------------------------------------------------------------------------------

def _read_toml(path: Path, shown: str) -> dict[str, Any]:
    """Parse a TOML file; syntax errors name the file, line and column."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError("no such file", file=shown) from None
    except IsADirectoryError:
        raise ScenarioError("is a directory; expected a TOML file", file=shown) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not UTF-8 text (byte {exc.start}); expected a UTF-8 TOML file",
                            file=shown) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read: {exc.strerror}", file=shown) from None
    too_deep = (f"arrays or tables nested more than {MAX_TOML_DEPTH} levels deep; expected "
                "the layout of docs/scenario.md (a few levels)")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = _syntax_message(str(exc), text)
        raise ScenarioError(message, file=shown, problems=[message]) from None
    except RecursionError:  # the parser recurses once per level of nesting
        raise ScenarioError(too_deep, file=shown, problems=[too_deep]) from None
    deep = _too_deep(doc)
    if deep is not None:
        raise ScenarioError(too_deep, file=shown, path=_key_path(deep),
                            problems=[f"{_key_path(deep)}: {too_deep}"])
    return doc


def _too_deep(doc: object) -> Loc | None:
    """Key path of a value nested deeper than :data:`MAX_TOML_DEPTH` (walked without
    recursion), or None."""
    stack: list[tuple[Loc, object]] = [((), doc)]
    while stack:
        loc, value = stack.pop()
        if len(loc) > MAX_TOML_DEPTH:
            return loc
        if isinstance(value, Mapping):
            stack.extend((loc + (str(k),), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((loc + (i,), v) for i, v in enumerate(value))
    return None


def _syntax_message(error: str, text: str) -> str:
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", error)
    lines = text.splitlines()
    if match:
        line, column = int(match[1]), int(match[2])
        reason = error[: match.start()]
    else:
        line, column = max(len(lines), 1), len(lines[-1]) + 1 if lines else 1
        reason = error.replace("(at end of document)", "").strip() + " at the end of the file"
    message = f"TOML syntax error at line {line}, column {column}: {reason}"
    if "date" in reason.lower():
        message += ("; expected a date that exists in the calendar, written YYYY-MM-DD "
                    "(2024-02-30, for example, does not exist)")
    if 1 <= line <= len(lines):
        message += f"\n    {lines[line - 1]}\n    {' ' * (column - 1)}^"
    return message


def _read_breed_table(source: str, base_dir: Path | str | None) -> tuple[dict, Path]:
    """Raw table of a breed given by bundled name or by path (relative to ``base_dir``)."""
    if _looks_like_path(source):
        path = Path(source)
        if not path.is_absolute():
            path = Path(base_dir or ".") / path
        if not path.is_file():
            raise ScenarioError(f"breed file {_show(str(path))} not found; expected a path "
                                "relative to the scenario file, or a bundled breed name ("
                                f"{', '.join(bundled_breeds())})")
        shown = str(path)
    else:
        path = _data_dir("breeds") / f"{source}.toml"
        if not path.is_file():
            raise ScenarioError(_unknown_name_message(
                "breed", source, bundled_breeds(),
                "a bundled breed name or the path of a breed file ending in .toml"))
        shown = str(path)
    return _read_toml(path, shown), path


# --------------------------------------------------------------------------------------
# Errors: pydantic's error list -> key paths and plain messages
# --------------------------------------------------------------------------------------

def _key_path(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _model_at(root: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the key at the end of ``loc``."""
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if model else None
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model


_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string (in quotes)",
    "date_type": "a date written YYYY-MM-DD", "date_parsing": "a date written YYYY-MM-DD",
    "tuple_type": "an array [ ... ]", "list_type": "an array [ ... ]",
    "model_type": "a table", "model_attributes_type": "a table", "dict_type": "a table",
}


def _keys_at(root: type[BaseModel], loc: Loc) -> list[str]:
    """Valid keys of the table at ``loc``."""
    model = _model_at(root, loc)
    keys = list(model.model_fields) if model else []
    if model is Scenario:
        keys.append("breed_overrides")
    return keys


def _summary(description: str) -> str:
    """First sentence and unit of a field description, without reST markup."""
    text = " ".join(description.replace("``", "").split())
    unit = re.search(r"\[[^\]]*\]$", text)
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    if unit and not sentence.endswith(unit[0]):
        sentence += " " + unit[0]
    return sentence


def _describe(error: dict, root: type[BaseModel], loc: Loc) -> tuple[Any, str]:
    """Value to show (or ``_MISSING``) and plain message for one pydantic error."""
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        keys = _keys_at(root, loc[:-1])
        hint = _suggest(str(loc[-1]), keys)
        if hint:
            return _MISSING, f"unknown key; did you mean {hint!r}?"
        return _MISSING, "unknown key; valid keys here: " + ", ".join(keys)
    if kind == "missing":
        model = _model_at(root, loc[:-1])
        field = model.model_fields.get(str(loc[-1])) if model else None
        about = _summary(field.description) if field and field.description else ""
        return _MISSING, "missing required key" + (f" ({about})" if about else "")
    if kind == _ERROR_TYPE:
        return value, ctx.get("msg", error["msg"])
    if kind in ("tuple_type", "list_type") and isinstance(value, Mapping) and loc:
        header = ".".join(str(p) for p in loc if isinstance(p, str))
        return value, (f"wrong type (a table); expected an array of tables, each written "
                       f"[[{header}]]")
    if kind in _EXPECTED:
        return value, f"wrong type ({_toml_type(value)}); expected {_EXPECTED[kind]}"
    if kind == "literal_error":
        return value, f"not allowed; expected {ctx.get('expected', error['msg'])}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length", ctx.get("max_length"))
        return value, (f"has {ctx.get('actual_length', '?')} items; expected "
                       f"{'at least' if kind == 'too_short' else 'at most'} {bound}")
    message = error["msg"]
    if message.startswith("Input should be "):
        message = "expected " + message.removeprefix("Input should be ")
    return value, message


def _has_path(table: object, path: Sequence[str | int]) -> bool:
    for part in path:
        in_array = isinstance(part, int) and isinstance(table, (list, tuple)) \
            and part < len(table)
        in_table = isinstance(part, str) and isinstance(table, Mapping) and part in table
        if not (in_array or in_table):
            return False
        table = table[part]
    return True


class _Report:
    """One problem: key path, value (or ``_MISSING``), message, and a note on its origin."""

    def __init__(self, loc: Loc, value: Any, message: str, note: str = ""):
        self.loc, self.value, self.message, self.note = loc, value, message, note
        self.hint: str | None = None  # suggested key, for an unknown key
        self.missing = False  # a missing required key

    @property
    def path(self) -> str:
        return _key_path(self.loc)

    def detail(self) -> str:
        """The message with the value, without the key path."""
        shown = "" if self.value is _MISSING else f"{_show(self.value)}: "
        return f"{shown}{self.message}{self.note}"

    def __str__(self) -> str:
        path = self.path
        if not path:
            return self.detail()
        if self.value is _MISSING:
            return f"{path}: {self.message}{self.note}"
        return f"{path} = {_show(self.value)}: {self.message}{self.note}"


def _collect_problems(exc: ValidationError, root: type[BaseModel], raw: object,
                      origin: Callable[[Loc], tuple[Loc, str]] | None = None
                      ) -> list[_Report]:
    """Every problem of ``raw``, from pydantic's errors and the cross-field checks.

    Cross-field checks of a model only run when all its fields are valid; for models
    whose fields failed they are run here on the raw table, so that one report lists all
    the problems of the file.
    """
    reports: list[_Report] = []
    failed: list[Loc] = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        failed.append(loc)
        kind = error["type"]
        if kind in (_CROSS_TYPE, _ABSOLUTE_TYPE):
            for sub, value, message in error["ctx"]["problems"]:
                full = tuple(sub) if kind == _ABSOLUTE_TYPE else loc + tuple(sub)
                reports.append(_Report(full, value, message))
        elif kind == "too_short" and len(error.get("input") or ()) >= error["ctx"]["min_length"]:
            continue  # pydantic counts only the valid items; the invalid ones are reported
        else:
            report = _Report(loc, *_describe(error, root, loc))
            if kind == "extra_forbidden":
                report.hint = _suggest(str(loc[-1]), _keys_at(root, loc[:-1]))
            report.missing = kind == "missing"
            reports.append(report)
    # models holding a failed field: the proper prefixes of the failed key paths
    holding = {loc[:k] for loc in failed for k in range(len(loc))}
    for model_loc, model, table in _walk(root, raw, ()):
        if model_loc in holding:
            for sub, value, message in model._cross_problems(table):
                reports.append(_Report(model_loc + tuple(sub), value, message))
    # A misspelt required key is reported once, as the unknown key with its suggestion.
    suggested = {r.loc[:-1] + (r.hint,) for r in reports if r.hint}
    reports = [r for r in reports if not (r.missing and r.loc in suggested)]
    reports.sort(key=lambda r: _sort_key(root, r.loc))
    unique: dict[str, _Report] = {}
    for report in reports:
        if origin is not None:
            report.loc, report.note = origin(report.loc)
        unique.setdefault(str(report), report)
    return list(unique.values())


def _sort_key(root: type[BaseModel], loc: Loc) -> tuple[int, ...]:
    """Order of a key path in the file: fields in model order, array items by index."""
    key: list[int] = []
    model: type[BaseModel] | None = root
    for part in loc:
        if isinstance(part, int):
            key.append(part)
            continue
        fields = list(model.model_fields) if model else []
        key.append(fields.index(part) if part in fields else len(fields))
        field = model.model_fields.get(part) if model else None
        model = _inner_model(field.annotation) if field else None
    return tuple(key)


def _walk(model: type[BaseModel], table: object, loc: Loc):
    """Yield (loc, model class, raw table) for every model table in ``table``."""
    if not isinstance(table, Mapping):
        return
    yield loc, model, table
    for name, field in model.model_fields.items():
        inner = _inner_model(field.annotation)
        if inner is None or name not in table:
            continue
        value = table[name]
        if isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                yield from _walk(inner, item, loc + (name, i))
        else:
            yield from _walk(inner, value, loc + (name,))


def _error(reports: list[_Report], file: str | None, what: str) -> ScenarioError:
    """One ScenarioError listing every problem."""
    problems = [str(r) for r in reports]
    if len(reports) == 1:
        message = problems[0]
    else:
        listing = "\n".join(f"  - {p}" for p in problems)
        message = f"{len(problems)} problems in the {what}:\n{listing}"
    error = ScenarioError(message, file=file, problems=problems)
    if len(reports) == 1:
        error.path = reports[0].path or None
        error.value = None if reports[0].value is _MISSING else reports[0].value
    return error


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------

def _deep_merge(base: Mapping, extra: Mapping) -> dict:
    """``base`` with the values of ``extra``; tables are merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), BaseModel):
            merged[key] = _deep_merge(merged[key].model_dump(), value)
        else:
            merged[key] = value
    return merged


def scenario_from_dict(data: Mapping[str, Any], *, base_dir: str | Path | None = None,
                       file: str | None = None) -> Scenario:
    """Validate a scenario given as nested tables (the parsed TOML).

    Parameters
    ----------
    data
        The scenario's keys, as in the TOML file; ``breed`` may be a bundled breed name,
        a path relative to ``base_dir``, a table or a :class:`Breed`; ``breed_overrides``
        is merged over the breed.
    base_dir
        Directory against which a relative breed path is resolved (default: the current
        directory).
    file
        File name to show in error messages.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with its key path, value and expectation.
    """
    context: dict[str, Any] = {"base_dir": base_dir}
    try:
        return Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        overrides = data.get("breed_overrides") if isinstance(data, Mapping) else None
        breed_file = context.get("breed_file")
        inline_breed = isinstance(data, Mapping) and isinstance(data.get("breed"), Mapping)

        def origin(loc: Loc) -> tuple[Loc, str]:
            if len(loc) > 1 and loc[0] == "breed":
                if isinstance(overrides, Mapping) and _has_path(overrides, loc[1:]):
                    return ("breed_overrides",) + loc[1:], ""
                if breed_file is not None and not inline_breed:
                    return loc, f" (in breed file {breed_file})"
            return loc, ""

        reports = _collect_problems(exc, Scenario, data, origin)
    raise _error(reports, file, "scenario") from None


def load_scenario(source: str | Path) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    source
        Path of a TOML scenario file, or the name of a bundled scenario (see
        :func:`bundled_scenarios`), e.g. ``"nampo"``.

    Raises
    ------
    ScenarioError
        If the file is missing or unreadable, is not valid TOML (the message gives line
        and column), or describes an invalid scenario (every problem is listed).
    """
    path = Path(source)
    if path.is_file():
        shown = str(source)
    elif isinstance(source, str) and not _looks_like_path(source) and source in bundled_scenarios():
        path = bundled_scenario_path(source)
        shown = str(path)
    else:
        names = bundled_scenarios()
        if isinstance(source, str) and not _looks_like_path(source):
            raise ScenarioError(_unknown_name_message(
                "scenario", source, names,
                "a bundled scenario name or the path of a scenario file"), value=source)
        raise ScenarioError(
            f"scenario file not found; expected a TOML file or a bundled scenario name "
            f"({', '.join(names)})", file=str(source), value=str(source))
    data = _read_toml(path, shown)
    return scenario_from_dict(data, base_dir=path.parent, file=shown)


def validate_file(path: str | Path) -> Scenario:
    """Validate a scenario file (or bundled scenario name) and return the scenario.

    This is what ``capra scenario validate`` runs: a :class:`~capra.errors.ScenarioError`
    lists every problem; no exception means the scenario is valid.
    """
    return load_scenario(path)


def load_breed(name_or_path: str | Path) -> Breed:
    """Load breed parameters from a bundled breed name (``"saanen"``) or a TOML file.

    Raises
    ------
    ScenarioError
        If the breed is unknown, the file is not valid TOML or a value is invalid.
    """
    source = str(name_or_path)
    if isinstance(name_or_path, Path) or Path(source).is_file():
        path = Path(source)
        if not path.is_file():
            raise ScenarioError("breed file not found; expected a TOML file or a bundled "
                                f"breed name ({', '.join(bundled_breeds())})", file=source)
        table, shown = _read_toml(path, source), source
    else:
        table, path = _read_breed_table(source, None)
        shown = str(path)
    try:
        return Breed.model_validate(table)
    except ValidationError as exc:
        reports = _collect_problems(exc, Breed, table)
    raise _error(reports, shown, "breed file") from None


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="python", exclude_none=True)


def _difference(base: Mapping, new: Mapping) -> dict[str, Any]:
    """The values of ``new`` that differ from ``base`` (tables compared key by key)."""
    diff: dict[str, Any] = {}
    for key, value in new.items():
        old = base.get(key, _MISSING)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            sub = _difference(old, value)
            if sub:
                diff[key] = sub
        elif old != value or type(old) is not type(value):
            diff[key] = value
    return diff


def _breed_entry(breed: Breed) -> tuple[Any, dict[str, Any] | None]:
    """``breed`` as written in a scenario: bundled name plus overrides, or a table."""
    for name in bundled_breeds():
        try:
            bundled = load_breed(name)
        except ScenarioError:
            continue
        if bundled.name == breed.name:
            diff = _difference(_dump(bundled), _dump(breed))
            return name, diff or None
    return _dump(breed), None


def _toml_value(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


def _is_table_array(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and bool(value) and all(
        isinstance(v, Mapping) for v in value)


def _emit(table: Mapping[str, Any], prefix: str, lines: list[str],
          header: str | None = None) -> None:
    """Append ``table`` as TOML lines: its values, then its tables and arrays of tables."""
    values = [(k, v) for k, v in table.items()
              if not isinstance(v, Mapping) and not _is_table_array(v)]
    if header is not None and (values or len(values) == len(table) or header.startswith("[[")):
        lines.extend(["", header])  # a table holding only tables needs no header line
    lines.extend(f"{key} = {_toml_value(value)}" for key, value in values)
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            _emit(value, name, lines, f"[{name}]")
        elif _is_table_array(value):
            for item in value:
                _emit(item, name, lines, f"[[{name}]]")


def scenario_to_toml(scenario: Scenario) -> str:
    """The scenario as TOML text that :func:`load_scenario` reads back to an equal scenario.

    A breed equal to a bundled breed is written by name, with the values that differ in
    ``[breed_overrides]``; any other breed is written as an inline ``[breed]`` table.
    """
    data = _dump(scenario)
    breed, overrides = _breed_entry(scenario.breed)
    data["breed"] = breed
    if overrides:
        data["breed_overrides"] = overrides
    lines = [f"# Capra scenario {_show(scenario.name)}.", ""]
    _emit(data, "", lines)
    if len(lines) > 2 and lines[2] == "":
        del lines[2]
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # the writer only produces valid TOML; fail loudly otherwise
    return text


def save_scenario(scenario: Scenario, path: str | Path) -> Path:
    """Write the scenario as TOML to ``path``; returns the path."""
    path = Path(path)
    try:
        path.write_text(scenario_to_toml(scenario), encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot write: {exc.strerror}", file=str(path)) from None
    return path
