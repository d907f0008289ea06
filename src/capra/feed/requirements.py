"""Daily requirements of goats: metabolizable energy, protein and dry-matter intake.

The system is that of NRC (2007) for goats, i.e. the Langston University equations
(Sahlu et al. 2004 and companions, Small Ruminant Research 53(3)); pregnancy follows the
AFRC (1993, 1998) gravid-uterus curves as the Langston calculators do. Every coefficient is
read from ``capra/data/feed/nrc2007_goats.toml``, where its source is given; the equations
are set out in ``docs/feed.md``.

All functions are vectorized: every numeric or categorical argument may be a scalar or an
array, and the arrays broadcast together (one value per animal, for example). Categorical
arguments take names (``"mature"``) or, faster for simulators, integer arrays of their
index in :data:`~capra.feed.coefficients.STAGES`, ``BIOTYPES`` or ``SEXES``. A result for
scalar arguments is a Python float.

>>> round(energy_requirement(6.8, stage="suckling", daily_gain_g=100), 2)
3.23
>>> round(energy_requirement(50, biotype="dairy"), 2)
9.43
>>> round(dry_matter_intake(50, milk_kg=3, milk_fat_pct=3.5, diet_me_mj_per_kg_dm=11), 2)
2.08
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

import numpy as np

from capra import libm
from capra.feed import _checks
from capra.feed._checks import FeedInputError, numbers
from capra.feed.coefficients import BIOTYPES, SEXES, STAGES, Coefficients, coefficients

__all__ = [
    "EnergyParts",
    "crude_protein_requirement",
    "dry_matter_intake",
    "energy_requirement",
    "energy_requirement_parts",
    "fat_corrected_milk_kg",
    "metabolizable_protein_requirement",
    "milk_energy_mj_per_kg",
]

#: Heaviest body weight accepted (goats: bucks of large breeds reach about 100 kg). [kg]
MAX_BODY_WEIGHT_KG = 200.0
#: Largest daily gain or loss accepted in absolute value. [g/day]
MAX_DAILY_GAIN_G = 1000.0
#: Largest daily milk yield accepted (record does give about 10 kg/day). [kg/day]
MAX_MILK_KG = 15.0
#: Largest litter accepted. [kids]
MAX_LITTER = 5
#: Largest dietary ME concentration accepted: milk and milk replacer reach about
#: 23 MJ/kg DM; fats about 35. [MJ/kg DM]
MAX_DIET_ME = 30.0
#: Largest activity factor accepted (Langston's grazing factor for 7 h on rolling terrain
#: is 1.13; mountainous ranging may double maintenance). [-]
MAX_ACTIVITY_FACTOR = 3.0


class EnergyParts(NamedTuple):
    """Metabolizable energy requirement by function. [MJ/day each]"""

    maintenance: Any
    """Maintenance, with the activity of stall feeding, the activity factor and the
    acclimatization adjustment. [MJ ME/day]"""
    gain: Any
    """Body-weight gain (negative for a loss). [MJ ME/day]"""
    lactation: Any
    """Milk. [MJ ME/day]"""
    pregnancy: Any
    """Conceptus (gravid uterus). [MJ ME/day]"""

    @property
    def total(self):
        """Sum of the parts. [MJ ME/day]"""
        return self.maintenance + self.gain + self.lactation + self.pregnancy


@dataclass(frozen=True)
class _Animals:
    """Validated, broadcast arguments; categorical arguments as integer codes."""

    bw: np.ndarray
    biotype: np.ndarray
    sex: np.ndarray
    stage: np.ndarray
    gain_g: np.ndarray
    milk_kg: np.ndarray
    fat_pct: np.ndarray
    day: np.ndarray            # day of gestation; NaN = not pregnant
    litter: np.ndarray
    kid_bw: np.ndarray         # kg per kid; NaN where not needed
    activity: np.ndarray
    temperature: np.ndarray    # NaN = no acclimatization adjustment
    diet_me: np.ndarray        # NaN = not given

    @property
    def shape(self) -> tuple[int, ...]:
        return self.bw.shape


def _optional(value: Any, argument: str, **bounds) -> np.ndarray:
    """None -> NaN; else a checked array whose NaN elements mean "not given"."""
    if value is None:
        return np.asarray(np.nan)
    return numbers(value, argument, allow_nan=True, **bounds)


def _animals(body_weight_kg, biotype, sex, stage, daily_gain_g, milk_kg, milk_fat_pct,
             diet_me_mj_per_kg_dm, pregnancy_day, litter, kid_birth_weight_kg,
             activity_factor, mean_temperature_c, c: Coefficients) -> _Animals:
    raw = {
        "body_weight_kg": numbers(body_weight_kg, "body_weight_kg", lo=0, hi=MAX_BODY_WEIGHT_KG,
                                  lo_open=True, unit="kg"),
        "biotype": _checks.codes(biotype, "biotype", BIOTYPES),
        "sex": _checks.codes(sex, "sex", SEXES),
        "stage": _checks.codes(stage, "stage", STAGES),
        "daily_gain_g": numbers(daily_gain_g, "daily_gain_g", lo=-MAX_DAILY_GAIN_G,
                                hi=MAX_DAILY_GAIN_G, unit="g/day"),
        "milk_kg": numbers(milk_kg, "milk_kg", lo=0, hi=MAX_MILK_KG, unit="kg/day"),
        "milk_fat_pct": numbers(milk_fat_pct, "milk_fat_pct", lo=0, hi=15, lo_open=True,
                                unit="%"),
        "diet_me_mj_per_kg_dm": _optional(diet_me_mj_per_kg_dm, "diet_me_mj_per_kg_dm", lo=0,
                                          hi=MAX_DIET_ME, lo_open=True, unit="MJ/kg DM"),
        "pregnancy_day": _optional(pregnancy_day, "pregnancy_day", lo=0,
                                   hi=c.pregnancy.last_day, unit="days of gestation"),
        "litter": _litter(litter),
        "kid_birth_weight_kg": _optional(kid_birth_weight_kg, "kid_birth_weight_kg", lo=0,
                                         hi=10, lo_open=True, unit="kg"),
        "activity_factor": numbers(activity_factor, "activity_factor", lo=1,
                                   hi=MAX_ACTIVITY_FACTOR, unit="(1 = stall or pen)"),
        "mean_temperature_c": _optional(mean_temperature_c, "mean_temperature_c", lo=-60,
                                        hi=60, unit="C"),
    }
    (bw, biotype_c, sex_c, stage_c, gain, milk, fat, diet_me, day, lit, kid_bw, activity,
     temperature) = _checks.broadcast(raw)
    a = _Animals(bw=bw, biotype=biotype_c, sex=sex_c, stage=stage_c, gain_g=gain,
                 milk_kg=milk, fat_pct=fat, day=day, litter=lit, kid_bw=kid_bw,
                 activity=activity, temperature=temperature, diet_me=diet_me)
    _cross_checks(a)
    return replace(a, kid_bw=_kid_birth_weight(a, c))


def _litter(value: Any) -> np.ndarray:
    arr = numbers(value, "litter", lo=1, hi=MAX_LITTER, unit="kids")
    _checks._raise_at(arr % 1 != 0, arr, "litter", f"a whole number of kids, 1 to "
                      f"{MAX_LITTER}", reason="not a whole number")
    return arr


def _cross_checks(a: _Animals) -> None:
    suckling = a.stage == STAGES.index("suckling")
    not_female = a.sex != SEXES.index("female")
    milking = a.milk_kg > 0
    _checks._raise_at(milking & suckling, a.milk_kg, "milk_kg",
                      "0 for a suckling kid (stage='suckling')", reason="milk for a kid")
    _checks._raise_at(milking & not_female, a.milk_kg, "milk_kg",
                      "0 for a male or castrate", reason="milk for a male")
    pregnant = ~np.isnan(a.day)
    _checks._raise_at(pregnant & (suckling | not_female), a.day, "pregnancy_day",
                      "NaN (not pregnant) for kids, males and castrates",
                      reason="pregnancy of a kid or male")


def _kid_birth_weight(a: _Animals, c: Coefficients) -> np.ndarray:
    """The birth weight per kid given, else the biotype's default; an error where a
    pregnant goat has neither."""
    default = np.array([getattr(c.pregnancy.kid_birth_weight_kg, b) or np.nan
                        for b in BIOTYPES])[a.biotype]
    missing = ~np.isnan(a.day) & np.isnan(a.kid_bw) & np.isnan(default)
    _checks._raise_at(missing, a.day, "kid_birth_weight_kg",
                      "a birth weight per kid for pregnant goats of a biotype without a "
                      "default (defaults: " + ", ".join(
                          f"{b} {w} kg" for b in BIOTYPES
                          if (w := getattr(c.pregnancy.kid_birth_weight_kg, b))) + ")",
                      reason="missing for a pregnancy at day")
    return np.where(np.isnan(a.kid_bw), default, a.kid_bw)


def _need_diet_me(a: _Animals, where: np.ndarray, why: str) -> None:
    missing = where & np.isnan(a.diet_me)
    if np.any(missing):
        positions = [()] if a.diet_me.ndim == 0 else [tuple(int(j) for j in i)
                                                      for i in np.argwhere(missing)]
        raise FeedInputError("diet_me_mj_per_kg_dm", "the ME concentration of the diet "
                             f"[MJ/kg DM] ({why})", positions=positions,
                             values=[None] * len(positions), reason="missing value")


# --------------------------------------------------------------------------------------
# Milk
# --------------------------------------------------------------------------------------

def milk_energy_mj_per_kg(milk_fat_pct):
    """Gross energy of goat milk from its fat content (Nsahlai et al. 2004a).

    Parameters
    ----------
    milk_fat_pct
        Fat content of the milk. [%]

    Returns
    -------
    Energy of the milk. [MJ/kg]
    """
    fat = numbers(milk_fat_pct, "milk_fat_pct", lo=0, hi=15, lo_open=True, unit="%")
    lac = coefficients().lactation
    return _checks.scalar_or_array(lac.milk_energy_intercept_mj_per_kg
                                   + lac.milk_energy_slope_mj_per_kg_per_fat_pct * fat)


def fat_corrected_milk_kg(milk_kg, milk_fat_pct):
    """4 % fat-corrected milk, ``milk x (0.4 + 0.15 x fat %)`` (NRC; Gaines 1928).

    Parameters
    ----------
    milk_kg
        Milk yield. [kg/day]
    milk_fat_pct
        Fat content. [%]

    Returns
    -------
    4 % fat-corrected milk. [kg/day]
    """
    milk = numbers(milk_kg, "milk_kg", lo=0, hi=MAX_MILK_KG, unit="kg/day")
    fat = numbers(milk_fat_pct, "milk_fat_pct", lo=0, hi=15, lo_open=True, unit="%")
    return _checks.scalar_or_array(_fcm(milk, fat, coefficients()))


def _fcm(milk: np.ndarray, fat: np.ndarray, c: Coefficients) -> np.ndarray:
    return milk * (c.lactation.fcm_intercept + c.lactation.fcm_slope_per_fat_pct * fat)


def _energy_4pct(c: Coefficients) -> float:
    lac = c.lactation
    return lac.milk_energy_intercept_mj_per_kg + 4.0 * lac.milk_energy_slope_mj_per_kg_per_fat_pct


# --------------------------------------------------------------------------------------
# Energy
# --------------------------------------------------------------------------------------

def _tables(c: Coefficients) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(maintenance [kJ/kg^0.75], sex factor [-], gain [kJ/g]) as stage x biotype/sex."""
    m, g = c.maintenance, c.gain
    mem = np.array([[m.suckling_kj_per_kg075] * 3,
                    [getattr(m.growing_kj_per_kg075, b) for b in BIOTYPES],
                    [getattr(m.mature_kj_per_kg075, b) for b in BIOTYPES]])
    sexf = np.array([[getattr(getattr(m.sex_factor, s), x) for x in SEXES] for s in STAGES])
    meg = np.array([[g.suckling_kj_per_g] * 3,
                    [getattr(g.growing_kj_per_g, b) for b in BIOTYPES],
                    [g.mature_kj_per_g] * 3])
    return mem, sexf, meg


