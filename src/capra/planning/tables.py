"""A dispatch as tables: long tables of its flows, the daily balance, coverage, and what to
make by product and month."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from capra.planning.problem import PlanInputs

__all__ = ["coverage_frame", "dispatch_tables", "production_by_month"]


def _long(values: np.ndarray, dims: Sequence[tuple[str, Sequence]], value: str
          ) -> pd.DataFrame:
    """Long table of the non-zero entries of ``values`` with labelled dims."""
    nz = np.nonzero(np.abs(values) > 1e-9)
    data = {name: np.asarray(labels, dtype=object)[i] for (name, labels), i
            in zip(dims, nz, strict=True)}
    data[value] = values[nz]
    return pd.DataFrame(data)


def dispatch_tables(inputs: PlanInputs, sol: dict[str, np.ndarray], scale: float
                    ) -> dict[str, pd.DataFrame]:
    """Long tables of a dispatch (``production``, ``inventory``, ``waste``, ``shipments``,
    ``servings``, ``shortfall``), and the daily supply-demand table ``daily``."""
    net, prods = inputs.net, inputs.products
    dates = inputs.dates
    K, S, P = net.plants, net.sites, prods.names
    G = prods.age_groups
    tables = {
        "production": _long(sol["production"], [("plant", K), ("product", P), ("date", dates)],
                            "kg"),
        "inventory": _long(sol["stock"], [("plant", K), ("product", P), ("date", dates)], "kg"),
        "waste": _long(sol["waste"], [("plant", K), ("product", P), ("date", dates)], "kg"),
        "shipments": _long(sol["shipment"], [("plant", K), ("site", S), ("product", P),
                                             ("date", dates)], "kg"),
        "servings": _long(sol["servings"], [("site", S), ("age_group", G), ("product", P),
                                             ("date", dates)], "rations"),
        "shortfall": _long(sol["shortfall"].sum(axis=0), [("site", S), ("age_group", G),
                                                          ("date", dates)], "rations"),
    }
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
