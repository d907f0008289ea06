"""A farm's feed resources: pasture, stored forages, concentrate, and what is bought.

The models are validated once (unknown keys, negative stocks, unknown feed names and bad
dates are errors naming the key path). Feeds are named; their nutritive value comes from
the feed library (``capra/data/feed/feeds.toml``, each value sourced) or from the farm's own
``feeds`` table. The default :class:`FeedResources` is "feed as needed": nothing grazed or
stored, every need bought (hay first, then barley; soybean meal for protein), so that the
budget says what feeding the herd costs.

>>> resources = feed_resources_from_dict({
...     "pasture": {"area_ha": 12, "profile": "korean_sown_hill_pasture"},
...     "stores": [{"feed": "grass_hay", "opening_t_dm": 20,
...                 "deliveries": [{"date": "07-01", "t_dm": 35, "kind": "harvested"}]}]})
>>> resources.stores[0].deliveries[0].t_dm
35.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources as _resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from capra.errors import ScenarioError
from capra.feed import _checks
from capra.feed._checks import read_toml, validate

__all__ = [
    "Delivery", "Feed", "FeedLibrary", "FeedResources", "Pasture", "PastureProfile", "Stock",
    "bundled_feed_library_path", "feed_library", "feed_resources_from_dict",
    "load_feed_library",
]

#: Kinds of feed.
FEED_KINDS = ("pasture", "hay", "silage", "straw", "concentrate", "protein_supplement",
              "other")
#: Largest stock or delivery of one feed on one farm (far beyond a goat farm). [t DM]
MAX_STOCK_T = 1.0e6
#: Largest pasture area of one farm. [ha]
MAX_AREA_HA = 1.0e5
#: Largest DM yield of pasture in one month (tropical grasses reach about 3 t/ha). [kg/ha]
MAX_MONTHLY_YIELD_KG_PER_HA = 5000.0


def _month_day(value: str) -> str:
    match = re.fullmatch(r"(\d{2})-(\d{2})", value)
    days = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
    if not match or not 1 <= int(match[1]) <= 12 or not 1 <= int(match[2]) <= days[
            int(match[1]) - 1]:
        raise ValueError('not a day of the year; expected "MM-DD", e.g. "07-15"')
    return value


MonthDay = Annotated[str, AfterValidator(_month_day)]
Name = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Feed(_Frozen):
    """A feed and its nutritive value."""

    kind: Literal[FEED_KINDS]
    """``pasture``, ``hay``, ``silage``, ``straw``, ``concentrate``, ``protein_supplement``
    or ``other``. [-]"""
    me_mj_per_kg_dm: Annotated[float, Field(gt=0, le=20, allow_inf_nan=False)]
    """Metabolizable energy. [MJ/kg DM]"""
    cp_pct_dm: Annotated[float, Field(ge=0, le=90, allow_inf_nan=False)]
    """Crude protein. [% of DM]"""
    dm_fraction: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Dry matter of the feed as fed. [-]"""
    source: Text
    """Where the values come from (analysis, table), or ``assumption: ...``. [-]"""
    price_per_t: NonNegative | None = None
    """Price per tonne as fed, in the library's currency; None if never bought. [/t]"""
    price_source: str | None = None
    """Where the price comes from. [-]"""


class PastureProfile(_Frozen):
    """Growth of a kind of pasture through the year (library entry)."""

    feed: Name
    """Name of the pasture's feed (its ME and CP). [-]"""
    annual_dm_yield_kg_per_ha: Annotated[float, Field(ge=0, le=12 * MAX_MONTHLY_YIELD_KG_PER_HA)]
    """DM grown in a year. [kg DM/ha]"""
    annual_yield_source: Text
    monthly_share: Annotated[tuple[Annotated[float, Field(ge=0, le=1)], ...],
                             Field(min_length=12, max_length=12)]
    """Share of the annual yield grown in each month, January to December; sums to 1. [-]"""
    monthly_share_source: Text
    grazing_start: MonthDay
    """First day of the grazing season. ["MM-DD"]"""
    grazing_end: MonthDay
    """Last day of the grazing season. ["MM-DD"]"""
    grazing_source: Text
    utilization: Annotated[float, Field(gt=0, le=1)]
    """Share of the grown DM the goats eat. [-]"""
    utilization_source: Text

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = sum(self.monthly_share)
        if abs(total - 1) > 1e-6:
            raise _checks.cross_problems([f"monthly_share: sums to {total:g}; expected 1"])
        return self


class FeedLibrary(_Frozen):
    """The feeds and pastures known by name."""

    currency: Text
    """Currency of the prices. [-]"""
    feeds: dict[Name, Feed]
    pastures: dict[Name, PastureProfile] = {}


