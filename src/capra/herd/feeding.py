"""Feed in the daily herd simulation: what the animals need, what each farm feeds them,
how they respond when it is not enough, and how kids are reared.

Every day, after the census has found the milk of the day (the stage
:func:`capra.herd.day.census_and_feed`, with :func:`respond` after it on a shortage):

1. **Requirements** of every weaned animal: metabolizable energy (ME), crude protein (CP)
   and the dry matter (DM) it can eat, from its sex, whether it has kidded, its age on the
   breed's growth curve, its potential milk of the day and its stage of pregnancy, by the
   NRC (2007) / Langston goat equations of :mod:`capra.feed.requirements`. They are read
   from tables by age compiled once from those functions (:func:`compile_feeding`); a
   test checks animal by animal that the simulator's values are the functions'.
2. **Feeding** per farm in a stated priority (:data:`GROUPS`): does in milk first, then
   other pregnant females, young stock, and the other adults; each group eats pasture,
   then the stores in order, then what the farm buys, as the feed budget does
   (:func:`capra.feed.budget.feed_amount`), within the DM it can eat, with concentrate at
   most the management level's share of the farm's intake. Stocks are kept per farm and
   replicate.
3. **Responses** where energy falls short (rules and sources in ``docs/herd-model.md``,
   "Feed", and ``capra/data/feed/responses.toml``): growth slows (which delays first
   breeding), body reserves are drawn, then milk falls, then the conceptus is short
   (lighter kids, more of them die), and an animal without reserves that is still short
   risks death. Conception falls with the share of the requirement fed. All of this is off
   while the feed covers the requirements: results are then exactly those of the herd
   without feed (the same random numbers, nothing else changed).

Kid rearing (:class:`RearingParams`) is compiled with or without feed: whether kids drink
the farm's milk, when male kids are sold, and the risk of death of kids by method.

Units: ME [MJ], CP [g], DM [kg] per day unless a name says otherwise.

Why one module of ~1,000 lines: the compiled tables, the day's feeding and the responses
share private array layouts (the state codes mapped to requirement keys and priority
groups, the monthly record's indices) that must change together. The next split, when it
is worth its churn, is by the sections below: the management level and kid rearing
(no feed needed), the compiled parameters, and the day.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra.herd import feed_kernels, rng

if TYPE_CHECKING:  # pragma: no cover
    from capra.herd.params import HerdParams
    from capra.herd.state import HerdState

__all__ = ["CLASSES", "GROUPS", "FeedingParams", "RearingParams", "compile_feeding",
           "compile_rearing", "managed_breed", "requirements"]

#: Age from which a weaned goat that has not kidded has the requirements of a mature goat
#: (``stage="growing"`` is "weaned, under about 1.5 years": capra.feed.energy_requirement).
#: [days]
MATURE_AGE_DAYS = 548
#: Ages the requirement tables are computed for: every age an animal reaches (the herd
#: model's death-risk table ends at ``capra.herd.params.MAX_AGE_DAYS``). The tables kept
#: stop at the age from which no value changes by more than :data:`FLAT_TOLERANCE` (on the
#: Gompertz tail of the growth curve: 7 to 12 years), and older animals read that row. [days]
TABLE_AGE_DAYS = 40 * 365
#: Relative change below which a requirement no longer changes with age. [-]
FLAT_TOLERANCE = 1e-9
#: Priority groups, fed in this order: does in milk; pregnant females (not in milk);
#: doelings and bucklings; bucks and dry, open does. Within a group every animal gets the
#: same share of its requirement (the animals of a group share their intake capacity).
GROUPS = ("does in milk", "pregnant", "young stock", "other adults")
#: Classes of weaned animals whose energy balance is recorded (the herd's classes less the
#: kids, who drink milk), in the order of their codes in the census (capra.herd.kernels.census).
CLASSES = ("doelings", "bucklings", "bucks", "does_in_milk", "does_dry")
#: Keys of the requirement tables: 0 females that have not kidded, 1 females that have
#: (dry), 2 males (intact), 3 does in milk (the requirements of key 1 without the milk,
#: fed first), 4 nothing (kids, who drink milk, and removed animals).
_KEYS = (("female", False), ("female", True), ("male", False), ("female", True))
_ZERO_KEY = len(_KEYS)
#: Table key of each class code of the census (class * 2 + pregnant; classes 0 kids,
#: 1 doelings, 2 bucklings, 3 bucks, 4 does in milk, 5 dry does, 6 removed, 7 kids in
#: their colostrum days).
_KEY_OF_CODE = np.array([_ZERO_KEY, _ZERO_KEY, 0, 0, 2, 2, 2, 2, 3, 3, 1, 1, _ZERO_KEY,
                         _ZERO_KEY, _ZERO_KEY, _ZERO_KEY], dtype=np.int64)
#: Priority group of each class code: does in milk 0, other pregnant females 1, doelings
#: and bucklings 2, bucks and dry open does 3 (kids and removed animals need nothing).
_GROUP_OF_CODE = np.array([3, 3, 2, 1, 2, 2, 3, 3, 0, 0, 3, 1, 3, 3, 3, 3], dtype=np.int64)
#: Source kinds in a farm's feeding order.
_NONE, _PASTURE, _STOCK, _PURCHASE = 0, 1, 2, 3
#: Energy shortfalls below this are rounding, not a shortage. [MJ]
_TINY_MJ = 1e-6

#: Monthly variables recorded per (replicate, month, location), in the order of the
#: stacked record: name -> (units, description).
MONTHLY = {
    "feed_me_needed_mj": ("MJ/month", "ME the weaned animals need"),
    "feed_cp_needed_kg": ("kg/month", "crude protein the weaned animals need"),
    "feed_dm_fed_t": ("t/month", "DM fed, supplement included"),
    "feed_pasture_dm_t": ("t/month", "DM grazed"),
    "feed_stored_dm_t": ("t/month", "DM fed from the stores"),
    "feed_purchased_dm_t": ("t/month", "DM bought as needed, supplement included"),
    "feed_concentrate_as_fed_t": ("t/month", "concentrate fed, as fed"),
    "feed_me_unmet_mj": ("MJ/month", "ME needed and not fed (a shortage)"),
    "feed_cp_balance_kg": ("kg/month", "crude protein fed less needed"),
    "feed_cost": ("currency/month", "cost of the feed bought and of bought deliveries"),
    "feed_milk_replacer_kg": ("kg/month", "milk replacer powder fed to kids"),
    "feed_milk_replacer_cost": ("currency/month", "cost of the milk replacer powder"),
    "feed_milk_forgone_kg": ("kg/month", "milk not produced for want of feed energy"),
    "feed_reserves_used_kg": ("kg/month", "body weight lost to cover energy shortfalls"),
    **{f"feed_me_needed_mj_{c}": ("MJ/month", f"ME needed by {c.replace('_', ' ')}")
       for c in CLASSES},
    **{f"feed_me_fed_mj_{c}": ("MJ/month", f"ME fed to {c.replace('_', ' ')}")
       for c in CLASSES},
}
_Q = {name: i for i, name in enumerate(MONTHLY)}
# the first columns are written by the compiled feed_kernels.feed_budget, the last ones
# (ME needed, then fed, by class) by feed_kernels.feed_farms
assert tuple(MONTHLY)[:len(feed_kernels.BUDGET)] == feed_kernels.BUDGET
assert tuple(MONTHLY)[-2 * len(CLASSES):] == tuple(
    f"feed_me_{what}_mj_{c}" for what in ("needed", "fed") for c in CLASSES)
#: Variables per (replicate, month, location, feed slot).
BY_SOURCE = {
    "feed_source_dm_t": ("t/month", "DM fed of each feed of the farm's feeding order"),
    "feed_source_closing_t_dm": ("t", "stock of each stored feed at the end of the month"),
}


# --------------------------------------------------------------------------------------
# The management level: the breed as the scenario's preset sets it
# --------------------------------------------------------------------------------------

def _preset(scenario):
    from capra.feed.presets import management_preset

    management = getattr(scenario, "management", None)
    return (management.preset_values() if management is not None
            else management_preset("intensive"))


def managed_breed(scenario):
    """The scenario's breed with the values its management preset sets: conception per
    cycle, age at first breeding, kid and adult female mortality, and the lactation curves
    scaled by ``milk_yield_factor``. Without ``management``, the breed itself."""
    from capra.scenario.feeding import BREED_VALUES

    breed = scenario.breed
    management = getattr(scenario, "management", None)
    if management is None:
        return breed
    values = management.preset_values()
    data = breed.model_dump()
    for field, (section, key) in BREED_VALUES.items():
        if field in management.breed_kept:
            continue         # the breed's own value is the preset's (its draw, if uncertain)
        point = getattr(values, field).point
        data[section][key] = int(point) if key.endswith("_days") else float(point)
    factor = float(values.milk_yield_factor.point)
    data["lactation"]["wood_a"] = tuple(_scaled(a, factor) for a in data["lactation"]["wood_a"])
    return type(breed).model_validate(data)


def _scaled(value, factor: float):
    """A number times ``factor``; a distribution table (capra.scenario.uncertain) with its
    bounds and mode scaled."""
    if isinstance(value, dict):
        return {k: v * factor if k in ("low", "mode", "high") else v for k, v in value.items()}
    return value * factor


# --------------------------------------------------------------------------------------
# Kid rearing
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RearingParams:
    """How kids are reared at each location (farms, then quarantine stations)."""

    methods: tuple[str, ...]
    tank_milk: np.ndarray            # (L,) kids drink the farm's goat milk [-]
    male_sale_age_days: np.ndarray   # (L,) age at which male kids not kept are sold [days]
    kid_risk_ratio: np.ndarray       # (L,) risk of death to weaning / the breed's, >= 1 [-]
    powder_given: np.ndarray         # (L,) the farm gives its powder per kid [-]
    powder_kg_per_kid_day: np.ndarray  # (L,) that powder over the milk-feeding days [kg/day]
    powder_per_kg_milk: float        # powder per kg of reconstituted replacer [kg/kg]
    powder_price_per_kg: np.ndarray  # (L,) [/kg]
    spreads_cae: np.ndarray          # (L,) [-]

    def follows_policy(self, p: HerdParams) -> bool:
        """Every location rears kids as the policy's scalars say (milk from the farm, male
        kids sold at ``male_sale_age_days``, the breed's kid mortality)."""
        return bool(self.tank_milk.all() and (self.male_sale_age_days == p.male_sale_age_days).all()
                    and (self.kid_risk_ratio == 1.0).all())