def _maintenance_mj(a: _Animals, c: Coefficients) -> np.ndarray:
    mem, sexf, _ = _tables(c)
    w75 = libm.power(a.bw, 0.75)
    base_kj = mem[a.stage, a.biotype] * sexf[a.stage, a.sex] * w75
    acc = c.acclimatization
    per_degree = acc.ne_kj_per_kg075_per_degc / acc.efficiency
    cold_kj = np.where(np.isnan(a.temperature), 0.0,
                       per_degree * (acc.thermoneutral_midpoint_c - a.temperature)) * w75
    return (base_kj * a.activity + cold_kj) / 1000.0


def _gravid_uterus(a: _Animals, c: Coefficients, coef_a: float, coef_b: float,
                   rate: float) -> np.ndarray:
    """Daily retention ``dX/dt`` of the AFRC curve ``log10 X = a - b exp(-c t)`` (X for a
    litter of 4 kg), scaled by the litter's birth weight; nil before the first day counted.
    """
    active = a.day >= c.pregnancy.first_day  # False for NaN (not pregnant)
    out = np.zeros(a.shape)
    if np.any(active):
        t = a.day[active]
        weight = (a.litter * a.kid_bw)[active]
        decay = libm.exp(-rate * t)
        content = libm.power(10.0, coef_a - coef_b * decay)
        out[active] = (weight / c.pregnancy.reference_birth_weight_kg * content
                       * math.log(10) * coef_b * rate * decay)
    return out


