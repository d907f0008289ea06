"""The feed budget: per farm and month, what the goats need, what pasture gives, what the
stores give, what must be bought, and what it costs.

:func:`feed_budget` takes the daily ME and crude-protein requirements of each farm's herd
(summed over its animals, e.g. with :func:`capra.feed.energy_requirement`), optionally its
daily dry-matter intake capacity, and each farm's :class:`~capra.feed.FeedResources`. Month
by month it feeds, in this order:

1. pasture, in the grazing season: the DM grown that month times the utilization;
2. the stores, in the order given (opening stock plus the deliveries of the month, carried
   over from month to month);
3. the purchase feeds, in order, without limit ("feed as needed");

each feed until the month's ME need is met. With an intake capacity, a feed of low energy
is only given as far as the rest of the need still fits in the capacity with the densest
feed still available (so hay makes room for concentrate when a doe cannot eat enough hay).
Then, if crude protein falls short, the protein supplement closes the gap. Quantities are
computed on monthly totals; stocks carry over between months and never go negative.

The requirement arrays may have a leading replicate axis: ``(replicate, farm, day)``; the
tables then carry a ``replicate`` column and :meth:`FeedBudget.dry_matter_t_per_year`
gives P10/P50/P90 across replicates.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from capra.feed import _checks
from capra.feed._checks import FeedInputError
from capra.feed.resources import (
    FeedLibrary,
    FeedResources,
    Resolved,
    feed_library,
    resolve,
)

__all__ = ["FeedBudget", "feed_amount", "feed_budget"]

#: Quantiles reported across replicates.
QUANTILES = {"p10": 0.10, "p50": 0.50, "p90": 0.90}


@dataclass(frozen=True)
class _Source:
    """One feed in the feeding order of a farm."""

    name: str
    origin: str                 # "pasture", "stock" or "purchase"
    me: float                   # MJ/kg DM
    cp: float                   # g CP/kg DM
    dm_fraction: float
    price_per_t: float          # per t as fed (purchases)
    available_kg: np.ndarray | None = None   # pasture: DM per month (M,)
    additions_kg: np.ndarray | None = None   # stock: deliveries per month (M,)
    cost_added: np.ndarray | None = None     # stock: cost of bought deliveries per month (M,)
    opening_kg: float = 0.0


@dataclass(frozen=True)
class FeedBudget:
    """Result of :func:`feed_budget`.

    Attributes
    ----------
    by_farm_month
        One row per (replicate,) farm and month: ``days``, ``me_needed_mj``,
        ``cp_needed_kg``, ``dm_fed_t``, ``pasture_dm_t``, ``stored_dm_t``,
        ``purchased_dm_t``, ``concentrate_as_fed_t``, ``me_unmet_mj``, ``cp_balance_kg``
        (supplied minus needed), ``cost``.
    by_feed
        One row per (replicate,) farm, month and feed: ``origin`` (pasture, stock,
        purchase), ``dm_t``, ``as_fed_t``, ``cost`` and ``closing_stock_t_dm`` (stores).
    currency
        Currency of the costs.
    """

    by_farm_month: pd.DataFrame
    by_feed: pd.DataFrame
    currency: str
    replicates: bool = False

    def annual(self) -> pd.DataFrame:
        """Totals per (replicate,) farm and calendar year."""
        df = self.by_farm_month.assign(year=self.by_farm_month["month"].str[:4].astype(int))
        keys = (["replicate"] if self.replicates else []) + ["farm", "year"]
        columns = ["days", "me_needed_mj", "cp_needed_kg", "dm_fed_t", "pasture_dm_t",
                   "stored_dm_t", "purchased_dm_t", "concentrate_as_fed_t", "me_unmet_mj",
                   "cost"]
        return df.groupby(keys, sort=False)[columns].sum().reset_index()

    def dry_matter_t_per_year(self) -> pd.DataFrame:
        """P10, P50 and P90 across replicates of the DM fed per farm and year, and for all
        farms together (farm ``"all"``). [t DM/year]"""
        annual = self.annual()
        keys = ["replicate"] if self.replicates else []
        total = annual.groupby(keys + ["year"], sort=False)["dm_fed_t"].sum().reset_index()
        total["farm"] = "all"
        both = pd.concat([annual[keys + ["farm", "year", "dm_fed_t"]], total],
                         ignore_index=True)
        grouped = both.groupby(["farm", "year"], sort=False)["dm_fed_t"]
        out = pd.DataFrame({name: grouped.quantile(q) for name, q in QUANTILES.items()})
        return out.reset_index()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``by_farm_month`` rows and ``dry_matter_t_per_year`` quantiles."""
        rows = self.by_farm_month.round(3).to_dict(orient="records")
        return {"currency": self.currency, "by_farm_month": rows,
                "dry_matter_t_per_year": self.dry_matter_t_per_year().round(3)
                .to_dict(orient="records")}


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------