def compile_rearing(scenario, p: HerdParams) -> RearingParams:
    """Kid rearing per location from the farms' ``kid_rearing`` (quarantine stations: the
    default, pooled pasteurised milk, male kids sold as the policy says). Nothing here
    depends on an uncertain scenario value: the kids' risk and milk are applied per
    replicate as the simulation runs."""
    from capra.feed.responses import kid_rearing
    from capra.scenario.feeding import KidRearing

    data = kid_rearing()
    by_farm = {f.name: f.kid_rearing for f in scenario.farms}
    feeding_days = max(p.weaning_age_days - p.colostrum_days, 1)
    rows = []
    for loc in p.locations:
        kr = by_farm.get(loc, KidRearing())
        method = data.methods[kr.method]
        sale = {"policy": p.male_sale_age_days, "after_colostrum": p.colostrum_days,
                "at_weaning": p.weaning_age_days}[kr.male_kids_sold]
        powder = (kr.powder_kg_per_kid / feeding_days if kr.powder_kg_per_kid is not None
                  else 0.0)
        price = (kr.powder_price_per_kg if kr.powder_price_per_kg is not None
                 else data.milk_replacer.price_per_kg.point)
        rows.append((kr.method, method.milk_from_tank, sale,
                     method.kid_mortality_relative_risk.point, powder, price,
                     method.spreads_cae))
    cols = list(zip(*rows))
    return RearingParams(methods=tuple(cols[0]), tank_milk=np.array(cols[1], bool),
                         male_sale_age_days=np.array(cols[2], np.int64),
                         kid_risk_ratio=np.array(cols[3], float),
                         powder_given=np.array([kr.powder_kg_per_kid is not None for kr in
                                                (by_farm.get(loc, KidRearing())
                                                 for loc in p.locations)], bool),
                         powder_kg_per_kid_day=np.array(cols[4], float),
                         powder_per_kg_milk=float(data.milk_replacer.powder_kg_per_kg_liquid.point),
                         powder_price_per_kg=np.array(cols[5], float),
                         spreads_cae=np.array(cols[6], bool))


