"""The integrity rules of each kind of record, checked by an import against the records and
within the file (no kidding by a male, no event after death or departure, no event before
birth, deliveries within the batch's dates and quantity, ...; the table is in
``docs/records.md``).

Each rule is a column operation over the file's rows (pandas, NumPy) that rejects rows
through the import's :class:`~capra.store.io.context.ImportContext`; messages are worked
out for the rejected rows only. :data:`RULES` names the rules of each kind (by the names
of :data:`capra.store.io.kinds.KINDS`), :data:`PREPARE` what fills derived fields before
the checks (the entry date and estimated birth date of animals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra.rates import DAYS_PER_MONTH
from capra.store import schema as S

if TYPE_CHECKING:
    from capra.store.io.context import ImportContext

__all__ = ["PREPARE", "RULES", "check_animals", "check_batches", "check_deliveries", "check_events",
           "check_measurements", "check_product_batches", "check_test_days",
           "prepare_animals"]


def _date_txt(s: pd.Series) -> pd.Series:
    """Dates as YYYY-MM-DD text (NaN where empty), each distinct date formatted once."""
    codes, uniq = pd.factorize(pd.to_datetime(s))
    txt = np.append(pd.DatetimeIndex(uniq).strftime("%Y-%m-%d").to_numpy(dtype=object), np.nan)
    return pd.Series(txt[codes], index=s.index, dtype=object)


def _animal_facts(ctx: ImportContext, ids: pd.Series) -> pd.DataFrame:
    """sex, birth_date, entry_date, first terminal event date and type of animals ``ids``."""
    animals = ctx.records("animals", "id", ids).set_index("id")
    facts = animals.reindex(ids.astype("float64").to_numpy())[
        ["sex", "birth_date", "entry_date", "entry_parity", "entry_last_parturition_date",
         "entry_lactating"]]
    facts.index = ids.index
    return facts


def _lookup(keys: pd.Series, table: pd.Series) -> pd.Series:
    """``table[key]`` for every key (NaN/NaT where absent), keys compared as numbers."""
    if len(table) == 0:
        return pd.Series(index=keys.index, dtype=table.dtype)
    idx = pd.Index(table.index.astype("float64"))
    pos = idx.get_indexer(keys.astype("float64").to_numpy())
    out = table.iloc[np.clip(pos, 0, None)]
    out.index = keys.index
    return out.where(pos >= 0)


def _terminal(events: pd.DataFrame) -> pd.DataFrame:
    t = events[events["type"].isin(S.TERMINAL_EVENTS)].sort_values(["date", "id"])
    return t.drop_duplicates("animal_id").set_index("animal_id")[["date", "type"]]


def check_events(ctx: ImportContext) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok()
    typ = v["type"]
    # fields that belong to other event types
    only = {"from_farm": ("transfer",), "reason": S.TERMINAL_EVENTS,
            "departure_kind": ("departure",), "litter_size": ("parturition",),
            "live_kids": ("parturition",), "method": ("insemination", "pregnancy_check"),
            "sire": ("insemination",), "result": ("pregnancy_check",),
            "product": ("treatment",), "withdrawal_days": ("treatment",),
            "expected_parturition_date": ("insemination", "pregnancy_check")}
    for name, types in only.items():
        P.add_mask(ok & v[name].notna() & typ.notna() & ~typ.isin(types), name,
                   f"only for {' or '.join(types)} events")
    need = {"litter_size": "parturition", "result": "pregnancy_check",
            "from_farm": "transfer", "farm": "transfer"}
    for name, t in need.items():
        P.add_mask(ok & (typ == t) & v[name].isna(), name, f"missing; required for {t} events")
    P.add_mask(ok & (typ == "death") & v["reason"].notna() & ~v["reason"].isin(S.DEATH_REASONS),
               "reason", "not a death reason; expected one of " + ", ".join(S.DEATH_REASONS))
    P.add_mask(ok & (typ == "departure") & v["reason"].notna()
               & ~v["reason"].isin(S.DEPARTURE_REASONS), "reason",
               "not a departure reason; expected one of " + ", ".join(S.DEPARTURE_REASONS))
    P.add_mask(ok & (typ == "insemination") & v["method"].notna()
               & ~v["method"].isin(S.INSEMINATION_METHODS), "method",
               "not an insemination method; expected one of " + ", ".join(S.INSEMINATION_METHODS))
    P.add_mask(ok & (typ == "pregnancy_check") & v["method"].notna()
               & ~v["method"].isin(S.PREGNANCY_METHODS), "method",
               "not a pregnancy-check method; expected one of " + ", ".join(S.PREGNANCY_METHODS))
    P.add_mask(ok & v["live_kids"].notna() & v["litter_size"].notna()
               & (v["live_kids"] > v["litter_size"]), "live_kids", "more than litter_size")
    P.add_mask(ok & v["from_farm_id"].notna() & (v["from_farm_id"] == v["farm_id"]),
               "from_farm", "same as farm; a transfer moves the animal to another farm")
    _animal_date_rules(ctx, kinds_label="event")
    # the buck
    has_sire = ok & v["sire_id"].notna()
    if has_sire.any():
        sires = _animal_facts(ctx, v.loc[has_sire, "sire_id"])
        P.add_mask((sires["sex"] != "male").reindex(v.index, fill_value=False), "sire",
                   "not a male")


def _animal_date_rules(ctx: ImportContext, kinds_label: str) -> None:
    """Rules shared by events and test days: sex, before birth or entry, after death."""
    v, P = ctx.val, ctx.P
    ok = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    if not ok.any():
        return
    a = _animal_facts(ctx, v.loc[ok, "animal_id"])
    sub = v[ok]
    is_event = "type" in v
    if is_event:
        male = (a["sex"] == "male") & sub["type"].isin(S.FEMALE_ONLY_EVENTS)
        P.add_mask(male.reindex(v.index, fill_value=False), "type",
                   lambda i: "the animal is a male; "
                   + sub.loc[i, "type"].astype(str).str.replace("_", " ") + " is for females only")
    else:
        P.add_mask((a["sex"] == "male").reindex(v.index, fill_value=False), "animal",
                   "the animal is a male; test days are for does")
    before = a["birth_date"].notna() & (sub["date"] < a["birth_date"])
    P.add_mask(before.reindex(v.index, fill_value=False), "date",
               lambda i: "before the animal's birth (" + _date_txt(a.loc[i, "birth_date"]) + ")")
    entry = ~before & (sub["date"] < a["entry_date"])
    P.add_mask(entry.reindex(v.index, fill_value=False), "date",
               lambda i: "before the animal entered the records ("
               + _date_txt(a.loc[i, "entry_date"]) + ")")
    # after death or departure: recorded terminal events, then terminal rows of the file
    events = ctx.records("events", "animal_id", v["animal_id"])   # of the file's animals
    ok = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    new = ok & ~v.index.isin(ctx.unchanged)
    if is_event:
        term_file = v[new & v["type"].isin(S.TERMINAL_EVENTS)]
        if not term_file.empty:
            # a death or departure must not precede recorded events or test days
            later = pd.concat([events[["animal_id", "date"]], ctx.records(
                "test_days", "animal_id", term_file["animal_id"])[["animal_id", "date"]]])
            last = later.groupby("animal_id")["date"].max()
            lst = _lookup(term_file["animal_id"], last)
            clash = lst.notna() & (lst > term_file["date"])
            P.add_mask(clash.reindex(v.index, fill_value=False), "date",
                       "the animal has records after this date (latest "
                       + _date_txt(lst.where(clash)).fillna("") + ")")
        new = ctx.ok() & v["animal_id"].notna() & v["date"].notna() & \
            ~v.index.isin(ctx.unchanged)
        term_file = v[new & v["type"].isin(S.TERMINAL_EVENTS)]
        both = pd.concat([events[events["type"].isin(S.TERMINAL_EVENTS)][["animal_id", "date", "type"]]
                          .assign(_idx=-1),
                          term_file[["animal_id", "date", "type"]].reset_index(names="_idx")],
                         ignore_index=True)
        both["animal_id"] = both["animal_id"].astype("float64")
        both = both.sort_values(["animal_id", "date", "_idx"], kind="stable")
        first = both.drop_duplicates("animal_id").set_index("animal_id")
        # a second death or departure on the same day (or a file row repeating it)
        second = both[both.duplicated("animal_id") & (both["_idx"] >= 0)]
        same_day = second[second["date"].to_numpy() == first.loc[second["animal_id"], "date"].to_numpy()]
        P.add(same_day["_idx"].to_numpy(), "type",
              ("the animal already has a " + first.loc[same_day["animal_id"], "type"].astype(str)
               + " on this day").to_numpy())
    else:
        first = _terminal(events.assign(animal_id=events["animal_id"].astype("float64")))
    cand = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    fd = _lookup(v.loc[cand, "animal_id"], first["date"].astype("datetime64[s]"))
    ft = _lookup(v.loc[cand, "animal_id"], first["type"].astype(object))
    after = fd.notna() & (v.loc[cand, "date"] > fd)
    P.add_mask(after.reindex(v.index, fill_value=False), "date",
               lambda i: "after the animal's " + ft.loc[i].fillna("").astype(str) + " on "
               + _date_txt(fd.loc[i]).fillna(""))


def check_test_days(ctx: ImportContext) -> None:
    _animal_date_rules(ctx, kinds_label="test day")
    v, P = ctx.val, ctx.P
    ok = ctx.ok() & v["animal_id"].notna() & v["date"].notna()
    if not ok.any():
        return
    a = _animal_facts(ctx, v.loc[ok, "animal_id"])
    ev = ctx.records("events", "animal_id", v.loc[ok, "animal_id"])
    kid = ev[ev["type"] == "parturition"].groupby("animal_id")["date"].min()
    first_kid = _lookup(v.loc[ok, "animal_id"], kid.astype("datetime64[s]"))
    # in milk at entry: from entry on; otherwise only after a kidding recorded as an event
    entry_kid = a["entry_date"].where(a["entry_lactating"].fillna(False).astype(bool))
    earliest = pd.concat([first_kid, entry_kid], axis=1).min(axis=1)
    dry = earliest.isna() | (v.loc[ok, "date"] < earliest)
    P.add_mask(dry.reindex(v.index, fill_value=False), "date",
               "no kidding recorded on or before this date (a doe is in milk after kidding)")


def prepare_animals(ctx: ImportContext) -> None:
    v, P = ctx.val, ctx.P
    batches = ctx.table("batches").set_index("id")
    has_batch = v["batch_id"].notna()
    v["origin"] = v["origin"].where(v["origin"].notna() | ~v["batch"].notna(), "arrival")
    v["origin"] = v["origin"].where(v["origin"].notna(), "birth")
    arr = v["origin"] == "arrival"
    bid = v["batch_id"].astype("float64")
    b_date = _lookup(bid, batches["arrival_date"].astype("datetime64[s]"))
    b_farm = _lookup(bid, batches["arrival_farm_id"].astype("float64"))
    P.add_mask(arr & v["batch"].isna(), "batch", "missing; required for animals that arrived "
               "with a batch (origin arrival)")
    P.add_mask(~arr & v["batch"].notna(), "batch", "only for animals that arrived with a "
               "batch (origin arrival)")
    v["farm_id"] = v["farm_id"].fillna(b_farm.where(arr).astype("Int64"))
    P.add_mask(~arr & v["farm"].isna(), "farm", "missing; required for animals born on a farm")
    both = v["birth_date"].notna() & v["age_months"].notna()
    P.add_mask(both, "age_months", "give either birth_date or age_months, not both")
    P.add_mask(~arr & v["birth_date"].isna(), "birth_date",
               "missing; required for animals born on a farm (origin birth)")
    entry = v["entry_date"].where(v["entry_date"].notna(),
                                  v["birth_date"].where(~arr, b_date.astype("datetime64[s]")))
    v["entry_date"] = entry.astype("datetime64[s]")
    P.add_mask(has_batch & arr & v["entry_date"].isna() & v["batch_id"].notna(), "entry_date",
               "missing and the batch has no arrival date")
    P.add_mask(~arr & v["entry_date"].notna() & v["birth_date"].notna()
               & (v["entry_date"] != v["birth_date"]), "entry_date",
               "differs from birth_date; an animal born on a farm enters on its birth date")
    est = v["birth_date"].isna() & v["age_months"].notna() & v["entry_date"].notna()
    days = (v["age_months"] * DAYS_PER_MONTH).round()
    derived = (v["entry_date"] - pd.to_timedelta(days.fillna(0), unit="D")).astype("datetime64[s]")
    v["birth_date"] = v["birth_date"].where(~est, derived)
    v["birth_date_estimated"] = v["birth_date_estimated"].where(~est, True)


def check_animals(ctx: ImportContext) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok()
    male = v["sex"] == "male"
    P.add_mask(ok & v["entry_date"].notna() & v["birth_date"].notna()
               & (v["entry_date"] < v["birth_date"]), "entry_date", "before birth_date")
    P.add_mask(ok & male & (v["parity"].fillna(0) > 0), "parity", "a male has no kiddings")
    P.add_mask(ok & male & v["lactating"].fillna(False).astype(bool), "lactating",
               "a male is not in milk")
    P.add_mask(ok & male & v["expected_parturition_date"].notna(), "expected_parturition_date",
               "a male cannot be pregnant")
    P.add_mask(ok & v["last_parturition_date"].notna() & (v["parity"].fillna(0) == 0),
               "last_parturition_date", "given but parity is 0")
    P.add_mask(ok & v["last_parturition_date"].notna() & v["entry_date"].notna()
               & (v["last_parturition_date"] > v["entry_date"]), "last_parturition_date",
               "after entry_date; record later kiddings as parturition events")
    P.add_mask(ok & v["expected_parturition_date"].notna() & v["entry_date"].notna()
               & (v["expected_parturition_date"] < v["entry_date"]),
               "expected_parturition_date", "before entry_date")
    # parents: sex and birth dates, from the records or this file
    recorded = ctx.records("animals", "id", pd.concat([v["dam_id"], v["sire_id"]]))[
        ["id", "sex", "birth_date"]]
    file_parents = pd.DataFrame({"sex": v["sex"].to_numpy(), "birth_date": v["birth_date"].to_numpy()},
                                index=v.index)
    for name, sex, label in (("dam", "female", "dam"), ("sire", "male", "sire")):
        col = f"{name}_id"
        has = ctx.ok() & v[col].notna()
        if not has.any():
            continue
        ids = v.loc[has, col].astype("int64")
        rec = recorded.set_index("id")
        par_sex = _lookup(ids, rec["sex"].astype(object))
        par_birth = _lookup(ids, rec["birth_date"].astype("datetime64[s]"))
        # parents in the same file (pre-allocated ids from the file's key)
        in_file = v.loc[has, name].map(pd.Series(v.index, index=v["tag"]).loc[
            lambda s: ~s.index.duplicated()])
        fsex = in_file.map(file_parents["sex"])
        fbirth = in_file.map(file_parents["birth_date"])
        par_sex = par_sex.where(par_sex.notna(), fsex)
        par_birth = pd.to_datetime(par_birth.where(par_birth.notna(), fbirth))
        P.add_mask((par_sex != sex).reindex(v.index, fill_value=False), name,
                   f"the {label} is not a {sex}")
        young = par_birth.notna() & v.loc[has, "birth_date"].notna() & \
            (par_birth >= v.loc[has, "birth_date"])
        P.add_mask(young.reindex(v.index, fill_value=False), name,
                   f"the {label} was not born before this animal")


def check_batches(ctx: ImportContext) -> None:
    v = ctx.val
    ctx.P.add_mask(ctx.ok() & v["certificate_date"].notna() & v["arrival_date"].notna()
                   & (v["certificate_date"] > v["arrival_date"]), "certificate_date",
                   "after arrival_date")


def check_product_batches(ctx: ImportContext) -> None:
    v = ctx.val
    ctx.P.add_mask(ctx.ok() & (v["expiry_date"] < v["production_date"]), "expiry_date",
                   "before production_date")


def check_deliveries(ctx: ImportContext) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok() & v["product_batch_id"].notna()
    pb = ctx.records("product_batches", "id", v.loc[ok, "product_batch_id"]).set_index("id")
    if pb.empty or not ok.any():
        return
    bid = v.loc[ok, "product_batch_id"].astype("int64")
    prod = _lookup(bid, pb["production_date"])
    exp = _lookup(bid, pb["expiry_date"])
    d = v.loc[ok, "date"]
    P.add_mask((d < prod).reindex(v.index, fill_value=False), "date",
               "before the batch was made (" + _date_txt(prod) + ")")
    P.add_mask((d > exp).reindex(v.index, fill_value=False), "date",
               "after the batch's expiry date (" + _date_txt(exp) + ")")
    # no more delivered than the batch holds (recorded deliveries first, then file order)
    ok = ctx.ok() & v["product_batch_id"].notna() & v["quantity_kg"].notna() \
        & ~v.index.isin(ctx.unchanged)
    if not ok.any():
        return
    sub = v[ok]
    done = ctx.records("deliveries", "product_batch_id", sub["product_batch_id"]).groupby(
        "product_batch_id")["quantity_kg"].sum()
    bid = sub["product_batch_id"].astype("int64")
    cum = sub.groupby(bid)["quantity_kg"].cumsum() + _lookup(bid, done.astype("float64")).fillna(0.0)
    cap = _lookup(bid, pb["quantity_kg"])
    over = cum > cap * (1 + 1e-9)
    P.add_mask(over.reindex(v.index, fill_value=False), "quantity_kg",
               "more than the batch holds (" + cap.map("{:g}".format) + " kg)")


def check_measurements(ctx: ImportContext) -> None:
    v, P = ctx.val, ctx.P
    ok = ctx.ok()
    P.add_mask(ok & v["weight_kg"].isna() & v["height_cm"].isna() & v["muac_cm"].isna(),
               "weight_kg", "no measurement; give weight_kg, height_cm or muac_cm")
    ok = ctx.ok() & v["child_id"].notna() & v["date"].notna()
    ch = ctx.records("children", "id", v.loc[ok, "child_id"]).set_index("id")
    if ch.empty or not ok.any():
        return
    birth = _lookup(v.loc[ok, "child_id"], ch["birth_date"])
    P.add_mask((v.loc[ok, "date"] < birth).reindex(v.index, fill_value=False), "date",
               "before the child's birth (" + _date_txt(birth) + ")")


#: What fills derived fields of a kind's rows before the checks, by kind.
PREPARE = {"animals": prepare_animals}
#: The integrity rules of each kind, by kind (kinds without rules are absent).
RULES = {"batches": check_batches, "animals": check_animals, "events": check_events,
         "test_days": check_test_days, "product_batches": check_product_batches,
         "deliveries": check_deliveries, "measurements": check_measurements}
