"""Numbers of a scenario that carry a distribution of what we do not know.

A value we are unsure of is written as a table instead of a number::

    conception_rate_per_cycle = { low = 0.45, mode = 0.60, high = 0.70, source = "..." }

- ``{ low, mode, high }``: triangular distribution (``mode`` is the point value);
- ``{ low, high }``: uniform distribution (point value: the midpoint);
- ``{ alpha, beta }``: beta distribution on [0, 1], or on ``[low, high]`` when both are
  given (point value: the mean).

``distribution = "triangular" | "uniform" | "beta"`` may name the kind (it is otherwise
read from the keys), ``source`` says where the numbers come from, and ``together = "name"``
makes every value with the same name move together (one random quantile drawn for all of
them, e.g. the yields of the three parity classes). Every number of the table is checked
against the bounds of the field, so a distribution cannot reach a value the field refuses.

After validation the field holds an :class:`UncertainValue`: a ``float`` equal to the point
value, which every computation that does not know about uncertainty uses as before, and
which carries its :class:`Distribution`. The herd simulator draws one value per replicate
(:mod:`capra.herd.uncertainty`). Only the fields whose type is :func:`uncertain` accept a
table; ``docs/scenario.md`` lists them.

>>> d = Distribution.from_table({"low": 0.5, "mode": 0.6, "high": 0.8})
>>> d.kind, d.point, round(d.mean, 4)
('triangular', 0.6, 0.6333)
>>> float(d.ppf(0.0)), float(d.ppf(1.0))
(0.5, 0.8)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from pydantic import PlainSerializer, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from capra.scenario.fields import (
    _CROSS_TYPE,
    _ERROR_TYPE,
    _MISSING,
    _fmt_number,
    _problem,
    _toml_type,
)

__all__ = ["DISTRIBUTION_KEYS", "Distribution", "UncertainValue", "is_distribution_table",
           "uncertain"]

#: The kinds of distribution and the numbers each needs.
KINDS: dict[str, tuple[str, ...]] = {
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "beta": ("alpha", "beta"),
}
#: Every key a distribution table may have.
DISTRIBUTION_KEYS = ("distribution", "low", "mode", "high", "alpha", "beta", "source",
                     "together")
_NUMBER_KEYS = ("low", "mode", "high", "alpha", "beta")
#: Largest beta shape parameter: beyond it the distribution is a spike (sd below 0.0002
#: on [0, 1]); a value that certain is better written as a number. [-]
MAX_BETA_SHAPE = 1e6


@dataclass(frozen=True)
class Distribution:
    """A distribution of an uncertain scenario value.

    Attributes are in the unit of the field. ``low``/``high`` bound every kind (for a beta
    without them: 0 and 1).
    """

    kind: str
    low: float
    high: float
    mode: float | None = None
    alpha: float | None = None
    beta: float | None = None
    source: str = ""
    together: str = ""

    # ---- construction ----------------------------------------------------------------

    @staticmethod
    def kind_of(table: Mapping) -> str:
        """The kind a table describes: its ``distribution`` key, else read from the keys
        (``alpha``/``beta``: beta; ``mode``: triangular; otherwise uniform)."""
        named = table.get("distribution")
        if isinstance(named, str) and named in KINDS:
            return named
        if "alpha" in table or "beta" in table:
            return "beta"
        return "triangular" if "mode" in table else "uniform"

    @classmethod
    def from_table(cls, table: Mapping) -> Distribution:
        """A distribution from a table already checked by :func:`uncertain` (or known
        good)."""
        kind = cls.kind_of(table)
        get = (lambda k, d=None: float(table[k]) if k in table else d)
        return cls(kind=kind, low=get("low", 0.0), high=get("high", 1.0), mode=get("mode"),
                   alpha=get("alpha"), beta=get("beta"), source=str(table.get("source", "")),
                   together=str(table.get("together", "")))

    def to_table(self) -> dict[str, Any]:
        """The table as written in a scenario file."""
        out: dict[str, Any] = {}
        if self.kind == "beta":
            out.update(alpha=self.alpha, beta=self.beta)
            if (self.low, self.high) != (0.0, 1.0):
                out.update(low=self.low, high=self.high)
        elif self.kind == "triangular":
            out.update(low=self.low, mode=self.mode, high=self.high)
        else:
            out.update(low=self.low, high=self.high)
        if self.kind == "beta" and "low" in out or self.kind == "uniform":
            out = {"distribution": self.kind, **out}
        if self.source:
            out["source"] = self.source
        if self.together:
            out["together"] = self.together
        return out

    # ---- properties --------------------------------------------------------------------

    @property
    def point(self) -> float:
        """The value used when uncertainty is off: the mode of a triangular, the midpoint
        of a uniform, the mean of a beta."""
        if self.kind == "triangular":
            return float(self.mode)
        return self.mean

    @property
    def mean(self) -> float:
        """Mean of the distribution."""
        if self.kind == "triangular":
            return (self.low + self.mode + self.high) / 3.0
        if self.kind == "uniform":
            return (self.low + self.high) / 2.0
        return self.low + (self.high - self.low) * self.alpha / (self.alpha + self.beta)

    @property
    def variance(self) -> float:
        """Variance of the distribution. [unit²]"""
        a, b = self.low, self.high
        if self.kind == "triangular":
            c = self.mode
            return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0
        if self.kind == "uniform":
            return (b - a) ** 2 / 12.0
        s = self.alpha + self.beta
        return (b - a) ** 2 * self.alpha * self.beta / (s * s * (s + 1.0))

    @property
    def uncertain(self) -> bool:
        """Whether the distribution has a spread."""
        return self.high > self.low

    def describe(self) -> str:
        """Short text, e.g. ``triangular(0.45, 0.6, 0.7)``."""
        n = _fmt_number
        if self.kind == "triangular":
            return f"triangular({n(self.low)}, {n(self.mode)}, {n(self.high)})"
        if self.kind == "uniform":
            return f"uniform({n(self.low)}, {n(self.high)})"
        bounds = "" if (self.low, self.high) == (0.0, 1.0) else \
            f" on [{n(self.low)}, {n(self.high)}]"
        return f"beta({n(self.alpha)}, {n(self.beta)}){bounds}"

    # ---- distribution functions --------------------------------------------------------

    def ppf(self, u) -> np.ndarray:
        """Quantile function: the value below which a fraction ``u`` of the distribution
        lies (``u`` uniform on [0, 1] gives draws of the distribution)."""
        u = np.asarray(u, dtype=float)
        a, b = self.low, self.high
        if not self.uncertain:
            return np.full(u.shape, self.point)
        if self.kind == "uniform":
            return a + u * (b - a)
        if self.kind == "triangular":
            c = self.mode
            fc = (c - a) / (b - a)
            lower = a + np.sqrt(u * (b - a) * (c - a))
            upper = b - np.sqrt((1.0 - u) * (b - a) * (b - c))
            return np.where(u < fc, lower, upper)
        from scipy.special import betaincinv

        return a + (b - a) * betaincinv(self.alpha, self.beta, u)

    def cdf(self, x) -> np.ndarray:
        """Cumulative distribution function."""
        x = np.asarray(x, dtype=float)
        a, b = self.low, self.high
        if not self.uncertain:
            return (x >= self.point).astype(float)
        z = np.clip(x, a, b)
        if self.kind == "uniform":
            return (z - a) / (b - a)
        if self.kind == "triangular":
            c = self.mode
            with np.errstate(divide="ignore", invalid="ignore"):
                lower = np.where(c > a, (z - a) ** 2 / ((b - a) * (c - a)), 1.0)
                upper = np.where(b > c, 1.0 - (b - z) ** 2 / ((b - a) * (b - c)), 1.0)
            return np.where(z <= c, np.where(z <= a, 0.0, lower), upper)
        from scipy.special import betainc

        return betainc(self.alpha, self.beta, (z - a) / (b - a))


class UncertainValue(float):
    """A scenario number with a distribution: the ``float`` is the point value
    (:attr:`Distribution.point`), ``distribution`` the :class:`Distribution`."""

    distribution: Distribution

    def __new__(cls, distribution: Distribution) -> UncertainValue:
        obj = super().__new__(cls, distribution.point)
        obj.distribution = distribution
        return obj

    def __reduce__(self):
        return UncertainValue, (self.distribution,)

    def __repr__(self) -> str:
        # shown in messages as the number used when uncertainty is off
        return float.__repr__(self)

    __str__ = __repr__


def is_distribution_table(value: object) -> bool:
    """Whether ``value`` is a table that describes a distribution (its keys are
    distribution keys, at least one a number of a distribution)."""
    return (isinstance(value, Mapping) and bool(value)
            and all(isinstance(k, str) and k in DISTRIBUTION_KEYS for k in value)
            and any(k in value for k in _NUMBER_KEYS))


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------

def _message(exc: ValidationError, value: object) -> str:
    error = exc.errors()[0]
    if error["type"] == _ERROR_TYPE:
        return (error.get("ctx") or {}).get("msg", error["msg"])
    return f"wrong type ({_toml_type(value)}); expected a number"


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _table_problems(table: Mapping, handler) -> list:
    """Every problem of a distribution table, each located at its key."""
    problems = []
    expected = ("expected low, mode, high (triangular); low, high (uniform); or alpha, "
                "beta (beta), with source and together")
    for key in table:
        if key not in DISTRIBUTION_KEYS:
            problems.append(_problem((key,), _MISSING,
                                     f"unknown key in a distribution; {expected}"))
    named = table.get("distribution", _MISSING)
    if named is not _MISSING and named not in KINDS:
        problems.append(_problem(("distribution",), named,
                                 f"unknown distribution; expected one of "
                                 f"{', '.join(repr(k) for k in KINDS)}"))
        return problems
    kind = Distribution.kind_of(table)
    needed = KINDS[kind]
    # problems of keys that are missing are reported on the table itself (the key has no
    # place in the file to point at)
    for key in needed:
        if key not in table:
            problems.append(_problem((), _MISSING,
                                     f"{key} missing; a {kind} distribution needs "
                                     f"{', '.join(needed)}"))
    for key in _NUMBER_KEYS:
        if key in table and key not in needed and not (kind == "beta" and key in ("low",
                                                                                  "high")):
            problems.append(_problem((key,), table[key],
                                     f"not used by a {kind} distribution (it takes "
                                     f"{', '.join(needed)}"
                                     + ("; low and high bound a beta" if kind == "beta"
                                        else "") + ")"))
    valid: dict[str, float] = {}
    for key in ("low", "mode", "high"):
        if key in table and (key in needed or kind == "beta"):
            try:
                valid[key] = float(handler(table[key]))
            except ValidationError as exc:
                problems.append(_problem((key,), table[key], _message(exc, table[key])))
    for key in ("alpha", "beta"):
        if key in table and kind == "beta":
            v = table[key]
            if not _is_number(v):
                problems.append(_problem((key,), v, f"wrong type ({_toml_type(v)}); "
                                                    "expected a number"))
            elif not (math.isfinite(v) and 0 < v <= MAX_BETA_SHAPE):
                problems.append(_problem((key,), v, "out of range; expected a number in "
                                         f"(0, {_fmt_number(MAX_BETA_SHAPE)}]"))
    if kind == "beta" and ("low" in table) != ("high" in table):
        missing = "high" if "low" in table else "low"
        problems.append(_problem((), _MISSING,
                                 f"{missing} missing; a beta distribution takes both low and "
                                 "high (its bounds) or neither (bounds 0 and 1)"))
    low, mode, high = valid.get("low"), valid.get("mode"), valid.get("high")
    if low is not None and high is not None and low > high:
        problems.append(_problem(("low",), low, f"above high = {_fmt_number(high)}; expected "
                                 + ("low ≤ mode ≤ high" if kind == "triangular"
                                    else "low ≤ high")))
    elif mode is not None and low is not None and mode < low:
        problems.append(_problem(("mode",), mode, f"below low = {_fmt_number(low)}; "
                                 "expected low ≤ mode ≤ high"))
    elif mode is not None and high is not None and mode > high:
        problems.append(_problem(("mode",), mode, f"above high = {_fmt_number(high)}; "
                                 "expected low ≤ mode ≤ high"))
    if kind == "beta" and "low" not in table and not problems:
        # a beta on [0, 1]: the field must accept every value of [0, 1]
        for key, bound in (("low", 0.0), ("high", 1.0)):
            try:
                handler(bound)
            except ValidationError as exc:
                problems.append(_problem((), _MISSING,
                                         f"a beta without low and high lies on [0, 1], "
                                         f"but {_fmt_number(bound)} is refused here "
                                         f"({_message(exc, bound)}); give low and high"))
                break
    for key in ("source", "together"):
        if key in table and not isinstance(table[key], str):
            problems.append(_problem((key,), table[key],
                                     f"wrong type ({_toml_type(table[key])}); expected a "
                                     "string"))
    if isinstance(table.get("together"), str) and not table["together"].strip():
        problems.append(_problem(("together",), table["together"],
                                 "empty; expected the name shared by the values that move "
                                 "together"))
    return problems


def _validate(value: Any, handler) -> Any:
    if isinstance(value, UncertainValue):
        handler(float(value))
        return value
    if not isinstance(value, Mapping):
        return handler(value)
    problems = _table_problems(value, handler)
    if problems:
        raise PydanticCustomError(_CROSS_TYPE, "{msg}", {
            "msg": "; ".join(m for _, _, m in problems), "problems": problems})
    return UncertainValue(Distribution.from_table(value))


def _serialize(value: Any) -> Any:
    if isinstance(value, UncertainValue):
        return value.distribution.to_table()
    return value


def uncertain(number_type: Any) -> Any:
    """The field type ``number_type`` (a bounded float) that also accepts a distribution
    table; the bounds apply to every number of the table."""
    return Annotated[number_type, WrapValidator(_validate),
                     PlainSerializer(_serialize)]
