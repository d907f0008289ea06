"""Questions asked of the records: the herd as it stood on a date, the product in store,
the test days with their lactation.

:func:`herd_state` is one set-based SQL query (window functions and aggregates over the
event log, the same on SQLite and PostgreSQL) followed by column-wise arithmetic in
pandas; there is no loop over animals. :func:`lactation_records` places each test day in
its lactation, for the curves fitted by :mod:`capra.lactation.records`;
:func:`child_measurements` gives the children's measurements that
:mod:`capra.growth.monitoring` scores.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import Date, Engine, bindparam, text

from capra.errors import DataError
from capra.lactation import N_PARITY_CLASSES
from capra.store.db import open_existing

__all__ = ["GESTATION_DAYS", "STATE_COLUMNS", "SUMMARY_COLUMNS", "as_day",
           "child_measurements", "herd_state", "herd_summary", "lactation_records",
           "product_stock"]

#: Gestation length used when an insemination has no expected kidding date: 150 days
#: (146-155; Kentucky State University extension, as in capra/data/breeds/saanen.toml).
#: [days]
GESTATION_DAYS = 150

#: Columns of :func:`herd_state`.
STATE_COLUMNS = ("tag", "sex", "breed", "farm", "status", "exit_date", "birth_date",
                 "age_days", "parity", "last_parturition_date", "lactating", "days_in_milk",
                 "reproduction_status", "pregnant", "expected_parturition_date",
                 "milk_withheld")

_SQL = """
WITH ev AS (
    SELECT id, animal_id, date, type, farm_id, result, expected_parturition_date,
           withdrawal_days
    FROM events WHERE date <= :d
),
term AS (
    SELECT animal_id, date, type,
           ROW_NUMBER() OVER (PARTITION BY animal_id ORDER BY date, id) AS rn
    FROM ev WHERE type IN ('death', 'departure')
),
loc AS (
    SELECT animal_id, farm_id,
           ROW_NUMBER() OVER (PARTITION BY animal_id ORDER BY date DESC, id DESC) AS rn
    FROM ev WHERE farm_id IS NOT NULL
),
kid AS (
    SELECT animal_id, COUNT(*) AS n, MAX(date) AS last
    FROM ev WHERE type = 'parturition' GROUP BY animal_id
),
dry AS (
    SELECT animal_id, MAX(date) AS last FROM ev WHERE type = 'dry_off' GROUP BY animal_id
),
repro AS (
    SELECT animal_id, type, date, result, expected_parturition_date,
           ROW_NUMBER() OVER (PARTITION BY animal_id ORDER BY date DESC, id DESC) AS rn
    FROM ev WHERE type IN ('insemination', 'pregnancy_check', 'abortion', 'parturition')
),
ins AS (
    SELECT animal_id, date, expected_parturition_date,
           ROW_NUMBER() OVER (PARTITION BY animal_id ORDER BY date DESC, id DESC) AS rn
    FROM ev WHERE type = 'insemination'
)
SELECT a.tag, a.sex, a.breed, f.name AS farm, a.birth_date, a.entry_date,
       a.entry_parity, a.entry_last_parturition_date, a.entry_expected_parturition_date,
       a.entry_lactating, t.date AS exit_date, t.type AS exit_type,
       COALESCE(k.n, 0) AS n_kiddings, k.last AS last_kidding, d.last AS last_dry_off,
       r.type AS repro_type, r.date AS repro_date, r.result AS repro_result,
       r.expected_parturition_date AS repro_expected,
       i.date AS ins_date, i.expected_parturition_date AS ins_expected,
       w.withheld_until