def _pregnancy_mj(a: _Animals, c: Coefficients) -> np.ndarray:
    p = c.pregnancy
    return _gravid_uterus(a, c, p.energy_a, p.energy_b, p.energy_c_per_day) / p.efficiency_me


def _energy_parts(a: _Animals, c: Coefficients) -> EnergyParts:
    _, _, meg = _tables(c)
    gain = meg[a.stage, a.biotype] * a.gain_g / 1000.0
    lactation = _fcm(a.milk_kg, a.fat_pct, c) * c.lactation.me_mj_per_kg_fcm
    return EnergyParts(_maintenance_mj(a, c), gain, lactation, _pregnancy_mj(a, c))


def energy_requirement_parts(body_weight_kg, *, biotype="dairy", sex="female", stage="mature",
                             daily_gain_g=0.0, milk_kg=0.0, milk_fat_pct=3.5,
                             diet_me_mj_per_kg_dm=None, pregnancy_day=None, litter=1,
                             kid_birth_weight_kg=None, activity_factor=1.0,
                             mean_temperature_c=None) -> EnergyParts:
    """Metabolizable energy requirement split by function (see
    :func:`energy_requirement` for the arguments).

    Returns
    -------
    EnergyParts
        ``maintenance``, ``gain``, ``lactation``, ``pregnancy`` and ``total``. [MJ ME/day]
    """
    c = coefficients()
    a = _animals(body_weight_kg, biotype, sex, stage, daily_gain_g, milk_kg, milk_fat_pct,
                 diet_me_mj_per_kg_dm, pregnancy_day, litter, kid_birth_weight_kg,
                 activity_factor, mean_temperature_c, c)
    return EnergyParts(*(_checks.scalar_or_array(p) for p in _energy_parts(a, c)))