def _dates(dates: Any) -> pd.DatetimeIndex:
    try:
        index = pd.DatetimeIndex(pd.to_datetime(np.asarray(dates)))
    except (TypeError, ValueError) as exc:
        raise FeedInputError("dates", "calendar dates", reason=f"not dates ({exc})") from None
    if len(index) == 0:
        raise FeedInputError("dates", "at least one day", reason="empty")
    steps = np.diff(index.values.astype("datetime64[D]").astype(np.int64))
    gaps = np.flatnonzero(steps != 1)
    if gaps.size:
        raise FeedInputError("dates", "consecutive days, one a day, in order",
                             positions=[(int(i) + 1,) for i in gaps],
                             values=[str(index[i + 1].date()) for i in gaps],
                             reason="not the day after the one before")
    return index.normalize()


def _requirement(value: Any, argument: str, unit: str, shape: tuple | None) -> np.ndarray:
    arr = _checks.numbers(value, argument, lo=0, unit=unit)
    if arr.ndim not in (2, 3):
        raise FeedInputError(argument, "an array (farm, day) or (replicate, farm, day)",
                             reason=f"{arr.ndim} dimension(s)")
    if shape is not None and arr.shape != shape:
        raise FeedInputError(argument, f"the shape of me_mj {shape}",
                             reason=f"shape {arr.shape}")
    return arr


def _farm_resources(resources: Any, farms: list[str], library: FeedLibrary) -> list[Resolved]:
    if resources is None or isinstance(resources, FeedResources):
        items = [resources or FeedResources()] * len(farms)
        paths = ["resources"] * len(farms)
    elif isinstance(resources, Mapping):
        unknown = [k for k in resources if k not in farms]
        if unknown:
            hint = _checks.suggest(unknown[0], farms)
            raise FeedInputError("resources", "a FeedResources per farm name ("
                                 + ", ".join(farms) + ")"
                                 + (f"; did you mean {hint!r}?" if hint else ""),
                                 positions=[()], values=[unknown[0]], reason="unknown farm")
        items = [resources.get(f, FeedResources()) for f in farms]
        paths = [f"resources[{f!r}]" for f in farms]
    elif isinstance(resources, Sequence) and len(resources) == len(farms):
        items = list(resources)
        paths = [f"resources[{i}]" for i in range(len(farms))]
    else:
        raise FeedInputError("resources", f"one FeedResources, a list of {len(farms)} (one per "
                             "farm) or a mapping farm -> FeedResources",
                             reason="wrong kind of value")
    for i, item in enumerate(items):
        if not isinstance(item, FeedResources):
            raise FeedInputError(paths[i], "a FeedResources (see feed_resources_from_dict)",
                                 reason=f"a {type(item).__name__}")
    return [resolve(item, library, where=path) for item, path in zip(items, paths)]


# --------------------------------------------------------------------------------------
# Calendar helpers
# --------------------------------------------------------------------------------------

def _month_starts(days: pd.DatetimeIndex) -> np.ndarray:
    key = days.year * 12 + days.month
    return np.flatnonzero(np.r_[True, key[1:] != key[:-1]])


def _in_season(days: pd.DatetimeIndex, start: str, end: str) -> np.ndarray:
    md = days.month * 100 + days.day
    s = int(start[:2]) * 100 + int(start[3:])
    e = int(end[:2]) * 100 + int(end[3:])
    return np.asarray((md >= s) & (md <= e) if s <= e else (md >= s) | (md <= e))