class Pasture(_Frozen):
    """The farm's pasture: its area, and its growth either from a library profile or given
    month by month (explicit values override the profile's)."""

    area_ha: Annotated[float, Field(ge=0, le=MAX_AREA_HA, allow_inf_nan=False)]
    """Area grazed by the goats. [ha]"""
    profile: Name | None = None
    """Name of a pasture profile of the feed library. [-]"""
    dm_yield_kg_per_ha_by_month: Annotated[
        tuple[Annotated[float, Field(ge=0, le=MAX_MONTHLY_YIELD_KG_PER_HA)], ...],
        Field(min_length=12, max_length=12)] | None = None
    """DM grown in each month, January to December. [kg DM/ha]"""
    grazing_start: MonthDay | None = None
    """First day of the grazing season. ["MM-DD"]"""
    grazing_end: MonthDay | None = None
    """Last day of the grazing season. ["MM-DD"]"""
    utilization: Annotated[float, Field(gt=0, le=1)] | None = None
    """Share of the grown DM the goats eat. [-]"""
    feed: Name | None = None
    """Name of the pasture's feed (its ME and CP). [-]"""


class Delivery(_Frozen):
    """Feed added to a store on a day of every year: harvested or bought."""

    date: MonthDay
    """Day of the year the feed arrives (every year of the budget). ["MM-DD"]"""
    t_dm: Annotated[float, Field(ge=0, le=MAX_STOCK_T, allow_inf_nan=False)]
    """Quantity. [t DM]"""
    kind: Literal["harvested", "bought"]
    """``harvested`` on the farm (no purchase cost) or ``bought`` (costed at the feed's price,
    or ``price_per_t``). [-]"""
    price_per_t: NonNegative | None = None
    """Price per tonne as fed of this delivery, if not the feed's. [/t]"""


class Stock(_Frozen):
    """A store of one feed: its opening stock and its yearly deliveries."""

    feed: Name
    """Name of the feed. [-]"""
    opening_t_dm: Annotated[float, Field(ge=0, le=MAX_STOCK_T, allow_inf_nan=False)] = 0.0
    """Stock at the start of the budget. [t DM]"""
    deliveries: tuple[Delivery, ...] = ()
    """Harvests and purchases, every year. [-]"""


class FeedResources(_Frozen):
    """What a farm has to feed its goats, and what it buys when that is not enough."""

    pasture: Pasture | None = None
    """The pasture, or None if the goats do not graze. [-]"""
    stores: tuple[Stock, ...] = ()
    """Stored feeds, fed in this order after pasture. [-]"""
    purchase: tuple[Name, ...] = ("grass_hay", "barley")
    """Feeds bought as needed once pasture and stores are used up, in this order. [-]"""
    protein_supplement: Name | None = "soybean_meal"
    """Feed bought to close a crude-protein gap, or None. [-]"""
    feeds: dict[Name, Feed] = {}
    """The farm's own feeds (analyses), added to or replacing the library's. [-]"""


# --------------------------------------------------------------------------------------
# Library and resolution
# --------------------------------------------------------------------------------------

def bundled_feed_library_path() -> Path:
    """Path of the bundled feed library."""
    return Path(str(_resources.files("capra") / "data" / "feed" / "feeds.toml"))


def load_feed_library(path: str | Path) -> FeedLibrary:
    """Read and validate a feed library file laid out as the bundled one."""
    library = validate(FeedLibrary, read_toml(path), file=str(path), what="feed library")
    for name, profile in library.pastures.items():
        if profile.feed not in library.feeds:
            raise ScenarioError(_unknown("feed", profile.feed, library.feeds), file=str(path),
                                path=f"pastures.{name}.feed")
    return library


@lru_cache(maxsize=1)
def feed_library() -> FeedLibrary:
    """The bundled feed library (read once)."""
    return load_feed_library(bundled_feed_library_path())


def _unknown(what: str, name: str, known) -> str:
    hint = _checks.suggest(name, known)
    return (f"unknown {what} {name!r}; known: {', '.join(sorted(known))}"
            + (f"; did you mean {hint!r}?" if hint else ""))


def feed_resources_from_dict(data: Mapping[str, Any] | None, *, library: FeedLibrary | None = None,
                             file: str | None = None, where: str = "") -> FeedResources:
    """Validate a farm's feed resources given as nested tables (the parsed TOML).

    Parameters
    ----------
    data
        The tables of :class:`FeedResources`; None or ``{}`` for "feed as needed".
    library
        Feed library the names refer to (default: the bundled one).
    file, where
        File and key path shown in error messages (e.g. ``farms[2].feed``).

    Raises
    ------
    ScenarioError
        Every problem, with its key path: unknown keys, negative stocks, bad dates, unknown
        feed or pasture names.
    """
    prefix = tuple(where.split(".")) if where else ()
    resources = validate(FeedResources, dict(data or {}), file=file, prefix=prefix,
                         what="feed resources")
    resolve(resources, library or feed_library(), file=file, where=where)
    return resources