def energy_requirement(body_weight_kg, *, biotype="dairy", sex="female", stage="mature",
                       daily_gain_g=0.0, milk_kg=0.0, milk_fat_pct=3.5,
                       diet_me_mj_per_kg_dm=None, pregnancy_day=None, litter=1,
                       kid_birth_weight_kg=None, activity_factor=1.0,
                       mean_temperature_c=None):
    """Daily metabolizable energy requirement of goats (NRC 2007 / Langston system).

    ``ME = MEm x BW^0.75 x sex factor x activity factor + acclimatization
    + MEg x ADG + 5.195 x FCM + conceptus ME``.

    Parameters
    ----------
    body_weight_kg
        Body weight. [kg]
    biotype
        ``"dairy"``, ``"meat"`` (>= 50 % Boer) or ``"indigenous"``. [-]
    sex
        ``"female"``, ``"male"`` (intact) or ``"castrate"``. [-]
    stage
        ``"suckling"`` (preweaning kid), ``"growing"`` (weaned, under about 1.5 years) or
        ``"mature"``. A doeling that kids at one year is ``"mature"`` while in milk if her
        gain is given (Sahlu et al. 2004 use the mature MEg for her). [-]
    daily_gain_g
        Body-weight gain; negative for a loss (energy supplied by body tissue). [g/day]
    milk_kg
        Milk yield. [kg/day]
    milk_fat_pct
        Fat content of the milk. [%]
    diet_me_mj_per_kg_dm
        ME concentration of the diet. The requirement does not depend on it (it is
        checked, and accepted so that this function and :func:`dry_matter_intake` take the
        same arguments). [MJ/kg DM]
    pregnancy_day
        Day of gestation, or None / NaN when not pregnant. The conceptus requirement counts
        from day 95 (Langston); earlier it is nil. [days]
    litter
        Number of foetuses. [kids]
    kid_birth_weight_kg
        Expected birth weight per kid; default 3.3 kg for dairy goats (Saanen), required for
        pregnant goats of other biotypes. [kg]
    activity_factor
        Multiplier of maintenance for activity beyond stall feeding, e.g. Langston's grazing
        factor (1.13 for 7 h grazing and walking, 4 km, rolling terrain). [-]
    mean_temperature_c
        Mean daily temperature of the previous 30 days, for the acclimatization adjustment
        (+4.14 kJ/kg BW^0.75 per degree below 20 C); None for no adjustment. [C]

    Returns
    -------
    ME requirement. [MJ/day] (a float for scalar arguments, else an array)

    Raises
    ------
    FeedInputError
        An argument out of range or of an unknown kind, naming the argument and each
        offending position.
    """
    return energy_requirement_parts(
        body_weight_kg, biotype=biotype, sex=sex, stage=stage, daily_gain_g=daily_gain_g,
        milk_kg=milk_kg, milk_fat_pct=milk_fat_pct, diet_me_mj_per_kg_dm=diet_me_mj_per_kg_dm,
        pregnancy_day=pregnancy_day, litter=litter, kid_birth_weight_kg=kid_birth_weight_kg,
        activity_factor=activity_factor, mean_temperature_c=mean_temperature_c).total


