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

The schema is split by domain:

- :mod:`~capra.scenario.herd`: breed, farms, batches, management policy;
- :mod:`~capra.scenario.health`: testing in quarantine, transport, outbreaks, heat stress,
  and the breeding-stock policy;
- :mod:`~capra.scenario.uncertain`: values given as distributions of what we do not know;
- :mod:`~capra.scenario.planning`: products, calendars, sites, plants, transport, plan
  settings;
- :mod:`~capra.scenario.model`: the :class:`Scenario` that holds them;
- :mod:`~capra.scenario.checks`: the checks that span sections (names, references, dates);
- :mod:`~capra.scenario.limits`: the bounds of every value, with their reasons;
- :mod:`~capra.scenario.fields`: validators, field types and the base model;
- :mod:`~capra.scenario.messages`: validation errors as key paths and plain messages;
- :mod:`~capra.scenario.files`, :mod:`~capra.scenario.load`, :mod:`~capra.scenario.save`:
  bundled data, reading and writing TOML.

Everything public is importable from ``capra.scenario``.

>>> scenario = load_scenario("nampo")
>>> scenario.breed.reproduction.gestation_days
150
>>> scenario.locations[:2]
('Kangso', 'Chollima')
"""

from __future__ import annotations

from capra.scenario.files import (
    bundled_breeds,
    bundled_scenario_descriptions,
    bundled_scenario_path,
    bundled_scenarios,
)
from capra.scenario.health import (
    BuckPolicy,
    Health,
    HeatStress,
    Outbreak,
    QuarantineTest,
)
from capra.scenario.herd import (
    AnimalGroup,
    Batch,
    Breed,
    BreedingGroup,
    BreedLactation,
    Culling,
    Farm,
    LactationPolicy,
    Mortality,
    Policy,
    Replacement,
    Reproduction,
)
from capra.scenario.limits import (
    DATE_RANGE,
    MAX_AGE_MONTHS,
    MAX_ANIMAL_DAYS,
    MAX_ANIMAL_EFFECT_CV,
    MAX_BATCHES,
    MAX_BREEDING_GROUPS,
    MAX_CAPACITY_HEAD,
    MAX_CHILDREN,
    MAX_CYCLE_DAYS,
    MAX_DISTANCE_KM,
    MAX_DOES_PER_BUCK,
    MAX_ENERGY_KCAL_PER_100G,
    MAX_FAILED_WINDOWS,
    MAX_FARMS,
    MAX_FLOW_KG_PER_DAY,
    MAX_G_PER_100G,
    MAX_GESTATION_SD_DAYS,
    MAX_HEAD,
    MAX_HORIZON_DAYS,
    MAX_MG_PER_100G,
    MAX_MILK_KG_PER_DAY,
    MAX_MILK_KG_PER_KG,
    MAX_PARITY,
    MAX_QUARANTINE_DAYS,
    MAX_REBOUND_RATE_PER_DAY,
    MAX_REBOUND_RATIO,
    MAX_REPEATABLE_DAYS,
    MAX_ROAD_FACTOR,
    MAX_SERVING_G,
    MAX_SHELF_LIFE_DAYS,
    MAX_STOCK_KG,
    MAX_TOML_DEPTH,
    SAME_PLACE_DEGREES,
    SUM_TOLERANCE,
    WOOD_B_RANGE,
    WOOD_C_MAX,
)
from capra.scenario.load import (
    load_breed,
    load_scenario,
    scenario_from_dict,
    validate_file,
)
from capra.scenario.model import Scenario
from capra.scenario.planning import (
    AGE_GROUPS,
    PRODUCTS,
    STORAGE_CLASSES,
    Calendar,
    Children,
    ClosedPeriod,
    OpeningStock,
    PlanningSettings,
    Plant,
    ProductCapacities,
    ProductOverride,
    ProductOverrides,
    Route,
    Servings,
    Site,
    StorageCapacities,
    Transport,
)
from capra.scenario.save import (
    save_scenario,
    scenario_to_toml,
)

__all__ = [
    "AGE_GROUPS",
    "AnimalGroup",
    "Batch",
    "Breed",
    "BuckPolicy",
    "BreedLactation",
    "BreedingGroup",
    "Calendar",
    "Children",
    "ClosedPeriod",
    "Culling",
    "DATE_RANGE",
    "Farm",
    "Health",
    "HeatStress",
    "LactationPolicy",
    "MAX_AGE_MONTHS",
    "MAX_ANIMAL_DAYS",
    "MAX_ANIMAL_EFFECT_CV",
    "MAX_BATCHES",
    "MAX_BREEDING_GROUPS",
    "MAX_CAPACITY_HEAD",
    "MAX_CHILDREN",
    "MAX_CYCLE_DAYS",
    "MAX_DISTANCE_KM",
    "MAX_DOES_PER_BUCK",
    "MAX_ENERGY_KCAL_PER_100G",
    "MAX_FAILED_WINDOWS",
    "MAX_FARMS",
    "MAX_FLOW_KG_PER_DAY",
    "MAX_GESTATION_SD_DAYS",
    "MAX_G_PER_100G",
    "MAX_HEAD",
    "MAX_HORIZON_DAYS",
    "MAX_MG_PER_100G",
    "MAX_MILK_KG_PER_DAY",
    "MAX_MILK_KG_PER_KG",
    "MAX_PARITY",
    "MAX_QUARANTINE_DAYS",
    "MAX_REBOUND_RATE_PER_DAY",
    "MAX_REBOUND_RATIO",
    "MAX_REPEATABLE_DAYS",
    "MAX_ROAD_FACTOR",
    "MAX_SERVING_G",
    "MAX_SHELF_LIFE_DAYS",
    "MAX_STOCK_KG",
    "MAX_TOML_DEPTH",
    "Mortality",
    "OpeningStock",
    "Outbreak",
    "PRODUCTS",
    "PlanningSettings",
    "Plant",
    "Policy",
    "ProductCapacities",
    "ProductOverride",
    "ProductOverrides",
    "QuarantineTest",
    "Replacement",
    "Reproduction",
    "Route",
    "SAME_PLACE_DEGREES",
    "STORAGE_CLASSES",
    "SUM_TOLERANCE",
    "Scenario",
    "Servings",
    "Site",
    "StorageCapacities",
    "Transport",
    "WOOD_B_RANGE",
    "WOOD_C_MAX",
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
