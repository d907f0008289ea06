"""Example records: two years of a programme's farm and child records, generated and seeded.

:func:`write_example_records` runs the herd simulator on a scenario (by default the bundled
``nampo``) for the first ``years`` of its horizon, turns the per-animal event log of one
replicate (:func:`capra.herd.simulate.simulate_events`, the scenario's uncertain values at
their point values, so that the records hold the breed as stated) into the import files of
:mod:`capra.store.io`, and adds sites, children and their measurements. The files import
without a rejected row, in the order of :data:`IMPORT_ORDER`, so that every ``capra db``,
``capra milk`` and ``capra run --from-db`` command can be tried on them.

What the files hold
-------------------
``farms.csv``
    The scenario's farms, and its quarantine stations (arrival places that are not farms)
    as ``kind = quarantine``.
``sites.csv``
    Kindergartens and schools: for every kindergarten or school entry of the scenario,
    :data:`SITES_PER_ENTRY` numbered sites in its district (or one kindergarten and one
    school per farm district when the scenario has no sites).
``batches.csv``
    The batches that arrive within the recorded period, with their certificates.
``animals.csv``
    Every animal that arrived or was born, tagged ``<prefix>-<6 digits>`` from the
    simulator's animal id (``NP-000123``); arrivals carry their status at entry (parity,
    last kidding if in milk, expected kidding if pregnant); kids carry their dam.
``events.csv``
    ICAR events: ``parturition`` (litter size and live kids), ``insemination`` on the day
    of each conception (with the expected kidding), a ``pregnancy_check`` 45 days later if
    the doe is still pregnant and present, ``abortion``, ``dry_off``, ``transfer``
    (quarantine release and doelings moved between farms), ``death``, and ``departure``
    (sales of surplus young stock and culls, to slaughter).
``test_days.csv``
    The simulator's monthly test days (milk rounded to 0.1 kg/day), with synthetic fat,
    protein and somatic cell counts.
``children.csv`` and ``measurements.csv``
    Synthetic children (pseudonymous codes), measured about every six months at their
    site. Heights and weights are drawn from the WHO standards
    (:func:`capra.growth.measurement_at_z`) at z-scores whose height-for-age distribution
    is shifted so that about a fifth to a quarter of the children are stunted, as surveys
    of DPRK children report; weight-for-height is shifted a little (a few per cent
    wasted). Not real children and not a survey sample.

Approximations: the simulator does not know sires, so no sire is recorded; only
successful matings are recorded (one insemination per conception); the reasons of deaths
and culls are drawn at random among plausible ICAR reasons (culls at the age limit say
``Age``).
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from capra.errors import ArgumentError
from capra.rates import DAYS_PER_MONTH, DAYS_PER_YEAR

__all__ = ["IMPORT_ORDER", "SITES_PER_ENTRY", "example_frames", "import_records",
           "write_example_records"]

#: Kinds of record in the order they are imported (references point backwards).
IMPORT_ORDER = ("farms", "sites", "batches", "animals", "events", "test_days", "children",
                "measurements")
#: Numbered sites made from each kindergarten or school entry of the scenario. [-]
SITES_PER_ENTRY = 2
#: Children measured per site. [children]
CHILDREN_PER_SITE = 30
#: Days between measurement rounds. [days]
ROUND_INTERVAL_DAYS = 182
#: First measurement round, after the start of the records. [days]
FIRST_ROUND_DAYS = 60
#: Share of children present at a round. [fraction]
ATTENDANCE = 0.9
#: Mean height-for-age z of the children at the start, before district offsets. [z]
MEAN_HAZ = -1.35
#: Spread of the district means of height-for-age around :data:`MEAN_HAZ`. [z]
DISTRICT_HAZ_SPREAD = 0.15
#: Between-child standard deviation of height-for-age. [z]
SD_HAZ = 0.95
#: Yearly rise of height-for-age while the programme runs. [z/year]
HAZ_TREND_PER_YEAR = 0.06
#: Mean and between-child SD of weight-for-height (BMI-for-age from 5 years). [z]
MEAN_WHZ, SD_WHZ = -0.3, 0.85
#: Days after a conception at which the pregnancy is checked by ultrasound. [days]
PREGNANCY_CHECK_DAYS = 45


def _scenario(scenario):
    from capra.scenario import Scenario, load_scenario

    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _records_scenario(base, years: int):
    """The base scenario cut to its first ``years`` (batches after that dropped)."""
    start = pd.Timestamp(base.start_date)
    end = start + pd.DateOffset(years=years)
    days = int((end - start).days)
    days = min(days, base.horizon_days)
    last = base.start_date + dt.timedelta(days=days - 1)
    batches = tuple(b for b in base.batches if b.arrival_date <= last)
    return base.model_copy(update={"horizon_days": days, "batches": batches})


def _default_prefix(name: str) -> str:
    letters = [c for c in name.upper() if c.isalpha()]
    if not letters:
        return "AN"
    consonants = [c for c in letters[1:] if c not in "AEIOU"]
    return letters[0] + (consonants[0] if consonants else (letters[1:] or ["X"])[0])


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").where(s.notna(), "")


def example_frames(scenario="nampo", *, seed: int = 20240820, years: int = 2,
                   tag_prefix: str | None = None,
                   children_per_site: int = CHILDREN_PER_SITE) -> dict[str, pd.DataFrame]:
    """The example records as DataFrames in the import layouts, by kind (see the module).

    Parameters
    ----------
    scenario
        Bundled scenario name, scenario file or :class:`~capra.scenario.Scenario`.
    seed
        Seed of the simulation and of the synthetic values; the same seed gives the same
        records. [-]
    years
        Recorded period from the scenario's start date. [years]
    tag_prefix
        Prefix of the ear tags; default two letters of the scenario name (``NP`` for
        ``nampo``). [-]
    children_per_site
        Children measured at each site. [children]

    Returns
    -------
    ``{kind: DataFrame}`` in :data:`IMPORT_ORDER`; dates as ``YYYY-MM-DD`` text.
    """
    from capra.herd.simulate import simulate_events

    if years < 1:
        raise ArgumentError(f"years must be >= 1, got {years}")
    base = _scenario(scenario)
    sc = _records_scenario(base, years)
    prefix = tag_prefix or ("NP" if sc.name == "nampo" else _default_prefix(sc.name))
    rng = np.random.default_rng([seed, 7])
    ev = simulate_events(sc, seed=seed, replicate=0, parameter_uncertainty=False)
    empty = pd.DataFrame({"date": pd.Series(dtype="datetime64[ns]"),
                          "uid": pd.Series(dtype="int64"), "location": pd.Series(dtype=object)})
    get = lambda name: ev.get(name, empty)

    def tag(uid) -> pd.Series:
        u = pd.Series(uid)
        return (prefix + "-" + u.astype("int64").astype(str).str.zfill(6)).where(u.notna(), "")

    out: dict[str, pd.DataFrame] = {}
    out["farms"] = _farms(sc)
    sites = _sites(sc, rng)
    out["sites"] = sites
    out["batches"] = _batches(sc)
    out["animals"] = _animals(sc, get, tag)
    out["events"] = _events(sc, get, tag, rng)
    out["test_days"] = _test_days(get, tag, rng)
    children, measurements = _children(sc, sites, rng, children_per_site)
    out["children"] = children
    out["measurements"] = measurements
    return out


def _farms(sc) -> pd.DataFrame:
    farms = pd.DataFrame({
        "name": [f.name for f in sc.farms], "kind": "farm",
        "district": [f.district for f in sc.farms],
        "capacity_head": [f.capacity_head for f in sc.farms],
        "latitude": [f.latitude for f in sc.farms],
        "longitude": [f.longitude for f in sc.farms]})
    farm_names = set(sc.farm_names)
    stations = {}
    for b in sc.batches:
        if b.arrival_place not in farm_names and b.arrival_place not in stations:
            stations[b.arrival_place] = (b.arrival_latitude, b.arrival_longitude)
    st = pd.DataFrame({"name": list(stations), "kind": "quarantine", "district": "",
                       "capacity_head": pd.Series([None] * len(stations), dtype="Int64"),
                       "latitude": [v[0] for v in stations.values()],
                       "longitude": [v[1] for v in stations.values()]})
    return pd.concat([farms, st], ignore_index=True) if len(st) else farms


def _sites(sc, rng) -> pd.DataFrame:
    entries = [(s.name, s.kind, s.district, s.latitude, s.longitude) for s in sc.sites
               if s.kind in ("kindergarten", "school")]
    if not entries:
        for f in sc.farms:
            entries.append((f"{f.name} kindergartens", "kindergarten", f.district,
                            f.latitude, f.longitude))
            entries.append((f"{f.name} schools", "school", f.district, f.latitude,
                            f.longitude))
    base = pd.DataFrame(entries, columns=["entry", "kind", "district", "latitude", "longitude"])
    rep = base.loc[base.index.repeat(SITES_PER_ENTRY)].reset_index(drop=True)
    number = rep.groupby("entry").cumcount() + 1
    stem = rep["entry"].str.rsplit(" ", n=1).str[0]
    rep["name"] = stem + " " + rep["kind"] + " No. " + number.astype(str)
    jitter = rng.uniform(-0.01, 0.01, size=(len(rep), 2))
    rep["latitude"] = (rep["latitude"] + jitter[:, 0]).round(4)
    rep["longitude"] = (rep["longitude"] + jitter[:, 1]).round(4)
    return rep[["name", "kind", "district", "latitude", "longitude"]]


def _batches(sc) -> pd.DataFrame:
    bs = sc.batches
    return pd.DataFrame({
        "name": [b.name for b in bs], "origin": [b.origin for b in bs],
        "certificate": [b.certificate for b in bs],
        "certificate_date": [(b.arrival_date - dt.timedelta(days=12)).isoformat() for b in bs],
        "arrival_date": [b.arrival_date.isoformat() for b in bs],
        "arrival_farm": [b.arrival_place for b in bs],
        "quarantine_days": [b.quarantine_days for b in bs],
        "head_count": [b.head for b in bs]},
        columns=["name", "origin", "certificate", "certificate_date", "arrival_date",
                 "arrival_farm", "quarantine_days", "head_count"])


def _animals(sc, get, tag) -> pd.DataFrame:
    arr = get("arrivals")
    births = get("births")
    breed = sc.breed.name
    batch_names = np.array([b.name for b in sc.batches] or [""], dtype=object)
    cols = ["tag", "sex", "breed", "birth_date", "birth_date_estimated", "origin", "batch",
            "farm", "entry_date", "dam", "sire", "parity", "last_parturition_date",
            "expected_parturition_date", "lactating"]
    if len(arr):
        parity = arr["parity"].astype(int)
        kidded = arr["kidding_date"].where(parity > 0)
        a = pd.DataFrame({
            "tag": tag(arr["uid"]), "sex": arr["sex"], "breed": breed,
            "birth_date": _dates(arr["birth_date"]), "birth_date_estimated": "true",
            "origin": "arrival", "batch": batch_names[arr["batch"].astype(int).to_numpy()],
            "farm": arr["location"], "entry_date": _dates(arr["date"]), "dam": "", "sire": "",
            "parity": parity, "last_parturition_date": _dates(kidded),
            "expected_parturition_date": _dates(arr["due_date"]),
            "lactating": np.where(arr["lactating"].astype(bool), "true", "false"),
            "_date": arr["date"], "_order": 0, "_uid": arr["uid"]})
    else:
        a = pd.DataFrame(columns=cols + ["_date", "_order", "_uid"])
    b = pd.DataFrame({
        "tag": tag(births["uid"]), "sex": births.get("sex", pd.Series(dtype=object)),
        "breed": breed, "birth_date": _dates(births["date"]), "birth_date_estimated": "false",
        "origin": "birth", "batch": "", "farm": births["location"],
        "entry_date": _dates(births["date"]),
        "dam": tag(births.get("dam", pd.Series(dtype="int64"))), "sire": "",
        "parity": 0, "last_parturition_date": "", "expected_parturition_date": "",
        "lactating": "false", "_date": births["date"], "_order": 1, "_uid": births["uid"]})
    both = pd.concat([a, b], ignore_index=True)
    both = both.sort_values(["_date", "_order", "_uid"], kind="stable")
    return both[cols].reset_index(drop=True)


def _exit_dates(get) -> pd.Series:
    """Date each animal left the herd (death, sale, cull), by uid."""
    parts = [get(n)[["date", "uid"]] for n in ("deaths", "sales", "culls")]
    ex = pd.concat(parts, ignore_index=True)
    return ex.groupby("uid")["date"].min()


_DEATH_REASONS = np.array(["Disease", "Accident", "Unknown", "Other"], dtype=object)
_DEATH_P = (0.55, 0.1, 0.3, 0.05)
_CULL_REASONS = np.array(["Fertility", "Mastitis", "Health", "LegOrClaw", "Production"],
                         dtype=object)
_CULL_P = (0.3, 0.25, 0.2, 0.15, 0.1)


def _events(sc, get, tag, rng) -> pd.DataFrame:
    cols = ["animal", "date", "type", "farm", "from_farm", "reason", "departure_kind",
            "litter_size", "live_kids", "method", "sire", "result",
            "expected_parturition_date", "product", "withdrawal_days", "note"]
    parts = []

    def frame(df: pd.DataFrame, type_: str, **extra) -> pd.DataFrame:
        f = pd.DataFrame({"animal": tag(df["uid"]).to_numpy(), "_date": df["date"].to_numpy(),
                          "type": type_, "farm": df["location"].to_numpy()
                          if "location" in df else ""})
        for k, v in extra.items():
            f[k] = v.to_numpy() if isinstance(v, pd.Series) else v
        f["_uid"] = df["uid"].to_numpy()
        return f

    kid = get("kiddings")
    if len(kid):
        still = get("stillbirths").groupby(["date", "uid"]).size()
        n_still = pd.Series(list(zip(kid["date"], kid["uid"]))).map(still).fillna(0).astype(int)
        parts.append(frame(kid, "parturition", litter_size=kid["litter"].astype(int),
                           live_kids=kid["litter"].astype(int).to_numpy() - n_still.to_numpy()))
    con = get("conceptions")
    if len(con):
        method = np.where(con["method"] == "ai", "Insemination", "NaturalService")
        parts.append(frame(con, "insemination", method=method,
                           expected_parturition_date=_dates(con["due_date"])))
        # a pregnancy check 45 days on, if she is still pregnant and in the herd then
        check = con["date"] + pd.Timedelta(days=PREGNANCY_CHECK_DAYS)
        ab = get("abortions")
        first_ab = pd.Series(pd.NaT, index=con.index, dtype="datetime64[ns]")
        if len(ab):
            left = con[["date", "uid"]].reset_index().sort_values("date")
            right = ab[["date", "uid"]].rename(columns={"date": "ab"}).sort_values("ab")
            m = pd.merge_asof(left, right, left_on="date", right_on="ab", by="uid",
                              direction="forward", allow_exact_matches=False)
            first_ab = m.set_index("index")["ab"].reindex(con.index)
        exits = con["uid"].map(_exit_dates(get))
        last = pd.Timestamp(sc.end_date)
        ok = ((check < con["due_date"]) & (first_ab.isna() | (first_ab > check))
              & (exits.isna() | (exits > check)) & (check <= last))
        c = con[ok].assign(date=check[ok])
        parts.append(frame(c, "pregnancy_check", method="Ecography", result="Pregnant",
                           expected_parturition_date=_dates(c["due_date"])))
    for name, type_ in (("abortions", "abortion"), ("dry_offs", "dry_off")):
        df = get(name)
        if len(df):
            parts.append(frame(df, type_))
    deaths = get("deaths")
    if len(deaths):
        reason = rng.choice(_DEATH_REASONS, size=len(deaths), p=_DEATH_P)
        parts.append(frame(deaths, "death", reason=reason))
    sales = get("sales")
    if len(sales):
        parts.append(frame(sales, "departure", departure_kind="Sale", reason="Superfluous"))
    culls = get("culls")
    if len(culls):
        births = pd.concat([get("arrivals")[["uid", "birth_date"]],
                            get("births")[["uid", "date"]].rename(columns={"date": "birth_date"})],
                           ignore_index=True).drop_duplicates("uid").set_index("uid")["birth_date"]
        age = (culls["date"] - culls["uid"].map(births)).dt.days
        old = age >= sc.policy.culling.max_age_days
        reason = np.where(old, "Age", rng.choice(_CULL_REASONS, size=len(culls), p=_CULL_P))
        parts.append(frame(culls, "departure", departure_kind="Slaughter", reason=reason))
    tr = get("transfers")
    if len(tr):
        t = tr.rename(columns={"to_location": "location"})
        parts.append(frame(t, "transfer", from_farm=t["from_location"]))
    if not parts:
        return pd.DataFrame(columns=cols)
    ev = pd.concat(parts, ignore_index=True)
    rank = {"transfer": 0, "insemination": 1, "pregnancy_check": 1, "parturition": 2,
            "abortion": 2, "dry_off": 3, "death": 9, "departure": 9}
    ev["_rank"] = ev["type"].map(rank)
    ev = ev.sort_values(["_date", "_uid", "_rank"], kind="stable")
    ev["date"] = _dates(ev["_date"])
    for c in cols:
        if c not in ev:
            ev[c] = ""
    for c in ("litter_size", "live_kids"):
        ev[c] = ev[c].astype("Int64").astype(object).where(ev[c].notna(), "")
    return ev[cols].fillna("").reset_index(drop=True)


def _test_days(get, tag, rng) -> pd.DataFrame:
    td = get("test_days")
    n = len(td)
    milk = np.round(td["milk_kg"].to_numpy(dtype=float) if n else np.zeros(0), 1)
    return pd.DataFrame({
        "animal": tag(td["uid"]).to_numpy(), "date": _dates(td["date"]).to_numpy(),
        "milk_kg": np.clip(milk, 0.0, 20.0),
        "fat_pct": np.round(rng.normal(3.4, 0.35, n).clip(2.0, 6.0), 2),
        "protein_pct": np.round(rng.normal(3.0, 0.25, n).clip(2.0, 5.0), 2),
        "somatic_cells_k": np.round(rng.lognormal(np.log(600), 0.7, n)).astype(int),
        "milkings": 2})


def _children(sc, sites: pd.DataFrame, rng, per_site: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic children and their measurements (see the module)."""
    from capra.growth import measurement_at_z

    start = pd.Timestamp(sc.start_date)
    end = pd.Timestamp(sc.end_date)
    n_sites = len(sites)
    districts = pd.Index(sorted(sites["district"].unique()))
    offsets = pd.Series(np.linspace(-DISTRICT_HAZ_SPREAD, DISTRICT_HAZ_SPREAD, len(districts))
                        if len(districts) > 1 else [0.0], index=districts)
    site_idx = np.repeat(np.arange(n_sites), per_site)
    n = site_idx.size
    kind = sites["kind"].to_numpy()[site_idx]
    school = kind == "school"
    first_round = start + pd.Timedelta(days=FIRST_ROUND_DAYS)
    age_first_m = np.where(school, rng.uniform(72, 120, n), rng.uniform(12, 54, n))
    birth = first_round - pd.to_timedelta(np.round(age_first_m * DAYS_PER_MONTH), unit="D")
    sex = np.where(rng.random(n) < 0.5, "female", "male")
    code = ("CH-" + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(5)).to_numpy(object)
    children = pd.DataFrame({"code": code, "sex": sex, "birth_date": birth.strftime("%Y-%m-%d"),
                             "site": sites["name"].to_numpy()[site_idx]})
    zh_child = (MEAN_HAZ + offsets.reindex(sites["district"]).to_numpy()[site_idx]
                + rng.normal(0.0, SD_HAZ, n))
    zw_child = rng.normal(MEAN_WHZ, SD_WHZ, n)
    # rounds: every ROUND_INTERVAL_DAYS; each site visited on its own day of the round
    n_rounds = int((end - first_round).days // ROUND_INTERVAL_DAYS) + 1
    site_day = rng.integers(0, 21, n_sites)
    r = np.tile(np.arange(n_rounds), n)
    ci = np.repeat(np.arange(n), n_rounds)
    date = (first_round + pd.to_timedelta(r * ROUND_INTERVAL_DAYS + site_day[site_idx[ci]],
                                          unit="D"))
    present = (rng.random(ci.size) < ATTENDANCE) & (date <= end)
    ci, r, date = ci[present], r[present], date[present]
    age_d = (date - birth[ci]).days.to_numpy()
    age_m = age_d / DAYS_PER_MONTH
    years = (date - start).days.to_numpy() / DAYS_PER_YEAR
    zh = zh_child[ci] + HAZ_TREND_PER_YEAR * years + rng.normal(0.0, 0.12, ci.size)
    zw = zw_child[ci] + rng.normal(0.0, 0.25, ci.size)
    sexc = np.where(sex[ci] == "male", 1, 2)
    under5 = age_m < 60
    h = np.where(under5, measurement_at_z("lhfa", sexc, np.minimum(age_d, 1856), zh),
                 measurement_at_z("hfa2007", sexc, np.clip(age_m, 60, 228), zh))
    h = np.round(h, 1)
    lying = age_d < 731
    w_u5 = np.where(lying, measurement_at_z("wfl", sexc, np.clip(h, 45, 110), zw),
                    measurement_at_z("wfh", sexc, np.clip(h, 65, 120), zw))
    bmi = measurement_at_z("bfa2007", sexc, np.clip(age_m, 60, 228), zw)
    w = np.where(under5, w_u5, bmi * (h / 100.0) ** 2)
    w = np.round(w, 1)
    meas = pd.DataFrame({
        "child": code[ci], "date": date.strftime("%Y-%m-%d"),
        "weight_kg": pd.Series(w).where(np.isfinite(w) & (w >= 0.1)).to_numpy(),
        "height_cm": h, "measured": np.where(lying, "l", "h"), "muac_cm": np.nan,
        "oedema": "false"})
    meas = meas.sort_values(["date", "child"], kind="stable").reset_index(drop=True)
    return children, meas


def write_example_records(directory: str | os.PathLike, *, scenario="nampo",
                          seed: int = 20240820, years: int = 2,
                          tag_prefix: str | None = None,
                          db: str | os.PathLike | None = None) -> dict[str, Path]:
    """Write example records as CSV import files, and a README.txt with the import order.

    Parameters
    ----------
    directory
        Folder to write into (created if missing). Existing files of the same names are
        overwritten.
    scenario
        Bundled scenario name, scenario file or :class:`~capra.scenario.Scenario`.
    seed
        Seed; the same seed writes the same files. [-]
    years
        Recorded period from the scenario's start date. [years]
    tag_prefix
        Prefix of the ear tags (default ``NP`` for ``nampo``). [-]
    db
        The database the files are (or will be) imported into, named with ``--db`` in the
        README's commands: a URL, or a SQLite file (given relative to the current folder,
        written relative to ``directory``). Default: ``capra.db`` in ``directory``.

    Returns
    -------
    ``{kind: path}`` in :data:`IMPORT_ORDER` (``README.txt`` not included).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    sc = _scenario(scenario)
    frames = example_frames(sc, seed=seed, years=years, tag_prefix=tag_prefix)
    paths: dict[str, Path] = {}
    for kind in IMPORT_ORDER:
        path = directory / f"{kind}.csv"
        frames[kind].to_csv(path, index=False)
        paths[kind] = path
    if db is None:
        shown = "capra.db"
    elif "://" in str(db):
        shown = str(db)
    else:
        shown = os.path.relpath(Path(db).absolute(), directory.absolute())
    _write_readme(directory / "README.txt", sc, seed, years, frames, shown)
    return paths


def _write_readme(path: Path, sc, seed: int, years: int, frames: Mapping[str, pd.DataFrame],
                  db: str):
    rec = _records_scenario(sc, years)
    opt = f"--db {shlex.quote(db)}"
    lines = [
        (f"Example records of the Capra scenario {sc.name!r}: {years} years from "
         f"{rec.start_date} to {rec.end_date},"),
        f"generated by the herd simulator (seed {seed}) and synthetic child measurements.",
        "They are not real data.",
        "",
        f"Run the commands below in this folder. They name the records database with {opt};",
        "without --db a command uses capra.db in the current folder.",
        "",
        "Create the database and import the files in this order (later files refer to",
        "records of earlier ones):",
        "",
        f"  0. capra db init {opt}",
    ]
    for i, kind in enumerate(IMPORT_ORDER, 1):
        command = f"capra db import {kind} {kind}.csv {opt}"
        lines.append(f"  {i}. {command:<60} ({len(frames[kind])} rows)")
    lines += [
        "",
        "Then try:",
        f"  capra db state --date {rec.end_date} {opt}",
        f"  capra milk fit {opt} --out milk-fit/",
        f"  capra run --from-db {opt} --date {rec.end_date}",
        f"  capra db report {opt} --out records-report/",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")


def import_records(db, directory: str | os.PathLike, *, user: str | None = None) -> dict:
    """Import the example files of ``directory`` into a records database, in order.

    Parameters
    ----------
    db
        An open records database, or its URL or SQLite path (opened and migrated).
    directory
        Folder written by :func:`write_example_records`.
    user
        User recorded in the audit log.

    Returns
    -------
    ``{kind: ImportResult}``. Raises :class:`capra.store.io.RowsRejectedError` at the first
    file with a rejected row (nothing of that file is written).
    """
    from sqlalchemy import Engine

    from capra.store.db import open_db
    from capra.store.io import import_file

    db = db if isinstance(db, Engine) else open_db(db)
    directory = Path(directory)
    return {kind: import_file(db, kind, directory / f"{kind}.csv", user=user)
            for kind in IMPORT_ORDER if (directory / f"{kind}.csv").exists()}