def _on_date(days: pd.DatetimeIndex, month_day: str) -> np.ndarray:
    return np.asarray((days.month == int(month_day[:2])) & (days.day == int(month_day[3:])))


def _sources(r: Resolved, days: pd.DatetimeIndex, starts: np.ndarray) -> list[_Source]:
    sources = []
    if r.pasture is not None and r.pasture.area_ha > 0:
        p = r.pasture
        month_days = np.array([calendar.monthrange(y, m)[1]
                               for y, m in zip(days.year, days.month)])
        daily = (p.area_ha * p.dm_yield_kg_per_ha_by_month[days.month - 1] * p.utilization
                 / month_days * _in_season(days, p.grazing_start, p.grazing_end))
        sources.append(_source(r, p.feed_name, "pasture",
                               available_kg=np.add.reduceat(daily, starts)))
    for stock in r.stores:
        feed = r.feeds[stock.feed]
        added = np.zeros(len(days))
        cost = np.zeros(len(days))
        for d in stock.deliveries:
            on = _on_date(days, d.date)
            added += on * d.t_dm * 1000.0
            if d.kind == "bought":
                price = d.price_per_t if d.price_per_t is not None else feed.price_per_t
                cost += on * d.t_dm / feed.dm_fraction * price
        sources.append(_source(r, stock.feed, "stock", additions_kg=np.add.reduceat(added, starts),
                               cost_added=np.add.reduceat(cost, starts),
                               opening_kg=stock.opening_t_dm * 1000.0))
    sources += [_source(r, name, "purchase") for name in r.purchase]
    return sources


def _source(r: Resolved, name: str, origin: str, **kw) -> _Source:
    feed = r.feeds[name]
    return _Source(name=name, origin=origin, me=feed.me_mj_per_kg_dm, cp=feed.cp_pct_dm * 10.0,
                   dm_fraction=feed.dm_fraction, price_per_t=feed.price_per_t or 0.0, **kw)


# --------------------------------------------------------------------------------------
# The budget
# --------------------------------------------------------------------------------------

def feed_budget(dates, me_mj, cp_g, resources: FeedResources | Sequence | Mapping | None = None,
                *, farms: Sequence[str] | None = None, dm_capacity_kg=None,
                library: FeedLibrary | None = None) -> FeedBudget:
    """Feed budget per farm and month.

    Parameters
    ----------
    dates
        The days of the requirement arrays: consecutive calendar days. [date]
    me_mj
        Daily ME requirement of each farm's herd, shape ``(farm, day)`` or
        ``(replicate, farm, day)``. [MJ/day]
    cp_g
        Daily crude-protein requirement, same shape. [g/day]
    resources
        One :class:`FeedResources` for every farm, a list (one per farm) or a mapping farm
        name -> resources; None for "feed as needed" everywhere.
    farms
        Farm names (default ``farm 1``, ``farm 2``, ...).
    dm_capacity_kg
        Daily DM the herd can eat (e.g. the sum of :func:`capra.feed.dry_matter_intake`),
        same shape; None for no limit. [kg DM/day]
    library
        Feed library for the feed names (default: the bundled one).

    Returns
    -------
    FeedBudget

    Raises
    ------
    FeedInputError
        Bad arrays or dates, naming the argument and the offending positions.
    ScenarioError
        Unknown feed names in the resources, with their key paths.
    """
    days = _dates(dates)
    me = _requirement(me_mj, "me_mj", "MJ/day", None)
    cp = _requirement(cp_g, "cp_g", "g/day", me.shape)
    cap = None if dm_capacity_kg is None else _requirement(dm_capacity_kg, "dm_capacity_kg",
                                                           "kg DM/day", me.shape)
    if me.shape[-1] != len(days):
        raise FeedInputError("dates", f"{me.shape[-1]} days (the last axis of me_mj)",
                             reason=f"{len(days)} days")
    replicates = me.ndim == 3
    if not replicates:
        me, cp = me[None], cp[None]
        cap = None if cap is None else cap[None]
    n_rep, n_farm, _ = me.shape
    farm_names = [f"farm {i + 1}" for i in range(n_farm)] if farms is None else list(farms)
    if len(farm_names) != n_farm or len(set(farm_names)) != n_farm:
        raise FeedInputError("farms", f"{n_farm} distinct names (one per farm of me_mj)",
                             reason=f"{len(farm_names)} names, {len(set(farm_names))} distinct")
    library = library or feed_library()
    resolved = _farm_resources(resources, farm_names, library)

    starts = _month_starts(days)
    months = [f"{days[s].year:04d}-{days[s].month:02d}" for s in starts]
    n_days = np.diff(np.r_[starts, len(days)])
    me_m = np.add.reduceat(me, starts, axis=-1)
    cp_m = np.add.reduceat(cp, starts, axis=-1)
    cap_m = None if cap is None else np.add.reduceat(cap, starts, axis=-1)

    farm_rows, feed_rows = [], []
    for f, (name, r) in enumerate(zip(farm_names, resolved)):
        sources = _sources(r, days, starts)
        rows, feeds = _budget_farm(r, sources, me_m[:, f], cp_m[:, f],
                                   None if cap_m is None else cap_m[:, f])
        farm_rows.append(_frame(rows, name, months, n_days, n_rep))
        feed_rows += [_frame(cols, name, months, None, n_rep, feed=feed, origin=origin)
                      for feed, origin, cols in feeds]
    by_farm_month = pd.concat(farm_rows, ignore_index=True)
    by_feed = pd.concat(feed_rows, ignore_index=True) if feed_rows else pd.DataFrame()
    if not replicates:
        by_farm_month = by_farm_month.drop(columns="replicate")
        if not by_feed.empty:
            by_feed = by_feed.drop(columns="replicate")
    return FeedBudget(by_farm_month=by_farm_month, by_feed=by_feed, currency=library.currency,
                      replicates=replicates)


