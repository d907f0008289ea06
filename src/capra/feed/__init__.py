"""Feed: requirements of goats, body weights by age, management presets, feed resources
and the feed budget of a farm."""

from capra.feed._checks import FeedInputError
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

__all__ = [
    "EnergyParts", "FeedInputError", "crude_protein_requirement", "dry_matter_intake",
    "energy_requirement", "energy_requirement_parts", "fat_corrected_milk_kg",
    "metabolizable_protein_requirement", "milk_energy_mj_per_kg",
]
