"""The health section of a scenario: testing in quarantine, transport, outbreaks and
abortion storms, heat stress (``[health]``); and the breeding-stock policy
(``[policy.bucks]``): bucks bred on the farm or bought in, and their rotation between
farms.

Every effect defaults to none, so a scenario without ``[health]`` simulates exactly as
before. Numbers we are unsure of may be given as distributions
(:mod:`capra.scenario.uncertain`). The simulator's side is :mod:`capra.herd.health` and
:mod:`capra.herd.bucks`; the model is stated in ``docs/herd-model.md``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, Strict

from capra.scenario.fields import (
    Bool,
    MonthDay,
    Name,
    Probability,
    Problem,
    Text,
    _floats,
    _get,
    _ints,
    _items,
    _Model,
    _problem,
    _range,
    _show,
    _too_many,
)
from capra.scenario.limits import MAX_AGE_MONTHS, MAX_QUARANTINE_DAYS
from capra.scenario.uncertain import uncertain

__all__ = ["BuckPolicy", "Health", "HeatStress", "Outbreak", "QuarantineTest",
           "health_problems"]

#: Most diseases tested in quarantine: the herd state keeps each animal's infections as
#: bits of one byte. [-]
MAX_TESTS = 8
#: Most kinds of outbreak. [-]
MAX_OUTBREAKS = 50
#: Longest outbreak: ten years. [days]
MAX_OUTBREAK_DAYS = 3650

Month = Annotated[int, Strict(), _range(1, 12, kind="an integer")]


def _unique(values: list, key: str, what: str) -> list[Problem]:
    seen: dict[object, int] = {}
    problems = []
    for i, v in enumerate(values):
        if not isinstance(v, int) or isinstance(v, bool):
            continue                 # a value of the wrong type is reported by validation
        if v in seen:
            problems.append(_problem((key, i), v, f"listed twice (also {key}[{seen[v]}]); "
                                                  f"expected each {what} once"))
        seen.setdefault(v, i)
    return problems


class QuarantineTest(_Model):
    """A disease the arriving animals are tested for while in quarantine."""

    disease: Name
    """Disease, e.g. ``"brucellosis"``, unique in ``[health]``. [-]"""
    test: Text = ""
    """The test used, e.g. ``"Rose Bengal, positives confirmed by CFT"``. [-]"""
    prevalence: uncertain(Probability)
    """Fraction of the arriving animals that are infected (of the origin herds; the
    exporter's records or certificate should give it). [fraction]"""
    sensitivity: uncertain(Probability)
    """Probability that the test finds an infected animal (each test day on its own).
    [fraction]"""
    specificity: uncertain(Probability)
    """Probability that the test clears an animal that is not infected. [fraction]"""
    test_days: Annotated[tuple[_ints(0, MAX_QUARANTINE_DAYS), ...], Field(min_length=1)] = (0,)
    """Days after arrival on which the animals in quarantine are tested (0: the day of
    arrival); each inside the longest quarantine, a batch being tested on the days inside
    its own. [days]"""
    cull_reactors: Bool = True
    """Animals that test positive are culled (false: they are kept, only counted). [-]"""
    milk_loss: uncertain(Probability) = 0.0
    """Fraction of her milk an infected doe does not give, for life. [fraction]"""
    outbreak: Name | None = None
    """Name of the ``[[health.outbreaks]]`` an infected animal that reaches a farm may
    start there. [-]"""
    introduction_risk: uncertain(Probability) = 0.0
    """Probability that one infected animal reaching a farm starts that outbreak there (at
    the first day the outbreak can start). [fraction per animal]"""
    source: Text = ""
    """Where the numbers come from. [-]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        problems = _unique(_items(data, "test_days"), "test_days", "day")
        risk = _get(data, "introduction_risk", object)
        if risk not in (None, 0, 0.0) and _get(data, "outbreak", str) is None:
            problems.append(_problem(("introduction_risk",), risk,
                                     "given without an outbreak; expected outbreak = the "
                                     "name of the [[health.outbreaks]] it starts"))
        return problems


class Outbreak(_Model):
    """A kind of disease outbreak or abortion storm: a rare event on a farm."""

    name: Name
    """Name, unique in ``[health]``, e.g. ``"abortion storm"``. [-]"""
    probability_per_farm_year: uncertain(Probability) = 0.0
    """Probability that it starts on a given farm in a given year (0: only brought in by
    an infected animal, see ``[[health.tests]]``). [fraction per farm and year]"""
    duration_days: _ints(1, MAX_OUTBREAK_DAYS)
    """How long it lasts on the farm. [days]"""
    months: Annotated[tuple[Month, ...], Field(min_length=1)] = tuple(range(1, 13))
    """Calendar months in which it can start (1-12; default all). [-]"""
    abortion_risk: uncertain(Probability) = 0.0
    """Fraction of the farm's pregnancies (past the 30th day) that abort while it lasts.
    [fraction]"""
    mortality: uncertain(Probability) = 0.0
    """Fraction of the farm's animals that die of it while it lasts. [fraction]"""
    milk_loss: uncertain(Probability) = 0.0
    """Fraction of the farm's milk lost while it lasts. [fraction]"""
    source: Text = ""
    """Where the numbers come from. [-]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        return _unique(_items(data, "months"), "months", "month")


class HeatStress(_Model):
    """Hot months: less milk and lower conception."""

    months: Annotated[tuple[Month, ...], Field(min_length=1)] = (7, 8)
    """Calendar months of heat stress (1-12). [-]"""
    milk_factor: uncertain(_floats(0, 1)) = 1.0
    """Milk of every doe in those months, relative to her yield without heat stress. [-]"""
    conception_factor: uncertain(_floats(0, 1)) = 1.0
    """Probability of conception in those months, relative to that without heat stress.
    [-]"""
    source: Text = ""
    """Where the numbers come from. [-]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        return _unique(_items(data, "months"), "months", "month")


class Health(_Model):
    """What can go wrong: infected animals arriving, transport, outbreaks, heat."""

    tests: tuple[QuarantineTest, ...] = ()
    """Diseases tested for in quarantine, ``[[health.tests]]``. [-]"""
    outbreaks: tuple[Outbreak, ...] = ()
    """Kinds of outbreak and abortion storm, ``[[health.outbreaks]]``. [-]"""
    heat_stress: HeatStress = Field(default_factory=HeatStress)
    """Heat stress, ``[health.heat_stress]`` (default: none). [-]"""
    transport_death_risk_per_day: uncertain(Probability) = 0.0
    """Probability that an animal dies on each day of its journey from the arrival place
    to the farms (a batch's ``transit_days``). [fraction per day]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        tests, outbreaks = _items(data, "tests"), _items(data, "outbreaks")
        problems = _too_many(tests, "tests", MAX_TESTS)
        problems += _too_many(outbreaks, "outbreaks", MAX_OUTBREAKS)
        names = [_get(o, "name", str) for o in outbreaks]
        seen: dict[str, int] = {}
        for i, name in enumerate(names):
            if name is None:
                continue
            if name in seen:
                problems.append(_problem(("outbreaks", i, "name"), name,
                                         f"duplicate outbreak name (also outbreaks"
                                         f"[{seen[name]}].name); expected unique names"))
            seen.setdefault(name, i)
        diseases: dict[str, int] = {}
        for i, test in enumerate(tests):
            disease = _get(test, "disease", str)
            if disease is not None:
                if disease in diseases:
                    problems.append(_problem(("tests", i, "disease"), disease,
                                             f"duplicate disease (also tests"
                                             f"[{diseases[disease]}].disease); expected "
                                             "each disease once"))
                diseases.setdefault(disease, i)
            link = _get(test, "outbreak", str)
            if link is not None and link not in seen:
                known = ", ".join(_show(n) for n in seen) or "none defined"
                problems.append(_problem(("tests", i, "outbreak"), link,
                                         f"no [[health.outbreaks]] named so; expected one "
                                         f"of {known}"))
        return problems


class BuckPolicy(_Model):
    """Where the breeding bucks come from, and whether they move between farms."""

    source: Literal["own", "bought"] = "own"
    """``"own"``: male kids are kept as bucks while a farm needs them; ``"bought"``: no
    male kid is kept, the bucks a farm needs are bought in once a year. [-]"""
    purchase_date: MonthDay = "07-01"
    """Day of the year the bought bucks arrive (``"MM-DD"``; with ``source = "bought"``).
    [month-day]"""
    purchase_age_months: _floats(0, MAX_AGE_MONTHS) = 12.0
    """Age of the bought bucks on arrival. [months]"""
    rotation: Bool = False
    """Every year on ``rotation_date`` each farm's bucks move to the next farm of the
    scenario's list (the last farm's to the first). [-]"""
    rotation_date: MonthDay = "07-15"
    """Day of the year the bucks rotate (``"MM-DD"``), before the breeding season.
    [month-day]"""


def health_problems(data: object) -> list[Problem]:
    """Problems between ``[health]`` and the batches (a model or a raw table): every test
    day inside the quarantine of some batch (a batch with a shorter quarantine is tested on
    the test days inside its own)."""
    problems: list[Problem] = []
    health = _get(data, "health", object)
    quarantines = [(i, b, _get(b, "quarantine_days", int))
                   for i, b in enumerate(_items(data, "batches"))]
    quarantines = [(i, b, q) for i, b, q in quarantines
                   if isinstance(q, int) and not isinstance(q, bool) and q > 0]
    if health is None or not quarantines:
        return problems
    index, longest, days = max(quarantines, key=lambda ibq: ibq[2])
    name = _get(longest, "name", str, f"batches[{index}]")
    for t, test in enumerate(_items(health, "tests")):
        for k, day in enumerate(_items(test, "test_days")):
            if isinstance(day, int) and not isinstance(day, bool) and day >= days:
                problems.append(_problem(("health", "tests", t, "test_days", k), day,
                                         f"after every quarantine (the longest: batch "
                                         f"{_show(name)}, {days} days); expected test days "
                                         f"from 0 to {days - 1}"))
    return problems
