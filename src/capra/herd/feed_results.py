"""The feed of a herd simulation as results: the monthly variables of the result's Dataset,
the feed budget (:class:`capra.feed.FeedBudget`), the JSON ``feed`` key and the tables of
the terminal and the report.

The simulation records, per replicate, month and location, what the weaned animals needed
and what pasture, stores and purchases gave (:data:`capra.herd.feeding.MONTHLY`); these
functions turn that into what a farm manager reads before winter.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from capra.herd.feeding import _PASTURE, _PURCHASE, _Q, _STOCK, BY_SOURCE, MONTHLY

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from capra.feed.budget import FeedBudget
    from capra.herd.params import HerdParams

__all__ = ["add_to_dataset", "cae_farms", "feed_budget_from_dataset", "feed_summary",
           "feed_tables"]

#: Quantiles across replicates. [-]
QUANTILES = (0.1, 0.5, 0.9)


def add_to_dataset(ds: xr.Dataset, arrays: dict, params: HerdParams) -> xr.Dataset:
    """The monthly feed variables of ``arrays`` added to the result's Dataset, with dims
    (replicate, month, farm) and (…, feed_slot); the feeding order of each location and
    the currency as attributes."""
    fp = params.feeding
    if fp is None:
        return ds
    ds = ds.assign_coords(month=list(fp.months), month_days=("month", fp.month_days))
    stacked = arrays.get("feed_monthly")
    if stacked is None:
        return ds
    for name, (units, desc) in MONTHLY.items():
        ds[name] = (("replicate", "month", "farm"), stacked[..., _Q[name]])
        ds[name].attrs.update(units=units, description=desc)
    for name, (units, desc) in BY_SOURCE.items():
        if name in arrays:
            ds[name] = (("replicate", "month", "farm", "feed_slot"), arrays[name])
            ds[name].attrs.update(units=units, description=desc)
    kinds = {_PASTURE: "pasture", _STOCK: "stock", _PURCHASE: "purchase"}
    ds.attrs["feed_sources"] = json.dumps(
        [[[name, kinds[int(fp.source_kind[loc, s])]] for s, name in enumerate(names)]
         for loc, names in enumerate(fp.source_names)])
    ds.attrs["feed_supplements"] = json.dumps(list(fp.supplement_names))
    ds.attrs["feed_currency"] = fp.currency
    if params.rearing is not None:
        ds.attrs["kid_rearing"] = json.dumps(list(params.rearing.methods))
    return ds


def feed_budget_from_dataset(ds: xr.Dataset) -> FeedBudget | None:
    """The feed budget of a simulation (:class:`capra.feed.FeedBudget`): per replicate,
    location and month, from the result's monthly variables; None without them."""
    from capra.feed.budget import FeedBudget

    if "feed_dm_fed_t" not in ds:
        return None
    farms = [str(f) for f in ds["farm"].values]
    months = [str(mo) for mo in ds["month"].values]
    n_rep = ds.sizes["replicate"]
    columns = {"me_needed_mj": "feed_me_needed_mj", "cp_needed_kg": "feed_cp_needed_kg",
               "dm_fed_t": "feed_dm_fed_t", "pasture_dm_t": "feed_pasture_dm_t",
               "stored_dm_t": "feed_stored_dm_t", "purchased_dm_t": "feed_purchased_dm_t",
               "concentrate_as_fed_t": "feed_concentrate_as_fed_t",
               "me_unmet_mj": "feed_me_unmet_mj", "cp_balance_kg": "feed_cp_balance_kg",
               "feed_cost": "feed_cost", "milk_replacer_kg": "feed_milk_replacer_kg",
               "milk_replacer_cost": "feed_milk_replacer_cost",
               "milk_forgone_kg": "feed_milk_forgone_kg"}
    frame = {"replicate": np.repeat(np.arange(n_rep), len(farms) * len(months)),
             "farm": np.tile(np.repeat(farms, len(months)), n_rep),
             "month": np.tile(months, n_rep * len(farms)),
             "days": np.tile(ds["month_days"].values, n_rep * len(farms))}
    for col, var in columns.items():
        frame[col] = ds[var].transpose("replicate", "farm", "month").values.reshape(-1)
    by_farm_month = pd.DataFrame(frame)
    by_farm_month["cost"] = by_farm_month["feed_cost"] + by_farm_month["milk_replacer_cost"]
    sources = json.loads(ds.attrs.get("feed_sources", "[]"))
    rows = []
    dm = ds["feed_source_dm_t"].transpose("replicate", "farm", "month", "feed_slot").values
    closing = ds["feed_source_closing_t_dm"].transpose(
        "replicate", "farm", "month", "feed_slot").values
    for f, farm in enumerate(farms):
        for s, (name, origin) in enumerate(sources[f] if f < len(sources) else []):
            rows.append(pd.DataFrame({
                "replicate": np.repeat(np.arange(n_rep), len(months)), "farm": farm,
                "month": np.tile(months, n_rep), "feed": name, "origin": origin,
                "dm_t": dm[:, f, :, s].reshape(-1),
                "closing_stock_t_dm": np.where(origin == "stock", closing[:, f, :, s],
                                               np.nan).reshape(-1)}))
    by_feed = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return FeedBudget(by_farm_month=by_farm_month, by_feed=by_feed,
                      currency=str(ds.attrs.get("feed_currency", "")), replicates=True)