def _frame(columns: dict[str, np.ndarray], farm: str, months: list[str], n_days, n_rep: int,
           **constant) -> pd.DataFrame:
    """Rows (replicate, month) of arrays shaped (replicate, month)."""
    n_month = len(months)
    data: dict[str, Any] = {"replicate": np.repeat(np.arange(n_rep), n_month), "farm": farm,
                            "month": np.tile(months, n_rep)}
    data.update(constant)
    if n_days is not None:
        data["days"] = np.tile(n_days, n_rep)
    data.update({k: np.asarray(v).reshape(-1) for k, v in columns.items()})
    return pd.DataFrame(data)


def feed_amount(need_mj, supply_kg, me, room_kg=None, dense_me=None) -> np.ndarray:
    """DM of one feed given toward an energy need, the feeding rule of the budget and of
    the herd simulation.

    As much of the feed as the need takes (``need_mj / me``) and the supply holds; with an
    intake capacity ``room_kg``, a feed less dense than the densest feed still to come
    (``dense_me``) is only given as far as the rest of the need still fits in the room with
    that denser feed.

    Parameters
    ----------
    need_mj
        ME still needed. [MJ]
    supply_kg
        DM of the feed available (``inf``: bought as needed). [kg DM]
    me
        ME concentration of the feed. [MJ/kg DM]
    room_kg
        DM the animals can still eat, or None for no limit. [kg DM]
    dense_me
        ME concentration of the densest feed available after this one (0: none). [MJ/kg DM]

    Returns
    -------
    DM given, at least 0. [kg DM]
    """
    x = np.minimum(supply_kg, np.asarray(need_mj) / me)
    if room_kg is not None:
        denser = np.asarray(dense_me, dtype=float) > me
        safe = np.where(denser, dense_me, 2.0 * me)          # finite where not used
        limit = np.where(denser, (room_kg - need_mj / safe) / (1.0 - me / safe), room_kg)
        x = np.minimum(x, np.maximum(limit, 0.0))
    return np.maximum(x, 0.0)


