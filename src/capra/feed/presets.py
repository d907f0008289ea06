"""Management presets: named, sourced levels of management as data.

A preset sets milk yield, conception, mortality, kid growth and feed quality for a level of
management ("intensive", "improved_smallholder", "low_input"). Every value carries its
source and is either a single value or a triangular distribution ``low <= mode <= high``
of what we do not know. The bundled presets live in
``capra/data/management/presets.toml``.

>>> preset = management_preset("low_input")
>>> preset.kid_mortality_to_weaning.point
0.26
>>> management_preset("intensive", overrides={"milk_yield_factor": 0.9}).milk_yield_factor.point
0.9
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from capra.errors import ScenarioError
from capra.feed import _checks
from capra.feed._checks import read_toml, validate

__all__ = ["Estimate", "ManagementPreset", "STANDARD_PRESETS", "bundled_presets_path",
           "load_presets", "management_preset"]

#: The presets every bundled presets file provides.
STANDARD_PRESETS = ("intensive", "improved_smallholder", "low_input")

#: Accepted range of each field, inclusive, and whether it is a whole number.
BOUNDS: dict[str, tuple[float, float, bool]] = {
    "milk_yield_factor": (0.0, 2.0, False),
    "conception_rate_per_cycle": (0.0, 1.0, False),
    "kid_mortality_to_weaning": (0.0, 1.0, False),
    "adult_female_mortality_per_year": (0.0, 1.0, False),
    "kid_growth_factor": (0.05, 3.0, False),
    "min_breeding_age_days": (60.0, 1500.0, True),
    "ration_me_mj_per_kg_dm": (3.0, 15.0, False),
    "ration_cp_pct_dm": (1.0, 40.0, False),
    "concentrate_share": (0.0, 1.0, False),
}

Number = Annotated[float, Field(allow_inf_nan=False)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Estimate(BaseModel):
    """A sourced value: ``value``, or ``low``, ``mode`` and ``high`` of a triangular
    distribution."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Number | None = None
    """The value, when it is given as a single number. [unit of the field]"""
    low: Number | None = None
    """Lowest plausible value. [unit of the field]"""
    mode: Number | None = None
    """Most likely value (the point value). [unit of the field]"""
    high: Number | None = None
    """Highest plausible value. [unit of the field]"""
    source: Source
    """Where the value comes from, or ``assumption: ...`` / ``derived: ...``. [-]"""

    @model_validator(mode="before")
    @classmethod
    def _numbers_only(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in ("value", "low", "mode", "high"):
                if isinstance(data.get(key), (bool, str)):
                    raise _checks.cross_problems(
                        [f"{key} = {data[key]!r}: not a number; expected a number"])
        return data

    @model_validator(mode="after")
    def _check(self):
        triple = (self.low, self.mode, self.high)
        if self.value is not None:
            if any(v is not None for v in triple):
                raise _checks.cross_problems(["value: give either value, or low, mode and "
                                              "high, not both"])
            return self
        missing = [k for k, v in zip(("low", "mode", "high"), triple) if v is None]
        if missing:
            raise _checks.cross_problems([f"{missing[0]}: missing; expected value, or low, "
                                          "mode and high"])
        if not self.low <= self.mode <= self.high:
            raise _checks.cross_problems([
                f"low = {self.low:g}, mode = {self.mode:g}, high = {self.high:g}: expected "
                "low <= mode <= high"])
        return self

    @property
    def point(self) -> float:
        """The point value: ``value`` or ``mode``. [unit of the field]"""
        return self.value if self.value is not None else self.mode

    @property
    def interval(self) -> tuple[float, float]:
        """``(low, high)``; ``(value, value)`` for a single value. [unit of the field]"""
        if self.value is not None:
            return self.value, self.value
        return self.low, self.high

    @property
    def uncertain(self) -> bool:
        """Whether the estimate has a spread (low < high)."""
        low, high = self.interval
        return high > low

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] | None = None):
        """Draws from the triangular distribution (the value itself when certain)."""
        if not self.uncertain:
            return np.full(size, self.point) if size is not None else self.point
        return rng.triangular(self.low, self.mode, self.high, size)


PresetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


