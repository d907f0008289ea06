"""A dispatch as tables: long tables of its flows, the daily balance, coverage, and what to
make by product and month."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from capra.planning.problem import PlanInputs

__all__ = ["LONG_TABLE_SITES", "coverage_frame", "dispatch_tables", "production_by_month",
           "write_site_flows"]


def _long(values: np.ndarray, dims: Sequence[tuple[str, Sequence]], value: str
          ) -> pd.DataFrame:
    """Long table of the non-zero entries of ``values`` with labelled dims."""
    nz = np.nonzero(np.abs(values) > 1e-9)
    data = {name: np.asarray(labels, dtype=object)[i] for (name, labels), i
            in zip(dims, nz, strict=True)}
    data[value] = values[nz]
    return pd.DataFrame(data)


#: Most sites whose flows (shipments, servings, shortfall per site and day) are kept as
#: long tables in memory; with more, they are written to Parquet by site chunks
#: (:func:`write_site_flows`). [-]
LONG_TABLE_SITES = 100


def dispatch_tables(inputs: PlanInputs, sol: dict[str, np.ndarray], scale: float, *,
                    per_site: bool = True) -> dict[str, pd.DataFrame]:
    """Long tables of a dispatch (``production``, ``inventory``, ``waste``; with
    ``per_site`` also ``shipments``, ``servings``, ``shortfall``), and the daily
    supply-demand table ``daily``."""
    net, prods = inputs.net, inputs.products
    dates = inputs.dates
    K, S, P = net.plants, net.sites, prods.names
    G = prods.age_groups
    tables = {
        "production": _long(sol["production"], [("plant", K), ("product", P), ("date", dates)],
                            "kg"),
        "inventory": _long(sol["stock"], [("plant", K), ("product", P), ("date", dates)], "kg"),
        "waste": _long(sol["waste"], [("plant", K), ("product", P), ("date", dates)], "kg"),
    }
    if per_site:
        tables.update(_site_flows(inputs, sol, slice(None)))
    serving_milk = (prods.serving_kg * prods.milk_kg_per_kg[:, None]).T  # (G, P) kg milk
    tables["daily"] = pd.DataFrame({
        "supply_kg": inputs.supply_kg.sum(axis=0),
        "collected_kg": sol["raw_to_plant"].sum(axis=(0, 1)),
        "rations_wanted": scale * inputs.rations.sum(axis=(0, 1)),
        "rations_served": sol["servings"].sum(axis=(0, 1, 2)),
        "milk_in_servings_kg": np.einsum("sgpt,gp->t", sol["servings"], serving_milk),
        "waste_kg": sol["waste"].sum(axis=(0, 1)),
    }, index=pd.DatetimeIndex(dates, name="date"))
    for c in ("chilled", "frozen", "ambient"):
        idx = [i for i, s in enumerate(prods.storage) if s == c]
        tables["daily"][f"stock_{c}_kg"] = sol["stock"][:, idx, :].sum(axis=(0, 1))
    return tables


def _site_flows(inputs: PlanInputs, sol: dict, sites: slice) -> dict[str, pd.DataFrame]:
    """The long tables of the flows to the sites ``sites``."""
    net, prods, dates = inputs.net, inputs.products, inputs.dates
    K, P, G = net.plants, prods.names, prods.age_groups
    S = net.sites[sites]
    return {
        "shipments": _long(sol["shipment"][:, sites], [("plant", K), ("site", S),
                                                       ("product", P), ("date", dates)], "kg"),
        "servings": _long(sol["servings"][sites], [("site", S), ("age_group", G),
                                                   ("product", P), ("date", dates)],
                          "rations"),
        "shortfall": _long(sol["shortfall"][:, sites].sum(axis=0),
                           [("site", S), ("age_group", G), ("date", dates)], "rations"),
    }


def write_site_flows(folder, inputs: PlanInputs, sol: dict, *, chunk_sites: int = 500,
                     decimals: dict[str, int] | None = None) -> list:
    """Write the flows to the sites (``shipments``, ``servings``, ``shortfall``) as
    ``plan_<table>.parquet`` in ``folder``, a chunk of sites at a time, so that no table of
    every site and day is held in memory. Values are rounded to ``decimals`` by unit
    (``{"kg": 3, "rations": 2}``). Returns the files written."""
    from pathlib import Path

    import pyarrow as pa
    import pyarrow.parquet as pq

    decimals = decimals or {"kg": 3, "rations": 2}
    writers: dict[str, pq.ParquetWriter] = {}
    n = len(inputs.net.sites)
    try:
        for start in range(0, n, chunk_sites):
            for name, frame in _site_flows(inputs, sol, slice(start, start + chunk_sites)
                                           ).items():
                unit = "kg" if "kg" in frame.columns else "rations"
                frame[unit] = frame[unit].astype(float).round(decimals[unit])
                for col in frame.columns:
                    if col == "date":
                        frame[col] = pd.to_datetime(frame[col])
                    elif frame[col].dtype == object:
                        frame[col] = frame[col].astype(str)
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(Path(folder) / f"plan_{name}.parquet",
                                                     table.schema)
                writers[name].write_table(table)
    finally:
        for w in writers.values():
            w.close()
    return [Path(folder) / f"plan_{name}.parquet" for name in writers]


def coverage_frame(inputs: PlanInputs, sol: dict, scale: float) -> pd.DataFrame:
    """Share of rations served per site and day (NaN on closed days), date × site."""
    want = scale * inputs.rations.sum(axis=1)
    got = sol["servings"].sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = np.where(want > 0, got / np.where(want > 0, want, 1), np.nan)
    return pd.DataFrame(cov.T, index=pd.DatetimeIndex(inputs.dates, name="date"),
                        columns=list(inputs.net.sites))


def production_by_month(inputs: PlanInputs, sol: dict) -> pd.DataFrame:
    """What to make: product made per product and calendar month of the plan, all plants
    together, with the milk it takes. Columns ``product``, ``month`` (``YYYY-MM``), ``kg``
    [kg product] and ``milk_kg`` [kg milk]; months with nothing made are left out."""
    prods = inputs.products
    made = sol["production"].sum(axis=0)  # (P, T)
    months = pd.DatetimeIndex(inputs.dates).strftime("%Y-%m")
    frame = pd.DataFrame(made.T, index=months, columns=list(prods.names))
    by_month = frame.groupby(level=0, sort=True).sum()
    long = by_month.rename_axis("month").reset_index().melt(
        id_vars="month", var_name="product", value_name="kg")
    long = long[long["kg"] > 1e-6].copy()
    columns = ["product", "month", "kg", "milk_kg"]
    if long.empty:
        return pd.DataFrame({c: pd.Series(dtype=float if c.endswith("kg") else object)
                             for c in columns})
    alpha = dict(zip(prods.names, prods.milk_kg_per_kg, strict=True))
    long["milk_kg"] = long["kg"].to_numpy(float) * long["product"].map(alpha).to_numpy(float)
    order = {p: i for i, p in enumerate(prods.names)}
    long = long.sort_values(["product", "month"], key=lambda s: s.map(order)
                            if s.name == "product" else s)
    return long[columns].reset_index(drop=True)