def feed_summary(ds: xr.Dataset, quantiles=QUANTILES) -> dict | None:
    """The JSON ``feed`` key of a simulation: ``by_farm_month`` rows (the P50 of each
    quantity across replicates, and P10/P90 of DM fed, purchases, shortfall and cost) and
    ``dry_matter_t_per_year`` (P10/P50/P90 per farm and calendar year, and for all farms),
    the kid rearing of each location and, where it applies, the farms whose kid rearing
    spreads CAE; None without feed."""
    budget = feed_budget_from_dataset(ds)
    if budget is None:
        return None
    frame = budget.by_farm_month.drop(columns="replicate")
    grouped = frame.groupby(["farm", "month"], sort=False)
    numeric = [c for c in frame.columns if c not in ("farm", "month")]
    p50 = grouped[numeric].quantile(quantiles[1])
    for col in ("dm_fed_t", "purchased_dm_t", "me_unmet_mj", "cost"):
        p50[f"{col}_p10"] = grouped[col].quantile(quantiles[0])
        p50[f"{col}_p90"] = grouped[col].quantile(quantiles[2])
    rows = p50.reset_index().round(3).to_dict(orient="records")
    methods = json.loads(ds.attrs.get("kid_rearing", "[]"))
    farms = [str(f) for f in ds["farm"].values]
    cae = cae_farms(ds)
    return {
        "currency": budget.currency,
        "statistic": "P50 across replicates (P10/P90 where named)",
        "by_farm_month": rows,
        "dry_matter_t_per_year": budget.dry_matter_t_per_year().round(3).to_dict(
            orient="records"),
        "kid_rearing": dict(zip(farms, methods)),
        "cae_spread": {"farms": cae, "note": CAE_NOTE} if cae else None,
    }


def cae_farms(ds: xr.Dataset) -> dict[str, str]:
    """``{farm: method}`` of the farms whose kid rearing spreads caprine
    arthritis-encephalitis virus (suckling, pooled raw milk; capra/data/feed/
    kid_rearing.toml)."""
    from capra.feed.responses import kid_rearing

    methods = json.loads(ds.attrs.get("kid_rearing", "[]"))
    data = kid_rearing().methods
    kinds = ds["kind"].values if "kind" in ds.coords else ["farm"] * len(methods)
    return {str(f): m for f, m, k in zip(ds["farm"].values, methods, kinds)
            if k == "farm" and m in data and data[m].spreads_cae}


CAE_NOTE = ("Caprine arthritis-encephalitis (CAE) virus passes from infected does to kids in "
            "colostrum and milk: kids suckling their dams, or fed the farm's pooled raw milk "
            "(the milk of every infected doe reaching every kid), spread it through the herd. "
            "CAE-control programmes feed heat-treated colostrum and milk, or milk replacer.")


