"""Feed: what goats need, what a farm has, and the feed budget.

- Requirements (:mod:`capra.feed.requirements`): daily metabolizable energy, metabolizable
  and crude protein and dry-matter intake of goats by class, weight, gain, milk and
  pregnancy, from the NRC (2007) / Langston University goat equations, every coefficient
  cited in ``capra/data/feed/nrc2007_goats.toml``.
- Growth (:mod:`capra.feed.growth`): body weight by age and sex of a breed.
- Management presets (:mod:`capra.feed.presets`): named, sourced levels of management.
- Resources and budget (:mod:`capra.feed.resources`, :mod:`capra.feed.budget`): a farm's
  pasture, stores and purchases, and the budget per farm and month.

The equations and their sources: ``docs/feed.md``.
"""

from capra.feed._checks import FeedInputError
from capra.feed.budget import FeedBudget, feed_budget
from capra.feed.growth import GrowthCurve, bundled_growth_curves, load_growth_curve
from capra.feed.presets import (
    STANDARD_PRESETS,
    Estimate,
    ManagementPreset,
    load_presets,
    management_preset,
)
from capra.feed.requirements import (
    EnergyParts,
    crude_protein_requirement,
    dry_matter_intake,
    energy_requirement,
    energy_requirement_parts,
    fat_corrected_milk_kg,
    metabolizable_protein_requirement,
    milk_energy_mj_per_kg,
)
from capra.feed.resources import (
    Delivery,
    Feed,
    FeedLibrary,
    FeedResources,
    Pasture,
    Stock,
    feed_library,
    feed_resources_from_dict,
    load_feed_library,
)

__all__ = [
    "STANDARD_PRESETS", "Delivery", "EnergyParts", "Estimate", "Feed", "FeedBudget",
    "FeedInputError", "FeedLibrary", "FeedResources", "GrowthCurve", "ManagementPreset",
    "Pasture", "Stock", "body_weight_kg", "bundled_growth_curves", "crude_protein_requirement",
    "daily_gain_g", "dry_matter_intake", "energy_requirement", "energy_requirement_parts",
    "fat_corrected_milk_kg", "feed_budget", "feed_library", "feed_resources_from_dict",
    "load_feed_library", "load_growth_curve", "load_presets", "management_preset",
    "metabolizable_protein_requirement", "milk_energy_mj_per_kg",
]


def body_weight_kg(age_days, sex="female", *, breed="saanen", growth_rate_factor=1.0):
    """Mean body weight of a breed at an age (see :meth:`GrowthCurve.body_weight_kg`).
    [kg]"""
    return load_growth_curve(breed).body_weight_kg(age_days, sex, growth_rate_factor)


def daily_gain_g(age_days, sex="female", *, breed="saanen", growth_rate_factor=1.0):
    """Mean daily gain of a breed at an age (see :meth:`GrowthCurve.daily_gain_g`). [g/day]"""
    return load_growth_curve(breed).daily_gain_g(age_days, sex, growth_rate_factor)