FROM animals a
LEFT JOIN term t ON t.animal_id = a.id AND t.rn = 1
LEFT JOIN loc l ON l.animal_id = a.id AND l.rn = 1
JOIN farms f ON f.id = COALESCE(l.farm_id, a.farm_id)
LEFT JOIN kid k ON k.animal_id = a.id
LEFT JOIN dry d ON d.animal_id = a.id
LEFT JOIN repro r ON r.animal_id = a.id AND r.rn = 1
LEFT JOIN ins i ON i.animal_id = a.id AND i.rn = 1
LEFT JOIN (
    SELECT animal_id, MAX({until}) AS withheld_until
    FROM ev WHERE type = 'treatment' AND withdrawal_days IS NOT NULL GROUP BY animal_id
) w ON w.animal_id = a.id
WHERE a.entry_date <= :d
ORDER BY a.tag
"""

_UNTIL = {"sqlite": "date(date, '+' || withdrawal_days || ' days')",
          "postgresql": "date + withdrawal_days"}

_DATES = ("birth_date", "entry_date", "entry_last_parturition_date",
          "entry_expected_parturition_date", "exit_date", "last_kidding", "last_dry_off",
          "repro_date", "repro_expected", "ins_date", "ins_expected", "withheld_until")


def as_day(date) -> dt.date:
    """A day from a date or a ``YYYY-MM-DD`` text; :class:`DataError` for anything else."""
    try:
        return pd.Timestamp(date).date()
    except (ValueError, TypeError):
        raise DataError(f"date {date!r}: not a date; expected YYYY-MM-DD") from None


def herd_state(db: Engine, date: dt.date | str, *, alive_only: bool = True) -> pd.DataFrame:
    """Every animal as it stood at the end of ``date``.

    Parameters
    ----------
    db
        An open records database.
    date
        The day (events of that day included).
    alive_only
        Only animals alive and in the herd (default); otherwise also those that died or
        left, with their ``exit_date``.

    Returns
    -------
    DataFrame, one row per animal (sorted by tag), columns :data:`STATE_COLUMNS`:
    ``farm`` (where it is: last transfer or entry farm), ``status`` (ICAR
    icarAnimalStatusType: ``Alive``, ``Dead``, ``OffFarm``), ``age_days`` [days],
    ``parity`` (kiddings, those before entry included), ``last_parturition_date``,
    ``lactating`` (kidded and not dried off since), ``days_in_milk`` [days],
    ``reproduction_status`` (ICAR icarAnimalReproductionStatusType: ``Open``,
    ``Inseminated``, ``Pregnant``, ``PregnantMultipleFoetus``, ``NotPregnant``,
    ``Birthed``; empty for males), ``pregnant`` (true after a positive pregnancy check or
    when pregnant at entry; unknown after an insemination not yet checked; false
    otherwise), ``expected_parturition_date`` (pregnant or inseminated does: the recorded
    date, else insemination + :data:`GESTATION_DAYS`), ``milk_withheld`` (within a
    treatment's withdrawal period).
    """
    day = pd.Timestamp(date).date()
    with db.connect() as conn:
        sql = _SQL.replace("{until}", _UNTIL[conn.dialect.name])
        stmt = text(sql).bindparams(bindparam("d", type_=Date()))
        res = conn.execute(stmt, {"d": day})
        df = pd.DataFrame(res.fetchall(), columns=list(res.keys()))
    D = pd.Timestamp(day)
    for c in _DATES:
        df[c] = pd.to_datetime(df[c]).astype("datetime64[s]")
    n = len(df)
    female = (df["sex"] == "female").to_numpy()
    alive = df["exit_date"].isna().to_numpy()
    status = np.where(alive, "Alive", np.where(df["exit_type"] == "death", "Dead", "OffFarm"))
    parity = df["entry_parity"].astype("int64") + df["n_kiddings"].astype("int64")
    last_kid = df["last_kidding"].fillna(df["entry_last_parturition_date"])
    entry_lact = df["entry_lactating"].astype(bool).to_numpy()
    # in milk since the last kidding recorded, or since entry for does in milk at entry
    since = df["last_kidding"].fillna(df["entry_date"].where(entry_lact))
    lactating = alive & female & since.notna().to_numpy() & \
        (df["last_dry_off"].isna() | (df["last_dry_off"] < since)).to_numpy()
    dim = (D - last_kid).dt.days.where(lactating)
    # reproduction status from the latest reproductive event
    rt, rr = df["repro_type"], df["repro_result"]
    ins_expected = df["ins_expected"].fillna(df["ins_date"] + pd.Timedelta(days=GESTATION_DAYS))
    status_r = pd.Series(np.where(df["entry_expected_parturition_date"].notna(), "Pregnant",
                                  "Open"), index=df.index, dtype=object)
    expected = df["entry_expected_parturition_date"].copy()
    sel = rt == "insemination"
    status_r[sel] = "Inseminated"
    expected[sel] = ins_expected[sel]
    sel = rt.isin(["parturition"])
    status_r[sel] = "Birthed"
    expected[sel] = pd.NaT
    sel = rt == "abortion"
    status_r[sel] = "Open"
    expected[sel] = pd.NaT
    chk = rt == "pregnancy_check"
    pos = chk & rr.isin(["Pregnant", "Multiple"])
    status_r[pos & (rr == "Pregnant")] = "Pregnant"
    status_r[pos & (rr == "Multiple")] = "PregnantMultipleFoetus"
    ins_before = df["ins_date"].notna() & (df["ins_date"] <= df["repro_date"])
    expected[pos] = df["repro_expected"].fillna(ins_expected.where(ins_before))[pos]
    status_r[chk & (rr == "Empty")] = "NotPregnant"
    expected[chk & (rr == "Empty")] = pd.NaT
    unk = chk & ~rr.isin(["Pregnant", "Multiple", "Empty"])
    status_r[unk] = np.where(ins_before[unk], "Inseminated", "Open")
    expected[unk] = ins_expected.where(ins_before)[unk]
    pregnant = pd.Series(pd.NA, index=df.index, dtype="boolean")
    pregnant[:] = status_r.isin(["Pregnant", "PregnantMultipleFoetus"]).to_numpy()
    pregnant[status_r == "Inseminated"] = pd.NA
    keep = female & alive
    status_r = status_r.where(keep, None)
    pregnant = pregnant.where(keep, pd.NA)
    expected = expected.where(keep)
    withheld = (alive & df["withheld_until"].notna().to_numpy()
                & (df["withheld_until"] >= D).to_numpy())
    out = pd.DataFrame({
        "tag": df["tag"], "sex": df["sex"], "breed": df["breed"], "farm": df["farm"],
        "status": status, "exit_date": df["exit_date"], "birth_date": df["birth_date"],
        "age_days": (D - df["birth_date"]).dt.days.astype("Int64"),
        "parity": parity.where(female, 0).astype("int64"),
        "last_parturition_date": last_kid.where(female),
        "lactating": lactating, "days_in_milk": dim.astype("Int64"),
        "reproduction_status": status_r, "pregnant": pregnant,
        "expected_parturition_date": expected.astype("datetime64[s]"),
        "milk_withheld": withheld,
    }, index=pd.RangeIndex(n))
    if alive_only:
        out = out[alive].reset_index(drop=True)
    return out


_STOCK_SQL = """
SELECT b.plant, b.product, b.production_date AS made, b.expiry_date,
       b.quantity_kg - COALESCE(SUM(d.quantity_kg), 0) AS kg
FROM product_batches b
LEFT JOIN deliveries d ON d.product_batch_id = b.id AND d.date <= :d
WHERE b.production_date <= :d AND b.expiry_date > :d
GROUP BY b.id, b.plant, b.product, b.production_date, b.expiry_date, b.quantity_kg
ORDER BY b.plant, b.product, b.production_date
"""


def product_stock(db, date: dt.date | str) -> pd.DataFrame:
    """Product in store at the end of ``date``: each product batch made by then and not
    yet past its expiry date, less what was delivered from it by then.

    Parameters
    ----------
    db
        An open records database or its URL / SQLite path.
    date
        The day. [date]

    Returns
    -------
    pandas.DataFrame
        ``plant``, ``product``, ``made`` (date), ``expiry_date`` and ``kg`` [kg product],
        one row per batch with some left (a batch without a plant has plant ``None``).
    """
    db = open_existing(db)
    day = as_day(date)
    stmt = text(_STOCK_SQL).bindparams(bindparam("d", type_=Date))
    with db.connect() as conn:
        frame = pd.read_sql(stmt, conn, params={"d": day})
    for col in ("made", "expiry_date"):
        frame[col] = pd.to_datetime(frame[col])
    frame["kg"] = frame["kg"].astype(float)
    return frame[frame["kg"] > 1e-9].reset_index(drop=True)


#: Columns of :func:`herd_summary`, in order.
SUMMARY_COLUMNS = ("head", "does_in_milk", "dry_does", "doelings", "pregnant", "inseminated",
                   "males", "milk_withheld", "left_or_died")


def herd_summary(state: pd.DataFrame) -> pd.DataFrame:
    """The herd of :func:`herd_state` counted by farm (one row per farm, sorted). [head]

    Columns :data:`SUMMARY_COLUMNS`: ``head`` (alive and in the herd), ``does_in_milk``,
    ``dry_does`` (kidded, not in milk), ``doelings`` (females that have not kidded),
    ``pregnant`` (checked or at entry), ``inseminated`` (not yet checked), ``males``,
    ``milk_withheld`` (in a treatment's withdrawal period), ``left_or_died`` (in ``state``
    only when it holds every animal, ``alive_only=False``).
    """
    alive = state["status"] == "Alive"
    female = state["sex"] == "female"
    lact = state["lactating"].astype(bool)
    parous = state["parity"] > 0
    counts = pd.DataFrame({
        "farm": state["farm"].astype(object).fillna(""),
        "head": alive,
        "does_in_milk": alive & female & lact,
        "dry_does": alive & female & parous & ~lact,
        "doelings": alive & female & ~parous,
        "pregnant": alive & state["pregnant"].fillna(False).astype(bool),
        "inseminated": alive & (state["reproduction_status"] == "Inseminated"),
        "males": alive & ~female,
        "milk_withheld": alive & state["milk_withheld"].astype(bool),
        "left_or_died": ~alive,
    })
    table = counts.groupby("farm", sort=True).sum().astype("int64")
    return table[list(SUMMARY_COLUMNS)]


def lactation_records(db, *, animal_id: int | None = None) -> pd.DataFrame:
    """Every test day (of one animal, with ``animal_id``) with the kidding that started its
    lactation: the last kidding on or before the test day (a ``parturition`` event, or the
    last kidding or the entry of a doe in milk at entry).

    ``db`` is an open records database, or its URL or SQLite path.

    Returns
    -------
    DataFrame with ``tag``, ``date``, ``milk_kg`` [kg/day], ``kidding_date``,
    ``dim`` (days in milk) [days], ``parity`` (kiddings including that one) [-],
    ``parity_class`` (1, 2 or 3 for 3+) and ``lactation`` (``tag/kidding date``, the
    cluster of the robust errors). Test days with no kidding before them, or on the day of
    kidding, are left out.
    """
    one, params = ("", {}) if animal_id is None else (" AND {} = :aid", {"aid": int(animal_id)})
    with open_existing(db).connect() as conn:
        td = pd.read_sql_query(text(
            "SELECT a.tag, t.animal_id, t.date, t.milk_kg FROM test_days t "
            "JOIN animals a ON a.id = t.animal_id WHERE 1 = 1" + one.format("t.animal_id")),
            conn, params=params)
        kid = pd.read_sql_query(text(
            "SELECT animal_id, date FROM events WHERE type = 'parturition'"
            + one.format("animal_id")), conn, params=params)
        ent = pd.read_sql_query(text(
            "SELECT id AS animal_id, entry_date, entry_parity, entry_last_parturition_date, "
            "entry_lactating FROM animals WHERE (entry_parity > 0 OR entry_lactating)"
            + one.format("id")), conn, params=params)
    for df, cols in ((td, ["date"]), (kid, ["date"]),
                     (ent, ["entry_date", "entry_last_parturition_date"])):
        for c in cols:
            df[c] = pd.to_datetime(df[c])
    ent["entry_lactating"] = ent["entry_lactating"].astype(bool)
    # kiddings recorded as events: parity = parity at entry + their rank
    kid = kid.sort_values(["animal_id", "date"], kind="stable")
    kid["parity"] = (kid["animal_id"].map(ent.set_index("animal_id")["entry_parity"]).fillna(0)
                     .astype(int) + kid.groupby("animal_id").cumcount() + 1)
    # the kidding before entry of does that entered with one
    before = ent["entry_last_parturition_date"].where(
        ent["entry_last_parturition_date"].notna(),
        ent["entry_date"].where(ent["entry_lactating"]))
    pre = pd.DataFrame({"animal_id": ent["animal_id"], "date": before,
                        "parity": ent["entry_parity"].clip(lower=1).astype(int)}).dropna()
    kiddings = pd.concat([pre, kid], ignore_index=True).sort_values("date", kind="stable")
    # one animal's records may hold no kidding: empty frames need the merge's key types
    kiddings = kiddings.astype({"animal_id": td["animal_id"].dtype,
                                "date": td["date"].dtype, "parity": "int64"})
    td = td.sort_values("date", kind="stable")
    m = pd.merge_asof(td, kiddings.rename(columns={"date": "kidding_date"}),
                      left_on="date", right_on="kidding_date", by="animal_id",
                      direction="backward")
    m = m[m["kidding_date"].notna()].copy()
    m["dim"] = (m["date"] - m["kidding_date"]).dt.days
    m = m[m["dim"] > 0]
    m["parity"] = m["parity"].astype(int)
    m["parity_class"] = m["parity"].clip(upper=N_PARITY_CLASSES)
    m["lactation"] = m["tag"] + "/" + m["kidding_date"].dt.strftime("%Y-%m-%d")
    return (m[["tag", "date", "milk_kg", "kidding_date", "dim", "parity", "parity_class",
               "lactation"]].sort_values(["tag", "date"], kind="stable").reset_index(drop=True))


def child_measurements(db) -> pd.DataFrame:
    """Every recorded measurement with its child and site, by date and child code.

    ``db`` is an open records database, or its URL or SQLite path.

    Returns
    -------
    One row per measurement: ``child`` (code), ``sex``, ``birth_date``, ``site``,
    ``site_kind``, ``district`` ('' when none), ``date``, ``weight_kg`` [kg],
    ``height_cm`` [cm], ``measured``, ``muac_cm`` [cm], ``oedema``, as stored.
    """
    with open_existing(db).connect() as conn:
        return pd.read_sql_query(
            "SELECT c.code AS child, c.sex, c.birth_date, s.name AS site, s.kind AS site_kind, "
            "COALESCE(s.district, '') AS district, m.date, m.weight_kg, m.height_cm, "
            "m.measured, m.muac_cm, m.oedema FROM measurements m "
            "JOIN children c ON c.id = m.child_id JOIN sites s ON s.id = c.site_id "
            "ORDER BY m.date, c.code", conn)
