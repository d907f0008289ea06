"""Records as one user may see and change them: the farm and veterinary roles reach the
animals of their own farms only, and the limit is part of every query (not a filter of
what a page shows).

An animal is on the farm where it is now: the farm of its latest event that names one (a
transfer's destination), else its entry farm (:data:`LOCATION_SQL`). Reads take a
:class:`~capra.store.accounts.Principal` and add ``farm_id IN (...)`` for scoped users;
:func:`write_scope_problems` lists the rows of an import that reach beyond the user's farms
or event types, so that the whole import can be refused before anything is written.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Engine, bindparam, text

from capra.errors import DataError
from capra.store.accounts import (
    VET_EVENT_TYPES,
    ForbiddenError,
    Principal,
    can,
    can_write,
)
from capra.store.query import lactation_records

__all__ = ["LOCATION_SQL", "animal_page", "animal_tags", "animals", "child_page", "children", "farms",
           "recorded_milk", "sites", "write_scope_problems"]

#: Current farm of each animal: its latest event with a farm, else its entry farm.
LOCATION_SQL = """
SELECT a.id AS animal_id,
       COALESCE((SELECT e.farm_id FROM events e
                 WHERE e.animal_id = a.id AND e.farm_id IS NOT NULL
                 ORDER BY e.date DESC, e.id DESC LIMIT 1), a.farm_id) AS farm_id
FROM animals a
"""

#: Most rows a list page returns. [rows]
PAGE_ROWS = 200


def _scope_clause(principal: Principal, column: str) -> tuple[str, dict]:
    """``AND column IN (...)`` for scoped users (an impossible id list when they keep no
    farm), nothing for the others."""
    if not principal.scoped:
        return "", {}
    ids = sorted(principal.farm_ids) or [-1]
    return f" AND {column} IN :scope_ids", {"scope_ids": ids}


def _query(db: Engine, sql: str, params: dict) -> pd.DataFrame:
    stmt = text(sql)
    if "scope_ids" in params:
        stmt = stmt.bindparams(bindparam("scope_ids", expanding=True))
    with db.connect() as conn:
        res = conn.execute(stmt, params)
        return pd.DataFrame(res.fetchall(), columns=list(res.keys()))


# --------------------------------------------------------------------------------------
# Farms and animals
# --------------------------------------------------------------------------------------

def farms(db: Engine, principal: Principal) -> pd.DataFrame:
    """Farms the user may see, with the animals on each now: ``name, kind, district,
    capacity_head, head`` [head] (alive, present)."""
    where, params = _scope_clause(principal, "f.id")
    return _query(db, f"""
        WITH loc AS ({LOCATION_SQL}),
        alive AS (SELECT a.id FROM animals a WHERE NOT EXISTS (
            SELECT 1 FROM events e WHERE e.animal_id = a.id
            AND e.type IN ('death', 'departure')))
        SELECT f.name, f.kind, f.district, f.capacity_head,
               (SELECT COUNT(*) FROM loc JOIN alive ON alive.id = loc.animal_id
                WHERE loc.farm_id = f.id) AS head
        FROM farms f WHERE 1 = 1 {where} ORDER BY f.name""", params)


def animals(db: Engine, principal: Principal, *, farm: str | None = None,
            status: str = "alive", sex: str | None = None, q: str | None = None,
            limit: int = PAGE_ROWS, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Animals the user may see, filtered; ``(page, total)``.

    Columns: ``tag, sex, breed, birth_date, farm, status`` (``alive``, ``dead``, ``left``),
    ``parity`` (entry parity plus recorded kiddings), ``last_test_date``,
    ``last_milk_kg`` [kg/day]. ``q`` matches the start of the tag (as data: quotes and
    wildcards are plain characters).
    """
    if status not in ("alive", "dead", "left", "all"):
        raise DataError(f"status {status!r}: expected alive, dead, left or all")
    where, params = _scope_clause(principal, "loc.farm_id")
    if farm:
        where += " AND f.name = :farm"
        params["farm"] = farm
    if sex in ("female", "male"):
        where += " AND a.sex = :sex"
        params["sex"] = sex
    if q:
        # match as text: LIKE wildcards in the query are escaped
        where += " AND a.tag LIKE :q ESCAPE '!'"
        params["q"] = q.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    status_sql = ("CASE WHEN t.type = 'death' THEN 'dead' WHEN t.type = 'departure' "
                  "THEN 'left' ELSE 'alive' END")
    if status != "all":
        where += f" AND {status_sql} = :status"
        params["status"] = status
    base = f"""
        WITH loc AS ({LOCATION_SQL}),
        term AS (SELECT animal_id, MIN(type) AS type FROM events
                 WHERE type IN ('death', 'departure') GROUP BY animal_id),
        kid AS (SELECT animal_id, COUNT(*) AS n FROM events WHERE type = 'parturition'
                GROUP BY animal_id),
        last_td AS (SELECT animal_id, MAX(date) AS date FROM test_days GROUP BY animal_id)
        SELECT a.tag, a.sex, a.breed, a.birth_date, f.name AS farm, {status_sql} AS status,
               a.entry_parity + COALESCE(k.n, 0) AS parity, lt.date AS last_test_date,
               (SELECT td.milk_kg FROM test_days td WHERE td.animal_id = a.id
                AND td.date = lt.date) AS last_milk_kg, COUNT(*) OVER () AS total
        FROM animals a JOIN loc ON loc.animal_id = a.id JOIN farms f ON f.id = loc.farm_id
        LEFT JOIN term t ON t.animal_id = a.id LEFT JOIN kid k ON k.animal_id = a.id
        LEFT JOIN last_td lt ON lt.animal_id = a.id
        WHERE 1 = 1 {where}"""
    params.update(limit=int(limit), offset=int(offset))
    page = _query(db, base + " ORDER BY a.tag LIMIT :limit OFFSET :offset", params)
    return _with_total(page, db, base, params)