# --------------------------------------------------------------------------------------
# Compiled feeding parameters
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedingParams:
    """Everything the daily feeding needs, as arrays (see :func:`compile_feeding`)."""

    # requirement tables by grazing, key and age, (2, 5, oldest + 1), flattened over key
    # and age (index: key * (oldest + 1) + min(age, oldest))
    oldest: int                   # last age of the tables [days]
    row_of_code: np.ndarray       # (16,) start of the rows of each class code
    me: np.ndarray                # ME at milk 0, not pregnant [MJ/day]
    dmi: np.ndarray               # DM intake at the ration's ME [kg/day]
    cp: np.ndarray                # crude protein [g/day]
    table: np.ndarray             # (2, 5 * (oldest + 1), 3): me, dmi and cp side by side
    # by key and age, (5 * (oldest + 1),)
    me_gain: np.ndarray           # ME for growth [MJ/day]
    adg_kg: np.ndarray            # daily gain [kg/day]
    weight_kg: np.ndarray         # body weight [kg]
    mature: np.ndarray            # mature requirements [-]
    # milk, pregnancy, protein
    me_per_kg_milk: float         # [MJ/kg]
    fcm_per_kg_milk: float        # [kg FCM/kg]
    dmi_per_kg_fcm: float         # mature intake per kg FCM [kg DM/kg]
    dmi_adg_fcm_kg: float         # coefficient of ADG/FCM in mature intake [kg]
    mp_per_kg_milk: float         # [g/kg]
    mp_per_kg_dmi: float          # metabolic faecal protein of mature goats [g/kg DM]
    cp_per_mp: float              # CP per g MP [-]
    preg_me: np.ndarray           # (gestation + 1,) conceptus ME per kid by day [MJ/day]
    preg_mp: np.ndarray           # (gestation + 1,) conceptus MP per kid by day [g/day]
    preg_first_day: int
    mean_litter: np.ndarray       # (2,) expected litter at a first and a later kidding
    ration_me: float              # [MJ/kg DM]
    concentrate_share: float      # most concentrate in the DM eaten [-]
    # responses
    tissue_me_mj_per_kg: float
    max_loss_share: float
    max_loss_kg_per_day: float
    max_regain_kg_per_day: float
    conception_factor_without_feed: float
    late_share_of_birth_weight: float
    low_birth_weight_kg: float
    risk_at_low_birth_weight: float
    birth_weight_kg: np.ndarray   # (2,) by sex [kg]
    starvation_daily_probability: float
    # farms: feeding order, padded to S sources per location
    source_names: tuple[tuple[str, ...], ...]
    source_kind: np.ndarray       # (L, S) _NONE, _PASTURE, _STOCK, _PURCHASE
    source_me: np.ndarray         # (L, S) [MJ/kg DM]
    source_cp: np.ndarray         # (L, S) [g/kg DM]
    source_dm_fraction: np.ndarray  # (L, S)
    source_price_per_t: np.ndarray  # (L, S) per t as fed (purchases)
    source_concentrate: np.ndarray  # (L, S) bool
    opening_kg: np.ndarray        # (L, S) opening stock [kg DM]
    deliveries_kg: np.ndarray     # (L, S, n_days) added to the stores [kg DM]
    delivery_cost: np.ndarray     # (L, n_days) cost of bought deliveries
    pasture_kg: np.ndarray        # (L, n_days) pasture eaten at most [kg DM]
    grazing: np.ndarray           # (L, n_days) bool
    supplement_cp: np.ndarray     # (L,) CP of the protein supplement, 0 none [g/kg DM]
    supplement_per_cp: np.ndarray  # (L,) supplement per g CP short, 0 none [kg DM/g]
    supplement_cost_per_kg_dm: np.ndarray  # (L,) [/kg DM]
    supplement_names: tuple[str | None, ...]
    dense_bought: np.ndarray      # (L, S) densest bought feed after each source [MJ/kg DM]
    all_bought: bool              # every source of every location is bought as needed
    # calendar
    month_of_day: np.ndarray      # (n_days,) month index
    months: tuple[str, ...]       # "YYYY-MM"
    month_days: np.ndarray        # (M,) simulated days in each month
    currency: str
    can_run_short: bool           # some location buys nothing, or nothing as dense as the
                                  # ration: a shortage is possible

    @property
    def n_sources(self) -> int:
        return self.source_kind.shape[1]


@lru_cache(maxsize=8)
def _requirement_tables(curve, growth_factor: float, mec: float, grazing_factor: float,
                        weaning_age_days: int, min_intake: float) -> dict[str, np.ndarray]:
    """The requirement tables by key and age (see :class:`FeedingParams`), from the
    functions of :mod:`capra.feed.requirements`."""
    from capra.feed.requirements import (
        dry_matter_intake,
        energy_requirement_parts,
        metabolizable_protein_requirement,
    )

    ages = np.arange(TABLE_AGE_DAYS + 1)
    keys = len(_KEYS) + 1
    out = {name: np.zeros((2, keys, ages.size)) for name in ("me", "dmi", "mp")}
    out.update({name: np.zeros((keys, ages.size))
                for name in ("me_gain", "adg_kg", "weight_kg")})
    out["mature"] = np.zeros((keys, ages.size), bool)
    weaned = ages >= weaning_age_days          # kids drink milk: nothing from the feed
    from capra.feed.growth import MAX_AGE_DAYS as CURVE_AGE_DAYS

    on_curve = np.minimum(ages, CURVE_AGE_DAYS)
    for k, (sex, parous) in enumerate(_KEYS):
        w = curve.body_weight_kg(on_curve, sex, growth_factor)
        g = curve.daily_gain_g(on_curve, sex, growth_factor)
        old = np.full(ages.size, True) if parous else ages >= MATURE_AGE_DAYS
        stage = np.where(old, 2, 1)        # capra.feed.coefficients.STAGES: growing, mature
        args = dict(sex=sex, stage=stage, daily_gain_g=g, diet_me_mj_per_kg_dm=mec)
        for graze, act in enumerate((1.0, grazing_factor)):
            parts = energy_requirement_parts(w, activity_factor=act, **args)
            out["me"][graze, k] = (parts.maintenance + parts.gain) * weaned
            out["dmi"][graze, k] = dry_matter_intake(w, activity_factor=act, **args) * weaned
            out["mp"][graze, k] = metabolizable_protein_requirement(
                w, activity_factor=act, **args) * weaned
        if k != 3:              # not in milk: ad lib forage fills at least min_intake
            out["dmi"][:, k] = np.maximum(out["dmi"][:, k], min_intake * w * weaned)
        out["me_gain"][k], out["adg_kg"][k] = parts.gain, g / 1000.0
        out["weight_kg"][k], out["mature"][k] = w, old
    oldest = ages.size - 1
    for name in ("me", "dmi", "mp"):
        v = out[name]
        moving = np.abs(v - v[..., -1:]) > FLAT_TOLERANCE * np.abs(v[..., -1:])
        oldest = min(oldest, int(np.flatnonzero(moving.any(axis=(0, 1)))[-1]) + 1
                     if moving.any() else 0)
    oldest = max(oldest, weaning_age_days)
    out = {name: (v[..., :oldest + 1].reshape(2, -1) if v.ndim == 3
                  else v[:, :oldest + 1].reshape(-1)).copy() for name, v in out.items()}
    out["oldest"] = oldest
    return out


