"""How goats respond to a shortage of feed energy, and how kids are reared: the sourced
coefficients the herd simulation uses (``capra/data/feed/responses.toml`` and
``capra/data/feed/kid_rearing.toml``).

Each value is an :class:`~capra.feed.presets.Estimate`: a single ``value`` or a triangular
``low``, ``mode``, ``high``, with its ``source``; the simulation uses the point value. The
rules that use them are stated in ``docs/herd-model.md`` ("Feed").

>>> responses().conception.factor_without_feed.point
0.5
>>> kid_rearing().methods["milk_replacer"].milk_from_tank
False
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources as _resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from capra.feed import _checks
from capra.feed._checks import read_toml, validate
from capra.feed.presets import Estimate

__all__ = ["KID_REARING_METHODS", "KidRearingData", "RearingMethod", "Responses",
           "kid_rearing", "load_kid_rearing", "load_responses", "responses"]

#: The kid-rearing methods every kid-rearing file describes.
KID_REARING_METHODS = ("pooled_pasteurised", "pooled_raw", "dam", "milk_replacer")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


def _within(lo: float, hi: float):
    """A validator: every number of an estimate in ``[lo, hi]``."""
    def check(estimate: Estimate) -> Estimate:
        bad = [f"{k} = {v:g}: out of range; expected a number in [{lo:g}, {hi:g}]"
               for k in ("value", "low", "mode", "high")
               if (v := getattr(estimate, k)) is not None and not lo <= v <= hi]
        if bad:
            raise _checks.cross_problems(bad)
        return estimate
    return check


class HerdFeeding(_Frozen):
    """What the herd simulation assumes of its goats' milk and grazing."""

    milk_fat_pct: Estimate
    """Fat content of the milk. [%]"""
    min_intake_share_of_body_weight: Estimate
    """Dry matter a goat not in milk can eat at least, per kg of body weight. [kg/kg]"""
    grazing_activity_factor: Estimate
    """Multiplier of maintenance on grazing days. [-]"""

    _fat = field_validator("milk_fat_pct")(_within(0.5, 15.0))
    _fill = field_validator("min_intake_share_of_body_weight")(_within(0.0, 0.1))
    _activity = field_validator("grazing_activity_factor")(_within(1.0, 3.0))


class BodyReserves(_Frozen):
    """Body tissue as a store of energy."""

    me_mj_per_kg: Estimate
    """ME supplied by a kg of body weight lost, and needed for a kg regained. [MJ/kg]"""
    max_loss_share_of_body_weight: Estimate
    """Share of body weight an adult can lose before its reserves are exhausted. [-]"""
    max_loss_kg_per_day: Estimate
    """Fastest loss of body tissue in a day. [kg/day]"""
    max_regain_kg_per_day: Estimate
    """Fastest regain of lost tissue in a day. [kg/day]"""

    _me = field_validator("me_mj_per_kg")(_within(1.0, 60.0))
    _share = field_validator("max_loss_share_of_body_weight")(_within(0.0, 0.5))
    _rates = field_validator("max_loss_kg_per_day", "max_regain_kg_per_day")(_within(0.0, 2.0))


class ConceptionResponse(_Frozen):
    """Conception under a shortage of feed."""

    factor_without_feed: Estimate
    """Factor on the conception probability of a doe that gets none of her energy
    requirement (1 at full feeding, linear between). [-]"""

    _factor = field_validator("factor_without_feed")(_within(0.0, 1.0))


class KidResponse(_Frozen):
    """Kids of dams short of energy in late pregnancy."""

    late_pregnancy_share_of_birth_weight: Estimate
    """Share of the birth weight laid down from about day 100 of gestation. [-]"""
    low_birth_weight_kg: Estimate
    """Birth weight at which the risk of death to weaning is the one below. [kg]"""
    risk_to_weaning_at_low_birth_weight: Estimate
    """Risk of death to weaning of a kid born at ``low_birth_weight_kg``. [-]"""

    _share = field_validator("late_pregnancy_share_of_birth_weight")(_within(0.0, 1.0))
    _weight = field_validator("low_birth_weight_kg")(_within(0.1, 10.0))
    _risk = field_validator("risk_to_weaning_at_low_birth_weight")(_within(0.0, 1.0))


class Starvation(_Frozen):
    """Death of animals whose reserves are exhausted and whose feed still falls short."""

    death_risk_per_30_days: Estimate
    """Risk of death over 30 days in that state. [-]"""

    _risk = field_validator("death_risk_per_30_days")(_within(0.0, 1.0))


class Responses(_Frozen):
    """The coefficients of ``responses.toml``."""

    herd: HerdFeeding
    body_reserves: BodyReserves
    conception: ConceptionResponse
    kids: KidResponse
    starvation: Starvation


class RearingMethod(_Frozen):
    """One way of rearing kids to weaning."""

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    """What the farm does. [-]"""
    milk_from_tank: bool
    """The kids drink the farm's goat milk (from the dams or the bulk tank), which is then
    not delivered. [-]"""
    spreads_cae: bool
    """The method passes caprine arthritis-encephalitis virus from infected does to kids
    (suckling, pooled raw milk). [-]"""
    kid_mortality_relative_risk: Estimate
    """Risk of death to weaning relative to the breed's ``kid_risk_to_weaning``; at least
    1 (the breed's risk was measured under artificial rearing, the best case here). [-]"""

    _rr = field_validator("kid_mortality_relative_risk")(_within(1.0, 10.0))


class MilkReplacer(_Frozen):
    """Milk replacer powder."""

    powder_kg_per_kg_liquid: Estimate
    """Powder in a kg of reconstituted milk replacer. [kg/kg]"""
    price_per_kg: Estimate
    """Price of a kg of powder, in the feed library's currency. [/kg]"""

    _powder = field_validator("powder_kg_per_kg_liquid")(_within(0.01, 1.0))
    _price = field_validator("price_per_kg")(_within(0.0, 1.0e4))


class KidRearingData(_Frozen):
    """The contents of ``kid_rearing.toml``."""

    methods: Annotated[dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")],
                            RearingMethod], Field(min_length=1)]
    milk_replacer: MilkReplacer

    @field_validator("methods")
    @classmethod
    def _standard_methods(cls, methods: dict) -> dict:
        missing = [m for m in KID_REARING_METHODS if m not in methods]
        if missing:
            raise _checks.cross_problems([f"{missing[0]}: missing; every kid-rearing file "
                                          "describes " + ", ".join(KID_REARING_METHODS)])
        return methods


def _data_path(name: str) -> Path:
    return Path(str(_resources.files("capra") / "data" / "feed" / name))


def load_responses(path: str | Path) -> Responses:
    """Read and validate a responses file laid out as the bundled one.

    Raises
    ------
    ScenarioError
        Naming the file and every problem with its key path.
    """
    return validate(Responses, read_toml(path), file=str(path), what="feed responses file")


def load_kid_rearing(path: str | Path) -> KidRearingData:
    """Read and validate a kid-rearing file laid out as the bundled one.

    Raises
    ------
    ScenarioError
        Naming the file and every problem with its key path.
    """
    return validate(KidRearingData, read_toml(path), file=str(path), what="kid-rearing file")


@lru_cache(maxsize=1)
def responses() -> Responses:
    """The bundled feed responses (read once)."""
    return load_responses(_data_path("responses.toml"))


@lru_cache(maxsize=1)
def kid_rearing() -> KidRearingData:
    """The bundled kid-rearing methods (read once)."""
    return load_kid_rearing(_data_path("kid_rearing.toml"))
