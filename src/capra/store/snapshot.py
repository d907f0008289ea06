"""Today's herd as the start of a projection: the records on a date become a scenario.

:func:`herd_at` is the recorded herd at the end of a day (one row per animal present, from
:func:`capra.store.query.herd_state`) with the simulator's class of each animal;
:func:`herd_counts` counts it by farm and class; :func:`scenario_from_records` turns it
into a :class:`~capra.scenario.Scenario` that starts on that day, so that
``capra run --from-db`` projects the programme from what is recorded.

How the recorded herd becomes the initial herd
----------------------------------------------
The scenario starts on the snapshot date ``D`` and keeps the base scenario's breed, farms,
policy and planning data, and its batches that arrive after ``D``. The recorded animals
arrive on day 0 as batches named ``records <farm>``: one per farm (arrival place the farm,
quarantine 0 days), and one per quarantine station holding animals (the rest of their
quarantine, then on to the destinations of their batch in the base scenario, or to every
farm if the base scenario does not know the batch). Each batch has one
:class:`~capra.scenario.AnimalGroup` per set of animals in the same state: sex, age,
parity, pregnant with the same expected kidding date, in milk with the same days in milk.

Ages are exact to the day by default: an age of ``n`` days is written as
``age_months_min = age_months_max = n / 30.4375``, which the simulator turns back into
``n`` days (``age_resolution="month"`` groups by whole months instead, fewer and coarser
groups). Expected kidding dates and days in milk are exact.

Approximations (they are listed in the scenario's ``description``)
------------------------------------------------------------------
* An insemination not yet confirmed by a pregnancy check (``reproduction_status``
  ``Inseminated``) counts as a pregnancy with its expected kidding date
  (``inseminated_as_pregnant=True``, the default), else as open.
* A pregnancy whose expected kidding date is on or before ``D`` (overdue, no kidding
  recorded) kids on ``D + 1``; a pregnancy without an expected date kids half a gestation
  after ``D``.
* A doe in milk at entry without a recorded kidding date has the days since her entry as
  days in milk.
* What a scenario cannot state starts afresh, as for any arriving animal: the lognormal
  milk effect of each doe, the breeding group, the count of failed breeding windows and
  the day of involuntary culling are drawn again; every animal counts as retained, so
  male kids younger than the sale age are kept (and become bucks) instead of being sold.
* Animals held in quarantine after their quarantine should have ended (no transfer
  recorded) are released on day 1.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from capra.errors import ArgumentError, DataError
from capra.rates import DAYS_PER_MONTH
from capra.store.db import open_existing
from capra.store.query import as_day, herd_state

__all__ = ["CLASSES", "classify", "herd_at", "herd_counts", "last_record_date",
           "scenario_from_records"]

#: Classes of animals counted by the simulator (``docs/herd-model.md``), in its order.
CLASSES = ("kids", "doelings", "bucklings", "bucks", "does_in_milk", "does_dry")


def last_record_date(db) -> dt.date | None:
    """The latest date in the records: entries, events and test days (``None`` if empty)."""
    db = open_existing(db)
    with db.connect() as conn:
        dates = [conn.exec_driver_sql(f"SELECT MAX({col}) FROM {table}").scalar()
                 for table, col in (("animals", "entry_date"), ("events", "date"),
                                    ("test_days", "date"))]
    dates = [pd.Timestamp(d).date() for d in dates if d is not None]
    return max(dates) if dates else None


def classify(sex, age_days, parity, lactating, *, weaning_age_days: int = 60,
             buck_min_breeding_age_days: int = 240) -> np.ndarray:
    """Class of each animal as the simulator counts it (one of :data:`CLASSES`).

    Parameters
    ----------
    sex
        ``"female"`` or ``"male"`` per animal. [-]
    age_days
        Age. [days]
    parity
        Kiddings. [-]
    lactating
        In milk. [-]
    weaning_age_days
        Younger animals are kids. [days]
    buck_min_breeding_age_days
        Younger weaned males are bucklings, older ones bucks. [days]
    """
    sex = np.asarray(sex, dtype=object)
    age = np.asarray(age_days, dtype=float)
    parity = np.asarray(parity, dtype=float)
    lact = np.asarray(lactating, dtype=bool)
    female = sex == "female"
    cls = np.where(female,
                   np.where(parity > 0, np.where(lact, "does_in_milk", "does_dry"), "doelings"),
                   np.where(age >= buck_min_breeding_age_days, "bucks", "bucklings"))
    return np.where(age < weaning_age_days, "kids", cls).astype(object)


def _thresholds(scenario) -> dict[str, int]:
    if scenario is None:
        return {}
    return {"weaning_age_days": int(scenario.policy.lactation.weaning_age_days),
            "buck_min_breeding_age_days":
                int(scenario.breed.reproduction.buck_min_breeding_age_days)}


def herd_at(db, date, scenario=None) -> pd.DataFrame:
    """The recorded herd at the end of ``date``, one row per animal present.

    Parameters
    ----------
    db
        An open records database, or its URL or SQLite path.
    date
        The day; its events are included. [date]
    scenario
        Scenario whose weaning age and buck breeding age define the classes; default 60
        and 240 days.

    Returns
    -------
    The columns of :func:`capra.store.query.herd_state` (``tag, sex, farm, age_days`` [days],
    ``parity, lactating, days_in_milk`` [days], ``pregnant, expected_parturition_date``,
    ...) plus ``farm_kind`` (``farm`` or ``quarantine``), ``batch`` (arrival batch, empty
    for animals born on a farm) and ``class`` (one of :data:`CLASSES`).
    """
    db = open_existing(db)
    day = as_day(date)
    herd = herd_state(db, day)
    with db.connect() as conn:
        farms = pd.read_sql_query("SELECT name, kind FROM farms", conn)
        batch = pd.read_sql_query(
            "SELECT a.tag, b.name AS batch FROM animals a JOIN batches b ON b.id = a.batch_id",
            conn)
    herd["farm_kind"] = herd["farm"].map(farms.set_index("name")["kind"]).fillna("farm")
    herd["batch"] = herd["tag"].map(batch.set_index("tag")["batch"]).fillna("")
    herd["class"] = classify(herd["sex"], herd["age_days"].astype(float), herd["parity"],
                             herd["lactating"], **_thresholds(scenario))
    return herd


def herd_counts(herd: pd.DataFrame) -> pd.DataFrame:
    """Animals by farm (rows) and class (columns :data:`CLASSES`, then ``head``). [head]"""
    t = pd.crosstab(herd["farm"], herd["class"]).reindex(columns=list(CLASSES), fill_value=0)
    t["head"] = t.sum(axis=1)
    t.columns.name = None
    return t.astype(int)


def _groups(herd: pd.DataFrame, day: dt.date, *, entry_date: pd.Series,
            inseminated_as_pregnant: bool, age_resolution: str, gestation_days: int,
            notes: list[str]) -> pd.DataFrame:
    """Animal state columns of the scenario's groups, one row per animal."""
    D = pd.Timestamp(day)
    female = (herd["sex"] == "female").to_numpy()
    age = herd["age_days"].astype("int64").to_numpy()
    if age_resolution == "day":
        months = age / DAYS_PER_MONTH
    elif age_resolution == "month":
        months = np.floor(age / DAYS_PER_MONTH)
    else:
        raise ArgumentError(f"age_resolution={age_resolution!r}: expected 'day' or 'month'")
    lact = herd["lactating"].astype(bool).to_numpy() & female
    parity = np.where(female, herd["parity"].astype("int64").to_numpy(), 0)
    bump = lact & (parity == 0)
    if bump.any():
        notes.append(f"{int(bump.sum())} does in milk with no kidding recorded taken as parity 1")
        parity = np.where(bump, 1, parity)
    dim = herd["days_in_milk"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    no_dim = lact & np.isnan(dim)
    if no_dim.any():
        entry = herd["tag"].map(entry_date)
        since = (D - pd.to_datetime(entry)).dt.days.to_numpy(dtype=float)
        dim = np.where(no_dim, np.where(np.isnan(since), 0, since), dim)
        notes.append(f"{int(no_dim.sum())} does in milk at entry without a kidding date: "
                     "days in milk counted from their entry")
    dim = np.where(lact, np.maximum(dim, 0), 0).astype(int)
    preg_raw = herd["pregnant"].astype("boolean")
    unknown = preg_raw.isna().to_numpy() & female
    pregnant = preg_raw.fillna(False).to_numpy(dtype=bool) & female
    if inseminated_as_pregnant:
        pregnant |= unknown
        if unknown.any():
            notes.append(f"{int(unknown.sum())} inseminations not yet checked counted as "
                         "pregnancies")
    expected = pd.to_datetime(herd["expected_parturition_date"])
    missing = pregnant & expected.isna().to_numpy()
    if missing.any():
        expected = expected.where(~missing, D + pd.Timedelta(days=gestation_days // 2))
        notes.append(f"{int(missing.sum())} pregnancies without an expected kidding date: "
                     f"kidding {gestation_days // 2} days after the snapshot")
    overdue = pregnant & (expected <= D).to_numpy()
    if overdue.any():
        expected = expected.where(~overdue, D + pd.Timedelta(days=1))
        notes.append(f"{int(overdue.sum())} overdue pregnancies (expected kidding on or before "
                     f"{day}) kid on the next day")
    kidding = expected.dt.strftime("%Y-%m-%d").where(pregnant, "")
    return pd.DataFrame({
        "location": herd["farm"].to_numpy(), "sex": herd["sex"].to_numpy(),
        "age_months_min": months, "age_months_max": months, "parity": parity,
        "pregnant": pregnant, "kidding": kidding.to_numpy(), "lactating": lact,
        "days_in_milk": dim}, index=herd.index)


def _group_dicts(g: pd.DataFrame) -> list[dict]:
    """AnimalGroup tables of the animals ``g`` (one per distinct state)."""
    keys = ["sex", "age_months_min", "parity", "pregnant", "kidding", "lactating", "days_in_milk"]
    counts = g.groupby(keys, sort=True).size().rename("count").reset_index()
    kidding = counts["kidding"].astype(object).where(counts["kidding"] != "", None)
    out = pd.DataFrame({
        "count": counts["count"].astype(int), "sex": counts["sex"],
        "age_months_min": counts["age_months_min"].astype(float),
        "age_months_max": counts["age_months_min"].astype(float),
        "parity": counts["parity"].astype(int), "pregnant": counts["pregnant"].astype(bool),
        "kidding_from": kidding, "kidding_to": kidding,
        "lactating": counts["lactating"].astype(bool),
        "days_in_milk": counts["days_in_milk"].astype(int)})
    out = out.astype({"kidding_from": object, "kidding_to": object})
    return out.to_dict("records")


def scenario_from_records(db, date, base, horizon_days: int | None = None, *,
                          inseminated_as_pregnant: bool = True,
                          age_resolution: str = "day"):
    """A scenario that starts from the recorded herd at the end of ``date``.

    Parameters
    ----------
    db
        An open records database, or its URL or SQLite path.
    date
        Snapshot day; the new scenario's ``start_date``. [date]
    base
        The programme's scenario (:class:`~capra.scenario.Scenario`, or a bundled name or
        file): breed, farms, policy, planning data and the batches after ``date``.
    horizon_days
        Days to simulate from ``date``; default the base scenario's ``horizon_days``. [days]
    inseminated_as_pregnant
        Count an insemination not yet confirmed by a pregnancy check as a pregnancy. [-]
    age_resolution
        ``"day"`` (exact ages) or ``"month"`` (whole months). [-]

    Returns
    -------
    Scenario
        Validated; its ``description`` lists the approximations made (see the module).

    Raises
    ------
    DataError
        No animal is recorded on that date, or an animal is on a farm that the base
        scenario does not have.
    """
    from capra.scenario import Scenario, load_scenario, scenario_from_dict

    base = base if isinstance(base, Scenario) else load_scenario(base)
    db = open_existing(db)
    day = as_day(date)
    herd = herd_at(db, day, base)
    if herd.empty:
        raise DataError(f"no animal is recorded in the herd on {day}; import the records "
                        "first or choose a later date")
    on_farm = herd["farm_kind"] != "quarantine"
    unknown = sorted(set(herd.loc[on_farm, "farm"]) - set(base.farm_names))
    if unknown:
        raise DataError(f"the records have animals on {', '.join(map(repr, unknown))}, "
                        f"not farms of scenario {base.name!r} ({', '.join(base.farm_names)}); "
                        "add the farms to the scenario")
    with db.connect() as conn:
        entry = pd.read_sql_query("SELECT tag, entry_date FROM animals", conn)
        farms = pd.read_sql_query("SELECT name, latitude, longitude FROM farms", conn)
        batches = pd.read_sql_query("SELECT name, arrival_date, quarantine_days FROM batches",
                                    conn)
    notes: list[str] = []
    state = _groups(herd, day, entry_date=entry.set_index("tag")["entry_date"],
                    inseminated_as_pregnant=inseminated_as_pregnant,
                    age_resolution=age_resolution,
                    gestation_days=int(base.breed.reproduction.gestation_days), notes=notes)
    new_batches: list[dict] = []
    for farm in [f for f in base.farm_names if f in set(herd.loc[on_farm, "farm"])]:
        sel = on_farm.to_numpy() & (herd["farm"] == farm).to_numpy()
        new_batches.append({"name": f"records {farm}", "origin": f"records of {day}",
                            "arrival_date": day, "arrival_place": farm, "quarantine_days": 0,
                            "destinations": [farm], "animals": _group_dicts(state[sel])})
    # animals in quarantine: the rest of their quarantine, then their batch's destinations
    q = herd[~on_farm]
    if len(q):
        b = batches.set_index("name")
        base_dest = {bb.name: list(bb.destinations) for bb in base.batches}
        base_transit = {bb.name: bb.transit_days for bb in base.batches}
        coords = farms.set_index("name")
        for (station, bname), sub in q.groupby(["farm", "batch"], sort=True):
            end = (pd.Timestamp(b.loc[bname, "arrival_date"])
                   + pd.Timedelta(days=int(b.loc[bname, "quarantine_days"]))
                   if bname in b.index else pd.Timestamp(day))
            left = int((end - pd.Timestamp(day)).days)
            # then the journey to the farms of the scenario's batch (its transit days),
            # or what is left of it once the quarantine is over
            transit = base_transit.get(bname, 0) + min(left, 0)
            left = max(left, 0)
            if left + transit < 1:
                notes.append(f"{len(sub)} animals still recorded in quarantine at {station} "
                             "after its end: released on day 1")
                left, transit = 1, 0
            entry_b = {"name": f"records {station} {bname}".strip(),
                       "origin": f"records of {day}", "arrival_date": day,
                       "arrival_place": station, "quarantine_days": left,
                       "transit_days": transit,
                       "destinations": base_dest.get(bname, list(base.farm_names)),
                       "animals": _group_dicts(state.loc[sub.index])}
            lat, lon = (coords.loc[station, ["latitude", "longitude"]]
                        if station in coords.index else (None, None))
            if pd.notna(lat) and pd.notna(lon):
                entry_b["arrival_latitude"] = float(lat)
                entry_b["arrival_longitude"] = float(lon)
            new_batches.append(entry_b)
    horizon = int(horizon_days or base.horizon_days)
    end = day + dt.timedelta(days=horizon - 1)
    later = [bb.model_dump(mode="python", exclude_none=True) for bb in base.batches
             if day < bb.arrival_date <= end]
    data = base.model_dump(mode="python", exclude_none=True)
    data["breed"] = base.breed
    data["name"] = f"{base.name} from records {day}"
    counts = herd_counts(herd)
    what = (f"Projection from the records of {day}: {len(herd)} animals "
            f"({', '.join(f'{c} {int(counts[c].sum())}' for c in CLASSES)}) on "
            f"{len(counts)} farms and stations, with the breed, farms and policy of scenario "
            f"{base.name!r}" + (f" and its {len(later)} later batches" if later else "") + ".")
    data["description"] = what + (" Approximations: " + "; ".join(notes) + "." if notes else "")
    data["start_date"] = day
    data["horizon_days"] = horizon
    data["batches"] = new_batches + later
    planning = dict(data.get("planning", {}))
    first = planning.get("start_date")
    if first is not None and not (day <= first <= end):
        planning.pop("start_date", None)
        planning.pop("days", None)
    data["planning"] = planning
    return scenario_from_dict(data)
