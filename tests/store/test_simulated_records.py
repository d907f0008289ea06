"""The import layouts hold what the herd simulator's per-animal event log produces."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from capra.store.io import import_frame
from capra.store.query import herd_state


def _d(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").where(s.notna(), "")


@functools.lru_cache(maxsize=2)
def simulated_records(seed: int = 0, horizon_days: int = 500) -> dict[str, pd.DataFrame]:
    """Records files (one DataFrame per kind) of one simulated replicate of 'nampo'."""
    from capra.herd.simulate import simulate_events
    from capra.scenario import load_scenario

    sc = load_scenario("nampo").model_copy(update={"horizon_days": horizon_days})
    ev = simulate_events(sc, seed=seed, replicate=0)
    tag = lambda uid: "G" + pd.Series(uid).astype(str).str.zfill(5).to_numpy()  # noqa: E731
    farm_names = {f.name for f in sc.farms}
    places = set(ev["arrivals"]["location"]) | farm_names
    farms = pd.DataFrame({"name": sorted(places),
                          "kind": ["farm" if p in farm_names else "quarantine" for p in sorted(places)]})
    batches = pd.DataFrame({
        "name": [b.name for b in sc.batches], "origin": [b.origin for b in sc.batches],
        "certificate": [b.certificate for b in sc.batches],
        "arrival_date": [str(b.arrival_date) for b in sc.batches],
        "arrival_farm": [b.arrival_place for b in sc.batches],
        "quarantine_days": [b.quarantine_days for b in sc.batches]})
    arr = ev["arrivals"]
    a1 = pd.DataFrame({
        "tag": tag(arr["uid"]), "sex": arr["sex"].to_numpy(), "birth_date": _d(arr["birth_date"]).to_numpy(),
        "origin": "arrival", "batch": batches["name"].to_numpy()[arr["batch"].to_numpy()],
        "farm": arr["location"].to_numpy(), "entry_date": _d(arr["date"]).to_numpy(),
        "parity": arr["parity"].to_numpy(),
        "last_parturition_date": _d(arr["kidding_date"].where(arr["parity"] > 0)).to_numpy(),
        "expected_parturition_date": _d(arr["due_date"]).to_numpy(),
        "lactating": np.where(arr["lactating"], "true", "false")})
    b = ev.get("births", pd.DataFrame(columns=["date", "uid", "sex", "dam", "location"]))
    a2 = pd.DataFrame({"tag": tag(b["uid"]), "sex": b["sex"].to_numpy(),
                       "birth_date": _d(b["date"]).to_numpy(), "origin": "birth",
                       "farm": b["location"].to_numpy(), "dam": tag(b["dam"])})
    animals = pd.concat([a1, a2], ignore_index=True).astype(object).fillna("")
    rows = []

    def add(name, type_, **cols):
        if name not in ev:
            return
        e = ev[name]
        df = pd.DataFrame({"animal": tag(e["uid"]), "date": _d(e["date"]).to_numpy(), "type": type_})
        for k, v in cols.items():
            df[k] = v(e) if callable(v) else v
        rows.append(df)

    still = ev.get("stillbirths", pd.DataFrame(columns=["date", "uid"])).groupby(
        ["date", "uid"]).size()
    add("kiddings", "parturition", farm=lambda e: e["location"].to_numpy(),
        litter_size=lambda e: e["litter"].to_numpy(),
        live_kids=lambda e: (e["litter"] - pd.MultiIndex.from_arrays([e["date"], e["uid"]]).map(
            still).fillna(0).astype(int)).clip(lower=0).to_numpy())
    add("conceptions", "insemination",
        method=lambda e: np.where(e["method"] == "service", "NaturalService", "Insemination"),
        expected_parturition_date=lambda e: _d(e["due_date"]).to_numpy())
    add("abortions", "abortion")
    add("dry_offs", "dry_off")
    add("deaths", "death", reason="Unknown")
    add("sales", "departure", reason="Sale", departure_kind="Sale")
    add("culls", "departure", reason="Slaughter", departure_kind="Slaughter")
    add("transfers", "transfer", farm=lambda e: e["to_location"].to_numpy(),
        from_farm=lambda e: e["from_location"].to_numpy())
    events = pd.concat(rows, ignore_index=True).astype(object).fillna("")
    td = ev["test_days"]
    test_days = pd.DataFrame({"animal": tag(td["uid"]), "date": _d(td["date"]).to_numpy(),
                              "milk_kg": td["milk_kg"].round(3).to_numpy()})
    return {"farms": farms, "batches": batches, "animals": animals, "events": events,
            "test_days": test_days}


def test_simulated_records_import_without_rejects(db):
    recs = simulated_records()
    for kind, df in recs.items():
        res = import_frame(db, kind, df.astype(str).replace({"nan": "", "NaT": "", "<NA>": ""}),
                           keep_valid=True)
        assert res.rejected == 0, (kind, res.rejects.head(10).to_string())
        assert res.inserted == len(df)
    state = herd_state(db, "2025-06-30")
    assert len(state) > 300 and state["lactating"].sum() > 50
    assert set(state["farm"]) <= set(recs["farms"]["name"])