def _budget_farm(r: Resolved, sources: list[_Source], me: np.ndarray, cp: np.ndarray,
                 cap: np.ndarray | None):
    """Feed one farm month by month; arrays are (replicate, month)."""
    n_rep, n_month = me.shape
    fed = [np.zeros((n_rep, n_month)) for _ in sources]
    closing = [np.full((n_rep, n_month), np.nan) for _ in sources]
    cost = np.zeros((n_rep, n_month))
    stock = [np.full(n_rep, s.opening_kg) for s in sources]
    supplement = r.feeds[r.protein_supplement] if r.protein_supplement else None
    supp_fed = np.zeros((n_rep, n_month))
    unmet = np.zeros((n_rep, n_month))
    cp_supplied = np.zeros((n_rep, n_month))
    for m in range(n_month):
        need = me[:, m].copy()
        room = np.full(n_rep, np.inf) if cap is None else cap[:, m].copy()
        supply = []
        for i, s in enumerate(sources):
            if s.origin == "stock":
                stock[i] = stock[i] + s.additions_kg[m]
                cost[:, m] += s.cost_added[m]
                supply.append(stock[i])
            elif s.origin == "pasture":
                supply.append(np.full(n_rep, s.available_kg[m]))
            else:
                supply.append(np.full(n_rep, np.inf))
        for i, s in enumerate(sources):
            # the densest feed still available after this one, per replicate
            later = [np.where(supply[j] > 0, sources[j].me, 0.0)
                     for j in range(i + 1, len(sources))]
            dense = np.max(later, axis=0) if later else np.zeros(n_rep)
            x = feed_amount(need, supply[i], s.me, None if cap is None else room, dense)
            fed[i][:, m] = x
            need = np.maximum(need - x * s.me, 0.0)
            room = room - x
            if s.origin == "stock":
                stock[i] = np.maximum(stock[i] - x, 0.0)
                closing[i][:, m] = stock[i]
            elif s.origin == "purchase":
                cost[:, m] += x / s.dm_fraction / 1000.0 * s.price_per_t
        unmet[:, m] = need
        supplied = sum(fed[i][:, m] * s.cp for i, s in enumerate(sources))
        if supplement is not None:
            gap = np.maximum(cp[:, m] - supplied, 0.0)
            y = gap / (supplement.cp_pct_dm * 10.0)
            supp_fed[:, m] = y
            supplied = supplied + y * supplement.cp_pct_dm * 10.0
            cost[:, m] += y / supplement.dm_fraction / 1000.0 * (supplement.price_per_t or 0.0)
        cp_supplied[:, m] = supplied

    def total(origin: str) -> np.ndarray:
        return sum((fed[i] for i, s in enumerate(sources) if s.origin == origin),
                   np.zeros((n_rep, n_month)))

    concentrate = sum((fed[i] / s.dm_fraction for i, s in enumerate(sources)
                       if r.feeds[s.name].kind == "concentrate"), np.zeros((n_rep, n_month)))
    rows = {
        "me_needed_mj": me, "cp_needed_kg": cp / 1000.0,
        "dm_fed_t": (sum(fed, np.zeros((n_rep, n_month))) + supp_fed) / 1000.0,
        "pasture_dm_t": total("pasture") / 1000.0, "stored_dm_t": total("stock") / 1000.0,
        "purchased_dm_t": (total("purchase") + supp_fed) / 1000.0,
        "concentrate_as_fed_t": concentrate / 1000.0,
        "me_unmet_mj": unmet, "cp_balance_kg": (cp_supplied - cp) / 1000.0, "cost": cost,
    }
    feeds = []
    for i, s in enumerate(sources):
        price = s.price_per_t if s.origin == "purchase" else 0.0
        feeds.append((s.name, s.origin, {
            "dm_t": fed[i] / 1000.0, "as_fed_t": fed[i] / s.dm_fraction / 1000.0,
            "cost": fed[i] / s.dm_fraction / 1000.0 * price,
            "closing_stock_t_dm": closing[i] / 1000.0}))
    if supplement is not None:
        feeds.append((r.protein_supplement, "purchase", {
            "dm_t": supp_fed / 1000.0, "as_fed_t": supp_fed / supplement.dm_fraction / 1000.0,
            "cost": supp_fed / supplement.dm_fraction / 1000.0 * (supplement.price_per_t or 0.0),
            "closing_stock_t_dm": np.full((n_rep, n_month), np.nan)}))
    return rows, feeds