# --------------------------------------------------------------------------------------
# Dry-matter intake
# --------------------------------------------------------------------------------------

def _dmi(a: _Animals, parts: EnergyParts, c: Coefficients) -> np.ndarray:
    i = c.intake
    me = a.diet_me
    mature = a.stage == STAGES.index("mature")
    # Mature goats: Luo et al. (2004c), constant overall efficiency of ME use.
    km = i.km_intercept + i.km_slope_per_mj * me
    adg_kg = a.gain_g / 1000.0
    ne_gain = adg_kg * i.tissue_energy_mj_per_kg * np.where(adg_kg < 0, i.mobilized_efficiency,
                                                             1.0)
    fcm = _fcm(a.milk_kg, a.fat_pct, c)
    ne = parts.maintenance * km + ne_gain + fcm * _energy_4pct(c)
    predicted = np.maximum(ne, 0.0) / (i.overall_efficiency * me)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(fcm > 0, adg_kg / np.where(fcm > 0, fcm, 1.0), 0.0)
    luo = i.dmi_intercept_kg + i.dmi_slope * predicted + i.dmi_adg_fcm_slope_kg * ratio
    luo = luo + parts.pregnancy / me
    # Kids and growing goats: DM that supplies the requirement at the diet's concentration.
    required = parts.total / me
    return np.maximum(np.where(mature, luo, required), 0.0)