def feed_tables(ds: xr.Dataset) -> dict[str, pd.DataFrame] | None:
    """Tables of the feed budget for the terminal and the report (P50 across replicates
    unless a column says otherwise); None without feed.

    - ``by_month``: every farm together, one row per month of the last twelve of the
      horizon: ``days``, ``dm_fed_t``, ``pasture_dm_t``, ``stored_dm_t``,
      ``purchased_dm_t``, ``concentrate_as_fed_t``, ``milk_replacer_kg``, ``cost``,
      ``shortfall_pct`` (ME needed and not fed) and ``milk_forgone_kg``;
    - ``by_farm``: one row per farm (and quarantine station) for ``year``, the last
      calendar year the horizon covers in full (else its last year): ``dm_fed_t`` P10, P50
      and P90, ``purchased_dm_t``, ``concentrate_as_fed_t``, ``cost``, ``shortfall_pct``.
    """
    budget = feed_budget_from_dataset(ds)
    if budget is None:
        return None
    frame = budget.by_farm_month
    cols = ["dm_fed_t", "pasture_dm_t", "stored_dm_t", "purchased_dm_t", "concentrate_as_fed_t",
            "milk_replacer_kg", "cost", "me_needed_mj", "me_unmet_mj", "milk_forgone_kg"]
    months = sorted(frame["month"].unique())[-12:]
    total = (frame[frame["month"].isin(months)].groupby(["replicate", "month"])[cols].sum()
             .reset_index())
    total["shortfall_pct"] = _share(total["me_unmet_mj"], total["me_needed_mj"])
    by_month = total.groupby("month")[cols + ["shortfall_pct"]].median()
    by_month[by_month.abs() < 1e-9] = 0.0               # rounding, not a shortage
    days = frame.drop_duplicates("month").set_index("month")["days"]
    by_month.insert(0, "days", days.loc[by_month.index])
    by_month = by_month.drop(columns=["me_needed_mj", "me_unmet_mj"]).reset_index()

    year_days = frame.assign(year=frame["month"].str[:4]).drop_duplicates("month").groupby(
        "year")["days"].sum()
    full = [y for y, d in year_days.items() if d >= 365]
    year = full[-1] if full else year_days.index[-1]
    annual = (frame[frame["month"].str.startswith(year)]
              .groupby(["replicate", "farm"], sort=False)[cols].sum().reset_index())
    annual["shortfall_pct"] = _share(annual["me_unmet_mj"], annual["me_needed_mj"])
    grouped = annual.groupby("farm", sort=False)
    by_farm = pd.DataFrame({
        "year": int(year),
        "dm_fed_t_p10": grouped["dm_fed_t"].quantile(QUANTILES[0]),
        "dm_fed_t_p50": grouped["dm_fed_t"].quantile(QUANTILES[1]),
        "dm_fed_t_p90": grouped["dm_fed_t"].quantile(QUANTILES[2]),
        "purchased_dm_t": grouped["purchased_dm_t"].median(),
        "concentrate_as_fed_t": grouped["concentrate_as_fed_t"].median(),
        "cost": grouped["cost"].median(),
        "shortfall_pct": grouped["shortfall_pct"].median(),
    }).reset_index()
    by_farm = by_farm[(by_farm["dm_fed_t_p90"] > 0) | (by_farm["cost"] > 0)]
    numeric = by_farm.columns.drop(["farm", "year"])
    by_farm[numeric] = by_farm[numeric].where(by_farm[numeric].abs() >= 1e-9, 0.0)
    return {"by_month": by_month, "by_farm": by_farm.reset_index(drop=True)}


def _share(part: pd.Series, whole: pd.Series) -> pd.Series:
    """``100 part / whole``, 0 where ``whole`` is 0. [%]"""
    return 100.0 * part.where(whole > 0, 0.0) / whole.where(whole > 0, 1.0)
