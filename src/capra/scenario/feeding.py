"""Feeding in a scenario: the level of management (a named preset, with single values
overridden), each farm's feed resources, and each farm's way of rearing kids.

The presets, feeds and rearing methods are data of :mod:`capra.feed`
(``capra/data/management/presets.toml``, ``capra/data/feed/feeds.toml``,
``capra/data/feed/kid_rearing.toml``); this module checks what a scenario says about them
and places every problem under the scenario's own key path
(``farms[2].feed.stores[0].opening_t_dm``, ``management.preset``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, Strict
from pydantic_core import PydanticCustomError

from capra.errors import ScenarioError
from capra.feed.resources import FeedResources
from capra.scenario.fields import (
    _CROSS_TYPE,
    _MISSING,
    Name,
    Problem,
    _fail,
    _get,
    _Model,
    _problem,
    _range,
    _show,
    _toml_type,
)
from capra.scenario.limits import MAX_POWDER_KG_PER_KID, MAX_PRICE_PER_KG

__all__ = ["BREED_VALUES", "KID_REARING_METHODS", "FarmFeed", "KidRearing", "Management",
           "management_conflicts", "with_breed_kept"]

#: Ways of rearing kids (``capra/data/feed/kid_rearing.toml``; a test checks the two
#: lists agree).
KID_REARING_METHODS = ("pooled_pasteurised", "pooled_raw", "dam", "milk_replacer")

#: Preset values that replace a breed value: preset field -> (breed section, breed key).
BREED_VALUES = {
    "conception_rate_per_cycle": ("reproduction", "conception_rate_per_cycle"),
    "min_breeding_age_days": ("reproduction", "min_breeding_age_days"),
    "kid_mortality_to_weaning": ("mortality", "kid_risk_to_weaning"),
    "adult_female_mortality_per_year": ("mortality", "adult_female_risk_per_year"),
}


def _problems_from(error: ScenarioError, base: tuple = ()) -> list[Problem]:
    """A feed package error's located problems as scenario problems under ``base``."""
    from capra.feed._checks import NO_VALUE

    located = getattr(error, "located", None)
    if not located:
        return [_problem(base, _MISSING, str(error))]
    return [_problem(base + tuple(loc), _MISSING if value is NO_VALUE else value, message)
            for loc, value, message in located]


def _farm_feed(value: Any) -> Any:
    """A farm's ``[farms.feed]`` table, validated and its names resolved by
    :func:`capra.feed.feed_resources_from_dict`."""
    if value is None or isinstance(value, FeedResources):
        return value
    if not isinstance(value, Mapping):
        raise _fail(f"wrong type ({_toml_type(value)}); expected a table [farms.feed] of "
                    "pasture, stores and purchases (docs/feed.md)")
    from capra.feed.resources import feed_resources_from_dict

    try:
        return feed_resources_from_dict(value)
    except ScenarioError as exc:
        problems = _problems_from(exc)
        raise PydanticCustomError(_CROSS_TYPE, "{msg}", {
            "msg": "; ".join(m for _, _, m in problems), "problems": problems}) from None


#: A farm's feed resources (:class:`capra.feed.FeedResources`) as a scenario value.
FarmFeed = Annotated[FeedResources, BeforeValidator(_farm_feed)]


class KidRearing(_Model):
    """How a farm rears its kids to weaning, and when it sells its male kids."""

    method: Literal[KID_REARING_METHODS] = "pooled_pasteurised"
    """``"pooled_pasteurised"`` (the farm's goat milk, heat-treated; the default),
    ``"pooled_raw"`` (the same, raw: spreads CAE), ``"dam"`` (kids suckle their dams:
    spreads CAE) or ``"milk_replacer"`` (kids drink no goat milk after their
    colostrum). [-]"""
    powder_kg_per_kid: Annotated[float, Strict(), _range(0, MAX_POWDER_KG_PER_KID)] | None = None
    """Milk replacer powder per kid from the end of its colostrum days to weaning; default
    ``kid_milk_kg_per_day`` × those days × the powder per kg of reconstituted milk
    (``capra/data/feed/kid_rearing.toml``). Only with ``"milk_replacer"``. [kg]"""
    powder_price_per_kg: Annotated[float, Strict(), _range(0, MAX_PRICE_PER_KG)] | None = None
    """Price of a kg of powder in the feed library's currency; default that of
    ``kid_rearing.toml`` (a placeholder). Only with ``"milk_replacer"``. [/kg]"""
    male_kids_sold: Literal["policy", "after_colostrum", "at_weaning"] = "policy"
    """When the male kids not kept as bucks are sold: ``"policy"``
    (``policy.replacement.male_sale_age_days``), ``"after_colostrum"`` (at the end of
    the breed's colostrum days) or ``"at_weaning"`` (at ``weaning_age_days``). [-]"""

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        method = _get(data, "method", str, "pooled_pasteurised")
        if method == "milk_replacer":
            return []
        return [_problem((key,), value, f"only used with method = \"milk_replacer\"; got "
                         f"method = {_show(method)}")
                for key in ("powder_kg_per_kid", "powder_price_per_kg")
                if (value := _get(data, key, object)) is not None]