@lru_cache(maxsize=8)
def _pregnancy_tables(days: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Conceptus ME and MP per kid of the default dairy birth weight, by day of
    gestation. [MJ/day], [g/day]"""
    from capra.feed.coefficients import coefficients
    from capra.feed.requirements import (
        energy_requirement_parts,
        metabolizable_protein_requirement,
    )

    c = coefficients().pregnancy
    day = np.minimum(np.arange(days + 1), c.last_day).astype(float)
    me = energy_requirement_parts(40.0, stage="growing", pregnancy_day=day).pregnancy
    mp = (metabolizable_protein_requirement(40.0, stage="growing", pregnancy_day=day)
          - metabolizable_protein_requirement(40.0, stage="growing"))
    return np.asarray(me, float), np.asarray(mp, float), int(c.first_day)


def _calendar(dates: pd.DatetimeIndex) -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """Month index of each day, the months ("YYYY-MM") and their simulated days."""
    key = np.asarray(dates.values, dtype="datetime64[M]")
    first, month_of_day = np.unique(key, return_inverse=True)
    months = tuple(str(m) for m in first)
    return month_of_day.astype(np.int64), months, np.bincount(month_of_day)


def _farm_sources(resources, library, dates: pd.DatetimeIndex, where: str):
    """One location's feeding order: [(name, kind, feed, opening kg, deliveries kg,
    delivery cost)], its pasture growth per day and grazing days, its supplement."""
    from capra.feed.budget import _in_season, _on_date
    from capra.feed.resources import resolve

    r = resolve(resources, library, where=where)
    n = len(dates)
    sources = []
    pasture_kg = np.zeros(n)
    grazing = np.zeros(n, bool)
    if r.pasture is not None and r.pasture.area_ha > 0:
        pa = r.pasture
        days_in_month = dates.days_in_month.to_numpy()
        grazing = _in_season(dates, pa.grazing_start, pa.grazing_end)
        pasture_kg = (pa.area_ha * pa.dm_yield_kg_per_ha_by_month[dates.month - 1]
                      * pa.utilization / days_in_month * grazing)
        sources.append((pa.feed_name, _PASTURE, pa.feed, 0.0, np.zeros(n), np.zeros(n)))
    for stock in r.stores:
        feed = r.feeds[stock.feed]
        added, cost = np.zeros(n), np.zeros(n)
        for d in stock.deliveries:
            on = _on_date(dates, d.date)
            added += on * d.t_dm * 1000.0
            if d.kind == "bought":
                price = d.price_per_t if d.price_per_t is not None else feed.price_per_t
                cost += on * d.t_dm / feed.dm_fraction * price
        sources.append((stock.feed, _STOCK, feed, stock.opening_t_dm * 1000.0, added, cost))
    for name in r.purchase:
        sources.append((name, _PURCHASE, r.feeds[name], 0.0, np.zeros(n), np.zeros(n)))
    supplement = r.feeds[r.protein_supplement] if r.protein_supplement else None
    return sources, pasture_kg, grazing, (r.protein_supplement, supplement), r.currency


def compile_feeding(scenario, p: HerdParams) -> FeedingParams | None:
    """The feeding of the herd: requirement tables, each location's feeding order, the
    response coefficients. None if the breed has no growth curve (body weights are needed
    for the requirements)."""
    from capra.feed.coefficients import coefficients
    from capra.feed.growth import bundled_growth_curves, load_growth_curve
    from capra.feed.resources import FeedResources, feed_library
    from capra.feed.responses import responses
    from capra.herd.rules import mean_litter_size

    breed_key = scenario.breed.name.strip().lower()
    if breed_key not in bundled_growth_curves():
        return None
    curve = load_growth_curve(breed_key)
    preset = _preset(scenario)
    resp = responses()
    c = coefficients()
    mec = float(preset.ration_me_mj_per_kg_dm.point)
    fat = float(resp.herd.milk_fat_pct.point)
    tables = _requirement_tables(curve, float(preset.kid_growth_factor.point), mec,
                                 float(resp.herd.grazing_activity_factor.point),
                                 p.weaning_age_days,
                                 float(resp.herd.min_intake_share_of_body_weight.point))
    cp_per_mp = 1.0 / (c.protein.cp_from_mp_intercept
                       + c.protein.cp_from_mp_slope * c.protein.default_undegraded_fraction)
    preg_me, preg_mp, first_day = _pregnancy_tables(p.gestation_days + 1)
    lac, intake, prot = c.lactation, c.intake, c.protein
    fcm_per_kg = lac.fcm_intercept + lac.fcm_slope_per_fat_pct * fat
    e4 = lac.milk_energy_intercept_mj_per_kg + 4.0 * lac.milk_energy_slope_mj_per_kg_per_fat_pct

    library = feed_library()
    by_farm = {f.name: f.feed for f in scenario.farms}
    per_loc = []
    for i, loc in enumerate(p.locations):
        resources = by_farm.get(loc) or FeedResources()
        where = f"farms[{i}].feed" if loc in by_farm else f"locations[{i}]"
        per_loc.append(_farm_sources(resources, library, p.dates, where))
    L, S, n = len(per_loc), max(max(len(x[0]) for x in per_loc), 1), p.n_days
    kind = np.zeros((L, S), np.int8)
    me_s, cp_s = np.ones((L, S)), np.zeros((L, S))
    dmf, price = np.ones((L, S)), np.zeros((L, S))
    conc = np.zeros((L, S), bool)
    opening, deliveries = np.zeros((L, S)), np.zeros((L, S, n))
    delivery_cost = np.zeros((L, n))
    pasture, grazing = np.zeros((L, n)), np.zeros((L, n), bool)
    supp_cp, supp_dmf, supp_price = np.zeros(L), np.ones(L), np.zeros(L)
    names, supp_names = [], []
    for loc, (sources, pasture_kg, graze, (supp_name, supp), _) in enumerate(per_loc):
        names.append(tuple(s[0] for s in sources))
        for s, (_, k, feed, open_kg, added, cost) in enumerate(sources):
            kind[loc, s] = k
            me_s[loc, s], cp_s[loc, s] = feed.me_mj_per_kg_dm, feed.cp_pct_dm * 10.0
            dmf[loc, s], price[loc, s] = feed.dm_fraction, feed.price_per_t or 0.0
            conc[loc, s] = feed.kind == "concentrate"
            opening[loc, s], deliveries[loc, s] = open_kg, added
            delivery_cost[loc] += cost
        pasture[loc], grazing[loc] = pasture_kg, graze
        supp_names.append(supp_name)
        if supp is not None:
            supp_cp[loc], supp_dmf[loc] = supp.cp_pct_dm * 10.0, supp.dm_fraction
            supp_price[loc] = supp.price_per_t or 0.0
    month_of_day, months, month_days = _calendar(p.dates)
    starve = float(resp.starvation.death_risk_per_30_days.point)
    return FeedingParams(
        oldest=tables["oldest"], row_of_code=_KEY_OF_CODE * (tables["oldest"] + 1),
        me=tables["me"], dmi=tables["dmi"], cp=tables["mp"] * cp_per_mp,
        table=np.stack([tables["me"], tables["dmi"], tables["mp"] * cp_per_mp], axis=-1),
        me_gain=tables["me_gain"], adg_kg=tables["adg_kg"], weight_kg=tables["weight_kg"],
        mature=tables["mature"],
        me_per_kg_milk=fcm_per_kg * lac.me_mj_per_kg_fcm, fcm_per_kg_milk=fcm_per_kg,
        dmi_per_kg_fcm=intake.dmi_slope * e4 / (intake.overall_efficiency * mec),
        dmi_adg_fcm_kg=intake.dmi_adg_fcm_slope_kg,
        mp_per_kg_milk=prot.lactation_g_per_g_milk_protein * prot.default_milk_protein_pct * 10.0,
        mp_per_kg_dmi=prot.metabolic_faecal_g_per_kg_dmi,
        cp_per_mp=cp_per_mp,
        preg_me=preg_me, preg_mp=preg_mp, preg_first_day=first_day,
        mean_litter=np.asarray(mean_litter_size(p), float), ration_me=mec,
        concentrate_share=float(preset.concentrate_share.point),
        tissue_me_mj_per_kg=float(resp.body_reserves.me_mj_per_kg.point),
        max_loss_share=float(resp.body_reserves.max_loss_share_of_body_weight.point),
        max_loss_kg_per_day=float(resp.body_reserves.max_loss_kg_per_day.point),
        max_regain_kg_per_day=float(resp.body_reserves.max_regain_kg_per_day.point),
        conception_factor_without_feed=float(resp.conception.factor_without_feed.point),
        late_share_of_birth_weight=float(resp.kids.late_pregnancy_share_of_birth_weight.point),
        low_birth_weight_kg=float(resp.kids.low_birth_weight_kg.point),
        risk_at_low_birth_weight=float(resp.kids.risk_to_weaning_at_low_birth_weight.point),
        birth_weight_kg=np.array([curve.birth_weight_kg("female"),
                                  curve.birth_weight_kg("male")]),
        starvation_daily_probability=1.0 - (1.0 - starve) ** (1.0 / 30.0),
        source_names=tuple(names), source_kind=kind, source_me=me_s, source_cp=cp_s,
        source_dm_fraction=dmf, source_price_per_t=price, source_concentrate=conc,
        opening_kg=opening, deliveries_kg=deliveries, delivery_cost=delivery_cost,
        pasture_kg=pasture, grazing=grazing, supplement_cp=supp_cp,
        supplement_per_cp=np.divide(1.0, supp_cp, out=np.zeros(L), where=supp_cp > 0),
        supplement_cost_per_kg_dm=supp_price / supp_dmf / 1000.0,
        supplement_names=tuple(supp_names), dense_bought=_dense_bought(kind, me_s),
        all_bought=bool((kind[kind != _NONE] == _PURCHASE).all()),
        month_of_day=month_of_day, months=months,
        month_days=month_days, currency=per_loc[0][4] if per_loc else library.currency,
        can_run_short=bool((np.where(kind == _PURCHASE, me_s, 0.0).max(axis=1) < mec).any()))


def _dense_bought(kind: np.ndarray, me: np.ndarray) -> np.ndarray:
    """ME of the densest bought feed after each source of each location, 0 if none
    (bought feeds are always there). [MJ/kg DM]"""
    out = np.zeros(kind.shape)
    for s in range(kind.shape[1] - 1):
        later = np.where(kind[:, s + 1:] == _PURCHASE, me[:, s + 1:], 0.0)
        out[:, s] = later.max(axis=1)
    return out


def attach(p: HerdParams, scenario) -> HerdParams:
    """``p`` with its kid rearing and feeding compiled from ``scenario``."""
    p = dataclasses.replace(p, rearing=compile_rearing(scenario, p))
    return dataclasses.replace(p, feeding=compile_feeding(scenario, p))


# --------------------------------------------------------------------------------------
# The state of the feeding of a batch of replicates
# --------------------------------------------------------------------------------------

class FeedState:
    """Stocks per replicate and location, and what the responses left behind."""

    def __init__(self, fp: FeedingParams, n_replicates: int):
        self.stock = np.broadcast_to(fp.opening_kg, (n_replicates,) + fp.opening_kg.shape).copy()
        #: pasture grown this month and not yet eaten, (R, L, S) [kg DM]
        self.pasture = np.zeros_like(self.stock)
        #: some animal was short of energy or is rebuilding its reserves
        self.active = False
        #: some animal's intake share is below 1 (conception responds)
        self.intake_set = False
        #: some animal is behind its growth curve (first breeding responds)
        self.lagging = False
        #: the records of the batch's feeding (:func:`day_records`), made once
        self.records = None


def start(state: HerdState, p: HerdParams, rec) -> None:
    """Set up the feeding of a batch: the stocks, and the monthly variables of the
    recorder (nothing when feed is off)."""
    fp = p.feeding
    if fp is None:
        return
    state.feed = FeedState(fp, state.n_replicates)
    R, L, M = state.n_replicates, p.n_locations, len(fp.months)
    # (R, M, L, k) stored month by month, as the recorder's daily outputs: a day adds to
    # one block of memory
    rec.data["feed_monthly"] = np.zeros((M, R, L, len(MONTHLY))).transpose(1, 0, 2, 3)
    for name in BY_SOURCE:
        rec.data[name] = np.zeros((M, R, L, fp.n_sources)).transpose(1, 0, 2, 3)


# --------------------------------------------------------------------------------------
# The day
# --------------------------------------------------------------------------------------

def feed_tables(p: HerdParams) -> feed_kernels.FeedTables:
    """The tables the requirement passes read."""
    fp = p.feeding
    return feed_kernels.FeedTables(
        fp.row_of_code, fp.oldest, fp.grazing, fp.table,
        fp.mature, fp.adg_kg, p.gestation_days, fp.preg_first_day, fp.preg_me, fp.preg_mp,
        fp.mean_litter, fp.ration_me, fp.mp_per_kg_dmi, fp.cp_per_mp,
        fp.max_regain_kg_per_day, fp.tissue_me_mj_per_kg, fp.fcm_per_kg_milk,
        fp.me_per_kg_milk, fp.dmi_per_kg_fcm, fp.dmi_adg_fcm_kg, fp.mp_per_kg_milk,
        _GROUP_OF_CODE)


def feed_farms(p: HerdParams) -> feed_kernels.FeedFarms:
    """The farms' feeds and budget terms as :func:`capra.herd.feed_kernels.feed_farms`
    reads them."""
    fp = p.feeding
    return feed_kernels.FeedFarms(
        fp.source_kind, fp.source_me, fp.source_concentrate, fp.concentrate_share,
        fp.dense_bought, fp.all_bought, fp.pasture_kg, fp.deliveries_kg, fp.source_cp,
        fp.supplement_per_cp, fp.supplement_cp, fp.source_dm_fraction, fp.source_price_per_t,
        fp.supplement_cost_per_kg_dm, fp.delivery_cost, _GROUP_OF_CODE)


@lru_cache(maxsize=1)
def _no_feed() -> tuple:
    """The feeding's records with empty tables, of the same types as a scenario's (the
    feeding off), made once."""
    from capra.herd.day import Rearing

    f, i8, b, i = np.zeros(0), np.zeros(0, np.int8), np.zeros(0, bool), np.zeros(0, np.int64)
    f2, b2 = np.zeros((0, 0)), np.zeros((0, 0), bool)
    tables = feed_kernels.FeedTables(i, 0, b2, np.zeros((0, 0, 0)), b, f, 0, 0, f, f, f,
                                     0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, i)
    farms = feed_kernels.FeedFarms(i8.reshape(0, 0), f2, b2, 0.0, f2, False, f2,
                                   np.zeros((0, 0, 0)), f2, f, f, f2, f2, f, f2, i)
    return tables, farms, Rearing(False, b, f, 0.0, f, f)


def _records(state: HerdState, p: HerdParams) -> tuple:
    """The feeding's records of the batch (:func:`feed_tables`, :func:`feed_farms`, the
    milk replacer :class:`capra.herd.day.Rearing`), made once."""
    from capra.herd.day import Rearing, kid_milk_of

    fs, r = state.feed, p.rearing
    if getattr(fs, "records", None) is None:
        fs.records = (feed_tables(p), feed_farms(p), Rearing(
            not r.tank_milk.all(), r.powder_given, r.powder_kg_per_kid_day,
            r.powder_per_kg_milk, r.powder_price_per_kg, kid_milk_of(p, state.n_replicates)))
    return fs.records


def day_records(state: HerdState, p: HerdParams, t: int, rec) -> tuple:
    """What the feeding of day ``t`` reads and writes, as
    :func:`capra.herd.day.census_and_feed` takes it: the tables (:func:`feed_tables`), the
    farms' feeds (:func:`feed_farms`), the milk replacer
    (:class:`capra.herd.day.Rearing`), the farms' stocks and pasture, whether animals
    lag behind their growth curve or are rebuilding reserves, whether a month begins, a
    zeroed day of the budget (R, L, :data:`MONTHLY`) and the month's sums it adds to;
    with the feeding off, empty records and arrays of the same types (:func:`_no_feed`:
    the day is compiled once for both)."""
    fs = state.feed
    if fs is None:
        nothing = np.zeros((0, 0, 0))
        return _no_feed() + (nothing, nothing, False, False, False, nothing, nothing,
                             nothing, nothing)
    fp = p.feeding
    m = fp.month_of_day[t]
    data = rec.data
    day = np.zeros((state.n_replicates, p.n_locations, len(MONTHLY)))
    return _records(state, p) + (fs.stock, fs.pasture, fs.lagging, fs.active,
                                 t == 0 or m != fp.month_of_day[t - 1], day,
                                 data["feed_source_dm_t"][:, m],
                                 data["feed_source_closing_t_dm"][:, m],
                                 data["feed_monthly"][:, m])


def span_records(state: HerdState, p: HerdParams, rec) -> tuple:
    """What the feeding of days in one compiled call reads and writes
    (:func:`capra.herd.day.run`): as :func:`day_records`, with the month of every day
    in place of whether a month begins, and the month's sums of every month (months
    first, as they are kept in memory)."""
    fs = state.feed
    if fs is None:
        nothing, by_month = np.zeros((0, 0, 0)), np.zeros((1, 0, 0, 0))
        return _no_feed() + (nothing, nothing, False, False, np.zeros(p.n_days, np.int64),
                             nothing, by_month, by_month, by_month)
    data = rec.data
    return _records(state, p) + (
        fs.stock, fs.pasture, fs.lagging, fs.active, p.feeding.month_of_day,
        np.zeros((state.n_replicates, p.n_locations, len(MONTHLY))),
        *(data[name].transpose(1, 0, 2, 3) for name in (
            "feed_source_dm_t", "feed_source_closing_t_dm", "feed_monthly")))


def respond(state: HerdState, t: int, p: HerdParams, keys: dict | None, rec,
            c16: np.ndarray, li: np.ndarray, kg: np.ndarray, fed_share: np.ndarray,
            day: np.ndarray) -> np.ndarray:
    """The responses of the weaned animals of day ``t`` to the share of their requirement
    fed (``fed_share`` per replicate, location and priority group, of
    :func:`capra.herd.day.census_and_feed`; ``c16`` the class code of every row); returns
    the milk of the lactating does ``li`` (their potential ``kg``, less what the shortage
    withholds), and adds the day's budget ``day`` (with the responses' columns) to the
    month's."""
    fp = p.feeding
    fs = state.feed
    lag = state.lag if fs.lagging else None
    age = t - state.birth
    due = state.due - t
    late = np.flatnonzero(due.view(np.uint32) <= p.gestation_days - fp.preg_first_day)
    preg = _pregnancy_parts(fp, p.gestation_days - due[late], state.parity[late],
                            fp.mature[_table_index(fp, age[late], c16[late],
                                                   None if lag is None else lag[late])])
    regain = (np.minimum(state.lost_kg, fp.max_regain_kg_per_day) * fp.tissue_me_mj_per_kg
              if fs.active else None)      # animals rebuilding the reserves a shortage took
    fk, (me, _, _) = _row_requirements(fp, t, state, age, c16, slice(0, c16.size), late,
                                       preg, lag, regain)
    kg = _respond(state, t, p, keys, fk, c16, me, fed_share, li, kg, late, preg[0],
                  regain, day)
    rec.data["feed_monthly"][:, fp.month_of_day[t]] += day
    return kg