def _with_total(page: pd.DataFrame, db: Engine, base: str, params: dict
                ) -> tuple[pd.DataFrame, int]:
    """A page of rows and the count of all rows (``total``, a window count of the page's
    query; counted apart only when the page is past the end)."""
    if len(page):
        return page.drop(columns="total"), int(page["total"].iloc[0])
    total = int(_query(db, f"SELECT COUNT(*) AS n FROM ({base}) x", params)["n"].iloc[0])
    return page.drop(columns="total"), total


def animal_tags(db: Engine, principal: Principal) -> list[str]:
    """Tags of the animals alive in the herd that the user may see, sorted."""
    where, params = _scope_clause(principal, "loc.farm_id")
    return _query(db, f"""
        WITH loc AS ({LOCATION_SQL})
        SELECT a.tag FROM animals a JOIN loc ON loc.animal_id = a.id
        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.animal_id = a.id
                          AND e.type IN ('death', 'departure')) {where}
        ORDER BY a.tag""", params)["tag"].tolist()


def animal_page(db: Engine, principal: Principal, tag: str) -> dict | None:
    """One animal's life, or ``None`` if it is not recorded or not on the user's farms.

    Returns ``animal`` (a dict of its record: tag, sex, breed, birth date, dam, sire,
    origin, batch, entry farm and date, current farm, status), ``events`` and
    ``test_days`` (DataFrames, by date) and ``lactation_records`` (its test days with
    their lactation, :func:`capra.store.query.lactation_records`; the curve of each
    lactation is :func:`capra.lactation.records.doe_lactations`).
    """
    where, params = _scope_clause(principal, "loc.farm_id")
    params["tag"] = tag
    found = _query(db, f"""
        WITH loc AS ({LOCATION_SQL})
        SELECT a.id, a.tag, a.sex, a.breed, a.birth_date, a.birth_date_estimated,
               d.tag AS dam, s.tag AS sire, a.origin, b.name AS batch, ef.name AS entry_farm,
               a.entry_date, a.entry_parity, f.name AS farm
        FROM animals a JOIN loc ON loc.animal_id = a.id JOIN farms f ON f.id = loc.farm_id
        JOIN farms ef ON ef.id = a.farm_id
        LEFT JOIN animals d ON d.id = a.dam_id LEFT JOIN animals s ON s.id = a.sire_id
        LEFT JOIN batches b ON b.id = a.batch_id
        WHERE a.tag = :tag {where}""", params)
    if found.empty:
        return None
    rec = found.iloc[0].to_dict()
    aid = int(rec.pop("id"))
    events = _query(db, """
        SELECT e.date, e.type, f.name AS farm, ff.name AS from_farm, e.reason,
               e.departure_kind, e.litter_size, e.live_kids, e.method, s.tag AS sire,
               e.result, e.expected_parturition_date, e.product, e.withdrawal_days, e.note
        FROM events e LEFT JOIN farms f ON f.id = e.farm_id
        LEFT JOIN farms ff ON ff.id = e.from_farm_id LEFT JOIN animals s ON s.id = e.sire_id
        WHERE e.animal_id = :aid ORDER BY e.date, e.id""", {"aid": aid})
    tests = _query(db, """
        SELECT date, milk_kg, fat_pct, protein_pct, somatic_cells_k, milkings
        FROM test_days WHERE animal_id = :aid ORDER BY date""", {"aid": aid})
    term = events[events["type"].isin(("death", "departure"))]
    rec["status"] = ("alive" if term.empty else
                     "dead" if term["type"].iloc[0] == "death" else "left")
    return {"animal": rec, "events": events, "test_days": tests,
            "lactation_records": lactation_records(db, animal_id=aid)}