def dry_matter_intake(body_weight_kg, *, biotype="dairy", sex="female", stage="mature",
                      daily_gain_g=0.0, milk_kg=0.0, milk_fat_pct=3.5,
                      diet_me_mj_per_kg_dm=None, pregnancy_day=None, litter=1,
                      kid_birth_weight_kg=None, activity_factor=1.0, mean_temperature_c=None):
    """Daily dry-matter intake of goats eating a diet of a given ME concentration.

    Mature goats (dry or lactating): the voluntary intake of Luo et al. (2004c),
    ``DMI = 0.0964 + 0.9334 x NE / (0.653 x MEC) - 0.1237 x ADG/FCM`` with
    ``NE = MEm x km + 23.9 x ADG (x 0.84 for a loss) + 3.079 x FCM``,
    ``km = 0.503 + 0.019 x MEC``, plus the conceptus ME divided by MEC in late pregnancy.
    Growing goats and suckling kids: the DM that supplies :func:`energy_requirement` at the
    diet's concentration (the "required, unadjusted" intake of the Langston calculators).

    Parameters are those of :func:`energy_requirement`; ``diet_me_mj_per_kg_dm`` is
    required (for a kid on milk, the ME per kg DM of the milk or replacer).

    Returns
    -------
    Dry-matter intake. [kg DM/day]
    """
    c = coefficients()
    a = _animals(body_weight_kg, biotype, sex, stage, daily_gain_g, milk_kg, milk_fat_pct,
                 diet_me_mj_per_kg_dm, pregnancy_day, litter, kid_birth_weight_kg,
                 activity_factor, mean_temperature_c, c)
    _need_diet_me(a, np.ones(a.shape, bool), "required by dry_matter_intake")
    return _checks.scalar_or_array(_dmi(a, _energy_parts(a, c), c))


# --------------------------------------------------------------------------------------
# Protein
# --------------------------------------------------------------------------------------

def _mp(a: _Animals, protein_pct: np.ndarray, c: Coefficients) -> np.ndarray:
    p = c.protein
    mature = a.stage == STAGES.index("mature")
    _need_diet_me(a, mature, "the metabolic faecal protein of mature goats is "
                  f"{p.metabolic_faecal_g_per_kg_dmi / 10:g} % of their DM intake")
    w75 = libm.power(a.bw, 0.75)
    gain_table = np.array([getattr(p.growing_gain_g_per_g, b) for b in BIOTYPES])
    young = p.growing_maintenance_g_per_kg075 * w75 + gain_table[a.biotype] * a.gain_g
    parts = _energy_parts(a, c)
    dmi = np.where(mature, _dmi(a, parts, c), 0.0) if np.any(mature) else 0.0
    old = (p.metabolic_faecal_g_per_kg_dmi * dmi + p.endogenous_urinary_g_per_kg075 * w75
           + p.scurf_g_per_kg06 * libm.power(a.bw, 0.6)
           + p.mature_tissue_protein_fraction / p.mature_gain_efficiency * a.gain_g)
    milk_protein_g = a.milk_kg * protein_pct * 10.0
    preg = c.pregnancy
    conceptus = _gravid_uterus(a, c, preg.protein_a, preg.protein_b,
                               preg.protein_c_per_day) / preg.efficiency_mp
    total = (np.where(mature, old, young) + p.lactation_g_per_g_milk_protein * milk_protein_g
             + conceptus)
    return np.maximum(total, 0.0)


