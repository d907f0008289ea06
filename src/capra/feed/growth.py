"""Body weight of goats by age and sex: the growth curve of a breed.

A breed's growth curve gives, per sex, measured (age, weight) points, each with its source,
and the mature weight. Up to the last point the weights are joined by a monotone cubic
(PCHIP: it never decreases between increasing points and its slope is continuous); after
it, by the Gompertz curve ``W(t) = A exp(-b exp(-k t))`` with ``A`` the mature weight,
``b = ln(A / W(0))`` and ``k`` such that the curve passes through the last point. A
``growth_rate_factor`` below 1 stretches the time axis: the animal goes through the same
weights, later (at 0.8, the weight of day 240 is reached on day 300).

>>> curve = load_growth_curve("saanen")
>>> round(curve.body_weight_kg(90, "female"), 2)
14.6
>>> curve.mature_weight_kg("male")
75.0
"""

from __future__ import annotations

import math
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from scipy.interpolate import PchipInterpolator

from capra import libm
from capra.feed import _checks
from capra.feed._checks import numbers, read_toml, validate

__all__ = ["GrowthCurve", "GrowthPoint", "SexGrowth", "bundled_growth_curves",
           "load_growth_curve"]

#: Oldest age accepted: 40 years, beyond any goat. [days]
MAX_AGE_DAYS = 40 * 365
#: Sexes of the growth functions; castrates follow the male curve.
GROWTH_SEXES = ("female", "male", "castrate")

Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Weight = Annotated[float, Field(gt=0, le=200, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GrowthPoint(_Frozen):
    """One measured point of a growth curve."""

    age_days: Annotated[float, Field(ge=0, le=MAX_AGE_DAYS, allow_inf_nan=False)]
    """Age. [days]"""
    weight_kg: Weight
    """Mean body weight at that age. [kg]"""
    source: Source
    """Where the value comes from (paper, table), or ``derived: ...`` / ``assumption: ...``."""


class SexGrowth(_Frozen):
    """The growth of one sex: measured points and mature weight."""

    mature_weight_kg: Weight
    """Mature body weight, approached by the Gompertz tail. [kg]"""
    mature_weight_source: Source
    """Where the mature weight comes from. [-]"""
    points: Annotated[tuple[GrowthPoint, ...], Field(min_length=2)]
    """Measured points by increasing age, the first at birth (age 0). [-]"""

    @model_validator(mode="after")
    def _check_points(self):
        points, problems = self.points, []
        if points[0].age_days != 0:
            problems.append(f"points[0].age_days = {points[0].age_days:g}: the first point "
                            "must be at birth (age_days = 0)")
        for i in range(1, len(points)):
            if points[i].age_days <= points[i - 1].age_days:
                problems.append(f"points[{i}].age_days = {points[i].age_days:g}: ages must "
                                f"increase (previous point: {points[i - 1].age_days:g})")
            if points[i].weight_kg < points[i - 1].weight_kg:
                problems.append(f"points[{i}].weight_kg = {points[i].weight_kg:g}: weights "
                                f"must not decrease with age (previous point: "
                                f"{points[i - 1].weight_kg:g})")
        if self.mature_weight_kg <= points[-1].weight_kg:
            problems.append(f"mature_weight_kg = {self.mature_weight_kg:g}: must exceed the "
                            f"weight of the last point ({points[-1].weight_kg:g} kg)")
        if problems:
            raise _checks.cross_problems(problems)
        return self

    @cached_property
    def _pchip(self) -> PchipInterpolator:
        return PchipInterpolator([p.age_days for p in self.points],
                                 [p.weight_kg for p in self.points], extrapolate=False)

    @cached_property
    def gompertz(self) -> tuple[float, float, float]:
        """``(A, b, k)`` of the tail ``A exp(-b exp(-k t))``. [kg, -, 1/day]"""
        a = self.mature_weight_kg
        b = math.log(a / self.points[0].weight_kg)
        last = self.points[-1]
        k = -math.log(math.log(a / last.weight_kg) / b) / last.age_days
        return a, b, k

    def weight(self, t: np.ndarray) -> np.ndarray:
        last = self.points[-1].age_days
        a, b, k = self.gompertz
        tail = a * libm.exp(-b * libm.exp(-k * t))
        return np.where(t <= last, self._pchip(np.minimum(t, last)), tail)

    def gain(self, t: np.ndarray) -> np.ndarray:
        """Slope of :meth:`weight`. [kg/day]"""
        last = self.points[-1].age_days
        a, b, k = self.gompertz
        tail = a * libm.exp(-b * libm.exp(-k * t)) * b * k * libm.exp(-k * t)
        return np.where(t < last, self._pchip(np.minimum(t, last), 1), tail)


class GrowthCurve(_Frozen):
    """Body weight by age of the females and males of a breed (the ``[growth]`` table of a
    breed file)."""

    description: str = ""
    """What the curve describes (breed, feeding). [-]"""
    female: SexGrowth
    """Growth of females. [-]"""
    male: SexGrowth
    """Growth of males (castrates follow it). [-]"""

    def birth_weight_kg(self, sex: str = "female") -> float:
        """Weight at birth. [kg]"""
        return getattr(self, _curve_sex(sex)).points[0].weight_kg

    def mature_weight_kg(self, sex: str = "female") -> float:
        """Mature weight. [kg]"""
        return getattr(self, _curve_sex(sex)).mature_weight_kg

    def _evaluate(self, age_days, sex, growth_rate_factor, slope: bool):
        age = numbers(age_days, "age_days", lo=0, hi=MAX_AGE_DAYS, unit="days")
        sexes = _checks.codes(sex, "sex", GROWTH_SEXES)
        factor = numbers(growth_rate_factor, "growth_rate_factor", lo=0, hi=3, lo_open=True)
        age, sexes, factor = _checks.broadcast(
            {"age_days": age, "sex": sexes, "growth_rate_factor": factor})
        out = np.empty(age.shape)
        for code, name in enumerate(("female", "male")):
            mask = (sexes == code) | ((sexes == GROWTH_SEXES.index("castrate")) & (name == "male"))
            if np.any(mask):
                growth = getattr(self, name)
                t = age[mask] * factor[mask]
                out[mask] = growth.gain(t) * factor[mask] if slope else growth.weight(t)
        return _checks.scalar_or_array(out)

    def body_weight_kg(self, age_days, sex="female", growth_rate_factor=1.0):
        """Mean body weight at an age.

        Parameters
        ----------
        age_days
            Age. [days]
        sex
            ``"female"``, ``"male"`` or ``"castrate"`` (male curve). [-]
        growth_rate_factor
            Speed of growth relative to the curve (1 = the curve; 0.8 = the same weights
            at ages 1/0.8 times greater). [-]

        Returns
        -------
        Body weight. [kg]
        """
        return self._evaluate(age_days, sex, growth_rate_factor, slope=False)

    def daily_gain_g(self, age_days, sex="female", growth_rate_factor=1.0):
        """Mean daily gain at an age (the slope of the curve).

        Parameters are those of :meth:`body_weight_kg`.

        Returns
        -------
        Daily gain. [g/day]
        """
        return self._evaluate(age_days, sex, growth_rate_factor, slope=True) * 1000.0


def _curve_sex(sex: str) -> str:
    name = GROWTH_SEXES[int(_checks.codes(sex, "sex", GROWTH_SEXES))]
    return "male" if name == "castrate" else name


def _growth_dir() -> Path:
    return Path(str(resources.files("capra") / "data" / "feed" / "growth"))


def bundled_growth_curves() -> list[str]:
    """Breeds with a bundled growth curve, e.g. ``["saanen"]``."""
    return sorted(p.stem for p in _growth_dir().glob("*.toml"))


def load_growth_curve(breed_or_path: str | Path = "saanen") -> GrowthCurve:
    """Read the ``[growth]`` table of a bundled breed or of a TOML file.

    Raises
    ------
    ScenarioError
        An unknown breed, a missing ``[growth]`` table, or invalid points (naming the file
        and the key path, e.g. ``growth.female[3].weight_kg``).
    """
    text = str(breed_or_path)
    if isinstance(breed_or_path, Path) or text.endswith(".toml") or "/" in text:
        return _load(Path(text))
    if text not in bundled_growth_curves():
        from capra.errors import ScenarioError
        hint = _checks.suggest(text, bundled_growth_curves())
        raise ScenarioError(f"no bundled growth curve for breed {text!r}; bundled: "
                            f"{', '.join(bundled_growth_curves())}"
                            + (f"; did you mean {hint!r}?" if hint else ""))
    return _bundled(text)


@lru_cache(maxsize=8)
def _bundled(breed: str) -> GrowthCurve:
    return _load(_growth_dir() / f"{breed}.toml")


def _load(path: Path) -> GrowthCurve:
    data = read_toml(path)
    if "growth" not in data:
        from capra.errors import ScenarioError
        raise ScenarioError("missing the [growth] table (body weight by age and sex)",
                            file=str(path), path="growth")
    return validate(GrowthCurve, data["growth"], file=str(path), prefix=("growth",),
                    what="growth curve")