def _row_requirements(fp: FeedingParams, t: int, state, age, c16, rows: slice, late, preg,
                      lag, regain):
    """Table index and (ME, DM intake, CP) without the milk of the ``rows`` of the state:
    the tables, the conceptus ``preg`` of the rows ``late`` (positions in ``rows``) and the
    ME of the tissue being regained (``regain`` per row of the state, or None)."""
    fk = _table_index(fp, age[rows], c16[rows], None if lag is None else lag[rows])
    me, dmi, cp = _table_values(fp, t, fk, state.loc[rows])
    for total, part in zip((me, dmi, cp), preg):
        total[late] += part
    if regain is not None:
        me += regain[rows]
        dmi += regain[rows] / fp.ration_me
    return fk, (me, dmi, cp)


def _table_index(fp: FeedingParams, age: np.ndarray, c16: np.ndarray,
                 lag: np.ndarray | None) -> np.ndarray:
    """Index into the requirement tables of rows of class code ``c16`` and ``age`` [days],
    less the days of growth they missed (``lag`` [days], None: none)."""
    a = age if lag is None else age - lag.astype(np.int64)
    fk = fp.row_of_code[c16]
    fk += np.clip(a, 0, fp.oldest)
    return fk


def _pregnancy_parts(fp: FeedingParams, gday: np.ndarray, parity: np.ndarray,
                     mature: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ME [MJ/day], DM intake [kg/day] and CP [g/day] for the conceptus of females on day
    ``gday`` of gestation carrying the expected litter of their next kidding (first or
    later, by ``parity``); ``mature``: whether their protein requirement counts their
    intake (NRC mature goats)."""
    gday = np.minimum(gday, fp.preg_me.size - 1)
    litter = fp.mean_litter[(parity > 0).astype(np.int64)]
    me = fp.preg_me[gday] * litter
    dmi = me / fp.ration_me
    cp = (fp.preg_mp[gday] * litter + fp.mp_per_kg_dmi * mature * dmi) * fp.cp_per_mp
    return me, dmi, cp


def _adg_per_fcm(fp: FeedingParams, fk: np.ndarray, milk_kg: np.ndarray) -> np.ndarray:
    """ADG / FCM of does in milk at table index ``fk`` [kg/kg]; nil without milk."""
    fcm = milk_kg * fp.fcm_per_kg_milk
    return np.divide(fp.adg_kg[fk], fcm, out=np.zeros(fcm.shape), where=fcm > 0)


def _milk_parts(fp: FeedingParams, milk_kg, adg_per_fcm) -> tuple:
    """ME [MJ/day], DM intake [kg/day] and CP [g/day] for ``milk_kg`` of milk, per doe or
    summed over does (``adg_per_fcm`` summed alike; :func:`_adg_per_fcm`): the lactation ME
    of the 4 % fat-corrected milk, the intake the Luo et al. (2004c) equation adds for it,
    and the protein of the milk and of that intake."""
    dmi = fp.dmi_per_kg_fcm * fp.fcm_per_kg_milk * milk_kg + fp.dmi_adg_fcm_kg * adg_per_fcm
    return (milk_kg * fp.me_per_kg_milk, dmi,
            (fp.mp_per_kg_dmi * dmi + fp.mp_per_kg_milk * milk_kg) * fp.cp_per_mp)


def requirements(p: HerdParams, t: int, rows: dict) -> dict[str, np.ndarray]:
    """Requirements of animals as the simulation computes them, for checks against
    :mod:`capra.feed.requirements`.

    ``rows`` gives per animal: ``age`` [days], ``c16`` (class code of the census),
    ``loc``, ``due`` (kidding day, -1 open), ``parity``, ``milk_kg`` [kg/day] and
    optionally ``lag`` [days]. Returns ``me`` [MJ/day], ``dmi`` [kg DM/day] and ``cp``
    [g/day].
    """
    fp = p.feeding
    fk = _table_index(fp, np.asarray(rows["age"]), np.asarray(rows["c16"]), rows.get("lag"))
    me, dmi, cp = _table_values(fp, t, fk, np.asarray(rows["loc"]))
    due = np.asarray(rows["due"]) - t
    late = np.flatnonzero((due >= 0) & (due <= p.gestation_days - fp.preg_first_day))
    for total, part in zip((me, dmi, cp), _pregnancy_parts(
            fp, p.gestation_days - due[late], np.asarray(rows["parity"])[late],
            fp.mature[fk[late]])):
        total[late] += part
    milk = np.asarray(rows["milk_kg"], float)
    for total, part in zip((me, dmi, cp), _milk_parts(fp, milk, _adg_per_fcm(fp, fk, milk))):
        total += part
    return {"me": me, "dmi": dmi, "cp": cp}


def _table_values(fp: FeedingParams, t: int, fk: np.ndarray, loc: np.ndarray):
    """ME, DM intake and CP of the rows at table index ``fk`` (key and age), on
    grazing days with the grazing tables: (me, dmi, cp) arrays, fresh copies."""
    graze = fp.grazing[:, t]
    if graze.all() or not graze.any():
        g = int(graze[0])
        return np.take(fp.me[g], fk), np.take(fp.dmi[g], fk), np.take(fp.cp[g], fk)
    on = graze[loc]
    return (np.where(on, fp.me[1][fk], fp.me[0][fk]), np.where(on, fp.dmi[1][fk], fp.dmi[0][fk]),
            np.where(on, fp.cp[1][fk], fp.cp[0][fk]))


def _respond(state, t, p, keys, fk, c16, me, fed_share, li, kg, late, preg_me,
             regain_me, day) -> np.ndarray:
    """The responses of the weaned animals to the share of their requirement fed
    (docs/herd-model.md, "Feed"); returns the milk of the does ``li``.

    ``fk``, ``c16`` and ``me`` are per row (table index, class code, ME needed without the
    milk); ``fed_share`` per (replicate, location, group); ``late`` the
    rows in late pregnancy with conceptus ``preg_me``; ``regain_me`` per row or None.
    """
    fp, fs = p.feeding, state.feed
    G = len(GROUPS)
    idx = np.flatnonzero(state.alive & (fk < _ZERO_KEY * (fp.oldest + 1)))   # weaned
    cell = state.cell[idx]
    share = fed_share.reshape(-1)[cell * G + _GROUP_OF_CODE[c16[idx]]]
    me = me[idx]
    # the does in milk among the weaned (a doe younger than a late weaning age is fed as
    # a kid: her milk does not answer for her energy)
    pos_li = np.searchsorted(idx, li)
    weaned = pos_li < idx.size
    weaned[weaned] = idx[pos_li[weaned]] == li[weaned]
    pos_li = pos_li[weaned]
    me[pos_li] += _milk_parts(fp, kg[weaned], 0.0)[0]
    alive_late = state.alive[late]          # ... and those in late pregnancy, alike
    pos_late = np.searchsorted(idx, late)
    alive_late &= pos_late < idx.size
    alive_late[alive_late] = idx[pos_late[alive_late]] == late[alive_late]
    pos_late = pos_late[alive_late]
    short = (1.0 - share) * me
    lost = state.lost_kg[idx].astype(float)
    tissue = fp.tissue_me_mj_per_kg
    flat = fk[idx]
    # (a) rebuilding reserves waits
    if regain_me is not None:
        regain = regain_me[idx]
        cut = np.minimum(short, regain)
        short -= cut
        lost -= (regain - cut) / tissue
    # (b) growth slows: the animal falls behind its growth curve
    gain = fp.me_gain[flat]
    cut = np.minimum(short, gain)
    slow = np.flatnonzero(cut > 0)
    if slow.size:
        state.lag[idx[slow]] += cut[slow] / gain[slow]
        fs.lagging = True
    short -= cut
    # (c) body reserves, at most a day's loss and down to the limit
    weight = fp.weight_kg[flat]
    room_kg = np.maximum(fp.max_loss_share * weight - lost, 0.0)
    drawn = np.minimum(short, np.minimum(room_kg, fp.max_loss_kg_per_day) * tissue)
    lost += drawn / tissue
    short -= drawn
    nrl = state.n_replicates * p.n_locations
    shape = (state.n_replicates, p.n_locations)
    # (d) milk
    if li.size:
        cut_kg = np.zeros(li.size)
        cut_kg[weaned] = np.minimum(kg[weaned], short[pos_li] / fp.me_per_kg_milk)
        short[pos_li] -= cut_kg[weaned] * fp.me_per_kg_milk
        day[:, :, _Q["feed_milk_forgone_kg"]] = np.bincount(state.cell[li], cut_kg,
                                                             nrl).reshape(shape)
        kg = kg - cut_kg
    # (e) the conceptus
    if pos_late.size:
        cut = np.minimum(short[pos_late], preg_me[alive_late])
        state.conceptus_short_mj[idx[pos_late]] += cut
        short[pos_late] -= cut
    # (f) no reserves left and still short: risk of death (the day after)
    exhausted = np.flatnonzero((short > _TINY_MJ)
                               & (lost >= fp.max_loss_share * weight - 1e-9))
    if exhausted.size and keys is not None:
        rows = idx[exhausted]
        u = rng.uniform(keys["feeding"][state.rep[rows]], state.uid[rows], t, slot=0)
        dies = rows[u < fp.starvation_daily_probability]
        state.death_day[dies] = np.minimum(state.death_day[dies], t + 1)
        state.soon(dies, t + 1)
    day[:, :, _Q["feed_reserves_used_kg"]] = np.bincount(
        cell, np.maximum(lost - state.lost_kg[idx], 0.0), nrl).reshape(shape)
    state.lost_kg[idx] = lost
    low = share < 1.0 - 1e-12
    fs.active = bool(low.any() or (lost > 0).any())
    # the share fed, for tomorrow's conceptions
    if fs.intake_set:
        state.intake[:] = 1.0
    state.intake[idx[low]] = share[low]
    fs.intake_set = bool(low.any())
    return kg

