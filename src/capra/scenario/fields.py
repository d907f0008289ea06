"""Building blocks of the scenario models: value display, validators, field types, the
tolerant access used by cross-field checks, and the base model.

A cross-field check runs on a validated model *and* on the raw TOML table of a model
whose fields failed (so that one report lists every problem of a file): it reads values
through :func:`_get`, which skips values of the wrong type instead of failing.
"""

from __future__ import annotations

import calendar
import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Strict,
    model_validator,
)
from pydantic_core import PydanticCustomError

from capra.scenario.limits import (
    DATE_RANGE,
    MAX_ANIMAL_DAYS,
    MAX_CHILDREN,
    MAX_FLOW_KG_PER_DAY,
    MAX_HORIZON_DAYS,
    MAX_STOCK_KG,
    SUM_TOLERANCE,
)

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


def _key_path(loc: Sequence[str | int]) -> str:
    """``batches[1].animals[0].count`` for ``("batches", 1, "animals", 0, "count")``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --------------------------------------------------------------------------------------
# Base model
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