def metabolizable_protein_requirement(body_weight_kg, *, biotype="dairy", sex="female",
                                      stage="mature", daily_gain_g=0.0, milk_kg=0.0,
                                      milk_fat_pct=3.5, milk_protein_pct=None,
                                      diet_me_mj_per_kg_dm=None, pregnancy_day=None, litter=1,
                                      kid_birth_weight_kg=None, activity_factor=1.0,
                                      mean_temperature_c=None):
    """Daily metabolizable protein requirement of goats (NRC 2007 / Langston system).

    Kids and growing goats: ``3.07 x BW^0.75 + MPg x ADG`` (MPg 0.290 g/g, meat goats
    0.404). Mature goats: metabolic faecal (26.7 g/kg DM intake, intake from
    :func:`dry_matter_intake`) + endogenous urinary (1.031 x BW^0.75) + scurf
    (0.2 x BW^0.6) + 0.143/0.59 x ADG. Plus 1.45 g per g milk protein and the conceptus
    protein (AFRC curve) / 0.33 from day 95 of gestation.

    Parameters
    ----------
    milk_protein_pct
        Protein content of the milk; default 3.0 % (Saanen). [%]
    diet_me_mj_per_kg_dm
        ME concentration of the diet; required for mature goats (their maintenance
        depends on intake). [MJ/kg DM]

    The other parameters are those of :func:`energy_requirement`.

    Returns
    -------
    MP requirement. [g MP/day]
    """
    c = coefficients()
    a = _animals(body_weight_kg, biotype, sex, stage, daily_gain_g, milk_kg, milk_fat_pct,
                 diet_me_mj_per_kg_dm, pregnancy_day, litter, kid_birth_weight_kg,
                 activity_factor, mean_temperature_c, c)
    protein = _protein_pct(milk_protein_pct, a, c)
    return _checks.scalar_or_array(_mp(a, protein, c))


def _protein_pct(value, a: _Animals, c: Coefficients) -> np.ndarray:
    if value is None:
        value = c.protein.default_milk_protein_pct
    arr = numbers(value, "milk_protein_pct", lo=0, hi=10, lo_open=True, unit="%")
    return _checks.broadcast({"body_weight_kg": a.bw, "milk_protein_pct": arr})[1]


def crude_protein_requirement(body_weight_kg, *, biotype="dairy", sex="female", stage="mature",
                              daily_gain_g=0.0, milk_kg=0.0, milk_fat_pct=3.5,
                              milk_protein_pct=None, diet_me_mj_per_kg_dm=None,
                              pregnancy_day=None, litter=1, kid_birth_weight_kg=None,
                              activity_factor=1.0, mean_temperature_c=None,
                              undegraded_protein_fraction=None):
    """Daily crude protein requirement: the MP requirement divided by
    ``0.64 + 0.16 x UIP`` (NRC 2000, as used by Langston).

    Parameters
    ----------
    undegraded_protein_fraction
        Fraction of dietary CP that escapes ruminal degradation (UIP). Default 0.2 (fresh
        forage; the highest CP requirement of the Langston tables), 1.0 for suckling kids
        (milk bypasses the rumen). [-]

    The other parameters are those of :func:`metabolizable_protein_requirement`.

    Returns
    -------
    CP requirement. [g CP/day]
    """
    c = coefficients()
    a = _animals(body_weight_kg, biotype, sex, stage, daily_gain_g, milk_kg, milk_fat_pct,
                 diet_me_mj_per_kg_dm, pregnancy_day, litter, kid_birth_weight_kg,
                 activity_factor, mean_temperature_c, c)
    protein = _protein_pct(milk_protein_pct, a, c)
    p = c.protein
    if undegraded_protein_fraction is None:
        uip = np.where(a.stage == STAGES.index("suckling"), p.suckling_undegraded_fraction,
                       p.default_undegraded_fraction)
    else:
        uip = numbers(undegraded_protein_fraction, "undegraded_protein_fraction", lo=0, hi=1)
        uip = _checks.broadcast({"body_weight_kg": a.bw, "undegraded_protein_fraction": uip})[1]
    return _checks.scalar_or_array(_mp(a, protein, c) /
                                   (p.cp_from_mp_intercept + p.cp_from_mp_slope * uip))
