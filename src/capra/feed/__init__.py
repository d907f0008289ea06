"""Feed: what goats need, what a farm has, and the feed budget.

- Requirements (:mod:`capra.feed.requirements`): daily metabolizable energy, metabolizable
  and crude protein and dry-matter intake of goats by class, weight, gain, milk and
  pregnancy, from the NRC (2007) / Langston University goat equations, every coefficient
  cited in ``capra/data/feed/nrc2007_goats.toml``.
- Growth (:mod:`capra.feed.growth`): body weight by age and sex of a breed.
- Management presets (:mod:`capra.feed.presets`): named, sourced levels of management.
- Resources and budget (:mod:`capra.feed.resources`, :mod:`capra.feed.budget`): a farm's
  pasture, stores and purchases, and the budget per farm and month.
- Responses and kid rearing (:mod:`capra.feed.responses`): how goats respond to a shortage
  of feed energy, and the ways of rearing kids, as the herd simulation uses them.

Public names are imported on first use, so that reading a scenario does not load SciPy.

The equations and their sources: ``docs/feed.md``.
"""

from capra._lazy import lazy_exports

_EXPORTS = {
    "FeedInputError": "capra.feed._checks",
    "FeedBudget": "capra.feed.budget", "feed_budget": "capra.feed.budget",
    "GrowthCurve": "capra.feed.growth", "bundled_growth_curves": "capra.feed.growth",
    "load_growth_curve": "capra.feed.growth",
    **dict.fromkeys(("STANDARD_PRESETS", "Estimate", "ManagementPreset", "load_presets",
                     "management_preset"), "capra.feed.presets"),
    **dict.fromkeys(("EnergyParts", "crude_protein_requirement", "dry_matter_intake",
                     "energy_requirement", "energy_requirement_parts",
                     "fat_corrected_milk_kg", "metabolizable_protein_requirement",
                     "milk_energy_mj_per_kg"), "capra.feed.requirements"),
    **dict.fromkeys(("Delivery", "Feed", "FeedLibrary", "FeedResources", "Pasture", "Stock",
                     "feed_library", "feed_resources_from_dict", "load_feed_library"),
                    "capra.feed.resources"),
    **dict.fromkeys(("KID_REARING_METHODS", "KidRearingData", "RearingMethod", "Responses",
                     "kid_rearing", "load_kid_rearing", "load_responses"),
                    "capra.feed.responses"),
}

__getattr__, __dir__, _names = lazy_exports(__name__, _EXPORTS)
__all__ = sorted([*_names, "body_weight_kg", "daily_gain_g"])


def body_weight_kg(age_days, sex="female", *, breed="saanen", growth_rate_factor=1.0):
    """Mean body weight of a breed at an age (see :meth:`GrowthCurve.body_weight_kg`).
    [kg]"""
    from capra.feed.growth import load_growth_curve

    return load_growth_curve(breed).body_weight_kg(age_days, sex, growth_rate_factor)


def daily_gain_g(age_days, sex="female", *, breed="saanen", growth_rate_factor=1.0):
    """Mean daily gain of a breed at an age (see :meth:`GrowthCurve.daily_gain_g`). [g/day]"""
    from capra.feed.growth import load_growth_curve

    return load_growth_curve(breed).daily_gain_g(age_days, sex, growth_rate_factor)
