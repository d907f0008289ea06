"""The result of a herd simulation: a labelled xarray Dataset and its summaries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from capra.errors import ArgumentError
from capra.formats import text_table
from capra.herd import feed_results
from capra.herd.bucks import BREEDING_OUTPUTS, inbreeding_dict
from capra.herd.health import HEALTH_OUTPUTS, health_dict
from capra.planning import products

QUANTILES = (0.1, 0.5, 0.9)

_DESCRIPTIONS = {
    "kids": ("head", "kids before weaning, both sexes (end of day)"),
    "doelings": ("head", "weaned females that have not kidded"),
    "bucklings": ("head", "weaned males younger than the buck breeding age"),
    "bucks": ("head", "males of breeding age"),
    "does_in_milk": ("head", "lactating does"),
    "does_dry": ("head", "does that have kidded and are not lactating"),
    "does_pregnant": ("head", "pregnant females of any parity (overlaps the classes)"),
    "head": ("head", "all animals (the six classes above)"),
    "births": ("head/day", "live kids born"),
    "stillbirths": ("head/day", "kids born dead"),
    "kiddings": ("1/day", "kiddings (litters)"),
    "abortions": ("1/day", "pregnancies aborted"),
    "conceptions": ("1/day", "pregnancies started"),
    "deaths": ("head/day", "deaths"),
    "sales": ("head/day", "animals sold (surplus doelings, male kids)"),
    "culls": ("head/day", "animals culled"),
    "arrivals": ("head/day", "animals delivered by batches"),
    "transfers_in": ("head/day", "animals moved in from another location"),
    "transfers_out": ("head/day", "animals moved out to another location"),
    "milk_gross_kg": ("kg/day", "milk produced by lactating does"),
    "milk_colostrum_kg": ("kg/day", "colostrum, not delivered"),
    "milk_fed_kids_kg": ("kg/day", "milk fed to kids"),
    "milk_quarantine_kg": ("kg/day", "milk of animals in quarantine, discarded"),
    "milk_kg": ("kg/day", "deliverable milk"),
}


def kg_to_rations(milk_kg, per_ration_kg: float | None = None):
    """Rations in a quantity of goat milk. [kg] -> [rations]

    A ration is :data:`capra.planning.products.RATION`: a school child's daily serving of
    fresh milk, made from ``per_ration_kg`` kg of raw milk (default: that of the bundled
    product data, :func:`capra.planning.products.ration`).
    """
    per = products.ration()["milk_kg"] if per_ration_kg is None else per_ration_kg
    return np.asarray(milk_kg) / per


@dataclass
class HerdResult:
    """Daily herd and milk per replicate, date and location (farm or quarantine station).

    ``data`` is an :class:`xarray.Dataset` with dims ``(replicate, date, farm)``; see each
    variable's ``units`` and ``description`` attributes. Stocks are counted at the end of the
    day, flows are totals of the day.
    """

    data: xr.Dataset
    scenario: object = field(default=None, repr=False)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params, scenario=None,
                    seed: int | None = None) -> "HerdResult":
        n_rep = next(iter(arrays.values())).shape[0]
        coords = {
            "replicate": np.arange(n_rep),
            "date": params.dates,
            "farm": list(params.locations),
            "kind": ("farm", np.where(params.is_farm, "farm", "quarantine")),
            "capacity_head": ("farm", np.where(params.is_farm, params.capacity_head, -1)),
        }
        daily = {name: arr for name, arr in arrays.items() if not name.startswith("feed_")}
        ds = xr.Dataset({name: (("replicate", "date", "farm"), arr) for name, arr in daily.items()},
                        coords=coords)
        ds = feed_results.add_to_dataset(ds, arrays, params)     # the monthly feed budget
        for name, (units, desc) in {**_DESCRIPTIONS, **HEALTH_OUTPUTS,
                                    **BREEDING_OUTPUTS}.items():
            if name in ds:
                ds[name].attrs.update(units=units, description=desc)
        ds.attrs.update(scenario=getattr(scenario, "name", ""), seed=-1 if seed is None else seed,
                        start_date=str(params.start_date), horizon_days=params.n_days,
                        gestation_days=params.gestation_days)
        if params.bucks is not None:      # read by capra.herd.bucks.inbreeding
            ds.attrs.update(bucks_source="bought" if params.bucks.bought else "own",
                            bucks_rotation=int(params.bucks.rotation))
        return cls(ds, scenario)

    def add_parameter_draws(self, parameters, values) -> None:
        """Keep each replicate's values of the uncertain parameters: ``parameter_value``
        (replicate, parameter), with the coordinates ``parameter`` (key path), ``factor``
        (what the draws are keyed by) and ``distribution`` (its text).
        [unit of each parameter]"""
        self.data["parameter_value"] = (("replicate", "parameter"), np.asarray(values, float))
        self.data = self.data.assign_coords(
            parameter=[p.name for p in parameters],
            factor=("parameter", [p.factor for p in parameters]),
            distribution=("parameter", [p.distribution.describe() for p in parameters]))
        self.data["parameter_value"].attrs.update(
            description="value of each uncertain parameter drawn by each replicate",
            units="unit of the parameter")

    # ---- reductions --------------------------------------------------------------------
    @property
    def replicates(self) -> int:
        return self.data.sizes["replicate"]

    @property
    def ration(self) -> dict:
        """What one ration of this herd's milk is: ``product``, ``age_group``,
        ``serving_g`` [g product] and ``milk_kg`` [kg raw milk], with the scenario's
        product data (the bundled data for a result read from a file without its
        scenario); see :func:`capra.planning.products.ration`."""
        return products.ration(getattr(self.scenario, "products", None))

    def rations(self, milk_kg):
        """Rations in a quantity of this herd's milk (see :attr:`ration`).
        [kg] -> [rations]"""
        return kg_to_rations(milk_kg, self.ration["milk_kg"])

    def total(self, name: str) -> xr.DataArray:
        """A variable summed over locations: (replicate, date)."""
        return self.data[name].sum("farm")

    def quantiles(self, name: str, q=QUANTILES, farm: str | None = None) -> xr.DataArray:
        """Quantiles across replicates of a variable, per date (summed over farms unless
        ``farm`` is given)."""
        da = self.data[name].sel(farm=farm) if farm else self.total(name)
        return da.quantile(list(q), dim="replicate")

    def last_year(self) -> xr.Dataset:
        """The last 365 days of the horizon (the herd at its established size)."""
        n = self.data.sizes["date"]
        return self.data.isel(date=slice(max(n - 365, 0), n))

    def monthly_daily_milk(self, name: str = "milk_kg") -> xr.DataArray:
        """Mean daily milk of each calendar month over the last 365 days, per replicate.
        [kg/day], dims (replicate, month)"""
        da = self.last_year()[name].sum("farm")
        return da.groupby("date.month").mean("date")

    def summary(self) -> str:
        """Headline figures with P10/P50/P90 across replicates, as text for the terminal
        (:meth:`summary_table` as a table), under a line naming the scenario."""
        title = f"{self.replicates} replicates, {self.data.sizes['date']} days"
        if self.data.attrs.get("scenario"):
            title = f"{self.data.attrs['scenario']}: {title}"
        return f"{title}\n{text_table(self.summary_table())}"

    def summary_table(self) -> pd.DataFrame:
        """Headline figures with P10/P50/P90 across replicates: one row per metric (units
        in the name), columns ``p10``, ``p50``, ``p90``."""
        ds = self.data
        last = self.last_year()
        years = last.sizes["date"] / 365.25
        rows = {
            "final head [head]": ds["head"].isel(date=-1).sum("farm"),
            "final does in milk [head]": ds["does_in_milk"].isel(date=-1).sum("farm"),
            "peak head [head]": ds["head"].sum("farm").max("date"),
            "kiddings per year, last year [1/y]": last["kiddings"].sum(("date", "farm")) / years,
            "live births per year, last year [head/y]": last["births"].sum(("date", "farm")) / years,
            "deaths per year, last year [head/y]": last["deaths"].sum(("date", "farm")) / years,
            "sales per year, last year [head/y]": last["sales"].sum(("date", "farm")) / years,
            "culls per year, last year [head/y]": last["culls"].sum(("date", "farm")) / years,
            "milk per year, last year [kg/y]": last["milk_kg"].sum(("date", "farm")) / years,
            "lowest monthly milk, last year [kg/day]": self.monthly_daily_milk().min("month"),
            "highest monthly milk, last year [kg/day]": self.monthly_daily_milk().max("month"),
            "milk over the horizon [kg]": ds["milk_kg"].sum(("date", "farm")),
        }
        out = pd.DataFrame({k: v.quantile(list(QUANTILES), dim="replicate").values
                            for k, v in rows.items()}, index=["p10", "p50", "p90"]).T
        out.index.name = "metric"
        return out

    def summary_dict(self) -> dict:
        """The summary as plain data (the JSON form of ``capra run``), with
        ``sensitivity``, which uncertain parameters move the milk most
        (:func:`capra.herd.uncertainty.sensitivity_dict`, None without parameter draws);
        ``health``, what testing, transport and outbreaks did
        (:func:`capra.herd.health.health_dict`, None without health outputs); and
        ``breeding``, the expected inbreeding (:func:`capra.herd.bucks.inbreeding_dict`)."""
        from capra.herd.uncertainty import sensitivity_dict
        def q(da):
            v = da.quantile(list(QUANTILES), dim="replicate").values
            return {"p10": float(v[0]), "p50": float(v[1]), "p90": float(v[2])}

        last = self.last_year()
        years = last.sizes["date"] / 365.25
        monthly = self.monthly_daily_milk()
        mq = monthly.quantile(list(QUANTILES), dim="replicate")
        by_month = {int(m): {"p10": float(mq.sel(month=m)[0]), "p50": float(mq.sel(month=m)[1]),
                             "p90": float(mq.sel(month=m)[2])} for m in mq["month"].values}
        ration = self.ration
        rations = {m: {k: float(v / ration["milk_kg"]) for k, v in d.items()}
                   for m, d in by_month.items()}
        ds = self.data
        return {
            "scenario": ds.attrs.get("scenario", ""),
            "seed": int(ds.attrs.get("seed", -1)),
            "replicates": self.replicates,
            "start_date": ds.attrs.get("start_date"),
            "horizon_days": int(ds.sizes["date"]),
            "herd": {
                "final_head": q(ds["head"].isel(date=-1).sum("farm")),
                "final_does_in_milk": q(ds["does_in_milk"].isel(date=-1).sum("farm")),
                "final_head_by_farm": {
                    str(f): q(ds["head"].isel(date=-1).sel(farm=f)) for f in ds["farm"].values},
                "kiddings_per_year": q(last["kiddings"].sum(("date", "farm")) / years),
            },
            "milk": {
                "period": "last 365 days of the horizon",
                "kg_per_year": q(last["milk_kg"].sum(("date", "farm")) / years),
                "daily_kg_by_month": by_month,
            },
            "ration": ration,
            "rations_per_day_by_month": rations,
            "feed": feed_results.feed_summary(ds),
            # the key's old name, kept for one release (docs/planning.md)
            "rations_200ml_per_day_by_month": rations,
            "sensitivity": sensitivity_dict(self),
            "health": health_dict(self),
            "breeding": inbreeding_dict(self),
        }

    # ---- export ------------------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per replicate, date and location, one column per daily
        variable (the parameter draws, if any, are in ``parameter_value``; the monthly feed
        budget is :meth:`feed_budget`)."""
        daily = [n for n, v in self.data.data_vars.items()
                 if v.dims == ("replicate", "date", "farm")]
        return self.data[daily].drop_vars(["kind", "capacity_head"]).to_dataframe() \
            .reset_index()

    def feed_budget(self):
        """The feed budget per replicate, location and month (:class:`capra.feed.FeedBudget`:
        what the goats needed, what pasture, stores and purchases gave, the shortfall and
        the cost); None when the herd was simulated without feed."""
        return feed_results.feed_budget_from_dataset(self.data)

    def to_csv(self, path) -> Path:
        path = Path(path)
        self.to_frame().to_csv(path, index=False)
        return path

    def to_parquet(self, path) -> Path:
        path = Path(path)
        self.to_frame().to_parquet(path, index=False)
        return path

    def to_netcdf(self, path) -> Path:
        """Write the Dataset to NetCDF-4, each variable zlib-compressed (the daily counts
        are mostly small integers and zeros)."""
        path = Path(path)
        encoding = {name: {"zlib": True, "complevel": 4} for name in self.data.data_vars}
        self.data.to_netcdf(path, engine="h5netcdf", encoding=encoding)
        return path

    def save(self, path) -> Path:
        """Write by file extension: .csv, .parquet or .nc."""
        path = Path(path)
        writers = {".csv": self.to_csv, ".parquet": self.to_parquet, ".nc": self.to_netcdf}
        try:
            return writers[path.suffix.lower()](path)
        except KeyError:
            raise ArgumentError(f"{path}: unknown result format {path.suffix!r}; "
                                f"expected one of {', '.join(writers)}") from None

    @classmethod
    def load(cls, path) -> "HerdResult":
        """Read a result written with :meth:`to_netcdf`."""
        return cls(xr.load_dataset(path, engine="h5netcdf"))