class ManagementPreset(BaseModel):
    """One level of management. Each field is an :class:`Estimate` (see the data file's
    header for meanings and units)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    """What the level of management means on a farm. [-]"""
    milk_yield_factor: Estimate
    """Multiplier of the breed's lactation curves. [-]"""
    conception_rate_per_cycle: Estimate
    """Probability of conception per oestrous cycle mated. [-]"""
    kid_mortality_to_weaning: Estimate
    """Risk of death of a live-born kid before weaning. [-]"""
    adult_female_mortality_per_year: Estimate
    """Annual death risk of adult does (deaths, not culls). [-]"""
    kid_growth_factor: Estimate
    """Speed of growth relative to the breed's growth curve. [-]"""
    min_breeding_age_days: Estimate
    """Age at which doelings are first bred. [days]"""
    ration_me_mj_per_kg_dm: Estimate
    """ME concentration of the ration of adult goats. [MJ/kg DM]"""
    ration_cp_pct_dm: Estimate
    """Crude protein of that ration. [% of DM]"""
    concentrate_share: Estimate
    """Share of concentrate in the ration's dry matter. [-]"""

    @field_validator(*BOUNDS)
    @classmethod
    def _check_bounds(cls, estimate: Estimate, info: ValidationInfo) -> Estimate:
        lo, hi, whole = BOUNDS[info.field_name]
        kind = "a whole number" if whole else "a number"
        problems = []
        for key in ("value", "low", "mode", "high"):
            x = getattr(estimate, key)
            if x is None:
                continue
            if not lo <= x <= hi:
                problems.append(f"{key} = {x:g}: out of range; expected {kind} in "
                                f"[{lo:g}, {hi:g}]")
            elif whole and not float(x).is_integer():
                problems.append(f"{key} = {x:g}: expected a whole number")
        if problems:
            raise _checks.cross_problems(problems)
        return estimate

    def point_values(self) -> dict[str, float]:
        """``{field: point value}`` of every estimate."""
        return {name: getattr(self, name).point for name in BOUNDS}

    def sample(self, rng: np.random.Generator, size: int | None = None) -> dict[str, Any]:
        """``{field: draw(s)}`` from every estimate's distribution."""
        return {name: getattr(self, name).sample(rng, size) for name in BOUNDS}


class _PresetFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presets: dict[PresetName, ManagementPreset]


def bundled_presets_path() -> Path:
    """Path of the bundled presets file."""
    return Path(str(resources.files("capra") / "data" / "management" / "presets.toml"))


def load_presets(path: str | Path | None = None) -> dict[str, ManagementPreset]:
    """Read and validate a presets file (default: the bundled one).

    Raises
    ------
    ScenarioError
        Naming the file and listing every problem with its key path, e.g.
        ``low_input.kid_mortality_to_weaning: low = 0.3, mode = 0.26, high = 0.2: expected
        low <= mode <= high``.
    """
    if path is None:
        return dict(_bundled())
    return _load(Path(path))


@lru_cache(maxsize=1)
def _bundled() -> dict[str, ManagementPreset]:
    presets = _load(bundled_presets_path())
    missing = [name for name in STANDARD_PRESETS if name not in presets]
    if missing:
        raise ScenarioError(f"missing the standard preset(s) {', '.join(missing)}",
                            file=str(bundled_presets_path()))
    return presets


def _load(path: Path) -> dict[str, ManagementPreset]:
    data = read_toml(path)
    bad = [k for k in data if not re.fullmatch(r"[a-z][a-z0-9_]*", k)]
    if bad:
        raise ScenarioError(f"preset name {bad[0]!r}: expected lower-case letters, digits and "
                            "underscores, starting with a letter", file=str(path), path=bad[0])
    parsed = validate(_PresetFile, {"presets": data}, file=str(path), strip=1,
                      what="presets file")
    return dict(parsed.presets)


def management_preset(name: str, *, overrides: Mapping[str, Any] | None = None,
                      path: str | Path | None = None, where: str = "overrides"
                      ) -> ManagementPreset:
    """A preset by name, with single values overridden.

    Parameters
    ----------
    name
        Preset name, e.g. ``"improved_smallholder"``.
    overrides
        ``{field: number}`` (a certain value) or ``{field: {low, mode, high[, source]}}``;
        the source of an override defaults to ``"override"``.
    path
        Presets file (default: the bundled one).
    where
        Key path shown in error messages for the overrides (e.g.
        ``"management.overrides"`` when they come from a scenario).

    Raises
    ------
    ScenarioError
        An unknown preset (with the nearest name) or an invalid override (located).
    """
    presets = load_presets(path)
    shown = str(path or bundled_presets_path())
    if name not in presets:
        hint = _checks.suggest(name, presets)
        raise ScenarioError(
            f"no management preset named {name!r}; expected one of "
            f"{', '.join(presets)}" + (f"; did you mean {hint!r}?" if hint else ""),
            file=shown, value=name)
    preset = presets[name]
    if not overrides:
        return preset
    if not isinstance(overrides, Mapping):
        raise ScenarioError("expected a table of field = value", path=where, value=overrides)
    merged = preset.model_dump()
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            merged[key] = {"source": "override", **value}
        else:
            merged[key] = {"value": value, "source": "override"}
    return validate(ManagementPreset, merged, prefix=tuple(where.split(".")),
                    what="preset overrides")