@dataclass(frozen=True)
class ResolvedPasture:
    """A pasture with every value known."""

    area_ha: float
    dm_yield_kg_per_ha_by_month: np.ndarray
    grazing_start: str
    grazing_end: str
    utilization: float
    feed_name: str
    feed: Feed


@dataclass(frozen=True)
class Resolved:
    """Feed resources with their names resolved against a library."""

    feeds: dict[str, Feed]
    pasture: ResolvedPasture | None
    stores: tuple[Stock, ...]
    purchase: tuple[str, ...]
    protein_supplement: str | None
    currency: str


def resolve(resources: FeedResources, library: FeedLibrary, *, file: str | None = None,
            where: str = "") -> Resolved:
    """Check every name of ``resources`` against ``library`` (and the farm's own feeds) and
    fill the pasture's values from its profile.

    Raises
    ------
    ScenarioError
        Listing every unknown name or missing pasture value with its key path.
    """
    feeds = {**library.feeds, **resources.feeds}
    base = f"{where}." if where else ""
    problems: list[str] = []

    def need(name: str | None, path: str) -> None:
        if name is not None and name not in feeds:
            problems.append(f"{base}{path} = {name!r}: " + _unknown("feed", name, feeds))

    for i, stock in enumerate(resources.stores):
        need(stock.feed, f"stores[{i}].feed")
        for j, delivery in enumerate(stock.deliveries):
            feed = feeds.get(stock.feed)
            if (delivery.kind == "bought" and delivery.price_per_t is None and feed is not None
                    and feed.price_per_t is None):
                problems.append(f"{base}stores[{i}].deliveries[{j}].price_per_t: missing; a "
                                f"bought delivery of {stock.feed!r} needs a price (the feed "
                                "has none)")
    for i, name in enumerate(resources.purchase):
        need(name, f"purchase[{i}]")
        if name in feeds and feeds[name].price_per_t is None:
            problems.append(f"{base}purchase[{i}] = {name!r}: the feed has no price_per_t; "
                            "give one in feeds")
    need(resources.protein_supplement, "protein_supplement")
    pasture = None
    if resources.pasture is not None:
        pasture, more = _resolve_pasture(resources.pasture, library, feeds, f"{base}pasture")
        problems += more
    if problems:
        message = problems[0] if len(problems) == 1 else (
            f"{len(problems)} problems in the feed resources:\n" +
            "\n".join(f"  - {p}" for p in problems))
        raise ScenarioError(message, file=file, problems=problems)
    return Resolved(feeds=feeds, pasture=pasture, stores=resources.stores,
                    purchase=resources.purchase, protein_supplement=resources.protein_supplement,
                    currency=library.currency)


def _resolve_pasture(p: Pasture, library: FeedLibrary, feeds: dict[str, Feed], path: str
                     ) -> tuple[ResolvedPasture | None, list[str]]:
    profile = None
    if p.profile is not None:
        profile = library.pastures.get(p.profile)
        if profile is None:
            return None, [f"{path}.profile = {p.profile!r}: " +
                          _unknown("pasture profile", p.profile, library.pastures)]
    values: dict[str, Any] = {}
    problems = []
    for key in ("dm_yield_kg_per_ha_by_month", "grazing_start", "grazing_end", "utilization",
                "feed"):
        value = getattr(p, key)
        if value is None and profile is not None:
            value = (tuple(profile.annual_dm_yield_kg_per_ha * s for s in profile.monthly_share)
                     if key == "dm_yield_kg_per_ha_by_month" else getattr(profile, key))
        if value is None:
            problems.append(f"{path}.{key}: missing; give it or a profile")
        values[key] = value
    if values["feed"] is not None and values["feed"] not in feeds:
        problems.append(f"{path}.feed = {values['feed']!r}: " + _unknown("feed", values["feed"],
                                                                         feeds))
    if problems:
        return None, problems
    return ResolvedPasture(area_ha=p.area_ha,
                           dm_yield_kg_per_ha_by_month=np.asarray(
                               values["dm_yield_kg_per_ha_by_month"], float),
                           grazing_start=values["grazing_start"],
                           grazing_end=values["grazing_end"], utilization=values["utilization"],
                           feed_name=values["feed"], feed=feeds[values["feed"]]), []
