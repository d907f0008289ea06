"""The scenario: one validated, immutable description of a dairy-goat programme.

:class:`Scenario` holds the herd sections (:mod:`capra.scenario.herd`) and the planning
sections (:mod:`capra.scenario.planning`), reads a breed given by name or path and merges
``[breed_overrides]`` into it, and runs the checks between sections
(:mod:`capra.scenario.checks`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from capra.errors import ScenarioError
from capra.scenario.checks import scenario_problems
from capra.scenario.fields import (
    _ABSOLUTE_TYPE,
    Date,
    HorizonDays,
    Name,
    Problem,
    Text,
    _fail,
    _Model,
    _problem,
    _show,
    _suggest,
    _toml_type,
)
from capra.scenario.files import _read_breed_table, bundled_breeds
from capra.scenario.health import Health
from capra.scenario.herd import Batch, Breed, Farm, Policy
from capra.scenario.planning import (
    Calendar,
    PlanningSettings,
    Plant,
    ProductOverrides,
    Site,
    Transport,
)
from capra.scenario.uncertain import is_distribution_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


def _deep_merge(base: Mapping, extra: Mapping) -> dict:
    """``base`` with the values of ``extra``; tables are merged key by key."""
    merged = dict(base)
    for key, value in extra.items():
        if is_distribution_table(value) or is_distribution_table(merged.get(key)):
            merged[key] = value            # a distribution replaces a value as a whole
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(merged[key], value)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), BaseModel):
            merged[key] = _deep_merge(merged[key].model_dump(), value)
        else:
            merged[key] = value
    return merged


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
    health: Health = Field(default_factory=Health)
    """Testing in quarantine, transport, outbreaks and heat stress (default: none). [-]"""
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
        return scenario_problems(data)