def recorded_milk(db: Engine, principal: Principal) -> pd.DataFrame:
    """Milk per farm and month from the test days: ``farm, month`` (first day),
    ``milk_kg_per_day`` [kg/day], ``does`` [head].

    The test-day estimate of a farm's daily milk in a month is the sum, over the does
    tested that month, of each doe's mean test-day yield (each doe in milk is tested about
    once a month, so the sum is the farm's yield on a typical day; ICAR Guidelines,
    section 2, test-day methods). The farm is where the doe was on the test day's month
    as far as its current location says; transfers within a month are not split.
    """
    where, params = _scope_clause(principal, "loc.farm_id")
    df = _query(db, f"""
        WITH loc AS ({LOCATION_SQL})
        SELECT f.name AS farm, t.animal_id, t.date, t.milk_kg
        FROM test_days t JOIN loc ON loc.animal_id = t.animal_id
        JOIN farms f ON f.id = loc.farm_id WHERE 1 = 1 {where}""", params)
    if df.empty:
        return pd.DataFrame(columns=["farm", "month", "milk_kg_per_day", "does"])
    df["month"] = pd.to_datetime(df["date"]).dt.to_period("M").dt.to_timestamp()
    per_doe = df.groupby(["farm", "month", "animal_id"])["milk_kg"].mean()
    out = per_doe.groupby(level=["farm", "month"]).agg(["sum", "size"]).reset_index()
    return out.rename(columns={"sum": "milk_kg_per_day", "size": "does"})


# --------------------------------------------------------------------------------------
# Sites and children
# --------------------------------------------------------------------------------------

def _need(principal: Principal, area: str) -> None:
    if not can(principal, area):
        raise ForbiddenError(f"the {principal.role} role may not see {area}")


def sites(db: Engine, principal: Principal) -> pd.DataFrame:
    """Sites with their children: ``name, kind, district, children`` [count]."""
    _need(principal, "children")
    return _query(db, """
        SELECT s.name, s.kind, s.district, COUNT(c.id) AS children FROM sites s
        LEFT JOIN children c ON c.site_id = s.id GROUP BY s.id, s.name, s.kind, s.district
        ORDER BY s.name""", {})


def children(db: Engine, principal: Principal, *, site: str | None = None,
             q: str | None = None, limit: int = PAGE_ROWS, offset: int = 0
             ) -> tuple[pd.DataFrame, int]:
    """Children: ``code, sex, birth_date, site, measurements, last_date``; ``(page, total)``."""
    _need(principal, "children")
    where, params = "", {}
    if site:
        where += " AND s.name = :site"
        params["site"] = site
    if q:
        where += " AND c.code LIKE :q ESCAPE '!'"
        params["q"] = q.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    base = f"""
        SELECT c.code, c.sex, c.birth_date, s.name AS site, COUNT(m.id) AS measurements,
               MAX(m.date) AS last_date, COUNT(*) OVER () AS total
        FROM children c JOIN sites s ON s.id = c.site_id
        LEFT JOIN measurements m ON m.child_id = c.id WHERE 1 = 1 {where}
        GROUP BY c.id, c.code, c.sex, c.birth_date, s.name"""
    params.update(limit=int(limit), offset=int(offset))
    page = _query(db, base + " ORDER BY c.code LIMIT :limit OFFSET :offset", params)
    return _with_total(page, db, base, params)