class Management(_Model):
    """The level of management: a named preset of ``capra/data/management/presets.toml``
    and single values changed."""

    preset: Name
    """``"intensive"`` (the breed file's values), ``"improved_smallholder"`` or
    ``"low_input"``: milk yield, conception, mortality, kid growth and ration quality
    (docs/feed.md). [-]"""
    overrides: Annotated[dict[str, Any], Field(max_length=32)] = {}
    """Preset values replaced: ``{field = number}``, or ``{field = {low, mode, high}}`` for
    a range of what we do not know (the mode is used). [-]"""
    #: the preset fields whose breed value already is the preset's (kept as the breed has
    #: it, with its distribution if any; set when the scenario is validated)
    _breed_kept: frozenset = PrivateAttr(default=frozenset())

    @property
    def breed_kept(self) -> frozenset:
        """Preset fields of :data:`BREED_VALUES` the scenario's breed already holds at the
        preset's value (they keep the breed's value and distribution). [-]"""
        return self._breed_kept

    def preset_values(self):
        """The preset with its overrides (:class:`capra.feed.ManagementPreset`)."""
        from capra.feed.presets import management_preset

        return management_preset(self.preset, overrides=self.overrides)

    @classmethod
    def _cross_problems(cls, data: object) -> list[Problem]:
        from capra.feed.presets import load_presets, management_preset

        name = _get(data, "preset", str)
        overrides = _get(data, "overrides", (Mapping,), {})
        if name is None:
            return []
        presets = load_presets()
        if name not in presets:
            from capra.scenario.fields import _suggest

            hint = _suggest(name, presets)
            return [_problem(("preset",), name, "no management preset of this name; expected "
                             "one of " + ", ".join(_show(n) for n in presets)
                             + (f"; did you mean {_show(hint)}?" if hint else ""))]
        try:
            management_preset(name, overrides=overrides)
        except ScenarioError as exc:
            problems = _problems_from(exc)
        else:
            return []
        # a value given as a plain number is reported at its own key, not at ".value"
        plain = {k for k, v in overrides.items() if not isinstance(v, Mapping)}
        return [(loc[:2] if len(loc) == 3 and loc[0] == "overrides" and loc[1] in plain
                 and loc[2] == "value" else loc, value, message)
                for loc, value, message in problems]


def management_conflicts(management: Management | None,
                         breed_overrides: Mapping | None) -> list[Problem]:
    """Problems (under ``management``) where ``breed_overrides`` sets a breed value that
    the management preset sets to another value: the value belongs in
    ``management.overrides``. A value that agrees with the preset's (e.g. a distribution
    whose point value is the ``intensive`` preset's) is no conflict."""
    if management is None or not isinstance(breed_overrides, Mapping):
        return []
    problems = []
    values = management.preset_values()
    for field, (section, key) in BREED_VALUES.items():
        table = breed_overrides.get(section)
        if not (isinstance(table, Mapping) and key in table):
            continue
        preset = getattr(values, field).point
        given = _point(table[key])
        if given is not None and abs(given - preset) <= 1e-12 * max(abs(preset), 1.0):
            continue
        problems.append(_problem(
            ("preset",), management.preset,
            f"sets {field} = {preset:g}, which breed_overrides.{section}.{key} = "
            f"{_show(table[key])} also sets to another value; expected the value in "
            f"management.overrides.{field}"))
    return problems


def with_breed_kept(management: Management | None, breed) -> Management | None:
    """``management`` knowing which of its breed values ``breed`` already holds (equal
    point values), so that the herd keeps those as the breed gives them."""
    if management is None or breed is None or not hasattr(breed, "reproduction"):
        return management
    values = management.preset_values()
    kept = frozenset(field for field, (section, key) in BREED_VALUES.items()
                     if _point(getattr(getattr(breed, section), key)) == float(
                         getattr(values, field).point))
    out = management.model_copy()
    out._breed_kept = kept
    return out


def _point(value: Any) -> float | None:
    """The point value of a number or of a distribution table; None if neither."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, Mapping):
        from capra.scenario.uncertain import Distribution

        try:
            return float(Distribution.from_table(value).point)
        except (ValueError, TypeError, KeyError):
            return None
    return None
