"""The coefficients of the goat feeding system, read from a cited data file.

Every coefficient lives in ``capra/data/feed/nrc2007_goats.toml`` beside its source (paper,
table or equation). :func:`coefficients` reads and validates that file once; the
requirement functions take their numbers from it and from nowhere else.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from capra.feed._checks import read_toml, validate

#: Goat biotypes of the system: meat (>= 50 % Boer), dairy, indigenous (local).
BIOTYPES = ("dairy", "meat", "indigenous")
#: Sexes: intact males, females, castrated males (wethers).
SEXES = ("female", "male", "castrate")
#: Physiological stages: preweaning kids, weaned goats under 1.5 years, mature goats.
STAGES = ("suckling", "growing", "mature")

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ByBiotype(_Frozen):
    """One value per biotype."""

    meat: Positive
    dairy: Positive
    indigenous: Positive


class BySex(_Frozen):
    """One multiplier per sex."""

    female: Positive
    male: Positive
    castrate: Positive


class SexFactors(_Frozen):
    suckling: BySex
    growing: BySex
    mature: BySex


class Maintenance(_Frozen):
    suckling_kj_per_kg075: Positive
    growing_kj_per_kg075: ByBiotype
    mature_kj_per_kg075: ByBiotype
    sex_factor: SexFactors


class Gain(_Frozen):
    suckling_kj_per_g: Positive
    growing_kj_per_g: ByBiotype
    mature_kj_per_g: Positive


class Lactation(_Frozen):
    milk_energy_intercept_mj_per_kg: Positive
    milk_energy_slope_mj_per_kg_per_fat_pct: Positive
    fcm_intercept: Positive
    fcm_slope_per_fat_pct: Positive
    me_mj_per_kg_fcm: Positive


class KidBirthWeight(_Frozen):
    dairy: Positive | None = None
    meat: Positive | None = None
    indigenous: Positive | None = None


class Pregnancy(_Frozen):
    energy_a: Finite
    energy_b: Positive
    energy_c_per_day: Positive
    protein_a: Finite
    protein_b: Positive
    protein_c_per_day: Positive
    reference_birth_weight_kg: Positive
    efficiency_me: Fraction
    efficiency_mp: Fraction
    first_day: Annotated[int, Field(ge=0, le=400)]
    last_day: Annotated[int, Field(ge=1, le=400)]
    kid_birth_weight_kg: KidBirthWeight


class Protein(_Frozen):
    growing_maintenance_g_per_kg075: Positive
    growing_gain_g_per_g: ByBiotype
    metabolic_faecal_g_per_kg_dmi: NonNegative
    endogenous_urinary_g_per_kg075: NonNegative
    scurf_g_per_kg06: NonNegative
    mature_tissue_protein_fraction: Fraction
    mature_gain_efficiency: Fraction
    lactation_g_per_g_milk_protein: Positive
    default_milk_protein_pct: Positive
    cp_from_mp_intercept: Fraction
    cp_from_mp_slope: NonNegative
    default_undegraded_fraction: Annotated[float, Field(ge=0, le=1)]
    suckling_undegraded_fraction: Annotated[float, Field(ge=0, le=1)]


class Intake(_Frozen):
    km_intercept: Positive
    km_slope_per_mj: NonNegative
    tissue_energy_mj_per_kg: Positive
    mobilized_efficiency: Fraction
    overall_efficiency: Fraction
    dmi_intercept_kg: Finite
    dmi_slope: Positive
    dmi_adg_fcm_slope_kg: Finite


class Acclimatization(_Frozen):
    ne_kj_per_kg075_per_degc: NonNegative
    efficiency: Fraction
    thermoneutral_midpoint_c: Finite


class Coefficients(_Frozen):
    """All coefficients of the goat feeding system (see the data file for sources)."""

    maintenance: Maintenance
    gain: Gain
    lactation: Lactation
    pregnancy: Pregnancy
    protein: Protein
    intake: Intake
    acclimatization: Acclimatization


def default_path() -> Path:
    """Path of the bundled coefficient file."""
    return Path(str(resources.files("capra") / "data" / "feed" / "nrc2007_goats.toml"))


def load_coefficients(path: str | Path) -> Coefficients:
    """Read and validate a coefficient file laid out as the bundled one.

    Raises
    ------
    ScenarioError
        Naming the file and the key path of every problem.
    """
    return validate(Coefficients, read_toml(path), file=str(path), what="coefficient file")


@lru_cache(maxsize=1)
def coefficients() -> Coefficients:
    """The bundled coefficients (read once)."""
    return load_coefficients(default_path())