def child_page(db: Engine, principal: Principal, code: str) -> dict | None:
    """One child: ``child`` (code, sex, birth date, site) and its ``measurements`` by date
    (their WHO z-scores: :func:`capra.growth.monitoring.child_growth`), or ``None``."""
    _need(principal, "children")
    found = _query(db, """
        SELECT c.id, c.code, c.sex, c.birth_date, s.name AS site, s.district
        FROM children c JOIN sites s ON s.id = c.site_id WHERE c.code = :code""",
                   {"code": code})
    if found.empty:
        return None
    rec = found.iloc[0].to_dict()
    m = _query(db, """
        SELECT date, weight_kg, height_cm, measured, muac_cm, oedema FROM measurements
        WHERE child_id = :cid ORDER BY date""", {"cid": int(rec.pop("id"))})
    return {"child": rec, "measurements": m}


# --------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------

def write_scope_problems(db: Engine, principal: Principal, kind: str,
                         raw: pd.DataFrame) -> pd.DataFrame:
    """Rows of an import that the user may not write: ``row`` (1 = first data row),
    ``field``, ``reason``, ``value``. Empty when every row is within the user's farms
    and event types.

    Raises :class:`~capra.store.accounts.ForbiddenError` when the role may not write the
    kind at all. References the records do not know are left to the import, which
    rejects them with its own reasons.
    """
    if not can_write(principal, kind):
        raise ForbiddenError(f"the {principal.role} role may not write {kind}")
    cols = ["row", "field", "reason", "value"]
    if not principal.scoped:
        return pd.DataFrame(columns=cols)
    farms_df = _query(db, "SELECT id, name FROM farms", {})
    by_name = pd.Series(farms_df["id"].astype("int64").to_numpy(), index=farms_df["name"])
    mine = list(principal.farm_ids)
    listed = ", ".join(principal.farm_names) or "none"
    parts: list[pd.DataFrame] = []

    def col(name: str) -> pd.Series:
        return (raw[name].astype(str).str.strip() if name in raw
                else pd.Series("", index=raw.index, dtype=object))

    def add(mask: pd.Series, field: str, reason: str) -> None:
        hit = mask.fillna(False).to_numpy(dtype=bool)
        if hit.any():
            idx = np.flatnonzero(hit)
            parts.append(pd.DataFrame({"row": idx + 1, "field": field, "reason": reason,
                                       "value": col(field).to_numpy()[idx]}))

    def outside(ids: pd.Series) -> pd.Series:
        """Known farm ids that are not the user's (unknown ones are left to the import)."""
        return ids.notna() & ~ids.isin(mine)

    if kind in ("events", "test_days"):
        loc = _query(db, f"""WITH loc AS ({LOCATION_SQL})
            SELECT a.tag, loc.farm_id FROM animals a JOIN loc ON loc.animal_id = a.id""", {})
        where = pd.Series(loc["farm_id"].astype("int64").to_numpy(), index=loc["tag"])
        add(outside(col("animal").map(where)), "animal",
            f"the animal is not on one of your farms ({listed})")
    if kind == "events":
        typ = col("type").str.lower()
        # a transfer may take an animal off the user's farms
        add(outside(col("farm").map(by_name)) & (typ != "transfer"), "farm",
            f"not one of your farms ({listed})")
        add(outside(col("from_farm").map(by_name)), "from_farm",
            f"not one of your farms ({listed})")
        if principal.role == "vet":
            add((typ != "") & ~typ.isin(VET_EVENT_TYPES), "type",
                "a vet records " + ", ".join(VET_EVENT_TYPES) + " events")
    elif kind == "animals":
        farm = col("farm")
        add(outside(farm.map(by_name)), "farm", f"not one of your farms ({listed})")
        b = _query(db, "SELECT name, arrival_farm_id FROM batches", {})
        arrival = pd.Series(b["arrival_farm_id"].astype("int64").to_numpy(), index=b["name"])
        add((farm == "") & outside(col("batch").map(arrival)), "batch",
            f"the batch arrives at a farm that is not one of yours ({listed})")
    elif kind == "batches":
        add(outside(col("arrival_farm").map(by_name)), "arrival_farm",
            f"not one of your farms ({listed})")
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True).sort_values("row", kind="stable") \
        .reset_index(drop=True)
